import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ApiKeysService } from '../../src/auth/api-keys.service';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { createHttpApp } from '../../src/http-setup';
import { TEST_REDIS_URL, createTestDatabase, createTestQueuePrefix, dropTestDatabase } from './infra';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  databaseUrl: string;
  http: ReturnType<typeof request>;
  apiKey: string;
  auth: { authorization: string };
  close(): Promise<void>;
}

type Extra = Parameters<typeof createHttpApp>[2];

/**
 * Boots the real app on its own Postgres database and (unless `redis: false`) its own BullMQ
 * prefix on the real Redis, with an API key ready to use.
 */
export async function bootTestApp(
  opts: { redis?: boolean; env?: Record<string, string>; imports?: Extra; /** reuse this database (a restart) */ databaseUrl?: string; keepDatabase?: boolean } = {},
): Promise<TestApp> {
  const db = opts.databaseUrl ? { url: opts.databaseUrl, drop: () => dropTestDatabase(opts.databaseUrl!) } : await createTestDatabase();
  if (opts.keepDatabase) db.drop = async () => undefined;
  const queue = createTestQueuePrefix();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'kindling-test-')),
    SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
    DATABASE_URL: db.url,
    ...(opts.redis === false ? {} : { REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: queue.prefix }),
    ...opts.env,
  });
  let app: NestFastifyApplication;
  try {
    app = await createHttpApp(config, db.url, opts.imports);
  } catch (e) {
    await db.drop();
    throw e;
  }
  await app.getHttpAdapter().getInstance().ready();
  const { key } = await app.get(ApiKeysService).create('test');
  return {
    app,
    config,
    databaseUrl: db.url,
    http: request(app.getHttpServer()),
    apiKey: key,
    auth: { authorization: `Bearer ${key}` },
    close: async () => {
      await app.close();
      await queue.clear();
      await db.drop();
    },
  };
}
