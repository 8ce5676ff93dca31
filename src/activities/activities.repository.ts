import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';
import { HitClass } from '../tracking/classification.rules';

export interface NewActivity {
  id: string;
  /** when undefined, taken from the send (tracking hits know only their send) */
  leadId?: string;
  type: string;
  occurredAt: Date;
  sendId?: string;
  linkIndex?: number;
  classification?: HitClass;
  properties?: Record<string, unknown>;
  idempotencyKey?: string;
  ip?: string;
  userAgent?: string;
}

@Injectable()
export class ActivitiesRepository {
  constructor(private readonly tx: TransactionService) {}

  /**
   * One statement for many rows. Rows without a lead id get the lead of their send; a repeated
   * idempotency key is skipped. Returns the rows actually inserted with their lead.
   */
  async insertMany(rows: NewActivity[]): Promise<{ id: string; lead_id: string | null }[]> {
    if (rows.length === 0) return [];
    return this.tx.manager.query<{ id: string; lead_id: string | null }[]>(
      `INSERT INTO activities (id, lead_id, type, occurred_at, send_id, link_index, classification, properties, idempotency_key, ip, user_agent, evaluated_at)
       SELECT t.id, COALESCE(t.lead_id, s.lead_id), t.type, t.occurred_at, t.send_id, t.link_index, t.classification,
              COALESCE(t.properties, '{}'::jsonb), t.idempotency_key, t.ip, t.user_agent,
              -- proxies and scanners never score: nothing to evaluate
              CASE WHEN t.classification IS NOT NULL AND t.classification <> 'human' THEN now() END
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::uuid[], $6::int[], $7::text[], $8::jsonb[], $9::text[], $10::text[], $11::text[])
         AS t(id, lead_id, type, occurred_at, send_id, link_index, classification, properties, idempotency_key, ip, user_agent)
       LEFT JOIN email_sends s ON s.id = t.send_id
       ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING id, lead_id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.leadId ?? null),
        rows.map((r) => r.type),
        rows.map((r) => r.occurredAt),
        rows.map((r) => r.sendId ?? null),
        rows.map((r) => r.linkIndex ?? null),
        rows.map((r) => r.classification ?? null),
        rows.map((r) => (r.properties ? JSON.stringify(r.properties) : null)),
        rows.map((r) => r.idempotencyKey ?? null),
        rows.map((r) => r.ip ?? null),
        rows.map((r) => r.userAgent?.slice(0, 500) ?? null),
      ],
    );
  }

  async countBySend(sendId: string): Promise<{ type: string; classification: string | null; n: number }[]> {
    return this.tx.manager.query(
      `SELECT type, classification, count(*)::int AS n FROM activities WHERE send_id = $1 GROUP BY type, classification ORDER BY type, classification`,
      [sendId],
    );
  }
}
