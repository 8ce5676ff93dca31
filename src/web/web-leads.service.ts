import { Injectable } from '@nestjs/common';
import { AssignmentService, RepAction } from '../assignment/assignment.service';
import { UUID_RE } from '../common/ids';
import { zodIssuesToDetails } from '../common/zod-validation';
import { LeadError } from '../leads/lead.error';
import { LeadView } from '../leads/lead.schemas';
import { LeadsService } from '../leads/leads.service';
import { LeadInsightService } from '../lifecycle/lead-insight.service';
import { ScoringModelsService } from '../scoring/scoring-models.service';
import { WorkflowsService } from '../workflows/workflows.service';
import { WebUser } from './accounts.service';
import { STAGES, TEMPERATURES } from './dashboard.service';
import { describeTimeline, leadName, pageLinks, sortLinks } from './lead-page.rules';
import { WebLeadsRepository } from './web-leads.repository';
import { leadFiltersSchema, repActionFormSchema } from './web.schemas';
import { WebError } from './web.error';
import { GRADES } from '../grading/grade.rules';

const PAGE_SIZE = 25;

/** The leads table, a lead's page and a rep's queue, built from the engine's own services. */
@Injectable()
export class WebLeadsService {
  constructor(
    private readonly repo: WebLeadsRepository,
    private readonly leads: LeadsService,
    private readonly insight: LeadInsightService,
    private readonly workflows: WorkflowsService,
    private readonly assignments: AssignmentService,
    private readonly models: ScoringModelsService,
  ) {}

  async list(user: WebUser, query: unknown) {
    const parsed = leadFiltersSchema.safeParse(query);
    if (!parsed.success) throw new WebError('invalid_input', 'Some filters are not valid', zodIssuesToDetails(parsed.error.issues));
    // a rep's list is the rep's own leads: an owner filter has nothing to choose from
    const f = user.role === 'rep' ? { ...parsed.data, owner: undefined } : parsed.data;
    const scope = user.role === 'rep' ? { ownerId: user.repId! } : {};
    const [{ rows, total }, reps] = await Promise.all([this.repo.list(f, scope, PAGE_SIZE), user.role === 'rep' ? [] : this.repo.reps()]);
    const filters: Record<string, string | number | undefined> = { q: f.q, temperature: f.temperature, stage: f.stage, grade: f.grade, persona: f.persona, owner: f.owner, minScore: f.minScore, maxScore: f.maxScore };
    return {
      filters: f,
      total,
      rows: rows.map((r) => ({ ...r, name: leadName(r.first_name, r.last_name), score: Math.round(r.score) })),
      sorts: sortLinks(filters, f.sort, f.dir),
      pages: pageLinks({ ...filters, sort: f.sort, dir: f.dir }, f.page, Math.ceil(total / PAGE_SIZE)),
      from: total ? (f.page - 1) * PAGE_SIZE + 1 : 0,
      to: Math.min(total, f.page * PAGE_SIZE),
      options: {
        temperatures: TEMPERATURES,
        stages: STAGES,
        grades: [...GRADES].reverse(),
        personas: this.models.grading.personas.map((p) => ({ key: p.id, label: p.name ?? p.id })),
        owners: reps,
      },
      showOwner: user.role !== 'rep',
    };
  }

  async lead(user: WebUser, id: string) {
    const lead = await this.readable(user, id);
    const [score, timeline, enrollments, assignments] = await Promise.all([
      this.insight.score(id, 100),
      this.insight.timeline(id, 60),
      this.workflows.forLead(id),
      this.repo.assignments(id),
    ]);
    const sendIds = timeline.data.flatMap((e) => (typeof e.detail.sendId === 'string' ? [e.detail.sendId] : []));
    const sends = new Map((await this.repo.sends([...new Set(sendIds)])).map((s) => [s.id, s]));
    return {
      lead: { ...lead, name: leadName(lead.firstName, lead.lastName), attributes: Object.entries(lead.attributes).map(([k, v]) => ({ k, v: typeof v === 'string' ? v : JSON.stringify(v) })) },
      dimensions: Object.entries(lead.scores)
        .sort(([a], [b]) => (a === 'total' ? -1 : b === 'total' ? 1 : a.localeCompare(b)))
        .map(([dimension, points]) => ({ dimension, points: Math.round(points * 10) / 10 })),
      gradeReasons: score.gradeReasons,
      ledger: score.ledger,
      models: score.models,
      timeline: describeTimeline(timeline.data, sends),
      enrollments: enrollments.data,
      assignments,
    };
  }

  async queue(user: WebUser, done?: string) {
    const rows = await this.repo.queue(user.repId!);
    const reasons = await this.assignments.topReasons(rows.map((r) => r.id), 3);
    return {
      done: done === 'accept' ? 'Accepted: the lead is yours.' : done === 'return' ? 'Returned: marketing nurtures the lead again.' : done === 'convert' ? 'Converted: well done.' : undefined,
      rows: rows.map((r) => ({
        ...r,
        name: leadName(r.first_name, r.last_name),
        score: Math.round(r.score),
        pending: r.status === 'pending',
        reasons: reasons.get(r.id) ?? [],
      })),
    };
  }

  /** accept / return / convert from the queue; only on the rep's own open assignments. */
  async act(user: WebUser, assignmentId: string, form: unknown): Promise<string> {
    if (!UUID_RE.test(assignmentId) || !(await this.repo.openAssignmentOf(assignmentId, user.repId!))) throw new WebError('not_found', 'You have no open lead with that assignment');
    const parsed = repActionFormSchema.safeParse(form);
    if (!parsed.success) throw new WebError('invalid_input', 'Choose accept, return with a reason, or convert', zodIssuesToDetails(parsed.error.issues));
    const f = parsed.data;
    const action: RepAction = f.action === 'accept' ? { kind: 'accept' } : f.action === 'return' ? { kind: 'return', reason: f.reason, note: f.note } : { kind: 'convert', value: f.value };
    await this.assignments.act(assignmentId, action);
    return `/app/my-leads?done=${f.action}`;
  }

  /** A rep reads only its own leads; to anyone else another rep's lead does not exist. */
  private async readable(user: WebUser, id: string): Promise<LeadView> {
    if (!UUID_RE.test(id)) throw new WebError('not_found', 'There is no such lead');
    const lead = await this.leads.get(id).catch((e: unknown) => {
      if (e instanceof LeadError) return undefined;
      throw e;
    });
    if (!lead || (user.role === 'rep' && lead.ownerId !== user.repId)) throw new WebError('not_found', 'There is no such lead');
    return lead;
  }
}
