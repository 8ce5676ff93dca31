import { DecayPolicy, ScoringModel, round2 } from './scoring-model.schema';
import { LedgerEntry } from './scoring.rules';

const DAY = 86_400_000;

/** Moves toward 0 by `by`, never past it. */
const towardZero = (v: number, by: number): number => (v > 0 ? Math.max(0, round2(v - by)) : Math.min(0, round2(v + by)));

const days = (ms: number): string => `${round2(ms / DAY)} days`;

interface Plan {
  apply: (v: number) => number;
  at: Date;
  reason: string;
}

function plan(policy: DecayPolicy, opts: { lastActivityAt: Date | null; decayedAt: Date | null; now: Date }): Plan | null {
  const now = opts.now.getTime();
  if (policy.kind === 'none') return null;

  if (policy.kind === 'halfLife') {
    const start = (opts.decayedAt ?? opts.lastActivityAt)?.getTime();
    if (start === undefined || now <= start) return null;
    const factor = Math.pow(2, -(now - start) / policy.halfLifeMs);
    // Unrounded on purpose: rounding on every run would stall each score whose loss per run is
    // under half a cent (a daily run at a 90d half-life: every score below about 0.6; an
    // hourly one: below about 15). Exact, decaying hourly or once a month gives the same score.
    const apply = (v: number) => (Math.abs(v * factor) < 0.005 ? 0 : v * factor);
    return { apply, at: opts.now, reason: `half-life ${policy.halfLife}: ${days(now - start)} of decay` };
  }

  // Inactivity counts from the last activity; decayedAt only says how much of it was already taken off.
  if (!opts.lastActivityAt) return null;
  const last = opts.lastActivityAt.getTime();
  const periods = (t: number) => Math.max(0, Math.floor((t - last - policy.afterMs) / policy.everyMs));
  const due = periods(now) - (opts.decayedAt ? periods(Math.max(opts.decayedAt.getTime(), last)) : 0);
  if (due <= 0) return null;
  return {
    apply: (v) => towardZero(v, due * policy.points),
    at: new Date(last + policy.afterMs + periods(now) * policy.everyMs),
    reason: `inactive ${days(now - last)}: -${policy.points} per ${policy.every} after ${policy.after} (${due}×)`,
  };
}

/**
 * Decay from `decayedAt` (or lastActivityAt if never decayed) up to `now`; returns new scores
 * (all dimensions) and ledger entries with cause 'decay' (one per dimension that changed by
 * >= 0.01). Decay only moves a score toward 0: a positive score never turns negative, and a
 * negative one (from negative rules) recovers toward 0 the same way.
 *
 * Half-life scores come back unrounded (store them as they are, e.g. in jsonb); ledger entries
 * compare scores rounded to cents, so the entries of many small runs add up to the change
 * shown. Decay up to an event's time before scoring it, so fresh points don't lose value for
 * time before they were earned.
 */
export function decayScores(
  model: ScoringModel,
  scores: Record<string, number>,
  opts: { lastActivityAt: Date | null; decayedAt: Date | null; now: Date },
): { scores: Record<string, number>; ledger: LedgerEntry[] } {
  const p = plan(model.decay, opts);
  if (!p) return { scores: { ...scores }, ledger: [] };

  const out: Record<string, number> = {};
  const ledger: LedgerEntry[] = [];
  for (const [dimension, value] of Object.entries(scores)) {
    out[dimension] = p.apply(value);
    const before = round2(value);
    const after = round2(out[dimension]);
    if (after !== before) ledger.push({ dimension, ruleId: null, activityId: null, points: round2(after - before), before, after, cause: 'decay', reason: p.reason, at: p.at });
  }
  return { scores: out, ledger };
}
