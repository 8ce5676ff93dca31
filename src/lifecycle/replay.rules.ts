import { GradingModel } from '../grading/grading-model.schema';
import { ScoringModel } from '../scoring/scoring-model.schema';
import { LedgerEntry, ScorableEvent } from '../scoring/scoring.rules';
import { LeadSnapshot, decayLead, evaluateLead } from './lead-evaluation.rules';

export const freshSnapshot = (profile: Record<string, unknown>, since: Date): LeadSnapshot => ({
  profile,
  scores: { total: 0 },
  grade: null,
  persona: null,
  stage: 'awareness',
  temperature: 'cold',
  temperatureSince: since,
  ruleStats: {},
  signals: [],
  lastActivityAt: null,
  decayedAt: null,
});

/**
 * A lead's state as a model would have made it from its whole history: each activity in time
 * order, with decay applied as time passes between them and up to `now`. Used by what-if
 * simulations and by rescoring after a model change.
 */
export function replayLead(
  profile: Record<string, unknown>,
  createdAt: Date,
  activities: readonly ScorableEvent[],
  models: { scoring: ScoringModel; grading: GradingModel },
  now: Date,
): { snapshot: LeadSnapshot; ledger: LedgerEntry[] } {
  let lead = freshSnapshot(profile, createdAt);
  const ledger: LedgerEntry[] = [];
  const apply = (next: ReturnType<typeof evaluateLead>) => {
    lead = { ...next.next, profile };
    ledger.push(...next.ledger);
  };
  apply(evaluateLead(lead, [], models, createdAt, 'rescore'));
  const ordered = [...activities].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  for (const a of ordered) {
    if (lead.lastActivityAt) apply(decayLead(lead, models, a.occurredAt));
    apply(evaluateLead(lead, [a], models, a.occurredAt, 'rescore'));
  }
  if (lead.lastActivityAt) apply(decayLead(lead, models, now));
  return { snapshot: lead, ledger };
}
