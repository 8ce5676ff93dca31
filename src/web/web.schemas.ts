import { z } from 'zod';
import { RETURN_REASONS } from '../assignment/assignment.rules';
import { GRADES } from '../grading/grade.rules';
import { emailSchema } from '../leads/lead.schemas';
import { ROLES } from './accounts.repository';
import { PASSWORD_MIN_LENGTH } from './web-auth.rules';

/** Form fields arrive as strings; an empty field means "not given". */
const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const opt = <S extends z.ZodType>(s: S) => z.preprocess(blank, s.optional());

export const newUserSchema = z.object({
  email: emailSchema,
  name: z.string().trim().min(1, 'is required').max(200),
  password: z.string().min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`).max(1024),
  role: z.enum(ROLES),
  repKey: opt(z.string().trim().max(100)),
});
export type NewUserInput = z.input<typeof newUserSchema>;

export const loginFormSchema = z.object({ email: z.string().trim().toLowerCase().max(320), password: z.string().max(1024), next: z.string().optional() });

export const setupFormSchema = z
  .object({ token: z.string().min(1), email: emailSchema, name: z.string().trim().min(1, 'is required').max(200), password: z.string(), confirm: z.string() })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'does not match the password' });

export const SORTS = ['created', 'score', 'grade', 'email', 'company', 'activity'] as const;

export const leadFiltersSchema = z.object({
  q: opt(z.string().trim().max(200)),
  temperature: opt(z.enum(['cold', 'warm', 'hot'])),
  stage: opt(z.enum(['awareness', 'interest', 'mql', 'sales-ready'])),
  grade: opt(z.enum(GRADES)),
  persona: opt(z.string().trim().max(100)),
  owner: opt(z.union([z.uuid(), z.literal('none')])),
  minScore: opt(z.coerce.number().int().min(-100000).max(100000)),
  maxScore: opt(z.coerce.number().int().min(-100000).max(100000)),
  sort: opt(z.enum(SORTS)).transform((v) => v ?? 'created'),
  dir: opt(z.enum(['asc', 'desc'])).transform((v) => v ?? 'desc'),
  page: opt(z.coerce.number().int().min(1).max(100000)).transform((v) => v ?? 1),
});
export type LeadFilters = z.output<typeof leadFiltersSchema>;

export const repActionFormSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('accept') }),
  z.object({ action: z.literal('return'), reason: z.enum(RETURN_REASONS), note: opt(z.string().trim().max(2000)) }),
  z.object({ action: z.literal('convert'), value: opt(z.coerce.number().min(0).max(1e12)) }),
]);
