import { TestApp, bootTestApp } from '../support/test-app';

describe.each([
  ['Postgres + Redis', true],
  ['Postgres + in-process jobs', false],
])('operations endpoints on %s', (_name, redis) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp({ redis });
  });
  afterAll(() => t.close());

  it('/health reports the database and Redis without a key', async () => {
    const res = await t.http.get('/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.checks.database.status).toBe('ok');
    expect(res.body.checks.redis.status).toBe(redis ? 'ok' : 'not-used');
  });

  it('/metrics exposes HTTP, job and queue metrics in Prometheus format', async () => {
    await t.http.get('/v1/leads').set(t.auth);
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(/kindling_http_request_duration_seconds_count\{method="GET",route="\/v1\/leads",status="200"\} \d+/);
    expect(res.text).toMatch(/kindling_queue_jobs\{queue="default",state="waiting"\} \d+/);
    expect(res.text).toContain('# TYPE kindling_jobs_processed_total counter');
  });

  it('/docs serves the OpenAPI document built from the zod schemas', async () => {
    const res = await t.http.get('/docs/openapi.json');
    expect(res.status).toBe(200);
    const post = res.body.paths['/v1/leads'].post;
    const body = post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['email']);
    expect(body.properties.timezone).toBeDefined();
    expect(res.body.paths['/v1/leads'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['email', 'q', 'source', 'createdAfter', 'cursor', 'limit']),
    );
    const ui = await t.http.get('/docs');
    expect([200, 301, 302]).toContain(ui.status);
  });
});
