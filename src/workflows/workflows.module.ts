import { Module } from '@nestjs/common';
import { ActivitiesModule } from '../activities/activities.module';
import { Clock } from '../common/clock';
import { DeliveryModule } from '../delivery/delivery.module';
import { EmailModule } from '../email/email.module';
import { LeadsModule } from '../leads/leads.module';
import { EnrollmentsRepository } from './enrollments.repository';
import { LeadViewRepository } from './lead-view.repository';
import { WorkflowEngine } from './workflow-engine.service';
import { WorkflowRegistryService } from './workflow-registry.service';
import { WorkflowScheduler } from './workflow-scheduler.service';
import { WorkflowVersionsRepository } from './workflow-versions.repository';
import { WorkflowsController } from './workflows.controller';
import { WorkflowsService } from './workflows.service';

@Module({
  imports: [ActivitiesModule, DeliveryModule, EmailModule, LeadsModule],
  controllers: [WorkflowsController],
  providers: [Clock, EnrollmentsRepository, LeadViewRepository, WorkflowVersionsRepository, WorkflowRegistryService, WorkflowEngine, WorkflowScheduler, WorkflowsService],
  exports: [WorkflowRegistryService, WorkflowEngine, WorkflowsService, Clock],
})
export class WorkflowsModule {}
