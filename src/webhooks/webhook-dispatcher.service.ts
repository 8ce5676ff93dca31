import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionService } from '../database/transaction.service';
import { JobQueue } from '../jobs/job-queue';
import { MetricsService } from '../observability/metrics.service';
import { ClaimedDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookHttpClient } from './webhook-http.client';
import { Decision, decide } from './webhook-retry.policy';
import { WebhookRoutesCache } from './webhook-routes.cache';
import { open, sealingKey } from './webhook-secret.rules';
import { signedHeaders } from './webhook-signature.rules';
import { WebhookSubscriptionsRepository } from './webhook-subscriptions.repository';

/** Events (and their delivery log) older than this are deleted. */
export const RETENTION_MS = 30 * 24 * 3600_000;
const PURGE_EVERY_MS = 3600_000;

/**
 * Posts due deliveries. Each tick claims as many as there are free slots (WEBHOOK_CONCURRENCY
 * per process, at most half of them for any one endpoint) and starts them without waiting for
 * the others, so a slow endpoint holds only its own slots and never the engine: emitters only
 * ever write rows. A finished post frees its slot and looks for more work straight away.
 * Runs in worker processes (and in `all`), like the other schedulers.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Webhooks');
  private readonly keys: Buffer[];
  private readonly perEndpoint: number;
  private readonly leaseMs: number;
  private readonly outcomes: Counter<'outcome'>;
  private readonly inFlight = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private claiming = false;
  private stopped = false;
  private lastPurge = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionService,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly subscriptions: WebhookSubscriptionsRepository,
    private readonly routes: WebhookRoutesCache,
    private readonly http: WebhookHttpClient,
    private readonly jobs: JobQueue,
    metrics: MetricsService,
  ) {
    this.keys = [config.secretKey, ...config.previousSecretKeys].map(sealingKey);
    this.perEndpoint = Math.max(1, Math.floor(config.webhooks.concurrency / 2));
    // the lease outlasts the request and the write of its outcome; a dead worker's claims come back after it
    this.leaseMs = config.webhooks.timeoutMs + 30_000;
    this.outcomes = new Counter({
      name: 'kindling_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry, failed, gone)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
  }

  private get enabled(): boolean {
    return !(this.config.role === 'api' && this.jobs.mode === 'bullmq');
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    // an interval from config (not @Interval) so tests can poll every few milliseconds
    this.timer = setInterval(() => void this.tick(), this.config.webhooks.pollMs);
  }

  /** Stops claiming and lets posts in flight finish (each is bounded by WEBHOOK_TIMEOUT_MS). */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.running]);
  }

  /** Claims what is due and starts posting it; returns how many were started. */
  async tick(): Promise<number> {
    if (this.stopped || this.claiming) return 0;
    const free = this.config.webhooks.concurrency - this.running.size;
    if (free <= 0) return 0;
    this.claiming = true;
    try {
      await this.purgeIfDue();
      // nobody subscribed (as far as this process knows): no claim query
      if (!(await this.routes.get()).length) return 0;
      const claimed = await this.tx.run(() =>
        this.deliveries.claimDue({ limit: free, perEndpoint: this.perEndpoint, busy: this.inFlight, leaseMs: this.leaseMs, token: randomUUID(), now: new Date() }),
      );
      for (const d of claimed) this.start(d);
      return claimed.length;
    } catch (e) {
      this.logger.warn({ err: e }, 'could not claim due webhook deliveries; next tick tries again');
      return 0;
    } finally {
      this.claiming = false;
    }
  }

  private start(d: ClaimedDelivery): void {
    this.inFlight.set(d.subscription_id, (this.inFlight.get(d.subscription_id) ?? 0) + 1);
    const run = this.attempt(d)
      .catch((e: unknown) => this.logger.error({ err: e, deliveryId: d.id }, 'webhook attempt failed unexpectedly; its lease will expire and it is retried'))
      .finally(() => {
        const n = (this.inFlight.get(d.subscription_id) ?? 1) - 1;
        if (n > 0) this.inFlight.set(d.subscription_id, n);
        else this.inFlight.delete(d.subscription_id);
        this.running.delete(run);
        if (!this.stopped) void this.tick();
      });
    this.running.add(run);
  }

  private async attempt(d: ClaimedDelivery): Promise<void> {
    const timestampS = Math.floor(Date.now() / 1000);
    let result;
    try {
      const secrets = [open(d.secret_sealed, this.keys, d.subscription_id)];
      if (d.previous_secret_sealed && d.previous_secret_until && d.previous_secret_until > new Date()) {
        secrets.push(open(d.previous_secret_sealed, this.keys, d.subscription_id));
      }
      const headers = {
        ...signedHeaders(secrets, d.event_id, timestampS, d.body),
        'content-type': 'application/json',
        'user-agent': 'Kindling-Webhooks/1.0',
      };
      result = await this.http.post(d.url, d.body, headers, this.config.webhooks.timeoutMs);
    } catch (e) {
      // a secret that no key opens (SECRET_KEY replaced without SECRET_KEYS_PREVIOUS): retried until the horizon, visible in the log
      result = { status: null, error: (e as Error).message, timedOut: false, durationMs: 0 };
    }
    const now = new Date();
    const decision = decide(result, {
      attempts: d.attempts,
      eventAt: d.event_at,
      now,
      horizonMs: this.config.webhooks.retryHorizonMs,
      baseMs: this.config.webhooks.retryBaseMs,
    });
    await this.record(d, decision, { code: result.status, error: decision.kind === 'delivered' ? null : (decision.reason ?? null), durationMs: result.durationMs, at: now });
    this.outcomes.inc({ outcome: decision.kind });
  }

  private async record(d: ClaimedDelivery, decision: Decision, r: { code: number | null; error: string | null; durationMs: number; at: Date }): Promise<void> {
    const base = { responseCode: r.code, error: r.error, durationMs: r.durationMs, at: r.at };
    switch (decision.kind) {
      case 'delivered':
        await this.deliveries.record(d.id, d.lease_token, { ...base, status: 'delivered', nextAttemptAt: null });
        return;
      case 'retry':
        await this.deliveries.record(d.id, d.lease_token, { ...base, status: 'pending', nextAttemptAt: decision.at });
        return;
      case 'failed':
        await this.deliveries.record(d.id, d.lease_token, { ...base, status: 'failed', nextAttemptAt: null });
        this.logger.warn({ deliveryId: d.id, subscriptionId: d.subscription_id, reason: decision.reason }, 'webhook delivery failed for good');
        return;
      case 'gone': {
        const reason = `the endpoint answered 410 Gone at ${r.at.toISOString()}`;
        await this.tx.run(async () => {
          await this.deliveries.record(d.id, d.lease_token, { ...base, status: 'failed', nextAttemptAt: null });
          if (await this.subscriptions.deactivate(d.subscription_id, reason)) await this.deliveries.failPending(d.subscription_id, `not sent: ${reason}`);
        });
        this.routes.invalidate();
        this.logger.warn({ subscriptionId: d.subscription_id, url: d.url }, 'webhook endpoint answered 410 Gone: subscription deactivated');
        return;
      }
    }
  }

  private async purgeIfDue(): Promise<void> {
    if (Date.now() - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = Date.now();
    const n = await this.deliveries.purge(new Date(Date.now() - RETENTION_MS), 10_000);
    if (n) this.logger.log(`removed ${n} webhook events older than ${RETENTION_MS / 86_400_000} days`);
  }
}
