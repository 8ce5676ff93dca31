import { MigrationInterface, QueryRunner } from 'typeorm';

export class EmailPipeline1763800100000 implements MigrationInterface {
  name = 'EmailPipeline1763800100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE leads ADD COLUMN unsubscribed_at timestamptz`);

    // One row per email Kindling will send. The partial unique indexes are the guard against
    // sending twice: the same workflow step or the same idempotency key can only queue once.
    await q.query(`
      CREATE TABLE email_sends (
        id uuid PRIMARY KEY,
        lead_id uuid NOT NULL REFERENCES leads(id),
        template text NOT NULL,
        persona text,
        category text NOT NULL DEFAULT 'marketing' CHECK (category IN ('marketing', 'transactional')),
        enrollment_id uuid,
        step_key text,
        idempotency_key text,
        status text NOT NULL DEFAULT 'queued'
          CHECK (status IN ('queued', 'sending', 'sent', 'deferred', 'bounced', 'failed', 'suppressed')),
        message_id text NOT NULL,
        subject text,
        template_hash text,
        links jsonb NOT NULL DEFAULT '[]'::jsonb,
        context jsonb NOT NULL DEFAULT '{}'::jsonb,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        last_error text,
        smtp_response text,
        queued_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((enrollment_id IS NULL) = (step_key IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX email_sends_enrollment_step_key ON email_sends (enrollment_id, step_key) WHERE enrollment_id IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX email_sends_idempotency_key ON email_sends (idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`CREATE INDEX email_sends_due_idx ON email_sends (next_attempt_at) WHERE status IN ('queued', 'deferred', 'sending')`);
    await q.query(`CREATE INDEX email_sends_lead_idx ON email_sends (lead_id, queued_at)`);

    // Everything a lead did: opens and clicks from tracking now, behaviour events later.
    await q.query(`
      CREATE TABLE activities (
        id uuid PRIMARY KEY,
        lead_id uuid REFERENCES leads(id),
        type text NOT NULL,
        occurred_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        send_id uuid,
        link_index integer,
        classification text CHECK (classification IN ('human', 'apple-privacy-proxy', 'gmail-proxy', 'security-scanner')),
        properties jsonb NOT NULL DEFAULT '{}'::jsonb,
        idempotency_key text,
        ip text,
        user_agent text
      )`);
    await q.query(`CREATE UNIQUE INDEX activities_idempotency_key ON activities (idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`CREATE INDEX activities_lead_idx ON activities (lead_id, occurred_at)`);
    await q.query(`CREATE INDEX activities_send_idx ON activities (send_id, type) WHERE send_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE activities`);
    await q.query(`DROP TABLE email_sends`);
    await q.query(`ALTER TABLE leads DROP COLUMN unsubscribed_at`);
  }
}
