import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';

export interface EnrollmentRow {
  id: string;
  lead_id: string;
  workflow_key: string;
  version_id: string;
  track: 'cold' | 'warm' | 'hot' | null;
  status: 'waiting' | 'completed' | 'exited';
  step_index: number;
  step_id: string | null;
  entered_step_at: Date;
  next_run_at: Date | null;
  waiting_for: string | null;
  end_reason: string | null;
  enrolled_at: Date;
  ended_at: Date | null;
}

export interface NewEnrollment {
  id: string;
  leadId: string;
  workflowKey: string;
  versionId: string;
  track: 'cold' | 'warm' | 'hot' | null;
  priority: number;
  stepIndex: number;
  stepId: string | null;
  now: Date;
}

@Injectable()
export class EnrollmentsRepository {
  constructor(private readonly tx: TransactionService) {}

  /** Enrolls unless the lead already has a live enrollment in this workflow (or another track); false then. */
  async insert(e: NewEnrollment): Promise<boolean> {
    const rows = await this.tx.manager.query<{ id: string }[]>(
      `INSERT INTO enrollments (id, lead_id, workflow_key, version_id, track, priority, status, step_index, step_id, entered_step_at, next_run_at, enrolled_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'waiting', $7, $8, $9, $9, $9) ON CONFLICT DO NOTHING RETURNING id`,
      [e.id, e.leadId, e.workflowKey, e.versionId, e.track, e.priority, e.stepIndex, e.stepId, e.now],
    );
    return rows.length === 1;
  }

  /** The latest enrollment of a lead in a workflow, for re-entry rules. */
  async latest(leadId: string, workflowKey: string): Promise<EnrollmentRow | undefined> {
    const [row] = await this.tx.manager.query<EnrollmentRow[]>(
      `SELECT * FROM enrollments WHERE lead_id = $1 AND workflow_key = $2 ORDER BY enrolled_at DESC LIMIT 1`,
      [leadId, workflowKey],
    );
    return row;
  }

  /**
   * Takes up to `limit` due enrollments for running: each gets a lease, so no other scheduler
   * takes it while a worker runs it; if that worker dies, the lease runs out and it is due again.
   */
  async claimDue(limit: number, leaseMs: number, now: Date): Promise<{ id: string; claimedAt: number }[]> {
    const [rows] = await this.tx.manager.query<[{ id: string }[], number]>(
      `UPDATE enrollments SET lease_until = $3::timestamptz + make_interval(secs => $2::double precision / 1000)
       WHERE id IN (
         SELECT e.id FROM enrollments e JOIN workflows w ON w.key = e.workflow_key AND NOT w.paused
         WHERE e.status = 'waiting' AND e.next_run_at <= $3 AND (e.lease_until IS NULL OR e.lease_until < $3)
         ORDER BY e.next_run_at LIMIT $1 FOR UPDATE OF e SKIP LOCKED)
       RETURNING id`,
      [limit, leaseMs, now],
    );
    return rows.map((r) => ({ id: r.id, claimedAt: now.getTime() }));
  }

