import { Inject, Injectable } from '@nestjs/common';
import { normalizeEmail } from '../common/email-address';
import { uuidv7 } from '../common/ids';
import { zodIssuesToDetails } from '../common/zod-validation';
import { APP_CONFIG, AppConfig, mailDomain } from '../config/app-config';
import { TransactionService } from '../database/transaction.service';
import { JobQueue } from '../jobs/job-queue';
import { LeadsRepository } from '../leads/leads.repository';
import { DeliveryError } from './delivery.error';
import { SEND_EMAIL } from './delivery.jobs';
import { SendRecipient, SendView, sendRecipientSchema } from './send.schemas';
import { Coalescer } from './coalescer';
import { EmailSendRow, NewSend, SendsRepository } from './sends.repository';
import { SendCategory } from './send-policy.rules';

export interface QueueSendRequest {
  /** the lead the mail is about: its recipient, except for internal sends */
  leadId: string;
  template: string;
  persona?: string;
  /** default 'marketing'; 'internal' needs `recipient` and is sent untracked (see SendCategory) */
  category?: SendCategory;
  /** internal sends only: who gets the message (a rep), instead of the lead */
  recipient?: { email: string; name?: string };
  /** the exactly-once key: a workflow step, or an explicit idempotency key */
  enrollment?: { id: string; stepKey: string };
  idempotencyKey?: string;
  data?: Record<string, unknown>;
}

export type StageRequest = QueueSendRequest & { priority?: number; queuedAt?: Date };

/** The one way anything (API, workflows, hand-off) asks for an email to be sent. */
@Injectable()
export class SendsService {
  private readonly domain: string;
  /** sends queued outside any transaction (API calls, fan-outs) share one INSERT and one commit per batch */
  private readonly inserts: Coalescer<NewSend, EmailSendRow | undefined>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly sends: SendsRepository,
    private readonly leads: LeadsRepository,
    private readonly jobs: JobQueue,
    private readonly tx: TransactionService,
  ) {
    this.domain = mailDomain(config.mail.from);
    this.inserts = new Coalescer(
      async (batch) => {
        const byId = new Map((await sends.insertManyForLiveLeads(batch)).map((r) => [r.id, r]));
        return batch.map((s) => byId.get(s.id));
      },
      // one INSERT at a time: callers arriving meanwhile share the next one, so a burst costs few commits
      { maxBatch: 200, maxInFlight: 1 },
    );
  }

  /** Stores the send once per key and schedules delivery; a repeat returns the first send. */
  async queue(req: QueueSendRequest): Promise<{ send: SendView; created: boolean }> {
    const { row, created } = await this.stage(req);
    if (created) await this.deliver([row.id]);
    return { send: toSendView(row), created };
  }

  /**
   * Stores the send row only, inside the caller's transaction (a workflow step and its send
   * commit together); the caller hands the ids to `deliver` after commit.
   */
  async stage(req: StageRequest): Promise<{ row: EmailSendRow; created: boolean }> {
    const send = this.newSend(req);
    // The lead check rides on the INSERT; only a send that was not inserted costs more queries.
    // Inside the caller's transaction the row must commit with it, so it is not batched.
    const inserted = this.tx.inTransaction ? await this.sends.insertForLiveLead(send) : await this.inserts.call(send);
    return inserted ? { row: inserted, created: true } : this.existing(send);
  }

  /**
   * stage() for many sends in one INSERT, inside the caller's transaction: a caller that stages
   * a batch (the hand-off, one rep notification per assignment) pays one round trip, not one per send.
   */
  async stageMany(reqs: readonly StageRequest[]): Promise<{ row: EmailSendRow; created: boolean }[]> {
    if (!reqs.length) return [];
    const sends = reqs.map((r) => this.newSend(r));
    const inserted = new Map((await this.sends.insertManyForLiveLeads(sends)).map((r) => [r.id, r]));
    const out: { row: EmailSendRow; created: boolean }[] = [];
    for (const send of sends) {
      const row = inserted.get(send.id);
      out.push(row ? { row, created: true } : await this.existing(send));
    }
    return out;
  }

  private newSend(req: StageRequest): NewSend {
    if (!req.enrollment && !req.idempotencyKey) throw new Error('a send needs an enrollment step or an idempotency key');
    const category = req.category ?? 'marketing';
    const id = uuidv7();
    return {
      id,
      leadId: req.leadId,
      template: req.template,
      persona: req.persona,
      category,
      recipient: recipientFor(category, req.recipient),
      enrollmentId: req.enrollment?.id,
      stepKey: req.enrollment?.stepKey,
      idempotencyKey: req.idempotencyKey,
      // stable across retries, so a receiver that saw a half-finished attempt can drop the repeat
      messageId: `<${id}@${this.domain}>`,
      context: req.data,
      priority: req.priority,
      queuedAt: req.queuedAt,
    };
  }

  /** A send that was not inserted: a repeat of its key (the first send wins), or its lead is missing. */
  private async existing(send: NewSend): Promise<{ row: EmailSendRow; created: false }> {
    if (!(await this.leads.findById(send.leadId))) throw new DeliveryError('lead_not_found', `No lead with id ${send.leadId}`);
    const row = await this.sends.findByKey(send);
    if (!row) throw new Error(`send ${send.id} conflicted but no existing row was found`);
    return { row, created: false };
  }

  async deliver(sendIds: string[]): Promise<void> {
    if (sendIds.length) await this.jobs.enqueueMany(SEND_EMAIL, sendIds.map((sendId) => ({ payload: { sendId }, opts: { jobId: sendId } })));
  }

  async get(id: string): Promise<SendView> {
    const row = await this.sends.findById(id);
    if (!row) throw new DeliveryError('send_not_found', `No send with id ${id}`);
    return toSendView(row);
  }
}

/** Internal mail must name its recipient; anything else goes to the lead and must not name one. */
function recipientFor(category: SendCategory, recipient: QueueSendRequest['recipient']): SendRecipient | undefined {
  if (category !== 'internal') {
    if (recipient) throw new DeliveryError('send_recipient_invalid', `A ${category} send goes to its lead; only internal sends take a recipient`);
    return undefined;
  }
  if (!recipient) throw new DeliveryError('send_recipient_invalid', 'An internal send needs a recipient', [{ path: 'recipient', message: 'required' }]);
  const parsed = sendRecipientSchema.safeParse(recipient);
  if (!parsed.success) throw new DeliveryError('send_recipient_invalid', 'Invalid recipient for an internal send', zodIssuesToDetails(parsed.error.issues, 'recipient'));
  // stored normalised like lead addresses: suppressions are looked up by the normalised address
  return { ...parsed.data, email: normalizeEmail(parsed.data.email) };
}

export function toSendView(r: EmailSendRow): SendView {
  return {
    id: r.id,
    leadId: r.lead_id,
    template: r.template,
    status: r.status,
    messageId: r.message_id,
    subject: r.subject,
    attempts: r.attempts,
    lastError: r.last_error,
    queuedAt: r.queued_at.toISOString(),
    sentAt: r.sent_at?.toISOString() ?? null,
  };
}
