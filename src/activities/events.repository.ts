import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';

export interface NewEvent {
  id: string;
  leadId: string | null;
  visitorId: string | null;
  type: string;
  occurredAt: Date;
  properties: Record<string, unknown>;
  idempotencyKey: string | null;
}

/** SQL for behaviour events and anonymous visitors. */
@Injectable()
export class EventsRepository {
  constructor(private readonly tx: TransactionService) {}

  /** Inserts; a repeated idempotency key is skipped. Returns the rows actually stored. */
  async insertMany(events: NewEvent[]): Promise<{ id: string; lead_id: string | null }[]> {
    if (!events.length) return [];
    return this.tx.manager.query(
      `INSERT INTO activities (id, lead_id, visitor_id, type, occurred_at, properties, idempotency_key)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[], $7::text[])
       ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING id, lead_id`,
      [
        events.map((e) => e.id),
        events.map((e) => e.leadId),
        events.map((e) => e.visitorId),
        events.map((e) => e.type),
        events.map((e) => e.occurredAt),
        events.map((e) => JSON.stringify(e.properties)),
        events.map((e) => e.idempotencyKey),
      ],
    );
  }

  /** Known (not erased) leads with one of `ids` or one of `emails`, in one round trip. */
  async findLeads(ids: string[], emails: string[]): Promise<{ ids: Set<string>; byEmail: Map<string, string> }> {
    if (!ids.length && !emails.length) return { ids: new Set(), byEmail: new Map() };
    const rows = await this.tx.manager.query<{ id: string; email: string }[]>(
      `SELECT id, email FROM leads WHERE (id = ANY($1::uuid[]) OR email = ANY($2::text[])) AND erased_at IS NULL`,
      [ids, emails],
    );
    return { ids: new Set(rows.map((r) => r.id)), byEmail: new Map(rows.map((r) => [r.email, r.id])) };
  }

  async leadIdsByEmail(emails: string[]): Promise<Map<string, string>> {
    if (!emails.length) return new Map();
    const rows = await this.tx.manager.query<{ id: string; email: string }[]>(`SELECT id, email FROM leads WHERE email = ANY($1::text[]) AND erased_at IS NULL`, [emails]);
    return new Map(rows.map((r) => [r.email, r.id]));
  }

  /** Visitors already tied to a lead. */
  async identifiedVisitors(visitorIds: string[]): Promise<Map<string, string>> {
    if (!visitorIds.length) return new Map();
    const rows = await this.tx.manager.query<{ visitor_id: string; lead_id: string }[]>(
      `SELECT visitor_id, lead_id FROM visitors WHERE visitor_id = ANY($1::text[]) AND lead_id IS NOT NULL`,
      [visitorIds],
    );
    return new Map(rows.map((r) => [r.visitor_id, r.lead_id]));
  }

  async rememberVisitors(visitorIds: string[]): Promise<void> {
    if (!visitorIds.length) return;
    await this.tx.manager.query(`INSERT INTO visitors (visitor_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, [visitorIds]);
  }

  /**
   * The visitor identified itself: tie it to the lead (first identification wins) and hand its
   * anonymous history to the lead, to be evaluated like new activity. Returns the lead the
   * visitor now belongs to.
   */
  async identify(visitorId: string, leadId: string): Promise<string> {
    const [row] = await this.tx.manager.query<{ lead_id: string }[]>(
      `INSERT INTO visitors (visitor_id, lead_id, identified_at) VALUES ($1, $2, now())
       ON CONFLICT (visitor_id) DO UPDATE SET lead_id = COALESCE(visitors.lead_id, EXCLUDED.lead_id),
         identified_at = COALESCE(visitors.identified_at, EXCLUDED.identified_at)
       RETURNING lead_id`,
      [visitorId, leadId],
    );
    await this.tx.manager.query(`UPDATE activities SET lead_id = $2, evaluated_at = NULL WHERE visitor_id = $1 AND lead_id IS NULL`, [visitorId, row.lead_id]);
    return row.lead_id;
  }
}
