import { Injectable } from '@nestjs/common';
import { uuidv7 } from '../common/ids';
import { TransactionService } from '../database/transaction.service';
import { Grade } from '../grading/grade.rules';
import { LeadProfileRow, leadProfile } from '../leads/lead-profile';
import { LedgerEntry, RuleStat, ScorableEvent } from '../scoring/scoring.rules';
import { LeadSnapshot, Transition } from './lead-evaluation.rules';
import { Stage, Temperature } from './lifecycle.rules';

interface LeadRow extends LeadProfileRow {
  id: string;
  scores: Record<string, number>;
  grade: Grade | null;
  persona: string | null;
  stage: Stage;
  temperature: Temperature;
  temperature_since: Date;
  scoring_state: { ruleStats?: Record<string, RuleStat>; signals?: string[] };
  last_activity_at: Date | null;
  decayed_at: Date | null;
  needs_evaluation: boolean;
  evaluated_at: Date | null;
  erased_at: Date | null;
}

export interface LockedLead {
  id: string;
  erased: boolean;
  /** never evaluated before: new to the engine */
  fresh: boolean;
  needsEvaluation: boolean;
  snapshot: LeadSnapshot;
}

const toSnapshot = (r: LeadRow): LeadSnapshot => ({
  profile: leadProfile(r),

  scores: r.scores,
  grade: r.grade,
  persona: r.persona,
  stage: r.stage,
  temperature: r.temperature,
  temperatureSince: r.temperature_since,
  ruleStats: r.scoring_state.ruleStats ?? {},
  signals: r.scoring_state.signals ?? [],
  lastActivityAt: r.last_activity_at,
  decayedAt: r.decayed_at,
});

/** SQL of the per-lead orchestrator: the locked lead, its pending activities, and what evaluation writes. */
@Injectable()
export class LeadStateRepository {
  constructor(private readonly tx: TransactionService) {}

  /**
   * NO KEY UPDATE: evaluations of one lead still queue on each other (and on erasure's FOR
   * UPDATE), but inserts that only reference the lead (activities, ledger rows) pass instead of
   * waiting for the evaluation to commit.
   */
  async lock(leadId: string): Promise<LockedLead | undefined> {
    const [row] = await this.tx.manager.query<LeadRow[]>(`SELECT * FROM leads WHERE id = $1 FOR NO KEY UPDATE`, [leadId]);
    return row && { id: row.id, erased: row.erased_at !== null, fresh: row.evaluated_at === null, needsEvaluation: row.needs_evaluation, snapshot: toSnapshot(row) };
  }

