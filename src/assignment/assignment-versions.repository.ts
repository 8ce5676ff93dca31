import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';

/** assignment.yaml versions, kept in the table the scoring and grading models use. */
@Injectable()
export class AssignmentVersionsRepository {
  constructor(private readonly tx: TransactionService) {}

  async activate(version: string, source: string, file: string): Promise<void> {
    await this.tx.manager.query(
      `INSERT INTO model_versions (kind, version, source, file) VALUES ('assignment', $1, $2, $3)
       ON CONFLICT (kind, version) DO UPDATE SET activated_at = now()`,
      [version, source, file],
    );
  }

  async active(): Promise<{ version: string; source: string; file: string } | undefined> {
    const [row] = await this.tx.manager.query<{ version: string; source: string; file: string }[]>(
      `SELECT version, source, file FROM model_versions WHERE kind = 'assignment' ORDER BY activated_at DESC LIMIT 1`,
    );
    return row;
  }
}
