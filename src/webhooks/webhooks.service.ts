import { Injectable } from '@nestjs/common';
import { uuidv7 } from '../common/ids';
import { NewDelivery, NewEvent, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookEventType, eventBody, subscribesTo } from './webhook-events.rules';
import { WebhookRoutesCache } from './webhook-routes.cache';

export interface EmittedEvent {
  type: WebhookEventType;
  data: Record<string, unknown>;
  /** when it happened; now by default */
  at?: Date;
}

/**
 * The public face of webhooks for the other modules (the module is global): `emit` writes the
 * event and one delivery per matching subscription through the TransactionService, so called
 * inside `tx.run(...)` it commits or rolls back with the caller's change (outbox pattern). The
 * dispatcher posts it afterwards; nothing here touches the network.
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly routes: WebhookRoutesCache,
    private readonly deliveries: WebhookDeliveriesRepository,
  ) {}

  emit(type: WebhookEventType, data: Record<string, unknown>, at?: Date): Promise<void> {
    return this.emitMany([{ type, data, at }]);
  }

  /** One statement for the whole batch; no SQL at all when no active subscription wants any of them. */
  async emitMany(events: readonly EmittedEvent[]): Promise<void> {
    if (!events.length) return;
    const routes = await this.routes.get();
    if (!routes.length) return;
    const rows: NewEvent[] = [];
    const deliveries: NewDelivery[] = [];
    for (const e of events) {
      const targets = routes.filter((r) => subscribesTo(r.events, e.type));
      if (!targets.length) continue;
      const at = e.at ?? new Date();
      const event = { id: uuidv7(), type: e.type, body: eventBody(e.type, at, e.data), createdAt: at };
      rows.push(event);
      for (const r of targets) deliveries.push({ id: uuidv7(), eventId: event.id, subscriptionId: r.id });
    }
    if (rows.length) await this.deliveries.insert(rows, deliveries);
  }

  /** Whether any active subscription wants this type: lets emitters skip building costly data. */
  async wants(type: WebhookEventType): Promise<boolean> {
    return (await this.routes.get()).some((r) => subscribesTo(r.events, type));
  }

  /** A test event for one subscription only (it need not subscribe to webhook.test). */
  async emitTest(subscriptionId: string): Promise<{ eventId: string; deliveryId: string }> {
    const at = new Date();
    const event = { id: uuidv7(), type: 'webhook.test', body: eventBody('webhook.test', at, { subscriptionId, message: 'A test event from Kindling' }), createdAt: at };
    const delivery = { id: uuidv7(), eventId: event.id, subscriptionId };
    await this.deliveries.insert([event], [delivery]);
    return { eventId: event.id, deliveryId: delivery.id };
  }
}