  /** Leads due for decay, locked; leads another worker holds are skipped, not waited for. */
  async lockDecayDue(limit: number, olderThanMs: number): Promise<{ id: string; snapshot: LeadSnapshot }[]> {
    const rows = await this.tx.manager.query<LeadRow[]>(
      `SELECT * FROM leads WHERE erased_at IS NULL AND (score <> 0 OR temperature <> 'cold')
         AND (decayed_at IS NULL OR decayed_at < now() - make_interval(secs => $2::double precision / 1000))
       ORDER BY decayed_at NULLS FIRST LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit, olderThanMs],
    );
    return rows.map((r) => ({ id: r.id, snapshot: toSnapshot(r) }));
  }

  async pendingActivities(leadId: string, limit: number): Promise<ScorableEvent[]> {
    const rows = await this.tx.manager.query<{ id: string; type: string; occurred_at: Date; properties: Record<string, unknown>; classification: string | null }[]>(
      `SELECT id, type, occurred_at, properties, classification FROM activities
       WHERE lead_id = $1 AND evaluated_at IS NULL ORDER BY occurred_at, id LIMIT $2`,
      [leadId, limit],
    );
    return rows.map((r) => ({ id: r.id, type: r.type, occurredAt: r.occurred_at, properties: r.properties, classification: r.classification }));
  }

  async markEvaluated(ids: string[]): Promise<void> {
    if (ids.length) await this.tx.manager.query(`UPDATE activities SET evaluated_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async save(leadId: string, s: Omit<LeadSnapshot, 'profile'>): Promise<void> {
    const p = params([leadId]);
    await this.tx.manager.query(saveSql(p, s), p.values);
  }

  async insertLedger(leadId: string, entries: LedgerEntry[], modelVersion: string, cause?: 'rescore' | 'return'): Promise<void> {
    if (!entries.length) return;
    const p = params([leadId]);
    await this.tx.manager.query(ledgerSql(p, entries, modelVersion, cause), p.values);
  }

  async insertTransitions(leadId: string, transitions: Transition[]): Promise<void> {
    if (!transitions.length) return;
    const p = params([leadId]);
    await this.tx.manager.query(transitionsSql(p, transitions), p.values);
  }

  /**
   * What one evaluation writes (save, insertLedger, insertTransitions and markEvaluated) as one
   * statement: a round trip costs more than these small writes, and the lead stays locked for
   * fewer of them. Data-modifying CTEs all run, once, on the same snapshot.
   */
  async applyEvaluation(leadId: string, e: { next: Omit<LeadSnapshot, 'profile'>; ledger: LedgerEntry[]; transitions: Transition[]; modelVersion: string; activityIds: string[] }): Promise<void> {
    const p = params([leadId]);
    const parts = [`saved AS (${saveSql(p, e.next)})`];
    if (e.ledger.length) parts.push(`ledger AS (${ledgerSql(p, e.ledger, e.modelVersion)})`);
    if (e.transitions.length) parts.push(`transitions AS (${transitionsSql(p, e.transitions)})`);
    if (e.activityIds.length) parts.push(`marked AS (UPDATE activities SET evaluated_at = now() WHERE id = ANY($${p.add(e.activityIds)}::uuid[]))`);
    await this.tx.manager.query(`WITH ${parts.join(',\n')}\nSELECT 1`, p.values);
  }

  /** Leads with work waiting: activities not yet evaluated, or a changed profile. */
  async pendingLeadIds(limit: number, minAgeMs: number): Promise<string[]> {
    const rows = await this.tx.manager.query<{ lead_id: string }[]>(
      `(SELECT DISTINCT lead_id FROM activities WHERE evaluated_at IS NULL AND lead_id IS NOT NULL
          AND received_at < now() - make_interval(secs => $2::double precision / 1000) LIMIT $1)
       UNION
       (SELECT id FROM leads WHERE needs_evaluation AND erased_at IS NULL
          AND updated_at < now() - make_interval(secs => $2::double precision / 1000) LIMIT $1)`,
      [limit, minAgeMs],
    );
    return rows.map((r) => r.lead_id);
  }
}

// ---- statements shared by the single writes and applyEvaluation; $1 is always the lead id ----

interface Params {
  values: unknown[];
  /** appends a value and returns its 1-based position */
  add(value: unknown): number;
}

function params(initial: unknown[]): Params {
  const values = [...initial];
  return { values, add: (v) => values.push(v) };
}

function saveSql(p: Params, s: Omit<LeadSnapshot, 'profile'>): string {
  const at = (v: unknown) => `$${p.add(v)}`;
  return `UPDATE leads SET score = ${at(s.scores.total ?? 0)}, scores = ${at(JSON.stringify(s.scores))}, grade = ${at(s.grade)}, persona = ${at(s.persona)},
      stage = ${at(s.stage)}, temperature = ${at(s.temperature)}, temperature_since = ${at(s.temperatureSince)},
      scoring_state = ${at(JSON.stringify({ ruleStats: s.ruleStats, signals: s.signals }))}, last_activity_at = ${at(s.lastActivityAt)},
      decayed_at = ${at(s.decayedAt)}, evaluated_at = now(), needs_evaluation = false
    WHERE id = $1::uuid`;
}

function ledgerSql(p: Params, entries: LedgerEntry[], modelVersion: string, cause?: 'rescore' | 'return'): string {
  const at = (v: unknown) => `$${p.add(v)}`;
  return `INSERT INTO score_changes (id, lead_id, dimension, rule_id, activity_id, points, before, after, cause, reason, model_version, occurred_at)
    SELECT unnest(${at(entries.map(() => uuidv7()))}::uuid[]), $1::uuid, unnest(${at(entries.map((e) => e.dimension))}::text[]),
      unnest(${at(entries.map((e) => e.ruleId))}::text[]), unnest(${at(entries.map((e) => e.activityId))}::uuid[]),
      unnest(${at(entries.map((e) => e.points))}::numeric[]), unnest(${at(entries.map((e) => e.before))}::numeric[]),
      unnest(${at(entries.map((e) => e.after))}::numeric[]), unnest(${at(entries.map((e) => cause ?? e.cause))}::text[]),
      unnest(${at(entries.map((e) => e.reason))}::text[]), ${at(modelVersion)}, unnest(${at(entries.map((e) => e.at))}::timestamptz[])`;
}

function transitionsSql(p: Params, transitions: Transition[]): string {
  const at = (v: unknown) => `$${p.add(v)}`;
  return `INSERT INTO lead_transitions (id, lead_id, kind, from_value, to_value, cause, detail)
    SELECT unnest(${at(transitions.map(() => uuidv7()))}::uuid[]), $1::uuid, unnest(${at(transitions.map((t) => t.kind))}::text[]),
      unnest(${at(transitions.map((t) => t.from))}::text[]), unnest(${at(transitions.map((t) => t.to))}::text[]),
      unnest(${at(transitions.map((t) => t.cause))}::text[]), unnest(${at(transitions.map((t) => JSON.stringify(t.detail)))}::jsonb[])`;
}
