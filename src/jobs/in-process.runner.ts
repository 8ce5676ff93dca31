import { Logger } from '@nestjs/common';
import { z } from 'zod';
import { retryDelayMs } from './backoff.policy';
import { EnqueueOptions, JobDefinition, QUEUES, QueueName } from './job-definition';
import { JobQueue, QueueDepth } from './job-queue';
import { JobError } from './job.error';

interface Pending {
  def: JobDefinition;
  payload: unknown;
  id?: string;
  attempt: number;
}

export type Dispatch = (name: string, payload: unknown) => Promise<void>;

/**
 * Embedded mode (no REDIS_URL): the same handlers, run in this process with bounded
 * concurrency and retries with backoff. Delayed and waiting jobs live in memory: anything that
 * matters is re-derived from Postgres by the sweepers after a restart (architecture principle 1).
 */
export class InProcessJobQueue extends JobQueue {
  readonly mode = 'in-process' as const;
  private readonly logger = new Logger('InProcessJobs');
  private readonly ready: Pending[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pendingIds = new Set<string>();
  /** ids enqueued again while their job was running: the work they ask for may be newer than the run */
  private readonly runningIds = new Set<string>();
  private readonly rerun = new Map<string, Pending>();
  private active = 0;
  private readonly count = { active: counter(), delayed: counter(), failed: counter() };
  /** next time a job of a rate-limited queue may start */
  private readonly nextSlot = new Map<QueueName, number>();
  private pumpTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly dispatch: Dispatch,
    private readonly concurrency: number,
    /** jobs per second per queue; absent or 0 = unlimited */
    private readonly rateLimits: Partial<Record<QueueName, number>> = {},
  ) {
    super();
  }

  async enqueue<S extends z.ZodType>(def: JobDefinition<S>, payload: z.input<S>, opts: EnqueueOptions = {}): Promise<void> {
    if (this.closed) throw new JobError('job_queue_closed', 'The job queue is shutting down');
    const parsed = def.schema.safeParse(payload);
    if (!parsed.success) throw new JobError('job_invalid_payload', `Invalid payload for ${def.name}: ${parsed.error.message}`);
    if (opts.jobId) {
      const key = `${def.name}:${opts.jobId}`;
      if (this.runningIds.has(key)) {
        this.rerun.set(key, { def, payload: parsed.data, id: opts.jobId, attempt: 1 });
        return;
      }
      if (this.pendingIds.has(key)) return;
      this.pendingIds.add(key);
    }
    const job: Pending = { def, payload: parsed.data, id: opts.jobId, attempt: 1 };
    if (opts.delayMs && opts.delayMs > 0) this.later(job, opts.delayMs);
    else this.push(job);
  }

  async depths(): Promise<QueueDepth[]> {
    return QUEUES.map((queue) => ({
      queue,
      waiting: this.ready.filter((j) => j.def.queue === queue).length,
      active: this.count.active.get(queue),
      delayed: this.count.delayed.get(queue),
      failed: this.count.failed.get(queue),
    }));
  }

  async ping(): Promise<void> {
    if (this.closed) throw new JobError('job_queue_closed', 'The job queue is shutting down');
  }

  /** Stops taking jobs, drops delayed ones and waits for the running ones (up to `timeoutMs`). */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    clearTimeout(this.pumpTimer);
    if (this.active === 0 && this.ready.length === 0) return;
    await Promise.race([new Promise<void>((r) => this.idleWaiters.push(r)), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    if (this.active > 0) this.logger.warn(`${this.active} jobs still running after ${timeoutMs} ms; exiting anyway`);
  }

  /** Resolves when nothing is waiting or running (delayed jobs excluded). Used by tests and the CLI. */
  onIdle(): Promise<void> {
    if (this.active === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private push(job: Pending): void {
    this.ready.push(job);
    this.pump();
  }

  private later(job: Pending, delayMs: number): void {
    this.count.delayed.add(job.def.queue, 1);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.count.delayed.add(job.def.queue, -1);
      this.push(job);
    }, delayMs);
    this.timers.add(timer);
  }

  private pump(): void {
    const now = Date.now();
    let wakeAt = Infinity;
    for (let i = 0; i < this.ready.length && this.active < this.concurrency; ) {
      const job = this.ready[i];
      const rate = this.rateLimits[job.def.queue];
      if (rate) {
        const slot = this.nextSlot.get(job.def.queue) ?? 0;
        if (slot > now) {
          wakeAt = Math.min(wakeAt, slot);
          i++;
          continue;
        }
        this.nextSlot.set(job.def.queue, Math.max(slot, now) + 1000 / rate);
      }
      this.ready.splice(i, 1);
      this.active++;
      this.count.active.add(job.def.queue, 1);
      void this.run(job).finally(() => {
        this.active--;
        this.count.active.add(job.def.queue, -1);
        this.pump();
        if (this.active === 0 && this.ready.length === 0) this.idleWaiters.splice(0).forEach((r) => r());
      });
    }
    if (wakeAt < Infinity && !this.pumpTimer && !this.closed) {
      this.pumpTimer = setTimeout(() => {
        this.pumpTimer = undefined;
        this.pump();
      }, wakeAt - now);
    }
  }

  private async run(job: Pending): Promise<void> {
    const key = job.id ? `${job.def.name}:${job.id}` : undefined;
    if (key) this.runningIds.add(key);
    try {
      await this.dispatch(job.def.name, job.payload);
      if (key) this.pendingIds.delete(key);
    } catch (err) {
      if (job.attempt < job.def.attempts && !this.closed) {
        const delay = retryDelayMs(job.attempt, job.def.backoffMs);
        this.logger.warn({ err, job: job.def.name, attempt: job.attempt, retryInMs: delay }, 'job failed; retrying');
        this.later({ ...job, attempt: job.attempt + 1 }, delay);
      } else {
        if (key) this.pendingIds.delete(key);
        this.count.failed.add(job.def.queue, 1);
        this.logger.error({ err, job: job.def.name, attempts: job.attempt }, 'job failed for good');
      }
    } finally {
      if (key) {
        this.runningIds.delete(key);
        const again = this.rerun.get(key);
        if (again && !this.closed) {
          this.rerun.delete(key);
          if (!this.pendingIds.has(key)) {
            this.pendingIds.add(key);
            this.push(again);
          }
        }
      }
    }
  }
}

function counter() {
  const m = new Map<string, number>();
  return { get: (q: string) => m.get(q) ?? 0, add: (q: string, n: number) => m.set(q, (m.get(q) ?? 0) + n) };
}
