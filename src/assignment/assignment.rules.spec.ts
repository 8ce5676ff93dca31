import { AssignmentRule, RoutableRep, Rotation, RoutingModel, fallbackCycles, leadingProduct, matchRule, pickRep, route, unfitReason, unavailableReason } from './assignment.rules';
import { actionKey, signActionToken, verifyActionToken } from './rep-action-token.rules';
import { addWorkingTime, inWorkingHours, nextWorkingStart } from './working-hours.rules';

const rep = (key: string, over: Partial<RoutableRep> = {}): RoutableRep => ({
  id: `id-${key}`,
  key,
  countries: [],
  industries: [],
  personas: [],
  products: [],
  capacity: null,
  weight: 1,
  workingHours: null,
  timeZone: 'UTC',
  active: true,
  awayUntil: null,
  load: 0,
  ...over,
});

const rule = (id: string, pool: string[], over: Partial<AssignmentRule> = {}): AssignmentRule => ({
  id,
  where: [],
  countries: [],
  minGrade: null,
  pool,
  strategy: 'round-robin',
  slaMs: 3_600_000,
  whenUnavailable: 'skip',
  fallback: null,
  ...over,
});

const model = (rules: AssignmentRule[], extra: AssignmentRule[] = [], fallback: string | null = null): RoutingModel => ({
  rules,
  fallback,
  byId: new Map([...rules, ...extra].map((r) => [r.id, r])),
});

const NOW = new Date('2026-11-23T10:00:00Z'); // a Monday

function rotations(): (id: string) => Rotation {
  const all = new Map<string, Rotation>();
  return (id) => all.get(id) ?? all.set(id, new Map()).get(id)!;
}

