import { Injectable } from '@nestjs/common';
import { uuidv7 } from '../common/ids';
import { GRADES } from '../grading/grade.rules';
import { TransactionService } from '../database/transaction.service';
import { Lead } from './lead.entity';
import { ListLeadsQuery, PatchLeadInput, UpsertLeadInput } from './lead.schemas';

/** Columns a client may write, camelCase field → SQL column and array type for unnest(). */
const WRITABLE = {
  firstName: ['first_name', 'text'],
  lastName: ['last_name', 'text'],
  company: ['company', 'text'],
  jobTitle: ['job_title', 'text'],
  industry: ['industry', 'text'],
  companySize: ['company_size', 'integer'],
  country: ['country', 'text'],
  timezone: ['timezone', 'text'],
  locale: ['locale', 'text'],
  source: ['source', 'text'],
  consent: ['consent', 'boolean'],
} as const;
type WritableField = keyof typeof WRITABLE;
const FIELDS = Object.keys(WRITABLE) as WritableField[];

export interface UpsertOutcome {
  created: number;
  updated: number;
  /** ids and whether created, for rows inserted or changed */
  rows: { id: string; email: string; created: boolean }[];
}

const cols = FIELDS.map((f) => WRITABLE[f][0]);
// Absent (NULL) input keeps the stored value; attributes merge key by key. The WHERE makes an
// identical re-import a no-op: no write, no new updated_at.
const UPSERT_SQL = `
  INSERT INTO leads AS l (id, email, ${cols.join(', ')}, attributes, created_at, updated_at)
  SELECT t.id, t.email, ${cols.map((c) => `t.${c}`).join(', ')}, COALESCE(t.attributes, '{}'::jsonb), now(), now()
  FROM unnest($1::uuid[], $2::text[], ${FIELDS.map((f, i) => `$${i + 3}::${WRITABLE[f][1]}[]`).join(', ')}, $${FIELDS.length + 3}::jsonb[])
    AS t(id, email, ${cols.join(', ')}, attributes)
  ON CONFLICT (email) DO UPDATE SET
    ${cols.map((c) => `${c} = COALESCE(EXCLUDED.${c}, l.${c})`).join(',\n    ')},
    attributes = l.attributes || EXCLUDED.attributes,
    updated_at = now(),
    needs_evaluation = true
  WHERE l.erased_at IS NULL AND (${cols.map((c) => `l.${c}`).join(', ')}, l.attributes)
    IS DISTINCT FROM (${cols.map((c) => `COALESCE(EXCLUDED.${c}, l.${c})`).join(', ')}, l.attributes || EXCLUDED.attributes)
  RETURNING l.id, l.email, (xmax = 0) AS created`;

@Injectable()
export class LeadsRepository {
  constructor(private readonly tx: TransactionService) {}

  private get repo() {
    return this.tx.manager.getRepository(Lead);
  }

  /** Inserts or merges many leads in one statement. Emails must be unique within the batch. */
  async upsertMany(leads: UpsertLeadInput[]): Promise<UpsertOutcome> {
    if (leads.length === 0) return { created: 0, updated: 0, rows: [] };
    const params: unknown[] = [leads.map(() => uuidv7()), leads.map((l) => l.email)];
    for (const f of FIELDS) params.push(leads.map((l) => l[f] ?? null));
    params.push(leads.map((l) => (l.attributes ? JSON.stringify(l.attributes) : null)));
    const rows = await this.tx.manager.query<{ id: string; email: string; created: boolean }[]>(UPSERT_SQL, params);
    const created = rows.filter((r) => r.created).length;
    return { created, updated: rows.length - created, rows };
  }

  findById(id: string): Promise<Lead | null> {
    return this.repo.createQueryBuilder('l').where('l.id = :id AND l.erased_at IS NULL', { id }).getOne();
  }

  findByEmail(email: string): Promise<Lead | null> {
    return this.repo.createQueryBuilder('l').where('l.email = :email AND l.erased_at IS NULL', { email }).getOne();
  }

  /** Newest first; the cursor is the last id of the previous page (ids are time-ordered). */
  list(query: ListLeadsQuery): Promise<Lead[]> {
    const qb = this.repo.createQueryBuilder('l').where('l.erased_at IS NULL');
    if (query.email) qb.andWhere('l.email = :email', { email: query.email });
    if (query.source) qb.andWhere('l.source = :source', { source: query.source });
    if (query.createdAfter) qb.andWhere('l.created_at > :createdAfter', { createdAfter: new Date(query.createdAfter) });
    if (query.cursor) qb.andWhere('l.id < :cursor', { cursor: query.cursor });
    if (query.stage) qb.andWhere('l.stage = :stage', { stage: query.stage });
    if (query.temperature) qb.andWhere('l.temperature = :temperature', { temperature: query.temperature });
    if (query.grade) qb.andWhere('l.grade = :grade', { grade: query.grade });
    if (query.minGrade) qb.andWhere('l.grade = ANY(:grades)', { grades: GRADES.slice(GRADES.indexOf(query.minGrade)) });
    if (query.persona) qb.andWhere('l.persona = :persona', { persona: query.persona });
    if (query.ownerId === 'none') qb.andWhere('l.owner_id IS NULL');
    else if (query.ownerId) qb.andWhere('l.owner_id = :ownerId', { ownerId: query.ownerId });
    if (query.minScore !== undefined) qb.andWhere('l.score >= :minScore', { minScore: query.minScore });
    if (query.maxScore !== undefined) qb.andWhere('l.score <= :maxScore', { maxScore: query.maxScore });
    if (query.q) {
      const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      qb.andWhere(
        "(l.email ILIKE :like OR l.company ILIKE :like OR (coalesce(l.first_name, '') || ' ' || coalesce(l.last_name, '')) ILIKE :like)",
        { like },
      );
    }
    return qb.orderBy('l.id', 'DESC').limit(query.limit).getMany();
  }

