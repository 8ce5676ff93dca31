import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { Proc, freePort, processOutput, startProcess, stopProcess, waitFor, waitForExit } from '../support/child-process';
import { CountingSmtpSink } from '../support/counting-smtp-sink';
import { TEST_REDIS_URL, createTestDatabase, createTestQueuePrefix } from '../support/infra';

/**
 * Faults during a nurture campaign, with the real engine as child processes: one API process,
 * one worker (BullMQ on Redis under a prefix of this file's own), Postgres, and an SMTP sink in
 * this process. A worker SIGKILLed mid-campaign, and Redis losing the queue's data
 * mid-campaign, must both end with every enrollment completed and every email delivered.
 *
 * Delivery is at-least-once at the SMTP boundary: a worker killed after the server accepted a
 * message but before it marked the send 'sent' sends it again once the delivery lease runs out
 * (with the same Message-ID, so a receiver can drop the repeat). Case A allows at most one such
 * repeat per job in flight per kill; nothing is killed in case B, so it allows none.
 */
jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '../..');
/**
 * A build of its own: other runs rebuild dist/ (npm run build empties it first), which would
 * take modules away from a worker this file restarts minutes after its first boot. Inside the
 * repository so node_modules resolves; ignored by git as a dist/ folder; removed in afterAll.
 */
const BUILD = join(ROOT, `.e2e-build-${process.pid}`);
const MAIN = join(BUILD, 'dist/src/main.js');
const CLI = join(BUILD, 'dist/src/cli.js');
const BOOT_TIMEOUT_MS = 90_000;
const LEADS_PER_CASE = 300;
const STEPS = ['first', 'second', 'third'] as const;
const JOB_CONCURRENCY = 4;
const KILLS = 3;
/** short leases so work a dead worker held comes back within the test, not after minutes */
const ENROLLMENT_LEASE_MS = 5000;
const DELIVERY_LEASE_MS = 10_000;
const SECRET_KEY = 'faults-secret-key-that-is-long-enough-0123456789';

const BLAST = `key: blast
name: Blast
trigger: { manual: {} }
steps:
  - { id: first, send: close-takes-too-long }
  - { id: pause-1, wait: 1s }
  - { id: second, send: reconciliation-errors }
  - { id: pause-2, wait: 1s }
  - { id: third, send: cfo-visibility }
`;
const POLICY = 'quietHours: none\nallowedDays: [mon, tue, wed, thu, fri, sat, sun]\ndefaultTimezone: Europe/Berlin\nfrequencyCap: none\n';

interface SendRow {
  id: string;
  lead_id: string;
  step_key: string;
  status: string;
  message_id: string;
  attempts: number;
}

interface Outcome {
  enrollments: Record<string, number>;
  sends: SendRow[];
  /** messages the sink got for this case's sends */
  received: number;
  distinctMessageIds: number;
  missing: string[];
  repeated: { sendId: string; step: string; times: number; attempts: number }[];
  wrongMessageIds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Redis losing this prefix's data at once, as a restart without persistence would (FLUSHALL
 * would take other runs' keys too). One script, so no BullMQ command runs in the middle of it.
 * SCAN + DEL would not do: a job added while the scan runs can keep its hash and lose the list
 * that held it, and that orphan hash silently swallows every later enqueue with the same
 * deterministic job id (seen here: sends the sweeper could never re-enqueue).
 */
async function loseRedisData(prefix: string): Promise<number> {
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const script = `local keys = redis.call('KEYS', ARGV[1])
      for i = 1, #keys, 500 do redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys))) end
      return #keys`;
    return Number(await redis.eval(script, 0, `${prefix}:*`));
  } finally {
    redis.disconnect();
  }
}

