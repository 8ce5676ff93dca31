import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ModelProblem, parseYamlModel } from '../common/yaml-model';
import { LEAD_FIELDS } from '../grading/grading-model.schema';
import { GRADES } from '../grading/grade.rules';
import { durationMs, scoringModelSchema } from '../scoring/scoring-model.schema';
import { toConditions } from '../workflows/workflow-normalize';
import { WEEKDAYS } from '../workflows/workflow.types';
import { AssignmentRule, RoutingModel, fallbackCycles } from './assignment.rules';
import type { RepFields } from './reps.repository';
import { WorkingHours } from './working-hours.rules';

/*
 * workflows/assignment.yaml: regions, reps, routing rules and what happens on return and
 * disqualification. Conditions use the scoring model's vocabulary, as workflows do.
 */
const scoringRule = scoringModelSchema.shape.rules.element.shape;
const condition = scoringRule.where.unwrap().valueType.meta({ id: 'condition' });
const duration = scoringRule.max.unwrap().shape.per.meta({ id: 'duration' });

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const slug = (example: string) => z.string().regex(SLUG, `lower-case words joined by dashes, e.g. ${example}`);
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const COUNTRY = /^[A-Z]{2}$/;
const place = z.string().refine((s) => COUNTRY.test(s) || SLUG.test(s), 'a country code (DE) or a region name from regions:');

const STATE_KEYS = ['score', 'grade', 'persona', 'temperature', 'stage'] as const;
const LEAD_KEY = new RegExp(`^(lead(\\.[A-Za-z0-9_-]+)+|scores\\.[A-Za-z0-9_:-]+|${STATE_KEYS.join('|')})$`);
const LEAD_HINT = `lead.<field> (lead.country, lead.attributes.plan), scores.<dimension> (scores.product:analytics) or one of ${STATE_KEYS.join(', ')}`;
const where = z
  .record(z.string().regex(LEAD_KEY, LEAD_HINT), condition, { error: (iss) => (iss.code === 'invalid_key' ? LEAD_HINT : undefined) })
  .meta({ id: 'leadConditions', description: `Conditions on the lead: ${LEAD_HINT}. All must hold.` });

const weekday = z.enum(WEEKDAYS);
const workingHours = z
  .strictObject({
    days: z.array(weekday).min(1, 'list at least one day').default(['mon', 'tue', 'wed', 'thu', 'fri']),
    from: z.string().regex(TIME, 'a time like 09:00'),
    to: z.string().regex(TIME, 'a time like 17:30'),
  })
  .refine((h) => h.to > h.from, { message: 'to must be after from (windows over midnight are not supported)', path: ['to'] })
  .describe('When the rep works, in their time zone. Leave out to count every hour.');

export const repSpecSchema = z
  .strictObject({
    key: slug('anna-berger').describe('Stable id that rules use'),
    name: z.string().min(1),
    email: z.email({ error: 'an email address' }),
    territories: z.array(place).default([]).describe('Countries (DE) or regions; empty: every country'),
    industries: z.array(z.string().min(1)).default([]).describe('Empty: every industry'),
    personas: z.array(slug('decision-maker')).default([]).describe('Grading persona ids; empty: every persona'),
    products: z.array(z.string().min(1)).default([]).describe("Products (the lead's highest product:<name> score); empty: every product"),
    capacity: z.number().int().min(0, 'capacity cannot be below 0').nullable().default(null).describe('Open leads at most; null: no limit'),
    weight: z.number().int().min(1, 'weight is at least 1').default(1).describe('Share of leads under the weighted strategy'),
    workingHours: workingHours.nullable().default(null),
    timeZone: z.string().default('UTC').describe('IANA zone, e.g. Europe/Berlin'),
    active: z.boolean().default(true),
    awayUntil: z.iso.datetime({ offset: true }).or(z.iso.date()).nullable().default(null).describe('Skipped until then (a date or date-time)'),
  })
  .meta({ id: 'rep' });

const ruleSchema = z.strictObject({
  id: slug('dach-enterprise'),
  description: z.string().optional(),
  territories: z.array(place).default([]).describe("The lead's country must be in one of these; empty: any"),
  minGrade: z.enum(GRADES).optional().describe('The lead needs at least this grade'),
  where: where.optional(),
  pool: z.array(slug('anna-berger')).min(1, 'name at least one rep').describe('Rep keys'),
  strategy: z.enum(['round-robin', 'weighted', 'least-loaded']).default('round-robin'),
  sla: duration.optional().describe('Time to accept, counted in the rep’s working hours; default settings.sla'),
  whenUnavailable: z
    .enum(['skip', 'assign'])
    .default('skip')
    .describe('skip: pass over reps who are away, at capacity or off work; assign: give the lead anyway and notify the rep when back'),
  fallback: z.string().optional().describe('A rule id to try when no rep here can take the lead, or "unassigned"'),
});

