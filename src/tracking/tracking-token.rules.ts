import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Tracking tokens: 20 bytes of payload plus a 16-byte HMAC-SHA256 tag, base64url (48 chars).
 *   [0] key id  [1] kind  [2..17] send id (UUID bytes)  [18..19] link index
 * The key id lets SECRET_KEY rotate: old links stay valid while the old key is listed in
 * SECRET_KEYS_PREVIOUS. A token only names a send and a link number; the URL a click
 * redirects to is read from the stored send, never from the token or the request.
 */
export type TokenKind = 'open' | 'click' | 'unsubscribe';
const KIND_BYTE: Record<TokenKind, number> = { open: 1, click: 2, unsubscribe: 3 };
const KIND_BY_BYTE: Record<number, TokenKind> = { 1: 'open', 2: 'click', 3: 'unsubscribe' };
const PAYLOAD = 20;
const TAG = 16;
const TOKEN_LENGTH = Math.ceil(((PAYLOAD + TAG) * 4) / 3);

export interface TrackingToken {
  kind: TokenKind;
  sendId: string;
  linkIndex: number;
}

export interface SigningKey {
  id: number;
  secret: Buffer;
}

/** Derives the signing key and its one-byte id from a secret; the id is public, the key is not. */
export function signingKey(secret: string): SigningKey {
  const key = createHash('sha256').update(`kindling-tracking:${secret}`).digest();
  return { id: createHash('sha256').update(key).digest()[0], secret: key };
}

export function signToken(token: TrackingToken, key: SigningKey): string {
  const payload = Buffer.alloc(PAYLOAD);
  payload[0] = key.id;
  payload[1] = KIND_BYTE[token.kind];
  Buffer.from(token.sendId.replace(/-/g, ''), 'hex').copy(payload, 2);
  payload.writeUInt16BE(token.linkIndex, 18);
  return Buffer.concat([payload, tag(payload, key)]).toString('base64url');
}

/** Returns undefined for anything not signed by one of `keys`: tampered, truncated, foreign. */
export function verifyToken(raw: string, keys: SigningKey[]): TrackingToken | undefined {
  if (typeof raw !== 'string' || raw.length !== TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(raw)) return undefined;
  const bytes = Buffer.from(raw, 'base64url');
  if (bytes.length !== PAYLOAD + TAG) return undefined;
  const payload = bytes.subarray(0, PAYLOAD);
  const key = keys.find((k) => k.id === payload[0]);
  if (!key || !timingSafeEqual(tag(payload, key), bytes.subarray(PAYLOAD))) return undefined;
  const kind = KIND_BY_BYTE[payload[1]];
  if (!kind) return undefined;
  const hex = payload.subarray(2, 18).toString('hex');
  const sendId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { kind, sendId, linkIndex: payload.readUInt16BE(18) };
}

function tag(payload: Buffer, key: SigningKey): Buffer {
  return createHmac('sha256', key.secret).update(payload).digest().subarray(0, TAG);
}
