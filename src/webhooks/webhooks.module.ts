import { Global, Module } from '@nestjs/common';
import { LeadsModule } from '../leads/leads.module';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookHttpClient } from './webhook-http.client';
import { WebhookLifecycleListener } from './webhook-lifecycle.listener';
import { WebhookRoutesCache } from './webhook-routes.cache';
import { WebhookSubscriptionsRepository } from './webhook-subscriptions.repository';
import { WebhookSubscriptionsService } from './webhook-subscriptions.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Global so any feature can inject WebhooksService and emit() inside its own transaction. */
@Global()
@Module({
  imports: [LeadsModule],
  controllers: [WebhooksController],
  providers: [
    WebhookSubscriptionsRepository,
    WebhookDeliveriesRepository,
    WebhookRoutesCache,
    WebhooksService,
    WebhookSubscriptionsService,
    WebhookHttpClient,
    WebhookDispatcher,
    WebhookLifecycleListener,
  ],
  exports: [WebhooksService],
})
export class WebhooksModule {}
