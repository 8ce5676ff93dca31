import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JobQueue } from '../jobs/job-queue';
import { MetricsService } from './metrics.service';

export interface CheckResult {
  status: 'ok' | 'down' | 'not-used';
  latencyMs?: number;
  detail?: string;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'down';
  checks: { database: CheckResult; redis: CheckResult };
  /** what features report about themselves (e.g. workflow files that did not load); never fails the check */
  details: Record<string, unknown>;
}

const TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  private readonly details = new Map<string, () => unknown>();

  /** Features add a named section to /health (e.g. workflows with problems). */
  addDetail(name: string, read: () => unknown): void {
    this.details.set(name, read);
  }

  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    private readonly metrics: MetricsService,
  ) {}

  async report(): Promise<HealthReport> {
    const [database, redis] = await Promise.all([
      timed(() => this.dataSource.query('SELECT 1')),
      this.jobs.mode === 'bullmq'
        ? timed(() => this.jobs.ping())
        : Promise.resolve<CheckResult>({ status: 'not-used', detail: 'REDIS_URL unset: jobs run in-process' }),
    ]);
    const details = Object.fromEntries([...this.details].map(([name, read]) => [name, read()]));
    return { status: database.status !== 'down' && redis.status !== 'down' ? 'ok' : 'down', checks: { database, redis }, details };
  }

  async metricsText(): Promise<{ contentType: string; body: string }> {
    const depths = await this.jobs.depths().catch(() => []);
    this.metrics.queueDepth.reset();
    for (const d of depths) {
      for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) this.metrics.queueDepth.set({ queue: d.queue, state }, d[state]);
    }
    return { contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() };
  }
}

async function timed(check: () => Promise<unknown>): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      }),
    ]);
    return { status: 'ok', latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (e) {
    return { status: 'down', error: (e as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
