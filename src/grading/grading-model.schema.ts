import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ModelProblem, parseYamlModel } from '../common/yaml-model';
import { KNOWN_EVENT_TYPES } from '../scoring/scoring-model.schema';
import { GRADES, Grade } from './grade.rules';

/**
 * The grading model file (workflows/grading.yaml): personas and adjustments that step a lead's
 * grade up or down from a base grade. The zod schema checks the shape of the file; the checks
 * that span several keys (one matcher per criterion, unique ids, between bounds) run after it,
 * so that each gets a message a marketer can act on instead of zod's union noise.
 */

/** Lead columns a criterion may read; anything else comes from `attributes.<name>`. */
export const LEAD_FIELDS = ['email', 'firstName', 'lastName', 'company', 'jobTitle', 'industry', 'companySize', 'country', 'timezone', 'locale', 'source', 'consent'] as const;

export type Scalar = string | number | boolean;

export type Matcher =
  | { op: 'matches'; keywords: string[] }
  | { op: 'equals'; value: Scalar }
  | { op: 'in'; values: Scalar[] }
  | { op: 'between'; min: number | null; max: number | null }
  | { op: 'exists'; value: boolean };

/** Reads the lead's profile. */
export interface ProfileCriterion {
  kind: 'profile';
  id?: string;
  label?: string;
  /** a lead field or `attributes.<name>` */
  field: string;
  matcher: Matcher;
  steps: number;
}

/** Reads one event; matching events leave a signal (the criterion id) on the lead. */
export interface ActivityCriterion {
  kind: 'activity';
  id: string;
  label?: string;
  /** event type, e.g. page.visited */
  activity: string;
  /** all must hold; `path` is `properties.<name>` */
  where: { path: string; matcher: Matcher }[];
  steps: number;
}

export type Criterion = ProfileCriterion | ActivityCriterion;

export interface Persona {
  id: string;
  name: string;
  description?: string;
  /** persona criteria read the profile only: a persona is who the lead is, not what they did */
  criteria: ProfileCriterion[];
}

export type GradingModel = {
  /** sha256 of the source, 16 hex: grades in the ledger name the model version that gave them */
  version: string;
  baseGrade: Grade;
  personas: Persona[];
  adjustments: Criterion[];
};

const MATCHERS = ['matches', 'equals', 'in', 'between', 'exists'] as const;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const ATTRIBUTE_FIELD = /^attributes\.[A-Za-z0-9_-]+$/;
const EVENT_PATH = /^properties\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
const CUSTOM_EVENT = /^custom(?:\.[a-z0-9_-]+)+$/;
const EVENT_HINT = `an event type: one of ${KNOWN_EVENT_TYPES.join(', ')}, or custom.<name>`;

const slug = z.string().regex(SLUG, 'use lower-case letters, digits and dashes, e.g. decision-maker');
const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'a text, a number, true or false' });

// JSON-schema-only hints: they let the editor flag a wrong field or a second matcher while typing;
// the same rules are checked (with better messages) by checkModel below.
const hasOne = (keys: readonly string[]) => keys.map((k) => ({ required: [k] }));
const noneOf = (keys: readonly string[]) => ({ not: { anyOf: hasOne(keys) } });
const profileShape = { required: ['field'], oneOf: hasOne(MATCHERS), ...noneOf(['activity', 'where']) };
const activityShape = { required: ['activity', 'id'], ...noneOf(['field', ...MATCHERS]) };

const matcherShape = {
  matches: z.array(z.string().trim().min(1)).min(1).optional().describe('Keywords found as whole words, any case: CEO matches "Deputy CEO", not "CEOs"'),
  equals: scalar.optional().describe('The value, any case'),
  in: z.array(scalar).min(1).optional().describe('Any of these values, any case'),
  between: z
    .tuple([z.number().nullable(), z.number().nullable()])
    .optional()
    .describe('[min, max], both included; null for an open end'),
  exists: z.boolean().optional().describe('true: the field has a value; false: it is empty'),
};
type FileMatcher = { [K in keyof typeof matcherShape]?: z.output<(typeof matcherShape)[K]> };

