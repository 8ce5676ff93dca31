import { Body, Controller, Delete, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiZod } from '../common/openapi';
import { ZodPipe } from '../common/zod-validation';
import { CreateRepInput, PatchRepInput, createRepSchema, idParamSchema, patchRepSchema, repViewSchema } from './assignment.schemas';
import { RepsService } from './reps.service';

const idPipe = new ZodPipe(idParamSchema);

@ApiTags('sales')
@ApiBearerAuth()
@Controller('v1/reps')
export class RepsController {
  constructor(private readonly reps: RepsService) {}

  @Get()
  @ApiOperation({ summary: 'Reps with their open load' })
  @ApiZod({ response: z.object({ data: z.array(repViewSchema) }) })
  list() {
    return this.reps.list();
  }

  @Post()
  @ApiZod({ body: createRepSchema, response: repViewSchema, status: 201 })
  create(@Body(new ZodPipe(createRepSchema)) body: CreateRepInput) {
    return this.reps.create(body);
  }

  @Get(':id')
  @ApiZod({ response: repViewSchema })
  get(@Param('id', idPipe) id: string) {
    return this.reps.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a rep (e.g. awayUntil, capacity, active)' })
  @ApiZod({ body: patchRepSchema, response: repViewSchema })
  update(@Param('id', idPipe) id: string, @Body(new ZodPipe(patchRepSchema)) body: PatchRepInput) {
    return this.reps.update(id, body);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a rep; one who ever had a lead is deactivated instead, to keep the history' })
  remove(@Param('id', idPipe) id: string) {
    return this.reps.remove(id);
  }
}