describe('pickRep', () => {
  it('round robin rotates strictly through the candidates', () => {
    const reps = [rep('a'), rep('b'), rep('c')];
    const rot: Rotation = new Map();
    const picks = Array.from({ length: 7 }, () => pickRep('round-robin', reps, rot).key);
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('weighted gives each rep its share, interleaved', () => {
    const reps = [rep('a', { weight: 3 }), rep('b', { weight: 1 })];
    const rot: Rotation = new Map();
    const picks = Array.from({ length: 8 }, () => pickRep('weighted', reps, rot).key);
    expect(picks.filter((k) => k === 'a')).toHaveLength(6);
    expect(picks.slice(0, 4)).toEqual(['a', 'a', 'b', 'a']);
  });

  it('least loaded compares load against capacity', () => {
    const reps = [rep('a', { load: 5, capacity: 10 }), rep('b', { load: 3, capacity: 4 })];
    expect(pickRep('least-loaded', reps, new Map()).key).toBe('a');
    expect(reps[0].load).toBe(6);
  });

  it('a rep skipped for a while does not bank turns', () => {
    const [a, b, c] = [rep('a'), rep('b'), rep('c')];
    const rot: Rotation = new Map();
    for (let i = 0; i < 6; i++) pickRep('round-robin', [a, b], rot);
    const next = Array.from({ length: 3 }, () => pickRep('round-robin', [a, b, c], rot).key);
    expect(new Set(next)).toEqual(new Set(['a', 'b', 'c']));
  });
});

describe('fit and availability', () => {
  it('territories, industries and personas are hard limits; products only when the lead has one', () => {
    const r = rep('a', { countries: ['DE'], industries: ['Software'], personas: ['decision-maker'], products: ['analytics'] });
    const lead = { country: 'de', industry: 'software', persona: 'decision-maker', scores: { total: 60 } };
    expect(unfitReason(r, lead)).toBeUndefined();
    expect(unfitReason(r, { ...lead, country: 'FR' })).toBe('territory');
    expect(unfitReason(r, { ...lead, country: null })).toBe('territory');
    expect(unfitReason(r, { ...lead, industry: 'Retail' })).toBe('industry');
    expect(unfitReason(r, { ...lead, persona: 'user' })).toBe('persona');
    expect(unfitReason(r, { ...lead, scores: { total: 60, 'product:crm': 30, 'product:analytics': 10 } })).toBe('product');
    expect(leadingProduct({ total: 9, 'product:crm': 3, 'product:analytics': 5 })).toBe('analytics');
  });

  it('skips inactive, away, full and off-work reps', () => {
    expect(unavailableReason(rep('a', { active: false }), NOW)).toBe('inactive');
    expect(unavailableReason(rep('a', { awayUntil: new Date('2026-11-24T00:00:00Z') }), NOW)).toBe('away');
    expect(unavailableReason(rep('a', { awayUntil: new Date('2026-11-22T00:00:00Z') }), NOW)).toBeUndefined();
    expect(unavailableReason(rep('a', { capacity: 2, load: 2 }), NOW)).toBe('at-capacity');
    expect(unavailableReason(rep('a', { capacity: 0 }), NOW)).toBe('at-capacity');
    const nineToFive = { days: [1, 2, 3, 4, 5], from: '09:00', to: '17:00' };
    expect(unavailableReason(rep('a', { workingHours: nineToFive, timeZone: 'America/New_York' }), NOW)).toBe('outside-hours'); // 05:00 there
    expect(unavailableReason(rep('a', { workingHours: nineToFive, timeZone: 'Europe/Berlin' }), NOW)).toBeUndefined(); // 11:00 there
  });
});

describe('route', () => {
  const reps = new Map([rep('anna', { countries: ['DE'] }), rep('lukas', { countries: ['DE'] }), rep('inside')].map((r) => [r.key, r]));

  it('takes the first matching rule, then its fallback chain, then the queue', () => {
    const dach = rule('dach', ['anna', 'lukas'], { countries: ['DE', 'AT', 'CH'], fallback: 'fallback' });
    const fb = rule('fallback', ['inside']);
    const m = model([dach], [fb], 'fallback');
    const r1 = route(m, reps, { country: 'DE' }, rotations(), NOW);
    expect(r1).toMatchObject({ kind: 'assigned', rule: { id: 'dach' }, rep: { key: 'anna' } });
    // Austria matches the rule but no rep covers it: the fallback pool takes it
    const r2 = route(m, reps, { country: 'AT' }, rotations(), NOW);
    expect(r2).toMatchObject({ kind: 'assigned', rule: { id: 'fallback' }, rep: { key: 'inside' }, tried: ['dach', 'fallback'] });
    const r3 = route(model([dach]), reps, { country: 'US' }, rotations(), NOW);
    expect(r3).toEqual({ kind: 'queued', rule: null, tried: [] });
  });

  it('rules read grade, conditions and score dimensions', () => {
    const big = rule('big', ['anna'], { minGrade: 'B', where: [{ field: { source: 'lead', keys: ['scores', 'product:crm'], text: 'scores.product:crm' }, gte: 20 }] });
    expect(matchRule([big], { grade: 'A', scores: { 'product:crm': 25 } })?.id).toBe('big');
    expect(matchRule([big], { grade: 'C', scores: { 'product:crm': 25 } })).toBeUndefined();
    expect(matchRule([big], { grade: 'A', scores: { 'product:crm': 5 } })).toBeUndefined();
  });

  it('with whenUnavailable: assign, gives the lead to an absent rep and notifies when they are back', () => {
    const away = new Map([['anna', rep('anna', { awayUntil: new Date('2026-11-25T00:00:00Z'), workingHours: { days: [1, 2, 3, 4, 5], from: '09:00', to: '17:00' } })]]);
    const r = route(model([rule('r', ['anna'], { whenUnavailable: 'assign' })]), away, {}, rotations(), NOW);
    expect(r).toMatchObject({ kind: 'assigned', rep: { key: 'anna' } });
    expect(r.kind === 'assigned' && r.notifyAt.toISOString()).toBe('2026-11-25T09:00:00.000Z');
    expect(route(model([rule('r', ['anna'])]), away, {}, rotations(), NOW).kind).toBe('queued');
  });

  it('excludes reps who already had the lead', () => {
    const r = route(model([rule('r', ['anna', 'lukas'])]), reps, { country: 'DE' }, rotations(), NOW, { exclude: new Set(['id-anna']) });
    expect(r).toMatchObject({ kind: 'assigned', rep: { key: 'lukas' } });
  });

  it('finds fallback cycles', () => {
    const rules = new Map([
      ['a', { fallback: 'b' }],
      ['b', { fallback: 'c' }],
      ['c', { fallback: 'a' }],
      ['d', { fallback: null }],
    ]);
    expect(fallbackCycles(rules)).toEqual([['a', 'b', 'c', 'a']]);
  });
});

describe('working hours', () => {
  const hours = { days: [1, 2, 3, 4, 5], from: '09:00', to: '17:00' };

  it('knows when a rep is at work in their zone', () => {
    expect(inWorkingHours(new Date('2026-11-23T08:30:00Z'), hours, 'Europe/Berlin')).toBe(true); // 09:30 Mon
    expect(inWorkingHours(new Date('2026-11-22T10:00:00Z'), hours, 'Europe/Berlin')).toBe(false); // Sunday
    expect(nextWorkingStart(new Date('2026-11-21T10:00:00Z'), hours, 'Europe/Berlin').toISOString()).toBe('2026-11-23T08:00:00.000Z');
  });

  it('an SLA runs in working time only: 4h from Friday 15:00 ends Monday 11:00', () => {
    const friday3pm = new Date('2026-11-27T14:00:00Z'); // 15:00 Berlin
    expect(addWorkingTime(friday3pm, 4 * 3_600_000, hours, 'Europe/Berlin').toISOString()).toBe('2026-11-30T10:00:00.000Z');
    expect(addWorkingTime(friday3pm, 4 * 3_600_000, null, 'Europe/Berlin').toISOString()).toBe('2026-11-27T18:00:00.000Z');
    // starting on a weekend counts from Monday's start
    expect(addWorkingTime(new Date('2026-11-22T12:00:00Z'), 3_600_000, hours, 'UTC').toISOString()).toBe('2026-11-23T10:00:00.000Z');
  });
});

describe('rep action tokens', () => {
  const id = '0195f0a4-7c3e-7b8a-9d2e-1f2a3b4c5d6e';
  const [key, old, foreign] = [actionKey('secret-now'), actionKey('secret-before'), actionKey('someone-else')];

  it('round-trips with the current or a previous key, never with a foreign one', () => {
    expect(verifyActionToken(signActionToken(id, key), [key])).toBe(id);
    expect(verifyActionToken(signActionToken(id, old), [key, old])).toBe(id);
    expect(verifyActionToken(signActionToken(id, foreign), [key, old])).toBeUndefined();
  });

  it('refuses tampered and truncated tokens', () => {
    const t = signActionToken(id, key);
    const flipped = `${t.slice(0, 5)}${t[5] === 'A' ? 'B' : 'A'}${t.slice(6)}`;
    expect(verifyActionToken(flipped, [key])).toBeUndefined();
    expect(verifyActionToken(t.slice(0, -1), [key])).toBeUndefined();
    expect(verifyActionToken(`${t}x`, [key])).toBeUndefined();
  });
});
