import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';
import { SuppressionsRepository } from '../delivery/suppressions.repository';
import { JobQueue } from '../jobs/job-queue';
import { EVALUATE_LEAD } from '../lifecycle/lifecycle.jobs';
import { LeadError } from './lead.error';
import { ListLeadsQuery, LeadView, PatchLeadInput, UpsertLeadInput } from './lead.schemas';
import { toLeadView } from './lead.view';
import { LeadsRepository } from './leads.repository';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class LeadsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly leads: LeadsRepository,
    private readonly suppressions: SuppressionsRepository,
    private readonly jobs: JobQueue,
  ) {}

  async upsert(input: UpsertLeadInput): Promise<{ lead: LeadView; created: boolean }> {
    const outcome = await this.leads.upsertMany([input]);
    const lead = await this.leads.findByEmail(input.email);
    if (!lead) throw new LeadError('lead_not_found', `Lead ${input.email} vanished during the upsert`);
    // grade, persona and the content track follow at once (imports leave this to the sweeper)
    if (outcome.rows.length) await this.jobs.enqueue(EVALUATE_LEAD, { leadId: lead.id }, { jobId: lead.id });
    return { lead: toLeadView(lead), created: outcome.created === 1 };
  }

  async get(id: string): Promise<LeadView> {
    const lead = await this.leads.findById(id);
    if (!lead) throw notFound(id);
    return toLeadView(lead);
  }

  async list(query: ListLeadsQuery): Promise<{ data: LeadView[]; nextCursor: string | null }> {
    const rows = await this.leads.list(query);
    return { data: rows.map(toLeadView), nextCursor: rows.length === query.limit ? rows[rows.length - 1].id : null };
  }

  async patch(id: string, patch: PatchLeadInput): Promise<LeadView> {
    try {
      const lead = await this.leads.patch(id, patch);
      if (!lead) throw notFound(id);
      await this.jobs.enqueue(EVALUATE_LEAD, { leadId: id }, { jobId: id });
      return toLeadView(lead);
    } catch (e) {
      if ((e as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) {
        throw new LeadError('lead_email_taken', `Another lead already has the email ${patch.email}`, [
          { path: 'email', message: 'is already used by another lead' },
        ]);
      }
      throw e;
    }
  }

  /** GDPR erase: the address goes on the suppression list (as a hash) and the profile is anonymised. */
  erase(id: string): Promise<{ id: string; erasedAt: string }> {
    return this.tx.run(async () => {
      const lead = await this.leads.lockForErase(id);
      if (!lead) throw notFound(id);
      await this.suppressions.add(lead.email, 'erased');
      const erasedAt = await this.leads.anonymise(id);
      return { id, erasedAt: erasedAt.toISOString() };
    });
  }
}

function notFound(id: string): LeadError {
  return new LeadError('lead_not_found', `No lead with id ${id}`);
}
