import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { TrackingUrls } from '../../../src/tracking/tracking-urls';
import { BenchApp, createDatabase, startApp, withClient } from '../bench-app';
import { BenchOptions, BenchResult, Scenario, result } from '../bench';
import { profiled } from '../cpu-profile';
import { CpuMeter, CpuReading } from '../cpu-usage';
import { LoadResult, LoadSpec, accepted, loadClient, runLoad } from '../http-load';
import { QueuePrefix, REDIS_URL, createQueuePrefix } from '../redis-prefix';

const NAME = 'track';
const SENDS = 1000;
const LINKS_PER_SEND = 3;
const CONNECTIONS = 100;
const DEFAULT_SECONDS = 10;
const WARMUP_SECONDS = 2;
const GOAL_HITS_PER_S = 20_000;
const GOAL_RATIO = 0.4;
const PUBLIC_URL = 'http://kindling.bench';
const EMPTY_PATH = '/bench/empty';
/** A real browser: scanner and proxy user agents are classified differently but cost the same. */
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/**
 * Where the evaluation jobs the hits cause go. `api` (default): the app runs as APP_ROLE=api with
 * BullMQ on a private Redis prefix, as the tracking endpoints run in production; the jobs are
 * enqueued (that cost is measured) and left for workers this scenario does not start, since
 * evaluation has its own benchmark (ingest). `embedded` (BENCH_TRACK_JOBS=embedded): APP_ROLE=all
 * with in-process jobs, so the same process also scores every hit while it is measured.
 */
type JobsMode = 'api' | 'embedded';

/**
 * The floor: a route that does nothing, registered the way the tracking routes are (a plain
 * Fastify route added at module init), so it runs the same hooks: Nest middleware (pino-http)
 * through middie, and the metrics hook.
 */
@Injectable()
class EmptyRoute implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.get(EMPTY_PATH, (_req, reply) => reply.code(204).send());
  }
}

@Module({ providers: [EmptyRoute] })
class EmptyRouteModule {}

export const trackScenario: Scenario = {
  name: NAME,
  description: `open pixel and click redirect hits/s, each stored before it is answered, ${CONNECTIONS} connections, vs an empty Fastify route in the same app`,
  run: runTrack,
};

async function runTrack(opts: BenchOptions): Promise<BenchResult[]> {
  const seconds = opts.seconds ?? DEFAULT_SECONDS;
  const mode: JobsMode = process.env.BENCH_TRACK_JOBS === 'embedded' ? 'embedded' : 'api';
  const db = await createDatabase();
  const queue: QueuePrefix | undefined = mode === 'api' ? createQueuePrefix() : undefined;
  let bench: BenchApp | undefined;
  try {
    const env: Record<string, string> = queue ? { PUBLIC_URL, APP_ROLE: 'api', REDIS_URL, QUEUE_PREFIX: queue.prefix } : { PUBLIC_URL };
    const app = (bench = await startApp(db.url, { env, imports: [EmptyRouteModule] }));
    const sendIds = await seed(db.url);
    const paths = trackingPaths(new TrackingUrls(app.config.publicUrl, app.config.secretKey), sendIds);
    opts.log(`app on port ${app.port}, database ${db.name}; ${sendIds.length} sent emails, ${paths.length} distinct tracking URLs; ${seconds} s per run`);
    opts.log(
      mode === 'api'
        ? `jobs: APP_ROLE=api, BullMQ on ${REDIS_URL} prefix ${queue?.prefix} (evaluations enqueued, no worker runs them)`
        : 'jobs: APP_ROLE=all, in-process (this process also evaluates the hits)',
    );
    opts.log(
      `cores: none pinned; the app (this process), the ${loadClient()} load generator (a child process), Postgres and Redis share all cores, ` +
        'for the baseline and the hits alike; each one\'s CPU per request is reported',
    );

    const phase = { baseUrl: app.baseUrl, seconds, log: opts.log, meter: () => CpuMeter.start(db.url, db.name) };
    const empty = await measure({ ...phase, label: 'track-baseline', paths: [EMPTY_PATH] });
    opts.log(`baseline ${EMPTY_PATH}: ${describe(empty.run, empty.cpu)}`);

    // Warm-up requests cut off mid-flight may still be writing; the measured run starts from a settled count.
    const track = await measure({ ...phase, label: 'track-hits', paths, beforeRun: () => settledCount(db.url) });
    const stored = (await settledCount(db.url)) - (track.before ?? 0);
    const ok = accepted(track.run);
    opts.log(`stored ${stored} activities, accepted ${ok} hits (2xx ${track.run.statuses['2xx']}, 3xx ${track.run.statuses['3xx']})`);
    opts.log(`tracking: ${describe(track.run, track.cpu)}`);
    const problems = [
      stored !== ok && `stored ${stored} activities but accepted ${ok} hits`,
      ok !== track.run.responses && `${track.run.responses - ok} hits answered with an error status (${JSON.stringify(track.run.statuses)})`,
      track.run.errors > 0 && `${track.run.errors} connection errors (${track.run.timeouts} timeouts)`,
    ].filter((p): p is string => typeof p === 'string');
    if (problems.length) throw new Error(`tracking result is wrong: ${problems.join('; ')}`);

    const results = [
      result(NAME, 'tracking_hits_per_s', track.run.perSecond, 'hits/s', empty.run.perSecond),
      result(NAME, 'tracking_p99_ms', track.run.latencyMs.p99, 'ms', empty.run.latencyMs.p99),
    ];
    const met = results[0].value >= GOAL_HITS_PER_S && results[0].ratio >= GOAL_RATIO;
    opts.log(`goal: >= ${GOAL_HITS_PER_S} hits/s and ratio >= ${GOAL_RATIO}: ${met ? 'met' : 'MISSED'} (${results[0].value} hits/s, ${results[0].ratio}x)`);
    return results;
  } finally {
    await bench?.close();
    if (queue) opts.log(`removed ${await queue.clear()} Redis keys under ${queue.prefix}`);
    await db.drop();
  }
}

