import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Pool } from 'pg';
import { WorkflowScheduler } from '../../../src/workflows/workflow-scheduler.service';
import { BenchApp, createDatabase, startApp, withClient } from '../bench-app';
import { BenchOptions, BenchResult, Scenario, perSecond, result } from '../bench';
import { profiled } from '../cpu-profile';
import { CpuMeter, CpuReading } from '../cpu-usage';
import { SmtpCounter } from '../smtp-counter';

const NAME = 'steps';
const DEFAULT_ROWS = 20_000;
/** jobs in flight in the app, and UPDATE callers in the baseline */
const CONCURRENCY = 16;
const POOL_SIZE = 16;
const GOAL_PER_S = 3000;
const TIMEOUT_MS = 600_000;
const POLL_MS = 100;
const TEMPLATE = 'close-takes-too-long';

/**
 * Two one-step workflows: a send, and a wait whose time is up (the enrollment entered it an hour
 * ago). Either way one run of the engine advances the enrollment one step and completes it.
 */
const WORKFLOWS: Record<string, { stepId: string; yaml: string }> = {
  'bench-send': { stepId: 'hello', yaml: `key: bench-send\nname: Bench send\ntrigger: { manual: {} }\nsteps:\n  - { id: hello, send: ${TEMPLATE} }\n` },
  'bench-wait': { stepId: 'pause', yaml: 'key: bench-wait\nname: Bench wait\ntrigger: { manual: {} }\nsteps:\n  - { id: pause, wait: 1s }\n' },
};
const POLICY = 'quietHours: none\nallowedDays: [mon, tue, wed, thu, fri, sat, sun]\ndefaultTimezone: Europe/Berlin\nfrequencyCap: none\n';

export const stepsScenario: Scenario = {
  name: NAME,
  description:
    `enrollment steps/s from due to done (half a send to an SMTP sink, half a wait that is over; the scheduler claims, ` +
    `${CONCURRENCY} in-process jobs run them) vs as many bare single-row UPDATEs through pg`,
  run: runSteps,
};

async function runSteps(opts: BenchOptions): Promise<BenchResult[]> {
  const n = opts.rows ?? DEFAULT_ROWS;
  const warmup = Math.min(1000, Math.max(100, Math.round(n / 20)));
  const sink = await SmtpCounter.start();
  const db = await createDatabase();
  // the shipped models (scoring, grading; from the working directory, as the app finds templates/),
  // no shipped workflow, and a policy that never defers
  const workflowsDir = mkdtempSync(join(tmpdir(), 'kindling-bench-steps-'));
  cpSync(resolve('workflows'), workflowsDir, { recursive: true });
  rmSync(join(workflowsDir, 'welcome.yaml'));
  rmSync(join(workflowsDir, 'tracks'), { recursive: true });
  writeFileSync(join(workflowsDir, 'policy.yaml'), POLICY);
  for (const [key, w] of Object.entries(WORKFLOWS)) writeFileSync(join(workflowsDir, `${key}.yaml`), w.yaml);
  let bench: BenchApp | undefined;
  try {
    bench = await startApp(db.url, {
      env: { WORKFLOWS_DIR: workflowsDir, SMTP_URL: sink.url, JOB_CONCURRENCY: String(CONCURRENCY), DATABASE_POOL_SIZE: String(POOL_SIZE) },
    });
    const seedStart = performance.now();
    await seed(db.url, 'warmup', warmup);
    await seed(db.url, 'run', n);
    opts.log(`app on port ${bench.port}, database ${db.name}, sink on port ${sink.port}; seeded ${warmup} + ${n} enrollments in ${Math.round(performance.now() - seedStart)} ms`);

    const scheduler = bench.app.get(WorkflowScheduler);
    const warm = await runBatch(db.url, scheduler, 'warmup', warmup, sink);
    opts.log(`warm-up: ${warmup} steps in ${Math.round(warm.stepsMs)} ms`);
    const cpu = await CpuMeter.start(db.url, db.name);
    let atSteps: CpuReading | undefined;
    const run = await profiled(NAME, () => runBatch(db.url, scheduler, 'run', n, sink, () => (atSteps = cpu.read())), opts.log);
    const used = cpu.read();
    const per = (ms: number) => (ms / n).toFixed(3);
    opts.log(
      `app: ${n} steps in ${Math.round(run.stepsMs)} ms = ${Math.round(perSecond(n, run.stepsMs))}/s (scheduler claimed and enqueued all after ${Math.round(run.claimedMs)} ms); ` +
        `its ${run.sends} emails all sent after ${Math.round(run.sentMs)} ms, sink got ${run.sinkMessages}`,
    );
    if (atSteps) opts.log(`app: CPU per step until the last step ${per(atSteps.selfMs)} ms in the app process, ${per(atSteps.postgresMs)} ms in its ${atSteps.backends} Postgres backends`);
    opts.log(`app: CPU per step with its deliveries ${per(used.selfMs)} ms in the app process, ${per(used.postgresMs)} ms in the Postgres backends`);
    const outcome = await statusCounts(db.url);
    if (outcome.waiting || outcome.sent !== Math.ceil(n / 2) + Math.ceil(warmup / 2)) throw new Error(`wrong outcome: ${JSON.stringify(outcome)}`);
    await bench.close();
    bench = undefined;

    const bare = await bareUpdates(db.url, n);
    opts.log(`baseline: ${n} single-row UPDATEs by ${CONCURRENCY} callers in ${Math.round(bare.ms)} ms = ${Math.round(perSecond(n, bare.ms))}/s`);
    const results = [result(NAME, 'enrollment_steps_per_s', perSecond(n, run.stepsMs), 'steps/s', perSecond(n, bare.ms))];
    opts.log(`goal: >= ${GOAL_PER_S} steps/s: ${results[0].value >= GOAL_PER_S ? 'met' : 'MISSED'} (${results[0].value}/s, ${results[0].ratio}x)`);
    return results;
  } finally {
    await bench?.close();
    await db.drop();
    await sink.stop();
    rmSync(workflowsDir, { recursive: true, force: true });
  }
}

