import { signToken, signingKey, verifyToken } from './tracking-token.rules';

const key = signingKey('current-secret-current-secret-current');
const old = signingKey('previous-secret-previous-secret-prev');
const sendId = '01939f5e-1234-7abc-8def-0123456789ab';

describe('tracking tokens', () => {
  it('round-trips kind, send id and link index', () => {
    for (const kind of ['open', 'click', 'unsubscribe'] as const) {
      const raw = signToken({ kind, sendId, linkIndex: 7 }, key);
      expect(raw).toMatch(/^[A-Za-z0-9_-]{48}$/);
      expect(verifyToken(raw, [key])).toEqual({ kind, sendId, linkIndex: 7 });
    }
  });

  it('rejects every single-character change', () => {
    const raw = signToken({ kind: 'click', sendId, linkIndex: 3 }, key);
    for (let i = 0; i < raw.length; i++) {
      const swapped = raw.slice(0, i) + (raw[i] === 'A' ? 'B' : 'A') + raw.slice(i + 1);
      expect(verifyToken(swapped, [key])).toBeUndefined();
    }
  });

  it('rejects truncated, padded and foreign tokens', () => {
    const raw = signToken({ kind: 'open', sendId, linkIndex: 0 }, key);
    expect(verifyToken(raw.slice(0, -1), [key])).toBeUndefined();
    expect(verifyToken(`${raw}A`, [key])).toBeUndefined();
    expect(verifyToken('', [key])).toBeUndefined();
    expect(verifyToken('../../etc/passwd', [key])).toBeUndefined();
    const foreign = signToken({ kind: 'open', sendId, linkIndex: 0 }, signingKey('someone-else-entirely-someone-else'));
    expect(verifyToken(foreign, [key])).toBeUndefined();
  });

  it('accepts tokens signed with a previous key while it is listed', () => {
    const raw = signToken({ kind: 'click', sendId, linkIndex: 1 }, old);
    expect(verifyToken(raw, [key, old])).toEqual({ kind: 'click', sendId, linkIndex: 1 });
    expect(verifyToken(raw, [key])).toBeUndefined();
  });
});
