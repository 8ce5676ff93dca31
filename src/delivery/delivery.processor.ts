import { Inject, Injectable, Logger } from '@nestjs/common';
import { ActivitiesRepository } from '../activities/activities.repository';
import { uuidv7 } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TemplateRegistryService } from '../email/template-registry.service';
import { JobHandler } from '../jobs/job-handler.decorator';
import { JobQueue } from '../jobs/job-queue';
import { Lead } from '../leads/lead.entity';
import { toLeadView } from '../leads/lead.view';
import { LeadsRepository } from '../leads/leads.repository';
import { TrackingUrls } from '../tracking/tracking-urls';
import { SEND_EMAIL } from './delivery.jobs';
import { MailTransport } from './mail-transport.service';
import { composeMessage } from './message-composer';
import { nextAttemptAt, sendBlockReason, smtpOutcome } from './send-policy.rules';
import { EmailSendRow, SendsRepository } from './sends.repository';
import { SuppressionsRepository } from './suppressions.repository';

/**
 * One delivery attempt: claim the row, check suppression and consent again (they may have
 * changed since the send was queued), render, store the links, hand the message to SMTP, and
 * record what happened. SMTP 4xx and connection trouble defer the send with backoff until the
 * retry horizon; a 5xx for the recipient bounces it and suppresses the address.
 */
@Injectable()
export class DeliveryProcessor {
  private readonly logger = new Logger('Delivery');
  private readonly urls: TrackingUrls;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sends: SendsRepository,
    private readonly leads: LeadsRepository,
    private readonly suppressions: SuppressionsRepository,
    private readonly activities: ActivitiesRepository,
    private readonly templates: TemplateRegistryService,
    private readonly transport: MailTransport,
    private readonly jobs: JobQueue,
  ) {
    this.urls = new TrackingUrls(config.publicUrl, config.secretKey, config.previousSecretKeys);
  }

  @JobHandler(SEND_EMAIL)
  async deliver({ sendId }: { sendId: string }): Promise<void> {
    // DELIVERY_LEASE_MS: long enough for a slow SMTP conversation; a worker that dies mid-send frees the row after it
    const send = await this.sends.claim(sendId, this.config.deliveryLeaseMs);
    if (!send) return; // already sent, final, not yet due, or being sent by another worker
    const lead = await this.leads.findAnyById(send.lead_id);
    const blocked = sendBlockReason(lead ?? undefined, lead ? await this.suppressions.reasonFor(lead.email) : undefined, send.category);
    if (blocked || !lead) {
      await this.sends.markFinal(send.id, 'suppressed', blocked ?? 'lead-missing');
      return;
    }

    let composed;
    try {
      composed = composeMessage(
        {
          sendId: send.id,
          messageId: send.message_id,
          to: lead.email,
          from: this.config.mail.from,
          category: send.category,
          unsubscribeMailto: this.config.mail.unsubscribeMailto,
          render: ({ unsubscribeUrl, rewriteLink }) =>
            this.templates.render(send.template, { lead: toLeadView(lead), persona: send.persona, extra: send.context, links: { unsubscribe: unsubscribeUrl } }, { rewriteLink }),
        },
        this.urls,
      );
    } catch (e) {
      // a template that cannot render for this lead will not render on retry either
      await this.sends.markFinal(send.id, 'failed', `render: ${(e as Error).message}`);
      this.logger.error({ err: e, sendId: send.id }, 'render failed');
      return;
    }
    await this.sends.saveRendered(send.id, composed.subject, composed.links, composed.version);

    try {
      const result = await this.transport.send(composed.mail, send.id);
      await this.sends.markSent(send.id, result.response);
    } catch (err) {
      await this.failed(send, lead, err as { responseCode?: number; code?: string; response?: string; message?: string });
    }
  }

  private async failed(send: EmailSendRow, lead: Lead, err: { responseCode?: number; code?: string; response?: string; message?: string }): Promise<void> {
    const outcome = smtpOutcome(err);
    if (outcome.kind === 'bounce') {
      await this.sends.markFinal(send.id, 'bounced', outcome.reason);
      await this.suppressions.add(lead.email, 'bounced');
      await this.activities.insertMany([
        { id: uuidv7(), leadId: lead.id, type: 'email.bounced', occurredAt: new Date(), sendId: send.id, properties: { reason: outcome.reason, permanent: true }, idempotencyKey: `bounce:${send.id}` },
      ]);
      this.logger.warn({ sendId: send.id, reason: outcome.reason }, 'hard bounce: address suppressed');
      return;
    }
    const next = nextAttemptAt(send.attempts, send.queued_at, new Date(), this.config.mail.retryHorizonMs, this.config.mail.retryBaseMs);
    if (!next) {
      await this.sends.markFinal(send.id, 'failed', `gave up after ${send.attempts} attempts: ${outcome.reason}`);
      this.logger.error({ sendId: send.id, reason: outcome.reason }, 'delivery failed for good');
      return;
    }
    await this.sends.markDeferred(send.id, outcome.reason, next);
    await this.jobs.enqueue(SEND_EMAIL, { sendId: send.id }, { jobId: `${send.id}.${send.attempts}`, delayMs: next.getTime() - Date.now() });
  }
}
