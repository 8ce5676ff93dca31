import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';
import { LeadProfileRow, leadProfile } from '../leads/lead-profile';
import { ScorableEvent } from './scoring.rules';

export interface HistoryLead {
  id: string;
  email: string;
  createdAt: Date;
  profile: Record<string, unknown>;
  activities: ScorableEvent[];
}

/** Reads leads with their whole history, a page at a time, for replays. */
@Injectable()
export class SimulationRepository {
  constructor(private readonly tx: TransactionService) {}

  async page(afterId: string | null, limit: number): Promise<HistoryLead[]> {
    const leads = await this.tx.manager.query<(LeadProfileRow & { id: string; created_at: Date })[]>(
      `SELECT id, email, created_at, first_name, last_name, company, job_title, industry, company_size, country, timezone, locale, source, attributes, consent
       FROM leads WHERE erased_at IS NULL AND ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2`,
      [afterId, limit],
    );
    if (!leads.length) return [];
    const acts = await this.tx.manager.query<{ lead_id: string; id: string; type: string; occurred_at: Date; properties: Record<string, unknown>; classification: string | null }[]>(
      `SELECT lead_id, id, type, occurred_at, properties, classification FROM activities WHERE lead_id = ANY($1::uuid[]) ORDER BY occurred_at, id`,
      [leads.map((l) => l.id)],
    );
    const byLead = new Map<string, ScorableEvent[]>();
    for (const a of acts) {
      const list = byLead.get(a.lead_id) ?? [];
      list.push({ id: a.id, type: a.type, occurredAt: a.occurred_at, properties: a.properties, classification: a.classification });
      byLead.set(a.lead_id, list);
    }
    return leads.map((l) => ({
      id: l.id,
      email: l.email,
      createdAt: l.created_at,
      profile: leadProfile(l),
      activities: byLead.get(l.id) ?? [],
    }));
  }
}
