import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { Clock } from '../common/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionService } from '../database/transaction.service';
import { JobQueue } from '../jobs/job-queue';
import { LifecycleEvents, LeadChanged } from '../lifecycle/lifecycle-events.service';
import { EnrollmentsRepository } from './enrollments.repository';
import { LeadViewRepository } from './lead-view.repository';
import { triggerMatches } from './step-machine.rules';
import { LeadChange, Trigger } from './workflow.types';
import { eventMatches } from '../scoring/scoring.rules';
import { RUN_ENROLLMENT } from './workflow.jobs';
import { WorkflowEngine } from './workflow-engine.service';
import { WorkflowRegistryService } from './workflow-registry.service';

const BATCH = 1000;

/**
 * Timers live in Postgres: this claims due enrollments in batches (FOR UPDATE SKIP LOCKED, a
 * lease of ENROLLMENT_LEASE_MS each) and hands them to workers as jobs; a crashed worker's lease
 * runs out and the row is claimed again. It also reacts to lead changes (triggers, track moves,
 * waking waits) and repairs what a lost reaction left undone: every marketable lead sits in the
 * content track of its temperature.
 */
@Injectable()
export class WorkflowScheduler implements OnModuleInit {
  private readonly logger = new Logger('WorkflowScheduler');
  private busy = { claim: false, reconcile: false };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionService,
    private readonly clock: Clock,
    private readonly enrollments: EnrollmentsRepository,
    private readonly registry: WorkflowRegistryService,
    private readonly engine: WorkflowEngine,
    private readonly leadViews: LeadViewRepository,
    private readonly events: LifecycleEvents,
    private readonly jobs: JobQueue,
  ) {}

  onModuleInit(): void {
    this.events.subscribeMany((changes) => this.onLeadsChanged(changes));
  }

  private get enabled(): boolean {
    return !(this.config.role === 'api' && this.jobs.mode === 'bullmq');
  }

  /** Claims due enrollments and enqueues their runs; returns how many. */
  @Interval(1000)
  async tick(): Promise<number> {
    if (!this.enabled || this.busy.claim) return 0;
    this.busy.claim = true;
    let total = 0;
    try {
      for (;;) {
        const due = await this.tx.run(() => this.enrollments.claimDue(BATCH, this.config.enrollmentLeaseMs, this.clock.now()));
        if (!due.length) break;
        // one job id per claim: a job record orphaned in Redis (keys lost) can never block the row;
        // a second job for the same enrollment finds it not due and does nothing
        await this.jobs.enqueueMany(RUN_ENROLLMENT, due.map((d) => ({ payload: { enrollmentId: d.id }, opts: { jobId: `${d.id}.${d.claimedAt}` } })));
        total += due.length;
        if (due.length < BATCH) break;
      }
    } catch (e) {
      this.logger.warn({ err: e }, 'could not claim due enrollments; next tick tries again');
    } finally {
      this.busy.claim = false;
    }
    return total;
  }

  /** Puts marketable leads without a content track into the one of their temperature. */
  @Interval(15_000)
  async reconcileTracks(): Promise<number> {
    if (!this.enabled || this.busy.reconcile) return 0;
    this.busy.reconcile = true;
    let n = 0;
    try {
      for (const lead of await this.enrollments.leadsMissingTrack(500)) {
        await this.engine.switchTrack(lead.id, lead.temperature);
        n++;
      }
    } catch (e) {
      this.logger.warn({ err: e }, 'track reconciliation failed; next pass tries again');
    } finally {
      this.busy.reconcile = false;
    }
    return n;
  }

  /**
   * The follow-ups of one committed evaluation batch in a few statements: one read of the leads
   * that matter, their track moves grouped by temperature, one wake for all.
   */
  private async onLeadsChanged(batch: readonly LeadChanged[]): Promise<void> {
    const work = batch
      .map((change) => {
        const temperature = change.transitions.find((t) => t.kind === 'temperature')?.to ?? null;
        const changes: LeadChange[] = [
          ...(change.created ? [{ kind: 'lead-created' as const }] : []),
          ...change.activities.map((a) => ({ kind: 'event' as const, type: a.type, properties: a.properties })),
          ...change.transitions.filter((t) => t.kind === 'temperature' && t.to).map((t) => ({ kind: 'temperature' as const, to: t.to! })),
          ...change.transitions.filter((t) => t.kind === 'stage' && t.to).map((t) => ({ kind: 'stage' as const, to: t.to! })),
          { kind: 'lead-changed' as const },
        ];
        // most changes concern no workflow's trigger: decide that before reading anything
        const candidates = this.registry.list().filter((w) => !w.def.track && changes.some((c) => couldTrigger(w.def.trigger, c)));
        return { change, temperature, changes, candidates };
      })
      .filter((w) => w.candidates.length || w.temperature || w.change.created);
    if (work.length) {
      const leads = await this.leadViews.getMany(work.map((w) => w.change.leadId));
      const live = work.filter((w) => leads.get(w.change.leadId) && !leads.get(w.change.leadId)!.erasedAt);
      await this.engine.switchTracks(
        live.filter((w) => w.temperature || w.change.created).map((w) => ({ leadId: w.change.leadId, temperature: w.temperature ?? leads.get(w.change.leadId)!.temperature })),
      );
      for (const w of live) {
        const lead = leads.get(w.change.leadId)!;
        for (const wf of w.candidates) {
          if (w.changes.some((c) => triggerMatches(wf.def, c, lead))) await this.engine.enroll(wf, w.change.leadId, { checkEntry: false });
        }
      }
    }
    // waits for an event and goals may be met now: let waiting enrollments look again
    const wake = batch.filter((c) => c.activities.length || c.transitions.length).map((c) => c.leadId);
    if (wake.length) await this.tx.run(() => this.enrollments.wake(wake, this.clock.now()));
  }
}

/** A cheap first filter: could this kind of change fire this kind of trigger at all? */
function couldTrigger(trigger: Trigger, change: LeadChange): boolean {
  switch (trigger.kind) {
    case 'lead-created':
      return change.kind === 'lead-created';
    case 'event':
      return change.kind === 'event' && eventMatches(trigger.event, change.type);
    case 'temperature':
      return change.kind === 'temperature' && change.to === trigger.temperature;
    case 'stage':
      return change.kind === 'stage';
    case 'segment':
      return change.kind === 'lead-changed';
    case 'manual':
      return false;
  }
}
