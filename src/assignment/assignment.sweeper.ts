import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobQueue } from '../jobs/job-queue';
import { LifecycleEvents } from '../lifecycle/lifecycle-events.service';
import { AssignmentService } from './assignment.service';

const BATCH = 200;

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
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobQueue,
    private readonly events: LifecycleEvents,
    private readonly service: AssignmentService,
  ) {}

  onModuleInit(): void {
    // one kick per committed evaluation batch: its pass takes every lead of the batch at once
    this.events.subscribeMany(async (changes) => {
      if (changes.some((c) => c.transitions.some((t) => t.kind === 'stage' && t.to === 'sales-ready'))) void this.kick();
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
          while ((await this.service.assignDue(BATCH)) === BATCH);
        } while (this.again);
      } catch (e) {
        this.logger.warn({ err: e }, 'hand-off pass failed; the next one retries');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  @Interval(1000)
  async tick(): Promise<void> {
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
