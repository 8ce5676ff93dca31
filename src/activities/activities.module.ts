import { Module } from '@nestjs/common';
import { LeadsModule } from '../leads/leads.module';
import { ActivitiesRepository } from './activities.repository';
import { ActivityWriter } from './activity-writer.service';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';

@Module({
  imports: [LeadsModule],
  controllers: [EventsController],
  providers: [ActivitiesRepository, ActivityWriter, EventsRepository, EventsService],
  exports: [ActivitiesRepository, ActivityWriter],
})
export class ActivitiesModule {}
