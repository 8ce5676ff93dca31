import { randomUUID } from 'node:crypto';
import { uuidv7 } from '../../../src/common/ids';
import { LifecycleEvents } from '../../../src/lifecycle/lifecycle-events.service';
import { BenchApp, createApiKey, createDatabase, startApp, withClient } from '../bench-app';
import { BenchOptions, BenchResult, Scenario, perSecond, result, timed } from '../bench';
import { profiled } from '../cpu-profile';
import { CpuMeter, CpuReading } from '../cpu-usage';
import { PostResult, PostSpec, epochMs, postBatches } from '../post-batches';
import { REDIS_URL, createQueuePrefix } from '../redis-prefix';

const NAME = 'ingest';
const DEFAULT_EVENTS = 100_000;
const EVENTS_PER_LEAD = 10;
const BATCH = 100;
/** requests in flight at once, like a handful of collectors forwarding a stream */
const CONCURRENCY = 12;
/** extra leads whose events warm up the JIT, the pools and the job runner before the timed run */
const WARMUP_LEADS = 100;
const GOAL_ACCEPTED_PER_S = 10_000;
const GOAL_EVALUATED_PER_S = 5_000;
const EVALUATION_TIMEOUT_MS = 300_000;
const POLL_MS = 50;
/** follow-ups count as done once none has been published for this long */
const FOLLOW_UP_QUIET_MS = 1000;

type Mode = 'inprocess' | 'redis';
/** BENCH_INGEST_MODES=inprocess (or redis) runs one job runner only, to profile or iterate faster. */
const MODES: readonly Mode[] = ['inprocess', 'redis'];

interface SeedLead {
  id: string;
  email: string;
  first_name: string;
  company: string;
  job_title: string;
  company_size: number;
  country: string;
}

/** One event as POST /v1/events takes it. */
interface WireEvent {
  type: string;
  leadId?: string;
  email?: string;
  occurredAt: string;
  properties: Record<string, string>;
  idempotencyKey: string;
}

/** An event with the lead it belongs to, which the baseline stores without looking it up. */
interface GeneratedEvent {
  wire: WireEvent;
  leadId: string;
}

interface Workload {
  leads: SeedLead[];
  events: GeneratedEvent[];
  warmupLeads: SeedLead[];
  warmupEvents: GeneratedEvent[];
}

interface ModeOutcome {
  mode: Mode;
  acceptedPerS: number;
  evaluatedPerS: number;
}

export const ingestScenario: Scenario = {
  name: NAME,
  description:
    `behaviour events/s accepted (POST /v1/events, batches of ${BATCH}, ${CONCURRENCY} in flight) and fully evaluated ` +
    `(score, stage, temperature), in-process jobs and BullMQ on Redis, vs raw batched INSERT via pg`,
  run: runIngest,
};

async function runIngest(opts: BenchOptions): Promise<BenchResult[]> {
  const total = opts.rows ?? DEFAULT_EVENTS;
  const work = generate(Math.max(1, Math.round(total / EVENTS_PER_LEAD)));
  const modes = selectedModes();
  opts.log(`${work.events.length} events for ${work.leads.length} leads in ${Math.ceil(work.events.length / BATCH)} requests; warm-up ${work.warmupEvents.length} events; modes ${modes.join(', ')}`);

  // The baseline runs once, in the first mode's database after its app has closed, and serves
  // as the floor for both metrics: storing the events is the least any evaluation has to do.
  let baselinePerS = 0;
  const outcomes: ModeOutcome[] = [];
  for (const mode of modes) {
    const afterApp = baselinePerS === 0 ? async (url: string) => (baselinePerS = await baseline(url, work.events, opts.log)) : undefined;
    outcomes.push(await runMode(mode, work, opts, afterApp));
  }

  const results: BenchResult[] = [];
  for (const o of outcomes) {
    results.push(result(NAME, `events_accepted_per_s_${o.mode}`, o.acceptedPerS, 'events/s', baselinePerS));
    results.push(result(NAME, `events_evaluated_per_s_${o.mode}`, o.evaluatedPerS, 'events/s', baselinePerS));
    const met = o.acceptedPerS >= GOAL_ACCEPTED_PER_S && o.evaluatedPerS >= GOAL_EVALUATED_PER_S;
    opts.log(
      `goal (${o.mode}): >= ${GOAL_ACCEPTED_PER_S} accepted/s and >= ${GOAL_EVALUATED_PER_S} evaluated/s: ${met ? 'met' : 'MISSED'} ` +
        `(${Math.round(o.acceptedPerS)} accepted/s, ${Math.round(o.evaluatedPerS)} evaluated/s)`,
    );
  }
  return results;
}

