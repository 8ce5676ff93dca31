import { Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { TransactionService } from '../database/transaction.service';
import { defineJob } from '../jobs/job-definition';
import { JobHandler } from '../jobs/job-handler.decorator';
import { JobQueue } from '../jobs/job-queue';
import { Transition } from '../lifecycle/lead-evaluation.rules';
import { LeadStateRepository } from '../lifecycle/lead-state.repository';
import { LifecycleEvents } from '../lifecycle/lifecycle-events.service';
import { replayLead } from '../lifecycle/replay.rules';
import { ModelVersionsRepository } from './model-versions.repository';
import { ScoringModelsService } from './scoring-models.service';
import { LedgerEntry } from './scoring.rules';
import { SimulationRepository } from './simulation.repository';

/** Rescoring walks all leads in id order, one page per job, each page in one transaction. */
export const RESCORE_PAGE = defineJob('scores.rescore', z.object({ afterId: z.uuid().nullable(), startedAt: z.iso.datetime() }), { attempts: 5, backoffMs: 2000 });
const PAGE = 200;

@Injectable()
export class ScoringAdminService {
  private readonly logger = new Logger('Rescore');

  constructor(
    private readonly models: ScoringModelsService,
    private readonly versions: ModelVersionsRepository,
    private readonly tx: TransactionService,
    private readonly history: SimulationRepository,
    private readonly state: LeadStateRepository,
    private readonly events: LifecycleEvents,
    private readonly jobs: JobQueue,
  ) {}

  async listModels(): Promise<{ active: { scoring: string; grading: string }; history: Record<'scoring' | 'grading', unknown[]> }> {
    const [scoring, grading] = await Promise.all([this.versions.history('scoring'), this.versions.history('grading')]);
    return { active: { scoring: this.models.scoring.version, grading: this.models.grading.version }, history: { scoring, grading } };
  }

  /** New models apply from now on; with `rescore`, every lead is also replayed under them. */
  async reload(rescore: boolean): Promise<{ scoring: string; grading: string; rescoring: boolean }> {
    const active = await this.models.reload();
    if (rescore) await this.jobs.enqueue(RESCORE_PAGE, { afterId: null, startedAt: new Date().toISOString() });
    return { ...active, rescoring: rescore };
  }

  @JobHandler(RESCORE_PAGE)
  async rescorePage({ afterId, startedAt }: { afterId: string | null; startedAt: string }): Promise<void> {
    const models = { scoring: this.models.scoring, grading: this.models.grading };
    const now = new Date();
    const changed: { leadId: string; transitions: Transition[] }[] = [];
    const last = await this.tx.run(async () => {
      const page = await this.history.page(afterId, PAGE);
      for (const lead of page) {
        const locked = await this.state.lock(lead.id);
        if (!locked || locked.erased) continue;
        const replayed = replayLead(lead.profile, lead.createdAt, lead.activities, models, now).snapshot;
        const before = locked.snapshot;
        const ledger: LedgerEntry[] = Object.keys({ ...before.scores, ...replayed.scores }).flatMap((dimension) => {
          const from = before.scores[dimension] ?? 0;
          const to = replayed.scores[dimension] ?? 0;
          return from === to ? [] : [{ dimension, ruleId: null, activityId: null, points: to - from, before: from, after: to, cause: 'event' as const, reason: `rescored under scoring model ${models.scoring.version}`, at: now }];
        });
        const transitions: Transition[] = (['grade', 'persona', 'stage', 'temperature'] as const).flatMap((kind) =>
          before[kind] === replayed[kind] ? [] : [{ kind, from: before[kind], to: replayed[kind], cause: 'rescore' as const, detail: { model: models.scoring.version } }],
        );
        await this.state.save(lead.id, replayed);
        await this.state.insertLedger(lead.id, ledger, models.scoring.version, 'rescore');
        await this.state.insertTransitions(lead.id, transitions);
        await this.state.markEvaluated(lead.activities.map((a) => a.id));
        if (transitions.length) changed.push({ leadId: lead.id, transitions });
      }
      return page.length === PAGE ? page[page.length - 1].id : null;
    });
    for (const c of changed) await this.events.publish({ ...c, created: false, activities: [] });
    if (last) await this.jobs.enqueue(RESCORE_PAGE, { afterId: last, startedAt }, { jobId: `rescore-${startedAt}-${last}` });
    else this.logger.log(`rescore started ${startedAt} finished`);
  }
}
