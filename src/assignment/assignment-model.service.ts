import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { uuidv7 } from '../common/ids';
import { ModelProblem, formatProblem } from '../common/yaml-model';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionService } from '../database/transaction.service';
import { HealthService } from '../observability/health.service';
import { AssignmentModel, RepSpec, parseAssignmentModel, toRepFields } from './assignment-model.schema';
import { AssignmentError } from './assignment.error';
import { AssignmentVersionsRepository } from './assignment-versions.repository';
import { RepsRepository } from './reps.repository';

const EMPTY = `# no workflows/assignment.yaml: every sales-ready lead waits in the unassigned queue\n`;

/**
 * The active assignment.yaml. Read at boot and on reload; each valid version is stored in
 * Postgres and every process follows the newest, like the scoring model. The file's reps are
 * written to the reps table, which routing reads; a broken file never replaces a working one.
 */
@Injectable()
export class AssignmentModelService implements OnModuleInit {
  private readonly logger = new Logger('AssignmentModel');
  private current?: AssignmentModel;
  private problems: ModelProblem[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionService,
    private readonly reps: RepsRepository,
    private readonly versions: AssignmentVersionsRepository,
    health: HealthService,
  ) {
    health.addDetail('assignment', () => ({ version: this.current?.version ?? null, problems: this.problems.map(formatProblem) }));
  }

  get model(): AssignmentModel {
    if (!this.current) throw new AssignmentError('model_invalid', 'No assignment model is loaded');
    return this.current;
  }

  /** Problems of the file as last read, for /health and the reload answer. */
  get lastProblems(): ModelProblem[] {
    return this.problems;
  }

  async onModuleInit(): Promise<void> {
    try {
      await this.reload();
    } catch (e) {
      const stored = await this.versions.active();
      const parsed = stored && parseAssignmentModel(stored.source, stored.file, await this.reps.keys());
      if (!parsed?.ok) throw e;
      this.logger.error(`${(e as Error).message}\nkeeping the last good assignment model ${parsed.model.version}`);
      this.current = parsed.model;
    }
  }

  /** Re-reads the file; all or nothing. Returns the active version. */
  async reload(): Promise<{ version: string; reps: number; rules: number }> {
    const file = join(this.config.workflowsDir, 'assignment.yaml');
    const source = await readFile(file, 'utf8').catch(() => EMPTY);
    const parsed = parseAssignmentModel(source, file, await this.apiRepKeys());
    if (!parsed.ok) {
      this.problems = parsed.problems;
      this.logger.error(`assignment model rejected:\n  ${parsed.problems.map(formatProblem).join('\n  ')}`);
      throw new AssignmentError(
        'model_invalid',
        `${file} is not valid; the previous assignment model stays active`,
        parsed.problems.map((p) => ({ path: `${p.file}:${p.line}${p.path ? `:${p.path}` : ''}`, message: p.message })),
      );
    }
    this.problems = [];
    const m = parsed.model;
    await this.tx.run(async () => {
      await this.syncReps(m.reps);
      await this.versions.activate(m.version, source, file);
    });
    if (this.current?.version !== m.version) this.logger.log(`assignment model ${m.version} active (${m.reps.length} reps, ${m.routing.rules.length} rules)`);
    this.current = m;
    return { version: m.version, reps: m.reps.length, rules: m.routing.rules.length };
  }

  /** Follows reloads made by other processes. */
  @Interval(5000)
  async follow(): Promise<void> {
    try {
      const stored = await this.versions.active();
      if (!stored || stored.version === this.current?.version) return;
      const parsed = parseAssignmentModel(stored.source, stored.file, await this.reps.keys());
      if (parsed.ok) {
        this.current = parsed.model;
        this.logger.log(`assignment model ${parsed.model.version} activated elsewhere; now in use here`);
      }
    } catch (e) {
      this.logger.warn({ err: e }, 'could not check the active assignment model');
    }
  }

  private async apiRepKeys(): Promise<Set<string>> {
    return new Set((await this.reps.list()).filter((r) => r.source === 'api').map((r) => r.key));
  }

  private async syncReps(specs: RepSpec[]): Promise<void> {
    for (const r of specs) {
      const ok = await this.reps.upsert(uuidv7(), toRepFields(r), 'file');
      if (!ok) this.logger.warn(`rep ${r.key} in assignment.yaml has the key of a rep made through the API; the API's rep is kept`);
    }
    await this.reps.deactivateFileRepsExcept(specs.map((r) => r.key));
  }
}
