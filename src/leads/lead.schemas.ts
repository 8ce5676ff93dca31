import { z } from 'zod';
import { UUID_RE } from '../common/ids';
import { GRADES } from '../grading/grade.rules';

const text = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`);
const optionalText = (max: number) =>
  text(max)
    .transform((v) => (v === '' ? null : v))
    .nullable()
    .optional();

const timeZoneChecks = new Map<string, boolean>();

/** Building an Intl.DateTimeFormat costs ~0.1 ms; imports ask about the same few zones again and again. */
export const isTimeZone = (tz: string): boolean => {
  let ok = timeZoneChecks.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      ok = true;
    } catch {
      ok = false;
    }
    if (timeZoneChecks.size >= 1000) timeZoneChecks.clear();
    timeZoneChecks.set(tz, ok);
  }
  return ok;
};

const isLocale = (l: string): boolean => {
  try {
    return Intl.getCanonicalLocales(l).length === 1;
  } catch {
    return false;
  }
};

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email('must be a valid email address').max(320));

/** The profile fields a client may set. Null clears a field. */
export const leadFieldsSchema = z.object({
  firstName: optionalText(200),
  lastName: optionalText(200),
  company: optionalText(200),
  jobTitle: optionalText(200),
  industry: optionalText(200),
  companySize: z.number().int().min(0).max(10_000_000).nullable().optional(),
  country: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as DE')
    .nullable()
    .optional(),
  timezone: z.string().trim().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin').nullable().optional(),
  locale: z.string().trim().refine(isLocale, 'must be a BCP 47 locale such as de-DE').nullable().optional(),
  source: optionalText(100),
  attributes: z.record(z.string().max(100), z.unknown()).optional(),
  consent: z.boolean().nullable().optional(),
});

export const upsertLeadSchema = leadFieldsSchema.extend({ email: emailSchema }).strict();
export type UpsertLeadInput = z.output<typeof upsertLeadSchema>;

export const patchLeadSchema = leadFieldsSchema
  .extend({ email: emailSchema.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'send at least one field to change');
export type PatchLeadInput = z.output<typeof patchLeadSchema>;

export const listLeadsQuerySchema = z
  .object({
    email: emailSchema.optional().describe('exact address (case-insensitive)'),
    q: z.string().trim().min(1).max(200).optional().describe('text in email, name or company'),
    source: z.string().trim().min(1).max(100).optional(),
    createdAfter: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 timestamp'),
    stage: z.enum(['awareness', 'interest', 'mql', 'sales-ready']).optional(),
    temperature: z.enum(['cold', 'warm', 'hot']).optional(),
    grade: z.enum(GRADES).optional().describe('exact grade'),
    minGrade: z.enum(GRADES).optional().describe('this grade or better'),
    persona: z.string().trim().min(1).max(100).optional(),
    ownerId: z.union([z.uuid(), z.literal('none')]).optional().describe('leads of this rep, or none for leads no rep owns'),
    minScore: z.coerce.number().optional(),
    maxScore: z.coerce.number().optional(),
    cursor: z.string().regex(UUID_RE, 'is not a cursor returned by this API').optional().describe('nextCursor of the previous page'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();
export type ListLeadsQuery = z.output<typeof listLeadsQuerySchema>;

export const leadIdParamSchema = z.string().regex(UUID_RE, 'must be a lead id (UUID)');

export const leadViewSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  company: z.string().nullable(),
  jobTitle: z.string().nullable(),
  industry: z.string().nullable(),
  companySize: z.number().nullable(),
  country: z.string().nullable(),
  timezone: z.string().nullable(),
  locale: z.string().nullable(),
  source: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  consent: z.boolean().nullable(),
  unsubscribedAt: z.string().nullable(),
  score: z.number(),
  scores: z.record(z.string(), z.number()),
  grade: z.string().nullable(),
  persona: z.string().nullable(),
  stage: z.string(),
  temperature: z.string(),
  ownerId: z.uuid().nullable().describe('the sales rep who owns the lead (see /v1/reps); null while marketing nurtures it'),
  lastActivityAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type LeadView = z.infer<typeof leadViewSchema>;

export const upsertLeadResponseSchema = z.object({ lead: leadViewSchema, created: z.boolean() });
export const leadPageSchema = z.object({ data: z.array(leadViewSchema), nextCursor: z.string().nullable() });
export const eraseResponseSchema = z.object({ id: z.uuid(), erasedAt: z.string() });
