import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { uuidv7 } from '../common/ids';
import { JobQueue } from '../jobs/job-queue';
import { EVALUATE_LEADS } from '../lifecycle/lifecycle.jobs';
import { ActivitiesRepository, NewHit } from './activities.repository';

/** Rows per INSERT: bounds the statement's parameter arrays, not the wait. */
const MAX_BATCH = 1000;
/** Leads per evaluation job (the job's own limit). */
const LEADS_PER_JOB = 1000;
/**
 * While an INSERT runs, the next batch waits for it: it grows meanwhile, and Postgres pays about
 * a quarter of a millisecond per statement but a few microseconds per row. An INSERT still
 * running after STALLED_AFTER_MS is taken for stalled (a lock on a lead row, a slow disk
 * flush), and the next batch goes beside it instead of behind it, up to MAX_IN_FLIGHT at once.
 */
const STALLED_AFTER_MS = 5;
const MAX_IN_FLIGHT = 3;
/**
 * Evaluations are asked for at most this often, in one job for all the leads hit since: a job
 * per batch or per lead would cost a Redis round trip each (a Lua script per job with BullMQ),
 * and a lead hit many times meanwhile is evaluated once, its pending activities together.
 * Scoring waits up to this long; the hit itself never waits for it.
 */
const EVALUATE_EVERY_MS = 250;

interface Pending {
  row: NewHit;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit for tracking hits: concurrent requests share one INSERT, and each request is
 * answered only after the statement that holds its row has committed. Durable per hit, at a
 * fraction of the cost of one transaction per hit. No timer decides when a batch goes: at low
 * load a hit waits for nothing but its own commit, and under load a batch grows to what
 * arrives during one commit.
 */
@Injectable()
export class ActivityWriter implements OnApplicationShutdown {
  private readonly logger = new Logger('ActivityWriter');
  private buffer: Pending[] = [];
  private flushScheduled = false;
  /** the INSERTs running, with when each started */
  private readonly inFlight = new Map<Promise<void>, number>();
  private stallTimer: NodeJS.Timeout | undefined;
  /** leads with human hits stored since the last enqueue */
  private toEvaluate = new Set<string>();
  private evaluateTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repo: ActivitiesRepository,
    private readonly jobs: JobQueue,
  ) {}

  record(row: NewHit): Promise<void> {
    return new Promise((resolve, reject) => {
      this.buffer.push({ row, resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      // the hits parsed in the same turn of the event loop share the batch
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    while (this.buffer.length || this.inFlight.size) {
      this.flush();
      await Promise.allSettled([...this.inFlight.keys()]);
    }
    clearTimeout(this.stallTimer);
    this.enqueueEvaluations();
  }

  private flush(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    while (this.buffer.length && this.inFlight.size < MAX_IN_FLIGHT) {
      if (this.inFlight.size) {
        const wait = Math.max(...this.inFlight.values()) + STALLED_AFTER_MS - performance.now();
        if (wait > 0) {
          this.stallTimer = setTimeout(() => this.flush(), wait);
          return;
        }
      }
      const batch = this.buffer.length <= MAX_BATCH ? this.buffer : this.buffer.slice(0, MAX_BATCH);
      this.buffer = batch === this.buffer ? [] : this.buffer.slice(MAX_BATCH);
      const done = this.insert(batch).finally(() => {
        this.inFlight.delete(done);
        this.flush();
      });
      this.inFlight.set(done, performance.now());
    }
  }

  private async insert(batch: Pending[]): Promise<void> {
    let inserted: { id: string; lead_id: string | null }[];
    try {
      inserted = await this.repo.insertHits(batch.map((p) => p.row));
    } catch (e) {
      this.logger.error({ err: e, rows: batch.length }, 'could not store tracking hits');
      for (const p of batch) p.reject(e);
      return;
    }
    for (const p of batch) p.resolve();
    // machine hits are stored already evaluated: only people's hits are scored
    const human = new Set<string>();
    for (const p of batch) if (p.row.classification === 'human') human.add(p.row.id);
    this.evaluate(inserted.filter((r) => r.lead_id !== null && human.has(r.id)).map((r) => r.lead_id as string));
  }

  /** After the answers went out. A lost enqueue is found by the lifecycle sweeper. */
  private evaluate(leadIds: string[]): void {
    for (const id of leadIds) this.toEvaluate.add(id);
    if (this.toEvaluate.size >= LEADS_PER_JOB) this.enqueueEvaluations();
    else if (this.toEvaluate.size && !this.evaluateTimer) this.evaluateTimer = setTimeout(() => this.enqueueEvaluations(), EVALUATE_EVERY_MS).unref();
  }

  private enqueueEvaluations(): void {
    clearTimeout(this.evaluateTimer);
    this.evaluateTimer = undefined;
    const leadIds = [...this.toEvaluate];
    this.toEvaluate = new Set();
    for (let i = 0; i < leadIds.length; i += LEADS_PER_JOB) {
      this.jobs
        .enqueue(EVALUATE_LEADS, { leadIds: leadIds.slice(i, i + LEADS_PER_JOB) }, { jobId: `hits-${uuidv7()}` })
        .catch((e: unknown) => this.logger.warn({ err: e }, 'could not enqueue evaluations; the sweeper will'));
    }
  }
}
