import { compareGrades, Grade } from '../grading/grade.rules';
import type { Condition } from '../scoring/scoring-model.schema';
import { conditionHolds, readField } from '../scoring/scoring.rules';
import { WorkingHours, inWorkingHours, nextWorkingStart } from './working-hours.rules';

/** Why a rep hands a lead back to marketing. */
export const RETURN_REASONS = ['not-ready', 'bad-fit', 'no-contact', 'duplicate', 'other'] as const;
export type ReturnReason = (typeof RETURN_REASONS)[number];

export type Strategy = 'round-robin' | 'weighted' | 'least-loaded';
export type WhenUnavailable = 'skip' | 'assign';

/** A rep as routing sees it: fit (territories already expanded to country codes), availability and load. */
export interface RoutableRep {
  id: string;
  key: string;
  /** upper-case ISO country codes; empty = every country */
  countries: string[];
  industries: string[];
  personas: string[];
  products: string[];
  capacity: number | null;
  weight: number;
  workingHours: WorkingHours | null;
  timeZone: string;
  active: boolean;
  awayUntil: Date | null;
  /** open (pending or accepted) assignments */
  load: number;
}

export interface AssignmentRule {
  id: string;
  where: Condition[];
  /** upper-case ISO country codes the lead's country must be in; empty = any */
  countries: string[];
  minGrade: Grade | null;
  /** rep keys, in the file's order */
  pool: string[];
  strategy: Strategy;
  slaMs: number;
  whenUnavailable: WhenUnavailable;
  /** the rule to try when no rep of this one can take the lead; null = the unassigned queue */
  fallback: string | null;
}

export interface RoutingModel {
  rules: AssignmentRule[];
  /** the rule tried when no rule matches; null = the unassigned queue */
  fallback: string | null;
  /** rules reachable only as a fallback (the fallback pool) live here too, by id */
  byId: ReadonlyMap<string, AssignmentRule>;
}

/** What routing reads of the lead: its profile plus score, scores, grade, persona, stage, temperature. */
export type RoutableLead = Record<string, unknown> & { country?: string | null; industry?: string | null; persona?: string | null; grade?: string | null; scores?: Record<string, number> };

export type Rotation = Map<string, { currentWeight: number; assigned: number }>;

export type Unavailable = 'inactive' | 'away' | 'at-capacity' | 'outside-hours';
export type Unfit = 'territory' | 'industry' | 'persona' | 'product';

export type Routing =
  | { kind: 'assigned'; rule: AssignmentRule; rep: RoutableRep; notifyAt: Date; tried: string[] }
  | { kind: 'queued'; rule: AssignmentRule | null; tried: string[] };

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** The first rule whose conditions hold, in file order. */
export function matchRule(rules: readonly AssignmentRule[], lead: RoutableLead): AssignmentRule | undefined {
  return rules.find(
    (r) =>
      (r.countries.length === 0 || (typeof lead.country === 'string' && r.countries.includes(lead.country.toUpperCase()))) &&
      (r.minGrade === null || (typeof lead.grade === 'string' && compareGrades(lead.grade as Grade, r.minGrade) >= 0)) &&
      r.where.every((c) => conditionHolds(c, readField(c.field, { properties: {} }, lead))),
  );
}

/** The product a lead is most interested in: its highest positive `product:<name>` score. */
export function leadingProduct(scores: Record<string, number> | undefined): string | null {
  let best: [string, number] | null = null;
  for (const [k, v] of Object.entries(scores ?? {})) if (k.startsWith('product:') && v > 0 && (!best || v > best[1])) best = [k.slice(8), v];
  return best?.[0] ?? null;
}

/**
 * Whether the rep covers this lead at all. Territory, industry and persona are hard limits (a
 * lead with no country cannot be in anyone's territory); products are a specialism, so a lead
 * with no product interest yet fits any rep.
 */
export function unfitReason(rep: RoutableRep, lead: RoutableLead): Unfit | undefined {
  if (rep.countries.length && !(typeof lead.country === 'string' && rep.countries.includes(lead.country.toUpperCase()))) return 'territory';
  if (rep.industries.length && !(typeof lead.industry === 'string' && rep.industries.some((i) => same(i, lead.industry as string)))) return 'industry';
  if (rep.personas.length && !(typeof lead.persona === 'string' && rep.personas.includes(lead.persona))) return 'persona';
  const product = leadingProduct(lead.scores);
  if (rep.products.length && product !== null && !rep.products.some((p) => same(p, product))) return 'product';
  return undefined;
}

export function unavailableReason(rep: RoutableRep, now: Date): Unavailable | undefined {
  if (!rep.active) return 'inactive';
  if (rep.awayUntil && rep.awayUntil > now) return 'away';
  if (rep.capacity !== null && rep.load >= rep.capacity) return 'at-capacity';
  if (!inWorkingHours(now, rep.workingHours, rep.timeZone)) return 'outside-hours';
  return undefined;
}

