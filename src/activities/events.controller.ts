import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiZod } from '../common/openapi';
import { ZodPipe } from '../common/zod-validation';
import { eventSchema, eventsBodySchema, ingestResponseSchema } from './event.schemas';
import { EventsService } from './events.service';
import { z } from 'zod';

@ApiTags('events')
@ApiBearerAuth()
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Send behaviour in: one event, or {events: [...]} (up to 1,000); bad items are rejected by index, the rest accepted' })
  @ApiZod({ body: z.union([eventSchema, z.object({ events: z.array(eventSchema) })]), response: ingestResponseSchema, status: 202 })
  ingest(@Body(new ZodPipe(eventsBodySchema)) body: Record<string, unknown>) {
    return this.events.ingest(Array.isArray(body.events) ? body.events : [body]);
  }
}
