import { createHash } from 'node:crypto';

/** Addresses are compared trimmed and lower-cased everywhere (upsert, suppression, import). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** SHA-256 of the normalised address: how suppressions remember erased people without their address. */
export function emailHash(email: string): string {
  return createHash('sha256').update(normalizeEmail(email)).digest('hex');
}
