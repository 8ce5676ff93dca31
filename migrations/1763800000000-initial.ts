import { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1763800000000 implements MigrationInterface {
  name = 'Initial1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE leads (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        first_name text,
        last_name text,
        company text,
        job_title text,
        industry text,
        company_size integer CHECK (company_size IS NULL OR company_size >= 0),
        country text,
        timezone text,
        locale text,
        source text,
        attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
        consent boolean,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        erased_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX leads_email_key ON leads (email)`);
    await q.query(`CREATE INDEX leads_source_idx ON leads (source, id) WHERE erased_at IS NULL`);
    await q.query(`CREATE INDEX leads_created_at_idx ON leads (created_at)`);

    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        prefix text NOT NULL,
        secret_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX api_keys_prefix_key ON api_keys (prefix)`);

    await q.query(`
      CREATE TABLE suppressions (
        email_hash text PRIMARY KEY,
        reason text NOT NULL CHECK (reason IN ('erased','unsubscribed','bounced','complained','manual')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE suppressions`);
    await q.query(`DROP TABLE api_keys`);
    await q.query(`DROP TABLE leads`);
  }
}
