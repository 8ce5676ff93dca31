import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TestApp, bootTestApp } from '../support/test-app';

describe('templates API', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootTestApp({ redis: false });
  });
  afterAll(async () => {
    await t.close();
  });

  it('needs an API key like every /v1 route', async () => {
    expect((await t.http.get('/v1/templates')).status).toBe(401);
    expect((await t.http.get('/v1/templates/demo-invitation/preview')).status).toBe(401);
  });

  it('lists the templates loaded from the repository, with their front matter', async () => {
    const res = await t.http.get('/v1/templates').set(t.auth);
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(13);
    const demo = res.body.data.find((x: { name: string }) => x.name === 'demo-invitation');
    expect(demo).toEqual({
      name: 'demo-invitation',
      type: 'email',
      subject: 'See your own close on Tallyworks — 30 minutes',
      preheader: 'A working session on your accounts, not a slide deck.',
      stage: 'bottom',
      kind: 'demo',
      variants: ['decision-maker', 'influencer', 'user'],
      layout: 'default',
      file: 'emails/bottom/demo-invitation.mjml',
      version: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    const page = res.body.data.find((x: { name: string }) => x.name === 'unsubscribed');
    expect(page).toMatchObject({ type: 'page', stage: null, kind: null, file: 'pages/unsubscribed.mjml' });
  });

  it('previews with the built-in sample lead when no lead is given', async () => {
    const res = await t.http.get('/v1/templates/rep-new-lead/preview').set(t.auth);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['html', 'preheader', 'subject', 'text']);
    expect(res.body.subject).toBe('New A lead for you: Jordan Rivera at Northwind Logistics');
    expect(res.body.html).toMatch(/^<!doctype html>/);
    expect(res.body.text).toContain('Accept lead [http://localhost:3000/assignments/sample/accept]');
  });

  it('previews for a real lead and persona', async () => {
    const created = await t.http.post('/v1/leads').set(t.auth).send({ email: 'grace@hopper-freight.test', firstName: 'Grace', company: 'Hopper Freight', timezone: 'Europe/Berlin', locale: 'de-DE' });
    expect(created.status).toBe(201);
    const id = created.body.lead.id;

    const dm = await t.http.get('/v1/templates/demo-invitation/preview').query({ leadId: id, persona: 'decision-maker' }).set(t.auth);
    expect(dm.status).toBe(200);
    expect(dm.body.subject).toBe('What a 4-day close is worth to Hopper Freight');
    expect(dm.body.preheader).toBe("We'll build the ROI case with your numbers in 30 minutes.");
    expect(dm.body.html).toContain('Hi Grace,');
    expect(dm.body.html).toContain('the business case');
    expect(dm.body.html).not.toContain('your day-to-day');
    expect(dm.body.text).toContain('Hi Grace,');
    expect(dm.body.text).toMatch(/Unsubscribe \[http:\/\/localhost:3000\/t\/u\/preview\]/);

    const webinar = await t.http.get('/v1/templates/webinar-faster-close/preview').query({ leadId: id }).set(t.auth);
    expect(webinar.body.html).toContain('Donnerstag, 10. Dezember 2026 um 18:00 MEZ');
  });

  it('answers 404 for an unknown template or lead, 400 for malformed input', async () => {
    const noTemplate = await t.http.get('/v1/templates/no-such-template/preview').set(t.auth);
    expect(noTemplate.status).toBe(404);
    expect(noTemplate.body.error.code).toBe('template_not_found');
    const noLead = await t.http.get('/v1/templates/demo-invitation/preview').query({ leadId: '01939f5e-0000-7000-8000-000000000000' }).set(t.auth);
    expect(noLead.status).toBe(404);
    expect(noLead.body.error.code).toBe('lead_not_found');
    const bad = await t.http.get('/v1/templates/demo-invitation/preview').query({ leadId: 'nope', persona: 'Decision Maker' }).set(t.auth);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['leadId', 'persona']);
  });
});

describe('boot with broken templates', () => {
  it('refuses to start and lists every problem as file:line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-broken-templates-'));
    const write = (path: string, content: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    };
    write('layouts/default.mjml', '<mjml><mj-body>{{> body}}<mj-section><mj-column><mj-text>{{unsubscribeUrl}}</mj-text></mj-column></mj-section></mj-body></mjml>');
    write('emails/bad.mjml', ['---', 'subject: Hello', 'stage: somewhere', 'kind: blog', '---', '<mj-section>', '  <mj-column>', '    <mj-text>{{shout lead.firstName}}</mj-text>', '  </mj-column>', '</mj-section>'].join('\n'));
    write('emails/worse.mjml', ['---', 'subject: Hi', 'stage: top', 'kind: blog', '---', '<mj-section><mj-column>', '{{#if a}}', '</mj-column></mj-section>'].join('\n'));

    let error: Error | undefined;
    try {
      const app = await bootTestApp({ redis: false, env: { TEMPLATES_DIR: dir } });
      await app.close();
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(/3 problem\(s\) in the templates/);
    expect(error?.message).toContain(`${dir}/emails/bad.mjml:3: front matter: stage: Invalid option`);
    expect(error?.message).toContain(`${dir}/emails/bad.mjml:8: unknown helper "shout"`);
    expect(error?.message).toContain(`${dir}/emails/worse.mjml:7: Handlebars: {{#if}} is never closed (add {{/if}})`);
  });
});
