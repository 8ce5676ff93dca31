import { Inject, Injectable, Logger } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { ActivitiesRepository } from '../activities/activities.repository';
import { bearerToken } from '../auth/api-key.rules';
import { ApiKeysService } from '../auth/api-keys.service';
import { normalizeEmail } from '../common/email-address';
import { uuidv7 } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionService } from '../database/transaction.service';
import { LeadsRepository } from '../leads/leads.repository';
import { parseBounceNotices } from './bounce.rules';
import { DeliveryError } from './delivery.error';
import { SuppressionsRepository } from './suppressions.repository';
import { WebhooksService } from '../webhooks/webhooks.service';

export interface BounceReport {
  received: number;
  suppressed: number;
  subscribeUrl?: string;
}

@Injectable()
export class BouncesService {
  private readonly logger = new Logger('Bounces');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: ApiKeysService,
    private readonly tx: TransactionService,
    private readonly suppressions: SuppressionsRepository,
    private readonly leads: LeadsRepository,
    private readonly activities: ActivitiesRepository,
    private readonly webhooks: WebhooksService,
  ) {}

  /** An API key, or BOUNCE_WEBHOOK_TOKEN as ?token= for senders that cannot set headers (Amazon SNS). */
  async authorize(authorization: string | undefined, token: string | undefined): Promise<void> {
    const expected = this.config.bounceWebhookToken;
    if (token !== undefined && expected) {
      const a = Buffer.from(token);
      const b = Buffer.from(expected);
      if (a.length === b.length && timingSafeEqual(a, b)) return;
      throw new DeliveryError('bounce_token_invalid', 'The bounce webhook token is not valid');
    }
    await this.keys.verify(bearerToken(authorization));
  }

  /** Hard bounces and complaints suppress the address; a complaint also unsubscribes the lead. */
  async receive(body: unknown): Promise<BounceReport> {
    const parsed = parseBounceNotices(typeof body === 'string' ? parseJson(body) : body);
    if (!parsed.ok) throw new DeliveryError('bounce_notice_invalid', parsed.message, [{ path: '(body)', message: parsed.message }]);
    if (parsed.subscribeUrl) this.logger.warn(`SNS subscription waiting for confirmation: open ${parsed.subscribeUrl}`);
    let suppressed = 0;
    for (const notice of parsed.notices) {
      await this.tx.run(async () => {
        const email = normalizeEmail(notice.email);
        if (notice.permanent) {
          await this.suppressions.add(email, notice.kind === 'complaint' ? 'complained' : 'bounced');
          suppressed++;
        }
        const lead = await this.leads.findByEmail(email);
        if (!lead) return;
        const unsubscribed = notice.kind === 'complaint' ? await this.leads.markUnsubscribed(lead.id) : undefined;
        if (unsubscribed && !unsubscribed.already) await this.webhooks.emit('lead.unsubscribed', { leadId: lead.id, email, via: 'complaint' });
        if (notice.kind === 'bounce') await this.webhooks.emit('email.bounced', { leadId: lead.id, email, reason: notice.reason, permanent: notice.permanent, source: 'webhook' });
        await this.activities.insertMany([
          {
            id: uuidv7(),
            leadId: lead.id,
            type: notice.kind === 'complaint' ? 'email.complained' : 'email.bounced',
            occurredAt: new Date(),
            properties: { reason: notice.reason, permanent: notice.permanent, source: 'webhook' },
          },
        ]);
      });
    }
    return { received: parsed.notices.length, suppressed, subscribeUrl: parsed.subscribeUrl };
  }
}

/** Amazon SNS posts JSON as text/plain. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DeliveryError('bounce_notice_invalid', 'The body is not JSON', [{ path: '(body)', message: 'is not JSON' }]);
  }
}
