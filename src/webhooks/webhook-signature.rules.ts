import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, spec/standard-webhooks.md):
 * the secret is `whsec_` + base64 of random bytes; each attempt carries `webhook-id`,
 * `webhook-timestamp` (unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256>` over
 * `${id}.${timestamp}.${body}` keyed with the base64-decoded secret. Several signatures may be
 * listed, space-separated (how a rotated secret keeps working for a while).
 */
export const SECRET_PREFIX = 'whsec_';

/** The receivers' default tolerance in the reference libraries: 5 minutes either way. */
export const DEFAULT_TOLERANCE_S = 5 * 60;

export function generateSecret(bytes: Buffer = randomBytes(32)): string {
  if (bytes.length < 24 || bytes.length > 64) throw new Error('a webhook secret needs 24 to 64 random bytes');
  return `${SECRET_PREFIX}${bytes.toString('base64')}`;
}

/** The HMAC key: the base64 part of the secret, decoded (the prefix is optional, as in the reference libraries). */
export function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('the webhook secret is empty or not base64');
  return key;
}

/** One `v1,<base64>` signature. */
export function sign(secret: string, msgId: string, timestampS: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${msgId}.${timestampS}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three headers of one attempt, signed with every given secret (current first). */
export function signedHeaders(secrets: readonly string[], msgId: string, timestampS: number, body: string): WebhookHeaders {
  if (!secrets.length) throw new Error('no secret to sign with');
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestampS),
    'webhook-signature': secrets.map((s) => sign(s, msgId, timestampS, body)).join(' '),
  };
}

export type VerifyResult =
  | { ok: true }
  | { ok: false; reason: 'missing-header' | 'bad-timestamp' | 'timestamp-too-old' | 'timestamp-too-new' | 'no-matching-signature' };

/**
 * What a receiver does: the timestamp within tolerance (replay protection), then any listed
 * `v1` signature equal to ours, compared in constant time.
 */
export function verify(
  secret: string,
  headers: Partial<Record<keyof WebhookHeaders, string | undefined>>,
  body: string,
  nowS: number,
  toleranceS = DEFAULT_TOLERANCE_S,
): VerifyResult {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const list = headers['webhook-signature'];
  if (!id || !ts || !list) return { ok: false, reason: 'missing-header' };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'bad-timestamp' };
  const timestamp = Number(ts);
  if (timestamp < nowS - toleranceS) return { ok: false, reason: 'timestamp-too-old' };
  if (timestamp > nowS + toleranceS) return { ok: false, reason: 'timestamp-too-new' };
  const expected = Buffer.from(sign(secret, id, timestamp, body).slice(3), 'base64');
  for (const entry of list.split(' ')) {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: 'no-matching-signature' };
}
