import { Injectable, Logger } from '@nestjs/common';
import { ActivitiesRepository } from '../activities/activities.repository';
import { Clock } from '../common/clock';
import { uuidv7 } from '../common/ids';
import { TransactionService } from '../database/transaction.service';
import { decideSend } from '../delivery/send-window.policy';
import { SendsService } from '../delivery/sends.service';
import { JobHandler } from '../jobs/job-handler.decorator';
import { JobQueue } from '../jobs/job-queue';
import { LeadsRepository } from '../leads/leads.repository';
import { SCORE_ADJUSTED } from '../lifecycle/lead-evaluation.rules';
import { EVALUATE_LEAD } from '../lifecycle/lifecycle.jobs';
import { EnrollmentRow, EnrollmentsRepository } from './enrollments.repository';
import { LeadViewRepository } from './lead-view.repository';
import { Action, advance, leaveReason, reentryAllowed, trackEntryPoint } from './step-machine.rules';
import { conditionsHold } from './conditions.rules';
import { RUN_ENROLLMENT } from './workflow.jobs';
import { LoadedWorkflow, WorkflowRegistryService } from './workflow-registry.service';
import { WorkflowDefinition } from './workflow.types';


/** What a run leaves to do after its transaction committed. */
interface AfterCommit {
  sends: string[];
  evaluate: boolean;
  notify: { email?: string; webhook?: string; subject?: string; leadId: string; workflow: string; step: string }[];
}

/** templates/emails/internal/workflow-notification.mjml */
const NOTIFY_TEMPLATE = 'workflow-notification';

/**
 * Runs enrollments: one transaction per run with the enrollment row locked, in which the
 * step machine's actions are applied; a send is one row keyed by (enrollment, step), so a
 * retried run sends nothing twice. Sends go through the cross-workflow send policy first
 * (quiet hours, allowed days, frequency cap); a deferred send keeps the enrollment waiting at
 * that step with the reason.
 */
@Injectable()
export class WorkflowEngine {
  private readonly logger = new Logger('WorkflowEngine');

  constructor(
    private readonly tx: TransactionService,
    private readonly clock: Clock,
    private readonly registry: WorkflowRegistryService,
    private readonly enrollments: EnrollmentsRepository,
    private readonly leadViews: LeadViewRepository,
    private readonly leads: LeadsRepository,
    private readonly activities: ActivitiesRepository,
    private readonly sends: SendsService,
    private readonly jobs: JobQueue,
  ) {}

  /**
   * Enrolls a lead unless something bars it (a live enrollment, re-entry rules, entry
   * conditions, unsubscribed...). Returns why not, or null when enrolled. Joins the caller's
   * transaction when there is one.
   */
  async enroll(w: LoadedWorkflow, leadId: string, opts: { checkEntry?: boolean } = {}): Promise<string | null> {
    const enrolled = await this.tx.run(async () => {
      const lead = await this.leadViews.get(leadId);
      if (!lead || lead.erasedAt) return 'no such lead';
      const barred = leaveReason(w.def, lead);
      if (barred) return barred;
      if (opts.checkEntry !== false && !conditionsHold(w.def.entry.where, lead)) return 'entry conditions not met';
      const last = await this.enrollments.latest(leadId, w.def.key);
      if (last?.status === 'waiting') return 'already enrolled';
      const now = this.clock.now();
      if (last && !reentryAllowed(w.def, { endedAt: last.ended_at }, now)) return `re-entry not allowed (${w.def.reentry.mode})`;
      let start = 0;
      if (w.def.track) {
        const entry = trackEntryPoint(w.def, await this.enrollments.sentTemplates(leadId));
        if (entry === 'exhausted') {
          const id = uuidv7();
          await this.enrollments.insert({ id, leadId, workflowKey: w.def.key, versionId: w.versionId, track: w.def.track, priority: w.def.priority, stepIndex: 0, stepId: null, now });
          await this.enrollments.end(id, 'completed', 'exhausted');
          return 'track exhausted: every content of it was received';
        }
        start = entry;
      }
      const ok = await this.enrollments.insert({
        id: uuidv7(),
        leadId,
        workflowKey: w.def.key,
        versionId: w.versionId,
        track: w.def.track,
        priority: w.def.priority,
        stepIndex: start,
        stepId: w.def.steps[start]?.id ?? null,
        now,
      });
      return ok ? null : w.def.track ? 'already in another content track' : 'already enrolled';
    });
    return enrolled;
  }

