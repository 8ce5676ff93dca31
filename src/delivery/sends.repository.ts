import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';
import { SendCategory } from './send-policy.rules';

export type SendStatus = 'queued' | 'sending' | 'sent' | 'deferred' | 'bounced' | 'failed' | 'suppressed';

export interface EmailSendRow {
  id: string;
  lead_id: string;
  template: string;
  persona: string | null;
  category: SendCategory;
  enrollment_id: string | null;
  step_key: string | null;
  idempotency_key: string | null;
  status: SendStatus;
  message_id: string;
  subject: string | null;
  template_hash: string | null;
  links: string[];
  context: Record<string, unknown>;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  smtp_response: string | null;
  queued_at: Date;
  sent_at: Date | null;
}

export interface NewSend {
  id: string;
  leadId: string;
  template: string;
  persona?: string;
  category: SendCategory;
  enrollmentId?: string;
  stepKey?: string;
  idempotencyKey?: string;
  messageId: string;
  context?: Record<string, unknown>;
  status?: SendStatus;
  lastError?: string;
  priority?: number;
  /** when the caller's clock says it was queued (workflows run on the engine clock) */
  queuedAt?: Date;
}

export interface TrackingInfo {
  id: string;
  leadId: string;
  links: string[];
  sentAt: Date | null;
}

@Injectable()
export class SendsRepository {
  constructor(private readonly tx: TransactionService) {}

  /**
   * Inserts the send if its lead exists and is not erased, and its (enrollment, step) or
   * idempotency key is new: one statement on the hot path. Undefined when nothing was inserted;
   * findByKey() then tells a repeat from a missing lead.
   */
  async insertForLiveLead(s: NewSend): Promise<EmailSendRow | undefined> {
    const inserted = await this.tx.manager.query<EmailSendRow[]>(
      `INSERT INTO email_sends (id, lead_id, template, persona, category, enrollment_id, step_key, idempotency_key, message_id, context, status, last_error, priority, queued_at)
       SELECT $1::uuid, l.id, $3::text, $4::text, $5::text, $6::uuid, $7::text, $8::text, $9::text, $10::jsonb, $11::text, $12::text, $13::int, COALESCE($14::timestamptz, now())
       FROM leads l WHERE l.id = $2::uuid AND l.erased_at IS NULL
       ON CONFLICT DO NOTHING RETURNING *`,
      [s.id, s.leadId, s.template, s.persona ?? null, s.category, s.enrollmentId ?? null, s.stepKey ?? null, s.idempotencyKey ?? null, s.messageId, JSON.stringify(s.context ?? {}), s.status ?? 'queued', s.lastError ?? null, s.priority ?? 0, s.queuedAt ?? null],
    );
    return inserted[0];
  }

  /** The send already stored for the same (enrollment, step) or idempotency key. */
  async findByKey(key: { enrollmentId?: string; stepKey?: string; idempotencyKey?: string }): Promise<EmailSendRow | undefined> {
    const existing = await this.tx.manager.query<EmailSendRow[]>(
      `SELECT * FROM email_sends WHERE (enrollment_id = $1 AND step_key = $2) OR idempotency_key = $3 LIMIT 1`,
      [key.enrollmentId ?? null, key.stepKey ?? null, key.idempotencyKey ?? null],
    );
    return existing[0];
  }

  async findById(id: string): Promise<EmailSendRow | undefined> {
    return (await this.tx.manager.query<EmailSendRow[]>(`SELECT * FROM email_sends WHERE id = $1`, [id]))[0];
  }

  /**
   * Takes a send for one delivery attempt. Only one worker gets it: the row must be due and
   * queued/deferred, or its previous attempt's lease must have run out (that worker died).
   */
  async claim(id: string, leaseMs: number): Promise<EmailSendRow | undefined> {
    const rows = await this.tx.manager.query<[EmailSendRow[], number]>(
      `UPDATE email_sends SET status = 'sending', attempts = attempts + 1, lease_until = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
       WHERE id = $1 AND next_attempt_at <= now()
         AND (status IN ('queued', 'deferred') OR (status = 'sending' AND lease_until < now()))
       RETURNING *`,
      [id, leaseMs],
    );
    return rows[0][0];
  }

  /** Stored before the message leaves, so a click on it always finds its target. */
  async saveRendered(id: string, subject: string, links: string[], templateHash: string): Promise<void> {
    await this.tx.manager.query(`UPDATE email_sends SET subject = $2, links = $3::jsonb, template_hash = $4 WHERE id = $1`, [id, subject, JSON.stringify(links), templateHash]);
  }

  async markSent(id: string, response: string): Promise<void> {
    await this.tx.manager.query(
      `UPDATE email_sends SET status = 'sent', sent_at = now(), smtp_response = $2, lease_until = NULL, last_error = NULL, updated_at = now() WHERE id = $1`,
      [id, response.slice(0, 1000)],
    );
  }

  async markDeferred(id: string, error: string, nextAttemptAt: Date): Promise<void> {
    await this.tx.manager.query(
      `UPDATE email_sends SET status = 'deferred', last_error = $2, next_attempt_at = $3, lease_until = NULL, updated_at = now() WHERE id = $1`,
      [id, error.slice(0, 1000), nextAttemptAt],
    );
  }

  async markFinal(id: string, status: 'bounced' | 'failed' | 'suppressed', error: string): Promise<void> {
    await this.tx.manager.query(`UPDATE email_sends SET status = $2, last_error = $3, lease_until = NULL, updated_at = now() WHERE id = $1`, [
      id,
      status,
      error.slice(0, 1000),
    ]);
  }

  /** Sends that should be moving but have no job (lost with Redis, or a worker died mid-send). */
  async dueIds(limit: number, minAgeMs: number): Promise<{ id: string; next_attempt_at: Date }[]> {
    return this.tx.manager.query(
      `SELECT id, next_attempt_at FROM email_sends
       WHERE (status IN ('queued', 'deferred') AND next_attempt_at <= now() + interval '1 minute' AND updated_at < now() - make_interval(secs => $2::double precision / 1000))
          OR (status = 'sending' AND lease_until < now())
       ORDER BY next_attempt_at LIMIT $1`,
      [limit, minAgeMs],
    );
  }

  async trackingInfo(ids: string[]): Promise<TrackingInfo[]> {
    const rows = await this.tx.manager.query<{ id: string; lead_id: string; links: string[]; sent_at: Date | null }[]>(
      `SELECT id, lead_id, links, sent_at FROM email_sends WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.map((r) => ({ id: r.id, leadId: r.lead_id, links: r.links, sentAt: r.sent_at }));
  }
}
