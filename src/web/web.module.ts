import { Module } from '@nestjs/common';
import { AssignmentModule } from '../assignment/assignment.module';
import { LeadsModule } from '../leads/leads.module';
import { LeadInsightRepository } from '../lifecycle/lead-insight.repository';
import { LeadInsightService } from '../lifecycle/lead-insight.service';
import { HandoffReportRepository } from '../reports/handoff-report.repository';
import { ReportsService } from '../reports/reports.service';
import { ScoringModule } from '../scoring/scoring.module';
import { EnrollmentsRepository } from '../workflows/enrollments.repository';
import { WorkflowVersionsRepository } from '../workflows/workflow-versions.repository';
import { WorkflowsModule } from '../workflows/workflows.module';
import { WorkflowsService } from '../workflows/workflows.service';
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

/**
 * The web app under /app. Read-side services of other features that their modules do not export
 * (lead insight, hand-off report, a lead's enrollments) are provided here again: they are
 * stateless (repositories over TransactionService), so a second instance changes nothing.
 */
@Module({
  imports: [WebAccountsModule, LeadsModule, ScoringModule, AssignmentModule, WorkflowsModule],
  controllers: [AuthPagesController, AppPagesController],
  providers: [
    LeadInsightRepository,
    LeadInsightService,
    HandoffReportRepository,
    ReportsService,
    EnrollmentsRepository,
    WorkflowVersionsRepository,
    WorkflowsService,
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
