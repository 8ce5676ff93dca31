import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
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

/** An open or a click recorded by the tracking endpoints. */
export type NewHit = Omit<NewActivity, 'idempotencyKey' | 'sendId' | 'classification'> & { sendId: string; classification: HitClass };

type InsertedHit = { id: string; lead_id: string | null };

const INSERT_HITS = 'activities_insert_hits';
const INSERT_HITS_SQL = `INSERT INTO activities (id, lead_id, type, occurred_at, send_id, link_index, classification, properties, ip, user_agent, evaluated_at)
  SELECT t.id, COALESCE(t.lead_id, s.lead_id), t.type, t.occurred_at, t.send_id, t.link_index, t.classification,
         COALESCE(t.properties, '{}'::jsonb), t.ip, t.user_agent,
         -- proxies and scanners never score: nothing to evaluate
         CASE WHEN t.classification <> 'human' THEN now() END
  FROM json_to_recordset($1::json)
    AS t(id uuid, lead_id uuid, type text, occurred_at timestamptz, send_id uuid, link_index int, classification text, properties jsonb, ip text, user_agent text)
  LEFT JOIN email_sends s ON s.id = t.send_id AND t.lead_id IS NULL
  RETURNING id, lead_id`;

const DUPLICATE_PREPARED_STATEMENT = '42P05';
const UNKNOWN_PREPARED_STATEMENT = '26000';

@Injectable()
export class ActivitiesRepository {
  /** false once the database turned out not to keep named statements per connection */
  private prepareHits = true;

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

  /**
   * Tracking hits, many per statement. A hit carries no idempotency key (each open or click is a
   * new fact), so there is no conflict to resolve, and the rows travel as one JSON array: one
   * JSON.stringify instead of eleven parameter arrays escaped value by value. A hit that knows
   * only its send gets the send's lead. Returns the rows inserted with their lead.
   *
   * Outside a transaction the statement is a named (prepared) one on the pooled connection:
   * parsing and planning it costs Postgres about as much as inserting a dozen rows, and the
   * tracking endpoints run it hundreds of times a second.
   */
  async insertHits(rows: NewHit[]): Promise<InsertedHit[]> {
    if (rows.length === 0) return [];
    const json = JSON.stringify(
      rows.map((r) => ({
        id: r.id,
        lead_id: r.leadId ?? null,
        type: r.type,
        occurred_at: r.occurredAt,
        send_id: r.sendId,
        link_index: r.linkIndex ?? null,
        classification: r.classification,
        properties: r.properties ?? null,
        ip: r.ip ?? null,
        user_agent: r.userAgent?.slice(0, 500) ?? null,
      })),
    );
    if (this.tx.inTransaction || !this.prepareHits) return this.tx.manager.query<InsertedHit[]>(INSERT_HITS_SQL, [json]);
    try {
      return await this.insertHitsPrepared(json);
    } catch (e) {
      // Sessions shared between pooled connections (embedded PGlite, a transaction-mode
      // PgBouncer) cannot keep a named statement per connection. The statement failed before it
      // ran, so it runs again unnamed, and from now on always so.
      const code = (e as { code?: string }).code;
      if (code !== DUPLICATE_PREPARED_STATEMENT && code !== UNKNOWN_PREPARED_STATEMENT) throw e;
      this.prepareHits = false;
      return this.tx.manager.query<InsertedHit[]>(INSERT_HITS_SQL, [json]);
    }
  }

  private async insertHitsPrepared(json: string): Promise<InsertedHit[]> {
    const runner = this.tx.manager.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      return (await client.query<InsertedHit>({ name: INSERT_HITS, text: INSERT_HITS_SQL, values: [json] })).rows;
    } finally {
      await runner.release();
    }
  }

  async countBySend(sendId: string): Promise<{ type: string; classification: string | null; n: number }[]> {
    return this.tx.manager.query(
      `SELECT type, classification, count(*)::int AS n FROM activities WHERE send_id = $1 GROUP BY type, classification ORDER BY type, classification`,
      [sendId],
    );
  }
}
