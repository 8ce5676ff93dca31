import { Injectable } from '@nestjs/common';
import { uuidv7 } from '../common/ids';
import { TransactionService } from '../database/transaction.service';
import type { LeadProfileRow } from '../leads/lead-profile';

export type AssignmentStatus = 'queued' | 'pending' | 'accepted' | 'returned' | 'converted' | 'disqualified' | 'reassigned';
export type AssignmentCause = 'sales-ready' | 'manual' | 'sla' | 'reassign';
export const OPEN_STATUSES: readonly AssignmentStatus[] = ['queued', 'pending', 'accepted'];

export interface AssignmentRow {
  id: string;
  lead_id: string;
  rep_id: string | null;
  rule: string | null;
  cause: AssignmentCause;
  status: AssignmentStatus;
  previous_id: string | null;
  handoff_id: string;
  lead_score: string | null;
  lead_grade: string | null;
  lead_persona: string | null;
  lead_source: string | null;
  reason: string | null;
  note: string | null;
  value: string | null;
  sla_due_at: Date | null;
  notify_at: Date | null;
  notified_at: Date | null;
  created_at: Date;
  accepted_at: Date | null;
  closed_at: Date | null;
}

export type NewAssignment = Pick<AssignmentRow, 'id' | 'lead_id' | 'rep_id' | 'rule' | 'cause' | 'status' | 'previous_id' | 'handoff_id' | 'sla_due_at' | 'notify_at' | 'created_at'> & {
  lead_score: number;
  lead_grade: string | null;
  lead_persona: string | null;
  lead_source: string | null;
};

/** The lead as routing and the rep's email read it. */
export interface HandoffLeadRow extends LeadProfileRow {
  id: string;
  score: string;
  scores: Record<string, number>;
  grade: string | null;
  persona: string | null;
  stage: string;
  temperature: string;
  owner_id: string | null;
  erased_at: Date | null;
}

export interface AssignmentFilter {
  leadId?: string;
  repId?: string;
  status?: AssignmentStatus;
  before?: string;
  limit: number;
}

@Injectable()
export class AssignmentsRepository {
  constructor(private readonly tx: TransactionService) {}

  /**
   * Leads whose sales-ready moment is not handled yet, locked; a lead another worker holds is
   * skipped, not waited for, so workers share the queue.
   */
  claimHandoffDue(limit: number): Promise<HandoffLeadRow[]> {
    return this.tx.manager.query(`SELECT * FROM leads WHERE handoff_due ORDER BY id LIMIT $1 FOR NO KEY UPDATE SKIP LOCKED`, [limit]);
  }

  async lockLead(leadId: string): Promise<HandoffLeadRow | undefined> {
    const [row] = await this.tx.manager.query<HandoffLeadRow[]>(`SELECT * FROM leads WHERE id = $1 FOR NO KEY UPDATE`, [leadId]);
    return row;
  }

