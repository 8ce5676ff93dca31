import { Module } from '@nestjs/common';
import { AssignmentModule } from '../assignment/assignment.module';
import { LeadsModule } from '../leads/leads.module';
import { ReportsModule } from '../reports/reports.module';
import { ScoringModule } from '../scoring/scoring.module';
import { WorkflowsModule } from '../workflows/workflows.module';
import { AppPagesController } from './app-pages.controller';
import { AppPagesService } from './app-pages.service';
import { AuthPagesController } from './auth-pages.controller';
import { AuthPagesService } from './auth-pages.service';
import { DashboardRepository } from './dashboard.repository';
import { DashboardService } from './dashboard.service';
import { WebAccountsModule } from './web-accounts.module';
import { WebErrorFilter } from './web-error.filter';
import { WebLeadsRepository } from './web-leads.repository';
import { WebLeadsService } from './web-leads.service';
import { WebRenderer } from './web-render';
import { WebSessionGuard } from './web-session.guard';
import { SetupAnnouncer } from './setup-announcer.service';

/** The web app under /app: pages over the features' own services (lead insight, reports, workflows, hand-off). */
@Module({
  imports: [WebAccountsModule, LeadsModule, ScoringModule, AssignmentModule, WorkflowsModule, ReportsModule],
  controllers: [AuthPagesController, AppPagesController],
  providers: [
    WebRenderer,
    WebSessionGuard,
    WebErrorFilter,
    DashboardRepository,
    DashboardService,
    WebLeadsRepository,
    WebLeadsService,
    AuthPagesService,
    AppPagesService,
    SetupAnnouncer,
  ],
})
export class WebModule {}
