import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';
import { GRADES } from '../grading/grade.rules';
import { LeadFilters } from './web.schemas';

export interface LeadListRow {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  job_title: string | null;
  country: string | null;
  score: number;
  grade: string | null;
  persona: string | null;
  stage: string;
  temperature: string;
  owner_id: string | null;
  owner_name: string | null;
  last_activity_at: Date | null;
  created_at: Date;
}

export interface QueueRow extends LeadListRow {
  assignment_id: string;
  status: 'pending' | 'accepted';
  assigned_at: Date;
  sla_due_at: Date | null;
  rule: string | null;
  phone: string | null;
  industry: string | null;
  company_size: number | null;
  timezone: string | null;
}

// grade sorts by its rank (A+ best), not alphabetically; whitelisted expressions only, never input
const GRADE_RANK = `array_position($GRADES::text[], l.grade)`;
const SORT_SQL: Record<LeadFilters['sort'], string> = {
  created: 'l.id',
  score: 'l.score',
  grade: GRADE_RANK,
  email: 'l.email',
  company: 'lower(l.company)',
  activity: 'l.last_activity_at',
};

/**
 * The web app's lead lists: the API's filters plus sorting by column and numbered pages
 * (the API pages by cursor, newest first). A rep's lists are limited to the rep's own leads here,
 * in SQL, whatever the page asks for.
 */
@Injectable()
export class WebLeadsRepository {
  constructor(private readonly tx: TransactionService) {}

  async list(f: LeadFilters, scope: { ownerId?: string }, pageSize: number): Promise<{ rows: LeadListRow[]; total: number }> {
    const where: string[] = ['l.erased_at IS NULL'];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      let i = 0;
      where.push(sql.replace(/\?/g, () => `$${params.push(values[i++])}`));
    };
    if (scope.ownerId) add('l.owner_id = ?', scope.ownerId);
    if (f.temperature) add('l.temperature = ?', f.temperature);
    if (f.stage) add('l.stage = ?', f.stage);
    if (f.grade) add('l.grade = ?', f.grade);
    if (f.persona) add('l.persona = ?', f.persona);
    if (f.owner === 'none') where.push('l.owner_id IS NULL');
    else if (f.owner) add('l.owner_id = ?', f.owner);
    if (f.minScore !== undefined) add('l.score >= ?', f.minScore);
    if (f.maxScore !== undefined) add('l.score <= ?', f.maxScore);
    if (f.q) {
      const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      add(`(l.email ILIKE ? OR l.company ILIKE ? OR (coalesce(l.first_name, '') || ' ' || coalesce(l.last_name, '')) ILIKE ?)`, like, like, like);
    }
    const whereSql = where.join(' AND ');
    const [{ n }] = await this.tx.manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM leads l WHERE ${whereSql}`, params);
    let order: string = SORT_SQL[f.sort];
    // an unused parameter has no type Postgres could infer, so the grades go in only when sorting by them
    if (order.includes('$GRADES')) order = order.replace('$GRADES', `$${params.push([...GRADES])}`);
    const dir = f.dir === 'asc' ? 'ASC' : 'DESC';
    params.push(pageSize, (f.page - 1) * pageSize);
    const rows = await this.tx.manager.query<LeadListRow[]>(
      `SELECT l.id, l.email, l.first_name, l.last_name, l.company, l.job_title, l.country, l.score::float8 AS score, l.grade, l.persona,
              l.stage, l.temperature, l.owner_id, r.name AS owner_name, l.last_activity_at, l.created_at
       FROM leads l LEFT JOIN reps r ON r.id = l.owner_id
       WHERE ${whereSql}
       ORDER BY ${order} ${dir} NULLS LAST, l.id DESC
       LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return { rows, total: n };
  }

  /** The rep's open leads, oldest hand-off first: what to call about before the SLA runs out. */
  queue(repId: string): Promise<QueueRow[]> {
    return this.tx.manager.query<QueueRow[]>(
      `SELECT l.id, l.email, l.first_name, l.last_name, l.company, l.job_title, l.country, l.score::float8 AS score, l.grade, l.persona,
              l.stage, l.temperature, l.owner_id, NULL AS owner_name, l.last_activity_at, l.created_at,
              l.industry, l.company_size, l.timezone, l.attributes->>'phone' AS phone,
              a.id AS assignment_id, a.status, a.created_at AS assigned_at, a.sla_due_at, a.rule
       FROM assignments a JOIN leads l ON l.id = a.lead_id
       WHERE a.rep_id = $1 AND a.status IN ('pending', 'accepted') AND l.erased_at IS NULL
       ORDER BY a.status = 'accepted', a.created_at`,
      [repId],
    );
  }

  /** The open assignment `id` if it belongs to this rep; a rep can act on no other. */
  async openAssignmentOf(id: string, repId: string): Promise<boolean> {
    const rows = await this.tx.manager.query<unknown[]>(`SELECT 1 FROM assignments WHERE id = $1 AND rep_id = $2 AND status IN ('pending', 'accepted')`, [id, repId]);
    return rows.length > 0;
  }

  /** Every hand-off of one lead, newest first, with the rep's name. */
  assignments(leadId: string) {
    return this.tx.manager.query<
      { id: string; status: string; cause: string; rule: string | null; rep_name: string | null; reason: string | null; note: string | null; created_at: Date; accepted_at: Date | null; closed_at: Date | null; sla_due_at: Date | null }[]
    >(
      `SELECT a.id, a.status, a.cause, a.rule, r.name AS rep_name, a.reason, a.note, a.created_at, a.accepted_at, a.closed_at, a.sla_due_at
       FROM assignments a LEFT JOIN reps r ON r.id = a.rep_id WHERE a.lead_id = $1 ORDER BY a.created_at DESC, a.id DESC`,
      [leadId],
    );
  }

  reps(): Promise<{ id: string; name: string }[]> {
    return this.tx.manager.query(`SELECT id, name FROM reps ORDER BY name`);
  }

  /** Subjects and templates of sends, to say what an email in the timeline was. */
  sends(ids: string[]): Promise<{ id: string; template: string; subject: string | null; status: string }[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.tx.manager.query(`SELECT id, template, subject, status FROM email_sends WHERE id = ANY($1::uuid[])`, [ids]);
  }
}
