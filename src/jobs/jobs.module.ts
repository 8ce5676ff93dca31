import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Queue, Worker } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { BullmqJobQueue, createWorker } from './bullmq.runner';
import { QUEUES, QueueName } from './job-definition';
import { JobQueue } from './job-queue';
import { JobRegistry } from './job-registry.service';
import { InProcessJobQueue } from './in-process.runner';

/** Starts consumers on roles that run workers and drains them on shutdown (SIGTERM). */
@Injectable()
class JobConsumers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private workers: Worker[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queue: JobQueue,
    private readonly registry: JobRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!(this.queue instanceof BullmqJobQueue) || this.config.role === 'api') return;
    this.workers = [...this.queue.queues.values()].map((q) =>
      createWorker(q, (name, payload) => this.registry.dispatch(name, payload), this.config.jobConcurrency, this.logger, rateLimits(this.config)[q.name as QueueName]),
    );
    this.logger.log(`consuming ${this.workers.length} BullMQ queue(s) with concurrency ${this.config.jobConcurrency}`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.queue instanceof InProcessJobQueue) await this.queue.close(this.config.shutdownTimeoutMs);
    // Worker.close() waits for the jobs in flight before it resolves
    await Promise.all(this.workers.map((w) => w.close()));
  }
}

function rateLimits(config: AppConfig): Partial<Record<QueueName, number>> {
  return { delivery: config.mail.rateLimit };
}

@Global()
@Module({})
export class JobsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const common: Provider[] = [JobRegistry, JobConsumers];
    if (!config.redis.url) {
      return {
        module: JobsModule,
        imports: [DiscoveryModule],
        providers: [
          ...common,
          {
            provide: JobQueue,
            inject: [JobRegistry],
            useFactory: (registry: JobRegistry) => new InProcessJobQueue((n, p) => registry.dispatch(n, p), config.jobConcurrency, rateLimits(config)),
          },
        ],
        exports: [JobQueue],
      };
    }
    return {
      module: JobsModule,
      imports: [
        DiscoveryModule,
        // workers block on Redis, so commands must wait for a reconnect instead of failing
        BullModule.forRoot({ connection: { url: config.redis.url, maxRetriesPerRequest: null }, prefix: config.redis.prefix }),
        BullModule.registerQueue(...QUEUES.map((name) => ({ name }))),
      ],
      providers: [
        ...common,
        {
          provide: JobQueue,
          inject: QUEUES.map((q) => getQueueToken(q)),
          useFactory: (...queues: Queue[]) => new BullmqJobQueue(new Map(queues.map((q, i) => [QUEUES[i], q]))),
        },
      ],
      exports: [JobQueue],
    };
  }
}
