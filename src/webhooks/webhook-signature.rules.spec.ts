import { createHmac } from 'node:crypto';
import { generateSecret, secretKey, sign, signedHeaders, verify } from './webhook-signature.rules';

// The known-answer vector of the Standard Webhooks reference library
// (standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts, "sign function works").
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('Standard Webhooks signatures', () => {
  it('reproduces the reference implementation signature exactly', () => {
    expect(sign(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('verifies the reference vector, with or without the whsec_ prefix', () => {
    const headers = { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature };
    expect(verify(VECTOR.secret, headers, VECTOR.body, VECTOR.timestamp + 10)).toEqual({ ok: true });
    expect(verify(VECTOR.secret.slice('whsec_'.length), headers, VECTOR.body, VECTOR.timestamp)).toEqual({ ok: true });
  });

  it('signs "id.timestamp.body" with the base64-decoded secret (checked by a plain HMAC)', () => {
    const secret = generateSecret(Buffer.alloc(32, 7));
    const independent = createHmac('sha256', Buffer.alloc(32, 7)).update('evt-1.1700000000.{"a":1}').digest('base64');
    expect(sign(secret, 'evt-1', 1700000000, '{"a":1}')).toBe(`v1,${independent}`);
  });

  it('makes secrets of whsec_ and base64 of 32 random bytes, each different', () => {
    const a = generateSecret();
    const b = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKey(a)).toHaveLength(32);
    expect(a).not.toBe(b);
    expect(() => generateSecret(Buffer.alloc(8))).toThrow();
  });

  it('rejects a tampered body, a foreign secret and an altered id', () => {
    const secret = generateSecret();
    const h = signedHeaders([secret], 'evt-2', 1700000000, '{"type":"lead.created"}');
    expect(verify(secret, h, '{"type":"lead.created"}', 1700000000)).toEqual({ ok: true });
    expect(verify(secret, h, '{"type":"lead.createe"}', 1700000000)).toEqual({ ok: false, reason: 'no-matching-signature' });
    expect(verify(generateSecret(), h, '{"type":"lead.created"}', 1700000000)).toMatchObject({ ok: false });
    expect(verify(secret, { ...h, 'webhook-id': 'evt-3' }, '{"type":"lead.created"}', 1700000000)).toMatchObject({ ok: false });
  });

  it('refuses timestamps outside the tolerance and malformed headers', () => {
    const secret = generateSecret();
    const h = signedHeaders([secret], 'evt-4', 1700000000, '{}');
    expect(verify(secret, h, '{}', 1700000000 + 301)).toEqual({ ok: false, reason: 'timestamp-too-old' });
    expect(verify(secret, h, '{}', 1700000000 - 301)).toEqual({ ok: false, reason: 'timestamp-too-new' });
    expect(verify(secret, { ...h, 'webhook-timestamp': '17e8' }, '{}', 1700000000)).toEqual({ ok: false, reason: 'bad-timestamp' });
    expect(verify(secret, { ...h, 'webhook-signature': undefined }, '{}', 1700000000)).toEqual({ ok: false, reason: 'missing-header' });
  });

  it('lists one signature per secret so a rotated secret keeps verifying', () => {
    const [current, previous] = [generateSecret(), generateSecret()];
    const h = signedHeaders([current, previous], 'evt-5', 1700000000, '{}');
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verify(current, h, '{}', 1700000000)).toEqual({ ok: true });
    expect(verify(previous, h, '{}', 1700000000)).toEqual({ ok: true });
    expect(() => signedHeaders([], 'evt-5', 1700000000, '{}')).toThrow();
  });
});
