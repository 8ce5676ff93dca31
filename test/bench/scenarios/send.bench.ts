import { performance } from 'node:perf_hooks';
import { SendMailOptions, createTransport } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { composeMessage } from '../../../src/delivery/message-composer';
import { SendsService } from '../../../src/delivery/sends.service';
import { TemplateRegistryService } from '../../../src/email/template-registry.service';
import { TemplateLead } from '../../../src/email/template-render';
import { TrackingUrls } from '../../../src/tracking/tracking-urls';
import { BenchApp, createDatabase, startApp, withClient } from '../bench-app';
import { BenchOptions, BenchResult, Scenario, perSecond, result } from '../bench';
import { profiled } from '../cpu-profile';
import { CpuMeter } from '../cpu-usage';
import { REDIS_URL, createQueuePrefix } from '../redis-prefix';
import { SmtpCounter } from '../smtp-counter';

const NAME = 'send';
const DEFAULT_ROWS = 5000;
const POOL_SIZE = 8;
/** jobs in flight in the app, and sendMail() calls in flight in the baseline */
const CONCURRENCY = 32;
/** callers of SendsService.queue() at once, like a campaign fan-out or a burst of API calls */
const QUEUE_CALLERS = 8;
const GOAL_PER_S = 500;
const GOAL_RATIO = 0.6;
const PUBLIC_URL = 'http://kindling.bench';
const MAIL_FROM = 'Kindling Bench <news@kindling.bench>';
const TIMEOUT_MS = 300_000;

/**
 * The app runs with in-process jobs (no REDIS_URL) to measure the delivery path itself. With
 * BENCH_SEND_REDIS=1 a second run goes through BullMQ on BENCH_REDIS_URL and is reported as
 * send_messages_per_s_bullmq against the same baseline.
 */
export const sendScenario: Scenario = {
  name: NAME,
  description: `messages/s through queue, render, MIME and a ${POOL_SIZE}-connection SMTP pool into a local sink vs a bare nodemailer pool sending pre-built messages`,
  run: runSend,
};

interface SeededLead {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  company: string;
  jobTitle: string;
}

async function runSend(opts: BenchOptions): Promise<BenchResult[]> {
  const n = opts.rows ?? DEFAULT_ROWS;
  const warmup = Math.min(200, Math.max(CONCURRENCY, Math.round(n / 10)));
  const sink = await SmtpCounter.start();
  try {
    const app = await deliverThroughApp(sink, n, warmup, {}, 'send-app', opts);
    let bullmq: AppRun | undefined;
    if (process.env.BENCH_SEND_REDIS) {
      // the job queue in Redis costs round trips per job; a prefix of its own keeps runs apart
      const queue = createQueuePrefix();
      try {
        bullmq = await deliverThroughApp(sink, n, warmup, { REDIS_URL, QUEUE_PREFIX: queue.prefix }, 'send-app-bullmq', opts);
      } finally {
        await queue.clear();
      }
    }

    const raw = await buildRaw(app.sample, warmup + n);
    opts.log(`baseline: built ${raw.length} MIME messages before timing`);
    await bareSend(sink, raw.slice(0, warmup));
    const bare = await bareSend(sink, raw.slice(warmup));
    opts.log(
      `baseline: ${n} pre-built messages in ${Math.round(bare.ms)} ms, ${Math.round(bare.stats.bytes / bare.stats.messages)} bytes each; ` +
        `CPU per message ${(bare.cpuMs / n).toFixed(2)} ms here, ${(bare.stats.cpuMs / n).toFixed(2)} ms in the sink`,
    );
    // Not the baseline: the same messages composed by nodemailer per send, which splits the app's cost into MIME and the rest
    const composed = await bareSend(sink, app.sample.copies(warmup, n));
    opts.log(
      `diagnostic: ${n} messages composed by nodemailer per send: ${Math.round(composed.ms)} ms = ${Math.round(perSecond(n, composed.ms))}/s; ` +
        `CPU per message ${(composed.cpuMs / n).toFixed(2)} ms here`,
    );

    const results = [result(NAME, 'send_messages_per_s', perSecond(n, app.ms), 'msgs/s', perSecond(n, bare.ms))];
    if (bullmq) results.push(result(NAME, 'send_messages_per_s_bullmq', perSecond(n, bullmq.ms), 'msgs/s', perSecond(n, bare.ms)));
    const met = results[0].value >= GOAL_PER_S && results[0].ratio >= GOAL_RATIO;
    opts.log(`goal: >= ${GOAL_PER_S} messages/s and ratio >= ${GOAL_RATIO}: ${met ? 'met' : 'MISSED'} (${results[0].value}/s, ${results[0].ratio}x)`);
    return results;
  } finally {
    await sink.stop();
  }
}

