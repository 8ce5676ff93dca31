import { Inject, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobQueue } from '../jobs/job-queue';
import { LEADS_PER_BATCH, LeadEvaluator } from './lead-evaluator.service';
import { LeadStateRepository } from './lead-state.repository';
import { EVALUATE_LEADS } from './lifecycle.jobs';

const DECAY_EVERY_MS = 24 * 3600_000;
/** Leads one sweep enqueues at most (in jobs of LEADS_PER_BATCH). */
const SWEEP_BATCH = 2000;
/**
 * While the queue already holds a sweep's worth of waiting jobs, nearly everything a sweep
 * finds is queued already, and re-adding it is not free (with BullMQ a Redis script per job).
 * Sweeps then wait for the backlog to shrink, but never longer than this.
 */
const MAX_SWEEP_GAP_MS = 30_000;

/**
 * Postgres holds the work: activities not yet evaluated and leads whose profile changed. This
 * finds what no job is carrying (an enqueue that coalesced into a job already running, Redis
 * wiped, an import of many leads) and enqueues it; and it runs the score decay in batches.
 */
@Injectable()
export class LifecycleSweeper {
  private readonly logger = new Logger('LifecycleSweeper');
  private busy = { evaluate: false, decay: false };
  private lastSweepAt = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly state: LeadStateRepository,
    private readonly evaluator: LeadEvaluator,
    private readonly jobs: JobQueue,
  ) {}

  private get enabled(): boolean {
    return !(this.config.role === 'api' && this.jobs.mode === 'bullmq');
  }

  @Interval(2000)
  async sweepPending(): Promise<number> {
    if (!this.enabled || this.busy.evaluate) return 0;
    this.busy.evaluate = true;
    try {
      if (Date.now() - this.lastSweepAt < MAX_SWEEP_GAP_MS && (await this.backlog()) >= SWEEP_BATCH / LEADS_PER_BATCH) return 0;
      this.lastSweepAt = Date.now();
      const ids = await this.state.pendingLeadIds(SWEEP_BATCH, 1500);
      // one job per batch of leads; a fresh id per sweep, so a job record orphaned in Redis
      // cannot block a lead for good; an evaluation that finds nothing pending does nothing
      const sweep = Date.now();
      const jobs = [];
      for (let i = 0; i < ids.length; i += LEADS_PER_BATCH) jobs.push({ payload: { leadIds: ids.slice(i, i + LEADS_PER_BATCH) }, opts: { jobId: `sweep-${sweep}-${i}` } });
      await this.jobs.enqueueMany(EVALUATE_LEADS, jobs);
      return ids.length;
    } catch (e) {
      this.logger.warn({ err: e }, 'could not sweep pending evaluations');
      return 0;
    } finally {
      this.busy.evaluate = false;
    }
  }

  /** Jobs waiting in the queue that evaluations run on. */
  private async backlog(): Promise<number> {
    return (await this.jobs.depths()).find((d) => d.queue === EVALUATE_LEADS.queue)?.waiting ?? 0;
  }

  @Interval(60_000)
  async decay(): Promise<number> {
    if (!this.enabled || this.busy.decay) return 0;
    this.busy.decay = true;
    let total = 0;
    try {
      for (;;) {
        const n = await this.evaluator.decayBatch(500, DECAY_EVERY_MS);
        if (n === 0) break;
        total += n;
      }
      if (total) this.logger.log(`decayed ${total} leads`);
    } catch (e) {
      this.logger.warn({ err: e }, 'decay pass failed; the next one continues');
    } finally {
      this.busy.decay = false;
    }
    return total;
  }
}
