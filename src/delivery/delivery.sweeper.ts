import { Inject, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobQueue } from '../jobs/job-queue';
import { SEND_EMAIL } from './delivery.jobs';
import { SendsRepository } from './sends.repository';

/**
 * Postgres is the truth: sends that should be moving but have no job (Redis was wiped, the
 * enqueue after commit never happened, a worker died mid-send) are found here and enqueued
 * again. Deterministic job ids make a repeat harmless; the claim in the processor makes a
 * duplicate job a no-op.
 */
@Injectable()
export class DeliverySweeper {
  private readonly logger = new Logger('DeliverySweeper');
  private running = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sends: SendsRepository,
    private readonly jobs: JobQueue,
  ) {}

  @Interval(15_000)
  async tick(): Promise<void> {
    if (this.config.role === 'api' && this.jobs.mode === 'bullmq') return;
    if (this.running) return;
    this.running = true;
    try {
      await this.sweep();
    } catch (e) {
      this.logger.warn({ err: e }, 'sweep failed; will try again');
    } finally {
      this.running = false;
    }
  }

  /** Returns how many sends were enqueued. */
  async sweep(minAgeMs = 30_000): Promise<number> {
    const due = await this.sends.dueIds(5000, minAgeMs);
    for (const d of due) {
      const delayMs = Math.max(0, d.next_attempt_at.getTime() - Date.now());
      // a fresh id per sweep: a job record orphaned in Redis must not block the send forever;
      // the processor's claim turns a second job for the same send into a no-op
      await this.jobs.enqueue(SEND_EMAIL, { sendId: d.id }, { jobId: `${d.id}.sweep-${Date.now()}`, delayMs });
    }
    if (due.length) this.logger.log(`re-enqueued ${due.length} sends from Postgres`);
    return due.length;
  }
}
