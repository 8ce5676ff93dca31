import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';

export interface TimelineEntry {
  at: string;
  kind: 'activity' | 'score' | 'transition' | 'email';
  type: string;
  detail: Record<string, unknown>;
}

/** Read side of a lead's story: ledger, transitions and a merged timeline. */
@Injectable()
export class LeadInsightRepository {
  constructor(private readonly tx: TransactionService) {}

  ledger(leadId: string, limit: number) {
    return this.tx.manager.query<
      { dimension: string; rule_id: string | null; activity_id: string | null; points: string; before: string; after: string; cause: string; reason: string; occurred_at: Date; model_version: string | null }[]
    >(
      `SELECT dimension, rule_id, activity_id, points, before, after, cause, reason, occurred_at, model_version
       FROM score_changes WHERE lead_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2`,
      [leadId, limit],
    );
  }

  transitions(leadId: string, limit: number) {
    return this.tx.manager.query<{ kind: string; from_value: string | null; to_value: string | null; cause: string; detail: Record<string, unknown>; created_at: Date }[]>(
      `SELECT kind, from_value, to_value, cause, detail, created_at FROM lead_transitions WHERE lead_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [leadId, limit],
    );
  }

  async signals(leadId: string): Promise<string[] | undefined> {
    const [row] = await this.tx.manager.query<{ signals: string[] | null }[]>(`SELECT scoring_state->'signals' AS signals FROM leads WHERE id = $1`, [leadId]);
    return row?.signals ?? undefined;
  }

  /** Newest first; `before` pages back in time. Each source is index-driven on (lead_id, time). */
  async timeline(leadId: string, limit: number, before: Date): Promise<TimelineEntry[]> {
    const rows = await this.tx.manager.query<{ at: Date; kind: TimelineEntry['kind']; type: string; detail: Record<string, unknown> }[]>(
      `(SELECT occurred_at AS at, 'activity' AS kind, type, jsonb_build_object('id', id, 'properties', properties, 'classification', classification, 'sendId', send_id) AS detail
          FROM activities WHERE lead_id = $1 AND occurred_at < $3 ORDER BY occurred_at DESC LIMIT $2)
       UNION ALL
       (SELECT occurred_at, 'score', dimension, jsonb_build_object('rule', rule_id, 'points', points, 'before', before, 'after', after, 'cause', cause, 'reason', reason)
          FROM score_changes WHERE lead_id = $1 AND occurred_at < $3 ORDER BY occurred_at DESC LIMIT $2)
       UNION ALL
       (SELECT created_at, 'transition', kind, jsonb_build_object('from', from_value, 'to', to_value, 'cause', cause, 'detail', detail)
          FROM lead_transitions WHERE lead_id = $1 AND created_at < $3 ORDER BY created_at DESC LIMIT $2)
       UNION ALL
       (SELECT queued_at, 'email', status, jsonb_build_object('sendId', id, 'template', template, 'subject', subject, 'sentAt', sent_at)
          FROM email_sends WHERE lead_id = $1 AND queued_at < $3 ORDER BY queued_at DESC LIMIT $2)
       ORDER BY at DESC LIMIT $2`,
      [leadId, limit, before],
    );
    return rows.map((r) => ({ at: r.at.toISOString(), kind: r.kind, type: r.type, detail: r.detail }));
  }
}
