import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import { ActivitiesModule } from './activities/activities.module';
import { AssignmentModule } from './assignment/assignment.module';
import { AuthModule } from './auth/auth.module';
import { ErrorFilter } from './common/error.filter';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DeliveryModule } from './delivery/delivery.module';
import { EmailModule } from './email/email.module';
import { JobsModule } from './jobs/jobs.module';
import { LeadsModule } from './leads/leads.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { ObservabilityModule } from './observability/observability.module';
import { ReportsModule } from './reports/reports.module';
import { ScoringAdminModule } from './scoring/scoring-admin.module';
import { TrackingModule } from './tracking/tracking.module';
import { WorkflowsModule } from './workflows/workflows.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { WebModule } from './web/web.module';

/** Paths too hot or too dull to log each request of. */
const QUIET_PATHS = /^\/(t\/|health|metrics|docs)/;

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string, extra: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            autoLogging: { ignore: (req) => QUIET_PATHS.test(req.url ?? '') },
            redact: ['req.headers.authorization', 'req.headers.cookie'],
            transport: process.stdout.isTTY && config.env !== 'production' ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
          },
        }),
        DatabaseModule.forRoot(config, databaseUrl),
        JobsModule.forRoot(config),
        ScheduleModule.forRoot(),
        ObservabilityModule,
        AuthModule,
        LeadsModule,
        EmailModule,
        DeliveryModule,
        TrackingModule,
        ActivitiesModule,
        LifecycleModule,
        ScoringAdminModule,
        WorkflowsModule,
        WebhooksModule,
        AssignmentModule,
        ReportsModule,
        WebModule,
        ...extra,
      ],
      providers: [{ provide: APP_FILTER, useClass: ErrorFilter }],
    };
  }
}
