import { Module } from '@nestjs/common';
import { ActivitiesModule } from '../activities/activities.module';
import { EmailModule } from '../email/email.module';
import { LeadsModule } from '../leads/leads.module';
import { BouncesService } from './bounces.service';
import { DeliveryController } from './delivery.controller';
import { DeliveryProcessor } from './delivery.processor';
import { DeliverySweeper } from './delivery.sweeper';
import { MailTransport } from './mail-transport.service';
import { OutboxController } from './outbox.controller';
import { OutboxService } from './outbox.service';
import { SendsRepository } from './sends.repository';
import { SendsService } from './sends.service';
import { SuppressionsModule } from './suppressions.module';

@Module({
  imports: [ActivitiesModule, EmailModule, LeadsModule, SuppressionsModule],
  controllers: [DeliveryController, OutboxController],
  providers: [SendsRepository, SendsService, DeliveryProcessor, DeliverySweeper, MailTransport, BouncesService, OutboxService],
  exports: [SendsRepository, SendsService, SuppressionsModule],
})
export class DeliveryModule {}
