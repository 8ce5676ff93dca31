import { MigrationInterface, QueryRunner } from 'typeorm';

export class Webhooks1763800500000 implements MigrationInterface {
  name = 'Webhooks1763800500000';

  async up(q: QueryRunner): Promise<void> {
    // Secrets are sealed with AES-256-GCM under a key derived from SECRET_KEY
    // (src/webhooks/webhook-secret.rules.ts); the plain secret is shown once and never stored.
    // The previous secret keeps signing beside the new one for a while after a rotation.
    await q.query(`
      CREATE TABLE webhook_subscriptions (
        id uuid PRIMARY KEY,
        url text NOT NULL,
        events text[] NOT NULL,
        description text,
        active boolean NOT NULL DEFAULT true,
        secret_sealed text NOT NULL,
        previous_secret_sealed text,
        previous_secret_until timestamptz,
        deactivated_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    // The outbox: one row per emitted event, written in the emitter's transaction. The body is
    // stored as the exact bytes that are signed and posted, so every retry sends the same body.
    await q.query(`
      CREATE TABLE webhook_events (
        id uuid PRIMARY KEY,
        type text NOT NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX webhook_events_created_idx ON webhook_events (created_at)`);

    // One row per (event, subscription). subscription_id has no foreign key on purpose: an
    // emitter's transaction (an unsubscribe, a bounce) must never fail because a subscription
    // was deleted a moment earlier; deleting a subscription deletes its rows, and the
    // dispatcher only claims rows of subscriptions that exist and are active.
    // next_attempt_at doubles as the lease: a claim moves it past the request timeout, so a
    // worker that dies mid-post gives the row back when it passes; lease_token makes a late
    // outcome from a worker whose lease ran out a no-op.
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY,
        event_id uuid NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
        subscription_id uuid NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        lease_token uuid,
        last_attempt_at timestamptz,
        last_response_code integer,
        last_error text,
        last_duration_ms integer,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (event_id, subscription_id)
      )`);
    // the dispatcher's claim: per active subscription, its oldest due rows
    await q.query(`CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (subscription_id, next_attempt_at) WHERE status = 'pending'`);
    // the delivery log, newest first, optionally by status
    await q.query(`CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (subscription_id, status, id)`);
    await q.query(`CREATE INDEX webhook_deliveries_sub_idx ON webhook_deliveries (subscription_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_events`);
    await q.query(`DROP TABLE webhook_subscriptions`);
  }
}
