import { Module } from '@nestjs/common';
import { SuppressionsModule } from '../delivery/suppressions.module';
import { LeadImportService } from './lead-import.service';
import { LeadsController } from './leads.controller';
import { LeadsRepository } from './leads.repository';
import { LeadsService } from './leads.service';

@Module({
  imports: [SuppressionsModule],
  controllers: [LeadsController],
  providers: [LeadsRepository, LeadsService, LeadImportService],
  exports: [LeadsRepository, LeadsService],
})
export class LeadsModule {}
