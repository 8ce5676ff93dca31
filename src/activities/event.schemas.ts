import { z } from 'zod';
import { UUID_RE } from '../common/ids';
import { BEHAVIOUR_EVENT_TYPES as EVENT_TYPES } from './event-types';
import { emailSchema, leadFieldsSchema } from '../leads/lead.schemas';

export { EVENT_TYPES };

const FUTURE_TOLERANCE_MS = 5 * 60_000;

const eventType = z.string().refine((t) => (EVENT_TYPES as readonly string[]).includes(t) || /^custom\.[a-z0-9][a-z0-9_.-]{0,99}$/.test(t), {
  message: `must be one of ${EVENT_TYPES.join(', ')}, or custom.<name>`,
});

export const eventSchema = z
  .object({
    type: eventType,
    leadId: z.string().regex(UUID_RE, 'must be a lead id (UUID)').optional(),
    email: emailSchema.optional(),
    /** an anonymous visitor's cookie or device id; merged into the lead once it identifies itself */
    visitorId: z.string().trim().min(1).max(200).optional(),
    occurredAt: z.iso
      .datetime({ offset: true })
      .optional()
      .refine((v) => v === undefined || Date.parse(v) <= Date.now() + FUTURE_TOLERANCE_MS, 'is in the future'),
    properties: z.record(z.string(), z.unknown()).default({}),
    idempotencyKey: z.string().min(1).max(200).optional(),
    /** profile fields to set on the lead with this event (a form submission, say) */
    lead: leadFieldsSchema.strict().optional(),
  })
  .strict()
  .refine((e) => e.leadId || e.email || e.visitorId, { message: 'needs leadId, email or visitorId', path: ['email'] });
export type IncomingEvent = z.output<typeof eventSchema>;

export const MAX_EVENTS_PER_REQUEST = 1000;

/** One event, or {events: [...]}: items are validated one by one so good ones are not held back by bad ones. */
export const eventsBodySchema = z.union([
  z.object({ events: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_REQUEST, `at most ${MAX_EVENTS_PER_REQUEST} events per request`) }).strict(),
  z.record(z.string(), z.unknown()).refine((v) => !('events' in v), 'events must be a list'),
]);

export const ingestResponseSchema = z.object({
  accepted: z.number(),
  duplicates: z.number(),
  rejected: z.array(z.object({ index: z.number(), errors: z.array(z.object({ path: z.string(), message: z.string() })) })),
});
export type IngestReport = z.infer<typeof ingestResponseSchema>;
