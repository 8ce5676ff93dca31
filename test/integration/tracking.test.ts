import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { TrackingUrls } from '../../src/tracking/tracking-urls';
import { TestApp, bootTestApp } from '../support/test-app';
import { eventually } from '../support/wait';

const PUBLIC_URL = 'http://kindling.test';
const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * The open pixel and the click redirect over real HTTP (they are plain Fastify routes, not Nest
 * ones), with in-process jobs so that the hits people made are evaluated in this process.
 */
describe('tracking endpoints', () => {
  let t: TestApp;
  let db: Client;
  let urls: TrackingUrls;
  let base: string;
  let n = 0;

  beforeAll(async () => {
    t = await bootTestApp({ redis: false, env: { PUBLIC_URL } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    urls = new TrackingUrls(t.config.publicUrl, t.config.secretKey);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  /** A lead and an email that went out an hour ago with three tracked links. */
  const sentEmail = async () => {
    n++;
    const { rows } = await db.query<{ id: string; lead_id: string; links: string[] }>(
      `WITH l AS (INSERT INTO leads (id, email, first_name, consent) VALUES (gen_random_uuid(), $1, 'Reader', true) RETURNING id)
       INSERT INTO email_sends (id, lead_id, template, status, message_id, subject, links, attempts, queued_at, sent_at)
       SELECT gen_random_uuid(), l.id, 'test', 'sent', '<' || l.id || '@kindling.test>', 'Hello', $2::jsonb, 1, now() - interval '1 hour', now() - interval '1 hour' FROM l
       RETURNING id, lead_id, links`,
      [`reader${n}@inbox.test`, JSON.stringify([`https://example.com/a?n=${n}`, `https://example.com/b?n=${n}`, `https://example.com/c?n=${n}`])],
    );
    return rows[0];
  };
  const path = (kind: 'open' | 'click', sendId: string, link = 0) => urls.url(kind, sendId, link).slice(PUBLIC_URL.length);
  const hit = (p: string, userAgent = BROWSER, method = 'GET') => fetch(`${base}${p}`, { method, redirect: 'manual', headers: { 'user-agent': userAgent } });
  const stored = async (sendId: string) =>
    (await db.query<{ type: string; classification: string; link_index: number | null; lead_id: string; properties: Record<string, unknown> }>(
      `SELECT type, classification, link_index, lead_id, properties FROM activities WHERE send_id = $1 ORDER BY id`,
      [sendId],
    )).rows;

  it('answers the pixel as an uncached 1x1 GIF, with or without .gif and to HEAD, and stores each open with its class', async () => {
    const send = await sentEmail();
    const pixel = path('open', send.id);
    const res = await hit(pixel);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(GIF);

    expect((await hit(`${pixel}.gif`, 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)')).status).toBe(200);
    expect((await hit(pixel, 'Mozilla/5.0')).status).toBe(200);
    expect((await hit(pixel, BROWSER, 'HEAD')).status).toBe(200);
    expect((await hit(pixel, 'python-requests/2.31')).status).toBe(200);

    const rows = await stored(send.id);
    expect(rows.map((r) => r.classification)).toEqual(['human', 'gmail-proxy', 'apple-privacy-proxy', 'security-scanner', 'security-scanner']);
    expect(rows.every((r) => r.type === 'email.opened' && r.lead_id === send.lead_id)).toBe(true);
  });

  it('redirects a click to the link stored for its index, and gives 404 and no redirect to anything else', async () => {
    const send = await sentEmail();
    const res = await hit(path('click', send.id, 1));
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(send.links[1]);
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');

    const click = path('click', send.id, 2).split('/').pop()!;
    const other = await sentEmail();
    const refused = [
      path('click', send.id, 7), // signed, but the email has no link 7
      path('open', send.id).replace('/t/o/', '/t/c/'), // an open token on the click route
      path('click', send.id, 0).replace('/t/c/', '/t/o/'), // a click token on the pixel route
      `/t/c/${click.slice(0, -2)}${click.endsWith('AA') ? 'BB' : 'AA'}`, // tampered
      `/t/c/${click.slice(0, -1)}`, // truncated
      path('click', '0192f0a1-0000-7000-8000-000000000000', 0), // signed, but no such email
    ];
    for (const p of refused) {
      const r = await hit(p);
      expect([p, r.status, r.headers.get('location')]).toEqual([p, 404, null]);
      expect(await r.json()).toEqual({ error: { code: 'tracking_link_invalid', message: expect.any(String), details: [] } });
    }
    const rows = await stored(send.id);
    expect(rows).toEqual([{ type: 'email.clicked', classification: 'human', link_index: 1, lead_id: send.lead_id, properties: { url: send.links[1] } }]);
    expect(await stored(other.id)).toEqual([]);
  });

  it('has stored every hit it answered when hundreds arrive at once, and evaluates the ones people made', async () => {
    const sends = await Promise.all(Array.from({ length: 5 }, () => sentEmail()));
    const paths = Array.from({ length: 400 }, (_, i) => {
      const send = sends[i % sends.length];
      return i % 2 ? path('click', send.id, i % 3) : path('open', send.id);
    });
    const statuses = await Promise.all(paths.map(async (p) => (await hit(p)).status));
    expect(statuses.filter((s) => s !== 200 && s !== 302)).toEqual([]);

    const counts = await db.query<{ n: number; human: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE classification = 'human')::int AS human FROM activities WHERE send_id = ANY($1::uuid[])`,
      [sends.map((s) => s.id)],
    );
    expect(counts.rows[0].n).toBe(paths.length);
    expect(counts.rows[0].human).toBeGreaterThan(0);
    // every hit is marked evaluated once the lifecycle has applied it (machine hits are stored so)
    await eventually(
      async () =>
        (await db.query(`SELECT 1 FROM activities WHERE send_id = ANY($1::uuid[]) AND evaluated_at IS NULL LIMIT 1`, [sends.map((s) => s.id)])).rowCount === 0,
      'the human hits to be evaluated',
    );
  });
});
