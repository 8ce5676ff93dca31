import { ParsedMail } from 'mailparser';
import { Client } from 'pg';
import { SEND_EMAIL } from '../../src/delivery/delivery.jobs';
import { SendsService } from '../../src/delivery/sends.service';
import { decodeEntities } from '../../src/email/link-rewrite.rules';
import { JobQueue } from '../../src/jobs/job-queue';
import { TestApp, bootTestApp } from '../support/test-app';
import { SmtpSink } from '../support/smtp-sink';
import { eventually } from '../support/wait';

const PUBLIC_URL = 'http://kindling.test';

/** The header as written on the wire (mailparser turns List-* headers into objects). */
const header = (mail: ParsedMail, name: string): string =>
  mail.headerLines.find((h) => h.key === name)?.line.replace(/^[^:]+:\s*/, '').replace(/\r?\n\s+/g, ' ') ?? '';

describe.each([
  ['Postgres + Redis', true],
  ['Postgres + in-process jobs', false],
])('email delivery on %s', (_name, redis) => {
  let t: TestApp;
  let sink: SmtpSink;
  let db: Client;
  let template: string;
  let n = 0;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    t = await bootTestApp({
      redis,
      env: { SMTP_URL: sink.url, PUBLIC_URL, MAIL_FROM: 'Kindling Demo <news@kindling.test>', DELIVERY_RETRY_BASE_MS: '100' },
    });
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    const list = await t.http.get('/v1/templates').set(t.auth);
    template = list.body.data.find((x: { kind: string | null }) => x.kind && x.kind !== 'notification').name;
  });
  afterAll(async () => {
    await db.end();
    await t.close();
    await sink.stop();
  });

  const newLead = async (extra: Record<string, unknown> = {}) => {
    n++;
    const res = await t.http.post('/v1/leads').set(t.auth).send({ email: `lead${n}@inbox.test`, firstName: `Tessa${n}`, company: 'Acme', ...extra });
    return res.body.lead as { id: string; email: string; firstName: string };
  };
  const send = (leadId: string, key: string) => t.http.post('/v1/sends').set(t.auth).send({ leadId, template, idempotencyKey: key });
  const status = (id: string) => t.http.get(`/v1/sends/${id}`).set(t.auth).then((r) => r.body as { status: string; messageId: string; attempts: number; lastError: string | null });

  it('sends a personalised, tracked message with one-click unsubscribe headers and a stable Message-ID', async () => {
    const lead = await newLead();
    const res = await send(lead.id, `first-${lead.id}`);
    expect(res.status).toBe(202);
    const id = res.body.send.id;
    await eventually(async () => (await status(id)).status === 'sent', 'send to be sent');
    const [mail] = sink.to(lead.email);
    expect(mail).toBeDefined();
    expect(mail.messageId).toBe(res.body.send.messageId);
    expect(String(mail.html)).toContain(lead.firstName);
    const listUnsub = header(mail, 'list-unsubscribe');
    expect(listUnsub).toMatch(new RegExp(`^<${PUBLIC_URL}/u/[A-Za-z0-9_-]{48}>, <mailto:unsubscribe@kindling\\.test\\?subject=unsubscribe%20[A-Za-z0-9_-]{48}>$`));
    expect(header(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(String(mail.html)).toMatch(new RegExp(`<img src="${PUBLIC_URL}/t/o/[A-Za-z0-9_-]{48}"`));
    const hrefs = [...String(mail.html).matchAll(/href="([^"]+)"/g)].map((m) => m[1]).filter((h) => h.startsWith('http'));
    expect(hrefs.length).toBeGreaterThan(0);
    for (const h of hrefs) expect(h.startsWith(`${PUBLIC_URL}/t/c/`) || h.startsWith(`${PUBLIC_URL}/u/`)).toBe(true);
    expect(mail.text).toBeTruthy();
  });

  it('redirects a tracked click to the stored URL and records it; a tampered token gets 404 and no redirect', async () => {
    const lead = await newLead();
    const { body } = await send(lead.id, `click-${lead.id}`);
    await eventually(async () => (await status(body.send.id)).status === 'sent');
    const html = String(sink.to(lead.email)[0].html);
    const click = [...html.matchAll(/href="(http:\/\/kindling\.test\/t\/c\/[^"]+)"/g)][0][1];
    const { rows } = await db.query('SELECT links FROM email_sends WHERE id = $1', [body.send.id]);
    const res = await t.http.get(click.slice(PUBLIC_URL.length)).set('user-agent', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(rows[0].links[0]);

    const token = click.slice(click.lastIndexOf('/') + 1);
    for (const bad of [token.slice(0, -1), `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`, 'x'.repeat(48)]) {
      const r = await t.http.get(`/t/c/${bad}`);
      expect(r.status).toBe(404);
      expect(r.headers.location).toBeUndefined();
    }
    const acts = await db.query(`SELECT type, lead_id, classification, link_index FROM activities WHERE send_id = $1`, [body.send.id]);
    expect(acts.rows).toEqual([{ type: 'email.clicked', lead_id: lead.id, classification: expect.any(String), link_index: 0 }]);
  });

  it('answers the open pixel as an uncached GIF and stores the open with its class', async () => {
    const lead = await newLead();
    const { body } = await send(lead.id, `open-${lead.id}`);
    await eventually(async () => (await status(body.send.id)).status === 'sent');
    const pixel = /<img src="http:\/\/kindling\.test(\/t\/o\/[^"]+)"/.exec(String(sink.to(lead.email)[0].html))![1];
    const human = await t.http.get(pixel).set('user-agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Thunderbird/128.0');
    expect(human.status).toBe(200);
    expect(human.headers['content-type']).toBe('image/gif');
    expect(human.headers['cache-control']).toContain('no-store');
    await t.http.get(pixel).set('user-agent', 'Mozilla/5.0 (via ggpht.com GoogleImageProxy)');
    const acts = await db.query(`SELECT classification FROM activities WHERE send_id = $1 AND type = 'email.opened' ORDER BY id`, [body.send.id]);
    expect(acts.rows.map((r) => r.classification)).toEqual(['human', 'gmail-proxy']);
  });

  it('sends one email for two requests with the same idempotency key', async () => {
    const lead = await newLead();
    const [a, b] = await Promise.all([send(lead.id, `dup-${lead.id}`), send(lead.id, `dup-${lead.id}`)]);
    expect(a.body.send.id).toBe(b.body.send.id);
    expect([a.body.created, b.body.created].sort()).toEqual([false, true]);
    await eventually(async () => (await status(a.body.send.id)).status === 'sent');
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.to(lead.email)).toHaveLength(1);
  });

  it('delivers a send once when several jobs for it run at the same time (a sweep beside the first job)', async () => {
    const lead = await newLead();
    const { row } = await t.app.get(SendsService).stage({ leadId: lead.id, template, idempotencyKey: `jobs-${lead.id}` });
    const jobs = t.app.get(JobQueue);
    await Promise.all([0, 1, 2, 3].map((i) => jobs.enqueue(SEND_EMAIL, { sendId: row.id }, { jobId: `${row.id}.twice-${i}` })));
    await eventually(async () => (await status(row.id)).status === 'sent');
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.to(lead.email)).toHaveLength(1);
    expect((await status(row.id)).attempts).toBe(1);
  });

  it('retries after 421 and 451 with backoff, then delivers', async () => {
    const lead = await newLead();
    sink.script.push(421, 451);
    const { body } = await send(lead.id, `retry-${lead.id}`);
    const final = await eventually(async () => {
      const s = await status(body.send.id);
      return s.status === 'sent' ? s : undefined;
    });
    // nodemailer's pool may itself retry a 421 on a fresh connection; either way both refusals were met
    expect(final.attempts).toBeGreaterThanOrEqual(2);
    expect(sink.script).toEqual([]);
    expect(sink.to(lead.email)).toHaveLength(1);
  });

  it('bounces on 550, suppresses the address and sends nothing more to it', async () => {
    const lead = await newLead();
    sink.perRecipient.set(lead.email, 550);
    const first = await send(lead.id, `bounce-${lead.id}`);
    const s = await eventually(async () => {
      const x = await status(first.body.send.id);
      return x.status === 'bounced' ? x : undefined;
    });
    expect(s.lastError).toMatch(/550/);
    sink.perRecipient.delete(lead.email);
    const second = await send(lead.id, `after-bounce-${lead.id}`);
    await eventually(async () => (await status(second.body.send.id)).status === 'suppressed');
    expect(sink.to(lead.email)).toHaveLength(0);
  });

  it('unsubscribes with one POST (RFC 8058) and stops the next send', async () => {
    const lead = await newLead();
    const { body } = await send(lead.id, `unsub-${lead.id}`);
    await eventually(async () => (await status(body.send.id)).status === 'sent');
    const url = /^<([^>]+)>/.exec(header(sink.to(lead.email)[0], 'list-unsubscribe'))![1];
    const page = await t.http.get(url.slice(PUBLIC_URL.length));
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<form method="post"/);
    const post = await t.http.post(url.slice(PUBLIC_URL.length)).type('form').send('List-Unsubscribe=One-Click');
    expect(post.status).toBe(200);
    expect(post.text).toMatch(/unsubscribed/i);
    expect(post.text).toContain('@inbox.test');
    expect((await t.http.get(`/v1/leads/${lead.id}`).set(t.auth)).body.unsubscribedAt).not.toBeNull();
    const next = await send(lead.id, `after-unsub-${lead.id}`);
    await eventually(async () => (await status(next.body.send.id)).status === 'suppressed');
    expect(sink.to(lead.email)).toHaveLength(1);
  });

  it('takes bounce and complaint notices by webhook (generic and SES via SNS)', async () => {
    const a = await newLead();
    const b = await newLead();
    const generic = await t.http.post('/v1/webhooks/bounces').set(t.auth).send({ type: 'bounce', email: a.email, reason: 'user unknown' });
    expect(generic.body).toEqual({ received: 1, suppressed: 1 });
    const sns = { Type: 'Notification', Message: JSON.stringify({ notificationType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: b.email }] } }) };
    const res = await t.http.post('/v1/webhooks/bounces').set(t.auth).set('content-type', 'text/plain; charset=UTF-8').send(JSON.stringify(sns));
    expect(res.body).toEqual({ received: 1, suppressed: 1 });
    expect((await t.http.get(`/v1/leads/${b.id}`).set(t.auth)).body.unsubscribedAt).not.toBeNull();
    const bad = await t.http.post('/v1/webhooks/bounces').set(t.auth).send({ type: 'bounce', email: 'nope' });
    expect(bad.status).toBe(400);
    expect((await t.http.post('/v1/webhooks/bounces').send({ type: 'bounce', email: a.email })).status).toBe(401);
    const s = await send(a.id, `after-webhook-${a.id}`);
    await eventually(async () => (await status(s.body.send.id)).status === 'suppressed');
  });

  it('sends internal mail to its recipient about the lead: past its unsubscribe, untracked, no List-Unsubscribe', async () => {
    const lead = await newLead({ lastName: 'Lindqvist', jobTitle: 'CFO' });
    const marketing = await send(lead.id, `internal-mkt-${lead.id}`);
    await eventually(async () => (await status(marketing.body.send.id)).status === 'sent');
    const [tracked] = sink.to(lead.email);
    const unsubscribe = /^<([^>]+)>/.exec(header(tracked, 'list-unsubscribe'))![1];
    expect(String(tracked.html)).toContain(`${PUBLIC_URL}/t/o/`);
    expect(String(tracked.html)).toContain(`${PUBLIC_URL}/t/c/`);
    expect((await t.http.post(unsubscribe.slice(PUBLIC_URL.length)).type('form').send('List-Unsubscribe=One-Click')).status).toBe(200);

    const rep = `rep${n}@sales.test`;
    const sends = t.app.get(SendsService);
    const request = {
      leadId: lead.id,
      template: 'rep-new-lead',
      category: 'internal' as const,
      recipient: { email: rep, name: 'Rita Rep' },
      idempotencyKey: `notify-${lead.id}`,
      data: { rep: { firstName: 'Rita' }, grade: 'A', score: 87, assignment: { acceptUrl: 'https://crm.example/accept/1?sig=abc', returnUrl: 'https://crm.example/return/1', leadUrl: 'https://app.example/leads/1', slaHours: 4, dueAt: new Date().toISOString() } },
    };
    const { send: internal, created } = await sends.queue(request);
    expect(created).toBe(true);
    await eventually(async () => (await status(internal.id)).status === 'sent', 'internal send to be sent');
    // a marketing send to the now unsubscribed lead is still stopped
    const blocked = await send(lead.id, `internal-mkt-after-${lead.id}`);
    await eventually(async () => (await status(blocked.body.send.id)).status === 'suppressed');

    expect(sink.to(lead.email)).toHaveLength(1);
    const [mail] = sink.to(rep);
    expect(mail.messageId).toBe(internal.messageId);
    expect(mail.to && !Array.isArray(mail.to) && mail.to.value).toEqual([{ address: rep, name: 'Rita Rep' }]);
    const html = String(mail.html);
    expect(mail.subject).toContain(`${lead.firstName} Lindqvist`);
    expect(html).toContain('Hi Rita');
    // as the template wrote them (Handlebars writes "=" as &#x3D; in attributes)
    const hrefs = [...html.matchAll(/href="(http[^"]+)"/g)].map((m) => decodeEntities(m[1]));
    expect(hrefs).toEqual(['https://crm.example/accept/1?sig=abc', 'https://crm.example/return/1', 'https://app.example/leads/1']);
    expect(mail.text).toContain('https://crm.example/accept/1?sig=abc');
    for (const part of [html, String(mail.text)]) {
      expect(part).not.toContain(`${PUBLIC_URL}/t/`);
      expect(part).not.toContain(`${PUBLIC_URL}/u/`);
    }
    expect(mail.headerLines.filter((h) => h.key.startsWith('list-'))).toEqual([]);
    const { rows } = await db.query(`SELECT lead_id, category, recipient_email, recipient_name, links FROM email_sends WHERE id = $1`, [internal.id]);
    expect(rows).toEqual([{ lead_id: lead.id, category: 'internal', recipient_email: rep, recipient_name: 'Rita Rep', links: [] }]);

    // the same key is the same send; an internal send names its recipient, nothing else may
    expect(await sends.queue(request)).toMatchObject({ created: false, send: { id: internal.id } });
    await expect(sends.queue({ ...request, idempotencyKey: `no-recipient-${lead.id}`, recipient: undefined })).rejects.toMatchObject({ code: 'send_recipient_invalid' });
    await expect(sends.queue({ ...request, idempotencyKey: `bad-recipient-${lead.id}`, recipient: { email: 'not-an-address' } })).rejects.toMatchObject({ code: 'send_recipient_invalid' });
    await expect(sends.queue({ ...request, idempotencyKey: `mkt-recipient-${lead.id}`, category: 'marketing' })).rejects.toMatchObject({ code: 'send_recipient_invalid' });
  });

  it('mails nothing about an erased lead, whether erased before the internal send is queued or before it goes out', async () => {
    const sends = t.app.get(SendsService);
    const rep = `rep-erased${n}@sales.test`;
    const internal = (leadId: string, key: string) =>
      sends.queue({ leadId, template: 'rep-new-lead', category: 'internal', recipient: { email: rep }, idempotencyKey: key, data: { assignment: { slaHours: 4 } } });
    const before = await newLead();
    expect((await t.http.delete(`/v1/leads/${before.id}`).set(t.auth)).status).toBe(200);
    await expect(internal(before.id, `erased-before-${before.id}`)).rejects.toMatchObject({ code: 'lead_not_found' });

    // staged, erased, then handed to delivery: the check at send time stops it
    const after = await newLead();
    const { row } = await sends.stage({ leadId: after.id, template: 'rep-new-lead', category: 'internal', recipient: { email: rep }, idempotencyKey: `erased-after-${after.id}` });
    expect((await t.http.delete(`/v1/leads/${after.id}`).set(t.auth)).status).toBe(200);
    await sends.deliver([row.id]);
    const final = await eventually(async () => {
      const s = await status(row.id);
      return s.status === 'suppressed' ? s : undefined;
    });
    expect(final.lastError).toBe('erased');
    expect(sink.to(rep)).toHaveLength(0);
  });
});
