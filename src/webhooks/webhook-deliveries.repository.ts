import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';
import { DeliveryStatus, ListDeliveriesQuery } from './webhook.schemas';

export interface NewEvent {
  id: string;
  type: string;
  body: string;
  createdAt: Date;
}

export interface NewDelivery {
  id: string;
  eventId: string;
  subscriptionId: string;
}

/** A delivery taken by this worker, with what it needs to post it. */
export interface ClaimedDelivery {
  id: string;
  lease_token: string;
  attempts: number;
  event_id: string;
  type: string;
  body: string;
  event_at: Date;
  subscription_id: string;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_until: Date | null;
}

export interface DeliveryRow {
  id: string;
  event_id: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  last_response_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  last_attempt_at: Date | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
}

export interface Outcome {
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
  responseCode: number | null;
  error: string | null;
  durationMs: number;
  at: Date;
}

@Injectable()
export class WebhookDeliveriesRepository {
  constructor(private readonly tx: TransactionService) {}

  /**
   * The outbox write, one statement in the caller's transaction: the events, and a delivery per
   * (event, subscription) for subscriptions that still exist and are active (the router's list
   * may be a few seconds old). Events are inserted even if every subscription vanished: a
   * harmless row the retention purge removes.
   */
  async insert(events: readonly NewEvent[], deliveries: readonly NewDelivery[]): Promise<void> {
    const eventAt = new Map(events.map((e) => [e.id, e.createdAt]));
    await this.tx.manager.query(
      `WITH ev AS (
         INSERT INTO webhook_events (id, type, body, created_at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]))
       INSERT INTO webhook_deliveries (id, event_id, subscription_id, next_attempt_at, created_at)
       SELECT d.id, d.event_id, d.subscription_id, d.at, d.at
       FROM unnest($5::uuid[], $6::uuid[], $7::uuid[], $8::timestamptz[]) AS d(id, event_id, subscription_id, at)
       JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.active`,
      [
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => e.body),
        events.map((e) => e.createdAt),
        deliveries.map((d) => d.id),
        deliveries.map((d) => d.eventId),
        deliveries.map((d) => d.subscriptionId),
        deliveries.map((d) => eventAt.get(d.eventId)),
      ],
    );
  }

  /**
   * Takes up to `limit` due deliveries, at most `perEndpoint` per subscription minus what this
   * worker already has in flight there, so one slow endpoint cannot take every slot. Each
   * subscription's oldest due rows come from its own index range (LATERAL), so a large backlog
   * at one endpoint never hides the others' due rows. SKIP LOCKED lets several workers claim
   * side by side; the claim moves next_attempt_at to the end of the lease, after which a dead
   * worker's rows are due again.
   */
  async claimDue(p: { limit: number; perEndpoint: number; busy: Map<string, number>; leaseMs: number; token: string; now: Date }): Promise<ClaimedDelivery[]> {
    const [rows] = await this.tx.manager.query<[ClaimedDelivery[], number]>(
      `WITH busy AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS b(subscription_id, n)),
       due AS (
         SELECT x.id FROM webhook_subscriptions s
         CROSS JOIN LATERAL (
           SELECT d.id, d.next_attempt_at FROM webhook_deliveries d
           WHERE d.subscription_id = s.id AND d.status = 'pending' AND d.next_attempt_at <= $3
           ORDER BY d.next_attempt_at
           LIMIT GREATEST(0, $4 - COALESCE((SELECT b.n FROM busy b WHERE b.subscription_id = s.id), 0))
           FOR UPDATE OF d SKIP LOCKED) x
         WHERE s.active
         ORDER BY x.next_attempt_at LIMIT $5)
       UPDATE webhook_deliveries d SET
         attempts = d.attempts + 1,
         next_attempt_at = $3::timestamptz + make_interval(secs => $6::double precision / 1000),
         lease_token = $7, last_attempt_at = $3, updated_at = now()
       FROM due, webhook_events e, webhook_subscriptions s
       WHERE d.id = due.id AND e.id = d.event_id AND s.id = d.subscription_id
       RETURNING d.id, d.lease_token, d.attempts, e.id AS event_id, e.type, e.body, e.created_at AS event_at,
         s.id AS subscription_id, s.url, s.secret_sealed, s.previous_secret_sealed, s.previous_secret_until`,
      [[...p.busy.keys()], [...p.busy.values()], p.now, p.perEndpoint, p.limit, p.leaseMs, p.token],
    );
    return rows;
  }

  /** Records an attempt's outcome unless the lease was lost meanwhile (another worker owns the row now). */
  async record(id: string, token: string, o: Outcome): Promise<boolean> {
    const [, count] = await this.tx.manager.query<[unknown[], number]>(
      `UPDATE webhook_deliveries SET status = $3, next_attempt_at = $4, last_response_code = $5, last_error = $6, last_duration_ms = $7,
         delivered_at = CASE WHEN $3 = 'delivered' THEN $8::timestamptz ELSE delivered_at END, lease_token = NULL, updated_at = now()
       WHERE id = $1 AND lease_token = $2`,
      [id, token, o.status, o.nextAttemptAt, o.responseCode, o.error, Math.round(o.durationMs), o.at],
    );
    return count > 0;
  }

  /** Ends a subscription's waiting deliveries (it was switched off by a 410), except those in flight. */
  async failPending(subscriptionId: string, reason: string): Promise<number> {
    const [, count] = await this.tx.manager.query<[unknown[], number]>(
      `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, last_error = $2, updated_at = now()
       WHERE subscription_id = $1 AND status = 'pending' AND lease_token IS NULL`,
      [subscriptionId, reason],
    );
    return count;
  }

  /** The delivery log, newest first; the cursor is the last id of the previous page (ids are time-ordered). */
  page(subscriptionId: string, q: ListDeliveriesQuery): Promise<DeliveryRow[]> {
    return this.tx.manager.query(
      `SELECT d.id, d.event_id, e.type, d.status, d.attempts, d.last_response_code, d.last_error, d.last_duration_ms,
         d.last_attempt_at, d.next_attempt_at, d.delivered_at, d.created_at
       FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
       WHERE d.subscription_id = $1 AND ($2::text IS NULL OR d.status = $2) AND ($3::uuid IS NULL OR d.id < $3)
       ORDER BY d.id DESC LIMIT $4`,
      [subscriptionId, q.status ?? null, q.cursor ?? null, q.limit],
    );
  }

  /** Retention: events older than `before` go, with their deliveries. Returns how many events. */
  async purge(before: Date, limit: number): Promise<number> {
    const [, count] = await this.tx.manager.query<[unknown[], number]>(
      `DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events WHERE created_at < $1 LIMIT $2)`,
      [before, limit],
    );
    return count;
  }
}
