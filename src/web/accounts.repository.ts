import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';

export const ROLES = ['admin', 'marketer', 'rep'] as const;
export type Role = (typeof ROLES)[number];

export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  role: Role;
  rep_id: string | null;
  created_at: Date;
  last_login_at: Date | null;
}

export interface SessionUserRow extends UserRow {
  session_id: string;
  csrf_secret: string;
  expires_at: Date;
}

/** Users, their sessions, first-admin setup links and failed sign-ins. */
@Injectable()
export class AccountsRepository {
  constructor(private readonly tx: TransactionService) {}

  async countUsers(): Promise<number> {
    const [row] = await this.tx.manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM users`);
    return row.n;
  }

  async findByEmail(email: string): Promise<UserRow | undefined> {
    const [row] = await this.tx.manager.query<UserRow[]>(`SELECT * FROM users WHERE email = $1`, [email]);
    return row;
  }

  async insertUser(u: Pick<UserRow, 'id' | 'email' | 'name' | 'password_hash' | 'role' | 'rep_id'>): Promise<UserRow> {
    const [row] = await this.tx.manager.query<UserRow[]>(
      `INSERT INTO users (id, email, name, password_hash, role, rep_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [u.id, u.email, u.name, u.password_hash, u.role, u.rep_id],
    );
    return row;
  }

  async touchLogin(userId: string): Promise<void> {
    await this.tx.manager.query(`UPDATE users SET last_login_at = now() WHERE id = $1`, [userId]);
  }

  async repIdByKey(key: string): Promise<string | undefined> {
    const [row] = await this.tx.manager.query<{ id: string }[]>(`SELECT id FROM reps WHERE key = $1`, [key]);
    return row?.id;
  }

  async insertSession(s: { id: string; userId: string; csrfSecret: string; expiresAt: Date }): Promise<void> {
    await this.tx.manager.query(`INSERT INTO sessions (id, user_id, csrf_secret, expires_at) VALUES ($1, $2, $3, $4)`, [s.id, s.userId, s.csrfSecret, s.expiresAt]);
  }

  async sessionUser(sessionId: string): Promise<SessionUserRow | undefined> {
    const [row] = await this.tx.manager.query<SessionUserRow[]>(
      `SELECT u.*, s.id AS session_id, s.csrf_secret, s.expires_at
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.expires_at > now()`,
      [sessionId],
    );
    return row;
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.tx.manager.query(`DELETE FROM sessions WHERE id = $1`, [sessionId]);
  }

  /** Housekeeping on sign-in: expired sessions and old failures go, so neither table grows without bound. */
  async prune(failureWindowStart: Date): Promise<void> {
    await this.tx.manager.query(`DELETE FROM sessions WHERE expires_at < now()`);
    await this.tx.manager.query(`DELETE FROM login_failures WHERE at < $1`, [failureWindowStart]);
  }

  async insertSetupToken(hash: string, expiresAt: Date): Promise<void> {
    await this.tx.manager.query(`INSERT INTO setup_tokens (token_hash, expires_at) VALUES ($1, $2)`, [hash, expiresAt]);
  }

  async setupTokenValid(hash: string): Promise<boolean> {
    const [row] = await this.tx.manager.query<{ ok: boolean }[]>(`SELECT true AS ok FROM setup_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()`, [hash]);
    return !!row;
  }

  /** Marks the token used; false when it was used, expired or never issued. Call inside the transaction that creates the admin. */
  async useSetupToken(hash: string): Promise<boolean> {
    const [, n] = await this.tx.manager.query<[unknown[], number]>(
      `UPDATE setup_tokens SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()`,
      [hash],
    );
    return n === 1;
  }

  /** Serialises first-admin creation between processes and concurrent requests. */
  async lockUsers(): Promise<void> {
    await this.tx.manager.query(`SELECT pg_advisory_xact_lock(hashtext('kindling:users'))`);
  }

  async failureCounts(email: string, ip: string, since: Date): Promise<{ email: number; ip: number }> {
    const [row] = await this.tx.manager.query<{ email: number; ip: number }[]>(
      `SELECT (SELECT count(*)::int FROM login_failures WHERE email = $1 AND at > $3) AS email,
              (SELECT count(*)::int FROM login_failures WHERE ip = $2 AND at > $3) AS ip`,
      [email, ip, since],
    );
    return row;
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    await this.tx.manager.query(`INSERT INTO login_failures (email, ip) VALUES ($1, $2)`, [email, ip]);
  }

  async clearFailures(email: string): Promise<void> {
    await this.tx.manager.query(`DELETE FROM login_failures WHERE email = $1`, [email]);
  }
}
