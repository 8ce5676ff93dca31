import { z } from 'zod';

const urlWithScheme = (schemes: string[]) =>
  z.url().refine((v) => schemes.some((s) => v.startsWith(`${s}:`)), {
    message: `must start with ${schemes.map((s) => `${s}://`).join(' or ')}`,
  });

const boolFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Every variable the engine reads. Parsed once at boot; nothing else touches process.env. */
export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    PUBLIC_URL: urlWithScheme(['http', 'https']).optional(),
    SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    DATABASE_URL: urlWithScheme(['postgres', 'postgresql']).optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    REDIS_URL: urlWithScheme(['redis', 'rediss']).optional(),
    QUEUE_PREFIX: z.string().regex(/^[a-zA-Z0-9_-]+$/).default('kindling'),
    SECRET_KEYS_PREVIOUS: z.string().optional(),
    SMTP_URL: urlWithScheme(['smtp', 'smtps']).optional(),
    SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
    SMTP_RATE_LIMIT: z.coerce.number().min(0).default(0),
    SMTP_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
    MAIL_FROM: z.string().min(3).default('Kindling <kindling@localhost>'),
    UNSUBSCRIBE_MAILTO: z.email().optional(),
    DELIVERY_RETRY_BASE_MS: z.coerce.number().int().min(10).default(30_000),
    DELIVERY_RETRY_HOURS: z.coerce.number().min(0).max(24 * 30).default(72),
    DKIM_DOMAIN: z.string().min(1).optional(),
    DKIM_SELECTOR: z.string().min(1).optional(),
    DKIM_PRIVATE_KEY: z.string().min(1).optional(),
    BOUNCE_WEBHOOK_TOKEN: z.string().min(16).optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    TEMPLATES_DIR: z.string().min(1).default('./templates'),
    WORKFLOWS_DIR: z.string().min(1).default('./workflows'),
    APP_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    MIGRATE_ON_BOOT: boolFromEnv.default(true),
    JOB_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(15000),
    ENROLLMENT_LEASE_MS: z.coerce.number().int().min(1000).default(120_000),
    DELIVERY_LEASE_MS: z.coerce.number().int().min(1000).default(300_000),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
    WEBHOOK_RETRY_HOURS: z.coerce.number().min(0).max(24 * 7).default(24),
    WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).default(30_000),
    WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  })
  .superRefine((env, ctx) => {
    const dkim = [env.DKIM_DOMAIN, env.DKIM_SELECTOR, env.DKIM_PRIVATE_KEY].filter(Boolean).length;
    if (dkim > 0 && dkim < 3) {
      ctx.addIssue({ code: 'custom', path: ['DKIM_PRIVATE_KEY'], message: 'DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY go together' });
    }
    for (const [i, k] of (env.SECRET_KEYS_PREVIOUS ?? '').split(',').filter(Boolean).entries()) {
      if (k.trim().length < 32) ctx.addIssue({ code: 'custom', path: ['SECRET_KEYS_PREVIOUS'], message: `key ${i + 1} must be at least 32 characters` });
    }
    if (env.NODE_ENV === 'production' && !env.SECRET_KEY) {
      ctx.addIssue({ code: 'custom', path: ['SECRET_KEY'], message: 'is required when NODE_ENV=production' });
    }
  });

export type Env = z.infer<typeof envSchema>;
