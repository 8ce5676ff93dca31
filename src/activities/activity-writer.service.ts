import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { JobQueue } from '../jobs/job-queue';
import { EVALUATE_LEAD } from '../lifecycle/lifecycle.jobs';
import { ActivitiesRepository, NewActivity } from './activities.repository';

const MAX_BATCH = 1000;
const MAX_WAIT_MS = 4;

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
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly repo: ActivitiesRepository,
    private readonly jobs: JobQueue,
  ) {}

  record(row: NewActivity): Promise<void> {
    return new Promise((resolve, reject) => {
      this.buffer.push({ row, resolve, reject });
      if (this.buffer.length >= MAX_BATCH) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), MAX_WAIT_MS);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * After the answers went out: score the hits made by people (machine hits are stored already
   * evaluated). A lost enqueue is found by the lifecycle sweeper.
   */
  private evaluate(leadIds: (string | null)[]): void {
    const unique = [...new Set(leadIds.filter((id): id is string => id !== null))];
    if (!unique.length) return;
    this.jobs
      .enqueueMany(EVALUATE_LEAD, unique.map((leadId) => ({ payload: { leadId }, opts: { jobId: leadId } })))
      .catch((e: unknown) => this.logger.warn({ err: e }, 'could not enqueue evaluations; the sweeper will'));
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    const done = this.repo
      .insertMany(batch.map((p) => p.row))
      .then(
        (inserted) => {
          batch.forEach((p) => p.resolve());
          const machine = new Set(batch.filter((p) => p.row.classification && p.row.classification !== 'human').map((p) => p.row.id));
          this.evaluate(inserted.filter((r) => !machine.has(r.id)).map((r) => r.lead_id));
        },
        (e: unknown) => {
          this.logger.error({ err: e, rows: batch.length }, 'could not store tracking hits');
          batch.forEach((p) => p.reject(e));
        },
      )
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }
}
