import { z } from 'zod';
import { JobError } from './job.error';

/** `delivery` is separate so a global send rate can be enforced on it alone. */
export const QUEUES = ['default', 'delivery'] as const;
export type QueueName = (typeof QUEUES)[number];

export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  schema: S;
  queue: QueueName;
  /** total tries, the first included */
  attempts: number;
  /** first retry delay; doubles each attempt, with jitter */
  backoffMs: number;
}

export type JobPayload<D extends JobDefinition> = z.output<D['schema']>;

const catalog = new Map<string, JobDefinition>();

/**
 * Declares a job: its name, the zod schema its payload must satisfy and its retry policy.
 * Exactly one provider method must handle it (`@JobHandler(def)`), checked at boot.
 */
export function defineJob<S extends z.ZodType>(
  name: string,
  schema: S,
  opts: Partial<Pick<JobDefinition, 'queue' | 'attempts' | 'backoffMs'>> = {},
): JobDefinition<S> {
  if (catalog.has(name)) throw new JobError('job_duplicate_definition', `Job "${name}" is defined twice`);
  const def: JobDefinition<S> = { name, schema, queue: opts.queue ?? 'default', attempts: opts.attempts ?? 8, backoffMs: opts.backoffMs ?? 1000 };
  catalog.set(name, def);
  return def;
}

export function definedJobs(): JobDefinition[] {
  return [...catalog.values()];
}

export interface EnqueueOptions {
  /** Deterministic id: a second enqueue with the same id while the first is pending is a no-op. */
  jobId?: string;
  delayMs?: number;
}
