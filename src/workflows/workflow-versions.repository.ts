import { Injectable } from '@nestjs/common';
import { uuidv7 } from '../common/ids';
import { TransactionService } from '../database/transaction.service';

@Injectable()
export class WorkflowVersionsRepository {
  constructor(private readonly tx: TransactionService) {}

  /** Stores the version once and makes it the one new enrollments use; returns its id. */
  async activate(key: string, version: string, file: string, source: string, track: string | null): Promise<string> {
    const [row] = await this.tx.manager.query<{ id: string }[]>(
      `WITH ins AS (
         INSERT INTO workflow_versions (id, key, version, file, source) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (key, version) DO NOTHING RETURNING id)
       SELECT id FROM ins UNION ALL SELECT id FROM workflow_versions WHERE key = $2 AND version = $3 LIMIT 1`,
      [uuidv7(), key, version, file, source],
    );
    await this.tx.manager.query(
      `INSERT INTO workflows (key, version_id, track) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET version_id = EXCLUDED.version_id, track = EXCLUDED.track, updated_at = now()`,
      [key, row.id, track],
    );
    return row.id;
  }

  async source(versionId: string): Promise<{ key: string; version: string; file: string; source: string } | undefined> {
    const [row] = await this.tx.manager.query<{ key: string; version: string; file: string; source: string }[]>(
      `SELECT key, version, file, source FROM workflow_versions WHERE id = $1`,
      [versionId],
    );
    return row;
  }

  async states(): Promise<Map<string, { paused: boolean; versionId: string }>> {
    const rows = await this.tx.manager.query<{ key: string; paused: boolean; version_id: string }[]>(`SELECT key, paused, version_id FROM workflows`);
    return new Map(rows.map((r) => [r.key, { paused: r.paused, versionId: r.version_id }]));
  }

  async setPaused(key: string, paused: boolean): Promise<boolean> {
    const [, n] = await this.tx.manager.query<[unknown, number]>(`UPDATE workflows SET paused = $2, updated_at = now() WHERE key = $1`, [key, paused]);
    return n === 1;
  }

  /** Moves waiting enrollments of a workflow onto its active version, keeping their step by key. */
  async migrateWaiting(key: string, toVersionId: string, stepIndexOf: (stepId: string | null) => number | undefined): Promise<{ moved: number; ended: number }> {
    const rows = await this.tx.manager.query<{ id: string; step_id: string | null }[]>(
      `SELECT id, step_id FROM enrollments WHERE workflow_key = $1 AND status = 'waiting' AND version_id <> $2 FOR UPDATE`,
      [key, toVersionId],
    );
    let moved = 0;
    let ended = 0;
    for (const r of rows) {
      const index = stepIndexOf(r.step_id);
      if (index === undefined) {
        await this.tx.manager.query(`UPDATE enrollments SET status = 'exited', end_reason = 'step removed in new version', ended_at = now(), next_run_at = NULL WHERE id = $1`, [r.id]);
        ended++;
      } else {
        await this.tx.manager.query(`UPDATE enrollments SET version_id = $2, step_index = $3, updated_at = now() WHERE id = $1`, [r.id, toVersionId, index]);
        moved++;
      }
    }
    return { moved, ended };
  }
}
