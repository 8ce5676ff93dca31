import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { uuidv7 } from '../../../src/common/ids';
import { BenchApp, createApiKey, createDatabase, startApp, withClient } from '../bench-app';
import { BenchOptions, BenchResult, Scenario, perSecond, result, timed } from '../bench';
import { profiled } from '../cpu-profile';
import { CpuMeter } from '../cpu-usage';
import { PostResult, epochMs, postBatches } from '../post-batches';
import { SmtpCounter } from '../smtp-counter';

const NAME = 'assign';
const DEFAULT_LEADS = 20_000;
/** events per POST /v1/events */
const BATCH = 100;
/** requests in flight at once */
const CONCURRENCY = 8;
/** rows per INSERT in the baseline: the hand-off sweeper's batch */
const BASELINE_BATCH = 200;
const GOAL_PER_S = 1000;
const TIMEOUT_MS = 300_000;
const POLL_MS = 100;

/** Seeded just below salesReady (40); info.requested is worth 20 in the shipped scoring.yaml, so one event crosses it. */
const SEED_SCORE = 25;
const EVENT_TYPE = 'info.requested';

type Strategy = 'round-robin' | 'weighted' | 'least-loaded';
/** Four rules by region, five reps each, one strategy per rule; every lead's country matches one rule. */
const RULES: readonly { id: string; countries: readonly string[]; strategy: Strategy; timeZone: string }[] = [
  { id: 'dach', countries: ['DE', 'AT', 'CH'], strategy: 'round-robin', timeZone: 'Europe/Berlin' },
  { id: 'europe', countries: ['FR', 'GB', 'NL', 'ES', 'IT'], strategy: 'weighted', timeZone: 'Europe/Paris' },
  { id: 'north-america', countries: ['US', 'CA'], strategy: 'least-loaded', timeZone: 'America/New_York' },
  { id: 'apac', countries: ['AU', 'JP', 'SG', 'IN'], strategy: 'round-robin', timeZone: 'Asia/Singapore' },
];
const REPS_PER_RULE = 5;
/** weights of the five reps of a rule; only the weighted rule reads them */
const WEIGHTS = [1, 1, 2, 3, 5];

/** Base grade B passes salesReadyMinGrade; a CFO is a decision maker one step up (B+). */
const GRADING = `baseGrade: B
personas:
  - id: decision-maker
    name: Decision maker
    criteria:
      - { id: finance-executive, field: jobTitle, matches: [CFO], steps: 1 }
`;

function assignmentYaml(): string {
  const lines = ['settings: { sla: 4h }', 'regions:'];
  for (const r of RULES) lines.push(`  ${r.id}: [${r.countries.join(', ')}]`);
  lines.push('reps:');
  for (const r of RULES) {
    for (let k = 1; k <= REPS_PER_RULE; k++) {
      lines.push(`  - { key: ${r.id}-${k}, name: Rep${k} ${r.id}, email: ${r.id}-${k}@reps.bench, territories: [${r.id}], weight: ${WEIGHTS[k - 1]}, timeZone: ${r.timeZone} }`);
    }
  }
  lines.push('rules:');
  for (const r of RULES) {
    const pool = Array.from({ length: REPS_PER_RULE }, (_, k) => `${r.id}-${k + 1}`);
    lines.push(`  - { id: ${r.id}, territories: [${r.id}], pool: [${pool.join(', ')}], strategy: ${r.strategy} }`);
  }
  lines.push('fallback: unassigned');
  return `${lines.join('\n')}\n`;
}

export const assignScenario: Scenario = {
  name: NAME,
  description:
    `leads/s becoming sales-ready (one event each via POST /v1/events, batches of ${BATCH}), evaluated, assigned to one of ` +
    `${RULES.length * REPS_PER_RULE} reps and notified at an SMTP sink, vs a bare multi-row INSERT of as many assignment rows`,
  run: runAssign,
};

