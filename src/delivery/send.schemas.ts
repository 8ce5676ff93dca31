import { z } from 'zod';

export const createSendSchema = z
  .object({
    leadId: z.uuid(),
    template: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a template name such as webinar-invite'),
    idempotencyKey: z.string().min(1).max(200),
    persona: z.string().max(100).optional(),
    /** transactional mail (e.g. rep notifications) is sent past marketing opt-outs */
    category: z.enum(['marketing', 'transactional']).default('marketing'),
    data: z.record(z.string(), z.unknown()).optional().describe('extra template data'),
  })
  .strict();
export type CreateSendInput = z.output<typeof createSendSchema>;

/** Who gets an internal send (a rep, an owner): the lead it is about is only its template context. */
export const sendRecipientSchema = z
  .object({
    email: z.email().max(320),
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[^\r\n]*$/, 'must be one line')
      .optional(),
  })
  .strict();
export type SendRecipient = z.output<typeof sendRecipientSchema>;

export const sendViewSchema = z.object({
  id: z.uuid(),
  leadId: z.uuid(),
  template: z.string(),
  status: z.enum(['queued', 'sending', 'sent', 'deferred', 'bounced', 'failed', 'suppressed']),
  messageId: z.string(),
  subject: z.string().nullable(),
  attempts: z.number(),
  lastError: z.string().nullable(),
  queuedAt: z.string(),
  sentAt: z.string().nullable(),
});
export type SendView = z.infer<typeof sendViewSchema>;