function selectedModes(): Mode[] {
  const raw = process.env.BENCH_INGEST_MODES;
  if (!raw) return [...MODES];
  const picked = raw.split(',').map((m) => m.trim());
  const unknown = picked.filter((m) => !(MODES as readonly string[]).includes(m));
  if (unknown.length || !picked.length) throw new Error(`BENCH_INGEST_MODES takes ${MODES.join(' and/or ')}, not "${raw}"`);
  return MODES.filter((m) => picked.includes(m));
}

async function runMode(mode: Mode, work: Workload, opts: BenchOptions, afterApp?: (url: string) => Promise<unknown>): Promise<ModeOutcome> {
  const log = (m: string) => opts.log(`${mode}: ${m}`);
  const db = await createDatabase();
  const queue = mode === 'redis' ? createQueuePrefix() : undefined;
  let bench: BenchApp | undefined;
  try {
    bench = await startApp(db.url, { env: queue ? { REDIS_URL, QUEUE_PREFIX: queue.prefix } : {} });
    const key = await createApiKey(bench.app);
    const followUps = watchFollowUps(bench.app.get(LifecycleEvents));
    const seeded = await timed(() => seedLeads(db.url, [...work.warmupLeads, ...work.leads]));
    log(`app on port ${bench.port}, database ${db.name}${queue ? `, queue prefix ${queue.prefix}` : ''}; ${work.leads.length + work.warmupLeads.length} leads seeded in ${Math.round(seeded.ms)} ms`);
    const url = `${bench.baseUrl}/v1/events`;
    const spec = (events: readonly GeneratedEvent[]): PostSpec => ({
      url,
      headers: { authorization: `Bearer ${key}` },
      bodies: toBodies(events),
      concurrency: CONCURRENCY,
    });

    const warm = await sendAndEvaluate(db.url, spec(work.warmupEvents));
    checkSent(warm.sent, work.warmupEvents.length);
    log(`warm-up: ${work.warmupEvents.length} events accepted in ${Math.round(warm.acceptMs)} ms, evaluated in ${Math.round(warm.evaluateMs)} ms`);

    await followUps.quiet();
    const meter = await CpuMeter.start(db.url, db.name);
    let atSent: CpuReading | undefined;
    followUps.reset();
    const run = await profiled(`ingest-${mode}`, () => sendAndEvaluate(db.url, spec(work.events), () => (atSent = meter.read())), log);
    const cpu = meter.read();
    checkSent(run.sent, work.events.length);
    const n = work.events.length;
    const us = (ms: number) => Math.round((ms * 1000) / n);
    log(
      `${n} events accepted in ${Math.round(run.acceptMs)} ms (latency p50 ${run.sent.latencyMs.p50} ms, p99 ${run.sent.latencyMs.p99} ms, max ${run.sent.latencyMs.max} ms); ` +
        `${run.backlog} still unevaluated at the last 202; all evaluated after ${Math.round(run.evaluateMs)} ms`,
    );
    // not part of the metric (it ends when scores, stages and temperatures are written), but
    // what the workflows do with the changes runs on the same cores and is worth seeing
    const published = await followUps.quiet();
    log(`follow-ups: ${published.count} lead changes published, the last ${Math.round(published.lastAt - run.sent.startedAt)} ms after the first request`);
    // Split at the sender's report: until then ingest and evaluation share the box, after it only evaluation runs.
    const s = atSent ?? cpu;
    log(
      `CPU per event: app ${us(cpu.selfMs)} us, Postgres ${us(cpu.postgresMs)} us (${cpu.backends} backends), sender ${us(run.sent.cpuMs)} us; ` +
        `until the last 202 app ${Math.round(s.selfMs)} ms + Postgres ${Math.round(s.postgresMs)} ms, after it app ${Math.round(cpu.selfMs - s.selfMs)} ms + Postgres ${Math.round(cpu.postgresMs - s.postgresMs)} ms`,
    );

    await verify(db.url, work.events.length + work.warmupEvents.length, work.leads.length + work.warmupLeads.length, log);
    await bench.close();
    await afterApp?.(db.url);
    return { mode, acceptedPerS: perSecond(n, run.acceptMs), evaluatedPerS: perSecond(n, run.evaluateMs) };
  } finally {
    await bench?.close();
    if (queue) log(`removed ${await queue.clear()} Redis keys under ${queue.prefix}`);
    await db.drop();
  }
}

