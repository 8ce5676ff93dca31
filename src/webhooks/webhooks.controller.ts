import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiZod } from '../common/openapi';
import { ZodPipe } from '../common/zod-validation';
import {
  CreateWebhookInput,
  createWebhookSchema,
  deliveryPageSchema,
  ListDeliveriesQuery,
  listDeliveriesQuerySchema,
  PatchWebhookInput,
  patchWebhookSchema,
  testEventResponseSchema,
  webhookIdParamSchema,
  webhookListSchema,
  webhookViewSchema,
  webhookWithSecretSchema,
} from './webhook.schemas';
import { WebhookSubscriptionsService } from './webhook-subscriptions.service';

const idPipe = new ZodPipe(webhookIdParamSchema);

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly subscriptions: WebhookSubscriptionsService) {}

  @Post()
  @ApiOperation({ summary: 'Subscribe an endpoint to event types; the answer holds the signing secret, shown only this once' })
  @ApiZod({ body: createWebhookSchema, response: webhookWithSecretSchema, status: 201 })
  create(@Body(new ZodPipe(createWebhookSchema)) body: CreateWebhookInput) {
    return this.subscriptions.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'All webhook subscriptions (never their secrets)' })
  @ApiZod({ response: webhookListSchema })
  list() {
    return this.subscriptions.list();
  }

  @Get(':id')
  @ApiZod({ response: webhookViewSchema })
  get(@Param('id', idPipe) id: string) {
    return this.subscriptions.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change url, events, description or active; reactivating resumes waiting deliveries' })
  @ApiZod({ body: patchWebhookSchema, response: webhookViewSchema })
  patch(@Param('id', idPipe) id: string, @Body(new ZodPipe(patchWebhookSchema)) body: PatchWebhookInput) {
    return this.subscriptions.patch(id, body);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete the subscription and its delivery log' })
  @ApiZod({ response: z.object({ id: z.uuid(), deleted: z.literal(true) }) })
  delete(@Param('id', idPipe) id: string) {
    return this.subscriptions.delete(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new signing secret (shown only now); the old one keeps signing beside it for 24 hours' })
  @ApiZod({ response: webhookWithSecretSchema })
  rotate(@Param('id', idPipe) id: string) {
    return this.subscriptions.rotateSecret(id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'The delivery log, newest first: status, attempts, last response code and error, next attempt' })
  @ApiZod({ query: listDeliveriesQuerySchema, response: deliveryPageSchema })
  deliveries(@Param('id', idPipe) id: string, @Query(new ZodPipe(listDeliveriesQuerySchema)) query: ListDeliveriesQuery) {
    return this.subscriptions.deliveriesOf(id, query);
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a webhook.test event for this endpoint only; follow it in the delivery log' })
  @ApiZod({ response: testEventResponseSchema, status: 202 })
  test(@Param('id', idPipe) id: string) {
    return this.subscriptions.sendTest(id);
  }
}