const whereValue = z
  .union([scalar, z.strictObject(matcherShape).meta({ oneOf: hasOne(MATCHERS) })], {
    error: `a value to equal, or one matcher: ${MATCHERS.map((m) => `{ ${m}: ... }`).join(', ')}`,
  })
  .describe('A value the event property must equal (any case), or one matcher');

const criterionShape = {
  id: slug.optional().describe('Stable name of the criterion; required for activity criteria, whose id is stored on the lead'),
  label: z.string().optional().describe('What the criterion means, shown in the grade explanation'),
  field: z
    .string()
    .optional()
    .describe('Lead field to read, e.g. jobTitle, companySize, country, or attributes.<name>')
    .meta({ anyOf: [{ enum: [...LEAD_FIELDS] }, { pattern: ATTRIBUTE_FIELD.source }] }),
  ...matcherShape,
  activity: z
    .string()
    .refine((t) => (KNOWN_EVENT_TYPES as readonly string[]).includes(t) || CUSTOM_EVENT.test(t), EVENT_HINT)
    .optional()
    .describe('Event type, e.g. page.visited; only in adjustments')
    .meta({ anyOf: [{ enum: [...KNOWN_EVENT_TYPES] }, { pattern: CUSTOM_EVENT.source }] }),
  where: z
    .record(z.string(), whereValue)
    .optional()
    .describe('Conditions on the event, all of which must hold, e.g. properties.path: { matches: [/careers] }')
    .meta({ propertyNames: { pattern: EVENT_PATH.source } }),
  steps: z.number().int().min(-12).max(12).describe('Grade steps, e.g. +1 (C to C+) or -3 (C to D)'),
};

const personaCriterionSchema = z.strictObject(criterionShape).meta({ description: 'A profile criterion', ...profileShape });
const adjustmentSchema = z.strictObject(criterionShape).meta({ description: 'A criterion for every lead', oneOf: [profileShape, activityShape] });

const personaSchema = z.strictObject({
  id: slug.describe('Stable name, stored on leads'),
  name: z.string().min(1),
  description: z.string().optional(),
  criteria: z.array(personaCriterionSchema).min(1).describe('Each matching criterion steps the grade; a lead gets the persona giving the highest grade'),
});

export const gradingFileSchema = z
  .strictObject({
    baseGrade: z.enum(GRADES).describe('Where every lead starts'),
    personas: z.array(personaSchema).min(1),
    adjustments: z.array(adjustmentSchema).optional().describe('Criteria applied to every lead, whatever its persona'),
  })
  .meta({ title: 'Kindling grading model' });

type FileCriterion = z.output<typeof adjustmentSchema>;
type FileModel = z.output<typeof gradingFileSchema>;

/** The JSON Schema editors use for workflows/grading.yaml (draft-07: what yaml-language-server reads best). */
export const gradingJsonSchema = (): Record<string, unknown> => z.toJSONSchema(gradingFileSchema, { target: 'draft-07', io: 'input' });

type Path = (string | number)[];
/** records a problem; returns undefined so that callers can `return report(...)` */
type Report = (path: Path, message: string) => undefined;

function toCriterion(c: FileCriterion, path: Path, inPersona: boolean, problem: Report): Criterion | undefined {
  const base = { ...(c.id !== undefined && { id: c.id }), ...(c.label !== undefined && { label: c.label }), steps: c.steps };
  const matchers = MATCHERS.filter((m) => c[m] !== undefined);

  if (c.activity !== undefined) {
    if (inPersona) return problem([...path, 'activity'], 'activity criteria go under adjustments: a persona describes who a lead is, not what it did');
    if (c.field !== undefined) return problem([...path, 'field'], 'a criterion reads either a field or an activity, not both');
    if (matchers.length) return problem([...path, matchers[0]], `an activity criterion puts its matchers under where:, e.g. where: { properties.path: { ${matchers[0]}: ... } }`);
    if (c.id === undefined) return problem(path, 'an activity criterion needs an id: leads keep it as a signal');
    const where: ActivityCriterion['where'] = [];
    for (const [key, value] of Object.entries(c.where ?? {})) {
      if (!EVENT_PATH.test(key)) return problem([...path, 'where', key], `"${key}" is not an event path: use properties.<name>`);
      const matcher = typeof value === 'object' ? toMatcher(value, [...path, 'where', key], problem) : { op: 'equals' as const, value };
      if (!matcher) return undefined;
      where.push({ path: key, matcher });
    }
    return { kind: 'activity', ...base, id: c.id, activity: c.activity, where };
  }

  if (c.field === undefined) return problem(path, 'a criterion needs field: (a lead field) or, in adjustments, activity: (an event type)');
  if (!(LEAD_FIELDS as readonly string[]).includes(c.field) && !ATTRIBUTE_FIELD.test(c.field)) {
    return problem([...path, 'field'], `"${c.field}" is not a lead field: use one of ${LEAD_FIELDS.join(', ')} or attributes.<name>`);
  }
  if (c.where !== undefined) return problem([...path, 'where'], 'where: filters events and needs activity:; a profile criterion uses a matcher');
  const matcher = toMatcher(c, path, problem);
  return matcher && { kind: 'profile', ...base, field: c.field, matcher };
}

