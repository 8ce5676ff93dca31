import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';

export interface DayCount {
  day: string;
  key: string;
  n: number;
}

const DAY = `to_char(date_trunc('day', %s AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`;
const day = (col: string) => DAY.replace('%s', col);

/** Counts for the dashboard: where leads are now, and what email and temperature did per day. */
@Injectable()
export class DashboardRepository {
  constructor(private readonly tx: TransactionService) {}

  /** Leads per stage and per temperature (erased leads are not leads any more). */
  async distribution(): Promise<{ dimension: 'stage' | 'temperature'; value: string; n: number }[]> {
    return this.tx.manager.query(
      `SELECT 'stage' AS dimension, stage AS value, count(*)::int AS n FROM leads WHERE erased_at IS NULL GROUP BY stage
       UNION ALL
       SELECT 'temperature', temperature, count(*)::int FROM leads WHERE erased_at IS NULL GROUP BY temperature`,
    );
  }

  /**
   * Per UTC day since `since`: sends to leads the server accepted (sent; rep notifications are
   * not lead email), of those not bounced
   * (delivered), sends opened by a person and sends only machines opened (privacy proxies,
   * scanners), sends clicked by a person, unsubscribes and bounces.
   */
  async emailDays(since: Date): Promise<DayCount[]> {
    return this.tx.manager.query(
      `SELECT ${day('sent_at')} AS day, 'sent' AS key, count(*)::int AS n FROM email_sends WHERE sent_at >= $1 AND category <> 'internal' GROUP BY 1
       UNION ALL
       SELECT ${day('sent_at')}, 'delivered', count(*)::int FROM email_sends WHERE sent_at >= $1 AND category <> 'internal' AND status = 'sent' GROUP BY 1
       UNION ALL
       SELECT day, CASE WHEN human THEN 'openedHuman' ELSE 'openedMachine' END, count(*)::int FROM (
         SELECT ${day('min(occurred_at)')} AS day, bool_or(classification = 'human') AS human
         FROM activities WHERE type = 'email.opened' AND occurred_at >= $1 AND send_id IS NOT NULL GROUP BY send_id
       ) opens GROUP BY 1, 2
       UNION ALL
       SELECT day, 'clicked', count(*)::int FROM (
         SELECT ${day('min(occurred_at)')} AS day FROM activities
         WHERE type = 'email.clicked' AND classification = 'human' AND occurred_at >= $1 AND send_id IS NOT NULL GROUP BY send_id
       ) clicks GROUP BY 1
       UNION ALL
       SELECT ${day('occurred_at')}, CASE type WHEN 'email.unsubscribed' THEN 'unsubscribed' ELSE 'bounced' END, count(*)::int
       FROM activities WHERE type IN ('email.unsubscribed', 'email.bounced') AND occurred_at >= $1 GROUP BY 1, 2`,
      [since],
    );
  }

  /** Temperature changes per UTC day since `since`, keyed by the temperature entered. */
  async temperatureDays(since: Date): Promise<DayCount[]> {
    return this.tx.manager.query(
      `SELECT ${day('created_at')} AS day, to_value AS key, count(*)::int AS n
       FROM lead_transitions WHERE kind = 'temperature' AND created_at >= $1 AND to_value IS NOT NULL GROUP BY 1, 2`,
      [since],
    );
  }

  /** Temperature changes since `since` by direction (cold → warm, hot → warm, …). */
  async temperatureMoves(since: Date): Promise<{ from: string | null; to: string; n: number }[]> {
    return this.tx.manager.query(
      `SELECT from_value AS "from", to_value AS "to", count(*)::int AS n
       FROM lead_transitions WHERE kind = 'temperature' AND created_at >= $1 AND to_value IS NOT NULL
       GROUP BY 1, 2 ORDER BY n DESC`,
      [since],
    );
  }
}
