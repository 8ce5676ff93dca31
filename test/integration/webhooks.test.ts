import { createHmac, timingSafeEqual } from 'node:crypto';
import { IncomingHttpHeaders, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { TransactionService } from '../../src/database/transaction.service';
import { WebhookDeliveriesRepository } from '../../src/webhooks/webhook-deliveries.repository';
import { WebhooksService } from '../../src/webhooks/webhooks.service';
import { SmtpSink } from '../support/smtp-sink';
import { TestApp, bootTestApp } from '../support/test-app';
import { eventually } from '../support/wait';

const TIMEOUT_MS = 4000;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

type Answer = number | 'hang';

/** A real endpoint on a local port; `answer` picks the status of the nth request (1-based). */
async function receiver(answer: (n: number, r: Received) => Answer = () => 200) {
  const got: Received[] = [];
  const hanging: ServerResponse[] = [];
  let open = 0;
  let mostOpen = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      got.push(r);
      const a = answer(got.length, r);
      if (a === 'hang') {
        hanging.push(res);
        mostOpen = Math.max(mostOpen, ++open);
        res.on('close', () => open--);
        return;
      }
      res.writeHead(a, { 'content-type': 'text/plain' }).end(a >= 300 ? `no thanks (${a})` : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    mostOpen: () => mostOpen,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Verification as a receiver would write it from the Standard Webhooks spec, independent of
 * Kindling's signer: HMAC-SHA256 of "id.timestamp.body" keyed with the base64-decoded secret,
 * compared against every "v1,<base64>" entry of webhook-signature, timestamp within 5 minutes.
 */
function verifies(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

interface EventBody {
  type: string;
  timestamp: string;
  data: { leadId?: string; lead?: { id: string; email: string; stage: string }; [key: string]: unknown };
}
interface DeliveryEntry {
  id: string;
  eventId: string;
  type: string;
  status: string;
  attempts: number;
  lastResponseCode: number | null;
  lastError: string | null;
  lastDurationMs: number | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

const bodyOf = (r: Received) => JSON.parse(r.body) as EventBody;

describe('outbound webhooks (Postgres + Redis)', () => {
  let t: TestApp;
  const receivers: Awaited<ReturnType<typeof receiver>>[] = [];
  const endpoint = async (answer?: (n: number, r: Received) => Answer) => {
    const r = await receiver(answer);
    receivers.push(r);
    return r;
  };
  const subscribe = async (url: string, events: string[]) => {
    const res = await t.http.post('/v1/webhooks').set(t.auth).send({ url, events, description: 'test' });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string; events: string[]; active: boolean };
  };
  const log = async (id: string, query: Record<string, string | number> = {}) => {
    const res = await t.http.get(`/v1/webhooks/${id}/deliveries`).query(query).set(t.auth).expect(200);
    return res.body as { data: DeliveryEntry[]; nextCursor: string | null };
  };
  const sendTest = (id: string) => t.http.post(`/v1/webhooks/${id}/test`).set(t.auth);

  let sink: SmtpSink;
  const PUBLIC_URL = 'http://kindling.test';

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    t = await bootTestApp({
      env: { SMTP_URL: sink.url, PUBLIC_URL, WEBHOOK_POLL_MS: '50', WEBHOOK_RETRY_BASE_MS: '200', WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS), WEBHOOK_CONCURRENCY: '4' },
    });
  });
  afterAll(async () => {
    // receivers first: a post still hanging then fails at once instead of holding up shutdown
    await Promise.all(receivers.map((r) => r.close()));
    await t.close();
    await sink.stop();
  });

  it('answers bad input with 400 and details, unknown ids with 404', async () => {
    const bad = await t.http.post('/v1/webhooks').set(t.auth).send({ url: 'ftp://example.com/hook', events: ['lead.created', 'lead.exploded'], extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    const paths = (bad.body.error.details as { path: string }[]).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['url', 'events.1', '(root)']));

    const star = await t.http.post('/v1/webhooks').set(t.auth).send({ url: 'https://example.com/hook', events: ['*', 'lead.created'] });
    expect(star.status).toBe(400);
    expect(star.body.error.details[0]).toMatchObject({ path: 'events' });
    expect((await t.http.post('/v1/webhooks').set(t.auth).send({ url: 'https://example.com/hook', events: [] })).status).toBe(400);
    expect((await t.http.patch('/v1/webhooks/not-an-id').set(t.auth).send({ active: false })).status).toBe(400);
    const missing = await t.http.get('/v1/webhooks/0190c3a2-7b1e-7000-8000-000000000000').set(t.auth);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('webhook_not_found');
    expect((await t.http.get('/v1/webhooks').set({ authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('shows the secret only on creation and rotation, and stores it sealed', async () => {
    const r = await endpoint();
    const sub = await subscribe(r.url, ['assignment.accepted']);
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(sub.secret.slice(6), 'base64')).toHaveLength(32);

    const one = await t.http.get(`/v1/webhooks/${sub.id}`).set(t.auth).expect(200);
    const all = await t.http.get('/v1/webhooks').set(t.auth).expect(200);
    const patched = await t.http.patch(`/v1/webhooks/${sub.id}`).set(t.auth).send({ description: 'renamed' }).expect(200);
    for (const text of [one.text, all.text, patched.text]) {
      expect(text).not.toContain(sub.secret.slice(6, 30));
      expect(text).not.toMatch(/secret"\s*:/);
    }
    expect(one.body).toMatchObject({ id: sub.id, url: r.url, events: ['assignment.accepted'], active: true });

    const db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM webhook_subscriptions WHERE id = $1', [sub.id]);
      expect(JSON.stringify(rows[0])).not.toContain(sub.secret.slice(6, 30));
      expect(rows[0].secret_sealed).toMatch(/^v1\./);
    } finally {
      await db.end();
    }

    // rotation: both the new and the old secret verify while the old one is still honoured
    const rotated = (await t.http.post(`/v1/webhooks/${sub.id}/rotate-secret`).set(t.auth).expect(200)).body;
    expect(rotated.secret).not.toBe(sub.secret);
    expect(rotated.previousSecretUntil).toEqual(expect.any(String));
    await sendTest(sub.id).expect(202);
    const received = await eventually(() => r.got[0], 'the test event');
    expect(String(received.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifies(rotated.secret, received.headers, received.body)).toBe(true);
    expect(verifies(sub.secret, received.headers, received.body)).toBe(true);
    expect(bodyOf(received)).toMatchObject({ type: 'webhook.test', data: { subscriptionId: sub.id } });
  });

  it('delivers signed lead.created, stage and sales-ready events that a receiver verifies; a tampered body does not verify', async () => {
    const r = await endpoint();
    const sub = await subscribe(r.url, ['lead.created', 'lead.stage_changed', 'lead.sales_ready']);
    const lead = (
      await t.http
        .post('/v1/leads')
        .set(t.auth)
        .send({ email: 'clara@maschinenbau.test', firstName: 'Clara', jobTitle: 'CEO', company: 'Mittelstand Maschinenbau GmbH', companySize: 200, industry: 'Manufacturing', country: 'DE' })
        .expect(201)
    ).body.lead as { id: string };
    const typesFor = () => r.got.map(bodyOf).filter((b) => b.data.leadId === lead.id).map((b) => b.type);
    await eventually(() => typesFor().includes('lead.created'), 'lead.created');

    await t.http
      .post('/v1/events')
      .set(t.auth)
      .send({
        events: [
          { leadId: lead.id, type: 'content.downloaded', properties: { asset: 'close-playbook.pdf', stage: 'middle', product: 'finance-suite' } },
          { leadId: lead.id, type: 'webinar.registered', properties: { webinar: 'faster-close' } },
          { leadId: lead.id, type: 'webinar.attended', properties: { webinar: 'faster-close' } },
        ],
      })
      .expect(202);
    await eventually(() => typesFor().includes('lead.sales_ready'), 'lead.sales_ready');

    const mine = r.got.filter((x) => bodyOf(x).data.leadId === lead.id);
    for (const x of mine) {
      expect(verifies(sub.secret, x.headers, x.body)).toBe(true);
      expect(x.headers['content-type']).toBe('application/json');
      expect(Math.abs(Number(x.headers['webhook-timestamp']) - x.at / 1000)).toBeLessThan(5);
    }
    expect(new Set(mine.map((x) => x.headers['webhook-id'])).size).toBe(mine.length);

    const created = bodyOf(mine.find((x) => bodyOf(x).type === 'lead.created')!);
    expect(created.data.lead).toMatchObject({ id: lead.id, email: 'clara@maschinenbau.test' });
    expect(new Date(created.timestamp).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const stage = mine.map(bodyOf).filter((b) => b.type === 'lead.stage_changed');
    expect(stage.at(-1)!.data).toMatchObject({ leadId: lead.id, to: 'sales-ready', cause: 'event', score: expect.any(Number) });
    expect(stage[0].data.from).toBe('awareness');
    expect(bodyOf(mine.find((x) => bodyOf(x).type === 'lead.sales_ready')!).data.lead?.stage).toBe('sales-ready');

    const tampered = mine[0].body.replace('clara@maschinenbau.test', 'mallory@evil.test');
    expect(tampered).not.toBe(mine[0].body);
    expect(verifies(sub.secret, mine[0].headers, tampered)).toBe(false);
    expect(verifies(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, mine[0].headers, mine[0].body)).toBe(false);

    // the receiver has answered; the outcome is recorded right after
    const delivered = await eventually(async () => {
      const page = await log(sub.id, { status: 'delivered' });
      return page.data.length === mine.length ? page : undefined;
    }, 'every delivery to be logged as delivered');
    expect(delivered.data[0]).toMatchObject({ status: 'delivered', attempts: 1, lastResponseCode: 200, lastError: null, nextAttemptAt: null });
  });

  it('retries a receiver that answers 500 until it is delivered, with the same webhook-id, and logs attempts and codes', async () => {
    const r = await endpoint((n) => (n <= 3 ? 500 : 204));
    const sub = await subscribe(r.url, ['assignment.returned']);
    const test = (await sendTest(sub.id).expect(202)).body as { eventId: string; deliveryId: string };

    const failing = await eventually(async () => {
      const d = (await log(sub.id)).data[0];
      return d?.lastResponseCode === 500 ? d : undefined;
    }, 'a failed attempt in the log');
    expect(failing).toMatchObject({ id: test.deliveryId, eventId: test.eventId, type: 'webhook.test', status: 'pending', lastError: 'HTTP 500: no thanks (500)' });
    expect(failing.nextAttemptAt).toEqual(expect.any(String));

    const done = await eventually(async () => {
      const d = (await log(sub.id, { status: 'delivered' })).data[0];
      return d ?? undefined;
    }, 'delivery after the retries');
    expect(done).toMatchObject({ status: 'delivered', attempts: 4, lastResponseCode: 204, lastError: null, deliveredAt: expect.any(String) });
    expect(r.got).toHaveLength(4);
    expect(new Set(r.got.map((x) => x.headers['webhook-id']))).toEqual(new Set([test.eventId]));
    expect(new Set(r.got.map((x) => x.body)).size).toBe(1);
    for (const x of r.got) expect(verifies(sub.secret, x.headers, x.body)).toBe(true);
    expect((await log(sub.id, { status: 'failed' })).data).toEqual([]);
  });

  it('times out a hanging receiver without holding up another subscription', async () => {
    const hang = await endpoint(() => 'hang');
    const quick = await endpoint();
    const slow = await subscribe(hang.url, ['assignment.converted']);
    const fast = await subscribe(quick.url, ['assignment.converted']);
    const started = Date.now();
    for (let i = 0; i < 6; i++) await sendTest(slow.id).expect(202);
    for (let i = 0; i < 6; i++) await sendTest(fast.id).expect(202);

    await eventually(() => quick.got.length === 6, 'the quick receiver to get all six');
    // everything reached the quick endpoint before the first hanging request could time out,
    // and the hanging one never held more than its share of the 4 slots
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS);
    expect((await log(slow.id)).data.every((d) => d.lastError === null)).toBe(true);
    expect(hang.mostOpen()).toBeLessThanOrEqual(2);

    const timedOut = await eventually(async () => (await log(slow.id)).data.find((d) => d.lastError === `timed out after ${TIMEOUT_MS} ms`), 'a timeout in the log', 15_000);
    expect(timedOut).toMatchObject({ status: 'pending', lastResponseCode: null, nextAttemptAt: expect.any(String) });
    expect(timedOut.lastDurationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    await t.http.delete(`/v1/webhooks/${slow.id}`).set(t.auth).expect(200);
    expect((await t.http.get(`/v1/webhooks/${slow.id}`).set(t.auth)).status).toBe(404);
  });

  it('pages the delivery log with a cursor', async () => {
    const r = await endpoint();
    const sub = await subscribe(r.url, ['assignment.disqualified']);
    for (let i = 0; i < 3; i++) await sendTest(sub.id).expect(202);
    await eventually(async () => (await log(sub.id, { status: 'delivered' })).data.length === 3, 'three deliveries');
    const first = await log(sub.id, { limit: 2 });
    expect(first.data).toHaveLength(2);
    const second = await log(sub.id, { limit: 2, cursor: first.nextCursor! });
    expect(second.data).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect(new Set([...first.data, ...second.data].map((d) => d.id)).size).toBe(3);
    expect(first.data[0].id > first.data[1].id && first.data[1].id > second.data[0].id).toBe(true);
    expect((await t.http.get(`/v1/webhooks/${sub.id}/deliveries`).query({ status: 'lost' }).set(t.auth)).status).toBe(400);
  });

  it('deactivates a subscription whose endpoint answers 410 Gone', async () => {
    const r = await endpoint(() => 410);
    const sub = await subscribe(r.url, ['assignment.reassigned']);
    await sendTest(sub.id).expect(202);
    const failed = await eventually(async () => (await log(sub.id, { status: 'failed' })).data[0], 'the failed delivery');
    expect(failed).toMatchObject({ attempts: 1, lastResponseCode: 410, lastError: 'HTTP 410: no thanks (410)' });
    const view = (await t.http.get(`/v1/webhooks/${sub.id}`).set(t.auth).expect(200)).body;
    expect(view.active).toBe(false);
    expect(view.deactivatedReason).toMatch(/410 Gone/);
    expect((await sendTest(sub.id)).status).toBe(409);
    const back = (await t.http.patch(`/v1/webhooks/${sub.id}`).set(t.auth).send({ active: true }).expect(200)).body;
    expect(back).toMatchObject({ active: true, deactivatedReason: null });
  });

  it('writes events in the caller’s transaction: a rollback sends nothing, a commit sends', async () => {
    const r = await endpoint();
    const sub = await subscribe(r.url, ['lead.assigned']);
    const tx = t.app.get(TransactionService);
    const webhooks = t.app.get(WebhooksService);
    await expect(
      tx.run(async () => {
        await webhooks.emit('lead.assigned', { leadId: 'rolled-back' });
        throw new Error('the caller fails');
      }),
    ).rejects.toThrow('the caller fails');
    await tx.run(() => webhooks.emitMany([{ type: 'lead.assigned', data: { leadId: 'committed' } }, { type: 'email.bounced', data: { leadId: 'nobody listens' } }]));
    const mine = () => r.got.map((x) => bodyOf(x).data.leadId).filter((id) => id === 'committed' || id === 'rolled-back');
    await eventually(() => mine().length >= 1, 'the committed event');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mine()).toEqual(['committed']);
    expect(verifies(sub.secret, r.got[0].headers, r.got[0].body)).toBe(true);
  });

  it('gives a crashed worker\'s claim back after its lease, and ignores that worker\'s late outcome', async () => {
    const r = await endpoint();
    const sub = await subscribe(r.url, ['assignment.accepted']);
    const tx = t.app.get(TransactionService);
    const repo = t.app.get(WebhookDeliveriesRepository);
    // a "worker" claims the delivery in the emitting transaction (so the real dispatcher cannot
    // get there first) and then dies: it never posts and never records anything
    const claimed = await tx.run(async () => {
      await t.app.get(WebhooksService).emit('assignment.accepted', { assignmentId: 'crash-test' });
      const rows = await repo.claimDue({ limit: 100, perEndpoint: 100, busy: new Map(), leaseMs: 700, token: '00000000-0000-4000-8000-000000000001', now: new Date() });
      return rows.filter((d) => d.subscription_id === sub.id);
    });
    expect(claimed).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(r.got).toHaveLength(0);

    const delivered = await eventually(async () => (await log(sub.id, { status: 'delivered' })).data[0], 'delivery after the lease ran out');
    expect(delivered.attempts).toBe(2);
    expect(r.got).toHaveLength(1);
    expect(r.got[0].headers['webhook-id']).toBe(claimed[0].event_id);
    const late = await repo.record(claimed[0].id, claimed[0].lease_token, { status: 'failed', nextAttemptAt: null, responseCode: 500, error: 'late', durationMs: 1, at: new Date() });
    expect(late).toBe(false);
    expect((await log(sub.id)).data[0]).toMatchObject({ status: 'delivered', lastResponseCode: 200 });

    const metrics = (await t.http.get('/metrics')).text;
    expect(metrics).toMatch(/kindling_webhook_deliveries_total\{outcome="delivered"\} [1-9]/);
    const doc = (await t.http.get('/docs/openapi.json').expect(200)).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/webhooks', '/v1/webhooks/{id}', '/v1/webhooks/{id}/deliveries', '/v1/webhooks/{id}/rotate-secret', '/v1/webhooks/{id}/test']));
  });

  it('sends email.bounced when SMTP answers 550 and lead.unsubscribed for a one-click unsubscribe', async () => {
    const r = await endpoint();
    const sub = await subscribe(r.url, ['email.bounced', 'lead.unsubscribed']);
    const templates = (await t.http.get('/v1/templates').set(t.auth).expect(200)).body.data as { name: string; kind: string | null }[];
    const template = templates.find((x) => x.kind && x.kind !== 'notification')!.name;
    const lead = async (email: string) => ((await t.http.post('/v1/leads').set(t.auth).send({ email, consent: true }).expect(201)).body.lead as { id: string }).id;
    const [bouncing, leaving] = [await lead('nobody@smtp.test'), await lead('leaving@smtp.test')];
    sink.perRecipient.set('nobody@smtp.test', 550);
    const bounced = (await t.http.post('/v1/sends').set(t.auth).send({ leadId: bouncing, template, idempotencyKey: 'wh-bounce' }).expect(202)).body.send as { id: string };
    await t.http.post('/v1/sends').set(t.auth).send({ leadId: leaving, template, idempotencyKey: 'wh-unsub' }).expect(202);

    const mail = await eventually(() => sink.to('leaving@smtp.test')[0], 'the email to arrive');
    const listUnsubscribe = mail.headerLines.find((h) => h.key === 'list-unsubscribe')!.line;
    const unsubscribeUrl = /<(http[^>]+)>/.exec(listUnsubscribe)![1];
    await t.http.post(unsubscribeUrl.slice(PUBLIC_URL.length)).type('form').send('List-Unsubscribe=One-Click').expect(200);
    await t.http.post(unsubscribeUrl.slice(PUBLIC_URL.length)).type('form').send('List-Unsubscribe=One-Click').expect(200);

    await eventually(() => r.got.length >= 2, 'both events');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const bodies = r.got.map(bodyOf);
    expect(bodies.find((x) => x.type === 'email.bounced')!.data).toMatchObject({ leadId: bouncing, sendId: bounced.id, source: 'smtp', permanent: true });
    // the second unsubscribe changed nothing, so it sent nothing
    expect(bodies.filter((x) => x.type === 'lead.unsubscribed').map((x) => x.data)).toEqual([expect.objectContaining({ leadId: leaving, via: 'one-click' })]);
    for (const x of r.got) expect(verifies(sub.secret, x.headers, x.body)).toBe(true);
    await t.http.delete(`/v1/webhooks/${sub.id}`).set(t.auth).expect(200);
  });

  it('sends email.bounced from the bounce webhook and lead.unsubscribed from a complaint', async () => {
    const r = await endpoint();
    const sub = await subscribe(r.url, ['email.bounced', 'lead.unsubscribed']);
    const a = (await t.http.post('/v1/leads').set(t.auth).send({ email: 'gone@bounce.test' }).expect(201)).body.lead as { id: string };
    const b = (await t.http.post('/v1/leads').set(t.auth).send({ email: 'angry@bounce.test' }).expect(201)).body.lead as { id: string };
    await t.http.post('/v1/webhooks/bounces').set(t.auth).send({ type: 'bounce', email: 'gone@bounce.test', reason: '550 5.1.1 user unknown' }).expect(200);
    await t.http.post('/v1/webhooks/bounces').set(t.auth).send({ type: 'complaint', email: 'angry@bounce.test' }).expect(200);
    await eventually(() => r.got.length >= 2, 'both events');
    const bodies = r.got.map(bodyOf);
    expect(bodies.find((x) => x.type === 'email.bounced')!.data).toMatchObject({ leadId: a.id, email: 'gone@bounce.test', permanent: true });
    expect(bodies.find((x) => x.type === 'lead.unsubscribed')!.data).toMatchObject({ leadId: b.id, via: 'complaint' });
    for (const x of r.got) expect(verifies(sub.secret, x.headers, x.body)).toBe(true);
  });
});
