import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Passwords: scrypt (N=2^15, r=8, p=1, 64-byte key) with a 16-byte salt per user, stored as
 * `scrypt$N$r$p$salt$hash` so the cost can be raised later without breaking stored hashes.
 */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, keylen: 64 };
/** scrypt needs 128·N·r bytes; the default 32 MiB ceiling is exactly that and Node refuses it. */
const maxmem = 256 * SCRYPT.N * SCRYPT.r;

export const PASSWORD_MIN_LENGTH = 10;
export const SESSION_TTL_MS = 12 * 3600_000;
export const SETUP_TOKEN_TTL_MS = 24 * 3600_000;

/** Failed sign-ins in the window before more are refused: per address, and (looser, offices share one) per IP. */
export const LOGIN_LIMITS = { windowMs: 15 * 60_000, perEmail: 5, perIp: 20 };

function derive(password: string, salt: Buffer, N: number, r: number, p: number, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, keylen, { N, r, p, maxmem: Math.max(maxmem, 256 * N * r) }, (e, key) => (e ? reject(e) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keylen);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time comparison; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p), expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * A burned hash to verify against when the address is unknown, so a wrong address costs the
 * same time as a wrong password and response times do not reveal who has an account.
 */
export const DUMMY_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(64).toString('base64url')}`;

export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > 1024) return 'must be at most 1024 characters';
  return undefined;
}

/** A random token for cookies and links (256 bits) and the form it is stored in. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function tokensEqual(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The cookie-signing key: derived from SECRET_KEY for this one purpose, so it never equals the link-signing key. */
export function cookieSecret(secretKey: string): string {
  return createHmac('sha256', secretKey).update('kindling:web-cookies:v1').digest('base64url');
}

/** The form token for a session: an HMAC of the session's secret, so the secret itself never reaches a page. */
export function csrfToken(csrfSecret: string): string {
  return createHmac('sha256', csrfSecret).update('kindling:csrf').digest('base64url');
}

export interface LoginFailureCounts {
  email: number;
  ip: number;
}

/** Why a sign-in is refused before the password is even checked, or undefined to go ahead. */
export function loginBlocked(counts: LoginFailureCounts, limits = LOGIN_LIMITS): string | undefined {
  const minutes = Math.round(limits.windowMs / 60_000);
  if (counts.email >= limits.perEmail) return `Too many failed sign-ins for this address. Wait ${minutes} minutes and try again, or ask an admin to reset your password.`;
  if (counts.ip >= limits.perIp) return `Too many failed sign-ins from your network. Wait ${minutes} minutes and try again.`;
  return undefined;
}

/** Only same-site paths under /app: a `next` parameter must never send a signed-in user elsewhere. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string') return '/app';
  return /^\/app(\/[\w\-./?=&%]*)?$/.test(next) && !next.includes('//') ? next : '/app';
}
