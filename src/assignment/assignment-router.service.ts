import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { uuidv7 } from '../common/ids';
import { TransactionService } from '../database/transaction.service';
import { SendsService } from '../delivery/sends.service';
import { leadProfile } from '../leads/lead-profile';
import { WebhooksService } from '../webhooks/webhooks.service';
import { WorkflowEngine } from '../workflows/workflow-engine.service';
import { expandPlaces } from './assignment-model.schema';
import { AssignmentModelService } from './assignment-model.service';
import { AssignmentError } from './assignment.error';
import { RoutableLead, RoutableRep, Rotation, route } from './assignment.rules';
import { AssignmentCause, AssignmentRow, AssignmentsRepository, HandoffLeadRow, NewAssignment } from './assignments.repository';
import { RepNotifier } from './rep-notifier.service';
import { RepRow, RepsRepository } from './reps.repository';
import { addWorkingTime } from './working-hours.rules';

/** One lead to place with a rep. */
export interface Placement {
  lead: HandoffLeadRow;
  cause: AssignmentCause;
  /** the open assignment this one replaces (queued, or pending past its SLA) */
  previous?: AssignmentRow;
  /** reps to pass over (those who had this hand-off already) */
  exclude?: ReadonlySet<string>;
  /** route from this rule on instead of matching (an SLA reassignment stays in its rule) */
  startAt?: string;
  /** a chosen rep (manual assignment) */
  repId?: string;
  /** keep a placement with nobody free open as before instead of queuing it again */
  onlyIfAssigned?: boolean;
}

export interface Placed {
  assignment: AssignmentRow;
  rep: RepRow | undefined;
}

/** After commit: what to deliver and whose enrollments to wake. */
export interface AfterCommit {
  sendIds: string[];
  leadIds: string[];
}

export const toRoutableLead = (l: HandoffLeadRow): RoutableLead => ({
  ...leadProfile(l),
  score: Number(l.score),
  scores: l.scores,
  grade: l.grade,
  persona: l.persona,
  stage: l.stage,
  temperature: l.temperature,
});

/**
 * Places leads with reps by the rules, many per transaction: one read of the reps and their
 * load, the rotation of the rules locked once, then bulk writes of assignments, owners,
 * transitions, notifications and webhooks. Callers hold the leads' row locks.
 */
@Injectable()
export class AssignmentRouter {
  constructor(
    private readonly tx: TransactionService,
    private readonly clock: Clock,
    private readonly model: AssignmentModelService,
    private readonly assignments: AssignmentsRepository,
    private readonly reps: RepsRepository,
    private readonly notifier: RepNotifier,
    private readonly webhooks: WebhooksService,
    private readonly sends: SendsService,
    private readonly engine: WorkflowEngine,
  ) {}

