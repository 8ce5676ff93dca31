import { Module } from '@nestjs/common';
import { ActivitiesModule } from '../activities/activities.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { EmailModule } from '../email/email.module';
import { LeadsModule } from '../leads/leads.module';
import { SendLookup } from './send-lookup.service';
import { TrackingController } from './tracking.controller';
import { TrackingRoutes } from './tracking.routes';
import { TrackingService } from './tracking.service';
import { UnsubscribeService } from './unsubscribe.service';

@Module({
  imports: [ActivitiesModule, DeliveryModule, LeadsModule, EmailModule],
  controllers: [TrackingController],
  providers: [TrackingService, TrackingRoutes, UnsubscribeService, SendLookup],
  exports: [TrackingService],
})
export class TrackingModule {}