/** Counts the lead changes handed to the follow-ups (workflows, webhooks), which run after evaluation commits. */
function watchFollowUps(events: LifecycleEvents): { reset(): void; quiet(): Promise<{ count: number; lastAt: number }> } {
  let count = 0;
  let lastAt = epochMs();
  // subscribed last, so it hears a change after the other listeners have handled it
  events.subscribe(async () => {
    count++;
    lastAt = epochMs();
  });
  return {
    reset: () => {
      count = 0;
      lastAt = epochMs();
    },
    quiet: async () => {
      while (epochMs() - lastAt < FOLLOW_UP_QUIET_MS) await new Promise((r) => setTimeout(r, POLL_MS));
      return { count, lastAt };
    },
  };
}

function toBodies(events: readonly GeneratedEvent[]): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < events.length; i += BATCH) bodies.push(JSON.stringify({ events: events.slice(i, i + BATCH).map((e) => e.wire) }));
  return bodies;
}

/**
 * Sends every batch, then polls until no activity waits for evaluation. Both times run from the
 * first request; the poll starts once the sender has reported, which adds a few ms at most
 * (the last batch still has to be evaluated after its 202).
 */
async function sendAndEvaluate(url: string, spec: PostSpec, onSent?: () => void): Promise<{ sent: PostResult; acceptMs: number; evaluateMs: number; backlog: number }> {
  const sent = await postBatches(spec);
  onSent?.();
  return withClient(url, async (c) => {
    const backlog = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM activities WHERE evaluated_at IS NULL`)).rows[0].n);
    const deadline = Date.now() + EVALUATION_TIMEOUT_MS;
    for (;;) {
      const { rows } = await c.query<{ pending: boolean }>(`SELECT EXISTS (SELECT 1 FROM activities WHERE evaluated_at IS NULL) AS pending`);
      if (!rows[0].pending) break;
      if (Date.now() > deadline) throw new Error(`activities still unevaluated ${EVALUATION_TIMEOUT_MS} ms after the last request`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return { sent, acceptMs: sent.lastOkAt - sent.startedAt, evaluateMs: epochMs() - sent.startedAt, backlog };
  });
}

function checkSent(sent: PostResult, events: number): void {
  let accepted = 0;
  let duplicates = 0;
  let rejected = 0;
  for (const text of sent.answers) {
    if (!text) continue;
    const a = JSON.parse(text) as { accepted: number; duplicates: number; rejected: unknown[] };
    accepted += a.accepted;
    duplicates += a.duplicates;
    rejected += a.rejected.length;
  }
  const problems = [
    (sent.statuses['202'] ?? 0) !== sent.requests && `statuses ${JSON.stringify(sent.statuses)} for ${sent.requests} requests: ${sent.failures.join(' | ')}`,
    sent.errors > 0 && `${sent.errors} requests failed: ${sent.failures.join(' | ')}`,
    accepted !== events && `accepted ${accepted} of ${events} events`,
    duplicates > 0 && `${duplicates} events reported as duplicates`,
    rejected > 0 && `${rejected} events rejected`,
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length) throw new Error(`ingest result is wrong: ${problems.join('; ')}`);
}

/** Every activity evaluated, every lead written, and the scores agree with the score ledger. */
async function verify(url: string, events: number, leads: number, log: (m: string) => void): Promise<void> {
  await withClient(url, async (c) => {
    const one = async (sql: string) => (await c.query<Record<string, string | null>>(sql)).rows[0];
    const acts = await one(`SELECT count(*) AS total, count(*) FILTER (WHERE evaluated_at IS NULL) AS pending FROM activities`);
    const ls = await one(`SELECT count(*) AS total, count(*) FILTER (WHERE evaluated_at IS NULL OR last_activity_at IS NULL) AS unevaluated, coalesce(sum(score), 0) AS score FROM leads`);
    const ledger = await one(`SELECT coalesce(sum(points), 0) AS points, count(*) AS entries FROM score_changes WHERE dimension = 'total'`);
    const spread = (await c.query<{ stage: string; temperature: string; n: string }>(`SELECT stage, temperature, count(*) AS n FROM leads GROUP BY 1, 2 ORDER BY 1, 2`)).rows;
    const scoreSum = Number(ls.score);
    const ledgerSum = Number(ledger.points);
    // Every entry is rounded to cents and so is the score it produces: the two sums agree to
    // rounding, a few cents over thousands of leads at most.
    const tolerance = 0.01 * leads;
    log(
      `check: ${acts.total} activities (${acts.pending} unevaluated); ${ls.total} leads, sum of scores ${scoreSum}, ledger ${ledgerSum} over ${ledger.entries} entries; ` +
        spread.map((s) => `${s.stage}/${s.temperature} ${s.n}`).join(', '),
    );
    const problems = [
      Number(acts.total) !== events && `activities holds ${acts.total} rows, expected ${events}`,
      Number(acts.pending) !== 0 && `${acts.pending} activities left unevaluated`,
      Number(ls.total) !== leads && `leads holds ${ls.total} rows, expected ${leads}`,
      Number(ls.unevaluated) !== 0 && `${ls.unevaluated} leads never evaluated`,
      Math.abs(scoreSum - ledgerSum) > tolerance && `sum of lead scores ${scoreSum} differs from the ledger's ${ledgerSum}`,
      Number(ledger.entries) === 0 && 'no score changes recorded',
    ].filter((p): p is string => typeof p === 'string');
    if (problems.length) throw new Error(`evaluation result is wrong: ${problems.join('; ')}`);
  });
}