async function runAssign(opts: BenchOptions): Promise<BenchResult[]> {
  const n = opts.rows ?? DEFAULT_LEADS;
  const warmup = Math.min(300, Math.max(50, Math.round(n / 50)));
  const sink = await SmtpCounter.start();
  const db = await createDatabase();
  const workflowsDir = mkdtempSync(join(tmpdir(), 'kindling-bench-assign-'));
  cpSync(resolve('workflows'), workflowsDir, { recursive: true });
  rmSync(join(workflowsDir, 'welcome.yaml'));
  rmSync(join(workflowsDir, 'tracks'), { recursive: true });
  writeFileSync(join(workflowsDir, 'grading.yaml'), GRADING);
  writeFileSync(join(workflowsDir, 'assignment.yaml'), assignmentYaml());
  let bench: BenchApp | undefined;
  try {
    bench = await startApp(db.url, { env: { WORKFLOWS_DIR: workflowsDir, SMTP_URL: sink.url } });
    const key = await createApiKey(bench.app);
    const seeded = await timed(async () => {
      await seed(db.url, 'warmup', warmup);
      await seed(db.url, 'run', n);
    });
    opts.log(`app on port ${bench.port}, database ${db.name}, sink on port ${sink.port}; seeded ${warmup} + ${n} leads in ${Math.round(seeded.ms)} ms`);
    const url = `${bench.baseUrl}/v1/events`;

    const warm = await runBatch(db.url, url, key, 'warmup', warmup, warmup, sink);
    opts.log(`warm-up: ${warmup} leads notified after ${Math.round(warm.notifiedMs)} ms`);

    const meter = await CpuMeter.start(db.url, db.name);
    const run = await profiled(NAME, () => runBatch(db.url, url, key, 'run', n, warmup + n, sink), opts.log);
    const cpu = meter.read();
    const ms = (x: number) => `${Math.round(x)} ms`;
    opts.log(
      `${n} leads from the first POST: events accepted after ${ms(run.acceptedMs)} (p50 ${run.sent.latencyMs.p50} ms, p99 ${run.sent.latencyMs.p99} ms), ` +
        `all evaluated after ${ms(run.evaluatedMs)}, all assigned after ${ms(run.assignedMs)}, all notified at the sink after ${ms(run.notifiedMs)}`,
    );
    opts.log(
      `split: evaluation ${ms(run.evaluatedMs)}, then assignment ${ms(run.assignedMs - run.evaluatedMs)} more, then notification ${ms(run.notifiedMs - run.assignedMs)} more`,
    );
    const per = (x: number) => (x / n).toFixed(3);
    opts.log(`CPU per lead: app ${per(cpu.selfMs)} ms, Postgres ${per(cpu.postgresMs)} ms (${cpu.backends} backends), sender ${per(run.sent.cpuMs)} ms, sink ${per(run.sinkCpuMs)} ms`);

    await verify(db.url, warmup + n, n, sink, opts.log);
    await bench.close();
    bench = undefined;

    const floor = await baseline(db.url, n);
    opts.log(`baseline: multi-row INSERT of ${n} assignment rows in batches of ${BASELINE_BATCH} over one connection in ${ms(floor.ms)} = ${Math.round(perSecond(n, floor.ms))}/s`);
    const base = perSecond(n, floor.ms);
    const results = [
      result(NAME, 'leads_assigned_per_s', perSecond(n, run.assignedMs), 'leads/s', base),
      result(NAME, 'leads_notified_per_s', perSecond(n, run.notifiedMs), 'leads/s', base),
    ];
    const figure = results[1].value;
    opts.log(`goal: >= ${GOAL_PER_S} leads/s evaluated, assigned and notified: ${figure >= GOAL_PER_S ? 'met' : 'MISSED'} (${figure}/s, ${results[1].ratio}x)`);
    return results;
  } finally {
    await bench?.close();
    await db.drop();
    await sink.stop();
    rmSync(workflowsDir, { recursive: true, force: true });
  }
}

/** Countries in turn across the rules, so each rule gets a quarter of the leads. */
function countryCycle(): string[] {
  const cycle: string[] = [];
  const longest = Math.max(...RULES.map((r) => r.countries.length));
  for (let j = 0; j < longest * 12; j++) for (const r of RULES) cycle.push(r.countries[j % r.countries.length]);
  return cycle;
}

/**
 * Leads as an earlier evaluation left them: interested (score 25 from a download and a
 * newsletter sign-up, with those activities and ledger rows, which the rep's email lists), warm,
 * graded, nothing pending, decayed just now so the decay pass leaves them alone.
 */
