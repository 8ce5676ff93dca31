import { Grade, compareGrades } from '../grading/grade.rules';

/** Funnel stages, earliest first (the Act-On bands: awareness, interest, MQL, hand to sales). */
export type Stage = 'awareness' | 'interest' | 'mql' | 'sales-ready';
export const STAGES: readonly Stage[] = ['awareness', 'interest', 'mql', 'sales-ready'];

/** Content tracks, coldest first. */
export type Temperature = 'cold' | 'warm' | 'hot';
export const TEMPERATURES: readonly Temperature[] = ['cold', 'warm', 'hot'];

/** Score thresholds: each is the lowest total of its stage. */
export interface StagePolicy {
  interest: number;
  mql: number;
  salesReady: number;
  salesReadyMinGrade: Grade;
}

/**
 * A lead enters a temperature at `enter` and leaves it below `exit` (exit <= enter). The gap
 * between the two, and the minimum stay, keep a lead whose score hovers around a threshold from
 * switching tracks, and so content sequences, with every event.
 */
export interface TemperaturePolicy {
  warm: { enter: number; exit: number };
  hot: { enter: number; exit: number };
  minTimeBeforeDropMs: number;
}

/** total >= salesReady AND grade >= salesReadyMinGrade → 'sales-ready'; a top score with a poor (or no) grade stays 'mql'. */
export function stageFor(total: number, grade: Grade | null, policy: StagePolicy): Stage {
  // a student researching a thesis can out-score any buyer; only fit decides who reaches sales
  if (total >= policy.salesReady && grade !== null && compareGrades(grade, policy.salesReadyMinGrade) >= 0) return 'sales-ready';
  if (total >= policy.mql) return 'mql';
  if (total >= policy.interest) return 'interest';
  return 'awareness';
}

/**
 * Hysteresis: rise when total >= the next level's enter (can jump cold→hot); drop one or more
 * levels only when total < that level's exit AND the lead has been in its current temperature
 * for at least minTimeBeforeDropMs (since = when it entered it). Returns the new temperature
 * (may equal current).
 */
export function nextTemperature(current: Temperature, since: Date, total: number, now: Date, policy: TemperaturePolicy): Temperature {
  const level = TEMPERATURES.indexOf(current);
  const risen = total >= policy.hot.enter ? 2 : total >= policy.warm.enter ? 1 : 0;
  // rising is never delayed: a lead asking for an offer should get hot-track content at once
  if (risen > level) return TEMPERATURES[risen];

  if (now.getTime() - since.getTime() < policy.minTimeBeforeDropMs) return current;
  // the level the lead would still hold on the way down: each exit is checked from the top
  const held = level === 2 && total >= policy.hot.exit ? 2 : level >= 1 && total >= policy.warm.exit ? 1 : 0;
  return TEMPERATURES[Math.min(level, held)];
}

/** Why a policy would misbehave, for config validation at boot; empty when it is sound. */
export function stagePolicyProblems(p: StagePolicy): string[] {
  return p.interest <= p.mql && p.mql <= p.salesReady ? [] : [`thresholds must rise: interest ${p.interest} <= mql ${p.mql} <= salesReady ${p.salesReady}`];
}

export function temperaturePolicyProblems(p: TemperaturePolicy): string[] {
  const problems: string[] = [];
  // an exit above its enter would drop a lead the moment it rose: the flapping hysteresis prevents
  if (p.warm.exit > p.warm.enter) problems.push(`warm.exit ${p.warm.exit} must not be above warm.enter ${p.warm.enter}`);
  if (p.hot.exit > p.hot.enter) problems.push(`hot.exit ${p.hot.exit} must not be above hot.enter ${p.hot.enter}`);
  if (p.hot.enter < p.warm.enter) problems.push(`hot.enter ${p.hot.enter} must not be below warm.enter ${p.warm.enter}`);
  if (p.hot.exit < p.warm.exit) problems.push(`hot.exit ${p.hot.exit} must not be below warm.exit ${p.warm.exit}`);
  if (p.minTimeBeforeDropMs < 0) problems.push('minTimeBeforeDropMs must not be negative');
  return problems;
}
