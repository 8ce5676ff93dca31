import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiZod } from '../common/openapi';
import { ZodPipe } from '../common/zod-validation';
import { HandoffQuery, handoffQuerySchema } from './reports.schemas';
import { ReportsService } from './reports.service';

@ApiTags('reports')
@ApiBearerAuth()
@Controller('v1/reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get('handoff')
  @ApiOperation({ summary: 'Sales hand-off per period and rule, rep, source or persona; acceptanceRate is the MQL accuracy' })
  @ApiZod({ query: handoffQuerySchema })
  handoff(@Query(new ZodPipe(handoffQuerySchema)) q: HandoffQuery) {
    return this.reports.handoff(q);
  }
}
