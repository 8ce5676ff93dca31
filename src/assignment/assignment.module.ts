import { Module } from '@nestjs/common';
import { ActivitiesModule } from '../activities/activities.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { WorkflowsModule } from '../workflows/workflows.module';
import { AssignmentModelService } from './assignment-model.service';
import { AssignmentRouter } from './assignment-router.service';
import { AssignmentVersionsRepository } from './assignment-versions.repository';
import { AssignmentService } from './assignment.service';
import { AssignmentSweeper } from './assignment.sweeper';
import { AssignmentsQueryService } from './assignments-query.service';
import { AssignmentsController } from './assignments.controller';
import { AssignmentsRepository } from './assignments.repository';
import { RepActionsController } from './rep-actions.controller';
import { RepActionsService } from './rep-actions.service';
import { RepNotifier } from './rep-notifier.service';
import { RepsController } from './reps.controller';
import { RepsRepository } from './reps.repository';
import { RepsService } from './reps.service';

@Module({
  imports: [ActivitiesModule, DeliveryModule, WorkflowsModule],
  controllers: [RepsController, AssignmentsController, RepActionsController],
  providers: [
    AssignmentVersionsRepository,
    AssignmentsRepository,
    RepsRepository,
    AssignmentModelService,
    RepNotifier,
    AssignmentRouter,
    AssignmentService,
    AssignmentsQueryService,
    RepsService,
    RepActionsService,
    AssignmentSweeper,
  ],
  exports: [AssignmentService, AssignmentModelService],
})
export class AssignmentModule {}
