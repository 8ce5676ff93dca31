import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { JobQueue } from '../jobs/job-queue';
import { EVALUATE_LEAD } from '../lifecycle/lifecycle.jobs';
import { ActivitiesRepository, NewActivity } from './activities.repository';

const MAX_BATCH = 1000;
/**
 * INSERTs in flight at once. Hits arriving meanwhile wait for the next one, so a statement
 * carries more rows the busier the server is (fewer statements and WAL flushes per hit), while
 * a quiet server writes each hit at once instead of after a fixed wait.
 */
const MAX_IN_FLIGHT = 2;

interface Pending {
  row: NewActivity;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit for tracking hits: concurrent requests share one INSERT, and each request is
 * answered only after the statement that holds its row has committed. Durable per hit, at a
 * fraction of the cost of one transaction per hit.
 */
@Injectable()
export class ActivityWriter implements OnApplicationShutdown {
  private readonly logger = new Logger('ActivityWriter');
  private buffer: Pending[] = [];
  private scheduled = false;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly repo: ActivitiesRepository,
    private readonly jobs: JobQueue,
  ) {}

  record(row: NewActivity): Promise<void> {
    return new Promise((resolve, reject) => {
      this.buffer.push({ row, resolve, reject });
      this.schedule();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    while (this.buffer.length || this.inFlight.size) {
      this.flush(Infinity);
      await Promise.allSettled([...this.inFlight]);
    }
  }

  /** After the answers went out: score the hits. A lost enqueue is found by the lifecycle sweeper. */
  private evaluate(leadIds: (string | null)[]): void {
    const unique = [...new Set(leadIds.filter((id): id is string => id !== null))];
    if (!unique.length) return;
    this.jobs
      .enqueueMany(EVALUATE_LEAD, unique.map((leadId) => ({ payload: { leadId }, opts: { jobId: leadId } })))
      .catch((e: unknown) => this.logger.warn({ err: e }, 'could not enqueue evaluations; the sweeper will'));
  }

  /** Hits parsed in the same event-loop turn share a statement: the flush waits for setImmediate. */
  private schedule(): void {
    if (this.scheduled || this.buffer.length === 0 || this.inFlight.size >= MAX_IN_FLIGHT) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush(MAX_IN_FLIGHT);
    });
  }

  private flush(maxInFlight: number): void {
    if (this.buffer.length === 0 || this.inFlight.size >= maxInFlight) return;
    const batch = this.buffer.splice(0, MAX_BATCH);
    const done = this.repo
      .insertMany(batch.map((p) => p.row))
      .then(
        () => batch.forEach((p) => p.resolve()),
        (e: unknown) => {
          this.logger.error({ err: e, rows: batch.length }, 'could not store tracking hits');
          batch.forEach((p) => p.reject(e));
        },
      )
      .finally(() => {
        this.inFlight.delete(done);
        this.schedule();
      });
    this.inFlight.add(done);
    this.schedule();
  }
}
