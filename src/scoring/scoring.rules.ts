import { Condition, FieldRef, Scalar, ScoringModel, ScoringRule, round2 } from './scoring-model.schema';

export interface ScorableEvent {
  id: string;
  type: string;
  occurredAt: Date;
  properties: Record<string, unknown>;
  classification: string | null;
}

export interface RuleStat {
  /** awards so far */
  n: number;
  /** points given so far (signed) */
  sum: number;
  /** ISO times of awards still inside the longest `max.per` window of that rule */
  times: string[];
}

export interface ScoreState {
  /** 'total' always present; `product:<name>` per product */
  scores: Record<string, number>;
  ruleStats: Record<string, RuleStat>;
}

export interface LedgerEntry {
  dimension: string;
  ruleId: string | null;
  activityId: string | null;
  points: number;
  before: number;
  after: number;
  cause: 'event' | 'decay' | 'manual';
  reason: string;
  at: Date;
}

export const TOTAL = 'total';
export const productDimension = (name: string): string => `product:${name.trim().toLowerCase()}`;

export const emptyScoreState = (): ScoreState => ({ scores: { [TOTAL]: 0 }, ruleStats: {} });

/** Tracked hits: proxies and scanners fetch these without a person reading the mail. */
const TRACKED_HITS = new Set(['email.opened', 'email.clicked']);

/**
 * Only a person's email activity scores. Opens and clicks count only when classified `human`
 * (an unclassified hit is not known to be a person). Other email events (unsubscribe, bounce,
 * complaint) are recorded by the server without a classification and count, unless classified
 * as a machine.
 */
export function countsAsHuman(event: Pick<ScorableEvent, 'type' | 'classification'>): boolean {
  if (!event.type.startsWith('email.') || event.classification === 'human') return true;
  return event.classification === null && !TRACKED_HITS.has(event.type);
}

export function eventMatches(pattern: string, type: string): boolean {
  return pattern.endsWith('.*') ? type.startsWith(pattern.slice(0, -1)) && type.length > pattern.length - 1 : pattern === type;
}

export function readField(field: FieldRef, event: Pick<ScorableEvent, 'properties'>, lead: Record<string, unknown>): unknown {
  let value: unknown = field.source === 'properties' ? event.properties : lead;
  for (const key of field.keys) {
    if (Array.isArray(value) && /^\d+$/.test(key)) value = value[Number(key)];
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) value = (value as Record<string, unknown>)[key];
    else return undefined;
  }
  return value;
}

const text = (v: string) => v.trim().toLowerCase();

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** Forgiving on form: events arrive from forms and APIs that send "42" for 42 and "Yes" for yes. */
function same(actual: unknown, expected: Scalar): boolean {
  if (typeof expected === 'number') return toNumber(actual) === expected;
  if (typeof actual === 'string') return text(actual) === text(String(expected));
  if (typeof actual === 'number' || typeof actual === 'boolean') return String(actual) === text(String(expected));
  return false;
}

// A list value (tags, interests) matches when any of its items does.
const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

export function conditionHolds(c: Condition, value: unknown): boolean {
  const present = value !== undefined && value !== null && value !== '';
  if (c.exists !== undefined && c.exists !== present) return false;
  if (c.equals !== undefined && !items(value).some((v) => same(v, c.equals!))) return false;
  if (c.in && !items(value).some((v) => c.in!.some((e) => same(v, e)))) return false;
  if (c.notIn && items(value).some((v) => c.notIn!.some((e) => same(v, e)))) return false;
  if (c.contains !== undefined && !items(value).some((v) => typeof v === 'string' && text(v).includes(text(c.contains!)))) return false;
  if (c.gt !== undefined || c.gte !== undefined || c.lt !== undefined || c.lte !== undefined) {
    const n = toNumber(value);
    if (n === undefined) return false;
    if ((c.gt !== undefined && !(n > c.gt)) || (c.gte !== undefined && !(n >= c.gte)) || (c.lt !== undefined && !(n < c.lt)) || (c.lte !== undefined && !(n <= c.lte))) return false;
  }
  return true;
}

export function ruleMatches(rule: ScoringRule, event: ScorableEvent, lead: Record<string, unknown>): boolean {
  return eventMatches(rule.event, event.type) && rule.where.every((c) => conditionHolds(c, readField(c.field, event, lead)));
}

/** The points the rule may still give at `at`, after once, max and cap; 0 when none. */
function allowedPoints(rule: ScoringRule, stat: RuleStat, at: number): number {
  if (rule.points === 0 || (rule.once && stat.n > 0)) return 0;
  // Symmetric window, so a late event cannot slip in beside awards already given after it.
  if (rule.max && stat.times.filter((t) => Math.abs(at - Date.parse(t)) < rule.max!.perMs).length >= rule.max.count) return 0;
  if (rule.cap === null) return rule.points;
  const left = round2(rule.cap - Math.abs(stat.sum));
  return left <= 0 ? 0 : Math.sign(rule.points) * Math.min(Math.abs(rule.points), left);
}

/**
 * Applies every matching rule to each event in order (events sorted by occurredAt by the
 * caller); returns the new state and one ledger entry per (rule, dimension) award. Pure: does
 * not mutate its inputs. Points round to 2 decimals.
 */
export function scoreEvents(
  model: ScoringModel,
  state: ScoreState,
  events: readonly ScorableEvent[],
  lead: Record<string, unknown>,
): { state: ScoreState; ledger: LedgerEntry[] } {
  const scores: Record<string, number> = { [TOTAL]: 0, ...state.scores };
  const ruleStats: Record<string, RuleStat> = {};
  for (const [id, s] of Object.entries(state.ruleStats)) ruleStats[id] = { ...s, times: [...s.times] };
  const ledger: LedgerEntry[] = [];

  for (const event of events) {
    if (!countsAsHuman(event)) continue;
    const at = event.occurredAt.getTime();
    for (const rule of model.rules) {
      if (!ruleMatches(rule, event, lead)) continue;
      const stat = ruleStats[rule.id] ?? { n: 0, sum: 0, times: [] };
      const points = round2(allowedPoints(rule, stat, at));
      if (points === 0) continue;

      const product = rule.product ? readField(rule.product, event, lead) : undefined;
      const dimensions = [TOTAL];
      if ((typeof product === 'string' && product.trim()) || typeof product === 'number') dimensions.push(productDimension(String(product)));
      const reason = points === rule.points ? rule.label : `${rule.label} (capped at ${rule.cap})`;
      for (const dimension of dimensions) {
        const before = round2(scores[dimension] ?? 0); // half-life decay leaves scores unrounded
        const after = round2(before + points);
        scores[dimension] = after;
        ledger.push({ dimension, ruleId: rule.id, activityId: event.id, points, before, after, cause: 'event', reason, at: event.occurredAt });
      }

      const times = rule.max ? [...stat.times.filter((t) => at - Date.parse(t) < rule.max!.perMs), event.occurredAt.toISOString()] : [];
      ruleStats[rule.id] = { n: stat.n + 1, sum: round2(stat.sum + points), times };
    }
  }
  return { state: { scores, ruleStats }, ledger };
}