export const assignmentModelSchema = z
  .strictObject({
    $schema: z.string().optional(),
    settings: z
      .strictObject({
        sla: duration.default('4h').describe('Default time to accept, in working hours'),
        onReturn: z
          .strictObject({
            scorePenalty: z.number().min(0).default(20).describe('Points taken off a returned lead'),
            track: z.enum(['cold', 'warm', 'hot']).default('warm').describe('The content track a returned lead goes back to'),
          })
          .prefault({}),
        onDisqualify: z
          .strictObject({ stopMarketing: z.boolean().default(true).describe('Suppress the address for marketing email') })
          .prefault({}),
      })
      .prefault({}),
    regions: z.record(slug('dach'), z.array(z.string().regex(COUNTRY, 'an ISO country code like DE')).min(1)).default({}),
    reps: z.array(repSpecSchema).default([]),
    rules: z.array(ruleSchema).default([]),
    fallback: z
      .strictObject({ pool: ruleSchema.shape.pool, strategy: ruleSchema.shape.strategy, sla: ruleSchema.shape.sla, whenUnavailable: ruleSchema.shape.whenUnavailable })
      .or(z.literal('unassigned'))
      .default('unassigned')
      .describe('Who gets leads no rule matches (and every rule falls back to by default); "unassigned" keeps them in the queue'),
  })
  .describe('Kindling sales assignment: reps and routing rules');

export type RepSpec = z.output<typeof repSpecSchema>;
export type AssignmentSource = z.output<typeof assignmentModelSchema>;

export interface AssignmentSettings {
  slaMs: number;
  onReturn: { scorePenalty: number; track: 'cold' | 'warm' | 'hot' };
  onDisqualify: { stopMarketing: boolean };
}

export interface AssignmentModel {
  version: string;
  file: string;
  settings: AssignmentSettings;
  regions: Record<string, string[]>;
  reps: RepSpec[];
  routing: RoutingModel;
}

export const FALLBACK_RULE = 'fallback';
const UNASSIGNED = 'unassigned';

/** Countries of a list of country codes and region names. */
export function expandPlaces(places: readonly string[], regions: Record<string, readonly string[]>): string[] {
  return [...new Set(places.flatMap((p) => (COUNTRY.test(p) ? [p] : (regions[p] ?? []))))];
}

export const toWorkingHours = (h: RepSpec['workingHours']): WorkingHours | null =>
  h ? { days: h.days.map((d) => WEEKDAYS.indexOf(d)), from: h.from, to: h.to } : null;

/** A rep from the file or the API as the reps table stores it. */
export function toRepFields(r: RepSpec): RepFields {
  return {
    key: r.key,
    name: r.name,
    email: r.email.toLowerCase(),
    territories: r.territories,
    industries: r.industries,
    personas: r.personas,
    products: r.products,
    capacity: r.capacity,
    weight: r.weight,
    workingHours: toWorkingHours(r.workingHours),
    timeZone: r.timeZone,
    active: r.active,
    awayUntil: r.awayUntil ? new Date(r.awayUntil) : null,
  };
}

/**
 * Parses and checks the file. `knownReps` are reps that exist outside the file (created through
 * the API), which rules may name too.
 */
