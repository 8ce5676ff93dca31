import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `kl_<prefix>_<secret>`: the prefix finds the row, the secret (192 random
 * bits) is only ever stored as its SHA-256. A slow hash adds nothing for keys this random, and
 * a fast one keeps the check off the hot path of every request.
 */
const KEY_RE = /^kl_([0-9a-f]{10})_([0-9a-f]{48})$/;

export interface GeneratedKey {
  key: string;
  prefix: string;
  secretHash: string;
}

export function generateApiKey(): GeneratedKey {
  const prefix = randomBytes(5).toString('hex');
  const secret = randomBytes(24).toString('hex');
  return { key: `kl_${prefix}_${secret}`, prefix, secretHash: hashSecret(secret) };
}

export function parseApiKey(key: string): { prefix: string; secret: string } | undefined {
  const m = KEY_RE.exec(key.trim());
  return m ? { prefix: m[1], secret: m[2] } : undefined;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `Authorization: Bearer <key>`; anything else is no key at all. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
