import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiZod } from '../common/openapi';
import { ZodPipe } from '../common/zod-validation';
import { leadIdParamSchema } from '../leads/lead.schemas';
import { LeadInsightService } from './lead-insight.service';

const scoreQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict();
const timelineQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(100), before: z.iso.datetime({ offset: true }).optional().describe('nextBefore of the previous page') })
  .strict();

@ApiTags('leads')
@ApiBearerAuth()
@Controller('v1/leads/:id')
export class LeadInsightController {
  constructor(private readonly insight: LeadInsightService) {}

  @Get('score')
  @ApiOperation({ summary: 'Score per dimension, grade and persona with their reasons, stage, temperature, and the ledger of changes' })
  @ApiZod({ query: scoreQuery })
  score(@Param('id', new ZodPipe(leadIdParamSchema)) id: string, @Query(new ZodPipe(scoreQuery)) q: z.output<typeof scoreQuery>) {
    return this.insight.score(id, q.limit);
  }

  @Get('timeline')
  @ApiOperation({ summary: 'Activities, score changes, transitions and emails, newest first' })
  @ApiZod({ query: timelineQuery })
  timeline(@Param('id', new ZodPipe(leadIdParamSchema)) id: string, @Query(new ZodPipe(timelineQuery)) q: z.output<typeof timelineQuery>) {
    return this.insight.timeline(id, q.limit, q.before);
  }
}
