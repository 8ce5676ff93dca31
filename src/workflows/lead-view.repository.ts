import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';
import { LeadProfileRow, leadProfile } from '../leads/lead-profile';
import { LeadView } from './workflow.types';

export type WorkflowLead = LeadView & { id: string; email: string };

const SELECT = `SELECT l.*, s.reason AS suppression FROM leads l
  LEFT JOIN suppressions s ON s.email_hash = encode(sha256(convert_to(l.email, 'UTF8')), 'hex')`;

/** The lead as workflows see it: profile, computed state and what bars it from marketing. */
@Injectable()
export class LeadViewRepository {
  constructor(private readonly tx: TransactionService) {}

  async get(leadId: string): Promise<WorkflowLead | undefined> {
    const [r] = await this.tx.manager.query<Record<string, unknown>[]>(`${SELECT} WHERE l.id = $1`, [leadId]);
    return r ? toView(r) : undefined;
  }

  async getMany(leadIds: readonly string[]): Promise<Map<string, WorkflowLead>> {
    const rows = await this.tx.manager.query<Record<string, unknown>[]>(`${SELECT} WHERE l.id = ANY($1::uuid[])`, [leadIds]);
    return new Map(rows.map((r) => [r.id as string, toView(r)]));
  }
}

function toView(r: Record<string, unknown>): WorkflowLead {
  return {
    ...leadProfile(r as unknown as LeadProfileRow),
    id: r.id as string,
    email: r.email as string,
    score: Number(r.score),
    grade: r.grade as string | null,
    persona: r.persona as string | null,
    temperature: r.temperature as string,
    stage: r.stage as string,
    unsubscribedAt: r.unsubscribed_at as Date | null,
    erasedAt: r.erased_at as Date | null,
    suppression: r.suppression as string | null,
    ownerId: r.owner_id as string | null,
  };
}
