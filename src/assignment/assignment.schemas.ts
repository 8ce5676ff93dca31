import { z } from 'zod';
import { WEEKDAYS } from '../workflows/workflow.types';
import { repSpecSchema } from './assignment-model.schema';
import { AssignmentRow } from './assignments.repository';
import { RETURN_REASONS } from './assignment.rules';
import { RepRow } from './reps.repository';

const UUID = z.uuid('must be an id (UUID)');
export const idParamSchema = UUID;

/** The API takes the same rep fields as assignment.yaml, with awayUntil as a timestamp. */
export const createRepSchema = repSpecSchema
  .extend({ awayUntil: z.iso.datetime({ offset: true }).nullable().default(null).describe('Skipped until then (ISO 8601)') })
  .meta({ id: 'newRep' });
export const patchRepSchema = createRepSchema
  .omit({ key: true })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'send at least one field to change');
export type CreateRepInput = z.output<typeof createRepSchema>;
export type PatchRepInput = z.output<typeof patchRepSchema>;

export const repViewSchema = z.object({
  id: z.uuid(),
  key: z.string(),
  name: z.string(),
  email: z.string(),
  territories: z.array(z.string()),
  industries: z.array(z.string()),
  personas: z.array(z.string()),
  products: z.array(z.string()),
  capacity: z.number().nullable(),
  weight: z.number(),
  workingHours: z.object({ days: z.array(z.string()), from: z.string(), to: z.string() }).nullable(),
  timeZone: z.string(),
  active: z.boolean(),
  awayUntil: z.string().nullable(),
  source: z.enum(['file', 'api']).describe('file: from workflows/assignment.yaml (rewritten when the file changes); api: made through this API'),
  load: z.number().describe('open leads (pending or accepted)'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type RepView = z.infer<typeof repViewSchema>;

export function toRepView(r: RepRow): RepView {
  return {
    id: r.id,
    key: r.key,
    name: r.name,
    email: r.email,
    territories: r.territories,
    industries: r.industries,
    personas: r.personas,
    products: r.products,
    capacity: r.capacity,
    weight: r.weight,
    workingHours: r.working_hours ? { days: r.working_hours.days.map((d) => WEEKDAYS[d]), from: r.working_hours.from, to: r.working_hours.to } : null,
    timeZone: r.time_zone,
    active: r.active,
    awayUntil: r.away_until?.toISOString() ?? null,
    source: r.source,
    load: r.load,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export const STATUSES = ['queued', 'pending', 'accepted', 'returned', 'converted', 'disqualified', 'reassigned'] as const;

export const assignmentViewSchema = z.object({
  id: z.uuid(),
  leadId: z.uuid(),
  repId: z.uuid().nullable().describe('null while queued: no rep could take the lead'),
  rule: z.string().nullable(),
  cause: z.enum(['sales-ready', 'manual', 'sla', 'reassign']),
  status: z.enum(STATUSES),
  previousId: z.uuid().nullable(),
  handoffId: z.uuid().describe('the first assignment of this hand-off; reassignments share it'),
  lead: z.object({ score: z.number().nullable(), grade: z.string().nullable(), persona: z.string().nullable(), source: z.string().nullable() }).describe('as it was when assigned'),
  reason: z.string().nullable(),
  note: z.string().nullable(),
  value: z.number().nullable(),
  slaDueAt: z.string().nullable(),
  notifyAt: z.string().nullable(),
  notifiedAt: z.string().nullable(),
  createdAt: z.string(),
  acceptedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
});
export type AssignmentView = z.infer<typeof assignmentViewSchema>;

const iso = (d: Date | null) => d?.toISOString() ?? null;
const num = (v: string | null) => (v === null ? null : Number(v));

export function toAssignmentView(a: AssignmentRow): AssignmentView {
  return {
    id: a.id,
    leadId: a.lead_id,
    repId: a.rep_id,
    rule: a.rule,
    cause: a.cause,
    status: a.status,
    previousId: a.previous_id,
    handoffId: a.handoff_id,
    lead: { score: num(a.lead_score), grade: a.lead_grade, persona: a.lead_persona, source: a.lead_source },
    reason: a.reason,
    note: a.note,
    value: num(a.value),
    slaDueAt: iso(a.sla_due_at),
    notifyAt: iso(a.notify_at),
    notifiedAt: iso(a.notified_at),
    createdAt: a.created_at.toISOString(),
    acceptedAt: iso(a.accepted_at),
    closedAt: iso(a.closed_at),
  };
}

export const listAssignmentsQuerySchema = z
  .object({
    leadId: UUID.optional(),
    repId: UUID.optional(),
    status: z.enum(STATUSES).optional(),
    cursor: UUID.optional().describe('nextCursor of the previous page'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();
export type ListAssignmentsQuery = z.output<typeof listAssignmentsQuerySchema>;
export const assignmentPageSchema = z.object({ data: z.array(assignmentViewSchema), nextCursor: z.string().nullable() });

export const assignBodySchema = z.strictObject({ leadId: UUID, repId: UUID.optional().describe('leave out to route by the rules') });
export const reassignBodySchema = z.strictObject({ repId: UUID.optional().describe('leave out for the next rep by the rules') }).prefault({});
export const returnBodySchema = z.strictObject({ reason: z.enum(RETURN_REASONS), note: z.string().max(2000).optional() });
export const convertBodySchema = z.strictObject({ value: z.number().min(0).optional().describe('deal value') }).prefault({});
export const disqualifyBodySchema = z.strictObject({ reason: z.string().trim().min(1).max(200), note: z.string().max(2000).optional() });
