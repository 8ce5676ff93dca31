import { Global, Module } from '@nestjs/common';
import { LeadsModule } from '../leads/leads.module';
import { ScoringModule } from '../scoring/scoring.module';
import { LeadEvaluator } from './lead-evaluator.service';
import { LeadInsightController } from './lead-insight.controller';
import { LeadInsightRepository } from './lead-insight.repository';
import { LeadInsightService } from './lead-insight.service';
import { LeadStateRepository } from './lead-state.repository';
import { LifecycleEvents } from './lifecycle-events.service';
import { LifecycleSweeper } from './lifecycle.sweeper';

@Global()
@Module({
  imports: [ScoringModule, LeadsModule],
  controllers: [LeadInsightController],
  providers: [LeadStateRepository, LeadEvaluator, LifecycleEvents, LifecycleSweeper, LeadInsightRepository, LeadInsightService],
  exports: [LeadEvaluator, LifecycleEvents, LeadStateRepository, LeadInsightService],
})
export class LifecycleModule {}
