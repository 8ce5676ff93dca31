import { Injectable } from '@nestjs/common';
import { ActivitiesRepository } from '../activities/activities.repository';
import { Clock } from '../common/clock';
import { uuidv7 } from '../common/ids';
import { TransactionService } from '../database/transaction.service';
import { SuppressionsRepository } from '../delivery/suppressions.repository';
import { JobQueue } from '../jobs/job-queue';
import { SCORE_ADJUSTED } from '../lifecycle/lead-evaluation.rules';
import { EVALUATE_LEAD } from '../lifecycle/lifecycle.jobs';
import { WebhooksService } from '../webhooks/webhooks.service';
import { WorkflowEngine } from '../workflows/workflow-engine.service';
import { AssignmentModelService } from './assignment-model.service';
import { AfterCommit, AssignmentRouter, Placement, assignmentEvent } from './assignment-router.service';
import { AssignmentError } from './assignment.error';
import { ReturnReason } from './assignment.rules';
import { AssignmentRow, AssignmentStatus, AssignmentsRepository, HandoffLeadRow } from './assignments.repository';
import { RepNotifier } from './rep-notifier.service';
import { RepsRepository } from './reps.repository';

export type RepAction =
  | { kind: 'accept' }
  | { kind: 'return'; reason: ReturnReason; note?: string }
  | { kind: 'convert'; value?: number }
  | { kind: 'disqualify'; reason: string; note?: string };

const ACTION_FROM: Record<RepAction['kind'], readonly AssignmentStatus[]> = {
  accept: ['pending'],
  return: ['pending', 'accepted'],
  convert: ['pending', 'accepted'],
  disqualify: ['pending', 'accepted'],
};
const ACTION_TO = { accept: 'accepted', return: 'returned', convert: 'converted', disqualify: 'disqualified' } as const;

/**
 * The hand-off: sales-ready moments become assignments, SLAs move them on, reps act on them.
 * Every change locks the lead row first and then its assignment, in one transaction.
 */
@Injectable()
export class AssignmentService {
  constructor(
    private readonly tx: TransactionService,
    private readonly clock: Clock,
    private readonly model: AssignmentModelService,
    private readonly assignments: AssignmentsRepository,
    private readonly reps: RepsRepository,
    private readonly router: AssignmentRouter,
    private readonly notifier: RepNotifier,
    private readonly webhooks: WebhooksService,
    private readonly activities: ActivitiesRepository,
    private readonly suppressions: SuppressionsRepository,
    private readonly jobs: JobQueue,
    private readonly engine: WorkflowEngine,
  ) {}

  /** Routes up to `limit` leads whose sales-ready moment is due; returns the ids of the leads handled. */
  async assignDue(limit: number): Promise<number> {
    const after: AfterCommit = { sendIds: [], leadIds: [] };
    const handled = await this.tx.run(async () => {
      const due = await this.assignments.claimHandoffDue(limit);
      if (!due.length) return 0;
      const blocked = await this.assignments.blocked(due.map((l) => l.id));
      // gone cold again, erased, owned or handled: the moment passed with nothing to do
      const routable = due.filter((l) => l.stage === 'sales-ready' && !l.erased_at && !l.owner_id && !blocked.has(l.id));
      await this.assignments.clearHandoffDue(due.filter((l) => !routable.includes(l)).map((l) => l.id));
      await this.router.place(routable.map((lead) => ({ lead, cause: 'sales-ready' })), after);
      return due.length;
    });
    await this.router.afterCommit(after);
    return handled;
  }

  /** Gives queued hand-offs to reps who can take them now. */
  async retryQueued(limit: number): Promise<number> {
    // routed afresh (the lead may have changed); reps who let it run out of time before are not asked again
    return this.moveOn(
      () => this.assignments.queued(limit),
      async (lead, a) => ({ lead, cause: a.cause, previous: a, onlyIfAssigned: true, exclude: new Set(await this.assignments.repsOfHandoff(a.handoff_id)) }),
    );
  }

  /** Moves pending assignments past their SLA to the next rep of the same rule. */
  async reassignOverdue(limit: number): Promise<number> {
    return this.moveOn(
      () => this.assignments.slaDue(this.clock.now(), limit),
      async (lead, a) => ({ lead, cause: 'sla', previous: a, startAt: a.rule ?? undefined, exclude: new Set(await this.assignments.repsOfHandoff(a.handoff_id)) }),
      true,
    );
  }

