import { Client } from 'pg';
import IORedis from 'ioredis';
import { TEST_POSTGRES_URL, TEST_REDIS_URL } from './infra';

/** Fails fast, with the fix, when the servers the integration tests need are not running. */
export default async function globalSetup(): Promise<void> {
  const pg = new Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await pg.connect();
    await pg.end();
  } catch (e) {
    throw new Error(`Integration tests need PostgreSQL at ${TEST_POSTGRES_URL} (set TEST_POSTGRES_URL): ${(e as Error).message}`);
  }
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 3000, lazyConnect: true });
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    throw new Error(`Integration tests need Redis at ${TEST_REDIS_URL} (set TEST_REDIS_URL): ${(e as Error).message}`);
  } finally {
    redis.disconnect();
  }
}
