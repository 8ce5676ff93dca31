import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Env, envSchema } from './config.schema';

export interface AppConfig {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  publicUrl: string;
  secretKey: string;
  /** true when SECRET_KEY came from the environment, false when generated into DATA_DIR */
  secretKeyFromEnv: boolean;
  database: { url?: string; poolSize: number; migrateOnBoot: boolean };
  redis: { url?: string; prefix: string };
  /** older signing keys still accepted for tracking and unsubscribe links (key rotation) */
  previousSecretKeys: string[];
  smtpUrl?: string;
  mail: {
    from: string;
    unsubscribeMailto: string;
    poolSize: number;
    /** messages per second across all workers; 0 = no limit */
    rateLimit: number;
    timeoutMs: number;
    retryHorizonMs: number;
    /** first retry delay after a 4xx or connection failure; doubles per attempt */
    retryBaseMs: number;
    dkim?: { domainName: string; keySelector: string; privateKey: string };
  };
  bounceWebhookToken?: string;
  dataDir: string;
  /** MJML email and page templates (absolute); see templates/README.md */
  templatesDir: string;
  /** scoring.yaml, grading.yaml and the nurture workflows (absolute) */
  workflowsDir: string;
  role: Env['APP_ROLE'];
  logLevel: Env['LOG_LEVEL'];
  jobConcurrency: number;
  shutdownTimeoutMs: number;
  /** how long a claimed enrollment stays taken before another scheduler may claim it again (its worker died) */
  enrollmentLeaseMs: number;
  /** how long a send being delivered stays taken; a worker that dies mid-send frees it after this */
  deliveryLeaseMs: number;
  /** outbound webhooks (src/webhooks): request timeout, posts at once per process, retry horizon and first delay, how often due deliveries are looked for */
  webhooks: { timeoutMs: number; concurrency: number; retryHorizonMs: number; retryBaseMs: number; pollMs: number };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the environment once. Empty strings count as unset so `FOO=` in a .env file does not defeat a default. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({
        variable: String(i.path[0] ?? '(env)'),
        message: i.code === 'invalid_type' && raw[String(i.path[0])] === undefined ? 'is required' : i.message,
      })),
    );
  }
  const env = parsed.data;
  const dataDir = resolve(env.DATA_DIR);
  const secret = env.SECRET_KEY ? { key: env.SECRET_KEY, fromEnv: true } : { key: generatedSecret(dataDir), fromEnv: false };
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    secretKey: secret.key,
    secretKeyFromEnv: secret.fromEnv,
    database: { url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE, migrateOnBoot: env.MIGRATE_ON_BOOT },
    redis: { url: env.REDIS_URL, prefix: env.QUEUE_PREFIX },
    previousSecretKeys: (env.SECRET_KEYS_PREVIOUS ?? '').split(',').map((k) => k.trim()).filter(Boolean),
    smtpUrl: env.SMTP_URL,
    mail: {
      from: env.MAIL_FROM,
      unsubscribeMailto: env.UNSUBSCRIBE_MAILTO ?? `unsubscribe@${mailDomain(env.MAIL_FROM)}`,
      poolSize: env.SMTP_POOL_SIZE,
      rateLimit: env.SMTP_RATE_LIMIT,
      timeoutMs: env.SMTP_TIMEOUT_MS,
      retryHorizonMs: env.DELIVERY_RETRY_HOURS * 3600_000,
      retryBaseMs: env.DELIVERY_RETRY_BASE_MS,
      dkim:
        env.DKIM_DOMAIN && env.DKIM_SELECTOR && env.DKIM_PRIVATE_KEY
          ? { domainName: env.DKIM_DOMAIN, keySelector: env.DKIM_SELECTOR, privateKey: env.DKIM_PRIVATE_KEY.replace(/\\n/g, '\n') }
          : undefined,
    },
    bounceWebhookToken: env.BOUNCE_WEBHOOK_TOKEN,
    dataDir,
    templatesDir: resolve(env.TEMPLATES_DIR),
    workflowsDir: resolve(env.WORKFLOWS_DIR),
    role: env.APP_ROLE,
    logLevel: env.LOG_LEVEL,
    jobConcurrency: env.JOB_CONCURRENCY,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    enrollmentLeaseMs: env.ENROLLMENT_LEASE_MS,
    deliveryLeaseMs: env.DELIVERY_LEASE_MS,
    webhooks: {
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      concurrency: env.WEBHOOK_CONCURRENCY,
      retryHorizonMs: env.WEBHOOK_RETRY_HOURS * 3600_000,
      retryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
      pollMs: env.WEBHOOK_POLL_MS,
    },
  };
}

/** The domain of "Name <user@domain>" or "user@domain". */
export function mailDomain(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return address.split('@')[1]?.trim() || 'localhost';
}

/**
 * Development convenience: without SECRET_KEY a random key is kept in DATA_DIR so signed links
 * stay valid across restarts. Production refuses to boot without SECRET_KEY (see the schema).
 */
function generatedSecret(dataDir: string): string {
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, key, { mode: 0o600 });
  return key;
}
