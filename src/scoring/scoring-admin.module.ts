import { Module } from '@nestjs/common';
import { ScoringAdminService } from './scoring-admin.service';
import { ScoringController } from './scoring.controller';
import { ScoringModule } from './scoring.module';
import { SimulationRepository } from './simulation.repository';
import { SimulationService } from './simulation.service';

/** The marketer-facing side of scoring: model versions, reload and rescore, what-if simulation. */
@Module({
  imports: [ScoringModule],
  controllers: [ScoringController],
  providers: [SimulationRepository, SimulationService, ScoringAdminService],
  exports: [SimulationService],
})
export class ScoringAdminModule {}
