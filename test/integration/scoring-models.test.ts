import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeadEvaluator } from '../../src/lifecycle/lead-evaluator.service';
import { TestApp, bootTestApp } from '../support/test-app';
import { eventually } from '../support/wait';

const shippedScoring = readFileSync(join(__dirname, '../../workflows/scoring.yaml'), 'utf8');
// one unlimited rule, so concurrency can be checked to the point
const withPointRule = shippedScoring.replace('rules:\n', 'rules:\n  - id: point\n    event: custom.point\n    points: 1\n\n');

describe('scoring models: concurrency, reload, what-if, decay', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kindling-workflows-'));
    writeFileSync(join(dir, 'scoring.yaml'), withPointRule);
    copyFileSync(join(__dirname, '../../workflows/grading.yaml'), join(dir, 'grading.yaml'));
    t = await bootTestApp({ redis: true, env: { WORKFLOWS_DIR: dir } });
  });
  afterAll(() => t.close());

  const newLead = async (email: string, profile: Record<string, unknown> = {}) => (await t.http.post('/v1/leads').set(t.auth).send({ email, ...profile })).body.lead.id as string;
  const getLead = async (id: string) => (await t.http.get(`/v1/leads/${id}`).set(t.auth)).body as { score: number; stage: string; temperature: string };

  it('gives the exact sum for 1,000 events sent concurrently for one lead', async () => {
    const id = await newLead('busy@acme.test');
    const batches = Array.from({ length: 50 }, (_, b) => Array.from({ length: 20 }, (_, i) => ({ leadId: id, type: 'custom.point', idempotencyKey: `p-${b}-${i}` })));
    const results = await Promise.all(batches.map((events) => t.http.post('/v1/events').set(t.auth).send({ events })));
    expect(results.reduce((n, r) => n + (r.body.accepted as number), 0)).toBe(1000);
    const done = await eventually(async () => {
      const l = await getLead(id);
      return l.score === 1000 ? l : undefined;
    }, 'all 1,000 points', 60_000);
    expect(done.score).toBe(1000);
    const ledger = (await t.http.get(`/v1/leads/${id}/score`).set(t.auth).query({ limit: 1000 })).body.ledger as { rule: string; after: number }[];
    expect(ledger.filter((e) => e.rule === 'point')).toHaveLength(1000);
    expect(Math.max(...ledger.map((e) => e.after))).toBe(1000);
  });

  it('reports the leads a candidate model would move, without changing them', async () => {
    const id = await newLead('whatif@acme.test', { jobTitle: 'CFO', companySize: 300, country: 'DE', industry: 'Manufacturing' });
    await t.http
      .post('/v1/events')
      .set(t.auth)
      .send({ events: [{ leadId: id, type: 'content.downloaded' }, { leadId: id, type: 'webinar.registered' }, { leadId: id, type: 'webinar.attended' }] })
      .expect(202);
    await eventually(async () => (await getLead(id)).stage === 'sales-ready', 'the lead to become sales-ready');
    const candidate = shippedScoring.replace(/- id: webinar-attended\n(\s+)event: webinar.attended\n(\s+)label: ([^\n]+)\n(\s+)points: 35/, '- id: webinar-attended\n$1event: webinar.attended\n$2label: $3\n$4points: 5');
    expect(candidate).not.toBe(shippedScoring);
    const res = await t.http.post('/v1/scoring/simulate').set(t.auth).send({ scoring: candidate });
    expect(res.status).toBe(200);
    expect(res.body.stoppedBeingSalesReady.count).toBeGreaterThanOrEqual(1);
    const mover = res.body.stoppedBeingSalesReady.sample.find((m: { leadId: string }) => m.leadId === id);
    expect(mover.before.stage).toBe('sales-ready');
    expect(mover.after.stage).not.toBe('sales-ready');
    expect(mover.reasons.map((r: { rule: string }) => r.rule)).toContain('webinar-attended');
    expect(res.body.stages['sales-ready'].before).toBeGreaterThan(res.body.stages['sales-ready'].after);
    expect((await getLead(id)).stage).toBe('sales-ready');
  });

  it('answers a broken candidate with file:line problems', async () => {
    const res = await t.http.post('/v1/scoring/simulate').set(t.auth).send({ scoring: 'rules:\n  - id: x\n    event: page.visited\n    ponits: 3\n' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('model_invalid');
    expect(res.body.error.details).toEqual(expect.arrayContaining([{ path: 'candidate scoring.yaml:4:rules.0.ponits', message: 'Unrecognized key: "ponits"' }]));
  });

  it('keeps the old model when the file on disk breaks, and takes a fixed file on reload', async () => {
    const before = (await t.http.get('/v1/scoring/models').set(t.auth)).body.active.scoring;
    writeFileSync(join(dir, 'scoring.yaml'), withPointRule.replace('points: 1\n', 'points: one\n'));
    const broken = await t.http.post('/v1/scoring/reload').set(t.auth).send({});
    expect(broken.status).toBe(400);
    expect(broken.body.error.details[0].path).toMatch(/scoring\.yaml:\d+:rules\.0\.points$/);
    expect((await t.http.get('/v1/scoring/models').set(t.auth)).body.active.scoring).toBe(before);

    writeFileSync(join(dir, 'scoring.yaml'), withPointRule.replace('points: 1\n', 'points: 2\n'));
    const fixed = await t.http.post('/v1/scoring/reload').set(t.auth).send({});
    expect(fixed.status).toBe(200);
    expect(fixed.body.scoring).not.toBe(before);
    const models = (await t.http.get('/v1/scoring/models').set(t.auth)).body;
    expect(models.history.scoring.length).toBeGreaterThanOrEqual(2);
    const id = await newLead('after-reload@acme.test');
    await t.http.post('/v1/events').set(t.auth).send({ leadId: id, type: 'custom.point' }).expect(202);
    await eventually(async () => (await getLead(id)).score === 2, 'the new points to apply');
  });

  it('decays scores as time passes and lets temperature drop after its minimum time', async () => {
    const id = await newLead('cooling@acme.test');
    await t.http.post('/v1/events').set(t.auth).send({ events: [{ leadId: id, type: 'info.requested' }, { leadId: id, type: 'content.downloaded' }] }).expect(202);
    const warm = await eventually(async () => {
      const l = await getLead(id);
      return l.score >= 40 ? l : undefined;
    }, 'the lead to heat up');
    expect(warm.temperature).toBe('hot');
    // half a year later (two 90-day half-lives): a quarter of the points, and cold again
    await t.app.get(LeadEvaluator).decayBatch(10_000, 0, new Date(Date.now() + 180 * 86400_000));
    const cooled = await getLead(id);
    expect(cooled.score).toBeCloseTo(warm.score / 4, 0);
    expect(cooled.temperature).toBe('cold');
    const ledger = (await t.http.get(`/v1/leads/${id}/score`).set(t.auth)).body.ledger as { cause: string }[];
    expect(ledger[0].cause).toBe('decay');
  });
});
