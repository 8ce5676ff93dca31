import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';

/** The Redis a scenario may use for BullMQ; each run takes its own key prefix on it. */
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface QueuePrefix {
  /** a QUEUE_PREFIX value no other run uses */
  prefix: string;
  /** Deletes every key under the prefix; returns how many. */
  clear(): Promise<number>;
}

export function createQueuePrefix(): QueuePrefix {
  const prefix = `kindling_bench_${randomBytes(6).toString('hex')}`;
  return {
    prefix,
    clear: async () => {
      const redis = new IORedis(REDIS_URL, { maxRetriesPerRequest: 1 });
      let deleted = 0;
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) deleted += await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
      return deleted;
    },
  };
}
