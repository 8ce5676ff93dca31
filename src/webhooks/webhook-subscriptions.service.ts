import { Inject, Injectable } from '@nestjs/common';
import { uuidv7 } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionService } from '../database/transaction.service';
import { DeliveryRow, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookError } from './webhook.error';
import { CreateWebhookInput, DeliveryView, ListDeliveriesQuery, PatchWebhookInput, WebhookView } from './webhook.schemas';
import { WebhookRoutesCache } from './webhook-routes.cache';
import { seal, sealingKey } from './webhook-secret.rules';
import { generateSecret } from './webhook-signature.rules';
import { SubscriptionRow, WebhookSubscriptionsRepository } from './webhook-subscriptions.repository';
import { WebhooksService } from './webhooks.service';

/** After a rotation the old secret keeps signing beside the new one this long, so receivers can switch without dropping events. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;

/** Subscriptions through the API: create, change, rotate the secret, send a test, read the delivery log. */
@Injectable()
export class WebhookSubscriptionsService {
  private readonly key: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly tx: TransactionService,
    private readonly subscriptions: WebhookSubscriptionsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly routes: WebhookRoutesCache,
    private readonly webhooks: WebhooksService,
  ) {
    this.key = sealingKey(config.secretKey);
  }

  async create(input: CreateWebhookInput): Promise<WebhookView & { secret: string }> {
    const id = uuidv7();
    const secret = generateSecret();
    const row = await this.subscriptions.insert({
      id,
      url: input.url,
      events: input.events,
      description: input.description ?? null,
      active: input.active,
      secretSealed: seal(secret, this.key, id),
    });
    this.routes.invalidate();
    return { ...toView(row), secret };
  }

  async list(): Promise<{ data: WebhookView[] }> {
    return { data: (await this.subscriptions.list()).map(toView) };
  }

  async get(id: string): Promise<WebhookView> {
    return toView(await this.find(id));
  }

  async patch(id: string, patch: PatchWebhookInput): Promise<WebhookView> {
    const row = await this.subscriptions.update(id, patch);
    if (!row) throw notFound(id);
    this.routes.invalidate();
    return toView(row);
  }

  async delete(id: string): Promise<{ id: string; deleted: true }> {
    if (!(await this.subscriptions.delete(id))) throw notFound(id);
    this.routes.invalidate();
    return { id, deleted: true };
  }

  async rotateSecret(id: string): Promise<WebhookView & { secret: string }> {
    const secret = generateSecret();
    const row = await this.subscriptions.rotate(id, seal(secret, this.key, id), new Date(Date.now() + ROTATION_OVERLAP_MS));
    if (!row) throw notFound(id);
    return { ...toView(row), secret };
  }

  async sendTest(id: string): Promise<{ eventId: string; deliveryId: string; status: 'pending' }> {
    return this.tx.run(async () => {
      const row = await this.find(id);
      if (!row.active) throw new WebhookError('webhook_inactive', 'This webhook is not active; activate it (PATCH {"active": true}) before testing it');
      return { ...(await this.webhooks.emitTest(id)), status: 'pending' as const };
    });
  }

  async deliveriesOf(id: string, query: ListDeliveriesQuery): Promise<{ data: DeliveryView[]; nextCursor: string | null }> {
    await this.find(id);
    const rows = await this.deliveries.page(id, query);
    return { data: rows.map(toDeliveryView), nextCursor: rows.length === query.limit ? rows[rows.length - 1].id : null };
  }

  private async find(id: string): Promise<SubscriptionRow> {
    const row = await this.subscriptions.findById(id);
    if (!row) throw notFound(id);
    return row;
  }
}

function notFound(id: string): WebhookError {
  return new WebhookError('webhook_not_found', `No webhook ${id}`);
}

/** Never the secret, sealed or not. */
function toView(r: SubscriptionRow): WebhookView {
  const overlap = r.previous_secret_until && r.previous_secret_until > new Date() ? r.previous_secret_until.toISOString() : null;
  return {
    id: r.id,
    url: r.url,
    events: r.events,
    description: r.description,
    active: r.active,
    deactivatedReason: r.deactivated_reason,
    previousSecretUntil: overlap,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

function toDeliveryView(r: DeliveryRow): DeliveryView {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    id: r.id,
    eventId: r.event_id,
    type: r.type,
    status: r.status,
    attempts: r.attempts,
    lastResponseCode: r.last_response_code,
    lastError: r.last_error,
    lastDurationMs: r.last_duration_ms,
    lastAttemptAt: iso(r.last_attempt_at),
    nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null,
    deliveredAt: iso(r.delivered_at),
    createdAt: r.created_at.toISOString(),
  };
}
