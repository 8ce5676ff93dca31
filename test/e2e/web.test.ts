import { Logger } from '@nestjs/common';
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';
import { AccountsService } from '../../src/web/accounts.service';
import { TestApp, bootTestApp } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * The web app in Debian's Chromium (never a downloaded browser): first admin from the boot log's
 * link, sign-in, the dashboard against the API, the leads table and a lead's page, a rep's
 * queue, and the guards (another rep's lead, the sign-in rate limit, CSRF).
 */
jest.setTimeout(240_000);

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = resolve(__dirname, '../../screenshots');
const ASSIGNMENT = `
settings: { sla: 4h, onReturn: { scorePenalty: 20, track: warm } }
reps:
  - { key: rep-a, name: Rita Able, email: rita@reps.test, territories: [XX] }
  - { key: rep-b, name: Bob Baker, email: bob@reps.test, territories: [XX] }
rules:
  - { id: nowhere, territories: [XX], pool: [rep-a, rep-b] }
fallback: unassigned
`;
const ADMIN = { name: 'Ada Admin', email: 'ada@kindling.test', password: 'a long admin password' };
const REP_A = { email: 'rita@reps.test', password: 'rita password 123' };
const REP_B = { email: 'bob@reps.test', password: 'bob password 1234' };
const COMPANIES = ['Acme Tools', 'Globex Finance', 'Initech Payroll'];
const STAGES = ['awareness', 'interest', 'mql', 'sales-ready'];
const TEMPERATURES = ['cold', 'warm', 'hot'];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('web app in a browser', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let setupLink: string;
  const leadIds: string[] = [];
  const assignmentOf: Record<string, string> = {};
  const warnings: string[] = [];

  const api = (path: string) => t.http.get(path).set(t.auth).expect(200).then((r) => r.body);
  const countAll = async (param: 'stage' | 'temperature', value: string) => (await api(`/v1/leads?${param}=${value}&limit=500`)).data.length as number;
  const snapshot = async () => Object.fromEntries(await Promise.all([...STAGES.map(async (s) => [s, await countAll('stage', s)]), ...TEMPERATURES.map(async (x) => [x, await countAll('temperature', x)])]));

  async function signIn(ctx: BrowserContext, who: { email: string; password: string }): Promise<Page> {
    const p = await ctx.newPage();
    await p.goto(`${base}/app/login`);
    await p.getByLabel('Email').fill(who.email);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    return p;
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`);
    mkdirSync(SHOTS, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'kindling-web-'));
    cpSync(join(__dirname, '../../workflows'), dir, { recursive: true });
    writeFileSync(join(dir, 'assignment.yaml'), ASSIGNMENT);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // the boot log is the only place the first setup link appears; read it where it is logged
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(function (this: Logger, message: unknown) {
      warnings.push(String(message));
    });
    t = await bootTestApp({ env: { WORKFLOWS_DIR: dir, PUBLIC_URL: base } });
    warn.mockRestore();
    await t.app.listen({ port, host: '127.0.0.1' });
    setupLink = warnings.map((w) => /(http\S+\/app\/setup\?token=[\w-]+)/.exec(w)?.[1]).find(Boolean) ?? '';

    // leads: a third interested, a third MQL, some with a webinar on top, the rest untouched
    for (let i = 0; i < 30; i++) {
      const res = await t.http
        .post('/v1/leads')
        .set(t.auth)
        .send({ email: `lead${i}@example.test`, firstName: `Lead${i}`, lastName: 'Tester', company: COMPANIES[i % 3], jobTitle: i % 2 ? 'CFO' : 'Accountant', country: 'DE' })
        .expect(201);
      leadIds.push(res.body.lead.id);
    }
    const events = leadIds.flatMap((_, i) => {
      const email = `lead${i}@example.test`;
      const e = (type: string, properties: Record<string, unknown> = {}) => ({ type, email, properties, idempotencyKey: `web-${i}-${type}` });
      if (i % 5 === 0) return [e('content.downloaded', { asset: 'close-playbook.pdf', stage: 'middle' })];
      if (i % 5 === 1) return [e('content.downloaded', { asset: 'close-playbook.pdf', stage: 'middle' }), e('webinar.registered')];
      if (i % 5 === 2) return [e('info.requested'), e('webinar.attended')];
      return [];
    });
    await t.http.post('/v1/events').set(t.auth).send({ events }).expect(202);
    await eventually(async () => {
      const leads = (await api('/v1/leads?limit=500')).data as { id: string; score: number }[];
      return leads.filter((l) => l.score > 0).length === 18 || undefined;
    }, 'scores for 18 leads', 60_000);

    // hand-offs by hand: two leads to Rita, one to Bob (these leads are not sales-ready, so no rule took them)
    const reps = (await api('/v1/reps')).data as { id: string; key: string }[];
    const repId = (key: string) => reps.find((r) => r.key === key)!.id;
    for (const [i, key] of [[0, 'rep-a'], [5, 'rep-a'], [10, 'rep-b']] as const) {
      const res = await t.http.post('/v1/assignments').set(t.auth).send({ leadId: leadIds[i], repId: repId(key) });
      expect(res.status).toBe(201);
      assignmentOf[leadIds[i]] = res.body.id;
    }

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('creates the first admin from the one-time link printed at boot, once', async () => {
    expect(setupLink).toMatch(new RegExp(`^${base}/app/setup\\?token=`));
    page = await admin.newPage();
    await page.goto(setupLink);
    await page.getByLabel('Your name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: false }).first().fill(ADMIN.password);
    await page.getByLabel('Password again').fill(ADMIN.password);
    await page.getByRole('button', { name: /Create admin/ }).click();
    await page.waitForURL(`${base}/app`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Dashboard');
    await expect(page.locator('.who').textContent()).resolves.toContain(ADMIN.name);

    // single use: the link is spent, and no new one is issued now that a user exists
    const again = await (await browser.newContext()).newPage();
    const res = await again.goto(setupLink);
    expect(res?.status()).toBe(404);
    await expect(t.app.get(AccountsService).issueSetupLink()).resolves.toBeUndefined();

    // rep users as `npm run cli -- user create --role rep --rep <key>` makes them
    const accounts = t.app.get(AccountsService);
    await accounts.createUser({ ...REP_A, name: 'Rita Able', role: 'rep', repKey: 'rep-a' });
    await accounts.createUser({ ...REP_B, name: 'Bob Baker', role: 'rep', repKey: 'rep-b' });
  });

  it('signs out and in again; pages need a session', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/app\/login$/);
    await page.goto(`${base}/app/leads`);
    expect(page.url()).toBe(`${base}/app/login?next=${encodeURIComponent('/app/leads')}`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/app/leads`);
  });

  it('shows dashboard numbers that match the API', async () => {
    // evaluation is asynchronous: compare once the counts have settled
    let before = await snapshot();
    await eventually(async () => {
      const now = await snapshot();
      const same = JSON.stringify(now) === JSON.stringify(before);
      before = now;
      return same || undefined;
    }, 'settled lead counts', 30_000);
    await page.goto(`${base}/app`);
    for (const stage of STAGES) {
      expect(Number(await page.locator(`[data-stage="${stage}"] .count`).textContent())).toBe(before[stage]);
    }
    for (const temperature of TEMPERATURES) {
      expect(Number(await page.locator(`[data-temperature="${temperature}"] .count`).textContent())).toBe(before[temperature]);
    }
    expect(STAGES.reduce((n, s) => n + before[s], 0)).toBe(30);
    expect(await page.locator('#email-chart-title').count()).toBe(1);
    expect(await page.locator('#temp-chart-title').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });
  });

  it('filters, sorts and pages the leads table', async () => {
    await page.goto(`${base}/app/leads`);
    expect(await page.locator('[data-total]').textContent()).toBe('30');
    expect(await page.locator('table.leads tbody tr').count()).toBe(25);
    await page.getByRole('link', { name: 'Next ›' }).click();
    expect(await page.locator('table.leads tbody tr').count()).toBe(5);

    await page.goto(`${base}/app/leads`);
    await page.getByLabel('Stage').selectOption('mql');
    await page.getByLabel('Search').fill('Globex');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/stage=mql/);
    const mqlGlobex = (await api('/v1/leads?stage=mql&q=Globex&limit=500')).data.length;
    expect(Number(await page.locator('[data-total]').textContent())).toBe(mqlGlobex);
    expect(await page.locator('table.leads tbody tr').count()).toBe(mqlGlobex);
    for (const company of await page.locator('table.leads tbody td:nth-child(2)').allTextContents()) expect(company).toContain('Globex');

    await page.goto(`${base}/app/leads?sort=score&dir=desc`);
    const scores = (await page.locator('table.leads tbody td.num').allTextContents()).map(Number);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores[0]).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'leads.png'), fullPage: true });
  });

  it("opens a lead and shows its score per dimension with the ledger's reasons", async () => {
    const id = leadIds[2];
    const score = await api(`/v1/leads/${id}/score`);
    expect(score.ledger.length).toBeGreaterThan(0);
    await page.goto(`${base}/app/leads?q=lead2%40example.test`);
    await page.getByRole('link', { name: 'Lead2 Tester' }).click();
    await page.waitForURL(`${base}/app/leads/${id}`);
    const ledger = await page.locator('#ledger tbody').textContent();
    for (const entry of score.ledger) expect(ledger).toContain(entry.reason);
    await expect(page.locator('.lead-tags').textContent()).resolves.toContain(`score ${score.score}`);
    await expect(page.locator('.timeline').textContent()).resolves.toContain('webinar.attended');
    await page.screenshot({ path: join(SHOTS, 'lead.png'), fullPage: true });
  });

  it('lets a rep accept a lead from My leads, and only see their own leads', async () => {
    const rep = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await signIn(rep, REP_A);
    await p.waitForURL(`${base}/app/my-leads`);
    const items = p.locator('article.queue-item');
    expect(await items.count()).toBe(2);
    const first = items.filter({ hasText: 'lead0@example.test' });
    await first.getByRole('button', { name: 'Accept' }).click();
    await p.waitForURL(/done=accept/);
    await expect(p.getByRole('status').textContent()).resolves.toContain('Accepted');
    expect((await api(`/v1/assignments/${assignmentOf[leadIds[0]]}`)).status).toBe('accepted');
    expect((await api(`/v1/assignments/${assignmentOf[leadIds[5]]}`)).status).toBe('pending');
    await p.screenshot({ path: join(SHOTS, 'my-leads.png'), fullPage: true });

    // "All my leads" is the rep's two leads, whatever the filters ask for
    await p.goto(`${base}/app/leads?owner=none`);
    expect(await p.locator('[data-total]').textContent()).toBe('2');

    // Bob's lead does not exist for Rita; neither do his assignment or the dashboard
    const other = await p.goto(`${base}/app/leads/${leadIds[10]}`);
    expect(other?.status()).toBe(404);
    await expect(p.locator('main').textContent()).resolves.toContain('There is no such lead');
    expect((await p.goto(`${base}/app/leads/${leadIds[5]}`))?.status()).toBe(200);
    const csrf = await p.locator('input[name="_csrf"]').first().inputValue();
    const steal = await p.request.post(`${base}/app/my-leads/${assignmentOf[leadIds[10]]}`, { form: { _csrf: csrf, action: 'accept' }, maxRedirects: 0 });
    expect(steal.status()).toBe(404);
    expect((await api(`/v1/assignments/${assignmentOf[leadIds[10]]}`)).status).toBe('pending');
    await rep.close();
  });

  it('refuses a POST without the CSRF token', async () => {
    const rep = await browser.newContext();
    const p = await signIn(rep, REP_A);
    await p.waitForURL(`${base}/app/my-leads`);
    const target = `${base}/app/my-leads/${assignmentOf[leadIds[5]]}`;
    const missing = await p.request.post(target, { form: { action: 'accept' }, maxRedirects: 0 });
    expect(missing.status()).toBe(403);
    const wrong = await p.request.post(target, { form: { action: 'accept', _csrf: 'forged' }, maxRedirects: 0 });
    expect(wrong.status()).toBe(403);
    expect((await api(`/v1/assignments/${assignmentOf[leadIds[5]]}`)).status).toBe('pending');
    // the sign-in form is protected too (a signed double-submit cookie before there is a session)
    const login = await (await browser.newContext()).request.post(`${base}/app/login`, { form: { email: REP_A.email, password: REP_A.password }, maxRedirects: 0 });
    expect(login.status()).toBe(403);
    await rep.close();
  });

  it('rate-limits wrong passwords with a clear message', async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    const attempt = async (password: string) => {
      await p.goto(`${base}/app/login`);
      await p.getByLabel('Email').fill(REP_B.email);
      await p.getByLabel('Password').fill(password);
      const [res] = await Promise.all([p.waitForResponse((r) => r.url() === `${base}/app/login` && r.request().method() === 'POST'), p.getByRole('button', { name: 'Sign in' }).click()]);
      return res.status();
    };
    for (let i = 0; i < 5; i++) expect(await attempt(`wrong password ${i}`)).toBe(401);
    await expect(p.getByRole('alert').textContent()).resolves.toContain('do not match');
    expect(await attempt(REP_B.password)).toBe(429);
    await expect(p.getByRole('alert').textContent()).resolves.toMatch(/Too many failed sign-ins for this address\. Wait 15 minutes/);
    await ctx.close();
  });
});
