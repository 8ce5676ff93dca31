import { Injectable } from '@nestjs/common';
import { ErrorDetail } from '../common/app-error';
import { TransactionService } from '../database/transaction.service';
import { EnrollmentsRepository } from './enrollments.repository';
import { WorkflowEngine } from './workflow-engine.service';
import { WorkflowRegistryService } from './workflow-registry.service';
import { WorkflowVersionsRepository } from './workflow-versions.repository';
import { WorkflowError } from './workflow.error';
import { formatProblem } from '../common/yaml-model';

@Injectable()
export class WorkflowsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly registry: WorkflowRegistryService,
    private readonly engine: WorkflowEngine,
    private readonly enrollments: EnrollmentsRepository,
    private readonly versions: WorkflowVersionsRepository,
  ) {}

  async list() {
    const states = await this.versions.states();
    const data = await Promise.all(
      this.registry.list().map(async (w) => ({
        key: w.def.key,
        name: w.def.name,
        track: w.def.track,
        trigger: w.def.trigger.kind,
        priority: w.def.priority,
        version: w.def.version,
        paused: states.get(w.def.key)?.paused ?? false,
        counts: countsOf(await this.enrollments.countsByStep(w.def.key)),
      })),
    );
    return { data, problems: this.registry.currentProblems().map(formatProblem) };
  }

  async get(key: string) {
    const w = this.registry.get(key);
    const rows = await this.enrollments.countsByStep(key);
    const waitingAt = new Map(rows.filter((r) => r.status === 'waiting').map((r) => [r.step_id, r.n]));
    return {
      key,
      name: w.def.name,
      version: w.def.version,
      track: w.def.track,
      trigger: w.def.trigger,
      paused: (await this.versions.states()).get(key)?.paused ?? false,
      counts: countsOf(rows),
      steps: w.def.steps.map((s) => ({ id: s.id, kind: s.kind, waiting: waitingAt.get(s.id) ?? 0 })),
    };
  }

  /** Enrolls each lead or says why not; unknown lead ids make the whole request fail, nothing enrolled. */
  async enroll(key: string, leadIds: string[]) {
    const w = this.registry.get(key);
    return this.tx.run(async () => {
      const known = await this.tx.manager.query<{ id: string }[]>(`SELECT id FROM leads WHERE id = ANY($1::uuid[]) AND erased_at IS NULL`, [leadIds]);
      const missing = leadIds.filter((id) => !known.some((k) => k.id === id));
      if (missing.length) {
        const details: ErrorDetail[] = missing.map((id) => ({ path: `leadIds.${leadIds.indexOf(id)}`, message: `no lead ${id}` }));
        throw new WorkflowError('lead_not_found', `${missing.length} unknown lead(s); nobody was enrolled`, details);
      }
      const skipped: { leadId: string; reason: string }[] = [];
      let enrolled = 0;
      for (const id of leadIds) {
        const why = await this.engine.enroll(w, id);
        if (why) skipped.push({ leadId: id, reason: why });
        else enrolled++;
      }
      return { enrolled, skipped };
    });
  }

  async setPaused(key: string, paused: boolean) {
    this.registry.get(key);
    await this.versions.setPaused(key, paused);
    return { key, paused };
  }

  /** Moves waiting enrollments on older versions to the active one, by step id. */
  async migrate(key: string) {
    const w = this.registry.get(key);
    return this.tx.run(() =>
      this.versions.migrateWaiting(key, w.versionId, (stepId) => {
        const i = w.def.steps.findIndex((s) => s.id === stepId);
        return i < 0 ? undefined : i;
      }),
    );
  }

  async forLead(leadId: string) {
    const rows = await this.enrollments.forLead(leadId);
    return {
      data: rows.map((r) => ({
        id: r.id,
        workflow: r.workflow_key,
        version: r.version,
        track: r.track,
        status: r.status,
        step: r.step_id,
        waitingFor: r.status === 'waiting' ? r.waiting_for ?? 'due now' : null,
        nextRunAt: r.next_run_at?.toISOString() ?? null,
        endReason: r.end_reason,
        enrolledAt: r.enrolled_at.toISOString(),
        endedAt: r.ended_at?.toISOString() ?? null,
      })),
    };
  }
}

function countsOf(rows: { status: string; n: number }[]) {
  const counts = { waiting: 0, completed: 0, exited: 0 };
  for (const r of rows) counts[r.status as keyof typeof counts] += r.n;
  return counts;
}
