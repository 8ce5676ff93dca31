import { Injectable } from '@nestjs/common';
import { emailHash } from '../common/email-address';
import { TransactionService } from '../database/transaction.service';
import { SuppressionReason } from './suppression.entity';

@Injectable()
export class SuppressionsRepository {
  constructor(private readonly tx: TransactionService) {}

  /** Idempotent: the first reason recorded for an address is kept. */
  async add(email: string, reason: SuppressionReason): Promise<void> {
    await this.tx.manager.query(`INSERT INTO suppressions (email_hash, reason) VALUES ($1, $2) ON CONFLICT (email_hash) DO NOTHING`, [
      emailHash(email),
      reason,
    ]);
  }

  async reasonFor(email: string): Promise<SuppressionReason | undefined> {
    const rows = await this.tx.manager.query<{ reason: SuppressionReason }[]>(`SELECT reason FROM suppressions WHERE email_hash = $1`, [
      emailHash(email),
    ]);
    return rows[0]?.reason;
  }
}
