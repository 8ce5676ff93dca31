import { MAX_DELAY_MS, decide } from './webhook-retry.policy';

const eventAt = new Date('2026-03-02T10:00:00Z');
const base = { eventAt, horizonMs: 24 * 3600_000, baseMs: 30_000 };
const at = (ms: number) => new Date(eventAt.getTime() + ms);

describe('webhook retry policy', () => {
  it('counts every 2xx as delivered', () => {
    for (const status of [200, 201, 202, 204, 299]) expect(decide({ status }, { ...base, attempts: 1, now: at(0) })).toEqual({ kind: 'delivered' });
  });

  it('treats 410 Gone as the endpoint gone for good', () => {
    expect(decide({ status: 410 }, { ...base, attempts: 3, now: at(0) })).toEqual({ kind: 'gone', reason: 'HTTP 410' });
  });

  it('retries other statuses, redirects and timeouts with exponential backoff and jitter', () => {
    const lowest = () => 0;
    const highest = () => 1;
    for (const outcome of [{ status: 500 }, { status: 404 }, { status: 301 }, { status: null, error: 'timed out after 10000 ms', timedOut: true }] as const) {
      const d = decide(outcome, { ...base, attempts: 1, now: at(0), random: highest });
      expect(d).toMatchObject({ kind: 'retry', at: at(30_000) });
    }
    expect(decide({ status: 500 }, { ...base, attempts: 1, now: at(0), random: lowest })).toMatchObject({ at: at(15_000) });
    expect(decide({ status: 500 }, { ...base, attempts: 4, now: at(0), random: highest })).toMatchObject({ at: at(240_000) });
    expect(decide({ status: 503, error: 'busy' }, { ...base, attempts: 2, now: at(0) })).toMatchObject({ kind: 'retry', reason: 'HTTP 503: busy' });
  });

  it('never waits longer than the cap between attempts', () => {
    const d = decide({ status: 500 }, { ...base, attempts: 30, now: at(60_000), random: () => 1 });
    expect(d).toEqual({ kind: 'retry', at: at(60_000 + MAX_DELAY_MS), reason: 'HTTP 500' });
  });

  it('makes a last attempt at the horizon, then fails', () => {
    const nearEnd = decide({ status: 500 }, { ...base, attempts: 12, now: at(base.horizonMs - 60_000), random: () => 1 });
    expect(nearEnd).toMatchObject({ kind: 'retry', at: at(base.horizonMs) });
    const atEnd = decide({ status: 500 }, { ...base, attempts: 13, now: at(base.horizonMs) });
    expect(atEnd).toEqual({ kind: 'failed', reason: 'gave up after 13 attempts: HTTP 500' });
  });

  it('measures the horizon from the event, and a zero horizon means one attempt', () => {
    expect(decide({ status: null, error: 'connection refused', timedOut: false }, { ...base, horizonMs: 0, attempts: 1, now: at(0) })).toEqual({
      kind: 'failed',
      reason: 'gave up after 1 attempt: connection refused',
    });
  });
});