export function parseAssignmentModel(
  source: string,
  file: string,
  knownReps: ReadonlySet<string> = new Set(),
): { ok: true; model: AssignmentModel } | { ok: false; problems: ModelProblem[] } {
  const parsed = parseYamlModel(source, assignmentModelSchema, file);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  const problems: { path: (string | number)[]; message: string }[] = [];
  const repKeys = new Set([...knownReps]);
  m.reps.forEach((r, i) => {
    if (m.reps.findIndex((o) => o.key === r.key) !== i) problems.push({ path: ['reps', i, 'key'], message: `duplicate rep key "${r.key}"` });
    repKeys.add(r.key);
    r.territories.forEach((t, j) => !COUNTRY.test(t) && !m.regions[t] && problems.push({ path: ['reps', i, 'territories', j], message: `unknown region "${t}"` }));
    if (!validTimeZone(r.timeZone)) problems.push({ path: ['reps', i, 'timeZone'], message: `unknown time zone "${r.timeZone}"` });
  });
  const ruleIds = new Set(m.rules.map((r) => r.id));
  const fallbackTarget = m.fallback === UNASSIGNED ? null : FALLBACK_RULE;
  m.rules.forEach((r, i) => {
    if (r.id === FALLBACK_RULE || r.id === UNASSIGNED) problems.push({ path: ['rules', i, 'id'], message: `"${r.id}" is reserved` });
    if (m.rules.findIndex((o) => o.id === r.id) !== i) problems.push({ path: ['rules', i, 'id'], message: `duplicate rule id "${r.id}"` });
    r.pool.forEach((k, j) => !repKeys.has(k) && problems.push({ path: ['rules', i, 'pool', j], message: `unknown rep "${k}"` }));
    r.territories.forEach((t, j) => !COUNTRY.test(t) && !m.regions[t] && problems.push({ path: ['rules', i, 'territories', j], message: `unknown region "${t}"` }));
    for (const key of Object.keys(r.where ?? {})) {
      const field = key.startsWith('lead.') ? key.split('.')[1] : null;
      if (field && field !== 'attributes' && !(LEAD_FIELDS as readonly string[]).includes(field)) {
        problems.push({ path: ['rules', i, 'where', key], message: `unknown lead field "${field}" (known: ${LEAD_FIELDS.join(', ')}, attributes.<name>)` });
      }
    }
    if (r.fallback === FALLBACK_RULE && fallbackTarget === null) {
      problems.push({ path: ['rules', i, 'fallback'], message: 'there is no fallback pool: add fallback: { pool: [...] } at the top level, or write unassigned' });
    } else if (r.fallback !== undefined && r.fallback !== UNASSIGNED && r.fallback !== FALLBACK_RULE && !ruleIds.has(r.fallback)) {
      problems.push({ path: ['rules', i, 'fallback'], message: `unknown rule "${r.fallback}" (a rule id, fallback or unassigned)` });
    }
  });
  if (m.fallback !== UNASSIGNED) m.fallback.pool.forEach((k, j) => !repKeys.has(k) && problems.push({ path: ['fallback', 'pool', j], message: `unknown rep "${k}"` }));

  const settings: AssignmentSettings = { slaMs: durationMs(m.settings.sla)!, onReturn: { ...m.settings.onReturn }, onDisqualify: { ...m.settings.onDisqualify } };
  const toRule = (r: z.output<typeof ruleSchema>): AssignmentRule => ({
    id: r.id,
    where: toConditions(r.where),
    countries: expandPlaces(r.territories, m.regions),
    minGrade: (r.minGrade) ?? null,
    pool: r.pool,
    strategy: r.strategy,
    slaMs: r.sla ? durationMs(r.sla)! : settings.slaMs,
    whenUnavailable: r.whenUnavailable,
    fallback: r.fallback === undefined ? fallbackTarget : r.fallback === UNASSIGNED ? null : r.fallback,
  });
  const rules = m.rules.map(toRule);
  const byId = new Map(rules.map((r) => [r.id, r]));
  if (m.fallback !== UNASSIGNED) {
    byId.set(FALLBACK_RULE, { ...toRule({ id: FALLBACK_RULE, territories: [], pool: m.fallback.pool, strategy: m.fallback.strategy, sla: m.fallback.sla, whenUnavailable: m.fallback.whenUnavailable }), fallback: null });
  }
  for (const cycle of fallbackCycles(byId)) {
    const i = m.rules.findIndex((r) => r.id === cycle[0]);
    problems.push({ path: ['rules', i, 'fallback'], message: `fallbacks go round in a circle: ${cycle.join(' -> ')}` });
  }
  if (problems.length) return { ok: false, problems: problems.map((p) => ({ file, line: parsed.lineOf(p.path), path: p.path.join('.'), message: p.message })).sort((a, b) => a.line - b.line) };
  return {
    ok: true,
    model: {
      version: createHash('sha256').update(source).digest('hex').slice(0, 16),
      file,
      settings,
      regions: m.regions,
      reps: m.reps,
      routing: { rules, fallback: fallbackTarget, byId },
    },
  };
}

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The JSON Schema shipped as workflows/assignment.schema.json, for completion in editors. */
export function assignmentJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(assignmentModelSchema, { target: 'draft-7', io: 'input' });
}
