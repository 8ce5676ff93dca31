import { Injectable } from '@nestjs/common';
import { uuidv7 } from '../common/ids';
import { TransactionService } from '../database/transaction.service';
import { Grade } from '../grading/grade.rules';
import { LedgerEntry, RuleStat, ScorableEvent } from '../scoring/scoring.rules';
import { LeadSnapshot, Transition } from './lead-evaluation.rules';
import { Stage, Temperature } from './lifecycle.rules';

interface LeadRow {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  job_title: string | null;
  industry: string | null;
  company_size: number | null;
  country: string | null;
  timezone: string | null;
  locale: string | null;
  source: string | null;
  attributes: Record<string, unknown>;
  consent: boolean | null;
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
  erased_at: Date | null;
}

export interface LockedLead {
  id: string;
  erased: boolean;
  needsEvaluation: boolean;
  snapshot: LeadSnapshot;
}

const toSnapshot = (r: LeadRow): LeadSnapshot => ({
  profile: {
    email: r.email,
    firstName: r.first_name,
    lastName: r.last_name,
    company: r.company,
    jobTitle: r.job_title,
    industry: r.industry,
    companySize: r.company_size,
    country: r.country,
    timezone: r.timezone,
    locale: r.locale,
    source: r.source,
    attributes: r.attributes,
    consent: r.consent,
  },
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

  async lock(leadId: string): Promise<LockedLead | undefined> {
    const [row] = await this.tx.manager.query<LeadRow[]>(`SELECT * FROM leads WHERE id = $1 FOR UPDATE`, [leadId]);
    return row && { id: row.id, erased: row.erased_at !== null, needsEvaluation: row.needs_evaluation, snapshot: toSnapshot(row) };
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
    await this.tx.manager.query(
      `UPDATE leads SET score = $2, scores = $3, grade = $4, persona = $5, stage = $6, temperature = $7, temperature_since = $8,
         scoring_state = $9, last_activity_at = $10, decayed_at = $11, evaluated_at = now(), needs_evaluation = false
       WHERE id = $1`,
      [leadId, s.scores.total ?? 0, JSON.stringify(s.scores), s.grade, s.persona, s.stage, s.temperature, s.temperatureSince,
        JSON.stringify({ ruleStats: s.ruleStats, signals: s.signals }), s.lastActivityAt, s.decayedAt],
    );
  }

  async insertLedger(leadId: string, entries: LedgerEntry[], modelVersion: string, cause?: 'rescore' | 'return'): Promise<void> {
    if (!entries.length) return;
    await this.tx.manager.query(
      `INSERT INTO score_changes (id, lead_id, dimension, rule_id, activity_id, points, before, after, cause, reason, model_version, occurred_at)
       SELECT unnest($1::uuid[]), $2, unnest($3::text[]), unnest($4::text[]), unnest($5::uuid[]), unnest($6::numeric[]), unnest($7::numeric[]),
              unnest($8::numeric[]), unnest($9::text[]), unnest($10::text[]), $11, unnest($12::timestamptz[])`,
      [
        entries.map(() => uuidv7()),
        leadId,
        entries.map((e) => e.dimension),
        entries.map((e) => e.ruleId),
        entries.map((e) => e.activityId),
        entries.map((e) => e.points),
        entries.map((e) => e.before),
        entries.map((e) => e.after),
        entries.map((e) => cause ?? e.cause),
        entries.map((e) => e.reason),
        modelVersion,
        entries.map((e) => e.at),
      ],
    );
  }

  async insertTransitions(leadId: string, transitions: Transition[]): Promise<void> {
    if (!transitions.length) return;
    await this.tx.manager.query(
      `INSERT INTO lead_transitions (id, lead_id, kind, from_value, to_value, cause, detail)
       SELECT unnest($1::uuid[]), $2, unnest($3::text[]), unnest($4::text[]), unnest($5::text[]), unnest($6::text[]), unnest($7::jsonb[])`,
      [transitions.map(() => uuidv7()), leadId, transitions.map((t) => t.kind), transitions.map((t) => t.from), transitions.map((t) => t.to),
        transitions.map((t) => t.cause), transitions.map((t) => JSON.stringify(t.detail))],
    );
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