/** Exactly one matcher: two would leave the marketer guessing whether both or either must hold. */
function toMatcher(c: FileMatcher, path: Path, problem: Report): Matcher | undefined {
  const present = MATCHERS.filter((m) => c[m] !== undefined);
  if (present.length === 0) return problem(path, `add a matcher: one of ${MATCHERS.join(', ')}`);
  if (present.length > 1) return problem([...path, present[1]], `use one matcher per criterion, not ${present.join(' and ')}`);
  if (c.matches) return { op: 'matches', keywords: c.matches };
  if (c.equals !== undefined) return { op: 'equals', value: c.equals };
  if (c.in) return { op: 'in', values: c.in };
  if (c.exists !== undefined) return { op: 'exists', value: c.exists };
  const [min, max] = c.between ?? [null, null];
  if (min === null && max === null) return problem([...path, 'between'], 'give at least one bound: [min, null] or [null, max]');
  if (min !== null && max !== null && min > max) return problem([...path, 'between'], `min ${min} is greater than max ${max}`);
  return { op: 'between', min, max };
}

function checkModel(file: FileModel, problem: Report): Omit<GradingModel, 'version'> {
  const unique = (ids: (string | undefined)[], path: (i: number) => Path, what: string) => {
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (id === undefined) return;
      if (seen.has(id)) problem(path(i), `duplicate ${what} id "${id}"`);
      seen.add(id);
    });
  };

  unique(
    file.personas.map((p) => p.id),
    (i) => ['personas', i, 'id'],
    'persona',
  );
  const personas = file.personas.map((p, pi): Persona => {
    unique(
      p.criteria.map((c) => c.id),
      (i) => ['personas', pi, 'criteria', i, 'id'],
      'criterion',
    );
    const criteria = p.criteria.map((c, ci) => toCriterion(c, ['personas', pi, 'criteria', ci], true, problem)).filter((c) => c?.kind === 'profile');
    return { id: p.id, name: p.name, ...(p.description !== undefined && { description: p.description }), criteria };
  });

  const adjustments = file.adjustments ?? [];
  unique(
    adjustments.map((c) => c.id),
    (i) => ['adjustments', i, 'id'],
    'adjustment',
  );
  return {
    baseGrade: file.baseGrade,
    personas,
    adjustments: adjustments.map((c, i) => toCriterion(c, ['adjustments', i], false, problem)).filter((c): c is Criterion => c !== undefined),
  };
}

export function parseGradingModel(source: string, file: string): { ok: true; model: GradingModel } | { ok: false; problems: ModelProblem[] } {
  const parsed = parseYamlModel(source, gradingFileSchema, file);
  if (!parsed.ok) return parsed;

  const problems: ModelProblem[] = [];
  const problem = (path: Path, message: string): undefined => {
    problems.push({ file, line: parsed.lineOf(path), path: path.join('.'), message });
    return undefined;
  };
  const model = checkModel(parsed.value, problem);
  if (problems.length) return { ok: false, problems: problems.sort((a, b) => a.line - b.line) };
  return { ok: true, model: { version: createHash('sha256').update(source).digest('hex').slice(0, 16), ...model } };
}
