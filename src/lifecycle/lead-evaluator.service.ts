import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';
import { JobHandler } from '../jobs/job-handler.decorator';
import { ScoringModelsService } from '../scoring/scoring-models.service';
import { Transition, decayLead, evaluateLead } from './lead-evaluation.rules';
import { LeadStateRepository } from './lead-state.repository';
import { EVALUATE_LEAD } from './lifecycle.jobs';
import { LeadChanged, LifecycleEvents } from './lifecycle-events.service';

/** Activities per transaction; a lead with more waiting is evaluated in several rounds. */
const BATCH = 1000;
const MAX_ROUNDS = 50;

/**
 * The one orchestrator per lead change (architecture principle 2): in one transaction with the
 * lead row locked, apply its pending activities and profile changes (score, grade, stage,
 * temperature, each change recorded with its cause), mark the activities evaluated, commit;
 * then hand the changes to the follow-ups. Concurrent evaluations of one lead queue on the
 * row lock, and each activity is applied exactly once because it is marked in the same
 * transaction that applies it.
 */
@Injectable()
export class LeadEvaluator {
  constructor(
    private readonly tx: TransactionService,
    private readonly state: LeadStateRepository,
    private readonly models: ScoringModelsService,
    private readonly events: LifecycleEvents,
  ) {}

  @JobHandler(EVALUATE_LEAD)
  async evaluate({ leadId }: { leadId: string }): Promise<void> {
    const change: LeadChanged = { leadId, transitions: [], created: false, activities: [] };
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const result = await this.tx.run(() => this.once(leadId));
      change.transitions.push(...result.transitions);
      change.activities.push(...result.activities);
      change.created ||= result.created;
      if (!result.more) break;
    }
    if (change.transitions.length || change.activities.length || change.created) await this.events.publish(change);
  }

  /** One decay pass over up to `limit` due leads; returns how many were processed. */
  async decayBatch(limit: number, olderThanMs: number, now = new Date()): Promise<number> {
    const changed: { leadId: string; transitions: Transition[] }[] = [];
    const n = await this.tx.run(async () => {
      const due = await this.state.lockDecayDue(limit, olderThanMs);
      const models = { scoring: this.models.scoring, grading: this.models.grading };
      for (const lead of due) {
        const result = decayLead(lead.snapshot, models, now);
        await this.state.save(lead.id, result.next);
        await this.state.insertLedger(lead.id, result.ledger, models.scoring.version);
        await this.state.insertTransitions(lead.id, result.transitions);
        if (result.transitions.length) changed.push({ leadId: lead.id, transitions: result.transitions });
      }
      return due.length;
    });
    for (const c of changed) await this.events.publish({ ...c, created: false, activities: [] });
    return n;
  }

  private async once(leadId: string): Promise<{ transitions: Transition[]; activities: LeadChanged['activities']; created: boolean; more: boolean }> {
    const nothing = { transitions: [], activities: [], created: false, more: false };
    const lead = await this.state.lock(leadId);
    if (!lead) return nothing;
    const pending = await this.state.pendingActivities(leadId, BATCH);
    if (lead.erased) {
      await this.state.markEvaluated(pending.map((a) => a.id));
      return { ...nothing, more: pending.length === BATCH };
    }
    if (!pending.length && !lead.needsEvaluation) return nothing;
    const models = { scoring: this.models.scoring, grading: this.models.grading };
    const result = evaluateLead(lead.snapshot, pending, models, new Date());
    await this.state.applyEvaluation(leadId, {
      next: result.next,
      ledger: result.ledger,
      transitions: result.transitions,
      modelVersion: models.scoring.version,
      activityIds: pending.map((a) => a.id),
    });
    return {
      transitions: result.transitions,
      activities: pending.map((a) => ({ type: a.type, properties: a.properties })),
      created: lead.fresh,
      more: pending.length === BATCH,
    };
  }
}
