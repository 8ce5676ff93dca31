import { Injectable } from '@nestjs/common';
import { ErrorDetail } from '../common/app-error';
import { uuidv7 } from '../common/ids';
import { zodIssuesToDetails } from '../common/zod-validation';
import { TransactionService } from '../database/transaction.service';
import { JobQueue } from '../jobs/job-queue';
import { UpsertLeadInput } from '../leads/lead.schemas';
import { LeadsRepository } from '../leads/leads.repository';
import { EVALUATE_LEADS } from '../lifecycle/lifecycle.jobs';
import { IncomingEvent, IngestReport, eventSchema } from './event.schemas';
import { EventsRepository, NewEvent } from './events.repository';

/**
 * Behaviour in: validate each event on its own, find or create its lead, store it (a repeated
 * idempotency key is a duplicate, stored and scored once), then ask for the lead to be
 * evaluated. Scoring happens after the answer, in the lead's own transaction.
 */
@Injectable()
export class EventsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly events: EventsRepository,
    private readonly leads: LeadsRepository,
    private readonly jobs: JobQueue,
  ) {}

  async ingest(items: unknown[]): Promise<IngestReport> {
    const rejected: { index: number; errors: ErrorDetail[] }[] = [];
    const valid: { index: number; event: IncomingEvent }[] = [];
    items.forEach((item, index) => {
      const parsed = eventSchema.safeParse(item);
      if (parsed.success) valid.push({ index, event: parsed.data });
      else rejected.push({ index, errors: zodIssuesToDetails(parsed.error.issues) });
    });

    const stored = await this.tx.run(async () => {
      const leadOf = await this.resolveLeads(valid.map((v) => v.event));
      const rows: NewEvent[] = [];
      for (const { index, event } of valid) {
        const leadId = leadOf(event);
        if (leadId === undefined) {
          rejected.push({ index, errors: [{ path: 'leadId', message: 'no lead with this id' }] });
          continue;
        }
        rows.push({
          id: uuidv7(),
          leadId,
          visitorId: event.visitorId ?? null,
          type: event.type,
          occurredAt: event.occurredAt ? new Date(event.occurredAt) : new Date(),
          properties: event.properties,
          idempotencyKey: event.idempotencyKey ?? null,
        });
      }
      const inserted = await this.events.insertMany(rows);
      return { attempted: rows.length, inserted };
    });

    // one job for the request's leads: they are evaluated together, in as few transactions as fit
    const leadIds = [...new Set(stored.inserted.map((r) => r.lead_id).filter((id): id is string => id !== null))];
    if (leadIds.length) await this.jobs.enqueue(EVALUATE_LEADS, { leadIds }, { jobId: `ingest-${stored.inserted[0].id}` });
    rejected.sort((a, b) => a.index - b.index);
    return { accepted: stored.inserted.length, duplicates: stored.attempted - stored.inserted.length, rejected };
  }

  /**
   * Returns, per event, its lead id: null for a still anonymous visitor, undefined for an
   * unknown lead id. Unknown emails become leads; profile fields sent along are upserted.
   */
  private async resolveLeads(events: IncomingEvent[]): Promise<(e: IncomingEvent) => string | null | undefined> {
    const profiles = new Map<string, UpsertLeadInput>();
    for (const e of events) {
      if (!e.email) continue;
      const prev = profiles.get(e.email);
      profiles.set(e.email, { ...prev, ...e.lead, email: e.email, attributes: { ...prev?.attributes, ...e.lead?.attributes } });
    }
    for (const p of profiles.values()) if (p.attributes && Object.keys(p.attributes).length === 0) delete p.attributes;
    // Lead ids and emails are looked up together. Only new emails and profile changes are then
    // upserted: an upsert locks every row it meets, even when nothing changes, and would hold
    // known leads locked for the rest of the batch. Rows are upserted in email order so
    // concurrent batches lock shared leads in the same order and cannot deadlock.
    const leadIds = [...new Set(events.flatMap((e) => (e.leadId ? [e.leadId] : [])))];
    const { ids: known, byEmail } = await this.events.findLeads(leadIds, [...profiles.keys()]);
    const upserts = [...profiles.values()].filter((p) => !byEmail.has(p.email) || hasProfileFields(p)).sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
    if (upserts.length) {
      await this.leads.upsertMany(upserts);
      for (const [email, id] of await this.events.leadIdsByEmail(upserts.map((p) => p.email))) byEmail.set(email, id);
    }

    // a visitor seen together with a lead identity is that lead from now on, history included
    const visitorLead = new Map<string, string>();
    for (const e of events) {
      const lead = e.email ? byEmail.get(e.email) : e.leadId && known.has(e.leadId) ? e.leadId : undefined;
      if (e.visitorId && lead && !visitorLead.has(e.visitorId)) visitorLead.set(e.visitorId, await this.events.identify(e.visitorId, lead));
    }
    const anonymous = [...new Set(events.filter((e) => e.visitorId && !e.email && !e.leadId && !visitorLead.has(e.visitorId)).map((e) => e.visitorId!))];
    for (const [v, l] of await this.events.identifiedVisitors(anonymous)) visitorLead.set(v, l);
    await this.events.rememberVisitors(anonymous.filter((v) => !visitorLead.has(v)));

    return (e) => {
      if (e.email) return byEmail.get(e.email) ?? null;
      if (e.leadId) return known.has(e.leadId) ? e.leadId : undefined;
      return visitorLead.get(e.visitorId!) ?? null;
    };
  }
}

/** Whether an upsert could change the lead: anything besides the email was sent. */
function hasProfileFields(p: UpsertLeadInput): boolean {
  return Object.entries(p).some(([k, v]) => k !== 'email' && v !== undefined);
}
