import { z } from 'zod';
import { UUID_RE } from '../common/ids';

export const STAGES = ['top', 'middle', 'bottom'] as const;
export type Stage = (typeof STAGES)[number];

export const EMAIL_KINDS = ['pain-point', 'blog', 'ebook', 'whitepaper', 'webinar', 'demo', 'case-study', 'comparison', 'newsletter', 'notification'] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

/** Kinds sent to people who did not ask for each message one by one: they must carry an unsubscribe link. */
export const isMarketingKind = (kind: EmailKind): boolean => kind !== 'notification';

/** Template, partial, layout and persona names: what a file name or a YAML key can safely be. */
export const SLUG_RE = /^[a-z0-9][a-z0-9-]*$/;
const slug = (what: string) => z.string().regex(SLUG_RE, `must be a ${what} in kebab-case (a-z, 0-9, -)`);
export const personaSchema = slug('persona name');

const line = z.string().trim().min(1, 'must not be empty').max(500);

const variantSchema = z
  .object({ subject: line.optional(), preheader: z.string().trim().max(500).optional(), from: line.optional() })
  .strict();
export type VariantOverride = z.output<typeof variantSchema>;

const utmSchema = z
  .object({ source: line.optional(), medium: line.optional(), campaign: line.optional(), content: line.optional(), term: line.optional() })
  .strict();
export type UtmDefaults = z.output<typeof utmSchema>;

export const emailFrontMatterSchema = z
  .object({
    subject: line,
    preheader: z.string().trim().max(500).default(''),
    from: line.optional(),
    stage: z.enum(STAGES).optional(),
    kind: z.enum(EMAIL_KINDS),
    layout: slug('layout name').default('default'),
    description: z.string().optional(),
    utm: utmSchema.optional(),
    variants: z.record(personaSchema, variantSchema).default({}),
  })
  .strict()
  .superRefine((fm, ctx) => {
    if (fm.kind !== 'notification' && !fm.stage) {
      ctx.addIssue({ code: 'custom', path: ['stage'], message: `is required for a ${fm.kind} email (top, middle or bottom)` });
    }
  });
export type EmailFrontMatter = z.output<typeof emailFrontMatterSchema>;

export const pageFrontMatterSchema = z
  .object({ title: line, layout: slug('layout name').default('page'), description: z.string().optional() })
  .strict();
export type PageFrontMatter = z.output<typeof pageFrontMatterSchema>;

// HTTP

export const templateNameParamSchema = slug('template name');

export const previewQuerySchema = z
  .object({
    leadId: z.string().regex(UUID_RE, 'must be a lead id (UUID)').optional().describe('render for this lead; built-in sample data without it'),
    persona: personaSchema.optional().describe('persona variant, e.g. decision-maker'),
  })
  .strict();
export type PreviewQuery = z.output<typeof previewQuerySchema>;

export const templateSummarySchema = z.object({
  name: z.string(),
  type: z.enum(['email', 'page']),
  subject: z.string().describe('the subject (page: title) as written, before Handlebars'),
  preheader: z.string(),
  stage: z.enum(STAGES).nullable(),
  kind: z.enum(EMAIL_KINDS).nullable(),
  variants: z.array(z.string()),
  layout: z.string().nullable(),
  file: z.string().describe('path relative to TEMPLATES_DIR'),
  version: z.string().describe('content hash of everything the template is built from'),
});
export type TemplateSummary = z.infer<typeof templateSummarySchema>;

export const templateListSchema = z.object({ data: z.array(templateSummarySchema) });

export const renderedEmailSchema = z.object({ subject: z.string(), preheader: z.string(), html: z.string(), text: z.string() });
