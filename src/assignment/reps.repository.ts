import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';
import type { WorkingHours } from './working-hours.rules';

export interface RepRow {
  id: string;
  key: string;
  name: string;
  email: string;
  territories: string[];
  industries: string[];
  personas: string[];
  products: string[];
  capacity: number | null;
  weight: number;
  working_hours: (WorkingHours & { dayNames?: string[] }) | null;
  time_zone: string;
  active: boolean;
  away_until: Date | null;
  source: 'file' | 'api';
  created_at: Date;
  updated_at: Date;
  /** open (pending or accepted) assignments */
  load: number;
}

export interface RepFields {
  key: string;
  name: string;
  email: string;
  territories: string[];
  industries: string[];
  personas: string[];
  products: string[];
  capacity: number | null;
  weight: number;
  workingHours: WorkingHours | null;
  timeZone: string;
  active: boolean;
  awayUntil: Date | null;
}

const COLUMNS: Record<keyof RepFields, string> = {
  key: 'key',
  name: 'name',
  email: 'email',
  territories: 'territories',
  industries: 'industries',
  personas: 'personas',
  products: 'products',
  capacity: 'capacity',
  weight: 'weight',
  workingHours: 'working_hours',
  timeZone: 'time_zone',
  active: 'active',
  awayUntil: 'away_until',
};

const SELECT = `SELECT r.*, (SELECT count(*)::int FROM assignments a WHERE a.rep_id = r.id AND a.status IN ('pending', 'accepted')) AS load FROM reps r`;

@Injectable()
export class RepsRepository {
  constructor(private readonly tx: TransactionService) {}

  list(): Promise<RepRow[]> {
    return this.tx.manager.query(`${SELECT} ORDER BY r.key`);
  }

  async get(id: string): Promise<RepRow | undefined> {
    const [row] = await this.tx.manager.query<RepRow[]>(`${SELECT} WHERE r.id = $1`, [id]);
    return row;
  }

  async keys(): Promise<Set<string>> {
    const rows = await this.tx.manager.query<{ key: string }[]>(`SELECT key FROM reps`);
    return new Set(rows.map((r) => r.key));
  }

  /** Inserts or, for an existing key, overwrites every field; returns false when the key is taken by a rep of the other source. */
  async upsert(id: string, f: RepFields, source: 'file' | 'api'): Promise<boolean> {
    const rows = await this.tx.manager.query<unknown[]>(
      `INSERT INTO reps (id, key, name, email, territories, industries, personas, products, capacity, weight, working_hours, time_zone, active, away_until, source)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (key) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, territories = EXCLUDED.territories,
         industries = EXCLUDED.industries, personas = EXCLUDED.personas, products = EXCLUDED.products, capacity = EXCLUDED.capacity,
         weight = EXCLUDED.weight, working_hours = EXCLUDED.working_hours, time_zone = EXCLUDED.time_zone, active = EXCLUDED.active,
         away_until = EXCLUDED.away_until, updated_at = now()
       WHERE reps.source = EXCLUDED.source
       RETURNING id`,
      [id, f.key, f.name, f.email, f.territories, f.industries, f.personas, f.products, f.capacity, f.weight, f.workingHours, f.timeZone, f.active, f.awayUntil, source],
    );
    return rows.length > 0;
  }

  async update(id: string, f: Partial<RepFields>): Promise<boolean> {
    const entries = Object.entries(f).filter(([, v]) => v !== undefined) as [keyof RepFields, unknown][];
    if (!entries.length) return (await this.get(id)) !== undefined;
    // column names come from the fixed map above, never from input
    const sets = entries.map(([k], i) => `${COLUMNS[k]} = $${i + 2}`).join(', ');
    const [, n] = await this.tx.manager.query<[unknown, number]>(`UPDATE reps SET ${sets}, updated_at = now() WHERE id = $1`, [id, ...entries.map(([, v]) => v)]);
    return n > 0;
  }

  /** A rep who ever had a lead is kept for the history: deactivated instead. Returns what happened. */
  async remove(id: string): Promise<'deleted' | 'deactivated' | 'missing'> {
    const [used] = await this.tx.manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM assignments WHERE rep_id = $1`, [id]);
    if (used.n > 0) return (await this.update(id, { active: false })) ? 'deactivated' : 'missing';
    const [, n] = await this.tx.manager.query<[unknown, number]>(`DELETE FROM reps WHERE id = $1`, [id]);
    return n > 0 ? 'deleted' : 'missing';
  }

  /** File reps that left the file stop getting leads; their history stays. */
  async deactivateFileRepsExcept(keys: string[]): Promise<void> {
    await this.tx.manager.query(`UPDATE reps SET active = false, updated_at = now() WHERE source = 'file' AND active AND NOT (key = ANY($1::text[]))`, [keys]);
  }
}
