import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator';
import { HealthService } from './health.service';

@ApiTags('operations')
@Public()
@Controller()
export class ObservabilityController {
  constructor(private readonly health: HealthService) {}

  /** 200 when the database and the job queue answer, 503 otherwise. */
  @Get('health')
  @Header('cache-control', 'no-store')
  async check(@Res({ passthrough: true }) reply: FastifyReply) {
    const report = await this.health.report();
    void reply.status(report.status === 'ok' ? 200 : 503);
    return report;
  }

  @Get('metrics')
  @ApiExcludeEndpoint()
  async metrics(@Res() reply: FastifyReply) {
    const { contentType, body } = await this.health.metricsText();
    void reply.header('content-type', contentType).send(body);
  }
}
