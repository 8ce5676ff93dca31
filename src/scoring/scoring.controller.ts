import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiZod } from '../common/openapi';
import { ZodPipe } from '../common/zod-validation';
import { ScoringAdminService } from './scoring-admin.service';
import { SimulationService } from './simulation.service';

const simulateSchema = z
  .object({
    scoring: z.string().max(1_000_000).optional().describe('a candidate scoring.yaml'),
    grading: z.string().max(1_000_000).optional().describe('a candidate grading.yaml'),
    sample: z.number().int().min(0).max(500).default(20),
  })
  .strict()
  .refine((b) => b.scoring !== undefined || b.grading !== undefined, 'send a candidate scoring and/or grading model');
const reloadSchema = z.object({ rescore: z.boolean().default(false).describe('rescore every lead from its history under the new model') }).strict();

@ApiTags('scoring')
@ApiBearerAuth()
@Controller('v1/scoring')
export class ScoringController {
  constructor(
    private readonly simulation: SimulationService,
    private readonly admin: ScoringAdminService,
  ) {}

  @Get('models')
  @ApiOperation({ summary: 'Active scoring and grading model versions, and their history' })
  models() {
    return this.admin.listModels();
  }

  @Post('simulate')
  @HttpCode(200)
  @ApiOperation({ summary: 'What-if: replay the stored history under a candidate model; nothing is written' })
  @ApiZod({ body: simulateSchema })
  simulate(@Body(new ZodPipe(simulateSchema)) body: z.output<typeof simulateSchema>) {
    return this.simulation.simulate(body, { sample: body.sample });
  }

  @Post('reload')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-read workflows/scoring.yaml and grading.yaml; by default changes apply from now on' })
  @ApiZod({ body: reloadSchema })
  reload(@Body(new ZodPipe(reloadSchema)) body: z.output<typeof reloadSchema>) {
    return this.admin.reload(body.rescore);
  }
}
