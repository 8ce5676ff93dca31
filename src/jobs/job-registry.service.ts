import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { MetricsService } from '../observability/metrics.service';
import { JobDefinition, definedJobs } from './job-definition';
import { JOB_HANDLER } from './job-handler.decorator';
import { registryProblems } from './job-registry.rules';
import { JobError } from './job.error';

type Handler = (payload: unknown) => Promise<unknown>;

/** Finds every `@JobHandler` at boot and refuses to start when a job has no handler or two. */
@Injectable()
export class JobRegistry implements OnModuleInit {
  private readonly logger = new Logger('Jobs');
  private readonly handlers = new Map<string, { def: JobDefinition; run: Handler }>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    const defs = new Map(definedJobs().map((d) => [d.name, d]));
    const found = new Map<string, { owner: string; run: Handler }[]>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || wrapper.isDependencyTreeStatic() === false) continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = instance[method] as Handler;
        const name = this.reflector.get<string | undefined>(JOB_HANDLER, fn);
        if (!name) continue;
        const list = found.get(name) ?? [];
        list.push({ owner: `${wrapper.name as string}.${method}`, run: fn.bind(instance) });
        found.set(name, list);
      }
    }
    const problems = registryProblems(
      [...defs.keys()],
      new Map([...found].map(([name, list]) => [name, list.map((h) => h.owner)])),
    );
    if (problems.length) {
      const code = problems.some((p) => p.includes('no handler')) ? 'job_without_handler' : 'job_two_handlers';
      throw new JobError(code, `Job registry is inconsistent:\n  ${problems.join('\n  ')}`);
    }
    for (const [name, [h]] of found) this.handlers.set(name, { def: defs.get(name)!, run: h.run });
    this.logger.log(`${this.handlers.size} job types registered`);
  }

  definition(name: string): JobDefinition {
    const entry = this.handlers.get(name);
    if (!entry) throw new JobError('job_unknown', `Unknown job "${name}"`);
    return entry.def;
  }

  /** Validates the payload again (it may have crossed a process boundary) and runs the handler. */
  async dispatch(name: string, payload: unknown): Promise<void> {
    const entry = this.handlers.get(name);
    if (!entry) throw new JobError('job_unknown', `Unknown job "${name}"`);
    const parsed = entry.def.schema.safeParse(payload);
    if (!parsed.success) throw new JobError('job_invalid_payload', `Invalid payload for ${name}: ${parsed.error.message}`);
    const stop = this.metrics.jobDuration.startTimer({ job: name });
    try {
      await entry.run(parsed.data);
      this.metrics.jobsProcessed.inc({ job: name, outcome: 'completed' });
    } catch (e) {
      this.metrics.jobsProcessed.inc({ job: name, outcome: 'failed' });
      throw e;
    } finally {
      stop();
    }
  }
}