/**
 * Leads as an earlier import and evaluation left them (evaluated yesterday, nothing pending):
 * the events are the only work, and no lead counts as new (which would start welcome mails).
 */
async function seedLeads(url: string, leads: readonly SeedLead[]): Promise<void> {
  await withClient(url, async (c) => {
    for (let i = 0; i < leads.length; i += 5000) {
      const chunk = leads.slice(i, i + 5000);
      const col = <K extends keyof SeedLead>(k: K) => chunk.map((l) => l[k]);
      await c.query(
        `INSERT INTO leads (id, email, first_name, company, job_title, company_size, country, consent, source, needs_evaluation, evaluated_at)
         SELECT *, true, 'bench', false, now() - interval '1 day' FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[])`,
        [col('id'), col('email'), col('first_name'), col('company'), col('job_title'), col('company_size'), col('country')],
      );
    }
  });
}

/**
 * The floor: the same events, lead ids already known, stored with multi-row INSERTs of
 * ${BATCH} over one connection into a plain copy of activities (same columns and defaults, no
 * indexes, no foreign key). No validation, no lead lookup, no job, no evaluation.
 */
async function baseline(url: string, events: readonly GeneratedEvent[], log: (m: string) => void): Promise<number> {
  const cols = ['id', 'lead_id', 'type', 'occurred_at', 'properties', 'idempotency_key'] as const;
  const sql = (n: number) =>
    `INSERT INTO bench_raw_activities (${cols.join(', ')}) VALUES ` +
    Array.from({ length: n }, (_, r) => `(${cols.map((_c, i) => `$${r * cols.length + i + 1}`).join(', ')})`).join(', ');
  const raw = await timed(() =>
    withClient(url, async (c) => {
      await c.query(`CREATE TABLE bench_raw_activities (LIKE activities INCLUDING DEFAULTS)`);
      const full = sql(BATCH);
      for (let i = 0; i < events.length; i += BATCH) {
        const batch = events.slice(i, i + BATCH);
        const params = batch.flatMap((e) => [uuidv7(), e.leadId, e.wire.type, e.wire.occurredAt, JSON.stringify(e.wire.properties), e.wire.idempotencyKey]);
        await c.query(batch.length === BATCH ? full : sql(batch.length), params);
      }
    }),
  );
  log(`baseline: raw INSERT of ${events.length} events in batches of ${BATCH}: ${Math.round(raw.ms)} ms`);
  return perSecond(events.length, raw.ms);
}

// ---- data -------------------------------------------------------------------------------------

const FIRST = ['Anna', 'Ben', 'Chloé', 'David', 'Elena', 'Farid', 'Grace', 'Hiroshi', 'Ingrid', 'Jamal', 'Liam', 'María', 'Noah', 'Priya', 'Sven', 'Wei'];
const COMPANIES = ['Northwind Logistics', 'Acme Analytics', 'Globex Health', 'Initech Systems', 'Hooli Labs', 'Vandelay Foods', 'Stark Energy', 'Wayne Capital'];
const TITLES = ['Head of Marketing', 'VP, Sales', 'Marketing Manager', 'CTO', 'Software Engineer', 'Team Lead', 'CEO', 'Product Manager', 'Finance Director', 'Student'];
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'NL', 'SE', 'CA', 'AU', 'IN', 'BR'];
const PAGES: readonly [weight: number, category: string][] = [[45, 'blog'], [20, 'product'], [15, 'pricing'], [12, 'docs'], [8, 'careers']];
const CHANNELS = ['direct', 'organic-search', 'paid-search', 'email', 'social', 'referral'];
const PRODUCTS = ['analytics', 'crm', 'billing', 'automation'];
const WEBINARS = ['roi-2024-q1', 'automation-2024-q2', 'scale-2024-q3'];

