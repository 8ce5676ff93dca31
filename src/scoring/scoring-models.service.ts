import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelProblem, formatProblem } from '../common/yaml-model';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { GradingModel, parseGradingModel } from '../grading/grading-model.schema';
import { ModelKind, ModelVersionsRepository } from './model-versions.repository';
import { ScoringModel, parseScoringModel } from './scoring-model.schema';
import { ScoringError } from './scoring.error';

type Parsed = { ok: true; model: ScoringModel | GradingModel } | { ok: false; problems: ModelProblem[] };
const PARSERS: Record<ModelKind, (source: string, file: string) => Parsed> = { scoring: parseScoringModel, grading: parseGradingModel };

/**
 * The active scoring and grading models. The files in WORKFLOWS_DIR are read at boot and on
 * reload; each valid version is stored and activated in Postgres, and every process follows
 * the active version there, so a reload through the API reaches the workers too. A broken file
 * never replaces a working model.
 */
@Injectable()
export class ScoringModelsService implements OnModuleInit {
  private readonly logger = new Logger('ScoringModels');
  private current: { scoring?: ScoringModel; grading?: GradingModel } = {};

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly versions: ModelVersionsRepository,
  ) {}

  get scoring(): ScoringModel {
    if (!this.current.scoring) throw new ScoringError('model_missing', 'No scoring model is loaded');
    return this.current.scoring;
  }

  get grading(): GradingModel {
    if (!this.current.grading) throw new ScoringError('model_missing', 'No grading model is loaded');
    return this.current.grading;
  }

  async onModuleInit(): Promise<void> {
    for (const kind of ['scoring', 'grading'] as const) {
      try {
        await this.loadFile(kind);
      } catch (e) {
        // keep running on the last good version in Postgres; with none, there is nothing to run on
        const stored = (await this.versions.active()).find((m) => m.kind === kind);
        if (!stored) throw e;
        this.logger.error(`${(e as Error).message}\nkeeping the last good ${kind} model ${stored.version}`);
        this.adopt(kind, stored.source, stored.file);
      }
    }
  }

  /** Re-reads both files; all-or-nothing per file. Returns the active versions. */
  async reload(): Promise<{ scoring: string; grading: string }> {
    const problems: ModelProblem[] = [];
    for (const kind of ['scoring', 'grading'] as const) {
      try {
        await this.loadFile(kind);
      } catch (e) {
        if (e instanceof ScoringError) problems.push(...e.problems);
        else throw e;
      }
    }
    if (problems.length) throw new ScoringError('model_invalid', 'The previous model stays active', problems);
    return { scoring: this.scoring.version, grading: this.grading.version };
  }

  /** Validates a candidate without activating it (what-if). */
  parse<K extends ModelKind>(kind: K, source: string, file: string): K extends 'scoring' ? ScoringModel : GradingModel {
    const parsed = PARSERS[kind](source, file);
    if (!parsed.ok) throw new ScoringError('model_invalid', `${file} is not a valid ${kind} model`, parsed.problems);
    return parsed.model as K extends 'scoring' ? ScoringModel : GradingModel;
  }

  /** Follows activations made by other processes. */
  @Interval(5000)
  async follow(): Promise<void> {
    try {
      for (const m of await this.versions.active()) {
        if (this.current[m.kind]?.version !== m.version) {
          this.adopt(m.kind, m.source, m.file);
          this.logger.log(`${m.kind} model ${m.version} activated elsewhere; now in use here`);
        }
      }
    } catch (e) {
      this.logger.warn({ err: e }, 'could not check the active models');
    }
  }

  private async loadFile(kind: ModelKind): Promise<void> {
    const file = join(this.config.workflowsDir, `${kind}.yaml`);
    let source: string;
    try {
      source = await readFile(file, 'utf8');
    } catch {
      throw new ScoringError('model_invalid', `Cannot read ${file}`, [{ file, line: 1, path: '', message: 'file not found' }]);
    }
    const model = this.parse(kind, source, file);
    if (this.current[kind]?.version === model.version) return;
    await this.versions.activate({ kind, version: model.version, source, file });
    this.set(kind, model);
    this.logger.log(`${kind} model ${model.version} active (${file})`);
  }

  private adopt(kind: ModelKind, source: string, file: string): void {
    const parsed = PARSERS[kind](source, file);
    if (!parsed.ok) {
      this.logger.error(`stored ${kind} model no longer parses:\n  ${parsed.problems.map(formatProblem).join('\n  ')}`);
      return;
    }
    this.set(kind, parsed.model);
  }

  private set(kind: ModelKind, model: ScoringModel | GradingModel): void {
    if (kind === 'scoring') this.current.scoring = model as ScoringModel;
    else this.current.grading = model as GradingModel;
  }
}