  /** Sends notifications that waited for a rep to be back (assigned while away or off work). */
  async notifyDue(limit: number): Promise<number> {
    const sendIds = await this.tx.run(async () => {
      const due = await this.assignments.notifyDue(this.clock.now(), limit);
      if (!due.length) return [];
      const [leads, reps] = await Promise.all([this.assignments.leads(due.map((a) => a.lead_id)), this.reps.list()]);
      return this.notifier.newLeads(
        due.map((assignment) => ({ assignment, lead: leads.find((l) => l.id === assignment.lead_id)!, rep: reps.find((r) => r.id === assignment.rep_id)! })),
        this.clock.now(),
      );
    });
    await this.router.afterCommit({ sendIds, leadIds: [] });
    return sendIds.length;
  }

  /** Manual assignment: to the given rep, or by the rules. */
  async assign(leadId: string, repId?: string): Promise<AssignmentRow> {
    const after: AfterCommit = { sendIds: [], leadIds: [] };
    const placed = await this.tx.run(async () => {
      const lead = await this.assignments.lockLead(leadId);
      if (!lead || lead.erased_at) throw new AssignmentError('lead_not_found', `No lead with id ${leadId}`);
      const open = await this.assignments.openFor(leadId);
      if (open) throw new AssignmentError('assignment_exists', `Lead ${leadId} has an open assignment ${open.id}; reassign that one instead`);
      return this.router.place([{ lead, cause: 'manual', repId }], after);
    });
    await this.router.afterCommit(after);
    return placed[0].assignment;
  }

  /** Manual reassignment: to the given rep, or to the next by the rules. */
  async reassign(id: string, repId?: string): Promise<AssignmentRow> {
    const after: AfterCommit = { sendIds: [], leadIds: [] };
    const placed = await this.tx.run(async () => {
      const { lead, assignment } = await this.lockOpen(id, ['queued', 'pending', 'accepted']);
      const exclude = new Set(await this.assignments.repsOfHandoff(assignment.handoff_id));
      if (assignment.status === 'accepted') await this.assignments.close(assignment.id, 'reassigned', { reason: 'manual', at: this.clock.now() });
      const previous = assignment.status === 'accepted' ? { ...assignment, status: 'reassigned' as const } : assignment;
      const out = await this.router.place([{ lead: { ...lead, owner_id: assignment.rep_id }, cause: 'reassign', previous, repId, exclude, startAt: assignment.rule ?? undefined }], after);
      if (!out[0].rep) throw new AssignmentError('no_rep_available', 'No other rep can take this lead now; it stays where it is');
      await this.webhooks.emit('assignment.reassigned', { ...assignmentEvent(out[0].assignment, lead, out[0].rep), previousAssignmentId: assignment.id });
      return out;
    });
    await this.router.afterCommit(after);
    return placed[0].assignment;
  }

  /** accept / return / convert / disqualify, from the API or a rep's email link. */
  async act(id: string, action: RepAction, viaToken?: string): Promise<AssignmentRow> {
    let returnedTo: { leadId: string; track: string } | undefined;
    const row = await this.tx.run(async () => {
      const now = this.clock.now();
      const { lead, assignment } = await this.lockOpen(id, ACTION_FROM[action.kind]);
      if (viaToken && !(await this.assignments.useToken(viaToken, now))) throw new AssignmentError('action_link_used', 'This link was used already');
      const status = ACTION_TO[action.kind];
      const settings = this.model.model.settings;
      await this.assignments.close(assignment.id, status, {
        reason: action.kind === 'return' || action.kind === 'disqualify' ? action.reason : null,
        note: action.kind === 'return' || action.kind === 'disqualify' ? (action.note ?? null) : null,
        value: action.kind === 'convert' ? (action.value ?? null) : null,
        at: now,
      });
      if (action.kind === 'return' || action.kind === 'disqualify') {
        await this.assignments.setOwners([{ leadId: lead.id, repId: null }]);
        await this.assignments.insertTransitions([{ leadId: lead.id, from: assignment.rep_id, to: null, cause: action.kind, detail: { assignmentId: id, reason: action.reason } }]);
      }
      if (action.kind === 'return') {
        const track = settings.onReturn.track;
        await this.returnToNurture(lead, assignment, action.reason, settings.onReturn.scorePenalty, now);
        returnedTo = { leadId: lead.id, track };
      }
      if (action.kind === 'disqualify' && settings.onDisqualify.stopMarketing) await this.suppressions.add(lead.email, 'manual');
      const updated = (await this.assignments.get(id))!;
      const rep = assignment.rep_id ? await this.reps.get(assignment.rep_id) : undefined;
      await this.webhooks.emit(`assignment.${status}`, { ...assignmentEvent(updated, lead, rep), reason: updated.reason, note: updated.note, value: updated.value === null ? null : Number(updated.value) });
      return updated;
    });
    if (returnedTo) {
      await this.engine.switchTrack(returnedTo.leadId, returnedTo.track);
      await this.jobs.enqueue(EVALUATE_LEAD, { leadId: returnedTo.leadId }, { jobId: returnedTo.leadId });
    }
    return row;
  }

