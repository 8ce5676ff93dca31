import { JobDefinition, EnqueueOptions } from './job-definition';
import { z } from 'zod';

export interface QueueDepth {
  queue: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

/** What services use to schedule work. BullMQ (REDIS_URL set) or in-process behind it. */
export abstract class JobQueue {
  abstract readonly mode: 'bullmq' | 'in-process';
  abstract enqueue<S extends z.ZodType>(def: JobDefinition<S>, payload: z.input<S>, opts?: EnqueueOptions): Promise<void>;
  /** Many jobs of one kind at once (one round trip to Redis). */
  async enqueueMany<S extends z.ZodType>(def: JobDefinition<S>, jobs: { payload: z.input<S>; opts?: EnqueueOptions }[]): Promise<void> {
    for (const j of jobs) await this.enqueue(def, j.payload, j.opts);
  }
  abstract depths(): Promise<QueueDepth[]>;
  abstract ping(): Promise<void>;
}
