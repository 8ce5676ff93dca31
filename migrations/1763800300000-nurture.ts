import { MigrationInterface, QueryRunner } from 'typeorm';

export class Nurture1763800300000 implements MigrationInterface {
  name = 'Nurture1763800300000';

  async up(q: QueryRunner): Promise<void> {
    // Every distinct definition a workflow file ever had; enrollments point at the one they started on.
    await q.query(`
      CREATE TABLE workflow_versions (
        id uuid PRIMARY KEY,
        key text NOT NULL,
        version text NOT NULL,
        file text NOT NULL,
        source text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (key, version)
      )`);
    await q.query(`
      CREATE TABLE workflows (
        key text PRIMARY KEY,
        version_id uuid NOT NULL REFERENCES workflow_versions(id),
        track text CHECK (track IN ('cold', 'warm', 'hot')),
        paused boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    // A lead's journey through one workflow. Waiting costs one row: next_run_at is the timer,
    // and the lease marks a row a worker is running so a crashed worker's row comes back.
    await q.query(`
      CREATE TABLE enrollments (
        id uuid PRIMARY KEY,
        lead_id uuid NOT NULL REFERENCES leads(id),
        workflow_key text NOT NULL,
        version_id uuid NOT NULL REFERENCES workflow_versions(id),
        track text CHECK (track IN ('cold', 'warm', 'hot')),
        -- the workflow's priority, copied so the frequency cap can rank a lead's waiting sends
        priority integer NOT NULL DEFAULT 0,
        status text NOT NULL CHECK (status IN ('waiting', 'completed', 'exited')),
        step_index integer NOT NULL DEFAULT 0,
        step_id text,
        entered_step_at timestamptz NOT NULL DEFAULT now(),
        next_run_at timestamptz,
        lease_until timestamptz,
        waiting_for text,
        end_reason text,
        enrolled_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // one live enrollment per lead and workflow, and one live content track per lead
    await q.query(`CREATE UNIQUE INDEX enrollments_live_key ON enrollments (lead_id, workflow_key) WHERE status = 'waiting'`);
    await q.query(`CREATE UNIQUE INDEX enrollments_live_track_key ON enrollments (lead_id) WHERE status = 'waiting' AND track IS NOT NULL`);
    await q.query(`CREATE INDEX enrollments_due_idx ON enrollments (next_run_at) WHERE status = 'waiting'`);
    await q.query(`CREATE INDEX enrollments_lead_idx ON enrollments (lead_id, enrolled_at)`);
    await q.query(`CREATE INDEX enrollments_workflow_idx ON enrollments (workflow_key, status, step_id)`);

    // why a send was deferred or skipped by the send policy (quiet hours, frequency cap)
    await q.query(`ALTER TABLE email_sends ADD COLUMN priority integer NOT NULL DEFAULT 0, ADD COLUMN policy_note text`);
    await q.query(`CREATE INDEX email_sends_lead_recent_idx ON email_sends (lead_id, sent_at) WHERE category = 'marketing'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE email_sends DROP COLUMN priority, DROP COLUMN policy_note`);
    await q.query(`DROP TABLE enrollments`);
    await q.query(`DROP TABLE workflows`);
    await q.query(`DROP TABLE workflow_versions`);
  }
}
