import { MigrationInterface, QueryRunner } from 'typeorm';

export class LeadIntelligence1763800200000 implements MigrationInterface {
  name = 'LeadIntelligence1763800200000';

  async up(q: QueryRunner): Promise<void> {
    // The lead carries its current state; score_changes and lead_transitions say how it got there.
    await q.query(`
      ALTER TABLE leads
        ADD COLUMN score numeric(12, 2) NOT NULL DEFAULT 0,
        ADD COLUMN scores jsonb NOT NULL DEFAULT '{"total": 0}'::jsonb,
        ADD COLUMN grade text,
        ADD COLUMN persona text,
        ADD COLUMN stage text NOT NULL DEFAULT 'awareness' CHECK (stage IN ('awareness', 'interest', 'mql', 'sales-ready')),
        ADD COLUMN temperature text NOT NULL DEFAULT 'cold' CHECK (temperature IN ('cold', 'warm', 'hot')),
        ADD COLUMN temperature_since timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN scoring_state jsonb NOT NULL DEFAULT '{}'::jsonb,
        ADD COLUMN last_activity_at timestamptz,
        ADD COLUMN decayed_at timestamptz,
        ADD COLUMN evaluated_at timestamptz,
        ADD COLUMN needs_evaluation boolean NOT NULL DEFAULT true`);
    await q.query(`CREATE INDEX leads_stage_idx ON leads (stage, id) WHERE erased_at IS NULL`);
    await q.query(`CREATE INDEX leads_temperature_idx ON leads (temperature, id) WHERE erased_at IS NULL`);
    await q.query(`CREATE INDEX leads_score_idx ON leads (score, id) WHERE erased_at IS NULL`);
    await q.query(`CREATE INDEX leads_needs_evaluation_idx ON leads (updated_at) WHERE needs_evaluation`);
    await q.query(`CREATE INDEX leads_decay_idx ON leads (decayed_at NULLS FIRST) WHERE score <> 0 AND erased_at IS NULL`);

    // Activities are stored first and evaluated after: evaluated_at NULL is the work queue in Postgres.
    await q.query(`ALTER TABLE activities ADD COLUMN evaluated_at timestamptz, ADD COLUMN visitor_id text`);
    await q.query(`CREATE INDEX activities_pending_idx ON activities (received_at) WHERE evaluated_at IS NULL`);
    await q.query(`CREATE INDEX activities_visitor_idx ON activities (visitor_id) WHERE visitor_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE visitors (
        visitor_id text PRIMARY KEY,
        lead_id uuid REFERENCES leads(id),
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        identified_at timestamptz
      )`);

    await q.query(`
      CREATE TABLE score_changes (
        id uuid PRIMARY KEY,
        lead_id uuid NOT NULL REFERENCES leads(id),
        dimension text NOT NULL,
        rule_id text,
        activity_id uuid,
        points numeric(12, 2) NOT NULL,
        before numeric(12, 2) NOT NULL,
        after numeric(12, 2) NOT NULL,
        cause text NOT NULL CHECK (cause IN ('event', 'decay', 'manual', 'rescore', 'return')),
        reason text NOT NULL DEFAULT '',
        model_version text,
        occurred_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX score_changes_lead_idx ON score_changes (lead_id, occurred_at)`);

    await q.query(`
      CREATE TABLE lead_transitions (
        id uuid PRIMARY KEY,
        lead_id uuid NOT NULL REFERENCES leads(id),
        kind text NOT NULL CHECK (kind IN ('score', 'stage', 'temperature', 'grade', 'persona', 'owner', 'track')),
        from_value text,
        to_value text,
        cause text NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX lead_transitions_lead_idx ON lead_transitions (lead_id, created_at)`);
    await q.query(`CREATE INDEX lead_transitions_kind_idx ON lead_transitions (kind, created_at)`);

    await q.query(`
      CREATE TABLE model_versions (
        kind text NOT NULL CHECK (kind IN ('scoring', 'grading')),
        version text NOT NULL,
        source text NOT NULL,
        file text NOT NULL,
        loaded_at timestamptz NOT NULL DEFAULT now(),
        -- the newest activation per kind is the model every process uses
        activated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (kind, version)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE model_versions`);
    await q.query(`DROP TABLE lead_transitions`);
    await q.query(`DROP TABLE score_changes`);
    await q.query(`DROP TABLE visitors`);
    await q.query(`ALTER TABLE activities DROP COLUMN evaluated_at, DROP COLUMN visitor_id`);
    await q.query(`ALTER TABLE leads DROP COLUMN score, DROP COLUMN scores, DROP COLUMN grade, DROP COLUMN persona, DROP COLUMN stage,
      DROP COLUMN temperature, DROP COLUMN temperature_since, DROP COLUMN scoring_state, DROP COLUMN last_activity_at,
      DROP COLUMN decayed_at, DROP COLUMN evaluated_at, DROP COLUMN needs_evaluation`);
  }
}
