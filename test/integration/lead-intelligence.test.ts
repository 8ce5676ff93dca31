import { TrackingUrls } from '../../src/tracking/tracking-urls';
import { TestApp, bootTestApp } from '../support/test-app';
import { eventually } from '../support/wait';

const BROWSER = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';

interface LeadBody {
  id: string;
  score: number;
  scores: Record<string, number>;
  grade: string | null;
  persona: string | null;
  stage: string;
  temperature: string;
}

describe.each([
  ['Postgres + Redis', true],
  ['Postgres + in-process jobs', false],
])('lead intelligence on %s', (_name, redis) => {
  let t: TestApp;
  let n = 0;

  beforeAll(async () => {
    t = await bootTestApp({ redis });
  });
  afterAll(() => t.close());

  const createLead = async (profile: Record<string, unknown>) => {
    n++;
    return (await t.http.post('/v1/leads').set(t.auth).send({ email: `walker${n}@acme.test`, ...profile })).body.lead as LeadBody;
  };
  const lead = async (id: string) => (await t.http.get(`/v1/leads/${id}`).set(t.auth)).body as LeadBody;
  const events = (leadId: string, list: Record<string, unknown>[]) => t.http.post('/v1/events').set(t.auth).send({ events: list.map((e) => ({ leadId, ...e })) });
  /** waits until the lead's evaluation has caught up with everything sent so far */
  const settled = async (id: string, check: (l: LeadBody) => boolean, what: string) => eventually(async () => {
    const l = await lead(id);
    return check(l) ? l : undefined;
  }, what);

  const ceo = { firstName: 'Clara', jobTitle: 'CEO', company: 'Mittelstand Maschinenbau GmbH', companySize: 200, industry: 'Manufacturing', country: 'DE' };
  const student = { firstName: 'Sam', jobTitle: 'Student', company: 'TU Berlin', country: 'DE' };

  it('walks the Act-On path: human opens do not move it, a download and a webinar registration make it an MQL, attending makes it sales-ready', async () => {
    const l = await createLead(ceo);
    const graded = await settled(l.id, (x) => x.grade !== null, 'the lead to be graded');
    expect(graded.persona).toBe('decision-maker');

    // three human opens through the real tracking endpoint
    const send = await t.http.post('/v1/sends').set(t.auth).send({ leadId: l.id, template: await marketingTemplate(t), idempotencyKey: `walk-${l.id}` });
    await eventually(async () => (await t.http.get(`/v1/sends/${send.body.send.id}`).set(t.auth)).body.status === 'sent', 'the email to be sent');
    const urls = new TrackingUrls(t.config.publicUrl, t.config.secretKey);
    const pixel = urls.url('open', send.body.send.id).slice(t.config.publicUrl.length);
    for (let i = 0; i < 3; i++) expect((await t.http.get(pixel).set('user-agent', BROWSER)).status).toBe(200);
    const opened = await settled(l.id, (x) => x.score > 0, 'opens to be scored');
    expect(opened.score).toBeLessThanOrEqual(3);
    expect(opened.stage).toBe('awareness');

    await events(l.id, [
      { type: 'content.downloaded', properties: { asset: 'close-playbook.pdf', stage: 'middle', product: 'finance-suite' } },
      { type: 'webinar.registered', properties: { webinar: 'faster-close' } },
    ]).expect(202);
    const mql = await settled(l.id, (x) => x.stage === 'mql', 'the lead to become an MQL');
    expect(mql.score).toBeGreaterThanOrEqual(30);
    expect(mql.scores['product:finance-suite']).toBe(20);

    await events(l.id, [{ type: 'webinar.attended', properties: { webinar: 'faster-close' } }]).expect(202);
    const ready = await settled(l.id, (x) => x.stage === 'sales-ready', 'the lead to become sales-ready');
    expect(ready.temperature).toBe('hot');

    const explained = (await t.http.get(`/v1/leads/${l.id}/score`).set(t.auth)).body;
    expect(explained.ledger.map((e: { rule: string }) => e.rule)).toEqual(expect.arrayContaining(['email-opened', 'content-downloaded', 'webinar-registered', 'webinar-attended']));
    expect(explained.ledger[0]).toMatchObject({ cause: 'event', points: expect.any(Number), before: expect.any(Number), after: expect.any(Number) });
    expect(explained.gradeReasons.length).toBeGreaterThan(0);
    expect(explained.transitions.map((x: { kind: string; to: string }) => `${x.kind}:${x.to}`)).toEqual(expect.arrayContaining(['stage:mql', 'stage:sales-ready', 'temperature:hot']));

    const timeline = (await t.http.get(`/v1/leads/${l.id}/timeline`).set(t.auth)).body.data as { kind: string; type: string }[];
    expect(new Set(timeline.map((e) => e.kind))).toEqual(new Set(['activity', 'score', 'transition', 'email']));

    const list = await t.http.get('/v1/leads').query({ stage: 'sales-ready', minGrade: 'B' }).set(t.auth);
    expect(list.body.data.map((x: LeadBody) => x.id)).toContain(l.id);
  });

  it('keeps a student with the same behaviour in marketing', async () => {
    const l = await createLead(student);
    await events(l.id, [
      { type: 'content.downloaded', properties: { asset: 'close-playbook.pdf' } },
      { type: 'webinar.registered', properties: { webinar: 'w1' } },
      { type: 'webinar.attended', properties: { webinar: 'w1' } },
    ]).expect(202);
    const done = await settled(l.id, (x) => x.score >= 40, 'the student to be scored');
    expect(done.stage).toBe('mql');
    expect(['F', 'D-', 'D', 'D+', 'C-']).toContain(done.grade);
  });

  it('scores a duplicate idempotency key once and rejects bad events by index, accepting the rest', async () => {
    const l = await createLead(ceo);
    const first = await events(l.id, [{ type: 'form.submitted', idempotencyKey: `form-${l.id}` }]);
    expect(first.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const res = await t.http
      .post('/v1/events')
      .set(t.auth)
      .send({
        events: [
          { leadId: l.id, type: 'form.submitted', idempotencyKey: `form-${l.id}` },
          { leadId: l.id, type: 'teleport.used' },
          { type: 'page.visited' },
          { leadId: l.id, type: 'page.visited', occurredAt: new Date(Date.now() + 86400_000).toISOString() },
          { leadId: l.id, type: 'page.visited', properties: 'pricing' },
          { leadId: l.id, type: 'email.opened' },
          { leadId: '01939f5e-0000-7000-8000-000000000000', type: 'page.visited' },
          { email: 'NEW.Person@acme.test', type: 'newsletter.subscribed', lead: { firstName: 'New' } },
        ],
      });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(1);
    expect(res.body.duplicates).toBe(1);
    expect(res.body.rejected.map((r: { index: number }) => r.index)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(res.body.rejected[0].errors[0].path).toBe('type');
    const created = await t.http.get('/v1/leads').query({ email: 'new.person@acme.test' }).set(t.auth);
    expect(created.body.data[0].firstName).toBe('New');
    const scored = await settled(l.id, (x) => x.score > 0, 'the form to be scored');
    expect(scored.score).toBe(10);
  });

  it('merges an anonymous visitor into the lead when it identifies itself, history included', async () => {
    const visitorId = `cookie-${redis ? 'r' : 'p'}-${Date.now()}`;
    const anon = await t.http.post('/v1/events').set(t.auth).send({ events: [{ visitorId, type: 'content.downloaded', properties: { asset: 'guide.pdf' } }] });
    expect(anon.body.accepted).toBe(1);
    const email = `identified-${visitorId}@acme.test`;
    await t.http.post('/v1/events').set(t.auth).send({ visitorId, email, type: 'form.submitted' }).expect(202);
    const found = await eventually(async () => {
      const res = await t.http.get('/v1/leads').query({ email }).set(t.auth);
      const l = res.body.data[0] as LeadBody | undefined;
      return l && l.score >= 30 ? l : undefined;
    }, 'the visitor history to be scored on the lead');
    expect(found.score).toBe(30);
  });
});

async function marketingTemplate(t: TestApp): Promise<string> {
  const list = await t.http.get('/v1/templates').set(t.auth);
  return list.body.data.find((x: { kind: string | null }) => x.kind && x.kind !== 'notification').name;
}
