import { formatProblem } from '../common/yaml-model';
import { decayScores } from './decay.rules';
import { ScoringModel, parseScoringModel, round2 } from './scoring-model.schema';
import { LedgerEntry } from './scoring.rules';

function model(decay: string): ScoringModel {
  const r = parseScoringModel(
    `rules: []
${decay}
stages: { interest: 11, mql: 30, salesReady: 40, salesReadyMinGrade: B }
temperature: { warm: { enter: 15, exit: 10 }, hot: { enter: 40, exit: 30 }, minTimeBeforeDrop: 7d }
`,
    'test.yaml',
  );
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.model;
}

const DAY = 86_400_000;
const T0 = new Date('2025-01-01T00:00:00Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY);

describe('decayScores: half-life', () => {
  const m = model('decay:\n  halfLife: 90d');
  const cents = (scores: Record<string, number>) => Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, round2(v)]));

  it('halves every half-life, on every dimension, starting at the last activity', () => {
    const r = decayScores(m, { total: 40, 'product:crm': 20 }, { lastActivityAt: T0, decayedAt: null, now: at(90) });
    expect(r.scores).toEqual({ total: 20, 'product:crm': 10 });
    expect(r.ledger).toEqual([
      { dimension: 'total', ruleId: null, activityId: null, points: -20, before: 40, after: 20, cause: 'decay', reason: 'half-life 90d: 90 days of decay', at: at(90) },
      { dimension: 'product:crm', ruleId: null, activityId: null, points: -10, before: 20, after: 10, cause: 'decay', reason: 'half-life 90d: 90 days of decay', at: at(90) },
    ]);
    expect(decayScores(m, { total: 40 }, { lastActivityAt: T0, decayedAt: null, now: at(180) }).scores.total).toBe(10);
    // 40 · 2^(-45/90) = 28.2843, kept unrounded
    expect(decayScores(m, { total: 40 }, { lastActivityAt: T0, decayedAt: null, now: at(45) }).scores.total).toBeCloseTo(28.284271, 6);
  });

  it('continues from decayedAt rather than the last activity', () => {
    const r = decayScores(m, { total: 40 }, { lastActivityAt: at(-100), decayedAt: T0, now: at(30) });
    expect(round2(r.scores.total)).toBe(31.75);
  });

  it('gives the same scores, and ledger totals, whether it runs hourly or once', () => {
    const start = { total: 65, 'product:crm': 20, 'product:x': 0.4 };
    let scores: Record<string, number> = start;
    let decayedAt: Date | null = null;
    const ledger: LedgerEntry[] = [];
    for (let h = 1; h <= 60 * 24; h++) {
      const now = new Date(T0.getTime() + h * 3_600_000);
      const r = decayScores(m, scores, { lastActivityAt: T0, decayedAt, now });
      scores = r.scores;
      decayedAt = now;
      ledger.push(...r.ledger);
    }
    const once = decayScores(m, start, { lastActivityAt: T0, decayedAt: null, now: at(60) });
    expect(cents(scores)).toEqual({ total: 40.95, 'product:crm': 12.6, 'product:x': 0.25 });
    expect(cents(scores)).toEqual(cents(once.scores));
    const sum = (d: string) => round2(ledger.filter((l) => l.dimension === d).reduce((s, l) => s + l.points, 0));
    expect([sum('total'), sum('product:crm'), sum('product:x')]).toEqual(once.ledger.map((l) => l.points));
    expect(once.ledger.map((l) => l.points)).toEqual([-24.05, -7.4, -0.15]);
  });

  it('never crosses 0: scores under half a cent become 0, and negative scores recover toward 0', () => {
    const r = decayScores(m, { total: 0.05, neg: -20, zero: 0 }, { lastActivityAt: T0, decayedAt: null, now: at(900) });
    // 10 half-lives: 0.05 → 0.00005 becomes 0; -20 → -20/1024
    expect(r.scores).toEqual({ total: 0, neg: -0.01953125, zero: 0 });
    expect(decayScores(m, { total: 0.05 }, { lastActivityAt: T0, decayedAt: null, now: at(900) }).ledger.map((l) => [l.before, l.after])).toEqual([[0.05, 0]]);
    expect(decayScores(m, { neg: -20 }, { lastActivityAt: T0, decayedAt: null, now: at(90) }).scores.neg).toBe(-10);
    expect(r.ledger.map((l) => l.dimension)).toEqual(['total', 'neg']);
  });

  it('does nothing without a time to start from', () => {
    expect(decayScores(m, { total: 12 }, { lastActivityAt: null, decayedAt: null, now: at(10) })).toEqual({ scores: { total: 12 }, ledger: [] });
  });
});

describe('decayScores: inactivity', () => {
  const m = model('decay:\n  inactivity: { after: 30d, points: 5, every: 30d }');

  it('takes nothing during `after`, then `points` per full `every` of further inactivity', () => {
    const scores = { total: 22, 'product:crm': 8 };
    expect(decayScores(m, scores, { lastActivityAt: T0, decayedAt: null, now: at(59) }).scores).toEqual(scores);
    const r = decayScores(m, scores, { lastActivityAt: T0, decayedAt: null, now: at(95) });
    expect(r.scores).toEqual({ total: 12, 'product:crm': 0 });
    expect(r.ledger).toEqual([
      { dimension: 'total', ruleId: null, activityId: null, points: -10, before: 22, after: 12, cause: 'decay', reason: 'inactive 95 days: -5 per 30d after 30d (2×)', at: at(90) },
      { dimension: 'product:crm', ruleId: null, activityId: null, points: -8, before: 8, after: 0, cause: 'decay', reason: 'inactive 95 days: -5 per 30d after 30d (2×)', at: at(90) },
    ]);
  });

  it('does not take the same period twice, and restarts after new activity', () => {
    const first = decayScores(m, { total: 22 }, { lastActivityAt: T0, decayedAt: null, now: at(65) });
    expect(first.scores.total).toBe(17);
    const decayedAt = at(65);
    expect(decayScores(m, first.scores, { lastActivityAt: T0, decayedAt, now: at(80) })).toEqual({ scores: { total: 17 }, ledger: [] });
    expect(decayScores(m, first.scores, { lastActivityAt: T0, decayedAt, now: at(91) }).scores.total).toBe(12);
    // active again on day 70: the clock restarts, the day-60 deduction stays
    expect(decayScores(m, first.scores, { lastActivityAt: at(70), decayedAt, now: at(129) }).scores.total).toBe(17);
    expect(decayScores(m, first.scores, { lastActivityAt: at(70), decayedAt, now: at(130) }).scores.total).toBe(12);
  });

  it('never below 0; negative scores recover toward 0', () => {
    expect(decayScores(m, { total: 3, neg: -7 }, { lastActivityAt: T0, decayedAt: null, now: at(60) }).scores).toEqual({ total: 0, neg: -2 });
  });
});

describe('decayScores: none', () => {
  it('leaves scores alone', () => {
    const r = decayScores(model('decay: none'), { total: 40 }, { lastActivityAt: T0, decayedAt: null, now: at(400) });
    expect(r).toEqual({ scores: { total: 40 }, ledger: [] });
  });
});
