import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobQueue } from '../jobs/job-queue';
import { LifecycleEvents } from '../lifecycle/lifecycle-events.service';
import { AssignmentService } from './assignment.service';

const BATCH = 200;
/** long enough to cover the follow-ups of an evaluation batch; a lead sales-ready again within it waits for a tick */
const HANDLED_KEPT_MS = 60_000;

/**
 * Drives the hand-off from Postgres state: sales-ready moments (leads.handoff_due), SLAs past
 * due, notifications waiting for a rep to be back, and the unassigned queue. A lead that just
 * became sales-ready kicks a pass at once; the interval is the safety net that makes a lost kick
 * (a crash after the evaluation committed) cost a second, not a lead.
 */
@Injectable()
export class AssignmentSweeper implements OnModuleInit {
  private readonly logger = new Logger('AssignmentSweeper');
  private running: Promise<void> | null = null;
  private again = false;
  private busy = { slow: false, queue: false };
  /**
   * When a pass handled each lead, oldest first. Evaluation publishes its changes one lead at a
   * time after committing a whole batch (seconds apart under load), so the first kick's pass
   * takes the batch and the kicks of the others would each cost an empty pass for nothing. A
   * kick only saves waiting for the next tick, so skipping one costs a second at most.
   */
  private readonly handledAt = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobQueue,
    private readonly events: LifecycleEvents,
    private readonly service: AssignmentService,
  ) {}

  onModuleInit(): void {
    this.events.subscribe(async (change) => {
      if (this.handledAt.has(change.leadId)) return;
      if (change.transitions.some((t) => t.kind === 'stage' && t.to === 'sales-ready')) void this.kick();
    });
  }

  private get enabled(): boolean {
    return !(this.config.role === 'api' && this.jobs.mode === 'bullmq');
  }

  /** One pass over due hand-offs; concurrent kicks coalesce into one more pass. */
  kick(): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          while ((await this.pass()) === BATCH);
        } while (this.again);
      } catch (e) {
        this.logger.warn({ err: e }, 'hand-off pass failed; the next one retries');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async pass(): Promise<number> {
    const handled = await this.service.assignDue(BATCH);
    const now = Date.now();
    for (const id of handled) {
      // re-inserted so the map stays in time order
      this.handledAt.delete(id);
      this.handledAt.set(id, now);
    }
    return handled.length;
  }

  @Interval(1000)
  async tick(): Promise<void> {
    const cutoff = Date.now() - HANDLED_KEPT_MS;
    for (const [id, at] of this.handledAt) {
      if (at >= cutoff) break;
      this.handledAt.delete(id);
    }
    await this.kick();
  }

  @Interval(5000)
  async slow(): Promise<void> {
    if (!this.enabled || this.busy.slow) return;
    this.busy.slow = true;
    try {
      while ((await this.service.reassignOverdue(BATCH)) === BATCH);
      while ((await this.service.notifyDue(BATCH)) === BATCH);
    } catch (e) {
      this.logger.warn({ err: e }, 'SLA pass failed; the next one retries');
    } finally {
      this.busy.slow = false;
    }
  }

  @Interval(15_000)
  async queue(): Promise<void> {
    if (!this.enabled || this.busy.queue) return;
    this.busy.queue = true;
    try {
      await this.service.retryQueued(BATCH);
    } catch (e) {
      this.logger.warn({ err: e }, 'queue pass failed; the next one retries');
    } finally {
      this.busy.queue = false;
    }
  }
}
