import { MigrationInterface, QueryRunner } from 'typeorm';

export class WebAccounts1763800700000 implements MigrationInterface {
  name = 'WebAccounts1763800700000';

  async up(q: QueryRunner): Promise<void> {
    // People who sign in to the web app. A rep user is tied to the rep whose leads it may see.
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        email text NOT NULL UNIQUE,
        name text NOT NULL,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'marketer', 'rep')),
        rep_id uuid REFERENCES reps(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz,
        CHECK ((role = 'rep') = (rep_id IS NOT NULL))
      )`);

    // The cookie carries a random token; only its SHA-256 is stored, so a leaked table opens no session.
    await q.query(`
      CREATE TABLE sessions (
        id text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        csrf_secret text NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX sessions_user_idx ON sessions (user_id)`);
    await q.query(`CREATE INDEX sessions_expiry_idx ON sessions (expires_at)`);

    // One-time links that create the first admin; stored hashed, single use, expiring.
    await q.query(`
      CREATE TABLE setup_tokens (
        token_hash text PRIMARY KEY,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    // Failed sign-ins, for the rate limit; kept in Postgres so every API process sees the same count.
    await q.query(`
      CREATE TABLE login_failures (
        id bigserial PRIMARY KEY,
        email text NOT NULL,
        ip text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX login_failures_email_idx ON login_failures (email, at)`);
    await q.query(`CREATE INDEX login_failures_ip_idx ON login_failures (ip, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE login_failures`);
    await q.query(`DROP TABLE setup_tokens`);
    await q.query(`DROP TABLE sessions`);
    await q.query(`DROP TABLE users`);
  }
}