  /** Inside the caller's transaction. */
  async place(items: readonly Placement[], after: AfterCommit): Promise<Placed[]> {
    if (!items.length) return [];
    const now = this.clock.now();
    const m = this.model.model;
    const repRows = await this.reps.list();
    const byId = new Map(repRows.map((r) => [r.id, r]));
    const routable = new Map(repRows.map((r) => [r.key, toRoutableRep(r, m.regions)]));
    const ruleIds = [...m.routing.byId.keys()];
    const rotations = new Map<string, Rotation>();
    for (const r of await this.assignments.lockRotation(ruleIds)) {
      const rot = rotations.get(r.rule) ?? rotations.set(r.rule, new Map()).get(r.rule)!;
      rot.set(r.rep_id, { currentWeight: Number(r.current_weight), assigned: Number(r.assigned) });
    }
    const rotationOf = (id: string) => rotations.get(id) ?? rotations.set(id, new Map()).get(id)!;

    const rows: NewAssignment[] = [];
    const placed: Placed[] = [];
    const closed: AssignmentRow[] = [];
    const closeReason = new Map<string, string>();
    for (const item of items) {
      let repKey: string | undefined;
      let rule: string | null = null;
      let notifyAt = now;
      let slaMs = m.settings.slaMs;
      if (item.repId) {
        const chosen = byId.get(item.repId);
        if (!chosen) throw new AssignmentError('rep_not_found', `No rep with id ${item.repId}`);
        repKey = chosen.key;
        routable.get(repKey)!.load += 1;
      } else {
        const r = route(m.routing, routable, toRoutableLead(item.lead), rotationOf, now, { exclude: item.exclude, startAt: item.startAt });
        rule = r.rule?.id ?? null;
        if (r.kind === 'assigned') {
          repKey = r.rep.key;
          notifyAt = r.notifyAt;
          slaMs = r.rule.slaMs;
        } else if (item.onlyIfAssigned) continue;
      }
      const rep = repKey ? repRows.find((x) => x.key === repKey) : undefined;
      const id = uuidv7();
      rows.push({
        id,
        lead_id: item.lead.id,
        rep_id: rep?.id ?? null,
        rule,
        cause: item.cause,
        status: rep ? 'pending' : 'queued',
        previous_id: item.previous?.id ?? null,
        handoff_id: item.previous?.handoff_id ?? id,
        sla_due_at: rep ? addWorkingTime(notifyAt, slaMs, rep.working_hours, rep.time_zone) : null,
        notify_at: rep ? notifyAt : null,
        created_at: now,
        lead_score: Number(item.lead.score),
        lead_grade: item.lead.grade,
        lead_persona: item.lead.persona,
        lead_source: item.lead.source,
      });
      if (item.previous) {
        closed.push(item.previous);
        closeReason.set(item.previous.id, item.cause === 'sla' ? 'sla-expired' : item.previous.status === 'queued' ? 'rep-available' : item.cause);
      }
    }
    // the open assignment being replaced closes first: one open row per lead is the guard
    for (const prev of closed) {
      if (prev.status === 'pending' || prev.status === 'queued') await this.assignments.close(prev.id, 'reassigned', { reason: closeReason.get(prev.id) ?? null, at: now });
    }
    await this.assignments.insertMany(rows);
    await this.assignments.setOwners(rows.map((r) => ({ leadId: r.lead_id, repId: r.rep_id })));
    await this.assignments.insertTransitions(
      rows.map((r, i) => ({
        leadId: r.lead_id,
        from: items[i].lead.owner_id,
        to: r.rep_id,
        cause: r.cause,
        detail: { assignmentId: r.id, rule: r.rule, status: r.status },
      })),
    );
    await this.assignments.saveRotation(
      [...rotations].flatMap(([rule, rot]) => [...rot].map(([repId, s]) => ({ rule, repId, currentWeight: s.currentWeight, assigned: s.assigned }))),
    );

    const leadsById = new Map(items.map((i) => [i.lead.id, i.lead]));
    for (const r of rows) {
      const assignment = { ...r, lead_score: String(r.lead_score), reason: null, note: null, value: null, notified_at: null, accepted_at: null, closed_at: null } as AssignmentRow;
      placed.push({ assignment, rep: r.rep_id ? byId.get(r.rep_id) : undefined });
    }
    const notifyNow = placed.filter((p) => p.rep && p.assignment.notify_at! <= now);
    after.sendIds.push(...(await this.notifier.newLeads(notifyNow.map((p) => ({ assignment: p.assignment, lead: leadsById.get(p.assignment.lead_id)!, rep: p.rep! })), now)));
    await this.webhooks.emitMany(
      placed
        .filter((p) => p.rep)
        .map((p) => ({ type: 'lead.assigned' as const, data: assignmentEvent(p.assignment, leadsById.get(p.assignment.lead_id)!, p.rep) })),
    );
    after.leadIds.push(...placed.filter((p) => p.rep).map((p) => p.assignment.lead_id));
    return placed;
  }

  /** After commit: deliver the staged emails and let the leads' enrollments see the owner. */
  async afterCommit(after: AfterCommit): Promise<void> {
    await this.sends.deliver(after.sendIds);
    await this.engine.wake(after.leadIds);
  }
}

export function toRoutableRep(r: RepRow, regions: Record<string, string[]>): RoutableRep {
  return {
    id: r.id,
    key: r.key,
    countries: expandPlaces(r.territories, regions),
    industries: r.industries,
    personas: r.personas,
    products: r.products,
    capacity: r.capacity,
    weight: r.weight,
    workingHours: r.working_hours,
    timeZone: r.time_zone,
    active: r.active,
    awayUntil: r.away_until,
    load: r.load,
  };
}

/** What webhooks and the API say about an assignment. */
export function assignmentEvent(a: AssignmentRow, lead: Pick<HandoffLeadRow, 'id' | 'email' | 'score' | 'grade' | 'persona'>, rep: RepRow | undefined): Record<string, unknown> {
  return {
    assignmentId: a.id,
    status: a.status,
    rule: a.rule,
    lead: { id: lead.id, email: lead.email, score: Number(lead.score), grade: lead.grade, persona: lead.persona },
    rep: rep ? { id: rep.id, key: rep.key, name: rep.name, email: rep.email } : null,
    slaDueAt: a.sla_due_at?.toISOString() ?? null,
  };
}
