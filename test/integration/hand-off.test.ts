import { createHmac, timingSafeEqual } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { AssignmentService } from '../../src/assignment/assignment.service';
import { Clock } from '../../src/common/clock';
import { SmtpSink } from '../support/smtp-sink';
import { TestApp, bootTestApp } from '../support/test-app';
import { eventually } from '../support/wait';

const GRADING = `
baseGrade: B
personas:
  - id: decision-maker
    name: Decision maker
    criteria:
      - { id: ceo, field: jobTitle, matches: [CEO], steps: 1 }
`;

const ASSIGNMENT = `
settings: { sla: 1h, onReturn: { scorePenalty: 20, track: warm } }
reps:
  - { key: rr-a, name: Ann Able, email: ann@reps.test, territories: [DE] }
  - { key: rr-b, name: Ben Baker, email: ben@reps.test, territories: [DE] }
  - { key: rr-c, name: Cleo Cole, email: cleo@reps.test, territories: [DE] }
  - { key: cap-one, name: Cap One, email: cap@reps.test, capacity: 1 }
  - { key: away-one, name: Away One, email: away@reps.test, awayUntil: '2099-01-01' }
  - { key: italy-two, name: Italo Two, email: italo@reps.test }
  - { key: sla-one, name: Sol One, email: sol@reps.test }
  - { key: sla-two, name: Sara Two, email: sara@reps.test }
rules:
  - { id: france, territories: [FR], pool: [cap-one], fallback: unassigned }
  - { id: italy, territories: [IT], pool: [away-one, italy-two] }
  - { id: spain, territories: [ES], pool: [sla-one, sla-two], sla: 2h }
  - { id: germany, territories: [DE], pool: [rr-a, rr-b, rr-c], strategy: round-robin }
fallback: unassigned
`;

/** Two events worth 55 points: past salesReady (40) with the base grade B. */
const readyEvents = (email: string, tag: string) => [
  { type: 'info.requested', email, idempotencyKey: `${tag}-info` },
  { type: 'webinar.attended', email, idempotencyKey: `${tag}-webinar` },
];

