import { Grade, compareGrades, stepGrade } from './grade.rules';
import { ActivityCriterion, Criterion, GradingModel, Matcher, ProfileCriterion, Scalar } from './grading-model.schema';

export interface GradeMatch {
  /** null: an adjustment, applied whatever the persona */
  persona: string | null;
  /** criterion id, else its label, else a description of it */
  criterion: string;
  steps: number;
}

export interface GradeResult {
  grade: Grade;
  persona: string | null;
  matched: GradeMatch[];
}

export interface GradingEvent {
  type: string;
  properties: Record<string, unknown>;
}

/**
 * Best-matching persona = the one giving the highest grade (ties: more matched criteria, then
 * file order); null when no persona criterion matches. Grade = baseGrade stepped by that
 * persona's matched criteria plus all matching adjustments (profile and signals).
 *
 * Choosing by grade rather than by first match lets keyword lists overlap: "Managing Director"
 * also contains the influencer keyword "director", and should still grade as a decision maker.
 */
export function gradeLead(model: GradingModel, lead: Record<string, unknown>, signals: readonly string[]): GradeResult {
  const held = new Set(signals);
  const adjustments: GradeMatch[] = model.adjustments
    .filter((c) => (c.kind === 'profile' ? profileMatches(c, lead) : held.has(c.id)))
    .map((c) => ({ persona: null, criterion: criterionName(c), steps: c.steps }));
  const adjustmentSteps = sumSteps(adjustments);

  let best: { persona: string; grade: Grade; matched: GradeMatch[] } | undefined;
  for (const persona of model.personas) {
    const matched = persona.criteria.filter((c) => profileMatches(c, lead)).map((c) => ({ persona: persona.id, criterion: criterionName(c), steps: c.steps }));
    if (matched.length === 0) continue;
    const grade = stepGrade(model.baseGrade, sumSteps(matched) + adjustmentSteps);
    // strict comparisons keep the earlier persona on a full tie
    const better = !best || compareGrades(grade, best.grade) > 0 || (compareGrades(grade, best.grade) === 0 && matched.length > best.matched.length);
    if (better) best = { persona: persona.id, grade, matched };
  }

  if (!best) return { grade: stepGrade(model.baseGrade, adjustmentSteps), persona: null, matched: adjustments };
  return { grade: best.grade, persona: best.persona, matched: [...best.matched, ...adjustments] };
}

/**
 * The signals one event leaves on the lead: ids of the activity adjustments it matches. The
 * orchestrator stores them with the lead so that grading never has to re-read the lead's
 * history; a signal counts once however often the lead repeats the behaviour.
 */
export function gradeSignals(model: GradingModel, event: GradingEvent): string[] {
  return model.adjustments.filter((c): c is ActivityCriterion => c.kind === 'activity' && activityMatches(c, event)).map((c) => c.id);
}

function activityMatches(c: ActivityCriterion, event: GradingEvent): boolean {
  return c.activity === event.type && c.where.every((w) => valueMatches(w.matcher, readPath(event, w.path)));
}

export function profileMatches(c: ProfileCriterion, lead: Record<string, unknown>): boolean {
  return valueMatches(c.matcher, readPath(lead, c.field));
}

function valueMatches(m: Matcher, value: unknown): boolean {
  if (m.op === 'exists') return hasValue(value) === m.value;
  // a list (e.g. interests) matches when any of its items does
  return valuesOf(value).some((v) => scalarMatches(m, v));
}

function scalarMatches(m: Exclude<Matcher, { op: 'exists' }>, v: unknown): boolean {
  if (!isScalar(v)) return false;
  switch (m.op) {
    case 'matches':
      return keywordPattern(m).test(String(v));
    case 'equals':
      return normalize(v) === normalize(m.value);
    case 'in':
      return m.values.some((x) => normalize(x) === normalize(v));
    case 'between': {
      const n = toNumber(v);
      return n !== undefined && (m.min === null || n >= m.min) && (m.max === null || n <= m.max);
    }
  }
}

const patterns = new WeakMap<Matcher, RegExp>();

/**
 * One regex per keyword list, compiled once per loaded model. A keyword must stand as whole
 * words so that "CEO" does not match "CEOs Assistant" or "vp" "SVP Office"; the boundary applies
 * only where the keyword itself starts or ends with a letter or digit, so "@gmail.com" can match
 * inside an address.
 */
function keywordPattern(m: Extract<Matcher, { op: 'matches' }>): RegExp {
  let re = patterns.get(m);
  if (!re) {
    const alternatives = m.keywords.map((k) => {
      const body = k
        .trim()
        .split(/\s+/)
        .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('\\s+');
      const before = /^[\p{L}\p{N}]/u.test(k.trim()) ? '(?<![\\p{L}\\p{N}])' : '';
      const after = /[\p{L}\p{N}]$/u.test(k.trim()) ? '(?![\\p{L}\\p{N}])' : '';
      return before + body + after;
    });
    re = new RegExp(alternatives.join('|'), 'iu');
    patterns.set(m, re);
  }
  return re;
}

function criterionName(c: Criterion): string {
  if (c.id !== undefined) return c.id;
  if (c.label !== undefined) return c.label;
  return c.kind === 'activity' ? c.activity : `${c.field} ${c.matcher.op}`;
}

const sumSteps = (matches: readonly GradeMatch[]) => matches.reduce((sum, m) => sum + m.steps, 0);

function readPath(root: unknown, path: string): unknown {
  let node = root;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const valuesOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';
/** form data arrives as text in any case: "DE", "de " and "De" are the same country */
const normalize = (v: Scalar): string => String(v).trim().toLowerCase();

function hasValue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'string') return v.trim() !== '';
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

/** numbers from forms and imports often arrive as text ("250") */
function toNumber(v: Scalar): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\s*-?\d+(?:\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}