interface Phase {
  label: string;
  baseUrl: string;
  paths: string[];
  seconds: number;
  log: (m: string) => void;
  meter: () => Promise<CpuMeter>;
  /** runs between warm-up and measured run; its result comes back as `before` */
  beforeRun?: () => Promise<number>;
}

/**
 * A short timed warm-up (JIT, connection pools, the send cache), then a run of exactly as many
 * requests as the warm-up rate would fit into `seconds`: a fixed count is what makes every
 * request answered and comparable with the rows stored.
 */
async function measure(p: Phase): Promise<{ run: LoadResult; before?: number; cpu: CpuReading }> {
  const spec = (amount?: number): LoadSpec => ({
    baseUrl: p.baseUrl,
    paths: p.paths,
    connections: CONNECTIONS,
    client: loadClient(),
    ...(amount ? { amount } : { seconds: Math.min(WARMUP_SECONDS, p.seconds) }),
    headers: { 'user-agent': USER_AGENT, accept: 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8' },
  });
  const warm = await runLoad(spec());
  const before = await p.beforeRun?.();
  const meter = await p.meter();
  const amount = Math.max(CONNECTIONS * 10, Math.round(warm.perSecond * p.seconds));
  const { run, cpu } = await profiled(p.label, async () => ({ run: await runLoad(spec(amount)), cpu: meter.read() }), p.log);
  return { run, before, cpu };
}

function describe(r: LoadResult, cpu: CpuReading): string {
  const us = (ms: number) => Math.round((ms * 1000) / Math.max(1, r.responses));
  return (
    `${r.responses} responses in ${Math.round(r.elapsedMs)} ms = ${Math.round(r.perSecond)}/s; ` +
    `latency p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms; statuses ${JSON.stringify(r.statuses)}; errors ${r.errors}; ` +
    `CPU per request: app ${us(cpu.selfMs)} us, Postgres ${us(cpu.postgresMs)} us (${cpu.backends} backends), load generator ${us(r.cpuMs)} us`
  );
}

/**
 * Leads as already evaluated (else the lifecycle sweeper scores all of them during the baseline)
 * and sends as delivery leaves them: sent an hour ago, so clicks are not taken for link scanners.
 */
async function seed(url: string): Promise<string[]> {
  return withClient(url, async (c) => {
    await c.query(
      `INSERT INTO leads (id, email, first_name, company, consent, needs_evaluation)
       SELECT gen_random_uuid(), 'reader' || i || '@inbox.bench', 'Reader ' || i, 'Acme', true, false FROM generate_series(1, $1) AS i`,
      [SENDS],
    );
    const links = Array.from({ length: LINKS_PER_SEND }, (_, k) => `'https://www.example.com/page-${k}?lead=' || l.id`).join(', ');
    const { rows } = await c.query<{ id: string }>(
      `INSERT INTO email_sends (id, lead_id, template, status, message_id, subject, links, attempts, queued_at, sent_at, smtp_response)
       SELECT gen_random_uuid(), l.id, 'bench', 'sent', '<' || l.id || '@kindling.bench>', 'Hello', jsonb_build_array(${links}), 1,
              now() - interval '1 hour', now() - interval '1 hour', '250 OK'
       FROM leads l
       RETURNING id`,
    );
    return rows.map((r) => r.id);
  });
}

/** Half opens, half clicks, with every link of every send clicked over a full cycle. */
function trackingPaths(urls: TrackingUrls, sendIds: readonly string[]): string[] {
  const path = (u: string) => u.slice(PUBLIC_URL.length);
  const paths: string[] = [];
  for (let round = 0; round < LINKS_PER_SEND; round++) {
    sendIds.forEach((id, i) => paths.push(path(urls.url('open', id)), path(urls.url('click', id, (i + round) % LINKS_PER_SEND))));
  }
  return paths;
}

async function countActivities(url: string): Promise<number> {
  return withClient(url, async (c) => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM activities')).rows[0].n));
}

/** The row count once it stops moving: hits answered are committed, but cut-off ones may still be writing. */
async function settledCount(url: string): Promise<number> {
  let last = await countActivities(url);
  for (let stable = 0; stable < 3; ) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await countActivities(url);
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
  return last;
}