async function seed(url: string, batch: string, count: number): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(
      `INSERT INTO leads (id, email, first_name, last_name, company, job_title, company_size, country, timezone, source, consent, needs_evaluation,
                          score, scores, grade, persona, stage, temperature, temperature_since, last_activity_at, decayed_at, evaluated_at)
       SELECT gen_random_uuid(), $1 || '-' || i || '@acme' || (i % 97) || '.bench', 'Reader' || i, 'Example', 'Acme ' || (i % 97),
              CASE WHEN i % 2 = 0 THEN 'CFO' ELSE 'Controller' END, 50 + i % 900, ($3::text[])[1 + i % cardinality($3::text[])], 'Europe/Berlin', $1, true, false,
              $4, jsonb_build_object('total', $4::numeric, 'product:analytics', 20), CASE WHEN i % 2 = 0 THEN 'B+' ELSE 'B' END,
              CASE WHEN i % 2 = 0 THEN 'decision-maker' END, 'interest', 'warm', now() - interval '30 days', now() - interval '2 days', now(), now() - interval '2 days'
       FROM generate_series(1, $2) AS i`,
      [batch, count, countryCycle(), SEED_SCORE],
    );
    await c.query(
      `WITH acts AS (
         INSERT INTO activities (id, lead_id, type, occurred_at, received_at, properties, idempotency_key, evaluated_at)
         SELECT gen_random_uuid(), l.id, t.type, now() - t.ago, now() - t.ago, t.props::jsonb, 'seed-' || l.id || '-' || t.type, now() - t.ago
         FROM leads l CROSS JOIN (VALUES ('content.downloaded', interval '3 days', '{"product": "analytics", "asset": "whitepaper"}'),
                                         ('newsletter.subscribed', interval '2 days', '{"list": "monthly"}')) AS t(type, ago, props)
         WHERE l.source = $1
         RETURNING id, lead_id, type, occurred_at)
       INSERT INTO score_changes (id, lead_id, dimension, rule_id, activity_id, points, before, after, cause, reason, occurred_at)
       SELECT gen_random_uuid(), a.lead_id, d.dimension, d.rule_id, a.id, d.points, d.before, d.before + d.points, 'event', d.reason, a.occurred_at
       FROM acts a JOIN (VALUES ('content.downloaded', 'total', 'content-downloaded', 20, 0, 'Downloaded content'),
                                ('content.downloaded', 'product:analytics', 'content-downloaded', 20, 0, 'Downloaded content'),
                                ('newsletter.subscribed', 'total', 'newsletter-subscribed', 5, 20, 'Subscribed to the newsletter'))
         AS d(type, dimension, rule_id, points, before, reason) ON d.type = a.type`,
      [batch],
    );
    await c.query('ANALYZE leads, activities, score_changes');
  });
}

interface BatchRun {
  sent: PostResult;
  /** all from the first POST */
  acceptedMs: number;
  evaluatedMs: number;
  assignedMs: number;
  notifiedMs: number;
  sinkCpuMs: number;
}

/**
 * Posts one sales-ready event per lead of the batch and polls, while they are sent and after,
 * until every activity is evaluated, `assignmentsTotal` assignments exist (the batches run one
 * after the other, so the earlier ones are in that count) and the sink holds `count` messages.
 */
async function runBatch(dbUrl: string, url: string, key: string, batch: string, count: number, assignmentsTotal: number, sink: SmtpCounter): Promise<BatchRun> {
  return withClient(dbUrl, async (c) => {
    const { rows } = await c.query<{ id: string }>(`SELECT id FROM leads WHERE source = $1`, [batch]);
    const at = new Date().toISOString();
    const events = rows.map((r, i) => ({ type: EVENT_TYPE, leadId: r.id, occurredAt: at, properties: { topic: 'demo' }, idempotencyKey: `${batch}-${i}` }));
    const bodies: string[] = [];
    for (let i = 0; i < events.length; i += BATCH) bodies.push(JSON.stringify({ events: events.slice(i, i + BATCH) }));
    await sink.reset();

    let sent: PostResult | undefined;
    let failed: Error | undefined;
    const sending = postBatches({ url, headers: { authorization: `Bearer ${key}` }, bodies, concurrency: CONCURRENCY }).then(
      (r) => (sent = r),
      (e: unknown) => (failed = e instanceof Error ? e : new Error(String(e))),
    );
    let evaluatedAt = 0;
    let assignedAt = 0;
    let notifiedAt = 0;
    const deadline = Date.now() + TIMEOUT_MS;
    while (!(evaluatedAt && assignedAt && notifiedAt)) {
      if (failed) throw failed;
      if (Date.now() > deadline) throw new Error(`${batch}: not done within ${TIMEOUT_MS} ms: ${await progress(c, sent, sink)}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
      const now = epochMs();
      if (sent && !evaluatedAt) {
        const p = await c.query<{ pending: boolean }>(`SELECT EXISTS (SELECT 1 FROM activities WHERE evaluated_at IS NULL) AS pending`);
        if (!p.rows[0].pending) evaluatedAt = now;
      }
      if (!assignedAt && (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM assignments`)).rows[0].n >= assignmentsTotal) assignedAt = now;
      if (!notifiedAt && (await sink.stats()).messages >= count) notifiedAt = now;
      // a lead is assigned only once its event was evaluated (the same transaction sets its stage)
      if (assignedAt && !evaluatedAt) evaluatedAt = assignedAt;
    }
    await sending;
    if (!sent) throw failed ?? new Error('sender gave no result');
    checkSent(sent, count);
    const stats = await sink.stats();
    // from the sender's first request (its clock is comparable: both are epoch-based)
    const from = sent.startedAt;
    return {
      sent,
      acceptedMs: sent.lastOkAt - from,
      evaluatedMs: evaluatedAt - from,
      assignedMs: assignedAt - from,
      notifiedMs: notifiedAt - from,
      sinkCpuMs: stats.cpuMs,
    };
  });
}