interface AppRun {
  ms: number;
  /** a message as this app composed it, for the baseline to send copies of */
  sample: ReturnType<typeof sampleMessage>;
}

/**
 * Boots the app on a database of its own, delivers `warmup` sends, then times `n` more from
 * the first queue() call until the sink holds all of them and Postgres has every one 'sent'.
 */
async function deliverThroughApp(sink: SmtpCounter, n: number, warmup: number, env: Record<string, string>, label: string, opts: BenchOptions): Promise<AppRun> {
  const db = await createDatabase();
  let bench: BenchApp | undefined;
  try {
    bench = await startApp(db.url, {
      env: { SMTP_URL: sink.url, SMTP_POOL_SIZE: String(POOL_SIZE), JOB_CONCURRENCY: String(CONCURRENCY), MAIL_FROM, PUBLIC_URL, ...env },
    });
    const registry = bench.app.get(TemplateRegistryService);
    const template = registry.list().find((t) => t.type === 'email' && t.kind !== null && t.kind !== 'notification');
    if (!template) throw new Error('no marketing email template in the templates directory');
    const leads = await seedLeads(db.url, warmup + n);
    const jobs = env.REDIS_URL ? `BullMQ on ${env.REDIS_URL}` : 'in-process jobs';
    opts.log(`${label}: app on port ${bench.port}, database ${db.name}, sink on port ${sink.port}; template ${template.name}; ${jobs}, SMTP pool ${POOL_SIZE}, job concurrency ${CONCURRENCY}`);

    const sends = bench.app.get(SendsService);
    const deliver = async (batch: SeededLead[], tag: string) => {
      await sink.reset();
      const commitsBefore = await commitCount(db.url, db.name);
      const cpu = await CpuMeter.start(db.url, db.name);
      const start = performance.now();
      await forEachLimited(batch, QUEUE_CALLERS, (lead) => sends.queue({ leadId: lead.id, template: template.name, idempotencyKey: `${tag}:${lead.id}` }).then(() => undefined));
      const queuedMs = performance.now() - start;
      const stats = await sink.waitFor(batch.length, TIMEOUT_MS);
      await waitForSent(db.url, tag, batch.length);
      const ms = performance.now() - start;
      const reading = cpu.read();
      // every statement of the delivery path commits on its own (no BEGIN), so commits count its round trips (plus a few polls of waitForSent)
      return { ms, queuedMs, stats, cpu: reading, commits: (await commitCount(db.url, db.name)) - commitsBefore };
    };
    await deliver(leads.slice(0, warmup), 'warmup');
    const run = await profiled(label, () => deliver(leads.slice(warmup), 'run'), opts.log);
    const statuses = await statusCounts(db.url);
    const per = (ms: number) => (ms / n).toFixed(2);
    opts.log(
      `${label}: ${n} messages in ${Math.round(run.ms)} ms = ${Math.round(perSecond(n, run.ms))}/s (all queued after ${Math.round(run.queuedMs)} ms); ` +
        `sink got ${run.stats.messages}, ${run.stats.distinctMessageIds} distinct Message-IDs, ${Math.round(run.stats.bytes / run.stats.messages)} bytes each; statuses ${JSON.stringify(statuses)}`,
    );
    opts.log(
      `${label}: CPU per message ${per(run.cpu.selfMs)} ms in the app process (${per(run.cpu.selfSystemMs)} of it in the kernel), ` +
        `${per(run.cpu.postgresMs)} ms in its ${run.cpu.backends} Postgres backends, ${per(run.stats.cpuMs)} ms in the sink` +
        (Number.isNaN(run.commits) ? '' : `; ${(run.commits / n).toFixed(2)} Postgres commits (statements) per message`),
    );
    const problems = [
      run.stats.messages !== n && `sink got ${run.stats.messages} messages, expected ${n}`,
      run.stats.distinctMessageIds !== n && `sink saw ${run.stats.distinctMessageIds} distinct Message-IDs, expected ${n}`,
      statuses.sent !== warmup + n && `${statuses.sent ?? 0} sends are 'sent', expected ${warmup + n}`,
    ].filter((p): p is string => typeof p === 'string');
    if (problems.length) throw new Error(`delivery result is wrong: ${problems.join('; ')}`);
    return { ms: run.ms, sample: sampleMessage(registry, template.name, new TrackingUrls(bench.config.publicUrl, bench.config.secretKey), leads[0]) };
  } finally {
    // closed before anything else runs, so its pools and timers do not share the machine with it
    await bench?.close();
    await db.drop();
  }
}

