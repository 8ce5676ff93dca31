import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiZod } from '../common/openapi';
import { ZodPipe } from '../common/zod-validation';
import { leadIdParamSchema } from '../leads/lead.schemas';
import { WorkflowsService } from './workflows.service';

const keyPipe = new ZodPipe(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a workflow key'));
const enrollSchema = z.object({ leadIds: z.array(z.uuid()).min(1).max(10_000) }).strict();

@ApiTags('workflows')
@ApiBearerAuth()
@Controller()
export class WorkflowsController {
  constructor(private readonly workflows: WorkflowsService) {}

  @Get('v1/workflows')
  @ApiOperation({ summary: 'Workflows with status and enrollment counts, and problems of files that did not load' })
  list() {
    return this.workflows.list();
  }

  @Get('v1/workflows/:key')
  @ApiOperation({ summary: 'A workflow: version, trigger, steps with the number of leads waiting at each' })
  get(@Param('key', keyPipe) key: string) {
    return this.workflows.get(key);
  }

  @Post('v1/workflows/:key/enroll')
  @HttpCode(200)
  @ApiZod({ body: enrollSchema })
  enroll(@Param('key', keyPipe) key: string, @Body(new ZodPipe(enrollSchema)) body: z.output<typeof enrollSchema>) {
    return this.workflows.enroll(key, body.leadIds);
  }

  @Post('v1/workflows/:key/pause')
  @HttpCode(200)
  pause(@Param('key', keyPipe) key: string) {
    return this.workflows.setPaused(key, true);
  }

  @Post('v1/workflows/:key/resume')
  @HttpCode(200)
  resume(@Param('key', keyPipe) key: string) {
    return this.workflows.setPaused(key, false);
  }

  @Post('v1/workflows/:key/migrate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move waiting enrollments on older versions to the active version, matching steps by id' })
  migrate(@Param('key', keyPipe) key: string) {
    return this.workflows.migrate(key);
  }

  @Get('v1/leads/:id/enrollments')
  @ApiOperation({ summary: "A lead's enrollments and why each waits" })
  forLead(@Param('id', new ZodPipe(leadIdParamSchema)) id: string) {
    return this.workflows.forLead(id);
  }
}
