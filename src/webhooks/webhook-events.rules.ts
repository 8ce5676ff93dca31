/** Every event a subscription can ask for; `["*"]` means all of them. */
export const WEBHOOK_EVENT_TYPES = [
  'lead.created',
  'lead.stage_changed',
  'lead.temperature_changed',
  'lead.sales_ready',
  'lead.assigned',
  'assignment.accepted',
  'assignment.returned',
  'assignment.converted',
  'assignment.disqualified',
  'assignment.reassigned',
  'email.bounced',
  'lead.unsubscribed',
  'webhook.test',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const ALL_EVENTS = '*';

export function subscribesTo(events: readonly string[], type: WebhookEventType): boolean {
  // a test event goes only to the subscription it was sent for, never to "*"
  if (type === 'webhook.test') return false;
  return events.includes(ALL_EVENTS) || events.includes(type);
}

/** The body every endpoint receives; `timestamp` is when the event happened (ISO 8601). */
export function eventBody(type: WebhookEventType, at: Date, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp: at.toISOString(), data });
}

/** The part of a lead evaluation's outcome that webhooks care about (see LifecycleEvents). */
export interface LeadChangeInput {
  leadId: string;
  created: boolean;
  transitions: readonly { kind: string; from: string | null; to: string | null; cause: string; detail: Record<string, unknown> }[];
}

export interface PlannedEvent {
  type: WebhookEventType;
  data: Record<string, unknown>;
}

/**
 * Which webhook events one committed evaluation gives, in order: lead.created first, then per
 * stage or temperature transition its `*_changed` event, and lead.sales_ready when the stage
 * arrived at sales-ready. Grade and persona changes are not webhook events.
 */
export function leadChangeEvents(change: LeadChangeInput): PlannedEvent[] {
  const out: PlannedEvent[] = [];
  if (change.created) out.push({ type: 'lead.created', data: { leadId: change.leadId } });
  for (const t of change.transitions) {
    const score = typeof t.detail.score === 'number' ? t.detail.score : undefined;
    const data = { leadId: change.leadId, from: t.from, to: t.to, cause: t.cause, ...(score === undefined ? {} : { score }) };
    if (t.kind === 'stage') {
      out.push({ type: 'lead.stage_changed', data });
      if (t.to === 'sales-ready') out.push({ type: 'lead.sales_ready', data });
    } else if (t.kind === 'temperature') {
      out.push({ type: 'lead.temperature_changed', data });
    }
  }
  return out;
}