/** When a rep assigned "anyway" is back: the end of the absence, then the next working hour. */
export function backAt(rep: RoutableRep, now: Date): Date {
  const from = rep.awayUntil && rep.awayUntil > now ? rep.awayUntil : now;
  return nextWorkingStart(from, rep.workingHours, rep.timeZone);
}

/**
 * Picks one rep of `candidates` (in pool order) and updates `rotation` and the rep's load.
 * Round robin and weighted use smooth weighted round robin (nginx's): each candidate's current
 * weight grows by its weight, the highest is picked and pays back the total. With equal weights
 * that is a strict rotation; a rep who was skipped does not bank turns to catch up later.
 */
export function pickRep(strategy: Strategy, candidates: readonly RoutableRep[], rotation: Rotation): RoutableRep {
  const state = (r: RoutableRep) => {
    let s = rotation.get(r.id);
    if (!s) rotation.set(r.id, (s = { currentWeight: 0, assigned: 0 }));
    return s;
  };
  let chosen: RoutableRep;
  if (strategy === 'least-loaded') {
    chosen = candidates.reduce((best, r) => {
      const [a, b] = [r.capacity ? r.load / r.capacity : r.load, best.capacity ? best.load / best.capacity : best.load];
      return a < b || (a === b && state(r).assigned < state(best).assigned) ? r : best;
    });
  } else {
    const weightOf = (r: RoutableRep) => (strategy === 'weighted' ? r.weight : 1);
    const total = candidates.reduce((n, r) => n + weightOf(r), 0);
    for (const r of candidates) state(r).currentWeight += weightOf(r);
    chosen = candidates.reduce((best, r) => (state(r).currentWeight > state(best).currentWeight ? r : best));
    state(chosen).currentWeight -= total;
  }
  state(chosen).assigned += 1;
  chosen.load += 1;
  return chosen;
}

/**
 * Routes one lead: the first matching rule (or the model's fallback), then each rule's fallback
 * in turn until one has a rep who fits and can take the lead now. A rule set to `assign` anyway
 * gives the lead to a fitting rep who is away, busy or off work, and says when to tell them.
 * `exclude` holds reps who already had the lead (an SLA reassignment moves on, not back).
 */
export function route(
  model: RoutingModel,
  reps: ReadonlyMap<string, RoutableRep>,
  lead: RoutableLead,
  rotations: (ruleId: string) => Rotation,
  now: Date,
  opts: { exclude?: ReadonlySet<string>; startAt?: string } = {},
): Routing {
  const first = opts.startAt !== undefined ? model.byId.get(opts.startAt) : matchRule(model.rules, lead);
  let ruleId: string | null = first?.id ?? model.fallback;
  const tried: string[] = [];
  let last: AssignmentRule | null = null;
  while (ruleId !== null && !tried.includes(ruleId)) {
    const rule = model.byId.get(ruleId);
    if (!rule) break;
    tried.push(rule.id);
    last = rule;
    const fitting = rule.pool
      .map((k) => reps.get(k))
      .filter((r): r is RoutableRep => r !== undefined && !opts.exclude?.has(r.id) && unfitReason(r, lead) === undefined);
    const available = fitting.filter((r) => unavailableReason(r, now) === undefined);
    if (available.length) return { kind: 'assigned', rule, rep: pickRep(rule.strategy, available, rotations(rule.id)), notifyAt: now, tried };
    const anyway = rule.whenUnavailable === 'assign' ? fitting.filter((r) => r.active) : [];
    if (anyway.length) {
      const rep = pickRep(rule.strategy, anyway, rotations(rule.id));
      return { kind: 'assigned', rule, rep, notifyAt: backAt(rep, now), tried };
    }
    ruleId = rule.fallback;
  }
  return { kind: 'queued', rule: last, tried };
}

/** Fallback chains that loop back on themselves, as the ids of each loop, for validation. */
export function fallbackCycles(rules: ReadonlyMap<string, { fallback: string | null }>): string[][] {
  const cycles: string[][] = [];
  const reported = new Set<string>();
  for (const start of rules.keys()) {
    const path: string[] = [];
    let id: string | null = start;
    while (id !== null && rules.has(id) && !path.includes(id)) {
      path.push(id);
      id = rules.get(id)!.fallback;
    }
    if (id !== null && path.includes(id)) {
      const loop = path.slice(path.indexOf(id));
      const sig = [...loop].sort().join(',');
      if (!reported.has(sig)) {
        reported.add(sig);
        cycles.push([...loop, id]);
      }
    }
  }
  return cycles;
}
