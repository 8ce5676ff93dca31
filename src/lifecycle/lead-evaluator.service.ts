import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { uuidv7 } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionService } from '../database/transaction.service';
import { JobHandler } from '../jobs/job-handler.decorator';
import { ScoringModelsService } from '../scoring/scoring-models.service';
import { LeadChanged, LeadWrite, planBatch } from './evaluation-batch.rules';
import { decayLead } from './lead-evaluation.rules';
import { LeadStateRepository, LockedLead } from './lead-state.repository';
import { EVALUATE_LEAD, EVALUATE_LEADS } from './lifecycle.jobs';
import { LifecycleEvents } from './lifecycle-events.service';

/** Leads per transaction: enough to spread a transaction's round trips thin, few enough to keep lock times short. */
export const LEADS_PER_BATCH = 200;
/** Activities per lead and transaction; a lead with more waiting is evaluated in several rounds. */
const ACTIVITIES_PER_LEAD = 1000;
/** Oldest pending activities a batch looks through for other leads to take along. */
const WINDOW = 1000;
const MAX_ROUNDS = 20;

/**
 * The one orchestrator of lead changes (architecture principle 2), many leads per transaction:
 * lock a batch of leads with work, apply their pending activities and profile changes (score,
 * grade, stage, temperature, each change recorded with its cause), mark the activities
 * evaluated, commit; then hand each lead's changes to the follow-ups. A lead is only ever
 * evaluated with its row locked, so concurrent evaluations queue or pass it by, and each
 * activity is applied exactly once because it is marked in the same transaction that applies it.
 *
 * A job names the leads it is for; its batch takes them first, then fills up with whatever else
 * waits (oldest first), so under load one transaction carries many leads and the jobs of the
 * leads it took find nothing left to do.
 */
