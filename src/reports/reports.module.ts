import { Module } from '@nestjs/common';
import { HandoffReportRepository } from './handoff-report.repository';
import { ReportsController } from './reports.controller';
import { ReportsService } from './reports.service';

@Module({
  controllers: [ReportsController],
  providers: [HandoffReportRepository, ReportsService],
  exports: [ReportsService],
})
export class ReportsModule {}
