import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { LeadImportService } from './lead-import.service';
import { LeadsController } from './leads.controller';
import { LeadsRepository } from './leads.repository';
import { LeadsService } from './leads.service';

@Module({
  imports: [DeliveryModule],
  controllers: [LeadsController],
  providers: [LeadsRepository, LeadsService, LeadImportService],
  exports: [LeadsRepository, LeadsService],
})
export class LeadsModule {}
