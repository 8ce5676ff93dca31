import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';
import { LeadProfileRow, leadProfile } from '../leads/lead-profile';
import { LeadView } from './workflow.types';

/** The lead as workflows see it: profile, computed state and what bars it from marketing. */
@Injectable()
export class LeadViewRepository {
  constructor(private readonly tx: TransactionService) {}

  async get(leadId: string): Promise<(LeadView & { id: string; email: string }) | undefined> {
    const [r] = await this.tx.manager.query<Record<string, unknown>[]>(
      `SELECT l.*, s.reason AS suppression FROM leads l
       LEFT JOIN suppressions s ON s.email_hash = encode(sha256(convert_to(l.email, 'UTF8')), 'hex')
       WHERE l.id = $1`,
      [leadId],
    );
    if (!r) return undefined;
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
      // sales ownership arrives with the hand-off; until then no lead is sales-owned
      ownerId: null,
    };
  }
}
