import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ModelProblem, parseYamlModel } from '../common/yaml-model';
import { STAGES, Stage, TEMPERATURES, Temperature } from '../lifecycle/lifecycle.rules';
import { scoringModelSchema } from '../scoring/scoring-model.schema';
import { toDefinition } from './workflow-normalize';
import { workflowProblems } from './workflow-validate.rules';
import { WEEKDAYS, WorkflowDefinition } from './workflow.types';

/*
 * The scoring model owns the condition vocabulary (`properties.x` / `lead.x` paths, a value,
 * a list or operators) and the duration syntax. Workflows take those very schemas from it, so
 * a marketer writes conditions the same way in both files and the two can never drift.
 */
const scoringRule = scoringModelSchema.shape.rules.element.shape;
const scoringWhere = scoringRule.where.unwrap();
const condition = scoringWhere.valueType.meta({ id: 'condition' });
const eventType = scoringRule.event.meta({ id: 'eventType', description: 'An event type: email.clicked, webinar.registered, ..., custom.<name>, or a wildcard like page.*' });
const duration = scoringRule.max.unwrap().shape.per.meta({ id: 'duration' });

/**
 * A failed union is a bare "Invalid input" in zod. When the marketer wrote an object they meant
 * the object form, so say what is wrong inside it (with its path, since the line is the
 * union's); otherwise give the hint of all the forms.
 */
function explainUnion(hint: string) {
  return (iss: z.core.$ZodRawIssue): string | undefined => {
    if (iss.code !== 'invalid_union') return undefined;
    const input = iss.input;
    if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
      const inner = iss.errors.flat().find((e) => e.path.length > 0 || e.code === 'unrecognized_keys' || e.code === 'custom');
      if (inner) return inner.path.length ? `${inner.path.join('.')}: ${inner.message}` : inner.message;
    }
    return hint;
  };
}

const keyError = (hint: string) => (iss: { code?: string }) => (iss.code === 'invalid_key' ? hint : undefined);

const EVENT_WHERE_HINT = 'a path like properties.webinar or lead.country';
const eventWhere = z
  .record(scoringWhere.keyType, condition, { error: keyError(EVENT_WHERE_HINT) })
  .meta({ id: 'eventConditions', description: 'Conditions on the event (properties.<path>) and the lead (lead.<field>); all must hold.' });

/** Fields a lead condition may read: `lead.<field>` and the lead's computed state by its short name. */
const LEAD_STATE_KEYS = ['score', 'grade', 'persona', 'temperature', 'stage'] as const;
const LEAD_KEY = new RegExp(`^(lead(\\.[A-Za-z0-9_-]+)+|${LEAD_STATE_KEYS.join('|')})$`);
const LEAD_HINT = `lead.<field> (e.g. lead.country, lead.attributes.plan) or one of ${LEAD_STATE_KEYS.join(', ')}`;
const leadWhere = z
  .record(z.string().regex(LEAD_KEY, LEAD_HINT), condition, { error: keyError(LEAD_HINT) })
  .meta({ id: 'leadConditions', description: `Conditions on the lead: ${LEAD_HINT}. All must hold.` });

const BRANCH_KEY = new RegExp(`^(lead(\\.[A-Za-z0-9_-]+)+|${[...LEAD_STATE_KEYS, 'clicked', 'opened'].join('|')})$`);
const BRANCH_HINT = `${LEAD_HINT}, or clicked / opened: <step id> (activity on the email of that send step)`;
const branchWhen = z
  .record(z.string().regex(BRANCH_KEY, BRANCH_HINT), condition, { error: keyError(BRANCH_HINT) })
  .describe(`All must hold: ${BRANCH_HINT}.`);

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const slug = (example: string) => z.string().regex(SLUG, `lower-case words joined by dashes, e.g. ${example}`);
const TARGET_HINT = 'a step id, next (the following step), end (finish, as after the last step) or exit (leave now)';
const target = z.string({ error: TARGET_HINT }).regex(SLUG, TARGET_HINT).meta({ id: 'target', description: TARGET_HINT });

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

const temperature = z.enum(TEMPERATURES as [Temperature, ...Temperature[]]);
const stage = z.enum(STAGES as [Stage, ...Stage[]]);

const EVENT_SPEC_HINT = 'an event type (email.clicked) or { type: ..., where: { ... } }';
const eventSpec = z
  .union([eventType, z.strictObject({ type: eventType, where: eventWhere.optional() })], { error: explainUnion(EVENT_SPEC_HINT) })
  .meta({ id: 'event', description: EVENT_SPEC_HINT });

const WAIT_HINT = 'a duration (3d), { until: { weekdays: [tue, thu], time: "09:00" } } or { event: email.clicked, timeout: 7d }';
const waitSpec = z
  .union(
    [
      duration,
      z.strictObject({
        until: z
          .strictObject({
            weekdays: z.array(z.enum(WEEKDAYS)).min(1).optional().describe('Days allowed; all days when left out.'),
            time: z.string({ error: 'a time like "09:00" (24 h, quoted)' }).regex(TIME, 'a time like "09:00" (24 h, quoted)'),
          })
          .optional()
          .describe("The next of these weekdays at this time in the lead's time zone (UTC when unknown)."),
        event: eventSpec.optional().describe('Wait until the lead does this.'),
        step: slug('pain-1').optional().describe('Only activity on the email of this send step counts.'),
        timeout: duration.optional().describe('How long to wait for the event.'),
        onTimeout: target.optional().describe('Where to go when the timeout passes first (default: next).'),
      }),
    ],
    { error: explainUnion(WAIT_HINT) },
  )
  .describe(WAIT_HINT);

