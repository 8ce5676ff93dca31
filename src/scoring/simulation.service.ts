import { Injectable } from '@nestjs/common';
import { GradingModel } from '../grading/grading-model.schema';
import { LeadSnapshot } from '../lifecycle/lead-evaluation.rules';
import { replayLead } from '../lifecycle/replay.rules';
import { ScoringModel } from './scoring-model.schema';
import { ScoringModelsService } from './scoring-models.service';
import { SimulationRepository } from './simulation.repository';
import { LedgerEntry } from './scoring.rules';

type Models = { scoring: ScoringModel; grading: GradingModel };

export interface Mover {
  leadId: string;
  email: string;
  before: { score: number; grade: string | null; stage: string; temperature: string };
  after: { score: number; grade: string | null; stage: string; temperature: string };
  /** the rules that gave the most points under the candidate */
  reasons: { rule: string; points: number }[];
}

export interface SimulationReport {
  leads: number;
  models: { current: { scoring: string; grading: string }; candidate: { scoring: string; grading: string } };
  stages: Record<string, { before: number; after: number }>;
  temperatures: Record<string, { before: number; after: number }>;
  becameSalesReady: { count: number; sample: Mover[] };
  stoppedBeingSalesReady: { count: number; sample: Mover[] };
  changedStage: number;
}

/**
 * What-if: replays every lead's stored history under the current models and under the
 * candidate, without writing anything, and compares. Both sides are replays, so the
 * difference is the model's alone (not the accidents of when rules changed in the past).
 */
@Injectable()
export class SimulationService {
  constructor(
    private readonly models: ScoringModelsService,
    private readonly history: SimulationRepository,
  ) {}

  /** `files` names the candidates in problems (file:line); an API upload has no file name. */
  async simulate(
    candidate: { scoring?: string; grading?: string },
    opts: { sample?: number; now?: Date; files?: { scoring?: string; grading?: string } } = {},
  ): Promise<SimulationReport> {
    const current: Models = { scoring: this.models.scoring, grading: this.models.grading };
    const next: Models = {
      scoring: candidate.scoring !== undefined ? this.models.parse('scoring', candidate.scoring, opts.files?.scoring ?? 'candidate scoring.yaml') : current.scoring,
      grading: candidate.grading !== undefined ? this.models.parse('grading', candidate.grading, opts.files?.grading ?? 'candidate grading.yaml') : current.grading,
    };
    const sample = opts.sample ?? 20;
    const now = opts.now ?? new Date();
    const report: SimulationReport = {
      leads: 0,
      models: { current: versions(current), candidate: versions(next) },
      stages: counts(['awareness', 'interest', 'mql', 'sales-ready']),
      temperatures: counts(['cold', 'warm', 'hot']),
      becameSalesReady: { count: 0, sample: [] },
      stoppedBeingSalesReady: { count: 0, sample: [] },
      changedStage: 0,
    };
    for (let after: string | null = null; ; ) {
      const page = await this.history.page(after, 500);
      if (!page.length) break;
      after = page[page.length - 1].id;
      for (const lead of page) {
        const a = replayLead(lead.profile, lead.createdAt, lead.activities, current, now).snapshot;
        const b = replayLead(lead.profile, lead.createdAt, lead.activities, next, now);
        report.leads++;
        report.stages[a.stage].before++;
        report.stages[b.snapshot.stage].after++;
        report.temperatures[a.temperature].before++;
        report.temperatures[b.snapshot.temperature].after++;
        if (a.stage !== b.snapshot.stage) report.changedStage++;
        const wasReady = a.stage === 'sales-ready';
        const isReady = b.snapshot.stage === 'sales-ready';
        if (wasReady === isReady) continue;
        const bucket = isReady ? report.becameSalesReady : report.stoppedBeingSalesReady;
        bucket.count++;
        if (bucket.sample.length < sample) bucket.sample.push(mover(lead.id, lead.email, a, b.snapshot, b.ledger));
      }
    }
    return report;
  }
}

const versions = (m: Models) => ({ scoring: m.scoring.version, grading: m.grading.version });
const counts = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, { before: 0, after: 0 }]));
const brief = (s: LeadSnapshot) => ({ score: s.scores.total ?? 0, grade: s.grade, stage: s.stage, temperature: s.temperature });

function mover(leadId: string, email: string, before: LeadSnapshot, after: LeadSnapshot, ledger: LedgerEntry[]): Mover {
  const byRule = new Map<string, number>();
  for (const e of ledger) if (e.ruleId && e.dimension === 'total') byRule.set(e.ruleId, (byRule.get(e.ruleId) ?? 0) + e.points);
  const reasons = [...byRule].map(([rule, points]) => ({ rule, points: Math.round(points * 100) / 100 })).sort((x, y) => Math.abs(y.points) - Math.abs(x.points)).slice(0, 5);
  return { leadId, email, before: brief(before), after: brief(after), reasons };
}