async function progress(c: Client, sent: PostResult | undefined, sink: SmtpCounter): Promise<string> {
  const { rows } = await c.query<{ pending: number; assignments: number; sends: number }>(
    `SELECT (SELECT count(*) FROM activities WHERE evaluated_at IS NULL)::int AS pending, (SELECT count(*) FROM assignments)::int AS assignments,
            (SELECT count(*) FROM email_sends WHERE status = 'sent')::int AS sends`,
  );
  const r = rows[0];
  return `sender ${sent ? `done (${JSON.stringify(sent.statuses)})` : 'still sending'}, ${r.pending} activities unevaluated, ${r.assignments} assignments, ${r.sends} emails sent, sink ${(await sink.stats()).messages}`;
}

function checkSent(sent: PostResult, events: number): void {
  let accepted = 0;
  for (const text of sent.answers) if (text) accepted += (JSON.parse(text) as { accepted: number }).accepted;
  const ok = (sent.statuses['202'] ?? 0) === sent.requests && sent.errors === 0 && accepted === events;
  if (!ok) throw new Error(`events not all accepted: ${accepted} of ${events}, statuses ${JSON.stringify(sent.statuses)}: ${sent.failures.join(' | ')}`);
}

/**
 * One pending assignment per lead by the rule of its country, a fair spread per rep (round
 * robin and least loaded within one lead of each other, weighted within one lead of its
 * share), one notification per assignment at the sink and no duplicate, and no grade change
 * (the seed agrees with the model, so evaluation did only the work of the event).
 */
