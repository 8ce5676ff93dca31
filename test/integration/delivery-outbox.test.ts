import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestApp, bootTestApp } from '../support/test-app';
import { eventually } from '../support/wait';

describe('outbox transport (SMTP_URL unset) with DKIM', () => {
  let t: TestApp;
  let template: string;

  beforeAll(async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    t = await bootTestApp({
      redis: false,
      env: {
        MAIL_FROM: 'News <news@kindling.test>',
        DKIM_DOMAIN: 'kindling.test',
        DKIM_SELECTOR: 's1',
        DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    });
    const list = await t.http.get('/v1/templates').set(t.auth);
    template = list.body.data.find((x: { kind: string | null }) => x.kind && x.kind !== 'notification').name;
  });
  afterAll(() => t.close());

  it('writes a DKIM-signed .eml to DATA_DIR/outbox and shows it at /dev/outbox', async () => {
    const lead = (await t.http.post('/v1/leads').set(t.auth).send({ email: 'reader@inbox.test', firstName: 'Rea' })).body.lead;
    const { body } = await t.http.post('/v1/sends').set(t.auth).send({ leadId: lead.id, template, idempotencyKey: 'outbox-1' });
    await eventually(async () => (await t.http.get(`/v1/sends/${body.send.id}`).set(t.auth)).body.status === 'sent');

    const dir = join(t.config.dataDir, 'outbox');
    expect(readdirSync(dir).sort()).toEqual([`${body.send.id}.eml`, `${body.send.id}.json`]);
    const eml = readFileSync(join(dir, `${body.send.id}.eml`), 'utf8');
    expect(eml).toMatch(/^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=kindling\.test;\s+q=dns\/txt; s=s1;/m);
    expect(eml).toContain(`Message-ID: ${body.send.messageId}`);
    expect(eml).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);

    const page = await t.http.get('/dev/outbox');
    expect(page.status).toBe(200);
    expect(page.text).toContain(`/dev/outbox/${body.send.id}`);
    const one = await t.http.get(`/dev/outbox/${body.send.id}`);
    expect(one.text).toContain('reader@inbox.test');
    const html = await t.http.get(`/dev/outbox/${body.send.id}/html`);
    expect(html.headers['content-security-policy']).toContain('sandbox');
    expect(html.text).toContain('Rea');
    expect((await t.http.get('/dev/outbox/..%2F..%2Fsecret.key')).status).toBe(404);
  });
});