describe('sales hand-off', () => {
  let dir: string;
  let sink: SmtpSink;
  let t: TestApp;
  let db: Client;
  const env = () => ({ SMTP_URL: sink.url, WORKFLOWS_DIR: dir, PUBLIC_URL: 'http://kindling.test', LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' });

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    dir = mkdtempSync(join(tmpdir(), 'kindling-handoff-'));
    cpSync(join(__dirname, '../../workflows'), dir, { recursive: true });
    rmSync(join(dir, 'welcome.yaml'));
    writeFileSync(join(dir, 'grading.yaml'), GRADING);
    writeFileSync(join(dir, 'assignment.yaml'), ASSIGNMENT);
    t = await bootTestApp({ env: env(), keepDatabase: true });
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
    await bootTestApp({ env: env(), databaseUrl: t.databaseUrl }).then((x) => x.close());
    await sink.stop();
  });

  const post = (events: unknown[]) => t.http.post('/v1/events').set(t.auth).send({ events });
  const rows = async <T>(sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows as T[];
  const openFor = async (email: string) =>
    (await rows<{ id: string; rep: string | null; status: string; rule: string }>(
      `SELECT a.id, r.key AS rep, a.status, a.rule FROM assignments a JOIN leads l ON l.id = a.lead_id LEFT JOIN reps r ON r.id = a.rep_id
       WHERE l.email = $1 AND a.status IN ('queued', 'pending', 'accepted')`,
      [email],
    ))[0];
  const leadOf = async (email: string) => (await t.http.get(`/v1/leads?email=${encodeURIComponent(email)}`).set(t.auth)).body.data[0];

  it('round robin is fair over 300 leads and three reps, across a restart', async () => {
    const batch = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => [
        { type: 'info.requested', email: `rr${from + i}@lead.test`, idempotencyKey: `rr${from + i}-info` },
      ]).flat();
    // create the leads with their country first: an unknown email from the events API has no profile
    const create = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await t.http.post('/v1/leads').set(t.auth).send({ email: `rr${i}@lead.test`, country: 'DE' }).expect(201);
    };
    const assigned = async () => (await rows<{ n: number }>(`SELECT count(*)::int AS n FROM assignments WHERE rule = 'germany'`))[0].n;

    await create(0, 150);
    expect((await post(batch(0, 150))).status).toBe(202);
    expect((await post(batch(0, 150).map((e) => ({ ...e, type: 'webinar.attended', idempotencyKey: `${e.idempotencyKey}-w` })))).status).toBe(202);
    await eventually(async () => (await assigned()) === 150 || undefined, '150 assignments', 60_000);

    // a restart: the rotation lives in Postgres, so the second half continues where the first stopped
    await db.end();
    await t.close();
    t = await bootTestApp({ env: env(), databaseUrl: t.databaseUrl, keepDatabase: true });
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();

    await create(150, 300);
    await post(batch(150, 300));
    await post(batch(150, 300).map((e) => ({ ...e, type: 'webinar.attended', idempotencyKey: `${e.idempotencyKey}-w` })));
    await eventually(async () => (await assigned()) === 300 || undefined, '300 assignments', 60_000);

    const perRep = await rows<{ key: string; n: number }>(
      `SELECT r.key, count(*)::int AS n FROM assignments a JOIN reps r ON r.id = a.rep_id WHERE a.rule = 'germany' GROUP BY r.key ORDER BY r.key`,
    );
    expect(perRep).toEqual([
      { key: 'rr-a', n: 100 },
      { key: 'rr-b', n: 100 },
      { key: 'rr-c', n: 100 },
    ]);
    // the lead resource shows its owner, and the rep's load counts it
    const lead = await leadOf('rr0@lead.test');
    expect(lead.ownerId).toEqual(expect.any(String));
    const reps = (await t.http.get('/v1/reps').set(t.auth)).body.data as { key: string; load: number; id: string }[];
    expect(reps.find((r) => r.id === lead.ownerId)!.load).toBe(100);
  }, 180_000);

  it('notifies the rep by email with signed single-use links, untracked', async () => {
    // a lead handed off after the restart (the test harness drops the first app's queue with it)
    const email = 'rr299@lead.test';
    const rep = (await openFor(email)).rep!;
    const repEmail = `${{ 'rr-a': 'ann', 'rr-b': 'ben', 'rr-c': 'cleo' }[rep]}@reps.test`;
    const mail = await eventually(async () => sink.to(repEmail).find((m) => (m.text ?? '').includes(email)), 'the rep notification', 30_000);
    expect(mail.subject).toMatch(/^New B lead for you/);
    expect(mail.html).not.toMatch(/\/t\/[oc]\//);
    expect(mail.headers.get('list-unsubscribe')).toBeUndefined();
    expect(mail.text).toContain('Requested information');
    // (Handlebars writes = in attributes as &#x3D;, which browsers read back as =)
    const link = /http:\/\/kindling\.test(\/r\/[A-Za-z0-9_-]+)\?do(?:=|&#x3D;)accept/.exec(mail.html as string)![1];

    // opening the link changes nothing (mail scanners open links)
    const page = await t.http.get(`${link}?do=accept`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Accept lead');
    expect((await openFor(email)).status).toBe('pending');

    const tampered = `${link.slice(0, -2)}${link.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await t.http.post(tampered).type('form').send({ action: 'accept' })).status).toBe(404);

    const done = await t.http.post(link).type('form').send({ action: 'accept' });
    expect(done.status).toBe(200);
    expect(done.text).toContain('the lead is yours');
    expect((await openFor(email)).status).toBe('accepted');
    // single use: the same link cannot act again, even for another action
    const again = await t.http.post(link).type('form').send({ action: 'return', reason: 'bad-fit' });
    expect(again.status).toBe(409);
    expect((await openFor(email)).status).toBe('accepted');
  });

  it('fifty concurrent sales-ready events for one lead make one assignment', async () => {
    const email = 'burst@lead.test';
    await t.http.post('/v1/leads').set(t.auth).send({ email, country: 'DE' }).expect(201);
    const events = Array.from({ length: 50 }, (_, i) => ({ type: i % 2 ? 'info.requested' : 'webinar.attended', email, idempotencyKey: `burst-${i}` }));
    const answers = await Promise.all(events.map((e) => post([e])));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    await eventually(async () => (await openFor(email)) ?? undefined, 'the assignment');
    // give any duplicate a chance to appear before counting
    await new Promise((r) => setTimeout(r, 2500));
    const all = await rows<{ n: number }>(`SELECT count(*)::int AS n FROM assignments a JOIN leads l ON l.id = a.lead_id WHERE l.email = $1`, [email]);
    expect(all[0].n).toBe(1);
  });

  it('respects capacity and queues what nobody can take, then places it when the rep is free', async () => {
    for (const email of ['fr1@lead.test', 'fr2@lead.test']) {
      await t.http.post('/v1/leads').set(t.auth).send({ email, country: 'FR' }).expect(201);
      await post(readyEvents(email, email));
      await eventually(async () => (await openFor(email)) ?? undefined, `an assignment for ${email}`);
    }
    expect(await openFor('fr1@lead.test')).toMatchObject({ rep: 'cap-one', status: 'pending' });
    expect(await openFor('fr2@lead.test')).toMatchObject({ rep: null, status: 'queued', rule: 'france' });
    const queued = (await t.http.get('/v1/assignments?status=queued').set(t.auth)).body.data;
    expect(queued.map((a: { leadId: string }) => a.leadId)).toContain((await leadOf('fr2@lead.test')).id);

    const first = await openFor('fr1@lead.test');
    const converted = await t.http.post(`/v1/assignments/${first.id}/convert`).set(t.auth).send({ value: 12000 });
    expect(converted.body).toMatchObject({ status: 'converted', value: 12000 });
    await t.app.get(AssignmentService).retryQueued(10);
    expect(await openFor('fr2@lead.test')).toMatchObject({ rep: 'cap-one', status: 'pending' });
  });

  it('skips a rep who is away', async () => {
    for (const email of ['it1@lead.test', 'it2@lead.test']) {
      await t.http.post('/v1/leads').set(t.auth).send({ email, country: 'IT' }).expect(201);
      await post(readyEvents(email, email));
      await eventually(async () => (await openFor(email)) ?? undefined, `an assignment for ${email}`);
      expect((await openFor(email)).rep).toBe('italy-two');
    }
  });

  it('a return puts the lead back in the warm track, and the next sales-ready moment assigns it again', async () => {
    const email = 'rr1@lead.test';
    const open = (await openFor(email));
    const before = await leadOf(email);
    const res = await t.http.post(`/v1/assignments/${open.id}/return`).set(t.auth).send({ reason: 'not-ready', note: 'budget next year' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'returned', reason: 'not-ready', note: 'budget next year' });

    await eventually(async () => {
      const l = await leadOf(email);
      return l.score === before.score - 20 ? l : undefined;
    }, 'the score penalty');
    const lead = await leadOf(email);
    expect(lead).toMatchObject({ ownerId: null, temperature: 'warm', stage: 'mql' });
    const enrollments = (await t.http.get(`/v1/leads/${lead.id}/enrollments`).set(t.auth)).body.data as { workflow: string; status: string }[];
    expect(enrollments.find((e) => e.status === 'waiting')?.workflow).toBe('warm-track');

    // the pricing page (+10) makes it sales-ready again: a new hand-off
    await post([{ type: 'page.visited', email, properties: { pageCategory: 'pricing', url: '/pricing' }, idempotencyKey: 'rr1-pricing' }]);
    const again = await eventually(async () => (await openFor(email)) ?? undefined, 'a second assignment');
    expect(again.id).not.toBe(open.id);
    const handoffs = await rows<{ n: number }>(`SELECT count(DISTINCT handoff_id)::int AS n FROM assignments a JOIN leads l ON l.id = a.lead_id WHERE l.email = $1`, [email]);
    expect(handoffs[0].n).toBe(2);
  });

  it('refuses actions on assignments that are not open and bad input, with the error shape', async () => {
    const closed = (await t.http.get('/v1/assignments?status=returned').set(t.auth)).body.data[0];
    const res = await t.http.post(`/v1/assignments/${closed.id}/accept`).set(t.auth);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('assignment_not_open');
    const bad = await t.http.post(`/v1/assignments/${closed.id}/return`).set(t.auth).send({ reason: 'bored' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('reason');
    expect((await t.http.post('/v1/reps').set(t.auth).send({ key: 'x', name: 'X', email: 'x@reps.test', capacity: -1 })).body.error.details).toEqual([
      { path: 'capacity', message: 'capacity cannot be below 0' },
    ]);
  });

  it('reports hand-offs per rep with the acceptance rate', async () => {
    const res = await t.http.get('/v1/reports/handoff?by=rep&period=month').set(t.auth);
    expect(res.status).toBe(200);
    const total = (key: string) => res.body.rows.filter((r: { key: string }) => r.key === key).reduce((n: number, r: { handoffs: number }) => n + r.handoffs, 0);
    expect(total('cap-one')).toBe(2);
    const cap = res.body.rows.find((r: { key: string }) => r.key === 'cap-one');
    expect(cap).toMatchObject({ converted: 1, accepted: 1, assigned: 2, acceptanceRate: 0.5 });
    const returned = res.body.rows.reduce((n: number, r: { returnedByReason: Record<string, number> }) => n + r.returnedByReason['not-ready'], 0);
    expect(returned).toBe(1);
  });

  it('assigns and reassigns by hand, and disqualifies with suppression', async () => {
    const email = 'manual@lead.test';
    const lead = (await t.http.post('/v1/leads').set(t.auth).send({ email, country: 'DE' }).expect(201)).body.lead;
    const reps = (await t.http.get('/v1/reps').set(t.auth)).body.data as { id: string; key: string }[];
    const ann = reps.find((r) => r.key === 'rr-a')!;
    const created = await t.http.post('/v1/assignments').set(t.auth).send({ leadId: lead.id, repId: ann.id });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'pending', repId: ann.id, cause: 'manual' });
    // one open assignment per lead
    expect((await t.http.post('/v1/assignments').set(t.auth).send({ leadId: lead.id })).body.error.code).toBe('assignment_exists');
    const moved = await t.http.post(`/v1/assignments/${created.body.id}/reassign`).set(t.auth).send({});
    expect(moved.status).toBe(200);
    expect(moved.body.repId).not.toBe(ann.id);
    expect(moved.body.handoffId).toBe(created.body.id);
    const dq = await t.http.post(`/v1/assignments/${moved.body.id}/disqualify`).set(t.auth).send({ reason: 'competitor' });
    expect(dq.body).toMatchObject({ status: 'disqualified', reason: 'competitor' });
    expect((await leadOf(email)).ownerId).toBeNull();
    const suppressed = await rows<{ reason: string }>(`SELECT reason FROM suppressions WHERE email_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`, [email]);
    expect(suppressed).toEqual([{ reason: 'manual' }]);
  });

  it('refuses a broken assignment.yaml on reload with file:line details and keeps the previous rules', async () => {
    const before = (await t.http.get('/v1/assignment').set(t.auth)).body.version;
    writeFileSync(join(dir, 'assignment.yaml'), `${ASSIGNMENT}\n  - { id: loop-a, pool: [rr-a], fallback: loop-b }\n  - { id: loop-b, pool: [ghost], fallback: loop-a }\n`.replace('fallback: unassigned\n\n', ''));
    try {
      const res = await t.http.post('/v1/assignment/reload').set(t.auth);
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: { message: string }) => d.message)).toEqual(
        expect.arrayContaining(['unknown rep "ghost"', expect.stringMatching(/fallbacks go round in a circle: loop-a -> loop-b -> loop-a/)]),
      );
      expect(res.body.error.details[0].path).toMatch(/assignment\.yaml:\d+:rules\.\d+/);
      expect((await t.http.get('/v1/assignment').set(t.auth)).body.version).toBe(before);
      expect((await t.http.get('/health')).body.details.assignment.problems.length).toBeGreaterThan(0);
    } finally {
      writeFileSync(join(dir, 'assignment.yaml'), ASSIGNMENT);
      await t.http.post('/v1/assignment/reload').set(t.auth).expect(200);
    }
  });

  it('reassigns an assignment not accepted within its SLA to the next rep, tells the first, keeps the history', async () => {
    const email = 'es1@lead.test';
    await t.http.post('/v1/leads').set(t.auth).send({ email, country: 'ES' }).expect(201);
    await post(readyEvents(email, email));
    const first = await eventually(async () => (await openFor(email)) ?? undefined, 'the first assignment');
    expect(first.rep).toBe('sla-one');
    const service = t.app.get(AssignmentService);
    // every assignment past its SLA moves on, the 1-hour ones of the other tests too
    const sweep = async () => {
      while ((await service.reassignOverdue(200)) === 200);
    };
    t.app.get(Clock).advance(119 * 60_000);
    await sweep();
    expect((await openFor(email)).id).toBe(first.id); // not yet: 2 hours
    t.app.get(Clock).advance(2 * 60_000);
    await sweep();
    const second = (await openFor(email));
    expect(second).toMatchObject({ rep: 'sla-two', status: 'pending' });
    const history = (await t.http.get(`/v1/assignments?leadId=${(await leadOf(email)).id}`).set(t.auth)).body.data;
    expect(history.map((a: { status: string; reason: string | null }) => [a.status, a.reason])).toEqual([
      ['pending', null],
      ['reassigned', 'sla-expired'],
    ]);
    expect(history[0].handoffId).toBe(history[1].id);
    await eventually(async () => sink.to('sol@reps.test').find((m) => (m.subject ?? '').includes('went to Sara Two')), 'the first rep to be told');
  });
});

describe('sales hand-off webhooks', () => {
  let t: TestApp;
  let server: Server;
  const received: { headers: Record<string, string>; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers as Record<string, string>, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'kindling-handoff-hooks-'));
    cpSync(join(__dirname, '../../workflows'), dir, { recursive: true });
    writeFileSync(join(dir, 'grading.yaml'), GRADING);
    writeFileSync(join(dir, 'assignment.yaml'), ASSIGNMENT);
    t = await bootTestApp({ redis: false, env: { WORKFLOWS_DIR: dir, LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent', WEBHOOK_POLL_MS: '200' } });
  });
  afterAll(async () => {
    await t.close();
    server.close();
  });

  it('posts a signed lead.assigned the receiver can verify', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    const sub = await t.http.post('/v1/webhooks').set(t.auth).send({ url, events: ['lead.assigned', 'assignment.accepted'] });
    expect(sub.status).toBe(201);
    const secret = Buffer.from((sub.body.secret as string).replace(/^whsec_/, ''), 'base64');
    await t.http.post('/v1/leads').set(t.auth).send({ email: 'hook@lead.test', country: 'DE' }).expect(201);
    await t.http.post('/v1/events').set(t.auth).send({ events: readyEvents('hook@lead.test', 'hook') });

    const hit = await eventually(async () => received.find((r) => JSON.parse(r.body).type === 'lead.assigned'), 'lead.assigned at the receiver', 30_000);
    const signed = `${hit.headers['webhook-id']}.${hit.headers['webhook-timestamp']}.${hit.body}`;
    const expected = createHmac('sha256', secret).update(signed).digest();
    const given = Buffer.from(hit.headers['webhook-signature'].split(' ')[0].replace(/^v1,/, ''), 'base64');
    expect(given.length === expected.length && timingSafeEqual(given, expected)).toBe(true);
    const data = JSON.parse(hit.body).data;
    expect(data).toMatchObject({ status: 'pending', rule: 'germany', lead: { email: 'hook@lead.test' }, rep: { key: expect.stringMatching(/^rr-/) } });
  });
});
