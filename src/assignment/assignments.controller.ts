import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiZod } from '../common/openapi';
import { ZodPipe } from '../common/zod-validation';
import {
  ListAssignmentsQuery,
  assignBodySchema,
  assignmentPageSchema,
  assignmentViewSchema,
  convertBodySchema,
  disqualifyBodySchema,
  idParamSchema,
  listAssignmentsQuerySchema,
  reassignBodySchema,
  returnBodySchema,
} from './assignment.schemas';
import { AssignmentsQueryService } from './assignments-query.service';

const idPipe = new ZodPipe(idParamSchema);

@ApiTags('sales')
@ApiBearerAuth()
@Controller('v1')
export class AssignmentsController {
  constructor(private readonly q: AssignmentsQueryService) {}

  @Get('assignments')
  @ApiOperation({ summary: 'Assignments, newest first, by lead, rep and status' })
  @ApiZod({ query: listAssignmentsQuerySchema, response: assignmentPageSchema })
  list(@Query(new ZodPipe(listAssignmentsQuerySchema)) query: ListAssignmentsQuery) {
    return this.q.list(query);
  }

  @Post('assignments')
  @ApiOperation({ summary: 'Assign a lead by hand: to a rep, or by the rules' })
  @ApiZod({ body: assignBodySchema, response: assignmentViewSchema, status: 201 })
  assign(@Body(new ZodPipe(assignBodySchema)) body: z.output<typeof assignBodySchema>) {
    return this.q.assign(body.leadId, body.repId);
  }

  @Get('assignments/:id')
  @ApiZod({ response: assignmentViewSchema })
  get(@Param('id', idPipe) id: string) {
    return this.q.get(id);
  }

  @Post('assignments/:id/accept')
  @HttpCode(200)
  @ApiZod({ response: assignmentViewSchema })
  accept(@Param('id', idPipe) id: string) {
    return this.q.act(id, { kind: 'accept' });
  }

  @Post('assignments/:id/return')
  @HttpCode(200)
  @ApiOperation({ summary: 'Hand the lead back to marketing: it loses points and goes back to nurture' })
  @ApiZod({ body: returnBodySchema, response: assignmentViewSchema })
  return(@Param('id', idPipe) id: string, @Body(new ZodPipe(returnBodySchema)) body: z.output<typeof returnBodySchema>) {
    return this.q.act(id, { kind: 'return', ...body });
  }

  @Post('assignments/:id/convert')
  @HttpCode(200)
  @ApiZod({ body: convertBodySchema, response: assignmentViewSchema })
  convert(@Param('id', idPipe) id: string, @Body(new ZodPipe(convertBodySchema)) body: z.output<typeof convertBodySchema>) {
    return this.q.act(id, { kind: 'convert', ...body });
  }

  @Post('assignments/:id/disqualify')
  @HttpCode(200)
  @ApiZod({ body: disqualifyBodySchema, response: assignmentViewSchema })
  disqualify(@Param('id', idPipe) id: string, @Body(new ZodPipe(disqualifyBodySchema)) body: z.output<typeof disqualifyBodySchema>) {
    return this.q.act(id, { kind: 'disqualify', ...body });
  }

  @Post('assignments/:id/reassign')
  @HttpCode(200)
  @ApiOperation({ summary: 'Give the lead to another rep: the one named, or the next by its rule' })
  @ApiZod({ body: reassignBodySchema, response: assignmentViewSchema })
  reassign(@Param('id', idPipe) id: string, @Body(new ZodPipe(reassignBodySchema)) body: z.output<typeof reassignBodySchema>) {
    return this.q.reassign(id, body.repId);
  }

  @Get('assignment')
  @ApiOperation({ summary: 'The active assignment model: settings, regions and rules' })
  model() {
    return this.q.model();
  }

  @Post('assignment/reload')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-read workflows/assignment.yaml; a broken file answers 400 with file:line details and the old model stays' })
  reload() {
    return this.q.reload();
  }
}
