import { Injectable } from '@nestjs/common';
import { formatProblem } from '../common/yaml-model';
import { AssignmentModelService } from './assignment-model.service';
import { AssignmentView, ListAssignmentsQuery, toAssignmentView } from './assignment.schemas';
import { AssignmentService, RepAction } from './assignment.service';
import { AssignmentsRepository } from './assignments.repository';

/** The API's view of the hand-off: rows in, views out. */
@Injectable()
export class AssignmentsQueryService {
  constructor(
    private readonly service: AssignmentService,
    private readonly assignments: AssignmentsRepository,
    private readonly models: AssignmentModelService,
  ) {}

  async list(q: ListAssignmentsQuery): Promise<{ data: AssignmentView[]; nextCursor: string | null }> {
    const rows = await this.assignments.list({ leadId: q.leadId, repId: q.repId, status: q.status, before: q.cursor, limit: q.limit });
    return { data: rows.map(toAssignmentView), nextCursor: rows.length === q.limit ? rows[rows.length - 1].id : null };
  }

  async get(id: string): Promise<AssignmentView> {
    return toAssignmentView(await this.service.get(id));
  }

  async assign(leadId: string, repId?: string): Promise<AssignmentView> {
    return toAssignmentView(await this.service.assign(leadId, repId));
  }

  async reassign(id: string, repId?: string): Promise<AssignmentView> {
    return toAssignmentView(await this.service.reassign(id, repId));
  }

  async act(id: string, action: RepAction): Promise<AssignmentView> {
    return toAssignmentView(await this.service.act(id, action));
  }

  model() {
    const m = this.models.model;
    return {
      version: m.version,
      file: m.file,
      problems: this.models.lastProblems.map(formatProblem),
      settings: { slaMs: m.settings.slaMs, onReturn: m.settings.onReturn, onDisqualify: m.settings.onDisqualify },
      regions: m.regions,
      rules: [...m.routing.byId.values()].map((r) => ({
        id: r.id,
        countries: r.countries,
        minGrade: r.minGrade,
        where: r.where.map((c) => ({ ...c, field: c.field.text })),
        pool: r.pool,
        strategy: r.strategy,
        slaMs: r.slaMs,
        whenUnavailable: r.whenUnavailable,
        fallback: r.fallback,
      })),
      fallback: m.routing.fallback,
      reps: m.reps.map((r) => r.key),
    };
  }

  reload() {
    return this.models.reload();
  }
}
