import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ModelProblem, parseYamlModel } from '../common/yaml-model';
import { GRADES, Grade } from '../grading/grade.rules';
import { KNOWN_EVENT_TYPES } from '../activities/event-types';

/**
 * Event types the engine records or accepts. A rule's `event` must be one of these, a
 * `custom.<name>`, or a wildcard such as `page.*`: a typo like `email.openend` would
 * otherwise match nothing and nobody would notice. The list lives in activities/event-types.ts.
 */
export { KNOWN_EVENT_TYPES };

const NAMESPACES = [...new Set([...KNOWN_EVENT_TYPES.map((t) => t.split('.')[0]), 'custom'])];
const CUSTOM_OR_WILDCARD = new RegExp(`^(custom(\\.[a-z0-9_-]+)+|(${NAMESPACES.join('|')})\\.\\*)$`);

// Months are left out on purpose: they vary in length, and "1m" reads as a month to some and a minute to others.
const UNITS: Record<string, number> = { s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const UNIT_WORDS: Record<string, string> = { sec: 's', secs: 's', second: 's', seconds: 's', mins: 'min', minute: 'min', minutes: 'min', hour: 'h', hours: 'h', hr: 'h', hrs: 'h', day: 'd', days: 'd', week: 'w', weeks: 'w' };
const DURATION = /^ *(\d+(?:\.\d+)?) *(s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?) *$/;
const DURATION_HINT = 'a duration like 12h, 7d or 4w (units: s, min, h, d, w; write months as days, e.g. 30d)';

/** '30d' → 2592000000; undefined when the text is not a duration. */
export function durationMs(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * UNITS[UNIT_WORDS[m[2]] ?? m[2]];
}

const duration = z.string({ error: DURATION_HINT }).regex(DURATION, DURATION_HINT);
const positiveDuration = duration.refine((s) => (durationMs(s) ?? 1) > 0, 'must be longer than 0');

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const FIELD_PATH = /^(properties|lead)(\.[A-Za-z0-9_-]+)+$/;
const fieldPath = z.string().regex(FIELD_PATH, 'a path like properties.product or lead.attributes.plan');
const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'a text, a number, true or false' });
const scalarList = z.array(scalar).min(1, 'list at least one value');
const number = z.number({ error: 'a number' });

const OPERATORS = 'equals, in, notIn, gt, gte, lt, lte, contains, exists';
const operators = z
  .strictObject({
    equals: scalar.optional(),
    in: scalarList.optional(),
    notIn: scalarList.optional(),
    gt: number.optional(),
    gte: number.optional(),
    lt: number.optional(),
    lte: number.optional(),
    contains: z.string().min(1).optional(),
    exists: z.boolean().optional(),
  })
  // `when`: an unknown operator is reported on its own, not also as "no operator"
  .refine((o) => Object.keys(o).length > 0, { message: `give at least one of ${OPERATORS}`, when: (p) => p.issues.length === 0 });

/**
 * zod reports a failed union as a bare "Invalid input"; a marketer needs to know what was wrong
 * inside the branch they meant, which is the object branch when they wrote an object.
 */
function explainUnion(hint: string) {
  return (iss: z.core.$ZodRawIssue): string | undefined => {
    if (iss.code !== 'invalid_union') return undefined;
    const input = iss.input;
    if (input && typeof input === 'object' && !Array.isArray(input)) {
      const inner = iss.errors.flat().find((e) => e.path.length > 0 || e.code === 'unrecognized_keys' || e.code === 'custom');
      if (inner) return inner.path.length ? `${inner.path.join('.')}: ${inner.message}` : inner.message;
    }
    return hint;
  };
}

const EVENT_HINT = `one of ${KNOWN_EVENT_TYPES.join(', ')}, a custom.<name>, or a wildcard like page.*`;

const condition = z
  .union([scalar, scalarList, operators], { error: explainUnion(`a value to equal, a list of values (one must match), or one or more of ${OPERATORS}`) })
  .describe(`A value the field must equal (text ignores case), a list (one must match), or operators: ${OPERATORS}. All must hold.`);

