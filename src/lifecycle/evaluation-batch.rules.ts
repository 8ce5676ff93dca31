import { GradingModel } from '../grading/grading-model.schema';
import { ScoringModel } from '../scoring/scoring-model.schema';
import { LedgerEntry, ScorableEvent } from '../scoring/scoring.rules';
import { LeadSnapshot, Transition, evaluateLead } from './lead-evaluation.rules';

/** A lead as a batch claimed it: row locked, state as last committed. */
export interface ClaimedLead {
  id: string;
  erased: boolean;
  /** never evaluated before: new to the engine */
  fresh: boolean;
  needsEvaluation: boolean;
  snapshot: LeadSnapshot;
}

/** What one lead's evaluation writes. */
export interface LeadWrite {
  leadId: string;
  next: Omit<LeadSnapshot, 'profile'>;
  ledger: LedgerEntry[];
  transitions: Transition[];
}

/** Handed to the follow-ups after the evaluation of a lead has committed. */
export interface LeadChanged {
  leadId: string;
  transitions: Transition[];
  /** the lead's first evaluation: it is new to the engine */
  created: boolean;
  /** the activities this evaluation applied, oldest first */
  activities: { type: string; properties: Record<string, unknown> }[];
}

export interface BatchPlan {
  writes: LeadWrite[];
  /** every activity the batch applies or, for erased leads, only retires: marked evaluated with the writes */
  activityIds: string[];
  /** one per lead whose evaluation changed or applied something, in claim order */
  changes: LeadChanged[];
  /** leads that had as many pending activities as were read: some may still wait */
  more: string[];
  /** leads that had something to apply or retire */
  worked: number;
}

/**
 * Decides, for a batch of locked leads and their pending activities (oldest first, at most
 * `perLead` each), what the transaction writes and what the follow-ups hear. Per lead this is
 * the single-lead evaluation: an erased lead's activities are only marked, a lead with nothing
 * pending and an unchanged profile is left alone, any other is evaluated by `evaluateLead`.
 */
export function planBatch(
  leads: readonly ClaimedLead[],
  pending: ReadonlyMap<string, readonly ScorableEvent[]>,
  models: { scoring: ScoringModel; grading: GradingModel },
  now: Date,
  perLead: number,
): BatchPlan {
  const plan: BatchPlan = { writes: [], activityIds: [], changes: [], more: [], worked: 0 };
  for (const lead of leads) {
    const activities = pending.get(lead.id) ?? [];
    if (activities.length >= perLead) plan.more.push(lead.id);
    if (lead.erased) {
      if (activities.length) plan.worked++;
      plan.activityIds.push(...activities.map((a) => a.id));
      continue;
    }
    if (!activities.length && !lead.needsEvaluation) continue;
    plan.worked++;
    const result = evaluateLead(lead.snapshot, activities, models, now);
    plan.writes.push({ leadId: lead.id, next: result.next, ledger: result.ledger, transitions: result.transitions });
    plan.activityIds.push(...activities.map((a) => a.id));
    const change: LeadChanged = {
      leadId: lead.id,
      transitions: result.transitions,
      created: lead.fresh,
      activities: activities.map((a) => ({ type: a.type, properties: a.properties })),
    };
    if (change.transitions.length || change.activities.length || change.created) plan.changes.push(change);
  }
  return plan;
}
