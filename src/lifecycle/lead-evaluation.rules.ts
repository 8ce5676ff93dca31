import { GradingModel } from '../grading/grading-model.schema';
import { Grade } from '../grading/grade.rules';
import { gradeLead, gradeSignals } from '../grading/grading.rules';
import { decayScores } from '../scoring/decay.rules';
import { ScoringModel } from '../scoring/scoring-model.schema';
import { LedgerEntry, RuleStat, ScorableEvent, scoreEvents } from '../scoring/scoring.rules';
import { Stage, Temperature, nextTemperature, stageFor } from './lifecycle.rules';

/** What a lead's evaluation reads: its profile and current state. */
export interface LeadSnapshot {
  profile: Record<string, unknown>;
  scores: Record<string, number>;
  grade: Grade | null;
  persona: string | null;
  stage: Stage;
  temperature: Temperature;
  temperatureSince: Date;
  ruleStats: Record<string, RuleStat>;
  /** grading signals set by past activity (e.g. visited the careers page) */
  signals: string[];
  lastActivityAt: Date | null;
  decayedAt: Date | null;
}

export type Cause = 'event' | 'decay' | 'profile' | 'manual' | 'rescore';

export interface Transition {
  kind: 'stage' | 'temperature' | 'grade' | 'persona';
  from: string | null;
  to: string | null;
  cause: Cause;
  detail: Record<string, unknown>;
}

export interface Evaluation {
  next: Omit<LeadSnapshot, 'profile'>;
  ledger: LedgerEntry[];
  transitions: Transition[];
  /** the grade's explanation, for the explain endpoint */
  gradeMatches: ReturnType<typeof gradeLead>['matched'];
}

/**
 * The whole per-lead decision in one pure function: score the new activities, re-grade, then
 * derive stage and temperature. The orchestrator calls it inside the lead's transaction and
 * writes what it returns; what-if replays call it over history with a candidate model.
 */
export function evaluateLead(
  lead: LeadSnapshot,
  activities: readonly ScorableEvent[],
  models: { scoring: ScoringModel; grading: GradingModel },
  now: Date,
  cause: Cause = activities.length ? 'event' : 'profile',
): Evaluation {
  const ordered = [...activities].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.id < b.id ? -1 : 1));
  const profile = { ...lead.profile, grade: lead.grade, persona: lead.persona, stage: lead.stage, temperature: lead.temperature };
  const scored = scoreEvents(models.scoring, { scores: lead.scores, ruleStats: lead.ruleStats }, ordered.filter((a) => a.type !== SCORE_ADJUSTED), profile);
  applyAdjustments(scored, ordered);

  const signals = new Set(lead.signals);
  for (const a of ordered) for (const s of gradeSignals(models.grading, a)) signals.add(s);
  const graded = gradeLead(models.grading, lead.profile, [...signals]);
  const signalsChanged = signals.size !== lead.signals.length;

  const lastActivityAt = ordered.length ? maxDate(lead.lastActivityAt, ordered[ordered.length - 1].occurredAt) : lead.lastActivityAt;
  const next = derive(lead, scored.state.scores, graded.grade, graded.persona, models.scoring, now);
  const transitions = diff(lead, next, cause, signalsChanged && cause === 'profile' ? 'event' : cause, ordered, scored.ledger);
  return {
    // decay is measured from the first points on, not from the lead's creation
    next: { ...next, ruleStats: scored.state.ruleStats, signals: [...signals], lastActivityAt, decayedAt: lead.decayedAt ?? (ordered.length ? now : null) },
    ledger: scored.ledger,
    transitions,
    gradeMatches: graded.matched,
  };
}

/** Points a workflow step gives directly (`score:` steps), recorded as activity so this stays the one writer of scores. */
export const SCORE_ADJUSTED = 'score.adjusted';

function applyAdjustments(scored: { state: { scores: Record<string, number> }; ledger: LedgerEntry[] }, activities: readonly ScorableEvent[]): void {
  for (const a of activities) {
    if (a.type !== SCORE_ADJUSTED) continue;
    const points = Number(a.properties.points);
    if (!Number.isFinite(points) || points === 0) continue;
    const before = scored.state.scores.total ?? 0;
    const after = Math.round((before + points) * 100) / 100;
    scored.state.scores = { ...scored.state.scores, total: after };
    const reason = typeof a.properties.reason === 'string' ? a.properties.reason : 'workflow step';
    scored.ledger.push({ dimension: 'total', ruleId: null, activityId: a.id, points, before, after, cause: 'manual', reason, at: a.occurredAt });
  }
}

/** Time passing: decay the scores, then let stage and temperature follow. */
export function decayLead(lead: LeadSnapshot, models: { scoring: ScoringModel; grading: GradingModel }, now: Date): Evaluation {
  const decayed = decayScores(models.scoring, lead.scores, { lastActivityAt: lead.lastActivityAt, decayedAt: lead.decayedAt, now });
  const next = derive(lead, decayed.scores, lead.grade, lead.persona, models.scoring, now);
  return {
    next: { ...next, ruleStats: lead.ruleStats, signals: lead.signals, lastActivityAt: lead.lastActivityAt, decayedAt: now },
    ledger: decayed.ledger,
    transitions: diff(lead, next, 'decay', 'decay', [], decayed.ledger),
    gradeMatches: [],
  };
}

function derive(lead: LeadSnapshot, scores: Record<string, number>, grade: Grade | null, persona: string | null, scoring: ScoringModel, now: Date) {
  const total = scores.total ?? 0;
  const stage = stageFor(total, grade, scoring.stages);
  const temperature = nextTemperature(lead.temperature, lead.temperatureSince, total, now, scoring.temperature);
  return { scores, grade, persona, stage, temperature, temperatureSince: temperature === lead.temperature ? lead.temperatureSince : now };
}

function diff(
  before: LeadSnapshot,
  after: { grade: Grade | null; persona: string | null; stage: Stage; temperature: Temperature; scores: Record<string, number> },
  cause: Cause,
  gradeCause: Cause,
  activities: readonly ScorableEvent[],
  ledger: readonly LedgerEntry[],
): Transition[] {
  const detail = {
    score: after.scores.total ?? 0,
    rules: [...new Set(ledger.map((l) => l.ruleId).filter((r): r is string => r !== null))],
    activities: activities.map((a) => a.id).slice(0, 50),
  };
  const out: Transition[] = [];
  const push = (kind: Transition['kind'], from: string | null, to: string | null, c: Cause) => {
    if (from !== to) out.push({ kind, from, to, cause: c, detail });
  };
  push('grade', before.grade, after.grade, gradeCause);
  push('persona', before.persona, after.persona, gradeCause);
  push('stage', before.stage, after.stage, cause);
  push('temperature', before.temperature, after.temperature, cause);
  return out;
}

function maxDate(a: Date | null, b: Date): Date {
  return a && a > b ? a : b;
}
