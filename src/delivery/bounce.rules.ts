import { z } from 'zod';

export interface BounceNotice {
  email: string;
  kind: 'bounce' | 'complaint';
  /** hard bounces suppress the address; soft (transient) ones are only recorded */
  permanent: boolean;
  reason: string;
}

const genericSchema = z.object({
  type: z.enum(['bounce', 'complaint']),
  email: z.email(),
  bounceType: z.enum(['hard', 'soft']).default('hard'),
  reason: z.string().max(1000).default(''),
});

const sesMessageSchema = z.object({
  notificationType: z.enum(['Bounce', 'Complaint', 'Delivery']).optional(),
  eventType: z.enum(['Bounce', 'Complaint', 'Delivery', 'Send', 'Open', 'Click', 'Reject', 'DeliveryDelay', 'Rendering Failure', 'Subscription']).optional(),
  bounce: z
    .object({
      bounceType: z.string(),
      bounceSubType: z.string().optional(),
      bouncedRecipients: z.array(z.object({ emailAddress: z.string(), diagnosticCode: z.string().optional() })),
    })
    .optional(),
  complaint: z
    .object({ complainedRecipients: z.array(z.object({ emailAddress: z.string() })), complaintFeedbackType: z.string().optional() })
    .optional(),
});

export type ParsedBounces = { ok: true; notices: BounceNotice[]; subscribeUrl?: string } | { ok: false; message: string };

/**
 * Accepts the documented generic shape (one notice or an array) and Amazon SES notifications,
 * raw or wrapped in an SNS envelope (whose Message is a JSON string).
 */
export function parseBounceNotices(body: unknown): ParsedBounces {
  if (body && typeof body === 'object' && 'Type' in body) {
    const sns = body as { Type?: string; Message?: string; SubscribeURL?: string };
    if (sns.Type === 'SubscriptionConfirmation') return { ok: true, notices: [], subscribeUrl: sns.SubscribeURL };
    if (sns.Type !== 'Notification' || typeof sns.Message !== 'string') return { ok: false, message: `Unsupported SNS message type ${sns.Type}` };
    try {
      return parseSes(JSON.parse(sns.Message));
    } catch {
      return { ok: false, message: 'SNS Message is not JSON' };
    }
  }
  if (body && typeof body === 'object' && ('notificationType' in body || 'eventType' in body)) return parseSes(body);
  const list = Array.isArray(body) ? body : [body];
  const notices: BounceNotice[] = [];
  for (const [i, item] of list.entries()) {
    const parsed = genericSchema.safeParse(item);
    if (!parsed.success) return { ok: false, message: `item ${i}: ${parsed.error.issues.map((x) => `${x.path.join('.') || '(item)'} ${x.message}`).join('; ')}` };
    const n = parsed.data;
    notices.push({ email: n.email, kind: n.type, permanent: n.type === 'complaint' || n.bounceType === 'hard', reason: n.reason });
  }
  return { ok: true, notices };
}

function parseSes(message: unknown): ParsedBounces {
  const parsed = sesMessageSchema.safeParse(message);
  if (!parsed.success) return { ok: false, message: 'Not an SES notification' };
  const m = parsed.data;
  const type = m.notificationType ?? m.eventType;
  if (type === 'Bounce' && m.bounce) {
    const permanent = m.bounce.bounceType === 'Permanent';
    return {
      ok: true,
      notices: m.bounce.bouncedRecipients.map((r) => ({ email: r.emailAddress, kind: 'bounce' as const, permanent, reason: r.diagnosticCode ?? m.bounce!.bounceSubType ?? m.bounce!.bounceType })),
    };
  }
  if (type === 'Complaint' && m.complaint) {
    return {
      ok: true,
      notices: m.complaint.complainedRecipients.map((r) => ({ email: r.emailAddress, kind: 'complaint' as const, permanent: true, reason: m.complaint!.complaintFeedbackType ?? 'complaint' })),
    };
  }
  return { ok: true, notices: [] };
}