const ruleSchema = z.strictObject({
  id: z.string().regex(SLUG, 'lower-case words joined by dashes, e.g. pricing-page').describe('Unique name of the rule, shown in the score ledger.'),
  event: z
    .union([z.enum(KNOWN_EVENT_TYPES), z.string().regex(CUSTOM_OR_WILDCARD, EVENT_HINT)], { error: EVENT_HINT })
    .describe('The event type this rule scores; `custom.<name>` for your own events; `page.*` matches every page.<x>.'),
  label: z.string().trim().min(1).max(200).optional().describe('Why the points were given, as the ledger shows it. Defaults to the id.'),
  where: z.record(fieldPath, condition).optional().describe('Conditions on properties.<path> and lead.<field>; all must hold.'),
  points: z.number({ error: 'a number of points, e.g. 5, -10 or 2.5' }).describe('Points per award; negative lowers the score.'),
  once: z.boolean().optional().describe('true: only the first matching event scores.'),
  max: z
    .strictObject({ count: z.int().positive(), per: positiveDuration })
    .optional()
    .describe('At most `count` awards in any rolling `per` period.'),
  cap: z
    .number()
    .refine((n) => n !== 0, 'cap 0 would switch the rule off; remove the rule or set points: 0')
    .optional()
    .describe('Most points this rule may ever give a lead; for a negative rule, the most it may take.'),
  product: fieldPath.optional().describe('A path whose value names a product: the points also go to the score `product:<value>`.'),
});

const decayHint = 'decay is `none`, `halfLife: 90d`, or `inactivity: { after: 30d, points: 5, every: 30d }`';
const decaySchema = z
  .union(
    [
      z.literal('none'),
      z.strictObject({
        halfLife: positiveDuration.optional().describe('Points lose half their value every period.'),
        inactivity: z
          .strictObject({ after: duration, points: z.number().positive(), every: positiveDuration })
          .optional()
          .describe('After `after` without activity, subtract `points` per `every` of further inactivity.'),
      }),
    ],
    { error: explainUnion(decayHint) },
  )
  .describe(decayHint);

const band = z.strictObject({ enter: z.number(), exit: z.number() });

export const scoringModelSchema = z
  .strictObject({
    rules: z.array(ruleSchema),
    decay: decaySchema,
    stages: z.strictObject({
      interest: z.number().positive(),
      mql: z.number().positive(),
      salesReady: z.number().positive(),
      salesReadyMinGrade: z.enum(GRADES).describe('Sales-ready also needs at least this grade.'),
    }),
    temperature: z.strictObject({ warm: band, hot: band, minTimeBeforeDrop: duration }),
  })
  .describe('Kindling lead scoring model');

export type ScoringModelSource = z.output<typeof scoringModelSchema>;
export type Scalar = string | number | boolean;

/** Where a condition or a product name reads its value from. */
export interface FieldRef {
  source: 'properties' | 'lead';
  keys: string[];
  /** as written, e.g. properties.product */
  text: string;
}

export interface Condition {
  field: FieldRef;
  equals?: Scalar;
  in?: Scalar[];
  notIn?: Scalar[];
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  contains?: string;
  exists?: boolean;
}

export interface ScoringRule {
  id: string;
  /** exact type, or `ns.*` */
  event: string;
  label: string;
  where: Condition[];
  points: number;
  once: boolean;
  max: { count: number; perMs: number; per: string } | null;
  /** a magnitude, always > 0 */
  cap: number | null;
  product: FieldRef | null;
}

export type DecayPolicy =
  | { kind: 'none' }
  | { kind: 'halfLife'; halfLifeMs: number; halfLife: string }
  | { kind: 'inactivity'; afterMs: number; points: number; everyMs: number; after: string; every: string };

export interface ScoringModel {
  /** sha256 of the source, 16 hex: which model version produced a ledger entry */
  version: string;
  rules: ScoringRule[];
  decay: DecayPolicy;
  stages: { interest: number; mql: number; salesReady: number; salesReadyMinGrade: Grade };
  temperature: { warm: { enter: number; exit: number }; hot: { enter: number; exit: number }; minTimeBeforeDropMs: number };
}

export const round2 = (n: number): number => (Math.sign(n) * Math.round(Math.abs(n) * 100 + 1e-9)) / 100 || 0;

const fieldRef = (text: string): FieldRef => {
  const [source, ...keys] = text.split('.');
  return { source: source as FieldRef['source'], keys, text };
};