/**
 * Leads (already evaluated, so the lifecycle sweeper leaves them alone) and one enrollment each,
 * alternately in the send and the wait workflow, not due until runBatch makes them due. The
 * batch is told apart by waiting_for, which the first run of each enrollment clears.
 */
async function seed(url: string, batch: string, count: number): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(
      `INSERT INTO leads (id, email, first_name, last_name, company, job_title, country, timezone, source, consent, needs_evaluation)
       SELECT gen_random_uuid(), $1 || '-' || i || '@inbox.bench', 'Reader' || i, 'Example', 'Acme ' || (i % 97), 'Controller', 'DE', 'Europe/Berlin', $1, true, false
       FROM generate_series(1, $2) AS i`,
      [batch, count],
    );
    await c.query(
      `INSERT INTO enrollments (id, lead_id, workflow_key, version_id, status, step_index, step_id, entered_step_at, next_run_at, waiting_for, enrolled_at)
       SELECT gen_random_uuid(), l.id, w.key, w.version_id, 'waiting', 0, CASE w.key WHEN 'bench-send' THEN $2 ELSE $3 END,
              now() - interval '1 hour', 'infinity', $1, now() - interval '1 hour'
       FROM (SELECT id, row_number() OVER (ORDER BY id) AS i FROM leads WHERE source = $1) l
       JOIN workflows w ON w.key = CASE WHEN l.i % 2 = 1 THEN 'bench-send' ELSE 'bench-wait' END`,
      [batch, WORKFLOWS['bench-send'].stepId, WORKFLOWS['bench-wait'].stepId],
    );
    await c.query('ANALYZE leads, enrollments');
  });
}

interface BatchRun {
  /** from due to no enrollment of the batch waiting */
  stepsMs: number;
  claimedMs: number;
  /** from due to every email of the batch 'sent' */
  sentMs: number;
  sends: number;
  sinkMessages: number;
}

/** Makes the batch due at once, has the scheduler claim it, and waits until every step and then every email is done. */
async function runBatch(url: string, scheduler: WorkflowScheduler, batch: string, count: number, sink: SmtpCounter, onStepsDone?: () => void): Promise<BatchRun> {
  return withClient(url, async (c) => {
    await sink.reset();
    await c.query(`UPDATE enrollments SET next_run_at = now() WHERE status = 'waiting' AND waiting_for = $1`, [batch]);
    const start = performance.now();
    // the scheduler's own 1 s interval would claim them too; this saves waiting for it
    await scheduler.tick();
    const claimedMs = performance.now() - start;
    // batches run one after the other: what is due (not parked at 'infinity') or unsent belongs to this one
    const count0 = async (sql: string) => (await c.query<{ n: number }>(sql)).rows[0].n === 0;
    await until(() => count0(`SELECT count(*)::int AS n FROM enrollments WHERE status = 'waiting' AND next_run_at < 'infinity'`), `${count} ${batch} steps`, POLL_MS);
    const stepsMs = performance.now() - start;
    onStepsDone?.();
    const sends = Math.ceil(count / 2);
    await until(() => count0(`SELECT count(*)::int AS n FROM email_sends WHERE status <> 'sent'`), `${sends} ${batch} emails`, 4 * POLL_MS);
    const sentMs = performance.now() - start;
    const stats = await sink.waitFor(sends, TIMEOUT_MS);
    return { stepsMs, claimedMs, sentMs, sends, sinkMessages: stats.messages };
  });
}

async function until(check: () => Promise<boolean>, what: string, pollMs: number): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not done within ${TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * The floor: one autocommitted single-row UPDATE per step, by primary key, on the same
 * enrollments, from as many callers as the app runs jobs, each with its own connection.
 */
async function bareUpdates(url: string, count: number): Promise<{ ms: number }> {
  const { rows } = await withClient(url, (c: Client) =>
    c.query<{ id: string }>(`SELECT e.id FROM enrollments e JOIN leads l ON l.id = e.lead_id WHERE l.source = 'run' ORDER BY e.id LIMIT $1`, [count]),
  );
  const ids = rows.map((r) => r.id);
  const pool = new Pool({ connectionString: url, max: CONCURRENCY });
  // end() resolves before every socket is closed; the database drop right after may still reach one
  pool.on('error', () => undefined);
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, () => pool.query('SELECT 1')));
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ids.length) await pool.query(`UPDATE enrollments SET step_index = step_index + 1, updated_at = now() WHERE id = $1`, [ids[next++]]);
      }),
    );
    return { ms: performance.now() - start };
  } finally {
    await pool.end();
  }
}

async function statusCounts(url: string): Promise<{ waiting: number; sent: number }> {
  return withClient(url, async (c) => {
    const e = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM enrollments WHERE status = 'waiting'`);
    const s = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_sends WHERE status = 'sent'`);
    return { waiting: e.rows[0].n, sent: s.rows[0].n };
  });
}
