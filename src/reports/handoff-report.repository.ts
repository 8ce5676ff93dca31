import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';

export type Period = 'day' | 'week' | 'month';
export type GroupBy = 'none' | 'rule' | 'rep' | 'source' | 'persona';

/** Fixed SQL per grouping: nothing from the request is ever written into the statement. */
const GROUP_SQL: Record<GroupBy, string> = {
  none: `'all'`,
  rule: `coalesce(h.rule, '(none)')`,
  rep: `coalesce(r.key, '(unassigned)')`,
  source: `coalesce(h.source, '(unknown)')`,
  persona: `coalesce(h.persona, '(none)')`,
};

export interface HandoffRow {
  period: Date;
  key: string;
  sales_ready: number;
  handoffs: number;
  assigned: number;
  accepted: number;
  returned: number;
  returned_not_ready: number;
  returned_bad_fit: number;
  returned_no_contact: number;
  returned_duplicate: number;
  returned_other: number;
  converted: number;
  disqualified: number;
  queued: number;
  pending: number;
  reassigned: number;
  median_accept_s: number | null;
}

@Injectable()
export class HandoffReportRepository {
  constructor(private readonly tx: TransactionService) {}

  /**
   * One row per hand-off (a lead handed to sales once, however often it was reassigned): the
   * rule and the lead as they were at the start, the rep and outcome as they are now.
   */
  rows(from: Date, to: Date, period: Period, by: GroupBy): Promise<HandoffRow[]> {
    return this.tx.manager.query(
      `WITH h AS (
         SELECT a.handoff_id,
                min(a.created_at) AS started_at,
                (array_agg(a.rule ORDER BY a.created_at))[1] AS rule,
                (array_agg(a.cause ORDER BY a.created_at))[1] AS cause,
                (array_agg(a.lead_source ORDER BY a.created_at))[1] AS source,
                (array_agg(a.lead_persona ORDER BY a.created_at))[1] AS persona,
                (array_agg(a.rep_id ORDER BY a.created_at DESC))[1] AS rep_id,
                (array_agg(a.status ORDER BY a.created_at DESC))[1] AS status,
                (array_agg(a.reason ORDER BY a.created_at DESC))[1] AS reason,
                bool_or(a.rep_id IS NOT NULL) AS assigned,
                bool_or(a.status = 'reassigned') AS reassigned,
                min(a.accepted_at) AS accepted_at
         FROM assignments a
         WHERE a.handoff_id IN (SELECT id FROM assignments WHERE previous_id IS NULL AND created_at >= $1 AND created_at < $2)
         GROUP BY a.handoff_id)
       SELECT date_trunc($3, h.started_at) AS period, ${GROUP_SQL[by]} AS key,
              count(*) FILTER (WHERE h.cause = 'sales-ready')::int AS sales_ready,
              count(*)::int AS handoffs,
              count(*) FILTER (WHERE h.assigned)::int AS assigned,
              count(*) FILTER (WHERE h.accepted_at IS NOT NULL)::int AS accepted,
              count(*) FILTER (WHERE h.status = 'returned')::int AS returned,
              count(*) FILTER (WHERE h.status = 'returned' AND h.reason = 'not-ready')::int AS returned_not_ready,
              count(*) FILTER (WHERE h.status = 'returned' AND h.reason = 'bad-fit')::int AS returned_bad_fit,
              count(*) FILTER (WHERE h.status = 'returned' AND h.reason = 'no-contact')::int AS returned_no_contact,
              count(*) FILTER (WHERE h.status = 'returned' AND h.reason = 'duplicate')::int AS returned_duplicate,
              count(*) FILTER (WHERE h.status = 'returned' AND h.reason = 'other')::int AS returned_other,
              count(*) FILTER (WHERE h.status = 'converted')::int AS converted,
              count(*) FILTER (WHERE h.status = 'disqualified')::int AS disqualified,
              count(*) FILTER (WHERE h.status = 'queued')::int AS queued,
              count(*) FILTER (WHERE h.status = 'pending')::int AS pending,
              count(*) FILTER (WHERE h.reassigned)::int AS reassigned,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM h.accepted_at - h.started_at)) FILTER (WHERE h.accepted_at IS NOT NULL) AS median_accept_s
       FROM h LEFT JOIN reps r ON r.id = h.rep_id
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [from, to, period],
    );
  }
}
