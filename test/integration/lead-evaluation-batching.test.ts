import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { LeadEvaluator } from '../../src/lifecycle/lead-evaluator.service';
import { LeadChanged, LifecycleEvents } from '../../src/lifecycle/lifecycle-events.service';
import { LifecycleSweeper } from '../../src/lifecycle/lifecycle.sweeper';
import { TestApp, bootTestApp } from '../support/test-app';
import { eventually } from '../support/wait';

const shipped = join(__dirname, '../../workflows');
// one unlimited one-point rule, so every applied activity shows in the score
const withPointRule = readFileSync(join(shipped, 'scoring.yaml'), 'utf8').replace('rules:\n', 'rules:\n  - id: point\n    event: custom.point\n    points: 1\n\n');

/**
 * Evaluations run many leads per transaction, skip the leads another one holds, and keep a
 * lead's follow-ups in order. Activities are written here straight to Postgres (no job), and
 * the evaluator is driven by hand, several at once.
 */
describe('batched lead evaluation', () => {
  let t: TestApp;
  let db: DataSource;
  let evaluator: LeadEvaluator;
  const heard: LeadChanged[] = [];
  let hold: ((change: LeadChanged) => Promise<void>) | undefined;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-workflows-'));
    cpSync(shipped, dir, { recursive: true });
    writeFileSync(join(dir, 'scoring.yaml'), withPointRule);
    t = await bootTestApp({ redis: false, env: { WORKFLOWS_DIR: dir } });
    db = t.app.get(DataSource);
    evaluator = t.app.get(LeadEvaluator);
    t.app.get(LifecycleEvents).subscribe(async (change) => {
      heard.push(change);
      await hold?.(change);
    });
  });
  afterAll(() => t.close());

  /** Leads as an earlier evaluation left them: nothing pending, nothing new. */
  const seedLeads = async (n: number): Promise<string[]> => {
    const ids = Array.from({ length: n }, () => randomUUID());
    await db.query(
      `INSERT INTO leads (id, email, needs_evaluation, evaluated_at) SELECT id, id || '@batch.test', false, now() FROM unnest($1::uuid[]) AS id`,
      [ids],
    );
    return ids;
  };
  /** Points waiting for evaluation, `perLead` each, oldest first by a minute apart; returns their ids per lead. */
  const addPoints = async (leadIds: string[], perLead: number): Promise<Map<string, string[]>> => {
    const rows = leadIds.flatMap((leadId) => Array.from({ length: perLead }, (_, k) => ({ id: randomUUID(), leadId, at: new Date(Date.now() - (perLead - k) * 60_000) })));
    await db.query(
      `INSERT INTO activities (id, lead_id, type, occurred_at, received_at) SELECT id, lead_id, 'custom.point', at, now() - interval '1 minute'
       FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS t(id, lead_id, at)`,
      [rows.map((r) => r.id), rows.map((r) => r.leadId), rows.map((r) => r.at)],
    );
    const byLead = new Map<string, string[]>();
    for (const r of rows) byLead.set(r.leadId, [...(byLead.get(r.leadId) ?? []), r.id]);
    return byLead;
  };
  const scores = async (ids: string[]) =>
    new Map((await db.query<{ id: string; score: string }[]>(`SELECT id, score FROM leads WHERE id = ANY($1::uuid[])`, [ids])).map((r) => [r.id, Number(r.score)]));
  const pending = async (ids: string[]) =>
    Number((await db.query<{ n: string }[]>(`SELECT count(*) AS n FROM activities WHERE lead_id = ANY($1::uuid[]) AND evaluated_at IS NULL`, [ids]))[0].n);

  it('applies each activity exactly once while evaluations race over the same leads', async () => {
    const leads = await seedLeads(40);
    await addPoints(leads, 25);
    // six evaluations at once, each named for an overlapping slice, each also taking whatever waits
    await Promise.all(Array.from({ length: 6 }, (_, i) => evaluator.evaluateAll(leads.slice(i * 5, i * 5 + 15))));
    expect(await pending(leads)).toBe(0);
    expect([...(await scores(leads)).values()]).toEqual(leads.map(() => 25));
    const [ledger] = await db.query<{ entries: string; activities: string }[]>(
      `SELECT count(*) AS entries, count(DISTINCT activity_id) AS activities FROM score_changes WHERE lead_id = ANY($1::uuid[]) AND rule_id = 'point'`,
      [leads],
    );
    expect({ entries: Number(ledger.entries), activities: Number(ledger.activities) }).toEqual({ entries: 1000, activities: 1000 });
    // every lead's activities reached the listeners once, oldest first
    const applied = heard.filter((c) => leads.includes(c.leadId));
    for (const id of leads) expect(applied.filter((c) => c.leadId === id).flatMap((c) => c.activities)).toHaveLength(25);
  });

  it('keeps a lead to its evaluator until its follow-ups have run, so they arrive in order', async () => {
    const [lead] = await seedLeads(1);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inFlight = 0;
    let maxInFlight = 0;
    hold = async (change) => {
      if (change.leadId !== lead) return;
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      if (heard.filter((c) => c.leadId === lead).length === 1) await gate;
      inFlight--;
    };
    try {
      const first = (await addPoints([lead], 1)).get(lead)!;
      const firstRun = evaluator.evaluateAll([lead]);
      await eventually(() => heard.some((c) => c.leadId === lead), 'the first change to reach the listener');

      // the first change is committed but its follow-ups are held: a new activity waits
      const second = (await addPoints([lead], 1)).get(lead)!;
      const secondRun = evaluator.evaluateAll([lead]);
      await new Promise((r) => setTimeout(r, 300));
      expect(heard.filter((c) => c.leadId === lead)).toHaveLength(1);
      expect(await pending([lead])).toBe(1);

      release();
      await Promise.all([firstRun, secondRun]);
      await eventually(async () => (await pending([lead])) === 0 && heard.filter((c) => c.leadId === lead).length === 2, 'the second change');
      expect(maxInFlight).toBe(1);
      expect((await scores([lead])).get(lead)).toBe(2);
      const ids = await db.query<{ id: string }[]>(
        `SELECT activity_id AS id FROM score_changes WHERE lead_id = $1 AND rule_id = 'point' ORDER BY created_at, occurred_at`,
        [lead],
      );
      expect(ids.map((r) => r.id)).toEqual([...first, ...second]);
    } finally {
      hold = undefined;
      release();
    }
  });

  it("only marks an erased lead's activities", async () => {
    const [lead] = await seedLeads(1);
    await db.query(`UPDATE leads SET erased_at = now() WHERE id = $1`, [lead]);
    await addPoints([lead], 3);
    await evaluator.evaluateAll([lead]);
    expect(await pending([lead])).toBe(0);
    expect((await scores([lead])).get(lead)).toBe(0);
    expect(await db.query(`SELECT 1 FROM score_changes WHERE lead_id = $1`, [lead])).toEqual([]);
    expect(heard.some((c) => c.leadId === lead)).toBe(false);
  });

  it('finds work that no job carries (a lost job, Redis wiped) with the sweeper', async () => {
    const leads = await seedLeads(5);
    await addPoints(leads, 4);
    await t.app.get(LifecycleSweeper).sweepPending();
    await eventually(async () => (await pending(leads)) === 0, 'the swept leads to be evaluated');
    expect([...(await scores(leads)).values()]).toEqual(leads.map(() => 4));
  });
});
