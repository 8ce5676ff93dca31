import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { TrackingUrls } from '../../src/tracking/tracking-urls';
import { Proc, freePort, processOutput, startProcess, stopProcess, waitFor, waitForExit } from '../support/child-process';
import { createTestDatabase } from '../support/infra';

/**
 * The promise of the tracking endpoints under the harshest fault: an API process SIGKILLed
 * while hits pour in. A 2xx or 3xx means the hit is stored, so every hit answered before the
 * kill must be in Postgres afterwards; hits cut off by the kill may or may not be (their
 * clients saw an error and mail clients retry). The engine runs as a real child process.
 */
jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '../..');
/** A build of its own (see nurture-faults.test.ts): inside the repository so node_modules resolves. */
const BUILD = join(ROOT, `.e2e-build-${process.pid}`);
const MAIN = join(BUILD, 'dist/src/main.js');
const BOOT_TIMEOUT_MS = 90_000;
const SECRET_KEY = 'tracking-faults-secret-key-long-enough-0123456789';
const PUBLIC_URL = 'http://kindling.faults';
const SENDS = 3000;
const CONCURRENCY = 64;
/** answered hits before the kill: enough that batches of many rows are in flight */
const KILL_AFTER = 1500;
const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

describe('tracking hits when the API process is SIGKILLed (real process, Postgres)', () => {
  const procs: Proc[] = [];
  let dropDatabase: (() => Promise<void>) | undefined;
  let db: Client;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let port: number;

  const startApi = async (name: string) => {
    const api = startProcess(name, [MAIN], { cwd: ROOT, env });
    procs.push(api);
    await waitFor(
      `GET /health 200 on port ${port}`,
      async () => ((await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3000) })).status === 200 ? true : undefined),
      { timeoutMs: BOOT_TIMEOUT_MS, proc: api },
    );
    return api;
  };

  beforeAll(async () => {
    execFileSync('npx', ['swc', 'src', 'migrations', '-d', join(BUILD, 'dist'), '--copy-files', '--quiet'], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
    const database = await createTestDatabase();
    dropDatabase = database.drop;
    dataDir = mkdtempSync(join(tmpdir(), 'kindling-tracking-faults-'));
    port = await freePort();
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL,
      DATABASE_URL: database.url,
      SECRET_KEY,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    };
    db = new Client({ connectionString: database.url });
  });

  afterAll(async () => {
    for (const p of procs) await stopProcess(p).catch(() => undefined);
    await db?.end().catch(() => undefined);
    await dropDatabase?.().catch(() => undefined);
    for (const d of [dataDir, BUILD]) if (d) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it('has stored every hit it answered before the kill, and takes hits again after a restart', async () => {
    const api = await startApi('api');
    await db.connect();
    await db.query(
      `INSERT INTO leads (id, email, first_name, consent, needs_evaluation)
       SELECT gen_random_uuid(), 'reader' || i || '@inbox.test', 'Reader', true, false FROM generate_series(1, $1) AS i`,
      [SENDS],
    );
    const { rows: sends } = await db.query<{ id: string }>(
      `INSERT INTO email_sends (id, lead_id, template, status, message_id, subject, links, attempts, queued_at, sent_at)
       SELECT gen_random_uuid(), l.id, 'test', 'sent', '<' || l.id || '@kindling.faults>', 'Hello', jsonb_build_array('https://example.com/?l=' || l.id), 1,
              now() - interval '1 hour', now() - interval '1 hour'
       FROM leads l RETURNING id`,
    );
    const urls = new TrackingUrls(PUBLIC_URL, SECRET_KEY);
    // one open and one click per email, each requested once: a stored row answers for exactly one request
    const hits = sends.flatMap((s) => [
      { sendId: s.id, type: 'email.opened', path: urls.url('open', s.id).slice(PUBLIC_URL.length) },
      { sendId: s.id, type: 'email.clicked', path: urls.url('click', s.id, 0).slice(PUBLIC_URL.length) },
    ]);

    const answered: { sendId: string; type: string }[] = [];
    let failed = 0;
    let next = 0;
    let killedAt = -1;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < hits.length) {
          const h = hits[next++];
          try {
            const res = await fetch(`http://127.0.0.1:${port}${h.path}`, { redirect: 'manual', headers: { 'user-agent': BROWSER }, signal: AbortSignal.timeout(10_000) });
            if (res.status === 200 || res.status === 302) answered.push(h);
            else failed++;
            await res.arrayBuffer();
          } catch {
            failed++;
          }
          if (answered.length >= KILL_AFTER && killedAt < 0) {
            killedAt = answered.length;
            api.child.kill('SIGKILL');
          }
          if (killedAt >= 0 && failed > CONCURRENCY * 4) return;
        }
      }),
    );
    expect((await waitForExit(api, 30_000)).signal).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThan(0);

    const { rows } = await db.query<{ send_id: string; type: string }>(`SELECT send_id, type FROM activities WHERE type IN ('email.opened', 'email.clicked')`);
    const stored = new Set(rows.map((r) => `${r.send_id}/${r.type}`));
    const lost = answered.filter((h) => !stored.has(`${h.sendId}/${h.type}`));
    expect({ answered: answered.length, lost: lost.length }).toEqual({ answered: answered.length, lost: 0 });
    // hits committed whose answers the kill cut off are stored too; nothing is stored twice
    expect(rows.length).toBeGreaterThanOrEqual(answered.length);
    expect(stored.size).toBe(rows.length);

    const again = await startApi('api (restarted)');
    const last = hits[hits.length - 1];
    const after = await fetch(`http://127.0.0.1:${port}${last.path}`, { redirect: 'manual', headers: { 'user-agent': BROWSER } });
    if (after.status !== 302) throw new Error(`a hit after the restart got ${after.status}\n\n${processOutput(again)}`);
    expect((await db.query(`SELECT 1 FROM activities WHERE send_id = $1 AND type = $2`, [last.sendId, last.type])).rowCount).toBe(1);
  });
});
