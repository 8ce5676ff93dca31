import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Webhook secrets at rest: AES-256-GCM under a key derived from SECRET_KEY with HKDF-SHA256,
 * so a database dump alone cannot sign webhooks. The subscription id is the additional
 * authenticated data: a sealed secret copied onto another subscription does not open.
 * Format: `v1.<iv>.<ciphertext>.<tag>`, base64url parts.
 */
const INFO = 'kindling webhook secrets v1';
const SALT = 'kindling';

export function sealingKey(masterKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, SALT, INFO, 32));
}

export function seal(plain: string, key: Buffer, aad: string, iv: Buffer = randomBytes(12)): string {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

/**
 * Opens with the first key that authenticates (current SECRET_KEY first, then
 * SECRET_KEYS_PREVIOUS), so rotating SECRET_KEY does not orphan existing subscriptions.
 */
export function open(sealed: string, keys: readonly Buffer[], aad: string): string {
  const [version, iv, ciphertext, tag] = sealed.split('.');
  if (version !== 'v1' || !iv || ciphertext === undefined || !tag) throw new Error('not a sealed webhook secret');
  for (const key of keys) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      // wrong key (or tampered data): try the next one
    }
  }
  throw new Error('the webhook secret cannot be opened with SECRET_KEY or SECRET_KEYS_PREVIOUS');
}