async function verify(url: string, leads: number, runLeads: number, sink: SmtpCounter, log: (m: string) => void): Promise<void> {
  await withClient(url, async (c: Client) => {
    const one = async <T>(sql: string, params: unknown[] = []) => (await c.query<T & Record<string, unknown>>(sql, params)).rows[0];
    const ruleOf = RULES.flatMap((r) => r.countries.map((country) => [country, r.id]));
    const a = await one<{ leads: number; ready: number; one_each: number; extra: number; pending: number; wrong_rule: number }>(
      `SELECT count(*)::int AS leads, count(*) FILTER (WHERE l.stage = 'sales-ready')::int AS ready,
              count(*) FILTER (WHERE x.n = 1 AND l.owner_id = x.rep_id)::int AS one_each, coalesce(sum(greatest(x.n - 1, 0)), 0)::int AS extra,
              count(*) FILTER (WHERE x.status = 'pending' AND x.cause = 'sales-ready')::int AS pending,
              count(*) FILTER (WHERE x.rule IS DISTINCT FROM m.rule OR r.key NOT LIKE x.rule || '-%')::int AS wrong_rule
       FROM leads l
       LEFT JOIN unnest($1::text[], $2::text[]) AS m(country, rule) ON m.country = l.country
       LEFT JOIN (SELECT lead_id, count(*)::int AS n, min(rep_id::text)::uuid AS rep_id, min(status) AS status, min(cause) AS cause, min(rule) AS rule
                  FROM assignments GROUP BY lead_id) x ON x.lead_id = l.id
       LEFT JOIN reps r ON r.id = x.rep_id`,
      [ruleOf.map(([country]) => country), ruleOf.map(([, rule]) => rule)],
    );
    const s = await one<{ sends: number; sent: number }>(
      `SELECT count(*)::int AS sends, count(*) FILTER (WHERE status = 'sent')::int AS sent FROM email_sends WHERE category = 'internal'`,
    );
    const grades = await one<{ n: number }>(`SELECT count(*)::int AS n FROM lead_transitions WHERE kind IN ('grade', 'persona')`);
    const spread = (
      await c.query<{ rule: string; key: string; weight: number; n: number }>(
        `SELECT a.rule, r.key, r.weight, count(*)::int AS n FROM assignments a JOIN reps r ON r.id = a.rep_id GROUP BY 1, 2, 3 ORDER BY 1, 2`,
      )
    ).rows;
    const at = await sink.stats();
    const problems: string[] = [];
    if (a.leads !== leads || a.ready !== leads) problems.push(`${a.ready} of ${a.leads} leads sales-ready, expected ${leads}`);
    if (a.one_each !== leads || a.extra !== 0) problems.push(`${a.one_each} of ${leads} leads have exactly one assignment and own it; ${a.extra} extra assignments`);
    if (a.pending !== leads || a.wrong_rule !== 0) problems.push(`${a.pending} pending sales-ready assignments of ${leads}; ${a.wrong_rule} by the wrong rule`);
    if (s.sends !== leads || s.sent !== leads) problems.push(`${s.sent} of ${s.sends} rep notifications sent, expected ${leads}`);
    if (at.messages !== runLeads || at.distinctMessageIds !== runLeads) problems.push(`sink got ${at.messages} messages (${at.distinctMessageIds} distinct), expected ${runLeads}`);
    if (grades.n !== 0) problems.push(`${grades.n} grade or persona changes: the seed disagrees with the grading model`);
    for (const rule of RULES) {
      const reps = spread.filter((x) => x.rule === rule.id);
      const total = reps.reduce((t, x) => t + x.n, 0);
      const weights = reps.reduce((t, x) => t + x.weight, 0);
      const share = (x: { weight: number }) => (rule.strategy === 'weighted' ? (total * x.weight) / weights : total / REPS_PER_RULE);
      const off = Math.max(...reps.map((x) => Math.abs(x.n - share(x))));
      log(`spread ${rule.id} (${rule.strategy}): ${reps.map((x) => `${x.key} ${x.n}`).join(', ')}; furthest ${off.toFixed(1)} from its share`);
      if (reps.length !== REPS_PER_RULE || off > 1) problems.push(`rule ${rule.id} spreads unfairly: ${reps.map((x) => `${x.key} ${x.n}`).join(', ')}`);
    }
    log(`check: ${a.leads} leads sales-ready with one pending assignment each; ${s.sent} notifications sent; sink ${at.messages} messages, ${at.distinctMessageIds} distinct Message-IDs`);
    if (problems.length) throw new Error(`hand-off result is wrong: ${problems.join('; ')}`);
  });
}

/**
 * The floor: writing the assignment rows is the least any hand-off must do. The same number of
 * rows, each for a real lead and rep, in multi-row INSERTs of the sweeper's batch size over one
 * connection into a plain copy of assignments (same columns and defaults, no indexes, no foreign
 * keys). No event, no evaluation, no routing, no lock, no owner update, no email.
 */
async function baseline(url: string, count: number): Promise<{ ms: number }> {
  return withClient(url, async (c) => {
    const leads = (await c.query<{ id: string; score: string; grade: string; persona: string | null }>(`SELECT id, score, grade, persona FROM leads WHERE source = 'run' LIMIT $1`, [count])).rows;
    const reps = (await c.query<{ id: string; key: string }>(`SELECT id, key FROM reps ORDER BY key`)).rows;
    await c.query(`CREATE TABLE bench_raw_assignments (LIKE assignments INCLUDING DEFAULTS)`);
    const cols = ['id', 'lead_id', 'rep_id', 'rule', 'cause', 'status', 'handoff_id', 'sla_due_at', 'notify_at', 'created_at', 'lead_score', 'lead_grade', 'lead_persona', 'lead_source'];
    const sql = (rows: number) =>
      `INSERT INTO bench_raw_assignments (${cols.join(', ')}) VALUES ` +
      Array.from({ length: rows }, (_, r) => `(${cols.map((_c, i) => `$${r * cols.length + i + 1}`).join(', ')})`).join(', ');
    const full = sql(BASELINE_BATCH);
    const start = epochMs();
    for (let i = 0; i < leads.length; i += BASELINE_BATCH) {
      const chunk = leads.slice(i, i + BASELINE_BATCH);
      const now = new Date();
      const params = chunk.flatMap((l, k) => {
        const rep = reps[(i + k) % reps.length];
        const id = uuidv7();
        return [id, l.id, rep.id, rep.key.replace(/-\d+$/, ''), 'sales-ready', 'pending', id, new Date(now.getTime() + 4 * 3600_000), now, now, l.score, l.grade, l.persona, 'run'];
      });
      await c.query(chunk.length === BASELINE_BATCH ? full : sql(chunk.length), params);
    }
    return { ms: epochMs() - start };
  });
}
