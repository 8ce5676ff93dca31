import { Module } from '@nestjs/common';
import { ModelVersionsRepository } from './model-versions.repository';
import { ScoringModelsService } from './scoring-models.service';

/** The active scoring and grading models, for everything that evaluates leads. */
@Module({ providers: [ModelVersionsRepository, ScoringModelsService], exports: [ScoringModelsService, ModelVersionsRepository] })
export class ScoringModule {}
