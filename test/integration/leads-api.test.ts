import { Client } from 'pg';
import { emailHash } from '../../src/common/email-address';
import { TestApp, bootTestApp } from '../support/test-app';

describe('leads API', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await bootTestApp();
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  describe('authentication', () => {
    it('refuses requests without a key, with a wrong key and with a malformed header', async () => {
      for (const headers of [{}, { authorization: 'Bearer kl_0000000000_' + '0'.repeat(48) }, { authorization: t.apiKey }]) {
        const res = await t.http.get('/v1/leads').set(headers);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toMatch(/api_key/);
      }
    });

    it('stores keys hashed, never in clear', async () => {
      const { rows } = await db.query('SELECT prefix, secret_hash FROM api_keys');
      expect(rows).toHaveLength(1);
      expect(t.apiKey).not.toContain(rows[0].secret_hash);
      expect(JSON.stringify(rows)).not.toContain(t.apiKey.split('_')[2]);
    });
  });

  describe('upsert', () => {
    it('creates a lead (201), then updates it by the same email in any case (200)', async () => {
      const created = await t.http.post('/v1/leads').set(t.auth).send({ email: '  Ada@Example.COM ', firstName: 'Ada', country: 'gb', timezone: 'Europe/London' });
      expect(created.status).toBe(201);
      expect(created.body.created).toBe(true);
      expect(created.body.lead).toMatchObject({ email: 'ada@example.com', firstName: 'Ada', country: 'GB', timezone: 'Europe/London', consent: null });

      const updated = await t.http.post('/v1/leads').set(t.auth).send({ email: 'ADA@example.com', company: 'Analytical Engines', attributes: { plan: 'pro' } });
      expect(updated.status).toBe(200);
      expect(updated.body.created).toBe(false);
      expect(updated.body.lead).toMatchObject({ id: created.body.lead.id, firstName: 'Ada', company: 'Analytical Engines', attributes: { plan: 'pro' } });
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM leads WHERE email = 'ada@example.com'`);
      expect(rows[0].n).toBe(1);
    });

    it('rejects bad input with 400 and a detail per field, storing nothing', async () => {
      const res = await t.http.post('/v1/leads').set(t.auth).send({ email: 'nope', companySize: -3, timezone: 'Mars/Base', extra: true });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['(root)', 'companySize', 'email', 'timezone']);
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM leads WHERE email = 'nope'`);
      expect(rows[0].n).toBe(0);
    });

    it('answers a body that is not JSON with 400 and no stack trace', async () => {
      const res = await t.http.post('/v1/leads').set(t.auth).set('content-type', 'application/json').send('{"email":');
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBeDefined();
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(js|ts):\d+/);
    });
  });

  describe('read, change, list', () => {
    it('gets and patches a lead; null clears a field; attributes merge', async () => {
      const { body } = await t.http.post('/v1/leads').set(t.auth).send({ email: 'grace@navy.mil', jobTitle: 'Rear Admiral', attributes: { a: 1, b: 2 } });
      const id = body.lead.id;
      const patched = await t.http.patch(`/v1/leads/${id}`).set(t.auth).send({ jobTitle: null, attributes: { b: null, c: 3 } });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ id, jobTitle: null, attributes: { a: 1, c: 3 } });
      expect(patched.body.attributes).not.toHaveProperty('b');
      expect((await t.http.get(`/v1/leads/${id}`).set(t.auth)).body).toEqual(patched.body);
    });

    it('refuses to move a lead onto an email another lead has (409)', async () => {
      const a = await t.http.post('/v1/leads').set(t.auth).send({ email: 'one@dup.test' });
      await t.http.post('/v1/leads').set(t.auth).send({ email: 'two@dup.test' });
      const res = await t.http.patch(`/v1/leads/${a.body.lead.id}`).set(t.auth).send({ email: 'TWO@dup.test' });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'lead_email_taken', details: [{ path: 'email' }] });
    });

    it('answers 404 for an unknown id, 400 for a malformed one, 404 for an unknown route', async () => {
      expect((await t.http.get('/v1/leads/01939f5e-0000-7000-8000-000000000000').set(t.auth)).status).toBe(404);
      const bad = await t.http.get('/v1/leads/123').set(t.auth);
      expect(bad.status).toBe(400);
      expect(bad.body.error.details[0]).toEqual({ path: '(root)', message: 'must be a lead id (UUID)' });
      const unknown = await t.http.get('/v1/nothing-here').set(t.auth);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('not_found');
    });

    it('filters and pages with a cursor, newest first, without repeats or gaps', async () => {
      for (let i = 0; i < 7; i++) await t.http.post('/v1/leads').set(t.auth).send({ email: `page${i}@list.test`, source: 'webinar', company: i === 3 ? 'Needle GmbH' : 'Hay Ltd' });
      await t.http.post('/v1/leads').set(t.auth).send({ email: 'other@list.test', source: 'ads' });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: { data: { email: string }[]; nextCursor: string | null } } = await t.http
          .get('/v1/leads')
          .query({ source: 'webinar', limit: 3, ...(cursor ? { cursor } : {}) })
          .set(t.auth);
        expect(res.status).toBe(200);
        seen.push(...res.body.data.map((l) => l.email));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `page${i}@list.test`));

      const q = await t.http.get('/v1/leads').query({ q: 'needle' }).set(t.auth);
      expect(q.body.data.map((l: { email: string }) => l.email)).toEqual(['page3@list.test']);
      const byEmail = await t.http.get('/v1/leads').query({ email: 'OTHER@list.test' }).set(t.auth);
      expect(byEmail.body.data).toHaveLength(1);
      const future = await t.http.get('/v1/leads').query({ createdAfter: new Date(Date.now() + 60_000).toISOString() }).set(t.auth);
      expect(future.body.data).toEqual([]);
      const invalid = await t.http.get('/v1/leads').query({ limit: 0, createdAfter: 'yesterday' }).set(t.auth);
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['createdAfter', 'limit']);
    });
  });

  describe('GDPR erase', () => {
    it('anonymises the lead, suppresses the address by hash and hides it from the API', async () => {
      const { body } = await t.http.post('/v1/leads').set(t.auth).send({ email: 'forget@me.test', firstName: 'Forget', country: 'DE', industry: 'Retail' });
      const res = await t.http.delete(`/v1/leads/${body.lead.id}`).set(t.auth);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(body.lead.id);

      const { rows } = await db.query('SELECT email, first_name, country, industry, erased_at FROM leads WHERE id = $1', [body.lead.id]);
      expect(rows[0].email).not.toContain('forget');
      expect(rows[0]).toMatchObject({ first_name: null, country: 'DE', industry: 'Retail' });
      expect(rows[0].erased_at).not.toBeNull();
      const supp = await db.query('SELECT reason FROM suppressions WHERE email_hash = $1', [emailHash('Forget@Me.test')]);
      expect(supp.rows).toEqual([{ reason: 'erased' }]);
      const dump = await db.query(`SELECT count(*)::int AS n FROM suppressions WHERE email_hash LIKE '%forget%'`);
      expect(dump.rows[0].n).toBe(0);

      expect((await t.http.get(`/v1/leads/${body.lead.id}`).set(t.auth)).status).toBe(404);
      expect((await t.http.delete(`/v1/leads/${body.lead.id}`).set(t.auth)).status).toBe(404);
      const list = await t.http.get('/v1/leads').query({ email: 'forget@me.test' }).set(t.auth);
      expect(list.body.data).toEqual([]);
    });
  });
});