/** Checks that need more than one field, reported on the line of the field to change. */
function semanticProblems(m: ScoringModelSource): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const seen = new Map<string, number>();
  m.rules.forEach((r, i) => {
    const first = seen.get(r.id);
    if (first !== undefined) out.push({ path: ['rules', i, 'id'], message: `duplicate rule id "${r.id}" (also rule ${first + 1})` });
    else seen.set(r.id, i);
    if (r.cap !== undefined && r.cap < 0 && r.points > 0) out.push({ path: ['rules', i, 'cap'], message: 'cap is the most points the rule may give: write it as a positive number' });
  });
  if (m.decay !== 'none') {
    const given = (['halfLife', 'inactivity'] as const).filter((k) => m.decay !== 'none' && m.decay[k] !== undefined);
    if (given.length !== 1) out.push({ path: ['decay'], message: `${given.length ? 'choose one of' : 'give'} halfLife or inactivity (or write decay: none)` });
  }
  const s = m.stages;
  if (s.mql <= s.interest) out.push({ path: ['stages', 'mql'], message: `mql (${s.mql}) must be above interest (${s.interest})` });
  if (s.salesReady <= s.mql) out.push({ path: ['stages', 'salesReady'], message: `salesReady (${s.salesReady}) must be above mql (${s.mql})` });
  const t = m.temperature;
  for (const band of ['warm', 'hot'] as const) {
    if (t[band].enter <= t[band].exit) out.push({ path: ['temperature', band, 'exit'], message: `${band}.exit (${t[band].exit}) must be below ${band}.enter (${t[band].enter}), or leads flip back and forth` });
  }
  if (t.hot.enter < t.warm.enter) out.push({ path: ['temperature', 'hot', 'enter'], message: `hot.enter (${t.hot.enter}) must be at least warm.enter (${t.warm.enter})` });
  if (t.hot.exit < t.warm.exit) out.push({ path: ['temperature', 'hot', 'exit'], message: `hot.exit (${t.hot.exit}) must be at least warm.exit (${t.warm.exit})` });
  return out;
}

function toDecay(d: ScoringModelSource['decay']): DecayPolicy {
  if (d === 'none') return { kind: 'none' };
  if (d.halfLife !== undefined) return { kind: 'halfLife', halfLifeMs: durationMs(d.halfLife)!, halfLife: d.halfLife.trim() };
  const i = d.inactivity!;
  return { kind: 'inactivity', afterMs: durationMs(i.after)!, points: i.points, everyMs: durationMs(i.every)!, after: i.after.trim(), every: i.every.trim() };
}

function toRule(r: ScoringModelSource['rules'][number]): ScoringRule {
  return {
    id: r.id,
    event: r.event,
    label: r.label ?? r.id,
    where: Object.entries(r.where ?? {}).map(([path, c]) => ({ field: fieldRef(path), ...(Array.isArray(c) ? { in: c } : typeof c === 'object' ? c : { equals: c }) })),
    points: round2(r.points),
    once: r.once ?? false,
    max: r.max ? { count: r.max.count, perMs: durationMs(r.max.per)!, per: r.max.per.trim() } : null,
    cap: r.cap === undefined ? null : Math.abs(r.cap),
    product: r.product ? fieldRef(r.product) : null,
  };
}

export function parseScoringModel(source: string, file: string): { ok: true; model: ScoringModel } | { ok: false; problems: ModelProblem[] } {
  const parsed = parseYamlModel(source, scoringModelSchema, file);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  const problems = semanticProblems(m).map((p) => ({ file, line: parsed.lineOf(p.path), path: p.path.join('.'), message: p.message }));
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    model: {
      version: createHash('sha256').update(source).digest('hex').slice(0, 16),
      rules: m.rules.map(toRule),
      decay: toDecay(m.decay),
      stages: { ...m.stages },
      temperature: { warm: { ...m.temperature.warm }, hot: { ...m.temperature.hot }, minTimeBeforeDropMs: durationMs(m.temperature.minTimeBeforeDrop)! },
    },
  };
}

/** The JSON Schema shipped as workflows/scoring.schema.json, for completion and checks in editors. */
export function scoringJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(scoringModelSchema, { target: 'draft-7', io: 'input' });
}
