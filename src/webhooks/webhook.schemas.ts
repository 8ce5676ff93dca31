import { z } from 'zod';
import { UUID_RE } from '../common/ids';
import { ALL_EVENTS, WEBHOOK_EVENT_TYPES } from './webhook-events.rules';

const urlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2048)
  // fetch refuses URLs with credentials, and they would be stored in plain text
  .refine((v) => !URL.canParse(v) || !/^[a-z]+:\/\/[^/?#]*@/i.test(v), 'must not contain a user name or password')
  .describe('the endpoint Kindling POSTs to');

const eventsSchema = z
  .array(z.union([z.enum(WEBHOOK_EVENT_TYPES), z.literal(ALL_EVENTS)], { error: `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')} or "*"` }))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((v) => !v.includes(ALL_EVENTS) || v.length === 1, '"*" already means every event; list it alone')
  .refine((v) => new Set(v).size === v.length, 'lists an event twice')
  .describe('event types to receive, or ["*"] for all');

export const createWebhookSchema = z
  .object({
    url: urlSchema,
    events: eventsSchema,
    description: z.string().trim().max(500).nullable().optional(),
    active: z.boolean().default(true),
  })
  .strict();
export type CreateWebhookInput = z.output<typeof createWebhookSchema>;

export const patchWebhookSchema = z
  .object({
    url: urlSchema.optional(),
    events: eventsSchema.optional(),
    description: z.string().trim().max(500).nullable().optional(),
    active: z.boolean().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'send at least one field to change');
export type PatchWebhookInput = z.output<typeof patchWebhookSchema>;

export const webhookIdParamSchema = z.string().regex(UUID_RE, 'must be a webhook id (UUID)');

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const listDeliveriesQuerySchema = z
  .object({
    status: z.enum(DELIVERY_STATUSES).optional(),
    cursor: z.string().regex(UUID_RE, 'is not a cursor returned by this API').optional().describe('nextCursor of the previous page'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();
export type ListDeliveriesQuery = z.output<typeof listDeliveriesQuerySchema>;

export const webhookViewSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().nullable(),
  active: z.boolean(),
  /** why it was switched off by Kindling (410 Gone), null otherwise */
  deactivatedReason: z.string().nullable(),
  /** the previous secret still signs beside the current one until then (after a rotation) */
  previousSecretUntil: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type WebhookView = z.infer<typeof webhookViewSchema>;

export const webhookWithSecretSchema = webhookViewSchema.extend({
  secret: z.string().describe('whsec_…: shown only now (and on rotation); store it to verify signatures'),
});

export const webhookListSchema = z.object({ data: z.array(webhookViewSchema) });

export const deliveryViewSchema = z.object({
  id: z.uuid(),
  eventId: z.uuid().describe('the webhook-id header: the same on every retry'),
  type: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number(),
  lastResponseCode: z.number().nullable(),
  lastError: z.string().nullable(),
  lastDurationMs: z.number().nullable(),
  lastAttemptAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
});
export type DeliveryView = z.infer<typeof deliveryViewSchema>;

export const deliveryPageSchema = z.object({ data: z.array(deliveryViewSchema), nextCursor: z.string().nullable() });

export const testEventResponseSchema = z.object({ eventId: z.uuid(), deliveryId: z.uuid(), status: z.literal('pending') });
