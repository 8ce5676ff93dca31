import { Inject, Injectable, Logger } from '@nestjs/common';
import { ActivitiesRepository } from '../activities/activities.repository';
import { uuidv7 } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TemplateRegistryService } from '../email/template-registry.service';
import { JobHandler } from '../jobs/job-handler.decorator';
import { JobQueue } from '../jobs/job-queue';
import { Lead } from '../leads/lead.entity';
import { toLeadView } from '../leads/lead.view';
import { TrackingUrls } from '../tracking/tracking-urls';
import { Coalescer } from './coalescer';
import { SEND_EMAIL } from './delivery.jobs';
import { MailTransport } from './mail-transport.service';
import { composeMessage, formatAddress } from './message-composer';
import { nextAttemptAt, sendBlockReason, smtpOutcome } from './send-policy.rules';
import { DeliverableSend, RenderedSend, SendsRepository, SentSend } from './sends.repository';
import { SuppressionsRepository } from './suppressions.repository';
import { WebhooksService } from '../webhooks/webhooks.service';

/**
 * One delivery attempt: read the send with its lead and suppression, check suppression and
 * consent again (they may have changed since the send was queued), render, claim the row while
 * storing the links (only one worker wins; its links are there before the message leaves), hand
 * the message to SMTP, and record what happened. SMTP 4xx and connection trouble defer the send
 * with backoff until the retry horizon; a 5xx for the recipient bounces it and suppresses the address.
 */
