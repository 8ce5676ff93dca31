import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { Public } from '../auth/public.decorator';
import { ApiZod } from '../common/openapi';
import { ZodPipe } from '../common/zod-validation';
import { BouncesService } from './bounces.service';
import { CreateSendInput, createSendSchema, sendViewSchema } from './send.schemas';
import { SendsService } from './sends.service';

const sendIdPipe = new ZodPipe(z.uuid('must be a send id (UUID)'));

@ApiTags('delivery')
@ApiBearerAuth()
@Controller('v1')
export class DeliveryController {
  constructor(
    private readonly sends: SendsService,
    private readonly bounces: BouncesService,
  ) {}

  @Post('sends')
  @ApiOperation({ summary: 'Queue one personalised email through the delivery path (202; a repeated idempotencyKey returns the first send)' })
  @ApiZod({ body: createSendSchema, response: z.object({ send: sendViewSchema, created: z.boolean() }), status: 202 })
  async create(@Body(new ZodPipe(createSendSchema)) body: CreateSendInput, @Res({ passthrough: true }) reply: FastifyReply) {
    void reply.status(202);
    return this.sends.queue({ ...body, idempotencyKey: body.idempotencyKey });
  }

  @Get('sends/:id')
  @ApiZod({ response: sendViewSchema })
  get(@Param('id', sendIdPipe) id: string) {
    return this.sends.get(id);
  }

  @Post('webhooks/bounces')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Bounce and complaint notices: {type:"bounce"|"complaint", email, bounceType?:"hard"|"soft", reason?} (or an array), or Amazon SES via SNS',
    description: 'Authenticate with an API key, or with ?token=BOUNCE_WEBHOOK_TOKEN where the sender cannot set headers.',
  })
  async bounce(@Headers('authorization') authorization: string | undefined, @Query('token') token: string | undefined, @Body() body: unknown) {
    await this.bounces.authorize(authorization, token);
    return this.bounces.receive(body);
  }
}
