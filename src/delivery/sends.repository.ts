import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';
import { Lead } from '../leads/lead.entity';
import { SendCategory } from './send-policy.rules';
import { SuppressionReason } from './suppression.entity';

export type SendStatus = 'queued' | 'sending' | 'sent' | 'deferred' | 'bounced' | 'failed' | 'suppressed';

export interface EmailSendRow {
  id: string;
  lead_id: string;
  template: string;
  persona: string | null;
  category: SendCategory;
  /** internal sends only: who gets the message (the lead is what it is about) */
  recipient_email: string | null;
  recipient_name: string | null;
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
  recipient?: { email: string; name?: string };
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

/** A send that may be delivered now, with what the send-time checks and the render need. */
export interface DeliverableSend {
  /** only what delivery reads: fewer columns to parse per send */
  send: Pick<EmailSendRow, 'id' | 'lead_id' | 'template' | 'persona' | 'category' | 'recipient_email' | 'recipient_name' | 'message_id' | 'context' | 'attempts' | 'queued_at'>;
  /** undefined when the lead row is gone */
  lead: Lead | undefined;
  /** of the address the message goes to: the lead's, or an internal send's recipient */
  suppression: SuppressionReason | undefined;
}

export interface RenderedSend {
  id: string;
  subject: string;
  links: string[];
  templateHash: string;
}

export interface SentSend {
  id: string;
  /** the SMTP server's reply */
  response: string;
}

export interface TrackingInfo {
  id: string;
  leadId: string;
  links: string[];
  sentAt: Date | null;
}

/** A send may be taken for delivery: due, and waiting or its previous attempt's lease ran out (that worker died). */
const CLAIMABLE = `s.next_attempt_at <= now() AND (s.status IN ('queued', 'deferred') OR (s.status = 'sending' AND s.lease_until < now()))`;

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
      `INSERT INTO email_sends (id, lead_id, template, persona, category, enrollment_id, step_key, idempotency_key, message_id, context, status, last_error, priority, queued_at, recipient_email, recipient_name)
       SELECT $1::uuid, l.id, $3::text, $4::text, $5::text, $6::uuid, $7::text, $8::text, $9::text, $10::jsonb, $11::text, $12::text, $13::int, COALESCE($14::timestamptz, now()), $15::text, $16::text
       FROM leads l WHERE l.id = $2::uuid AND l.erased_at IS NULL
       ON CONFLICT DO NOTHING RETURNING *`,
      [
        s.id,
        s.leadId,
        s.template,
        s.persona ?? null,
        s.category,
        s.enrollmentId ?? null,
        s.stepKey ?? null,
        s.idempotencyKey ?? null,
        s.messageId,
        JSON.stringify(s.context ?? {}),
        s.status ?? 'queued',
        s.lastError ?? null,
        s.priority ?? 0,
        s.queuedAt ?? null,
        s.recipient?.email ?? null,
        s.recipient?.name ?? null,
      ],
    );
    return inserted[0];
  }

  /**
   * insertForLiveLead() for many sends in one statement (one commit instead of one per send).
   * Returns the rows inserted; a send missing from them was a repeat or had no live lead, also
   * when it repeats a key of an earlier send in the same batch (that one wins).
   */
  async insertManyForLiveLeads(sends: NewSend[]): Promise<EmailSendRow[]> {
    const col = <T>(pick: (s: NewSend) => T) => sends.map(pick);
    return this.tx.manager.query<EmailSendRow[]>(
      `INSERT INTO email_sends (id, lead_id, template, persona, category, enrollment_id, step_key, idempotency_key, message_id, context, status, last_error, priority, queued_at, recipient_email, recipient_name)
       SELECT v.id, l.id, v.template, v.persona, v.category, v.enrollment_id, v.step_key, v.idempotency_key, v.message_id, v.context, v.status, v.last_error, v.priority, COALESCE(v.queued_at, now()), v.recipient_email, v.recipient_name
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::text[], $9::text[], $10::jsonb[], $11::text[], $12::text[], $13::int[], $14::timestamptz[], $15::text[], $16::text[])
         WITH ORDINALITY AS v(id, lead_id, template, persona, category, enrollment_id, step_key, idempotency_key, message_id, context, status, last_error, priority, queued_at, recipient_email, recipient_name, ord)
       JOIN leads l ON l.id = v.lead_id AND l.erased_at IS NULL
       ORDER BY v.ord
       ON CONFLICT DO NOTHING RETURNING *`,
      [
        col((s) => s.id),
        col((s) => s.leadId),
        col((s) => s.template),
        col((s) => s.persona ?? null),
        col((s) => s.category),
        col((s) => s.enrollmentId ?? null),
        col((s) => s.stepKey ?? null),
        col((s) => s.idempotencyKey ?? null),
        col((s) => s.messageId),
        col((s) => JSON.stringify(s.context ?? {})),
        col((s) => s.status ?? 'queued'),
        col((s) => s.lastError ?? null),
        col((s) => s.priority ?? 0),
        col((s) => s.queuedAt ?? null),
        col((s) => s.recipient?.email ?? null),
        col((s) => s.recipient?.name ?? null),
      ],
    );
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
   * Sends that may be delivered now (due, and queued/deferred or their last attempt's lease ran
   * out), with each one's lead and the suppression of the address it goes to: one read for a
   * batch of deliveries. Reading takes nothing; writeDeliveries() takes them. Suppressions are
   * keyed by emailHash() of the normalised address; lead and recipient addresses are stored
   * normalised, so hashing them here gives the same key.
   */
  async deliverable(ids: string[]): Promise<DeliverableSend[]> {
    const rows = await this.tx.manager.query<(DeliverableSend['send'] & { lead_row: Record<string, unknown> | null; suppression: SuppressionReason | null })[]>(
      `SELECT s.id, s.lead_id, s.template, s.persona, s.category, s.recipient_email, s.recipient_name, s.message_id, s.context, s.attempts, s.queued_at,
              row_to_json(l) AS lead_row, sup.reason AS suppression
       FROM email_sends s
       LEFT JOIN leads l ON l.id = s.lead_id
       LEFT JOIN suppressions sup ON sup.email_hash = encode(sha256(convert_to(lower(btrim(COALESCE(s.recipient_email, l.email))), 'UTF8')), 'hex')
       WHERE s.id = ANY($1::uuid[]) AND ${CLAIMABLE}`,
      [ids],
    );
    return rows.map(({ lead_row, suppression, ...send }) => ({ send, lead: lead_row ? this.hydrateLead(lead_row) : undefined, suppression: suppression ?? undefined }));
  }

  /**
   * The writes of many deliveries in one statement (one commit): rendered sends are taken for one
   * delivery attempt each, with what a click on them needs, and delivered sends are marked sent.
   * A send is only taken while it is claimable, so of two workers holding the same send exactly
   * one gets it; one marked sent in the same statement is not claimable either. Returns the taken
   * sends with their attempt count.
   */
  async writeDeliveries(claims: RenderedSend[], sent: SentSend[], leaseMs: number): Promise<{ id: string; attempts: number }[]> {
    return this.tx.manager.query<{ id: string; attempts: number }[]>(
      `WITH sent AS (
         UPDATE email_sends s SET status = 'sent', sent_at = now(), smtp_response = v.response, lease_until = NULL, last_error = NULL, updated_at = now()
         FROM unnest($6::uuid[], $7::text[]) AS v(id, response) WHERE s.id = v.id
         RETURNING s.id),
       claimed AS (
         UPDATE email_sends s SET status = 'sending', attempts = s.attempts + 1, lease_until = now() + make_interval(secs => $5::double precision / 1000), updated_at = now(),
           subject = v.subject, links = v.links, template_hash = v.template_hash
         FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::text[]) AS v(id, subject, links, template_hash)
         WHERE s.id = v.id AND s.id <> ALL($6::uuid[]) AND ${CLAIMABLE}
         RETURNING s.id, s.attempts)
       SELECT id, attempts FROM claimed`,
      [
        claims.map((r) => r.id),
        claims.map((r) => r.subject),
        claims.map((r) => JSON.stringify(r.links)),
        claims.map((r) => r.templateHash),
        leaseMs,
        sent.map((r) => r.id),
        sent.map((r) => r.response.slice(0, 1000)),
      ],
    );
  }

  /** Ends a send that was never taken (blocked at send time, or its template cannot render), unless another worker took it meanwhile. */
  async finishUnclaimed(id: string, status: 'failed' | 'suppressed', error: string): Promise<void> {
    await this.tx.manager.query(
      `UPDATE email_sends s SET status = $2, attempts = s.attempts + 1, last_error = $3, lease_until = NULL, updated_at = now() WHERE s.id = $1 AND ${CLAIMABLE}`,
      [id, status, error.slice(0, 1000)],
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

  /** A lead row as JSON (row_to_json), typed the way the Lead entity reads it from a normal query. */
  private hydrateLead(json: Record<string, unknown>): Lead {
    const { driver } = this.tx.manager.connection;
    const lead = new Lead();
    for (const column of this.tx.manager.connection.getMetadata(Lead).columns) {
      (lead as unknown as Record<string, unknown>)[column.propertyName] = driver.prepareHydratedValue(json[column.databaseName], column);
    }
    return lead;
  }
}