  /** The reasons behind each lead's score, biggest first: what a rep reads before calling (email and web queue alike). */
  async topReasons(leadIds: readonly string[], perLead: number): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const r of await this.assignments.topReasons(leadIds, perLead)) out.set(r.lead_id, [...(out.get(r.lead_id) ?? []), r.reason]);
    return out;
  }

  get(id: string): Promise<AssignmentRow> {
    return this.assignments.get(id).then((a) => {
      if (!a) throw new AssignmentError('assignment_not_found', `No assignment with id ${id}`);
      return a;
    });
  }

  /** A rep's email link: the token row and its assignment, or why it cannot be used. */
  async fromLink(token: string): Promise<{ tokenId: string; assignment: AssignmentRow; lead: HandoffLeadRow; used: boolean }> {
    const tokenId = this.notifier.verify(token);
    const row = tokenId ? await this.assignments.token(tokenId) : undefined;
    if (!row || row.expires_at < this.clock.now()) throw new AssignmentError('action_link_invalid', 'This link is not valid (or has expired)');
    const assignment = (await this.assignments.get(row.assignment_id))!;
    const [lead] = await this.assignments.leads([assignment.lead_id]);
    return { tokenId: row.id, assignment, lead, used: row.used_at !== null };
  }

  /** Temperature back to the configured track, points off with the reason, all recorded. */
  private async returnToNurture(lead: HandoffLeadRow, a: AssignmentRow, reason: string, penalty: number, now: Date): Promise<void> {
    if (penalty > 0) {
      await this.activities.insertMany([
        {
          id: uuidv7(),
          leadId: lead.id,
          type: SCORE_ADJUSTED,
          occurredAt: now,
          properties: { points: -penalty, reason: `returned by sales: ${reason}`, assignmentId: a.id },
          idempotencyKey: `return:${a.id}`,
        },
      ]);
    }
    await this.assignments.setTemperature(lead.id, lead.temperature, this.model.model.settings.onReturn.track, now, { assignmentId: a.id, reason });
  }

  private async lockOpen(id: string, from: readonly AssignmentStatus[]): Promise<{ lead: HandoffLeadRow; assignment: AssignmentRow }> {
    const peek = await this.assignments.get(id);
    if (!peek) throw new AssignmentError('assignment_not_found', `No assignment with id ${id}`);
    const lead = (await this.assignments.lockLead(peek.lead_id))!;
    const assignment = (await this.assignments.lock(id))!;
    if (!from.includes(assignment.status)) {
      throw new AssignmentError('assignment_not_open', `Assignment ${id} is ${assignment.status}; this needs it to be ${from.join(' or ')}`);
    }
    return { lead, assignment };
  }

  private async moveOn(
    claim: () => Promise<{ lead_id: string; id: string }[]>,
    toPlacement: (lead: HandoffLeadRow, a: AssignmentRow) => Placement | Promise<Placement>,
    tellPrevious = false,
  ): Promise<number> {
    const after: AfterCommit = { sendIds: [], leadIds: [] };
    const n = await this.tx.run(async () => {
      const due = await claim();
      if (!due.length) return 0;
      const leads = await this.assignments.leads(due.map((d) => d.lead_id));
      const items: Placement[] = [];
      const previous: AssignmentRow[] = [];
      for (const d of due) {
        const a = (await this.assignments.lock(d.id))!;
        previous.push(a);
        items.push(await toPlacement(leads.find((l) => l.id === d.lead_id)!, a));
      }
      const placed = await this.router.place(items, after);
      if (tellPrevious) {
        const reps = await this.reps.list();
        for (const prev of previous) {
          const next = placed.find((p) => p.assignment.previous_id === prev.id);
          const old = reps.find((r) => r.id === prev.rep_id);
          const lead = leads.find((l) => l.id === prev.lead_id)!;
          if (old) after.sendIds.push(...(await this.notifier.reassigned(prev, lead, old, next?.rep)));
          if (next) await this.webhooks.emit('assignment.reassigned', { ...assignmentEvent(next.assignment, lead, next.rep), previousAssignmentId: prev.id, reason: 'sla-expired' });
        }
      }
      return placed.length;
    });
    await this.router.afterCommit(after);
    return n;
  }
}
