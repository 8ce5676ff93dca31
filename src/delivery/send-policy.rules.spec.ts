import { nextAttemptAt, sendBlockReason, smtpOutcome } from './send-policy.rules';

const ok = { erasedAt: null, unsubscribedAt: null, consent: null };

describe('sendBlockReason', () => {
  it('lets a lead with unknown or given consent receive marketing mail', () => {
    expect(sendBlockReason(ok, undefined, 'marketing')).toBeUndefined();
    expect(sendBlockReason({ ...ok, consent: true }, undefined, 'marketing')).toBeUndefined();
  });

  it('blocks unsubscribed, refused-consent, suppressed, erased and missing leads', () => {
    expect(sendBlockReason({ ...ok, unsubscribedAt: new Date() }, undefined, 'marketing')).toBe('unsubscribed');
    expect(sendBlockReason({ ...ok, consent: false }, undefined, 'marketing')).toBe('no-consent');
    expect(sendBlockReason(ok, 'bounced', 'marketing')).toBe('bounced');
    expect(sendBlockReason(ok, 'unsubscribed', 'marketing')).toBe('unsubscribed');
    expect(sendBlockReason({ ...ok, erasedAt: new Date() }, undefined, 'marketing')).toBe('erased');
    expect(sendBlockReason(undefined, undefined, 'marketing')).toBe('lead-missing');
  });

  it('sends transactional mail past marketing opt-outs but never to bouncing or erased addresses', () => {
    expect(sendBlockReason({ ...ok, unsubscribedAt: new Date(), consent: false }, 'unsubscribed', 'transactional')).toBeUndefined();
    expect(sendBlockReason(ok, 'bounced', 'transactional')).toBe('bounced');
    expect(sendBlockReason(ok, 'complained', 'transactional')).toBe('complained');
  });

  it('sends internal mail about an unsubscribed lead, but nothing about an erased one or to a bouncing recipient', () => {
    expect(sendBlockReason({ ...ok, unsubscribedAt: new Date(), consent: false }, 'unsubscribed', 'internal')).toBeUndefined();
    expect(sendBlockReason({ ...ok, erasedAt: new Date() }, undefined, 'internal')).toBe('erased');
    expect(sendBlockReason(undefined, undefined, 'internal')).toBe('lead-missing');
    expect(sendBlockReason(ok, 'bounced', 'internal')).toBe('bounced');
  });
});

describe('smtpOutcome', () => {
  it('treats 5xx as a bounce and 4xx or connection trouble as retryable', () => {
    expect(smtpOutcome({ responseCode: 550, response: '550 5.1.1 no such user' })).toEqual({ kind: 'bounce', reason: '550 5.1.1 no such user' });
    expect(smtpOutcome({ responseCode: 421, response: '421 try later' }).kind).toBe('retry');
    expect(smtpOutcome({ responseCode: 451, response: '451 greylisted' }).kind).toBe('retry');
    expect(smtpOutcome({ code: 'ECONNECTION', message: 'connect ECONNREFUSED' })).toEqual({ kind: 'retry', reason: 'ECONNECTION: connect ECONNREFUSED' });
  });
});

describe('nextAttemptAt', () => {
  const queued = new Date('2026-01-01T00:00:00Z');
  it('backs off exponentially', () => {
    const now = new Date('2026-01-01T00:01:00Z');
    expect(nextAttemptAt(1, queued, now, 3 * 86400_000, 30_000, () => 1)!.getTime() - now.getTime()).toBe(30_000);
    expect(nextAttemptAt(3, queued, now, 3 * 86400_000, 30_000, () => 1)!.getTime() - now.getTime()).toBe(120_000);
  });
  it('gives up past the horizon', () => {
    expect(nextAttemptAt(5, queued, new Date('2026-01-03T23:59:00Z'), 3 * 86400_000, 30_000, () => 1)).toBeUndefined();
  });
});