describe('nurture campaign under faults (real processes, Postgres, Redis, SMTP)', () => {
  const procs: Proc[] = [];
  const queue = createTestQueuePrefix();
  const sink = new CountingSmtpSink();
  let dropDatabase: (() => Promise<void>) | undefined;
  let db: Client;
  let env: NodeJS.ProcessEnv;
  let dirs: string[] = [];
  let api: Proc;
  let worker: Proc;
  let port: number;
  let auth: { authorization: string };
  const leadIds: Record<'a' | 'b', string[]> = { a: [], b: [] };
  let workers = 0;

  const startWorker = () => {
    const p = startProcess(`worker#${++workers}`, [MAIN], { cwd: ROOT, env: { ...env, APP_ROLE: 'worker' } });
    procs.push(p);
    return p;
  };
  const everyOutput = () => procs.map((p) => processOutput(p, 3000)).join('\n\n');
  const explain = async (assertions: () => unknown) => {
    try {
      await assertions();
    } catch (e) {
      if (e instanceof Error) e.message += `\n\n${everyOutput()}`;
      throw e;
    }
  };
  const http = async <T>(method: string, path: string, body?: string, contentType = 'application/json'): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };

  beforeAll(async () => {
    execFileSync('npx', ['swc', 'src', 'migrations', '-d', join(BUILD, 'dist'), '--quiet'], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
    await sink.start();
    const database = await createTestDatabase();
    dropDatabase = database.drop;

    const workflowsDir = mkdtempSync(join(tmpdir(), 'kindling-faults-workflows-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'kindling-faults-data-'));
    dirs = [workflowsDir, dataDir];
    cpSync(join(ROOT, 'workflows'), workflowsDir, { recursive: true });
    rmSync(join(workflowsDir, 'welcome.yaml'));
    rmSync(join(workflowsDir, 'tracks'), { recursive: true });
    writeFileSync(join(workflowsDir, 'policy.yaml'), POLICY);
    writeFileSync(join(workflowsDir, 'blast.yaml'), BLAST);

    port = await freePort();
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: queue.prefix,
      SMTP_URL: sink.url,
      SECRET_KEY,
      WORKFLOWS_DIR: workflowsDir,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      JOB_CONCURRENCY: String(JOB_CONCURRENCY),
      ENROLLMENT_LEASE_MS: String(ENROLLMENT_LEASE_MS),
      DELIVERY_LEASE_MS: String(DELIVERY_LEASE_MS),
    };

    // the API migrates the fresh database; the worker starts once that is done
    api = startProcess('api', [MAIN], { cwd: ROOT, env: { ...env, APP_ROLE: 'api' } });
    procs.push(api);
    await waitFor(
      `GET /health 200 on port ${port}`,
      async () => ((await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3000) })).status === 200 ? true : undefined),
      { timeoutMs: BOOT_TIMEOUT_MS, proc: api },
    );
    const cli = startProcess('cli apikey create', [CLI, 'apikey', 'create', '--name', 't', '--json'], { cwd: ROOT, env });
    procs.push(cli);
    await waitForExit(cli, 60_000);
    const line = cli.stdout.split('\n').find((l) => l.trim().startsWith('{'));
    if (!line) throw new Error(`no key from the CLI\n\n${processOutput(cli)}`);
    auth = { authorization: `Bearer ${(JSON.parse(line) as { key: string }).key}` };
    worker = startWorker();

    db = new Client({ connectionString: database.url });
    await db.connect();
    const csv = ['email,first_name,timezone'];
    for (const c of ['a', 'b'] as const) for (let i = 0; i < LEADS_PER_CASE; i++) csv.push(`fault-${c}-${i}@inbox.test,${c.toUpperCase()}${i},Europe/Berlin`);
    const report = await http<{ created: number; rejected: number }>('POST', '/v1/leads/import', `${csv.join('\n')}\n`, 'text/csv');
    expect(report).toMatchObject({ created: 2 * LEADS_PER_CASE, rejected: 0 });
    let cursor: string | null = null;
    do {
      const page: { data: { id: string; email: string }[]; nextCursor: string | null } = await http('GET', `/v1/leads?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      for (const l of page.data) leadIds[l.email.startsWith('fault-a-') ? 'a' : 'b'].push(l.id);
      cursor = page.nextCursor;
    } while (cursor);
    expect([leadIds.a.length, leadIds.b.length]).toEqual([LEADS_PER_CASE, LEADS_PER_CASE]);
  }, 240_000);

  afterAll(async () => {
    for (const p of procs) await stopProcess(p).catch(() => undefined);
    await db?.end().catch(() => undefined);
    await sink.stop().catch(() => undefined);
    await queue.clear().catch(() => undefined);
    await dropDatabase?.().catch(() => undefined);
    for (const d of [...dirs, BUILD]) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  const enroll = async (ids: string[]) => {
    const res = await http<{ enrolled: number; skipped: unknown[] }>('POST', '/v1/workflows/blast/enroll', JSON.stringify({ leadIds: ids }));
    expect(res).toEqual({ enrolled: ids.length, skipped: [] });
  };

  /** Sink messages for the sends of these leads so far (a cheap progress probe). */
  const receivedSince = (mark: number) => sink.messages.length - mark;

  /** Where a BullMQ job of this file's prefix is: which list holds it, or 'no job' when its hash is gone too. */
  const jobState = async (redis: IORedis, queueName: string, jobId: string): Promise<string> => {
    const base = `${queue.prefix}:${queueName}`;
    if (!(await redis.exists(`${base}:${jobId}`))) return 'no job';
    const [wait, active, delayed, prioritized] = await Promise.all([
      redis.lpos(`${base}:wait`, jobId),
      redis.lpos(`${base}:active`, jobId),
      redis.zscore(`${base}:delayed`, jobId),
      redis.zscore(`${base}:prioritized`, jobId),
    ]);
    const lists = [wait !== null && 'wait', active !== null && 'active', delayed !== null && 'delayed', prioritized !== null && 'prioritized'].filter(Boolean);
    return lists.length ? `job in ${lists.join(', ')}` : 'job hash in no list (blocks its id)';
  };

  /** What is left undone and where its job is: attached to a timeout, so a hang explains itself. */
  const leftUndone = async (ids: string[]): Promise<string> => {
    const { rows: enrollments } = await db.query<{ id: string; step_id: string; next_run_at: Date | null; lease_until: Date | null }>(
      `SELECT id, step_id, next_run_at, lease_until FROM enrollments WHERE lead_id = ANY($1) AND status = 'waiting' ORDER BY next_run_at LIMIT 5`,
      [ids],
    );
    const { rows: sends } = await db.query<{ id: string; status: string; attempts: number; updated_at: Date }>(
      `SELECT id, status, attempts, updated_at FROM email_sends WHERE lead_id = ANY($1) AND status <> 'sent' ORDER BY updated_at LIMIT 5`,
      [ids],
    );
    const { rows: totals } = await db.query<{ what: string; n: number }>(
      `SELECT 'enrollments ' || status AS what, count(*)::int AS n FROM enrollments WHERE lead_id = ANY($1) GROUP BY status
       UNION ALL SELECT 'sends ' || status, count(*)::int FROM email_sends WHERE lead_id = ANY($1) GROUP BY status`,
      [ids],
    );
    const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const lines = [`now ${new Date().toISOString()}; ${totals.map((t) => `${t.what}: ${t.n}`).join(', ')}`];
      for (const e of enrollments) lines.push(`enrollment ${e.id} at ${e.step_id}, due ${e.next_run_at?.toISOString()}, lease ${e.lease_until?.toISOString()}: ${await jobState(redis, 'default', `workflow.run.${e.id}`)}`);
      for (const x of sends) lines.push(`send ${x.id} ${x.status} after ${x.attempts} attempt(s), updated ${x.updated_at.toISOString()}: ${await jobState(redis, 'delivery', `email.send.${x.id}`)}`);
      return lines.join('\n');
    } finally {
      redis.disconnect();
    }
  };

  /** Polls Postgres until no enrollment of these leads waits and all their sends are 'sent'. */
  const finished = (ids: string[], timeoutMs: number) =>
    waitFor(
      'every enrollment completed and every send sent',
      async () => {
        const { rows } = await db.query<{ waiting: number; sent: number }>(
          `SELECT (SELECT count(*)::int FROM enrollments WHERE lead_id = ANY($1) AND status = 'waiting') AS waiting,
                  (SELECT count(*)::int FROM email_sends WHERE lead_id = ANY($1) AND status = 'sent') AS sent`,
          [ids],
        );
        return rows[0].waiting === 0 && rows[0].sent >= ids.length * STEPS.length ? true : undefined;
      },
      { timeoutMs, intervalMs: 500 },
    ).catch(async (e: Error) => {
      e.message += `\n\nleft undone:\n${await leftUndone(ids)}`;
      throw e;
    });

  const outcome = async (ids: string[]): Promise<Outcome> => {
    const { rows: byStatus } = await db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM enrollments WHERE lead_id = ANY($1) GROUP BY status`, [ids]);
    const { rows: sends } = await db.query<SendRow>(`SELECT id, lead_id, step_key, status, message_id, attempts FROM email_sends WHERE lead_id = ANY($1)`, [ids]);
    const counts = sink.countsBySend();
    const byId = new Map(sends.map((s) => [s.id, s]));
    const ours = sink.messages.filter((m) => m.sendId !== undefined && byId.has(m.sendId));
    return {
      enrollments: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
      sends,
      received: ours.length,
      distinctMessageIds: new Set(ours.map((m) => m.messageId)).size,
      missing: sends.filter((s) => !counts.has(s.id)).map((s) => s.id),
      repeated: sends.filter((s) => (counts.get(s.id) ?? 0) > 1).map((s) => ({ sendId: s.id, step: s.step_key, times: counts.get(s.id) ?? 0, attempts: s.attempts })),
      wrongMessageIds: ours.filter((m) => m.messageId !== byId.get(m.sendId ?? '')?.message_id).length,
    };
  };

  /** What must hold after either fault: every enrollment completed, one send per (lead, step), each delivered. */
  const expectDelivered = (ids: string[], o: Outcome) => {
    expect(o.enrollments).toEqual({ completed: ids.length });
    expect(o.sends).toHaveLength(ids.length * STEPS.length);
    expect(o.sends.filter((s) => s.status !== 'sent')).toEqual([]);
    expect(new Set(o.sends.map((s) => `${s.lead_id}/${s.step_key}`)).size).toBe(ids.length * STEPS.length);
    expect([...new Set(o.sends.map((s) => s.step_key))].sort()).toEqual([...STEPS].sort());
    expect(new Set(o.sends.map((s) => s.lead_id)).size).toBe(ids.length);
    expect(o.missing).toEqual([]);
    expect(o.wrongMessageIds).toBe(0);
    // a repeat carries the send's own Message-ID: as many distinct ids as sends
    expect(o.distinctMessageIds).toBe(ids.length * STEPS.length);
  };

  /** Distinct log messages at warn and above, with counts: what the processes complained about. */
  const complaints = () => {
    const counts = new Map<string, number>();
    for (const p of procs) {
      for (const msg of p.stdout.matchAll(/"msg":"([^"]{0,120})/g)) {
        const key = `${p.name.replace(/#\d+$/, '')}: ${msg[1]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    return Object.fromEntries([...counts.entries()].sort((x, y) => y[1] - x[1]).slice(0, 12));
  };

  it('A: SIGKILLed worker, three times mid-campaign: every enrollment completes, every email arrives (repeats bounded)', async () => {
    const mark = sink.messages.length;
    const started = Date.now();
    await enroll(leadIds.a);
    const kills: { at: number; sinkMessages: number; pid: number | undefined }[] = [];
    for (let k = 0; k < KILLS; k++) {
      // kill while it is delivering: once it got messages out since it (re)started, 0.5-1.5 s later
      const base = receivedSince(mark);
      await waitFor(`${worker.name} to deliver`, async () => (receivedSince(mark) >= base + 5 ? true : undefined), { timeoutMs: 60_000, proc: worker, intervalMs: 10 });
      await sleep(500 + Math.random() * 1000);
      worker.child.kill('SIGKILL');
      const exit = await waitForExit(worker, 10_000);
      expect(exit.signal).toBe('SIGKILL');
      kills.push({ at: Date.now() - started, sinkMessages: receivedSince(mark), pid: worker.child.pid });
      worker = startWorker();
    }
    const lastKill = Date.now();
    await explain(() => finished(leadIds.a, 150_000));
    const o = await outcome(leadIds.a);
    const duplicates = o.received - o.sends.length;
    console.log(
      `case A (SIGKILL): ${JSON.stringify({
        kills,
        finishedAfterLastKillMs: Date.now() - lastKill,
        totalMs: Date.now() - started,
        enrollments: o.enrollments,
        sends: o.sends.length,
        received: o.received,
        duplicates,
        repeated: o.repeated,
        attemptsOver1: o.sends.filter((s) => s.attempts > 1).length,
        abortedMidMessage: sink.aborted,
        complaints: complaints(),
      })}`,
    );
    await explain(() => {
      expectDelivered(leadIds.a, o);
      // at-least-once at the SMTP boundary: at most one repeat per job in flight at each kill
      expect(duplicates).toBeLessThanOrEqual(KILLS * JOB_CONCURRENCY);
      expect(o.repeated.every((r) => r.times === 2)).toBe(true);
    });
  });

  it("B: this prefix's Redis data lost mid-campaign: the scheduler and the sweeper rebuild the work from Postgres", async () => {
    const mark = sink.messages.length;
    const aborted = sink.aborted;
    const started = Date.now();
    await enroll(leadIds.b);
    await waitFor('the campaign to be under way', async () => (receivedSince(mark) >= 150 ? true : undefined), { timeoutMs: 60_000, proc: worker, intervalMs: 10 });
    const { rows: before } = await db.query<{ waiting: number; sent: number }>(
      `SELECT (SELECT count(*)::int FROM enrollments WHERE lead_id = ANY($1) AND status = 'waiting') AS waiting,
              (SELECT count(*)::int FROM email_sends WHERE lead_id = ANY($1) AND status = 'sent') AS sent`,
      [leadIds.b],
    );
    const sinkAtWipe = receivedSince(mark);
    const deletedKeys = await loseRedisData(queue.prefix);
    const wipedAt = Date.now();
    await explain(() => finished(leadIds.b, 150_000));
    const o = await outcome(leadIds.b);
    console.log(
      `case B (Redis data lost): ${JSON.stringify({
        atWipe: { ...before[0], sinkMessages: sinkAtWipe, deletedKeys, afterMs: wipedAt - started },
        finishedAfterWipeMs: Date.now() - wipedAt,
        enrollments: o.enrollments,
        sends: o.sends.length,
        received: o.received,
        duplicates: o.received - o.sends.length,
        repeated: o.repeated,
        abortedMidMessage: sink.aborted - aborted,
        workerAlive: !worker.exit,
        complaints: complaints(),
      })}`,
    );
    await explain(() => {
      expect(deletedKeys).toBeGreaterThan(0);
      expect(before[0].waiting).toBeGreaterThan(0);
      expectDelivered(leadIds.b, o);
      // nothing was killed: no send was in flight past its lease, so none went out twice
      expect(o.received).toBe(o.sends.length);
      expect(worker.exit).toBeUndefined();
    });
  });
});
