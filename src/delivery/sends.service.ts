import { Inject, Injectable } from '@nestjs/common';
import { uuidv7 } from '../common/ids';
import { APP_CONFIG, AppConfig, mailDomain } from '../config/app-config';
import { JobQueue } from '../jobs/job-queue';
import { LeadsRepository } from '../leads/leads.repository';
import { DeliveryError } from './delivery.error';
import { SEND_EMAIL } from './delivery.jobs';
import { SendView } from './send.schemas';
import { EmailSendRow, SendsRepository } from './sends.repository';
import { SendCategory } from './send-policy.rules';

export interface QueueSendRequest {
  leadId: string;
  template: string;
  persona?: string;
  category?: SendCategory;
  /** the exactly-once key: a workflow step, or an explicit idempotency key */
  enrollment?: { id: string; stepKey: string };
  idempotencyKey?: string;
  data?: Record<string, unknown>;
}

/** The one way anything (API, workflows, hand-off) asks for an email to be sent. */
@Injectable()
export class SendsService {
  private readonly domain: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly sends: SendsRepository,
    private readonly leads: LeadsRepository,
    private readonly jobs: JobQueue,
  ) {
    this.domain = mailDomain(config.mail.from);
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
  async stage(req: QueueSendRequest & { priority?: number; queuedAt?: Date }): Promise<{ row: EmailSendRow; created: boolean }> {
    if (!req.enrollment && !req.idempotencyKey) throw new Error('a send needs an enrollment step or an idempotency key');
    const id = uuidv7();
    const send = {
      id,
      leadId: req.leadId,
      template: req.template,
      persona: req.persona,
      category: req.category ?? 'marketing',
      enrollmentId: req.enrollment?.id,
      stepKey: req.enrollment?.stepKey,
      idempotencyKey: req.idempotencyKey,
      // stable across retries, so a receiver that saw a half-finished attempt can drop the repeat
      messageId: `<${id}@${this.domain}>`,
      context: req.data,
      priority: req.priority,
      queuedAt: req.queuedAt,
    };
    // The lead check rides on the INSERT; only a send that was not inserted costs more queries
    const inserted = await this.sends.insertForLiveLead(send);
    if (inserted) return { row: inserted, created: true };
    if (!(await this.leads.findById(req.leadId))) throw new DeliveryError('lead_not_found', `No lead with id ${req.leadId}`);
    const row = await this.sends.findByKey(send);
    if (!row) throw new Error(`send ${id} conflicted but no existing row was found`);
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