@Injectable()
export class LeadEvaluator implements BeforeApplicationShutdown {
  private readonly logger = new Logger('LeadEvaluator');
  private turn: Promise<void> = Promise.resolve();
  /** rounds and decay passes under way: their transactions, then their follow-ups and leases */
  private readonly running = new Set<Promise<unknown>>();
  private closing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionService,
    private readonly state: LeadStateRepository,
    private readonly models: ScoringModelsService,
    private readonly events: LifecycleEvents,
  ) {}

  @JobHandler(EVALUATE_LEAD)
  async evaluate({ leadId }: { leadId: string }): Promise<void> {
    await this.evaluateAll([leadId]);
  }

  @JobHandler(EVALUATE_LEADS)
  async evaluateMany({ leadIds }: { leadIds: string[] }): Promise<void> {
    await this.evaluateAll(leadIds);
  }

  /**
   * Evaluates `leadIds`, taking along whatever else waits, and keeps going while rounds find
   * work. Batches pass by leads that another transaction holds: when that is an evaluation, it
   * looks at its leads again after its follow-ups (the round after), so activities that came in
   * meanwhile are not left behind; for the named leads still left over, whatever holds them is
   * finally waited for.
   */
  async evaluateAll(leadIds: string[]): Promise<void> {
    const leftover = new Set(leadIds);
    const waitForLeftover = () => {
      const ids = [...leftover];
      leftover.clear();
      // waiting on whatever holds them: not in turn, so the other rounds of this process go on meanwhile
      return this.round(() => this.state.lockWithWork(ids), false);
    };
    let named = leadIds;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let result = await this.round(() => this.state.claim(named, LEADS_PER_BATCH, WINDOW));
      for (const id of result.locked) leftover.delete(id);
      if (!result.worked && leftover.size) result = await waitForLeftover();
      if (!result.worked) return;
      // this round's leads again (activities may have come in meanwhile), and the named ones not reached yet
      named = [...result.evaluated, ...leftover];
    }
    if (leftover.size) await waitForLeftover();
  }

  /**
   * On the way down, while the database is still there: start no more rounds (what waits stays
   * in Postgres for the sweeper) and let the follow-ups under way finish and end their leases,
   * so a restart does not find leads leased to a process that is gone.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    const deadline = Date.now() + this.config.shutdownTimeoutMs;
    while (this.running.size && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => setTimeout(r, deadline - Date.now()).unref())]);
    }
  }

  private async tracked<T>(work: () => Promise<T>): Promise<T> {
    const run = work();
    this.running.add(run);
    try {
      return await run;
    } finally {
      this.running.delete(run);
    }
  }

  /**
   * One transaction: lock, read what is pending, apply, lease the changed leads; then,
   * committed, publish each lead's changes and end the leases.
   */
  private round(lock: () => Promise<LockedLead[]>, inTurn = true): Promise<{ worked: number; locked: string[]; evaluated: string[] }> {
    return this.tracked(async () => {
      const token = uuidv7();
      const transaction = () => this.tx.run(() => this.apply(lock, token));
      const done = await (inTurn ? this.inTurn(transaction) : transaction());
      await this.followUp(token, done.changes);
      return done;
    });
  }

  private async apply(lock: () => Promise<LockedLead[]>, token: string): Promise<{ worked: number; locked: string[]; evaluated: string[]; changes: LeadChanged[] }> {
    const locked = this.closing ? [] : await lock();
    if (!locked.length) return { worked: 0, locked: [], evaluated: [], changes: [] };
    const { pending, leased } = await this.state.pendingOf(locked.map((l) => l.id), ACTIVITIES_PER_LEAD);
    const leads = locked.filter((l) => !leased.has(l.id));
    const models = { scoring: this.models.scoring, grading: this.models.grading };
    const plan = planBatch(leads, pending, models, new Date(), ACTIVITIES_PER_LEAD);
    const followUps = { token, leadIds: plan.changes.map((c) => c.leadId) };
    await this.state.applyBatch({ writes: plan.writes, activityIds: plan.activityIds, modelVersion: models.scoring.version, evaluated: true, followUps });
    return { worked: plan.worked, locked: locked.map((l) => l.id), evaluated: leads.map((l) => l.id), changes: plan.changes };
  }

  /**
   * The transactions of one process take turns (their follow-ups do not): a round already
   * carries up to a batch of leads, so running rounds side by side would only split the same
   * CPU, take fewer leads each, and write each lead row (the costly part: a wide row and its
   * indexes) more often with fewer activities. What is left of the CPU goes to ingest.
   */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work);
    this.turn = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * The changes to the listeners, then the leases ended. A batch holds a lead once and its lease
   * keeps other evaluations away until then, so a lead's changes reach the listeners in the
   * order they were made.
   */
  private async followUp(token: string, changes: LeadChanged[]): Promise<void> {
    if (!changes.length) return;
    await this.events.publishAll(changes);
    // should this fail, the leases run out instead
    await this.state.releaseFollowUps(token, changes.map((c) => c.leadId)).catch((e: unknown) => this.logger.warn({ err: e }, 'could not end follow-up leases'));
  }

  /** One decay pass over up to `limit` due leads; returns how many were processed. */
  async decayBatch(limit: number, olderThanMs: number, now = new Date()): Promise<number> {
    const ids = await this.tracked(async () => {
      const token = uuidv7();
      const decayed = await this.tx.run(async () => {
        const due = this.closing ? [] : await this.state.lockDecayDue(limit, olderThanMs);
        const models = { scoring: this.models.scoring, grading: this.models.grading };
        const changes: LeadChanged[] = [];
        const writes: LeadWrite[] = due.map((lead) => {
          const result = decayLead(lead.snapshot, models, now);
          if (result.transitions.length) changes.push({ leadId: lead.id, transitions: result.transitions, created: false, activities: [] });
          return { leadId: lead.id, next: result.next, ledger: result.ledger, transitions: result.transitions };
        });
        const followUps = { token, leadIds: changes.map((c) => c.leadId) };
        await this.state.applyBatch({ writes, activityIds: [], modelVersion: models.scoring.version, evaluated: false, followUps });
        return { ids: due.map((l) => l.id), changes };
      });
      await this.followUp(token, decayed.changes);
      return decayed.ids;
    });
    // evaluations passed these leads by while they were locked here
    if (ids.length) await this.evaluateAll(ids);
    return ids.length;
  }
}
