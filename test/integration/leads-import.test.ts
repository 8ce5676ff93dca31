import { Client } from 'pg';
import { TestApp, bootTestApp } from '../support/test-app';

const csv = (rows: string[]) => ['email,first_name,Company Size,country,consent,favourite colour', ...rows].join('\n') + '\n';

describe('lead import', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await bootTestApp({ redis: false });
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const post = (body: string, type = 'text/csv') => t.http.post('/v1/leads/import').set(t.auth).set('content-type', type).send(body);

  it('lands the valid rows and reports the bad ones by row and field', async () => {
    const res = await post(
      csv([
        'a@imp.test,Ann,12,de,yes,red',
        'not-an-email,Bob,5,de,no,blue',
        'c@imp.test,Cy,many,xx1,maybe,green',
        'd@imp.test,Di,3',
        'E@IMP.test,Eve,7,fr,,',
      ]),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 5, created: 2, updated: 0, unchanged: 0, rejected: 3, errorsTruncated: false });
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { row: 2, field: 'email', message: 'must be a valid email address' },
        expect.objectContaining({ row: 3, field: 'companySize' }),
        expect.objectContaining({ row: 3, field: 'country' }),
        expect.objectContaining({ row: 3, field: 'consent' }),
        { row: 4, field: '(row)', message: 'has 3 fields, the header has 6' },
      ]),
    );
    const { rows } = await db.query(`SELECT email, first_name, company_size, country, consent, attributes FROM leads WHERE email LIKE '%@imp.test' ORDER BY email`);
    expect(rows).toEqual([
      { email: 'a@imp.test', first_name: 'Ann', company_size: 12, country: 'DE', consent: true, attributes: { 'favourite colour': 'red' } },
      { email: 'e@imp.test', first_name: 'Eve', company_size: 7, country: 'FR', consent: null, attributes: {} },
    ]);
  });

  it('changes nothing when the same file is imported twice', async () => {
    const file = csv(Array.from({ length: 2500 }, (_, i) => `same${i}@twice.test,N${i},${i},de,yes,c${i % 7}`));
    const first = await post(file);
    expect(first.body).toMatchObject({ total: 2500, created: 2500, rejected: 0 });
    const before = await db.query(`SELECT md5(string_agg(l::text, ',' ORDER BY id)) AS h FROM leads l WHERE email LIKE '%@twice.test'`);
    const second = await post(file);
    expect(second.body).toMatchObject({ total: 2500, created: 0, updated: 0, unchanged: 2500, rejected: 0 });
    const after = await db.query(`SELECT md5(string_agg(l::text, ',' ORDER BY id)) AS h FROM leads l WHERE email LIKE '%@twice.test'`);
    expect(after.rows[0].h).toBe(before.rows[0].h);
  });

  it('updates only what a later file changes and keeps fields it leaves empty', async () => {
    await post(csv(['keep@upd.test,Kim,10,de,yes,red']));
    const res = await post(csv(['keep@upd.test,,20,,,']));
    expect(res.body).toMatchObject({ created: 0, updated: 1 });
    const { rows } = await db.query(`SELECT first_name, company_size, country, consent FROM leads WHERE email = 'keep@upd.test'`);
    expect(rows[0]).toEqual({ first_name: 'Kim', company_size: 20, country: 'DE', consent: true });
  });

  it('merges two rows for one address in the same file instead of failing the batch', async () => {
    const res = await post(csv(['twin@dup.test,First,1,de,,', 'TWIN@dup.test,,2,,,']));
    expect(res.body).toMatchObject({ total: 2, created: 1, updated: 1, rejected: 0 });
    const { rows } = await db.query(`SELECT first_name, company_size FROM leads WHERE email = 'twin@dup.test'`);
    expect(rows).toEqual([{ first_name: 'First', company_size: 2 }]);
  });

  it('imports a JSON array and NDJSON, reporting bad items by row', async () => {
    const json = await post(JSON.stringify([{ email: 'j1@json.test', companySize: 5 }, { email: 'bad' }, 7]), 'application/json');
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ total: 3, created: 1, rejected: 2 });
    expect(json.body.errors).toEqual([
      { row: 2, field: 'email', message: 'must be a valid email address' },
      { row: 3, field: '(row)', message: 'must be an object' },
    ]);
    const nd = await post('{"email":"n1@nd.test"}\n{not json}\n\n{"email":"n2@nd.test","country":"AT"}\n', 'application/x-ndjson');
    expect(nd.body).toMatchObject({ total: 3, created: 2, rejected: 1, errors: [{ row: 2, field: '(row)', message: 'is not valid JSON' }] });
  });

  it('refuses a file without an email header, an unknown format and a JSON object that is no list', async () => {
    expect((await post('name,company\nx,y\n')).body.error.code).toBe('import_malformed');
    const fmt = await post('<leads/>', 'application/xml');
    expect([400, 415]).toContain(fmt.status);
    const obj = await post('{"email":"x@y.z"}', 'application/json');
    expect(obj.status).toBe(400);
    expect(obj.body.error.code).toBe('import_malformed');
  });
});

describe('lead import of a file with broken CSV', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp({ redis: false });
  });
  afterAll(() => t.close());

  it('keeps the rows around a malformed record and reports it', async () => {
    const body = 'email,first_name\nok1@csv.test,A\nbad@csv.test,"unclosed\nok2@csv.test,B\n';
    const res = await t.http.post('/v1/leads/import').set(t.auth).set('content-type', 'text/csv').send(body);
    expect(res.status).toBe(200);
    expect(res.body.created).toBeGreaterThanOrEqual(1);
    expect(res.body.rejected).toBeGreaterThanOrEqual(1);
    const ok1 = await t.http.get('/v1/leads').query({ email: 'ok1@csv.test' }).set(t.auth);
    expect(ok1.body.data).toHaveLength(1);
  });
});