const branchCase = z.strictObject({
  when: branchWhen.optional(),
  goto: target.optional().describe('Where to go when `when` holds.'),
  else: target.optional().describe('Where to go when no case holds; last in the list. Default: next.'),
});

const stepSchema = z
  .strictObject({
    id: slug('pain-1').describe('Unique within the file; keep it stable, sends and reports refer to it.'),
    send: slug('close-takes-too-long').optional().describe('A template in templates/emails.'),
    persona: slug('decision-maker').optional().describe("send only: force this persona's variant instead of the lead's."),
    wait: waitSpec.optional(),
    branch: z.array(branchCase).min(1).optional().describe('Cases tried in order: { when, goto }, then optionally { else }.'),
    score: z
      .strictObject({
        points: z.number().refine((n) => n !== 0, 'points must not be 0'),
        reason: z.string().trim().min(1).max(200).optional(),
      })
      .optional(),
    update: z
      .strictObject({
        field: z.string().regex(/^attributes(\.[A-Za-z0-9_-]+)+$/, 'a path like attributes.nurtured').optional(),
        value: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
        tag: slug('nurtured').optional(),
      })
      .optional()
      .describe('Set attributes.<name> to a value, or add a tag.'),
    notify: z
      .strictObject({
        email: z.email().optional(),
        webhook: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
        subject: z.string().trim().min(1).max(200).optional(),
      })
      .optional()
      .describe('Tell a person (email) or a system (webhook) about this lead.'),
    goto: target.optional(),
    exit: slug('not-engaged').optional().describe('End here: `completed`, or a reason such as not-engaged (ends as exited).'),
    next: target.optional().describe('Where to go after this step (default: the following step).'),
  })
  .meta({ id: 'step', description: 'One step: exactly one of send, wait, branch, score, update, notify, goto, exit.' });

export const workflowSchema = z
  .strictObject({
    $schema: z.string().optional(),
    key: slug('cold-track').describe('Unique across all workflow files; enrollments refer to it.'),
    name: z.string().trim().min(1).max(200),
    track: temperature.optional().describe('Makes this the content track of a temperature: leads enter it on becoming that temperature.'),
    priority: z.int().min(0).max(1000).optional().describe('Higher wins when the frequency cap allows only one email (default 0).'),
    trigger: z
      .strictObject({
        'lead-created': z.strictObject({}).optional(),
        event: eventSpec.optional(),
        temperature: temperature.optional(),
        stage: stage.optional(),
        manual: z.strictObject({}).optional(),
        segment: z.strictObject({ where: leadWhere }).optional(),
      })
      .optional()
      .describe('What enrolls a lead: one of lead-created, event, temperature, stage, manual, segment. Tracks default to their temperature.'),
    entry: z.strictObject({ where: leadWhere }).optional().describe('Extra conditions the lead must meet to enroll.'),
    reentry: z
      .union([z.enum(['never', 'always']), z.strictObject({ after: duration })], { error: explainUnion('never, always or { after: 30d }') })
      .optional()
      .describe('May a lead enroll again: never (default), always, or { after: 30d } since the last enrollment ended.'),
    goals: z
      .array(
        z.strictObject({
          id: slug('meeting-booked'),
          stage: stage.optional().describe('Reached this stage or a later one.'),
          temperature: temperature.optional(),
          event: eventSpec.optional().describe('Did this since enrolling.'),
          where: leadWhere.optional(),
        }),
      )
      .optional()
      .describe('Any goal met ends the enrollment (checked before each step and on lead changes).'),
    exitWhen: z
      .strictObject({ salesOwned: z.boolean().optional().describe('Leave once a sales rep owns the lead (default: true for tracks).') })
      .optional(),
    steps: z.array(stepSchema).min(1, 'list at least one step'),
  })
  .describe('Kindling nurture workflow');

export type WorkflowSource = z.output<typeof workflowSchema>;
export type StepSource = WorkflowSource['steps'][number];
export type EventSpecSource = z.output<typeof eventSpec>;
export type WaitSource = z.output<typeof waitSpec>;

export interface WorkflowContext {
  /** names of the email templates that exist */
  templates: ReadonlySet<string>;
}

/**
 * Reads one workflow file. Problems (schema, references, graph) fail it; warnings (a track
 * that names the same template twice) do not, but the loader and the CLI should print them.
 */
export function parseWorkflow(
  source: string,
  file: string,
  ctx: WorkflowContext,
): { ok: true; workflow: WorkflowDefinition; warnings: ModelProblem[] } | { ok: false; problems: ModelProblem[]; warnings: ModelProblem[] } {
  const parsed = parseYamlModel(source, workflowSchema, file);
  if (!parsed.ok) return { ...parsed, warnings: [] };
  const at = (p: { path: (string | number)[]; message: string }): ModelProblem => ({ file, line: parsed.lineOf(p.path), path: p.path.join('.'), message: p.message });
  const found = workflowProblems(parsed.value, ctx);
  const problems = found.errors.map(at);
  const warnings = found.warnings.map(at);
  if (problems.length) return { ok: false, problems, warnings };
  const version = createHash('sha256').update(source).digest('hex').slice(0, 16);
  return { ok: true, workflow: toDefinition(parsed.value, { file, version, lineOf: parsed.lineOf }), warnings };
}

/** The JSON Schema shipped as workflows/schema.json, for completion and checks in editors. */
export function workflowJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(workflowSchema, { target: 'draft-7', io: 'input' });
}
