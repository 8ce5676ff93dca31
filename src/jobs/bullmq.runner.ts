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
    const parsed = def.schema.safeParse(payload);
    if (!parsed.success) throw new JobError('job_invalid_payload', `Invalid payload for ${def.name}: ${parsed.error.message}`);
    const queue = this.queues.get(def.queue);
    if (!queue) throw new JobError('job_unknown', `No queue "${def.queue}" for job ${def.name}`);
    await queue.add(def.name, parsed.data, {
      // BullMQ ids may not contain ':' (it separates key parts), so it is swapped out
      jobId: opts.jobId ? `${def.name}.${opts.jobId}`.replace(/:/g, '_') : undefined,
      delay: opts.delayMs,
      attempts: def.attempts,
      backoff: { type: 'exponential', delay: def.backoffMs, jitter: 0.5 },
      // completed ids are released at once so a later enqueue with the same id runs again;
      // duplicates of the *work* are stopped by unique keys in Postgres, not by the queue
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    });
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

/** The consumer side: one Worker per queue, dispatching by job name into the registry. */
export function createWorker(
  queue: Queue,
  dispatch: (name: string, payload: unknown) => Promise<void>,
  concurrency: number,
  logger: Logger,
): Worker {
  const worker = new Worker(queue.name, (job: Job) => dispatch(job.name, job.data), {
    connection: queue.opts.connection,
    prefix: queue.opts.prefix,
    concurrency,
    autorun: true,
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    logger[final ? 'error' : 'warn']({ err, job: job.name, attempt: job.attemptsMade }, final ? 'job failed for good' : 'job failed; retrying');
  });
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  return worker;
}
