import { Injectable } from '@nestjs/common';
import { gradeLead } from '../grading/grading.rules';
import { LeadsService } from '../leads/leads.service';
import { ScoringModelsService } from '../scoring/scoring-models.service';
import { LeadInsightRepository, TimelineEntry } from './lead-insight.repository';

/** Why a lead has the score, grade, stage and temperature it has. */
@Injectable()
export class LeadInsightService {
  constructor(
    private readonly leads: LeadsService,
    private readonly insight: LeadInsightRepository,
    private readonly models: ScoringModelsService,
  ) {}

  async score(leadId: string, limit: number) {
    const lead = await this.leads.get(leadId);
    const [ledger, transitions] = await Promise.all([this.insight.ledger(leadId, limit), this.insight.transitions(leadId, limit)]);
    const signals = (await this.insight.signals(leadId)) ?? [];
    const graded = gradeLead(this.models.grading, lead, signals);
    return {
      leadId,
      score: lead.score,
      scores: lead.scores,
      grade: lead.grade,
      persona: lead.persona,
      stage: lead.stage,
      temperature: lead.temperature,
      models: { scoring: this.models.scoring.version, grading: this.models.grading.version },
      gradeReasons: graded.matched,
      ledger: ledger.map((l) => ({
        dimension: l.dimension,
        rule: l.rule_id,
        activityId: l.activity_id,
        points: Number(l.points),
        before: Number(l.before),
        after: Number(l.after),
        cause: l.cause,
        reason: l.reason,
        at: l.occurred_at.toISOString(),
        modelVersion: l.model_version,
      })),
      transitions: transitions.map((t) => ({ kind: t.kind, from: t.from_value, to: t.to_value, cause: t.cause, detail: t.detail, at: t.created_at.toISOString() })),
    };
  }

  async timeline(leadId: string, limit: number, before?: string): Promise<{ data: TimelineEntry[]; nextBefore: string | null }> {
    await this.leads.get(leadId);
    const data = await this.insight.timeline(leadId, limit, before ? new Date(before) : new Date(Date.now() + 60_000));
    return { data, nextBefore: data.length === limit ? data[data.length - 1].at : null };
  }
}