@Injectable()
export class DeliveryProcessor {
  private readonly logger = new Logger('Delivery');
  private readonly urls: TrackingUrls;
  // Concurrent deliveries share their round trips to Postgres: one read and one write (claims
  // with their rendered links, and sends to mark sent) per batch instead of three per send
  private readonly deliverable: Coalescer<string, DeliverableSend | undefined>;
  private readonly writes: Coalescer<DeliveryWrite, number | undefined>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sends: SendsRepository,
    private readonly suppressions: SuppressionsRepository,
    private readonly activities: ActivitiesRepository,
    private readonly templates: TemplateRegistryService,
    private readonly transport: MailTransport,
    private readonly jobs: JobQueue,
    private readonly webhooks: WebhooksService,
  ) {
    this.urls = new TrackingUrls(config.publicUrl, config.secretKey, config.previousSecretKeys);
    // one batch at a time: sends arriving meanwhile wait for the next, so batches grow with the load
    const batch = { maxBatch: 100, maxInFlight: 1 };
    this.deliverable = new Coalescer(async (ids) => firstOfEach(ids, await sends.deliverable(ids), (d) => d.send.id), batch);
    // DELIVERY_LEASE_MS: long enough for a slow SMTP conversation; a worker that dies mid-send frees the row after it
    this.writes = new Coalescer(async (items) => {
      const claims = items.flatMap((w) => (w.claim ? [w.claim] : []));
      const sent = items.flatMap((w) => (w.sent ? [w.sent] : []));
      const taken = firstOfEach(claims.map((c) => c.id), await sends.writeDeliveries(claims, sent, config.deliveryLeaseMs), (c) => c.id);
      let next = 0;
      return items.map((w) => (w.claim ? taken[next++]?.attempts : undefined));
    }, batch);
  }

  @JobHandler(SEND_EMAIL)
  async deliver({ sendId }: { sendId: string }): Promise<void> {
    const due = await this.deliverable.call(sendId);
    if (!due) return; // already sent, final, not yet due, or being sent by another worker
    const { send, lead } = due;
    const blocked = sendBlockReason(lead, due.suppression, send.category);
    if (blocked || !lead) {
      await this.sends.finishUnclaimed(send.id, 'suppressed', blocked ?? 'lead-missing');
      return;
    }
    // internal mail goes to its recipient; the lead is only what it is about
    const address = send.recipient_email ?? lead.email;

    let composed;
    let prepared;
    try {
      composed = composeMessage(
        {
          sendId: send.id,
          messageId: send.message_id,
          to: send.recipient_email ? formatAddress(send.recipient_email, send.recipient_name) : lead.email,
          from: this.config.mail.from,
          category: send.category,
          unsubscribeMailto: this.config.mail.unsubscribeMailto,
          render: ({ unsubscribeUrl, rewriteLink }) =>
            this.templates.render(
              send.template,
              { lead: toLeadView(lead), persona: send.persona, extra: renderExtra(send), links: { unsubscribe: unsubscribeUrl } },
              { rewriteLink },
            ),
        },
        this.urls,
      );
      prepared = this.transport.prepare(composed.mail);
    } catch (e) {
      // a template that cannot render for this lead will not render on retry either
      await this.sends.finishUnclaimed(send.id, 'failed', `render: ${(e as Error).message}`);
      this.logger.error({ err: e, sendId: send.id }, 'render failed');
      return;
    }
    // The claim: exactly one worker gets the send, and its links are stored before the message leaves
    const attempts = await this.writes.call({ claim: { id: send.id, subject: composed.subject, links: composed.links, templateHash: composed.version } });
    if (attempts === undefined) return; // another worker took it since it was read

    let response: string;
    try {
      response = (await this.transport.send(prepared, send.id)).response;
    } catch (err) {
      await this.failed({ ...send, attempts }, lead, address, err as { responseCode?: number; code?: string; response?: string; message?: string });
      return;
    }
    // outside the try: a failed status write must not be taken for an SMTP failure (and deferred into a second send)
    await this.markSent({ id: send.id, response });
  }

  /**
   * The message is out: a send left 'sending' would go again once its lease ran out, so a
   * failing write (a batch shares one statement) is tried a few more times before the job fails.
   */
  private async markSent(sent: SentSend): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.writes.call({ sent });
        return;
      } catch (e) {
        if (attempt >= MARK_SENT_TRIES) throw e;
        this.logger.warn({ err: e, sendId: sent.id, attempt }, 'marking a send sent failed; trying again');
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  private async failed(send: DeliverableSend['send'], lead: Lead, address: string, err: { responseCode?: number; code?: string; response?: string; message?: string }): Promise<void> {
    const outcome = smtpOutcome(err);
    if (outcome.kind === 'bounce') {
      await this.sends.markFinal(send.id, 'bounced', outcome.reason);
      await this.suppressions.add(address, 'bounced');
      if (send.category === 'internal') {
        // a colleague's address bounced: nothing the lead did
        this.logger.warn({ sendId: send.id, reason: outcome.reason }, 'internal recipient bounced: address suppressed');
        return;
      }
      await this.activities.insertMany([
        { id: uuidv7(), leadId: lead.id, type: 'email.bounced', occurredAt: new Date(), sendId: send.id, properties: { reason: outcome.reason, permanent: true }, idempotencyKey: `bounce:${send.id}` },
      ]);
      await this.webhooks.emit('email.bounced', { leadId: lead.id, sendId: send.id, email: address, reason: outcome.reason, permanent: true, source: 'smtp' });
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

/** The template context beyond the lead: the send's data, and who an internal send is addressed to. */
function renderExtra(send: DeliverableSend['send']): Record<string, unknown> {
  return send.recipient_email ? { recipient: { email: send.recipient_email, name: send.recipient_name }, ...send.context } : send.context;
}

const MARK_SENT_TRIES = 4;

/** One delivery's write: taking a rendered send (resolves to its attempt count, undefined if not taken), or marking it sent. */
type DeliveryWrite = { claim: RenderedSend; sent?: undefined } | { sent: SentSend; claim?: undefined };

/**
 * Matches a batch's results to its items by id. Two jobs for one send in the same batch (a sweep
 * beside the first job) must not both go ahead: only the first of them gets the result.
 */
function firstOfEach<R>(ids: string[], results: R[], idOf: (r: R) => string): (R | undefined)[] {
  const byId = new Map(results.map((r) => [idOf(r), r]));
  return ids.map((id) => {
    const r = byId.get(id);
    byId.delete(id);
    return r;
  });
}
