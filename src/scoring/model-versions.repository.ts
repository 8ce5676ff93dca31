import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';

export type ModelKind = 'scoring' | 'grading';

export interface StoredModel {
  kind: ModelKind;
  version: string;
  source: string;
  file: string;
}

@Injectable()
export class ModelVersionsRepository {
  constructor(private readonly tx: TransactionService) {}

  /** Keeps every distinct version; activating one makes it the model of every process. */
  async activate(m: StoredModel): Promise<void> {
    await this.tx.manager.query(
      `INSERT INTO model_versions (kind, version, source, file) VALUES ($1, $2, $3, $4)
       ON CONFLICT (kind, version) DO UPDATE SET activated_at = now()`,
      [m.kind, m.version, m.source, m.file],
    );
  }

  async active(): Promise<StoredModel[]> {
    return this.tx.manager.query(
      `SELECT DISTINCT ON (kind) kind, version, source, file FROM model_versions WHERE kind IN ('scoring', 'grading') ORDER BY kind, activated_at DESC`,
    );
  }

  async history(kind: ModelKind): Promise<{ version: string; file: string; loaded_at: Date; activated_at: Date }[]> {
    return this.tx.manager.query(`SELECT version, file, loaded_at, activated_at FROM model_versions WHERE kind = $1 ORDER BY activated_at DESC`, [kind]);
  }
}
