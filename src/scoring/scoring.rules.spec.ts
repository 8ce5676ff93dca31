import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatProblem } from '../common/yaml-model';
import { Condition, ScoringModel, parseScoringModel } from './scoring-model.schema';
import { ScorableEvent, ScoreState, conditionHolds, countsAsHuman, emptyScoreState, scoreEvents } from './scoring.rules';
import { stageFor } from '../lifecycle/lifecycle.rules';

const TAIL = `decay: none
stages: { interest: 11, mql: 30, salesReady: 40, salesReadyMinGrade: B }
temperature: { warm: { enter: 15, exit: 10 }, hot: { enter: 40, exit: 30 }, minTimeBeforeDrop: 7d }
`;

function model(rulesYaml: string): ScoringModel {
  const r = parseScoringModel(`rules:\n${rulesYaml}\n${TAIL}`, 'test.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.model;
}

const T0 = Date.parse('2025-03-01T09:00:00Z');
const DAY = 86_400_000;
let seq = 0;
function ev(type: string, day = 0, properties: Record<string, unknown> = {}, classification: string | null = type.startsWith('email.') ? 'human' : null): ScorableEvent {
  return { id: `a${++seq}`, type, occurredAt: new Date(T0 + day * DAY), properties, classification };
}
const total = (s: ScoreState) => s.scores.total;

describe('conditions', () => {
  const holds = (c: Omit<Condition, 'field'>, value: unknown) => conditionHolds({ field: { source: 'properties', keys: ['x'], text: 'properties.x' }, ...c }, value);

  it('equals: text ignores case and surrounding space; numbers and booleans accept their text form; lists match any item', () => {
    expect(holds({ equals: 'Paid-Search' }, ' paid-search ')).toBe(true);
    expect(holds({ equals: 'paid' }, 'paid-search')).toBe(false);
    expect(holds({ equals: 42 }, '42')).toBe(true);
    expect(holds({ equals: 42 }, 42.5)).toBe(false);
    expect(holds({ equals: true }, 'true')).toBe(true);
    expect(holds({ equals: true }, false)).toBe(false);
    expect(holds({ equals: 'crm' }, ['analytics', 'CRM'])).toBe(true);
    expect(holds({ equals: 'x' }, undefined)).toBe(false);
  });

  it('in and notIn; a missing value is in no list', () => {
    expect(holds({ in: ['paid', 'organic-search'] }, 'Organic-Search')).toBe(true);
    expect(holds({ in: ['paid'] }, 'social')).toBe(false);
    expect(holds({ in: ['paid'] }, undefined)).toBe(false);
    expect(holds({ notIn: ['internal', 'test'] }, 'paid')).toBe(true);
    expect(holds({ notIn: ['internal', 'test'] }, 'TEST')).toBe(false);
    expect(holds({ notIn: ['internal'] }, undefined)).toBe(true);
  });

  it('gt, gte, lt, lte on numbers and numeric text; anything else fails', () => {
    expect(holds({ gte: 50 }, 50)).toBe(true);
    expect(holds({ gt: 50 }, 50)).toBe(false);
    expect(holds({ lte: 50 }, '50')).toBe(true);
    expect(holds({ lt: 50 }, 50)).toBe(false);
    expect(holds({ gte: 50, lt: 1000 }, 999)).toBe(true);
    expect(holds({ gte: 50, lt: 1000 }, 1000)).toBe(false);
    expect(holds({ gte: 0 }, 'many')).toBe(false);
    expect(holds({ gte: 0 }, '')).toBe(false);
    expect(holds({ lt: 10 }, undefined)).toBe(false);
  });

  it('contains: part of the text, any case; in a list, any item', () => {
    expect(holds({ contains: '/Pricing' }, 'https://example.com/pricing/enterprise')).toBe(true);
    expect(holds({ contains: '/pricing' }, '/product')).toBe(false);
    expect(holds({ contains: 'ebook' }, ['webinar', 'Ebook-2025'])).toBe(true);
    expect(holds({ contains: '4' }, 42)).toBe(false);
  });

  it('exists: present and not empty', () => {
    expect(holds({ exists: true }, 'x')).toBe(true);
    expect(holds({ exists: true }, 0)).toBe(true);
    expect(holds({ exists: true }, '')).toBe(false);
    expect(holds({ exists: true }, null)).toBe(false);
    expect(holds({ exists: false }, undefined)).toBe(true);
    expect(holds({ exists: false }, 'x')).toBe(false);
  });

  it('reads event properties and lead fields by dotted path; every condition must hold', () => {
    const m = model(`  - id: enterprise-download
    event: content.downloaded
    where:
      properties.asset.kind: whitepaper
      lead.attributes.plan: { in: [business, enterprise] }
      lead.companySize: { gte: 200 }
    points: 20`);
    const lead = { companySize: 500, attributes: { plan: 'Enterprise' } };
    const e = ev('content.downloaded', 0, { asset: { kind: 'whitepaper' } });
    expect(total(scoreEvents(m, emptyScoreState(), [e], lead).state)).toBe(20);
    expect(total(scoreEvents(m, emptyScoreState(), [e], { ...lead, companySize: 20 }).state)).toBe(0);
    expect(total(scoreEvents(m, emptyScoreState(), [e], { companySize: 500 }).state)).toBe(0);
    expect(total(scoreEvents(m, emptyScoreState(), [ev('content.downloaded', 0, { asset: { kind: 'ebook' } })], lead).state)).toBe(0);
  });
});

describe('scoreEvents', () => {
  it('matches exact types and trailing wildcards', () => {
    const m = model(`  - { id: custom-any, event: custom.*, points: 2 }\n  - { id: trial, event: custom.trial_started, points: 3 }`);
    const { state } = scoreEvents(m, emptyScoreState(), [ev('custom.trial_started'), ev('custom.other'), ev('customer.x'), ev('page.visited')], {});
    expect(total(state)).toBe(7);
  });

  it('scores email only when a person did it; server-recorded email events count', () => {
    const m = model(`  - { id: open, event: email.opened, points: 1 }\n  - { id: click, event: email.clicked, points: 5 }\n  - { id: unsub, event: email.unsubscribed, points: -20 }`);
    const events = [
      ev('email.opened', 0, {}, 'apple-privacy-proxy'),
      ev('email.opened', 0, {}, 'gmail-proxy'),
      ev('email.clicked', 0, {}, 'security-scanner'),
      ev('email.opened', 0, {}, null),
      ev('email.opened', 0, {}, 'human'),
      ev('email.clicked', 0, {}, 'human'),
    ];
    const { state, ledger } = scoreEvents(m, emptyScoreState(), events, {});
    expect(total(state)).toBe(6);
    expect(ledger.map((l) => l.activityId)).toEqual([events[4].id, events[5].id]);
    expect(total(scoreEvents(m, state, [ev('email.unsubscribed', 1, { via: 'one-click' }, null)], {}).state)).toBe(-14);
    expect(countsAsHuman({ type: 'page.visited', classification: null })).toBe(true);
    expect(countsAsHuman({ type: 'email.unsubscribed', classification: 'security-scanner' })).toBe(false);
  });

  it('once: only the first matching event scores', () => {
    const m = model(`  - { id: newsletter, event: newsletter.subscribed, points: 5, once: true }`);
    const first = scoreEvents(m, emptyScoreState(), [ev('newsletter.subscribed'), ev('newsletter.subscribed', 1)], {});
    expect(total(first.state)).toBe(5);
    expect(total(scoreEvents(m, first.state, [ev('newsletter.subscribed', 90)], {}).state)).toBe(5);
  });

  it('max: at most N awards in any rolling period, across calls', () => {
    const m = model(`  - id: open\n    event: email.opened\n    points: 1\n    max: { count: 2, per: 30d }`);
    let state = emptyScoreState();
    for (const day of [0, 1, 2, 29.9, 30, 30.5, 31]) state = scoreEvents(m, state, [ev('email.opened', day)], {}).state;
    // day 0 and 1 score; 2 and 29.9 are inside the window; 30 frees day 0's slot, 31 day 1's
    expect(total(state)).toBe(4);
    expect(state.ruleStats.open.n).toBe(4);
    expect(state.ruleStats.open.times).toEqual([new Date(T0 + 30 * DAY).toISOString(), new Date(T0 + 31 * DAY).toISOString()]);
  });

  it('cap: the rule gives at most this many points in all, the last award partly', () => {
    const m = model(`  - { id: click, event: email.clicked, points: 4, cap: 10 }`);
    const { state, ledger } = scoreEvents(m, emptyScoreState(), [0, 1, 2, 3].map((d) => ev('email.clicked', d)), {});
    expect(total(state)).toBe(10);
    expect(ledger.map((l) => [l.points, l.reason])).toEqual([
      [4, 'click'],
      [4, 'click'],
      [2, 'click (capped at 10)'],
    ]);
    expect(state.ruleStats.click).toEqual({ n: 3, sum: 10, times: [] });
  });

  it('cap on a negative rule bounds how much it takes', () => {
    const m = model(`  - id: careers\n    event: page.visited\n    where: { properties.path: { contains: /careers } }\n    points: -15\n    cap: 20`);
    const events = [0, 1, 2].map((d) => ev('page.visited', d, { path: '/careers/open-positions' }));
    const { state, ledger } = scoreEvents(m, { scores: { total: 50 }, ruleStats: {} }, events, {});
    expect(ledger.map((l) => l.points)).toEqual([-15, -5]);
    expect(total(state)).toBe(30);
  });

  it('negative rules may take the total below 0', () => {
    const m = model(`  - { id: unsub, event: email.unsubscribed, points: -20 }`);
    expect(total(scoreEvents(m, emptyScoreState(), [ev('email.unsubscribed', 0, {}, null)], {}).state)).toBe(-20);
  });

  it('per-product: points go to total and to product:<name>; no product, total only', () => {
    const m = model(`  - { id: download, event: content.downloaded, points: 20, product: properties.product }`);
    const { state, ledger } = scoreEvents(
      m,
      { scores: { total: 7, 'product:crm': 3 }, ruleStats: {} },
      [ev('content.downloaded', 0, { product: ' CRM ' }), ev('content.downloaded', 1, { product: 'Analytics' }), ev('content.downloaded', 2)],
      {},
    );
    expect(state.scores).toEqual({ total: 67, 'product:crm': 23, 'product:analytics': 20 });
    expect(ledger.map((l) => [l.dimension, l.before, l.after])).toEqual([
      ['total', 7, 27],
      ['product:crm', 3, 23],
      ['total', 27, 47],
      ['product:analytics', 0, 20],
      ['total', 47, 67],
    ]);
  });

  it('writes one ledger entry per award with before and after, rounding to 2 decimals', () => {
    const m = model(`  - { id: visit, event: page.visited, points: 0.335, label: Visited a page }\n  - { id: pricing, event: page.visited, where: { properties.path: /pricing }, points: 10 }`);
    const e1 = ev('page.visited', 0, { path: '/blog' });
    const e2 = ev('page.visited', 1, { path: '/pricing' });
    const { ledger } = scoreEvents(m, { scores: { total: 1.1 }, ruleStats: {} }, [e1, e2], {});
    expect(ledger).toEqual([
      { dimension: 'total', ruleId: 'visit', activityId: e1.id, points: 0.34, before: 1.1, after: 1.44, cause: 'event', reason: 'Visited a page', at: e1.occurredAt },
      { dimension: 'total', ruleId: 'visit', activityId: e2.id, points: 0.34, before: 1.44, after: 1.78, cause: 'event', reason: 'Visited a page', at: e2.occurredAt },
      { dimension: 'total', ruleId: 'pricing', activityId: e2.id, points: 10, before: 1.78, after: 11.78, cause: 'event', reason: 'pricing', at: e2.occurredAt },
    ]);
  });

  it('does not mutate its inputs', () => {
    const m = model(`  - id: open\n    event: email.opened\n    points: 1\n    max: { count: 5, per: 30d }`);
    const state: ScoreState = { scores: { total: 3 }, ruleStats: { open: { n: 1, sum: 1, times: [new Date(T0).toISOString()] } } };
    const copy = structuredClone(state);
    scoreEvents(m, state, [ev('email.opened', 1)], {});
    expect(state).toEqual(copy);
  });
});

describe('the shipped Act-On model (workflows/scoring.yaml)', () => {
  const parsed = parseScoringModel(readFileSync(resolve(__dirname, '../../workflows/scoring.yaml'), 'utf8'), 'workflows/scoring.yaml');
  if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join('\n'));
  const actOn = parsed.model;
  const run = (events: ScorableEvent[], state = emptyScoreState()) => scoreEvents(actOn, state, events, {}).state;

  it('opens alone stay in awareness: 5 a month, and never above 10', () => {
    const daily = (days: number) => Array.from({ length: days }, (_, d) => ev('email.opened', d));
    expect(total(run(daily(30)))).toBe(5);
    expect(total(run(daily(365)))).toBe(10);
    expect(stageFor(total(run(daily(365))), 'A', actOn.stages)).toBe('awareness');
  });

  it('a download and a webinar registration make an MQL; attending makes the lead sales-ready', () => {
    const mql = run([ev('content.downloaded', 0, { product: 'CRM' }), ev('webinar.registered', 2, { webinar: 'w1' })]);
    expect(total(mql)).toBe(30);
    expect(mql.scores['product:crm']).toBe(20);
    expect(stageFor(total(mql), 'B', actOn.stages)).toBe('mql');

    const ready = run([ev('webinar.attended', 9, { webinar: 'w1' }), ev('webinar.attended', 9.01, { webinar: 'w1' })], mql);
    expect(total(ready)).toBe(65);
    expect(stageFor(total(ready), 'B', actOn.stages)).toBe('sales-ready');
    // a top score with a poor fit stays with marketing
    expect(stageFor(total(ready), 'C+', actOn.stages)).toBe('mql');
    expect(stageFor(total(ready), null, actOn.stages)).toBe('mql');
  });

  it('stages follow the Act-On thresholds', () => {
    expect([0, 10, 11, 29, 30, 39, 40].map((t) => stageFor(t, 'A', actOn.stages))).toEqual(['awareness', 'awareness', 'interest', 'interest', 'mql', 'mql', 'sales-ready']);
  });

  it('a pricing visit scores page and pricing; the careers page takes points away', () => {
    expect(total(run([ev('page.visited', 0, { url: 'https://acme.test/pricing', pageCategory: 'pricing' })]))).toBe(11);
    expect(total(run([ev('page.visited', 0, { url: 'https://acme.test/careers', pageCategory: 'careers' })]))).toBe(-9);
  });
});
