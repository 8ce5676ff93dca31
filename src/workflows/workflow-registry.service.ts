import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ModelProblem, formatProblem } from '../common/yaml-model';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DEFAULT_SEND_POLICY, parseSendPolicy } from '../delivery/send-policy.schema';
import { SendPolicy } from '../delivery/send-window.policy';
import { TemplateRegistryService } from '../email/template-registry.service';
import { HealthService } from '../observability/health.service';
import { WorkflowVersionsRepository } from './workflow-versions.repository';
import { parseWorkflow } from './workflow.schema';
import { WorkflowDefinition } from './workflow.types';
import { workflowSetProblems } from './workflow-validate.rules';
import { WorkflowError } from './workflow.error';

/** Files in WORKFLOWS_DIR that are models, not workflows (policy.yaml is read as the send policy). */
const NOT_WORKFLOWS = new Set(['scoring.yaml', 'grading.yaml', 'assignment.yaml', 'policy.yaml']);

export interface LoadedWorkflow {
  def: WorkflowDefinition;
  versionId: string;
}

/**
 * The workflow files: read and validated at boot (and by `workflows check`); each valid file is
 * stored as a version and becomes the one new enrollments use. A broken file never stops the
 * valid ones: it is reported in the log and at /health, and its previous version keeps running.
 */
@Injectable()
export class WorkflowRegistryService implements OnModuleInit {
  private readonly logger = new Logger('Workflows');
  private active = new Map<string, LoadedWorkflow>();
  private byVersion = new Map<string, WorkflowDefinition>();
  private problems: ModelProblem[] = [];
  policy: SendPolicy = DEFAULT_SEND_POLICY;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly templates: TemplateRegistryService,
    private readonly versions: WorkflowVersionsRepository,
    health: HealthService,
  ) {
    health.addDetail('workflows', () => ({ active: this.active.size, problems: this.problems.map(formatProblem) }));
  }

  async onModuleInit(): Promise<void> {
    await this.load();
  }

  /** Reads every workflow file again; returns the problems (also kept for /health). */
  async load(): Promise<ModelProblem[]> {
    const { workflows, problems, warnings, policy } = await readWorkflowDir(this.config.workflowsDir, new Set(this.templates.list().map((t) => t.name)));
    for (const w of warnings) this.logger.warn(formatProblem(w));
    for (const p of problems) this.logger.error(formatProblem(p));
    const next = new Map<string, LoadedWorkflow>();
    for (const { def, source } of workflows) {
      const versionId = await this.versions.activate(def.key, def.version, relative(this.config.workflowsDir, def.file), source, def.track);
      next.set(def.key, { def, versionId });
      this.byVersion.set(versionId, def);
    }
    // a workflow whose file broke keeps running on what it had
    for (const [key, prev] of this.active) if (!next.has(key) && problems.some((p) => p.file.endsWith(relative(this.config.workflowsDir, prev.def.file)))) next.set(key, prev);
    this.active = next;
    this.problems = problems;
    if (policy) this.policy = policy;
    this.logger.log(`${next.size} workflows active${problems.length ? `, ${problems.length} problem(s)` : ''}`);
    return problems;
  }

  list(): LoadedWorkflow[] {
    return [...this.active.values()].sort((a, b) => a.def.key.localeCompare(b.def.key));
  }

  get(key: string): LoadedWorkflow {
    const w = this.active.get(key);
    if (!w) throw new WorkflowError('workflow_not_found', `No workflow "${key}"`);
    return w;
  }

  track(temperature: string): LoadedWorkflow | undefined {
    return this.list().find((w) => w.def.track === temperature);
  }

  /** The definition an enrollment runs on: the version it started on, loaded from Postgres if needed. */
  async version(versionId: string): Promise<WorkflowDefinition | undefined> {
    const known = this.byVersion.get(versionId);
    if (known) return known;
    const stored = await this.versions.source(versionId);
    if (!stored) return undefined;
    const parsed = parseWorkflow(stored.source, stored.file, { templates: new Set(this.templates.list().map((t) => t.name)) });
    if (!parsed.ok) {
      this.logger.error(`stored version ${stored.version} of ${stored.key} no longer validates: ${parsed.problems.map(formatProblem).join('; ')}`);
      return undefined;
    }
    this.byVersion.set(versionId, parsed.workflow);
    return parsed.workflow;
  }

  currentProblems(): ModelProblem[] {
    return this.problems;
  }
}

/** Reads and validates a workflows directory without touching the database (boot and CLI). */
export async function readWorkflowDir(dir: string, templates: ReadonlySet<string>) {
  const files = await yamlFiles(dir);
  const workflows: { def: WorkflowDefinition; source: string }[] = [];
  const problems: ModelProblem[] = [];
  const warnings: ModelProblem[] = [];
  let policy: SendPolicy | undefined;
  for (const file of files) {
    const source = await readFile(file, 'utf8');
    if (relative(dir, file) === 'policy.yaml') {
      const parsed = parseSendPolicy(source, file);
      if (parsed.ok) policy = parsed.policy;
      else problems.push(...parsed.problems);
      continue;
    }
    const parsed = parseWorkflow(source, file, { templates });
    warnings.push(...parsed.warnings);
    if (parsed.ok) workflows.push({ def: parsed.workflow, source });
    else problems.push(...parsed.problems);
  }
  const clashes = workflowSetProblems(workflows.map((w) => w.def));
  problems.push(...clashes);
  const clashing = new Set(clashes.map((c) => c.file));
  return { workflows: workflows.filter((w) => !clashing.has(w.def.file)), problems, warnings, policy };
}

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFiles(path)));
    else if (entry.name.endsWith('.yaml') && (entry.name === 'policy.yaml' || !NOT_WORKFLOWS.has(entry.name))) out.push(path);
  }
  return out.sort();
}
