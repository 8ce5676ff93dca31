import { Injectable } from '@nestjs/common';
import { ActivitiesRepository } from '../activities/activities.repository';
import { uuidv7 } from '../common/ids';
import { TransactionService } from '../database/transaction.service';
import { SendsRepository } from '../delivery/sends.repository';
import { SuppressionsRepository } from '../delivery/suppressions.repository';
import { LeadsRepository } from '../leads/leads.repository';
import { WebhooksService } from '../webhooks/webhooks.service';
import { TrackingError } from './tracking.error';
import { TrackingService } from './tracking.service';

export interface UnsubscribeView {
  maskedEmail: string;
  alreadyUnsubscribed: boolean;
}

/** RFC 8058 one-click unsubscribe: one POST and the lead gets no more marketing mail, from any workflow. */
@Injectable()
export class UnsubscribeService {
  constructor(
    private readonly tx: TransactionService,
    private readonly tracking: TrackingService,
    private readonly sends: SendsRepository,
    private readonly leads: LeadsRepository,
    private readonly suppressions: SuppressionsRepository,
    private readonly activities: ActivitiesRepository,
    private readonly webhooks: WebhooksService,
  ) {}

  async describe(raw: string): Promise<UnsubscribeView> {
    const { sendId } = this.tracking.verify(raw, 'unsubscribe');
    const send = await this.sends.findById(sendId);
    const lead = send ? await this.leads.findById(send.lead_id) : null;
    if (!lead) throw new TrackingError('tracking_link_invalid', 'This unsubscribe link is not valid');
    return { maskedEmail: mask(lead.email), alreadyUnsubscribed: lead.unsubscribedAt !== null };
  }

  async unsubscribe(raw: string, via: 'one-click' | 'page'): Promise<UnsubscribeView> {
    const { sendId } = this.tracking.verify(raw, 'unsubscribe');
    return this.tx.run(async () => {
      const send = await this.sends.findById(sendId);
      const result = send ? await this.leads.markUnsubscribed(send.lead_id) : undefined;
      if (!send || !result) throw new TrackingError('tracking_link_invalid', 'This unsubscribe link is not valid');
      await this.suppressions.add(result.email, 'unsubscribed');
      await this.activities.insertMany([
        { id: uuidv7(), leadId: send.lead_id, type: 'email.unsubscribed', occurredAt: new Date(), sendId, properties: { via }, idempotencyKey: `unsubscribe:${sendId}` },
      ]);
      if (!result.already) await this.webhooks.emit('lead.unsubscribed', { leadId: send.lead_id, email: result.email, via, sendId });
      return { maskedEmail: mask(result.email), alreadyUnsubscribed: result.already };
    });
  }
}

/** "jane.doe@example.com" → "j******e@example.com": enough to recognise, not enough to harvest. */
export function mask(email: string): string {
  const [local, domain] = email.split('@');
  if (!domain) return '***';
  return local.length <= 2 ? `${local[0]}*@${domain}` : `${local[0]}${'*'.repeat(Math.min(6, local.length - 2))}${local[local.length - 1]}@${domain}`;
}
