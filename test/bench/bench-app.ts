import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ApiKeysService } from '../../src/auth/api-keys.service';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { createHttpApp } from '../../src/http-setup';

/** The server that hosts the throwaway databases; each scenario gets its own database on it. */
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Fixed so a scenario can sign tracking tokens the app accepts. */
export const BENCH_SECRET_KEY = 'bench-secret-key-long-enough-for-the-schema-0123456789';

export type ExtraImports = Parameters<typeof createHttpApp>[2];

export interface ThrowawayDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export interface BenchApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** http://127.0.0.1:<port>, no trailing slash */
  baseUrl: string;
  port: number;
  /** Closes the app and removes its DATA_DIR; safe to call more than once. */
  close(): Promise<void>;
}

export async function withClient<T>(url: string, work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(): Promise<ThrowawayDatabase> {
  const name = `kindling_bench_${randomBytes(6).toString('hex')}`;
  await withClient(POSTGRES_URL, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await withClient(POSTGRES_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * Boots the real app (migrations included) on `databaseUrl` with a temporary DATA_DIR and
 * listens on a free port of 127.0.0.1. `env` overrides or adds configuration variables, and
 * BENCH_APP_ENV (a JSON object, e.g. '{"DATABASE_POOL_SIZE":"20"}') overrides both, to try a
 * setting without editing a scenario.
 */
export async function startApp(databaseUrl: string, opts: { env?: Record<string, string>; imports?: ExtraImports } = {}): Promise<BenchApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kindling-bench-'));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  let app: NestFastifyApplication | undefined;
  try {
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      SECRET_KEY: BENCH_SECRET_KEY,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      ...opts.env,
      ...benchAppEnv(),
    });
    app = await createHttpApp(config, databaseUrl, opts.imports);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const started = app;
    let closing: Promise<void> | undefined;
    return {
      app: started,
      config,
      baseUrl: `http://127.0.0.1:${port}`,
      port,
      close: () => (closing ??= started.close().finally(removeDataDir)),
    };
  } catch (e) {
    await app?.close().catch(() => undefined);
    removeDataDir();
    throw e;
  }
}

function benchAppEnv(): Record<string, string> {
  const raw = process.env.BENCH_APP_ENV;
  if (!raw) return {};
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new Error('BENCH_APP_ENV must be a JSON object of strings');
  }
  return parsed as Record<string, string>;
}

/** A fresh API key for the app's authenticated routes. */
export async function createApiKey(app: NestFastifyApplication, name = 'bench'): Promise<string> {
  return (await app.get(ApiKeysService).create(name)).key;
}
