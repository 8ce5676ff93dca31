import { MigrationInterface, QueryRunner } from 'typeorm';

export class HandOff1763800400000 implements MigrationInterface {
  name = 'HandOff1763800400000';

  async up(q: QueryRunner): Promise<void> {
    // Reps come from workflows/assignment.yaml (source 'file') or the API (source 'api').
    await q.query(`
      CREATE TABLE reps (
        id uuid PRIMARY KEY,
        key text NOT NULL UNIQUE,
        name text NOT NULL,
        email text NOT NULL,
        territories text[] NOT NULL DEFAULT '{}',
        industries text[] NOT NULL DEFAULT '{}',
        personas text[] NOT NULL DEFAULT '{}',
        products text[] NOT NULL DEFAULT '{}',
        capacity integer CHECK (capacity >= 0),
        weight integer NOT NULL DEFAULT 1 CHECK (weight >= 1),
        working_hours jsonb,
        time_zone text NOT NULL DEFAULT 'UTC',
        active boolean NOT NULL DEFAULT true,
        away_until timestamptz,
        source text NOT NULL DEFAULT 'api' CHECK (source IN ('file', 'api')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`ALTER TABLE leads ADD COLUMN owner_id uuid REFERENCES reps(id), ADD COLUMN handoff_due boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE INDEX leads_handoff_due_idx ON leads (id) WHERE handoff_due`);
    await q.query(`CREATE INDEX leads_owner_idx ON leads (owner_id) WHERE owner_id IS NOT NULL`);
    // The moment a lead becomes sales-ready is what hands it to sales, whoever writes the stage
    // (evaluation, decay, rescore): the flag is set in the writer's own transaction, so the
    // moment can neither be lost between commit and follow-up nor seen twice. A lead that stays
    // sales-ready does not raise it again; only a new arrival does (e.g. after a return).
    await q.query(`
      CREATE FUNCTION leads_mark_handoff_due() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.stage = 'sales-ready' AND (TG_OP = 'INSERT' OR OLD.stage IS DISTINCT FROM 'sales-ready') THEN
          NEW.handoff_due := true;
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER leads_handoff_due BEFORE INSERT OR UPDATE OF stage ON leads FOR EACH ROW EXECUTE FUNCTION leads_mark_handoff_due()`);

    // One row per hand-off attempt; a reassignment closes one row and opens the next, so the
    // history keeps every rep who had the lead. At most one open row per lead: the guard that
    // many concurrent sales-ready moments still make one assignment.
    await q.query(`
      CREATE TABLE assignments (
        id uuid PRIMARY KEY,
        lead_id uuid NOT NULL REFERENCES leads(id),
        rep_id uuid REFERENCES reps(id),
        rule text,
        cause text NOT NULL CHECK (cause IN ('sales-ready', 'manual', 'sla', 'reassign')),
        status text NOT NULL CHECK (status IN ('queued', 'pending', 'accepted', 'returned', 'converted', 'disqualified', 'reassigned')),
        previous_id uuid REFERENCES assignments(id),
        -- the first assignment of this hand-off: reassignments share it, so reports count hand-offs, not attempts
        handoff_id uuid NOT NULL,
        lead_score numeric(12, 2),
        lead_grade text,
        lead_persona text,
        lead_source text,
        reason text,
        note text,
        value numeric(14, 2),
        sla_due_at timestamptz,
        notify_at timestamptz,
        notified_at timestamptz,
        created_at timestamptz NOT NULL,
        accepted_at timestamptz,
        closed_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX assignments_one_open_idx ON assignments (lead_id) WHERE status IN ('queued', 'pending', 'accepted')`);
    await q.query(`CREATE INDEX assignments_sla_idx ON assignments (sla_due_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX assignments_notify_idx ON assignments (notify_at) WHERE notified_at IS NULL AND status = 'pending'`);
    await q.query(`CREATE INDEX assignments_queued_idx ON assignments (created_at) WHERE status = 'queued'`);
    await q.query(`CREATE INDEX assignments_rep_idx ON assignments (rep_id, status)`);
    await q.query(`CREATE INDEX assignments_lead_idx ON assignments (lead_id, created_at)`);
    await q.query(`CREATE INDEX assignments_handoff_idx ON assignments (handoff_id)`);
    await q.query(`CREATE INDEX assignments_started_idx ON assignments (created_at) WHERE previous_id IS NULL`);

    // assignment.yaml versions live beside the scoring and grading models, so every process follows a reload
    await q.query(`ALTER TABLE model_versions DROP CONSTRAINT model_versions_kind_check`);
    await q.query(`ALTER TABLE model_versions ADD CONSTRAINT model_versions_kind_check CHECK (kind IN ('scoring', 'grading', 'assignment'))`);

    // Round-robin and weighted rotation per rule, kept here so it is fair across restarts.
    await q.query(`
      CREATE TABLE assignment_rotation (
        rule text NOT NULL,
        rep_id uuid NOT NULL REFERENCES reps(id) ON DELETE CASCADE,
        current_weight bigint NOT NULL DEFAULT 0,
        assigned bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (rule, rep_id)
      )`);

    // Links in the rep's email; each can be used once.
    await q.query(`
      CREATE TABLE rep_action_tokens (
        id uuid PRIMARY KEY,
        assignment_id uuid NOT NULL REFERENCES assignments(id),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await q.query(`CREATE INDEX rep_action_tokens_assignment_idx ON rep_action_tokens (assignment_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM model_versions WHERE kind = 'assignment'`);
    await q.query(`ALTER TABLE model_versions DROP CONSTRAINT model_versions_kind_check`);
    await q.query(`ALTER TABLE model_versions ADD CONSTRAINT model_versions_kind_check CHECK (kind IN ('scoring', 'grading'))`);
    await q.query(`DROP TABLE rep_action_tokens`);
    await q.query(`DROP TABLE assignment_rotation`);
    await q.query(`DROP TABLE assignments`);
    await q.query(`DROP TRIGGER leads_handoff_due ON leads`);
    await q.query(`DROP FUNCTION leads_mark_handoff_due()`);
    await q.query(`ALTER TABLE leads DROP COLUMN handoff_due, DROP COLUMN owner_id`);
    await q.query(`DROP TABLE reps`);
  }
}