  /** Moves a lead to the content track of its new temperature, starting with content it has not had. */
  async switchTrack(leadId: string, temperature: string): Promise<void> {
    await this.switchTracks([{ leadId, temperature }]);
  }

  /**
   * Moves leads to the content tracks of their temperatures: the old tracks are left in one
   * statement per temperature, then each lead enters its new track. A crash between the two
   * leaves a lead without a track for one reconcile pass (reconcileTracks), never in two.
   */
  async switchTracks(moves: readonly { leadId: string; temperature: string }[]): Promise<void> {
    if (!moves.length) return;
    const byTemperature = new Map<string, string[]>();
    for (const m of moves) byTemperature.set(m.temperature, [...(byTemperature.get(m.temperature) ?? []), m.leadId]);
    await this.tx.run(async () => {
      for (const [temperature, ids] of byTemperature) await this.enrollments.exitLive(ids, `moved to ${temperature}`, 'tracks');
    });
    for (const m of moves) {
      const track = this.registry.track(m.temperature);
      const why = track ? await this.enroll(track, m.leadId, { checkEntry: false }) : `no ${m.temperature} track`;
      if (why) this.logger.debug(`lead ${m.leadId} not in the ${m.temperature} track: ${why}`);
    }
  }

  /** Lets these leads' waiting enrollments look again now: a rep took them, or a goal may be met. */
  async wake(leadIds: readonly string[]): Promise<void> {
    if (leadIds.length) await this.tx.run(() => this.enrollments.wake(leadIds, this.clock.now()));
  }

  @JobHandler(RUN_ENROLLMENT)
  async run({ enrollmentId }: { enrollmentId: string }): Promise<void> {
    const after: AfterCommit = { sends: [], evaluate: false, notify: [] };
    await this.tx.run(async () => {
      const now = this.clock.now();
      const e = await this.enrollments.lockDue(enrollmentId, now);
      if (!e) return; // already run, ended, or not due: a repeated job is a no-op
      const def = await this.registry.version(e.version_id);
      if (!def) return this.enrollments.end(e.id, 'exited', 'its workflow version no longer validates');
      const lead = await this.leadViews.get(e.lead_id);
      if (!lead) return this.enrollments.end(e.id, 'exited', 'lead-missing');
      const acts = await this.enrollments.activitiesSince(e.lead_id, e.enrolled_at);
      const ctx = {
        lead,
        activities: acts.map((a) => ({ type: a.type, occurredAt: a.occurred_at, properties: a.properties, classification: a.classification, stepId: a.enrollment_id === e.id ? a.step_key : null })),
        sentTemplates: await this.enrollments.sentTemplates(e.lead_id),
        now,
      };
      const result = advance(def, { stepIndex: e.step_index, enteredStepAt: e.entered_step_at }, ctx);
      const deferred = await this.apply(def, e, lead.timezone ?? null, result.actions, now, after);
      if (deferred) return this.enrollments.wait(e.id, deferred);
      const o = result.outcome;
      if (o.status === 'waiting') {
        await this.enrollments.wait(e.id, { stepIndex: o.stepIndex, stepId: def.steps[o.stepIndex]?.id ?? null, enteredStepAt: o.enteredStepAt, nextRunAt: o.nextRunAt, waitingFor: o.waitingFor });
      } else {
        await this.enrollments.end(e.id, o.status, o.reason, o.stepIndex);
      }
    });
    await this.sends.deliver(after.sends);
    if (after.evaluate) await this.evaluateLater(enrollmentId);
    for (const n of after.notify) await this.notify(n);
  }