  /** Applies a partial update; returns null when the lead does not exist. */
  async patch(id: string, patch: PatchLeadInput): Promise<Lead | null> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      sets.push(sql.replace('?', `$${params.length}`));
    };
    if (patch.email !== undefined) add('email = ?', patch.email);
    for (const f of FIELDS) if (patch[f] !== undefined) add(`${WRITABLE[f][0]} = ?`, patch[f]);
    // JSON merge-patch: keys set to null are removed
    if (patch.attributes !== undefined) add('attributes = jsonb_strip_nulls(attributes || ?::jsonb)', JSON.stringify(patch.attributes));
    const rows = await this.tx.manager.query<[{ id: string }[], number]>(
      `UPDATE leads SET ${[...sets, 'updated_at = now()', 'needs_evaluation = true'].join(', ')} WHERE id = $1 AND erased_at IS NULL RETURNING id`,
      params,
    );
    return rows[1] === 0 ? null : this.findById(id);
  }

  /**
   * A workflow `update` step: a profile field, an attribute (`attributes.<key>`) or a tag
   * (kept in attributes.tags). Returns false for a field a workflow may not write.
   */
  async applyUpdate(id: string, u: { field?: string; value?: unknown; tag?: string }): Promise<boolean> {
    if (u.tag) {
      await this.tx.manager.query(
        `UPDATE leads SET attributes = jsonb_set(attributes, '{tags}', (SELECT to_jsonb(array(SELECT DISTINCT t FROM jsonb_array_elements_text(COALESCE(attributes->'tags', '[]'::jsonb) || to_jsonb($2::text)) t ORDER BY t)))),
           updated_at = now(), needs_evaluation = true WHERE id = $1`,
        [id, u.tag],
      );
      return true;
    }
    if (!u.field) return false;
    if (u.field.startsWith('attributes.')) {
      const path = u.field.slice('attributes.'.length).split('.');
      await this.tx.manager.query(`UPDATE leads SET attributes = jsonb_set(attributes, $2::text[], $3::jsonb, true), updated_at = now(), needs_evaluation = true WHERE id = $1`, [
        id,
        path,
        JSON.stringify(u.value ?? null),
      ]);
      return true;
    }
    const column = (WRITABLE as Record<string, readonly [string, string]>)[u.field]?.[0];
    if (!column) return false;
    await this.tx.manager.query(`UPDATE leads SET ${column} = $2, updated_at = now(), needs_evaluation = true WHERE id = $1`, [id, u.value ?? null]);
    return true;
  }

  /** Includes erased leads: delivery must know a lead was erased to suppress its sends. */
  findAnyById(id: string): Promise<Lead | null> {
    return this.repo.findOneBy({ id });
  }

  /** Sets unsubscribed_at once; returns the address and whether it was already unsubscribed. */
  async markUnsubscribed(id: string): Promise<{ email: string; already: boolean } | undefined> {
    const [rows] = await this.tx.manager.query<[{ email: string; already: boolean }[], number]>(
      `WITH before AS (SELECT id, unsubscribed_at IS NOT NULL AS already FROM leads WHERE id = $1 AND erased_at IS NULL FOR UPDATE)
       UPDATE leads l SET unsubscribed_at = COALESCE(l.unsubscribed_at, now()), updated_at = now()
       FROM before WHERE l.id = before.id RETURNING l.email, before.already`,
      [id],
    );
    return rows[0] ? { email: rows[0].email, already: rows[0].already } : undefined;
  }

  async lockForErase(id: string): Promise<{ id: string; email: string } | undefined> {
    const rows = await this.tx.manager.query<{ id: string; email: string }[]>(
      `SELECT id, email FROM leads WHERE id = $1 AND erased_at IS NULL FOR UPDATE`,
      [id],
    );
    return rows[0];
  }

  /** Removes everything that identifies the person; keeps what aggregates and reports count on. */
  async anonymise(id: string): Promise<Date> {
    const rows = await this.tx.manager.query<[{ erased_at: Date }[], number]>(
      `UPDATE leads SET email = 'erased-' || id || '@erased.invalid', first_name = NULL, last_name = NULL, job_title = NULL,
         company = NULL, timezone = NULL, locale = NULL, attributes = '{}'::jsonb, consent = false,
         erased_at = now(), updated_at = now()
       WHERE id = $1 RETURNING erased_at`,
      [id],
    );
    // network details of past opens and clicks identify a person too
    await this.tx.manager.query(`UPDATE activities SET ip = NULL, user_agent = NULL WHERE lead_id = $1`, [id]);
    return rows[0][0].erased_at;
  }
}
