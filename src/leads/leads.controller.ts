import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiZod } from '../common/openapi';
import { ZodPipe } from '../common/zod-validation';
import { importFormat, LeadImportService } from './lead-import.service';
import {
  eraseResponseSchema,
  leadIdParamSchema,
  leadPageSchema,
  leadViewSchema,
  listLeadsQuerySchema,
  ListLeadsQuery,
  patchLeadSchema,
  PatchLeadInput,
  upsertLeadResponseSchema,
  upsertLeadSchema,
  UpsertLeadInput,
} from './lead.schemas';
import { LeadsService } from './leads.service';

const idPipe = new ZodPipe(leadIdParamSchema);

@ApiTags('leads')
@ApiBearerAuth()
@Controller('v1/leads')
export class LeadsController {
  constructor(
    private readonly leads: LeadsService,
    private readonly importer: LeadImportService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create or update a lead by email (201 when created, 200 when it existed)' })
  @ApiZod({ body: upsertLeadSchema, response: upsertLeadResponseSchema })
  async upsert(@Body(new ZodPipe(upsertLeadSchema)) body: UpsertLeadInput, @Res({ passthrough: true }) reply: FastifyReply) {
    const result = await this.leads.upsert(body);
    void reply.status(result.created ? 201 : 200);
    return result;
  }

  @Get()
  @ApiOperation({ summary: 'List leads, newest first, with filters and cursor pagination' })
  @ApiZod({ query: listLeadsQuerySchema, response: leadPageSchema })
  list(@Query(new ZodPipe(listLeadsQuerySchema)) query: ListLeadsQuery) {
    return this.leads.list(query);
  }

  @Post('import')
  @HttpCode(200)
  @ApiConsumes('text/csv', 'application/json', 'application/x-ndjson')
  @ApiOperation({ summary: 'Import leads from CSV (header row), a JSON array or NDJSON; upsert by email; per-row errors' })
  import(@Req() req: FastifyRequest) {
    return this.importer.import(req.body, importFormat(req.headers['content-type']));
  }

  @Get(':id')
  @ApiZod({ response: leadViewSchema })
  get(@Param('id', idPipe) id: string) {
    return this.leads.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change profile fields; null clears a field; attributes are merged (null removes a key)' })
  @ApiZod({ body: patchLeadSchema, response: leadViewSchema })
  patch(@Param('id', idPipe) id: string, @Body(new ZodPipe(patchLeadSchema)) body: PatchLeadInput) {
    return this.leads.patch(id, body);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'GDPR erase: anonymise the lead and suppress its address for good' })
  @ApiZod({ response: eraseResponseSchema })
  erase(@Param('id', idPipe) id: string) {
    return this.leads.erase(id);
  }
}