  /**
   * Applies actions in order. Returns a wait when the send policy defers a send: the
   * enrollment stays at that send step, and later actions wait with it.
   */
  private async apply(def: WorkflowDefinition, e: EnrollmentRow, timeZone: string | null, actions: Action[], now: Date, after: AfterCommit) {
    let recent: { at: Date; priority: number }[] | undefined;
    for (const action of actions) {
      switch (action.type) {
        case 'send': {
          const cap = this.registry.policy.frequencyCap;
          recent ??= cap ? await this.enrollments.recentMarketingSends(e.lead_id, new Date(now.getTime() - cap.perMs)) : [];
          const waitingHigherPriority = cap ? await this.enrollments.dueHigherPriority(e.lead_id, def.priority, e.id, now) : 0;
          const decision = decideSend(this.registry.policy, { now, timeZone, priority: def.priority, recent, waitingHigherPriority });
          if (!decision.ok) {
            const stepIndex = def.steps.findIndex((s) => s.id === action.stepId);
            return { stepIndex, stepId: action.stepId, enteredStepAt: now, nextRunAt: decision.notBefore, waitingFor: decision.reason };
          }
          const { row, created } = await this.sends.stage({
            leadId: e.lead_id,
            template: action.template,
            persona: action.persona ?? undefined,
            enrollment: { id: e.id, stepKey: action.stepId },
            priority: def.priority,
            queuedAt: now,
          });
          if (created) after.sends.push(row.id);
          recent.push({ at: now, priority: def.priority });
          break;
        }
        case 'score':
          await this.activities.insertMany([
            { id: uuidv7(), leadId: e.lead_id, type: SCORE_ADJUSTED, occurredAt: now, properties: { points: action.points, reason: action.reason, workflow: def.key, step: action.stepId }, idempotencyKey: `score:${e.id}:${action.stepId}` },
          ]);
          after.evaluate = true;
          break;
        case 'update':
          if (!(await this.leads.applyUpdate(e.lead_id, action))) this.logger.warn(`${def.key}/${action.stepId}: field ${action.field} cannot be set by a workflow`);
          after.evaluate = true;
          break;
        case 'notify':
          if (action.email) {
            // an internal send: exactly once per enrollment step like any send, untracked, exempt from caps
            const { row, created } = await this.sends.stage({
              leadId: e.lead_id,
              template: NOTIFY_TEMPLATE,
              category: 'internal',
              recipient: { email: action.email },
              enrollment: { id: e.id, stepKey: action.stepId },
              data: { subject: action.subject ?? `${def.name}: ${action.stepId}`, workflow: { key: def.key, name: def.name }, step: action.stepId },
            });
            if (created) after.sends.push(row.id);
          }
          if (action.webhook) after.notify.push({ ...action, leadId: e.lead_id, workflow: def.key, step: action.stepId });
          break;
      }
    }
    return undefined;
  }

  private async evaluateLater(enrollmentId: string): Promise<void> {
    const e = await this.tx.manager.query<{ lead_id: string }[]>(`SELECT lead_id FROM enrollments WHERE id = $1`, [enrollmentId]);
    if (e[0]) await this.jobs.enqueue(EVALUATE_LEAD, { leadId: e[0].lead_id }, { jobId: e[0].lead_id });
  }

  /** Notify webhooks are best effort and at most once: a failure is logged, not retried (subscriptions under /v1/webhooks are retried). */
  private async notify(n: AfterCommit['notify'][number]): Promise<void> {
    if (!n.webhook) return;
    try {
      const res = await fetch(n.webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'workflow.notify', workflow: n.workflow, step: n.step, leadId: n.leadId, subject: n.subject ?? null }),
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) this.logger.warn(`notify webhook ${n.webhook} answered ${res.status}`);
    } catch (err) {
      this.logger.warn({ err }, `notify webhook ${n.webhook} failed`);
    }
  }
}
