import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError, loadConfig } from './config/app-config';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { createHttpApp, createWorkerContext } from './http-setup';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\nSee the configuration table in README.md.\n`);
      process.exit(1);
    }
    throw e;
  }

  const embedded = config.database.url ? undefined : await startEmbeddedPostgres(config.dataDir, { attach: false });
  const databaseUrl = config.database.url ?? embedded!.url;

  const app = config.role === 'worker' ? await createWorkerContext(config, databaseUrl) : await createHttpApp(config, databaseUrl);
  const log = new Logger('Kindling');
  log.log(
    `database: ${embedded ? `embedded PGlite in ${config.dataDir}/pgdata (served on ${embedded.url})` : 'PostgreSQL at DATABASE_URL'}; ` +
      `jobs: ${config.redis.url ? 'BullMQ on REDIS_URL' : 'in-process (REDIS_URL unset)'}; ` +
      `mail: ${config.smtpUrl ? 'SMTP_URL' : `outbox in ${config.dataDir}/outbox`}; role: ${config.role}`,
  );
  if (!config.secretKeyFromEnv) log.warn(`SECRET_KEY unset: using a generated key kept in ${config.dataDir}/secret.key`);

  if (config.role !== 'worker') {
    await (app as NestFastifyApplication).listen({ port: config.port, host: config.host });
    log.log(`listening on ${config.publicUrl} (API docs at ${config.publicUrl}/docs)`);
  }
  // SIGTERM/SIGINT: stop taking work, let jobs in flight finish (bounded by SHUTDOWN_TIMEOUT_MS),
  // close the pools, and only then close the embedded database so it is shut down cleanly.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.log(`${signal}: draining and shutting down`);
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5000).unref();
    try {
      await app.close();
      await embedded?.stop();
    } finally {
      clearTimeout(force);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`Kindling failed to start: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