type Pick = <T>(list: readonly T[]) => T;
type Make = (pick: Pick, weighted: (list: readonly (readonly [number, string])[]) => string) => { type: string; properties: Record<string, string>; byEmail?: boolean };

/** Behaviour mix by weight; forms and webinars identify by email, tracked clicks and views by lead id. */
const KINDS: readonly [weight: number, make: Make][] = [
  [45, (p, w) => { const category = w(PAGES); return { type: 'page.visited', properties: { pageCategory: category, path: `/${category}/${p(['a', 'b', 'c', 'd'])}`, channel: p(CHANNELS) } }; }],
  [10, (p) => ({ type: 'content.downloaded', properties: { product: p(PRODUCTS), asset: p(['whitepaper', 'ebook', 'case-study', 'datasheet']) } })],
  [6, (p) => ({ type: 'webinar.registered', properties: { webinarId: p(WEBINARS) }, byEmail: true })],
  [4, (p) => ({ type: 'webinar.attended', properties: { webinarId: p(WEBINARS), minutes: p(['12', '35', '58']) } })],
  [8, (p) => ({ type: 'form.submitted', properties: { form: p(['contact', 'demo-request', 'trial', 'event-signup']) }, byEmail: true })],
  [12, (p) => ({ type: 'ad.clicked', properties: { channel: p(['paid-search', 'paid-social', 'display']), campaign: p(['brand', 'competitor', 'retargeting']) } })],
  [4, () => ({ type: 'newsletter.subscribed', properties: { list: 'monthly' }, byEmail: true })],
  [3, (p) => ({ type: 'info.requested', properties: { topic: p(['pricing', 'demo', 'security-review']) }, byEmail: true })],
  [8, (p) => ({ type: 'chat.interacted', properties: { topic: p(['pricing', 'integration', 'support']) } })],
];

/** Seeded so every run sends the same mix and runs stay comparable (lead ids are random). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(leadCount: number): Workload {
  const rnd = mulberry32(0x1e57);
  const pick: Pick = (list) => list[Math.floor(rnd() * list.length)];
  const weighted = <T>(list: readonly (readonly [number, T])[]): T => {
    let x = rnd() * list.reduce((s, [w]) => s + w, 0);
    for (const [w, v] of list) if ((x -= w) < 0) return v;
    return list[list.length - 1][1];
  };
  const makeLeads = (n: number, tag: string): SeedLead[] =>
    Array.from({ length: n }, (_, i) => ({
      id: randomUUID(),
      email: `${tag}${i}@${pick(COMPANIES).toLowerCase().replace(/ /g, '-')}.bench`,
      first_name: pick(FIRST),
      company: pick(COMPANIES),
      job_title: pick(TITLES),
      company_size: Math.round(10 ** (rnd() * 4.5)),
      country: pick(COUNTRIES),
    }));
  // Each lead's events fall at random into the last few hours, then the whole stream is sent in
  // time order: a lead's events are spread over the run, as they would be from a live site.
  const start = Date.now() - 3 * 3600_000;
  const makeEvents = (leads: readonly SeedLead[], tag: string): GeneratedEvent[] => {
    const timed: { at: number; event: GeneratedEvent }[] = [];
    leads.forEach((lead, li) => {
      for (let k = 0; k < EVENTS_PER_LEAD; k++) {
        const kind = weighted(KINDS)(pick, weighted);
        const at = start + Math.floor(rnd() * 2 * 3600_000);
        const wire: WireEvent = {
          type: kind.type,
          ...(kind.byEmail ? { email: lead.email } : { leadId: lead.id }),
          occurredAt: new Date(at).toISOString(),
          properties: kind.properties,
          idempotencyKey: `${tag}-${li}-${k}`,
        };
        timed.push({ at, event: { wire, leadId: lead.id } });
      }
    });
    return timed.sort((a, b) => a.at - b.at).map((t) => t.event);
  };
  const leads = makeLeads(leadCount, 'lead');
  const warmupLeads = makeLeads(WARMUP_LEADS, 'warm');
  return { leads, events: makeEvents(leads, 'ev'), warmupLeads, warmupEvents: makeEvents(warmupLeads, 'warm') };
}