  /** Due sends of higher priority waiting for the same lead: a lower-priority send lets them go first. */
  async dueHigherPriority(leadId: string, priority: number, exceptId: string, now: Date): Promise<number> {
    const [row] = await this.tx.manager.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM enrollments WHERE lead_id = $1 AND status = 'waiting' AND next_run_at <= $4 AND priority > $2 AND id <> $3`,
      [leadId, priority, exceptId, now],
    );
    return row.n;
  }

  /** The lead's marketing sends inside the frequency-cap window (sent or still on their way). */
  recentMarketingSends(leadId: string, since: Date): Promise<{ at: Date; priority: number }[]> {
    return this.tx.manager.query(
      `SELECT queued_at AS at, priority FROM email_sends
       WHERE lead_id = $1 AND category = 'marketing' AND status IN ('queued', 'sending', 'sent', 'deferred') AND queued_at > $2`,
      [leadId, since],
    );
  }

  /** Leads without a live content track for their temperature, that have not finished it either. */
  async leadsMissingTrack(limit: number): Promise<{ id: string; temperature: string }[]> {
    return this.tx.manager.query(
      `SELECT l.id, l.temperature FROM leads l JOIN workflows w ON w.track = l.temperature AND NOT w.paused
       WHERE l.erased_at IS NULL AND l.unsubscribed_at IS NULL AND l.evaluated_at IS NOT NULL AND l.owner_id IS NULL
         AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.lead_id = l.id AND e.status = 'waiting' AND e.track = l.temperature)
         AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.lead_id = l.id AND e.workflow_key = w.key AND e.version_id = w.version_id
                           AND e.status <> 'waiting' AND e.end_reason NOT LIKE 'moved to %')
       LIMIT $1`,
      [limit],
    );
  }

  /** The enrollment, locked for one run; undefined when it is no longer waiting or not yet due. */
  async lockDue(id: string, now: Date): Promise<EnrollmentRow | undefined> {
    // by primary key only: with due-time conditions in the WHERE, stale statistics after a bulk
    // enrollment made the planner scan the due index for every run
    const [row] = await this.tx.manager.query<EnrollmentRow[]>(`SELECT * FROM enrollments WHERE id = $1 FOR UPDATE`, [id]);
    return row && row.status === 'waiting' && row.next_run_at !== null && row.next_run_at <= now ? row : undefined;
  }

  async wait(id: string, s: { stepIndex: number; stepId: string | null; enteredStepAt: Date; nextRunAt: Date; waitingFor: string }): Promise<void> {
    await this.tx.manager.query(
      `UPDATE enrollments SET step_index = $2, step_id = $3, entered_step_at = $4, next_run_at = $5, waiting_for = $6, lease_until = NULL, updated_at = now() WHERE id = $1`,
      [id, s.stepIndex, s.stepId, s.enteredStepAt, s.nextRunAt, s.waitingFor],
    );
  }

  async end(id: string, status: 'completed' | 'exited', reason: string, stepIndex?: number): Promise<void> {
    await this.tx.manager.query(
      `UPDATE enrollments SET status = $2, end_reason = $3, step_index = COALESCE($4, step_index), ended_at = now(), next_run_at = NULL,
         waiting_for = NULL, lease_until = NULL, updated_at = now() WHERE id = $1`,
      [id, status, reason, stepIndex ?? null],
    );
  }

  /** Ends a lead's live enrollments (all, or only content tracks); returns them. */
  async exitLive(leadIds: readonly string[], reason: string, only: 'tracks' | 'all'): Promise<EnrollmentRow[]> {
    const [rows] = await this.tx.manager.query<[EnrollmentRow[], number]>(
      `UPDATE enrollments SET status = 'exited', end_reason = $2, ended_at = now(), next_run_at = NULL, waiting_for = NULL, lease_until = NULL, updated_at = now()
       WHERE lead_id = ANY($1::uuid[]) AND status = 'waiting' AND ($3 = 'all' OR track IS NOT NULL) RETURNING *`,
      [leadIds, reason, only],
    );
    return rows;
  }

  /** Wakes a waiting enrollment now (an awaited event arrived, or a goal may be met). */
  async wake(leadIds: readonly string[], now: Date): Promise<number> {
    const [, n] = await this.tx.manager.query<[unknown, number]>(
      `UPDATE enrollments SET next_run_at = $2, updated_at = now() WHERE lead_id = ANY($1::uuid[]) AND status = 'waiting' AND next_run_at > $2`,
      [leadIds, now],
    );
    return n;
  }

  forLead(leadId: string): Promise<(EnrollmentRow & { version: string })[]> {
    return this.tx.manager.query(
      `SELECT e.*, v.version FROM enrollments e JOIN workflow_versions v ON v.id = e.version_id WHERE e.lead_id = $1 ORDER BY e.enrolled_at DESC`,
      [leadId],
    );
  }

  countsByStep(workflowKey: string): Promise<{ status: string; step_id: string | null; n: number }[]> {
    return this.tx.manager.query(
      `SELECT status, step_id, count(*)::int AS n FROM enrollments WHERE workflow_key = $1 GROUP BY status, step_id ORDER BY status, step_id`,
      [workflowKey],
    );
  }

  /** Templates a lead already received (or has queued) from any workflow: tracks never send content twice. */
  async sentTemplates(leadId: string): Promise<Set<string>> {
    const rows = await this.tx.manager.query<{ template: string }[]>(
      `SELECT DISTINCT template FROM email_sends WHERE lead_id = $1 AND status NOT IN ('failed', 'suppressed')`,
      [leadId],
    );
    return new Set(rows.map((r) => r.template));
  }

  /** Activities since a time, with the step whose email they were about. */
  activitiesSince(leadId: string, since: Date) {
    return this.tx.manager.query<{ type: string; occurred_at: Date; properties: Record<string, unknown>; step_key: string | null; enrollment_id: string | null; classification: string | null }[]>(
      `SELECT a.type, a.occurred_at, a.properties, s.step_key, s.enrollment_id, a.classification
       FROM activities a LEFT JOIN email_sends s ON s.id = a.send_id
       WHERE a.lead_id = $1 AND a.occurred_at >= $2 ORDER BY a.occurred_at LIMIT 1000`,
      [leadId, since],
    );
  }
}
