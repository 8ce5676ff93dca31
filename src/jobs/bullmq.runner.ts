import { Logger } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import { z } from 'zod';
import { EnqueueOptions, JobDefinition, QueueName } from './job-definition';
import { JobQueue, QueueDepth } from './job-queue';
import { JobError } from './job.error';

/** Production mode: jobs on Redis through BullMQ; any number of worker processes consume them. */
export class BullmqJobQueue extends JobQueue {
  readonly mode = 'bullmq' as const;

  constructor(readonly queues: Map<QueueName, Queue>) {
    super();
  }

  async enqueue<S extends z.ZodType>(def: JobDefinition<S>, payload: z.input<S>, opts: EnqueueOptions = {}): Promise<void> {
    await this.enqueueMany(def, [{ payload, opts }]);
  }

  override async enqueueMany<S extends z.ZodType>(def: JobDefinition<S>, jobs: { payload: z.input<S>; opts?: EnqueueOptions }[]): Promise<void> {
    const queue = this.queues.get(def.queue);
    if (!queue) throw new JobError('job_unknown', `No queue "${def.queue}" for job ${def.name}`);
    await queue.addBulk(jobs.map(({ payload, opts = {} }) => ({ name: def.name, data: validPayload(def, payload), opts: this.jobOptions(def, opts) })));
  }

  private jobOptions(def: JobDefinition, opts: EnqueueOptions) {
    return {
      // BullMQ ids may not contain ':' (it separates key parts), so it is swapped out
      jobId: opts.jobId ? `${def.name}.${opts.jobId}`.replace(/:/g, '_') : undefined,
      delay: opts.delayMs,
      attempts: def.attempts,
      backoff: { type: 'exponential', delay: def.backoffMs, jitter: 0.5 },
      // Finished ids are released at once so a later enqueue with the same id runs again (a
      // failed job kept in Redis would block its id). Duplicates of the *work* are stopped by
      // unique keys in Postgres, failures are logged and counted, and sweepers re-derive
      // unfinished work from Postgres.
      removeOnComplete: true,
      removeOnFail: true,
    };
  }

  async depths(): Promise<QueueDepth[]> {
    return Promise.all(
      [...this.queues.entries()].map(async ([name, q]) => {
        const c = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
        return { queue: name, waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
      }),
    );
  }

  async ping(): Promise<void> {
    const [first] = this.queues.values();
    await first.getJobCounts('waiting');
  }
}

function validPayload(def: JobDefinition, payload: unknown): unknown {
  const parsed = def.schema.safeParse(payload);
  if (!parsed.success) throw new JobError('job_invalid_payload', `Invalid payload for ${def.name}: ${parsed.error.message}`);
  return parsed.data;
}

/** The consumer side: one Worker per queue, dispatching by job name into the registry. */
export function createWorker(
  queue: Queue,
  dispatch: (name: string, payload: unknown) => Promise<void>,
  concurrency: number,
  logger: Logger,
  /** jobs per second for this queue across every worker process (BullMQ keeps the limiter in Redis); 0 = none */
  ratePerSecond = 0,
): Worker {
  const worker = new Worker(queue.name, (job: Job) => dispatch(job.name, job.data), {
    connection: queue.opts.connection,
    prefix: queue.opts.prefix,
    concurrency,
    autorun: true,
    // A killed worker's jobs come back within ~15 s instead of BullMQ's default 30-60 s; every
    // handler is idempotent, so a job that stalls a few times (crashes, restarts) is retried, not failed.
    lockDuration: 10_000,
    stalledInterval: 5_000,
    maxStalledCount: 5,
    limiter: ratePerSecond > 0 ? limiterFor(ratePerSecond) : undefined,
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    logger[final ? 'error' : 'warn']({ err, job: job.name, attempt: job.attemptsMade }, final ? 'job failed for good' : 'job failed; retrying');
  });
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  return worker;
}

/** BullMQ counts jobs per window; a rate below 1/s becomes one job per longer window. */
function limiterFor(ratePerSecond: number): { max: number; duration: number } {
  return ratePerSecond >= 1 ? { max: Math.round(ratePerSecond), duration: 1000 } : { max: 1, duration: Math.round(1000 / ratePerSecond) };
}
