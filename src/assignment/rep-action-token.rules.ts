import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Links in a rep's email: 16 bytes naming a stored token row plus a 16-byte HMAC tag,
 * base64url. The row makes the link single-use; the tag means nobody can guess one. Keys rotate
 * like tracking keys: the previous SECRET_KEYS still verify.
 */
const ID = 16;
const TAG = 16;
const LENGTH = Math.ceil(((ID + TAG) * 4) / 3);

export const actionKey = (secret: string): Buffer => createHash('sha256').update(`kindling-rep-action:${secret}`).digest();

export function signActionToken(id: string, key: Buffer): string {
  const raw = Buffer.from(id.replace(/-/g, ''), 'hex');
  return Buffer.concat([raw, tag(raw, key)]).toString('base64url');
}

/** The token row id, or undefined for anything not signed by one of `keys`. */
export function verifyActionToken(token: string, keys: readonly Buffer[]): string | undefined {
  if (typeof token !== 'string' || token.length !== LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length !== ID + TAG) return undefined;
  const raw = bytes.subarray(0, ID);
  if (!keys.some((k) => timingSafeEqual(tag(raw, k), bytes.subarray(ID)))) return undefined;
  const hex = raw.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function tag(raw: Buffer, key: Buffer): Buffer {
  return createHmac('sha256', key).update(raw).digest().subarray(0, TAG);
}