/** One real message as delivery composes it, and copies of it that differ only in recipient and Message-ID. */
function sampleMessage(registry: TemplateRegistryService, template: string, urls: TrackingUrls, lead: SeededLead) {
  const sendId = lead.id;
  const composed = composeMessage(
    {
      sendId,
      messageId: `<${sendId}@kindling.bench>`,
      to: lead.email,
      from: MAIL_FROM,
      category: 'marketing',
      unsubscribeMailto: 'unsubscribe@kindling.bench',
      render: ({ unsubscribeUrl, rewriteLink }) => registry.render(template, { lead: templateLead(lead), links: { unsubscribe: unsubscribeUrl } }, { rewriteLink }),
    },
    urls,
  );
  const recipient = (i: number) => `copy${i}@inbox.bench`;
  const copy = (i: number): SendMailOptions => ({ ...composed.mail, to: recipient(i), messageId: `<copy${i}.${sendId}@kindling.bench>` });
  return { recipient, copy, copies: (from: number, count: number) => Array.from({ length: count }, (_, i) => copy(from + i)) };
}

/** Finished MIME for `count` copies, built before the clock starts. */
async function buildRaw(sample: ReturnType<typeof sampleMessage>, count: number): Promise<SendMailOptions[]> {
  const out: SendMailOptions[] = [];
  for (let i = 0; i < count; i++) {
    const mail = sample.copy(i);
    out.push({ envelope: { from: MAIL_FROM, to: sample.recipient(i) }, raw: await new MailComposer(mail).compile().build() });
  }
  return out;
}

/**
 * The floor: a pool configured like the app's (same size, same reuse) pushing messages with the
 * same number in flight. Given finished MIME (`raw`), nodemailer has only SMTP left to do.
 */
async function bareSend(sink: SmtpCounter, messages: readonly SendMailOptions[]) {
  const url = new URL(sink.url);
  const transport = createTransport({ pool: true, host: url.hostname, port: Number(url.port), maxConnections: POOL_SIZE, maxMessages: 1000, ignoreTLS: true });
  try {
    await sink.reset();
    const cpu = process.cpuUsage();
    const start = performance.now();
    await forEachLimited(messages, CONCURRENCY, async (m) => {
      await transport.sendMail(m);
    });
    const stats = await sink.waitFor(messages.length, TIMEOUT_MS);
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    if (stats.distinctMessageIds !== messages.length) throw new Error(`baseline: sink saw ${stats.distinctMessageIds} distinct Message-IDs of ${messages.length}`);
    return { ms, stats, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    transport.close();
  }
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function templateLead(l: SeededLead): TemplateLead {
  return { id: l.id, email: l.email, firstName: l.firstName, lastName: l.lastName, company: l.company, jobTitle: l.jobTitle, country: 'DE', timezone: 'Europe/Berlin' };
}

/** Seeded as already evaluated: otherwise the lifecycle sweeper scores every new lead in the app process during the run. */
async function seedLeads(url: string, count: number): Promise<SeededLead[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ id: string; email: string; first_name: string; last_name: string; company: string; job_title: string }>(
      `INSERT INTO leads (id, email, first_name, last_name, company, job_title, industry, company_size, country, timezone, source, consent, needs_evaluation)
       SELECT gen_random_uuid(), 'reader' || i || '@inbox.bench', 'Reader' || i, 'Example', 'Acme ' || (i % 97), 'Head of Marketing',
              'Software', 50 + i % 500, 'DE', 'Europe/Berlin', 'bench', true, false
       FROM generate_series(1, $1) AS i
       RETURNING id, email, first_name, last_name, company, job_title`,
      [count],
    );
    return rows.map((r) => ({ id: r.id, email: r.email, firstName: r.first_name, lastName: r.last_name, company: r.company, jobTitle: r.job_title }));
  });
}

/** Delivery marks a send 'sent' just after the SMTP server accepted it, so the database lags the sink slightly. */
async function waitForSent(url: string, tag: string, count: number): Promise<void> {
  await withClient(url, async (c) => {
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_sends WHERE status = 'sent' AND idempotency_key LIKE $1`, [`${tag}:%`]);
      if (rows[0].n >= count) return;
      if (Date.now() > deadline) throw new Error(`${rows[0].n} of ${count} sends marked sent within ${TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  });
}

/**
 * With BENCH_SEND_COMMITS=1, transactions committed in the database so far (NaN otherwise).
 * Backends report them up to 10 s late when idle, so this waits that long before reading.
 */
async function commitCount(url: string, name: string): Promise<number> {
  if (!process.env.BENCH_SEND_COMMITS) return NaN;
  await new Promise((r) => setTimeout(r, 11_000));
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ n: string }>(`SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = $1`, [name]);
    return Number(rows[0].n);
  });
}

async function statusCounts(url: string): Promise<Record<string, number>> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM email_sends GROUP BY status`);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  });
}