  leads(ids: readonly string[]): Promise<HandoffLeadRow[]> {
    return this.tx.manager.query(`SELECT * FROM leads WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** Leads among `ids` that must not be routed now: one open assignment already, or disqualified before. */
  async blocked(ids: readonly string[]): Promise<Set<string>> {
    const rows = await this.tx.manager.query<{ lead_id: string }[]>(
      `SELECT DISTINCT lead_id FROM assignments WHERE lead_id = ANY($1::uuid[]) AND status IN ('queued', 'pending', 'accepted', 'disqualified')`,
      [ids],
    );
    return new Set(rows.map((r) => r.lead_id));
  }

  async clearHandoffDue(ids: readonly string[]): Promise<void> {
    if (ids.length) await this.tx.manager.query(`UPDATE leads SET handoff_due = false WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async setOwners(owners: readonly { leadId: string; repId: string | null }[]): Promise<void> {
    if (!owners.length) return;
    await this.tx.manager.query(
      `UPDATE leads l SET owner_id = o.rep_id, handoff_due = false, updated_at = now()
       FROM unnest($1::uuid[], $2::uuid[]) AS o(lead_id, rep_id) WHERE l.id = o.lead_id`,
      [owners.map((o) => o.leadId), owners.map((o) => o.repId)],
    );
  }

  async insertMany(rows: readonly NewAssignment[]): Promise<void> {
    if (!rows.length) return;
    const col = <K extends keyof NewAssignment>(k: K) => rows.map((r) => r[k]);
    await this.tx.manager.query(
      `INSERT INTO assignments (id, lead_id, rep_id, rule, cause, status, previous_id, handoff_id, sla_due_at, notify_at, created_at,
                                lead_score, lead_grade, lead_persona, lead_source)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::uuid[],
                            $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::numeric[], $13::text[], $14::text[], $15::text[])`,
      [
        col('id'), col('lead_id'), col('rep_id'), col('rule'), col('cause'), col('status'), col('previous_id'), col('handoff_id'),
        col('sla_due_at'), col('notify_at'), col('created_at'), col('lead_score'), col('lead_grade'), col('lead_persona'), col('lead_source'),
      ],
    );
  }

  async insertTransitions(rows: readonly { leadId: string; from: string | null; to: string | null; cause: string; detail: Record<string, unknown> }[]): Promise<void> {
    if (!rows.length) return;
    await this.tx.manager.query(
      `INSERT INTO lead_transitions (id, lead_id, kind, from_value, to_value, cause, detail)
       SELECT id, lead_id, 'owner', from_value, to_value, cause, detail
       FROM unnest($6::uuid[], $1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[]) AS t(id, lead_id, from_value, to_value, cause, detail)`,
      [rows.map((r) => r.leadId), rows.map((r) => r.from), rows.map((r) => r.to), rows.map((r) => r.cause), rows.map((r) => JSON.stringify(r.detail)), rows.map(() => uuidv7())],
    );
  }

  /** A manual temperature change (a returned lead goes back to a chosen track), recorded like any other. */
  async setTemperature(leadId: string, from: string, to: string, at: Date, detail: Record<string, unknown>): Promise<void> {
    await this.tx.manager.query(`UPDATE leads SET temperature = $2, temperature_since = $3, updated_at = now() WHERE id = $1`, [leadId, to, at]);
    if (from !== to) {
      await this.tx.manager.query(
        `INSERT INTO lead_transitions (id, lead_id, kind, from_value, to_value, cause, detail) VALUES ($1, $2, 'temperature', $3, $4, 'manual', $5)`,
        [uuidv7(), leadId, from, to, JSON.stringify(detail)],
      );
    }
  }

  /** The rotation of these rules, locked: two workers routing by one rule take turns. */
  async lockRotation(rules: readonly string[]): Promise<{ rule: string; rep_id: string; current_weight: string; assigned: string }[]> {
    return this.tx.manager.query(`SELECT * FROM assignment_rotation WHERE rule = ANY($1::text[]) ORDER BY rule, rep_id FOR UPDATE`, [rules]);
  }

  async saveRotation(rows: readonly { rule: string; repId: string; currentWeight: number; assigned: number }[]): Promise<void> {
    if (!rows.length) return;
    await this.tx.manager.query(
      `INSERT INTO assignment_rotation (rule, rep_id, current_weight, assigned)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::bigint[], $4::bigint[])
       ON CONFLICT (rule, rep_id) DO UPDATE SET current_weight = EXCLUDED.current_weight, assigned = EXCLUDED.assigned`,
      [rows.map((r) => r.rule), rows.map((r) => r.repId), rows.map((r) => r.currentWeight), rows.map((r) => r.assigned)],
    );
  }

  async get(id: string): Promise<AssignmentRow | undefined> {
    const [row] = await this.tx.manager.query<AssignmentRow[]>(`SELECT * FROM assignments WHERE id = $1`, [id]);
    return row;
  }

  async lock(id: string): Promise<AssignmentRow | undefined> {
    const [row] = await this.tx.manager.query<AssignmentRow[]>(`SELECT * FROM assignments WHERE id = $1 FOR UPDATE`, [id]);
    return row;
  }

  async openFor(leadId: string): Promise<AssignmentRow | undefined> {
    const [row] = await this.tx.manager.query<AssignmentRow[]>(`SELECT * FROM assignments WHERE lead_id = $1 AND status IN ('queued', 'pending', 'accepted')`, [leadId]);
    return row;
  }

  /** Reps who already had this hand-off, so a reassignment moves on. */
  async repsOfHandoff(handoffId: string): Promise<string[]> {
    const rows = await this.tx.manager.query<{ rep_id: string }[]>(`SELECT DISTINCT rep_id FROM assignments WHERE handoff_id = $1 AND rep_id IS NOT NULL`, [handoffId]);
    return rows.map((r) => r.rep_id);
  }

  async close(id: string, status: AssignmentStatus, f: { reason?: string | null; note?: string | null; value?: number | null; at: Date }): Promise<void> {
    await this.tx.manager.query(
      `UPDATE assignments SET status = $2, reason = coalesce($3, reason), note = coalesce($4, note), value = coalesce($5, value),
         closed_at = CASE WHEN $2 = 'accepted' THEN closed_at ELSE $6 END,
         -- converting a lead means it was taken: it counts as accepted in the reports
         accepted_at = CASE WHEN $2 IN ('accepted', 'converted') THEN coalesce(accepted_at, $6) ELSE accepted_at END
       WHERE id = $1`,
      [id, status, f.reason ?? null, f.note ?? null, f.value ?? null, f.at],
    );
  }

  /** Pending assignments past their SLA with the lead locked (lead first, as everywhere). */
  slaDue(now: Date, limit: number): Promise<{ lead_id: string; id: string }[]> {
    return this.tx.manager.query(
      `SELECT a.lead_id, a.id FROM assignments a JOIN leads l ON l.id = a.lead_id
       WHERE a.status = 'pending' AND a.sla_due_at <= $1 ORDER BY a.sla_due_at LIMIT $2 FOR NO KEY UPDATE OF l SKIP LOCKED`,
      [now, limit],
    );
  }

  /** Queued hand-offs (no rep was free), oldest first, with the lead locked. */
  queued(limit: number): Promise<{ lead_id: string; id: string }[]> {
    return this.tx.manager.query(
      `SELECT a.lead_id, a.id FROM assignments a JOIN leads l ON l.id = a.lead_id
       WHERE a.status = 'queued' ORDER BY a.created_at LIMIT $1 FOR NO KEY UPDATE OF l SKIP LOCKED`,
      [limit],
    );
  }

  /** Pending assignments whose rep is to be told now (assigned while away or off work). */
  notifyDue(now: Date, limit: number): Promise<AssignmentRow[]> {
    return this.tx.manager.query(
      `SELECT * FROM assignments WHERE status = 'pending' AND notified_at IS NULL AND notify_at <= $1 ORDER BY notify_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
  }

  async markNotified(ids: readonly string[], at: Date): Promise<void> {
    if (ids.length) await this.tx.manager.query(`UPDATE assignments SET notified_at = $2 WHERE id = ANY($1::uuid[])`, [ids, at]);
  }

  list(f: AssignmentFilter): Promise<AssignmentRow[]> {
    return this.tx.manager.query(
      `SELECT * FROM assignments
       WHERE ($1::uuid IS NULL OR lead_id = $1) AND ($2::uuid IS NULL OR rep_id = $2) AND ($3::text IS NULL OR status = $3)
         AND ($4::uuid IS NULL OR id < $4)
       ORDER BY id DESC LIMIT $5`,
      [f.leadId ?? null, f.repId ?? null, f.status ?? null, f.before ?? null, f.limit],
    );
  }

  /** The score reasons behind a lead, biggest first, for the rep's email. */
  topReasons(leadIds: readonly string[], perLead: number): Promise<{ lead_id: string; reason: string; points: string }[]> {
    return this.tx.manager.query(
      `SELECT lead_id, reason, points FROM (
         SELECT lead_id, reason, sum(points) AS points, row_number() OVER (PARTITION BY lead_id ORDER BY sum(points) DESC) AS n
         FROM score_changes WHERE lead_id = ANY($1::uuid[]) AND dimension = 'total' AND cause = 'event' GROUP BY lead_id, reason HAVING sum(points) > 0
       ) r WHERE n <= $2 ORDER BY lead_id, points DESC`,
      [leadIds, perLead],
    );
  }

  recentActivities(leadIds: readonly string[], perLead: number): Promise<{ lead_id: string; type: string; properties: Record<string, unknown>; occurred_at: Date }[]> {
    return this.tx.manager.query(
      `SELECT a.lead_id, a.type, a.properties, a.occurred_at FROM unnest($1::uuid[]) AS l(id)
       CROSS JOIN LATERAL (SELECT lead_id, type, properties, occurred_at FROM activities WHERE lead_id = l.id ORDER BY occurred_at DESC LIMIT $2) a`,
      [leadIds, perLead],
    );
  }

  async insertTokens(rows: readonly { id: string; assignmentId: string; expiresAt: Date }[]): Promise<void> {
    if (!rows.length) return;
    await this.tx.manager.query(
      `INSERT INTO rep_action_tokens (id, assignment_id, expires_at) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[])`,
      [rows.map((r) => r.id), rows.map((r) => r.assignmentId), rows.map((r) => r.expiresAt)],
    );
  }

  async token(id: string): Promise<{ id: string; assignment_id: string; expires_at: Date; used_at: Date | null } | undefined> {
    const [row] = await this.tx.manager.query<{ id: string; assignment_id: string; expires_at: Date; used_at: Date | null }[]>(`SELECT * FROM rep_action_tokens WHERE id = $1`, [id]);
    return row;
  }

  /** Marks a link used; false when it was used already (single use holds across concurrent clicks). */
  async useToken(id: string, at: Date): Promise<boolean> {
    const [, n] = await this.tx.manager.query<[unknown, number]>(`UPDATE rep_action_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL`, [id, at]);
    return n > 0;
  }
}
