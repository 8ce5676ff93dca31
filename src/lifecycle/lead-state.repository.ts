import { Injectable } from '@nestjs/common';
import { uuidv7 } from '../common/ids';
import { TransactionService } from '../database/transaction.service';
import { Grade } from '../grading/grade.rules';
import { LeadProfileRow, leadProfile } from '../leads/lead-profile';
import { LedgerEntry, RuleStat, ScorableEvent } from '../scoring/scoring.rules';
import { ClaimedLead, LeadWrite } from './evaluation-batch.rules';
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

export type LockedLead = ClaimedLead;

interface ActivityRow {
  id: string;
  lead_id: string;
  type: string;
  occurred_at: Date;
  properties: Record<string, unknown>;
  classification: string | null;
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

const toLocked = (row: LeadRow): LockedLead => ({
  id: row.id,
  erased: row.erased_at !== null,
  fresh: row.evaluated_at === null,
  needsEvaluation: row.needs_evaluation,
  snapshot: toSnapshot(row),
});

const toEvent = (r: ActivityRow): ScorableEvent => ({ id: r.id, type: r.type, occurredAt: r.occurred_at, properties: r.properties, classification: r.classification });

/** Has work: a changed profile to evaluate or activities to apply (or, erased, to retire). */
const HAS_WORK = `((l.needs_evaluation AND l.erased_at IS NULL) OR EXISTS (SELECT 1 FROM activities a WHERE a.lead_id = l.id AND a.evaluated_at IS NULL))`;
/** Another evaluator is still running the follow-ups of this lead's last change. */
const LEASED = `EXISTS (SELECT 1 FROM lead_follow_ups f WHERE f.lead_id = l.id AND f.until > now())`;
/**
 * How long an evaluator may take to run the follow-ups of a batch before others take its leads
 * again: also how long the leads of a process that died mid-way wait.
 */
const FOLLOW_UP_LEASE_MS = 30_000;

/** SQL of the lead orchestrator: locked leads, their pending activities, and what evaluation writes. */
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
    return row && toLocked(row);
  }

  /**
   * Locks up to `limit` leads that have work, skipping any another transaction holds or whose
   * follow-ups are still running: `preferred` first, then the leads of the `window` oldest
   * pending activities, then leads whose profile changed. Never waits, so batches cannot
   * deadlock whatever they hold. What is read here comes from before the locks and is only a
   * hint: `pendingOf`, run after, is what counts.
   */
  async claim(preferred: string[], limit: number, window: number): Promise<LockedLead[]> {
    const rows = await this.tx.manager.query<LeadRow[]>(
      `SELECT l.* FROM leads l
       JOIN (SELECT id, min(rank) AS rank FROM (
               SELECT l.id, 0 AS rank FROM leads l WHERE l.id = ANY($1::uuid[]) AND ${HAS_WORK}
               UNION ALL
               (SELECT lead_id, 1 FROM activities WHERE evaluated_at IS NULL AND lead_id IS NOT NULL ORDER BY received_at LIMIT $3)
               UNION ALL
               (SELECT id, 2 FROM leads WHERE needs_evaluation AND erased_at IS NULL ORDER BY updated_at LIMIT $2)
             ) candidates GROUP BY id) c ON c.id = l.id
       WHERE NOT ${LEASED}
       ORDER BY c.rank, l.id
       LIMIT $2
       FOR NO KEY UPDATE OF l SKIP LOCKED`,
      [preferred, limit, window],
    );
    return rows.map(toLocked);
  }

  /**
   * Locks those of `ids` that have work, waiting for the transactions that hold them. Locks are
   * taken in id order, and a caller must hold no lead lock yet: two such calls then cannot wait
   * on each other in a cycle.
   */
  async lockWithWork(ids: string[]): Promise<LockedLead[]> {
    if (!ids.length) return [];
    const rows = await this.tx.manager.query<LeadRow[]>(
      `SELECT l.* FROM leads l WHERE l.id = ANY($1::uuid[]) AND ${HAS_WORK} ORDER BY l.id FOR NO KEY UPDATE OF l`,
      [ids],
    );
    return rows.map(toLocked);
  }

  /** Leads due for decay, locked; leads another worker holds are skipped, not waited for. */
  async lockDecayDue(limit: number, olderThanMs: number): Promise<{ id: string; snapshot: LeadSnapshot }[]> {
    const rows = await this.tx.manager.query<LeadRow[]>(
      `SELECT * FROM leads l WHERE erased_at IS NULL AND (score <> 0 OR temperature <> 'cold')
         AND (decayed_at IS NULL OR decayed_at < now() - make_interval(secs => $2::double precision / 1000)) AND NOT ${LEASED}
       ORDER BY decayed_at NULLS FIRST LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit, olderThanMs],
    );
    return rows.map((r) => ({ id: r.id, snapshot: toSnapshot(r) }));
  }

  /**
   * The pending activities of each lead, oldest first, at most `perLead` each, and which of the
   * leads another evaluator's follow-ups still hold (those are left to it: it looks at them
   * again once done). Run after the leads are locked: a statement started before a lock was
   * granted could still see as pending activities the previous holder marked.
   */
  async pendingOf(leadIds: string[], perLead: number): Promise<{ pending: Map<string, ScorableEvent[]>; leased: Set<string> }> {
    const pending = new Map<string, ScorableEvent[]>();
    const leased = new Set<string>();
    if (!leadIds.length) return { pending, leased };
    const rows = await this.tx.manager.query<(ActivityRow & { leased: boolean })[]>(
      `WITH ids AS (SELECT unnest($1::uuid[]) AS id),
       leased AS (SELECT f.lead_id FROM lead_follow_ups f JOIN ids ON ids.id = f.lead_id WHERE f.until > now())
       SELECT NULL AS id, lead_id, NULL AS type, NULL AS occurred_at, NULL AS properties, NULL AS classification, true AS leased FROM leased
       UNION ALL
       SELECT a.id, a.lead_id, a.type, a.occurred_at, a.properties, a.classification, false
       FROM ids CROSS JOIN LATERAL (SELECT id, lead_id, type, occurred_at, properties, classification FROM activities
                                   WHERE lead_id = ids.id AND evaluated_at IS NULL ORDER BY occurred_at, id LIMIT $2) a
       WHERE ids.id NOT IN (SELECT lead_id FROM leased)`,
      [leadIds, perLead],
    );
    for (const r of rows) {
      if (r.leased) leased.add(r.lead_id);
      else {
        const list = pending.get(r.lead_id);
        if (list) list.push(toEvent(r));
        else pending.set(r.lead_id, [toEvent(r)]);
      }
    }
    return { pending, leased };
  }

  async markEvaluated(ids: string[]): Promise<void> {
    if (ids.length) await this.tx.manager.query(`UPDATE activities SET evaluated_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async save(leadId: string, s: Omit<LeadSnapshot, 'profile'>): Promise<void> {
    const p = params();
    await this.tx.manager.query(saveSql(p, [{ leadId, next: s }], true), p.values);
  }

  async insertLedger(leadId: string, entries: LedgerEntry[], modelVersion: string, cause?: 'rescore' | 'return'): Promise<void> {
    if (!entries.length) return;
    const p = params();
    await this.tx.manager.query(ledgerSql(p, entries.map((entry) => ({ leadId, entry })), modelVersion, cause), p.values);
  }

  async insertTransitions(leadId: string, transitions: Transition[]): Promise<void> {
    if (!transitions.length) return;
    const p = params();
    await this.tx.manager.query(transitionsSql(p, transitions.map((transition) => ({ leadId, transition }))), p.values);
  }

  /**
   * What a batch writes (lead states, ledger rows, transitions, evaluated marks) as one
   * statement, whatever the number of leads: round trips cost more than these writes, and the
   * leads stay locked for fewer of them. Data-modifying CTEs all run, once, on the same
   * snapshot. Lead states are a plain UPDATE of `leads`, so row triggers on it fire.
   * `evaluated: false` (decay) leaves a changed profile waiting for its evaluation. The leads in
   * `followUps.leadIds` are leased to the caller until it calls `releaseFollowUps`.
   */
  async applyBatch(b: { writes: LeadWrite[]; activityIds: string[]; modelVersion: string; evaluated: boolean; followUps: { token: string; leadIds: string[] } }): Promise<void> {
    const p = params();
    const parts: string[] = [];
    if (b.followUps.leadIds.length) {
      parts.push(`leased AS (INSERT INTO lead_follow_ups (lead_id, token, until)
        SELECT unnest(${p.add(b.followUps.leadIds)}::uuid[]), ${p.add(b.followUps.token)}::uuid, now() + make_interval(secs => ${p.add(FOLLOW_UP_LEASE_MS / 1000)}::double precision)
        ON CONFLICT (lead_id) DO UPDATE SET token = EXCLUDED.token, until = EXCLUDED.until)`);
    }
    if (b.writes.length) parts.push(`saved AS (${saveSql(p, b.writes, b.evaluated)})`);
    const ledger = b.writes.flatMap((w) => w.ledger.map((entry) => ({ leadId: w.leadId, entry })));
    if (ledger.length) parts.push(`ledger AS (${ledgerSql(p, ledger, b.modelVersion)})`);
    const transitions = b.writes.flatMap((w) => w.transitions.map((transition) => ({ leadId: w.leadId, transition })));
    if (transitions.length) parts.push(`transitions AS (${transitionsSql(p, transitions)})`);
    if (b.activityIds.length) parts.push(`marked AS (UPDATE activities SET evaluated_at = now() WHERE id = ANY(${p.add(b.activityIds)}::uuid[]))`);
    if (parts.length) await this.tx.manager.query(`WITH ${parts.join(',\n')}\nSELECT 1`, p.values);
  }

  /** Ends the leases `applyBatch` took with this token: the follow-ups have run. */
  async releaseFollowUps(token: string, leadIds: string[]): Promise<void> {
    if (leadIds.length) await this.tx.manager.query(`DELETE FROM lead_follow_ups WHERE lead_id = ANY($1::uuid[]) AND token = $2`, [leadIds, token]);
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

// ---- statements shared by the single writes and applyBatch: one array parameter per column ----

interface Params {
  values: unknown[];
  /** appends a value and returns its placeholder */
  add(value: unknown): string;
}

function params(): Params {
  const values: unknown[] = [];
  return { values, add: (v) => `$${values.push(v)}` };
}

function saveSql(p: Params, writes: Pick<LeadWrite, 'leadId' | 'next'>[], evaluated: boolean): string {
  const col = (f: (s: Omit<LeadSnapshot, 'profile'>) => unknown, type: string) => `${p.add(writes.map((w) => f(w.next)))}::${type}[]`;
  return `UPDATE leads l SET score = v.score, scores = v.scores, grade = v.grade, persona = v.persona, stage = v.stage,
      temperature = v.temperature, temperature_since = v.temperature_since, scoring_state = v.scoring_state,
      last_activity_at = v.last_activity_at, decayed_at = v.decayed_at${evaluated ? ', evaluated_at = now(), needs_evaluation = false' : ''}
    FROM unnest(${p.add(writes.map((w) => w.leadId))}::uuid[], ${col((s) => s.scores.total ?? 0, 'numeric')}, ${col((s) => JSON.stringify(s.scores), 'jsonb')},
      ${col((s) => s.grade, 'text')}, ${col((s) => s.persona, 'text')}, ${col((s) => s.stage, 'text')}, ${col((s) => s.temperature, 'text')},
      ${col((s) => s.temperatureSince, 'timestamptz')}, ${col((s) => JSON.stringify({ ruleStats: s.ruleStats, signals: s.signals }), 'jsonb')},
      ${col((s) => s.lastActivityAt, 'timestamptz')}, ${col((s) => s.decayedAt, 'timestamptz')})
      AS v(id, score, scores, grade, persona, stage, temperature, temperature_since, scoring_state, last_activity_at, decayed_at)
    WHERE l.id = v.id`;
}

function ledgerSql(p: Params, rows: { leadId: string; entry: LedgerEntry }[], modelVersion: string, cause?: 'rescore' | 'return'): string {
  const col = (f: (e: LedgerEntry) => unknown, type: string) => `${p.add(rows.map((r) => f(r.entry)))}::${type}[]`;
  return `INSERT INTO score_changes (id, lead_id, dimension, rule_id, activity_id, points, before, after, cause, reason, model_version, occurred_at)
    SELECT id, lead_id, dimension, rule_id, activity_id, points, before, after, cause, reason, ${p.add(modelVersion)}, occurred_at
    FROM unnest(${p.add(rows.map(() => uuidv7()))}::uuid[], ${p.add(rows.map((r) => r.leadId))}::uuid[], ${col((e) => e.dimension, 'text')},
      ${col((e) => e.ruleId, 'text')}, ${col((e) => e.activityId, 'uuid')}, ${col((e) => e.points, 'numeric')}, ${col((e) => e.before, 'numeric')},
      ${col((e) => e.after, 'numeric')}, ${col((e) => cause ?? e.cause, 'text')}, ${col((e) => e.reason, 'text')}, ${col((e) => e.at, 'timestamptz')})
      AS v(id, lead_id, dimension, rule_id, activity_id, points, before, after, cause, reason, occurred_at)`;
}

function transitionsSql(p: Params, rows: { leadId: string; transition: Transition }[]): string {
  const col = (f: (t: Transition) => unknown, type: string) => `${p.add(rows.map((r) => f(r.transition)))}::${type}[]`;
  return `INSERT INTO lead_transitions (id, lead_id, kind, from_value, to_value, cause, detail)
    SELECT * FROM unnest(${p.add(rows.map(() => uuidv7()))}::uuid[], ${p.add(rows.map((r) => r.leadId))}::uuid[], ${col((t) => t.kind, 'text')},
      ${col((t) => t.from, 'text')}, ${col((t) => t.to, 'text')}, ${col((t) => t.cause, 'text')}, ${col((t) => JSON.stringify(t.detail), 'jsonb')})`;
}
