import {
  DUMMY_HASH,
  LOGIN_LIMITS,
  cookieSecret,
  csrfToken,
  hashPassword,
  hashToken,
  loginBlocked,
  newToken,
  passwordProblem,
  safeNext,
  tokensEqual,
  verifyPassword,
} from './web-auth.rules';

describe('web auth rules', () => {
  it('hashes passwords with a per-user salt and verifies them', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{86}$/);
    expect(a).not.toBe(b);
    await expect(verifyPassword('correct horse battery', a)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', a)).resolves.toBe(false);
    await expect(verifyPassword('', a)).resolves.toBe(false);
  });

  it('never matches a malformed or dummy hash', async () => {
    await expect(verifyPassword('x', 'plain-text')).resolves.toBe(false);
    await expect(verifyPassword('anything at all', DUMMY_HASH)).resolves.toBe(false);
  });

  it('asks for passwords of a sensible length', () => {
    expect(passwordProblem('short')).toMatch(/at least 10/);
    expect(passwordProblem('long enough!')).toBeUndefined();
    expect(passwordProblem('x'.repeat(1025))).toMatch(/at most/);
  });

  it('makes random tokens and stores only their hash', () => {
    const t = newToken();
    expect(t).toMatch(/^[\w-]{43}$/);
    expect(newToken()).not.toBe(t);
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(t)).not.toContain(t);
  });

  it('compares tokens safely, missing ones never equal', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual(undefined, undefined)).toBe(false);
    expect(tokensEqual('', '')).toBe(false);
  });

  it('derives a cookie key and CSRF tokens that differ from their inputs', () => {
    expect(cookieSecret('k'.repeat(40))).not.toBe(cookieSecret('j'.repeat(40)));
    expect(cookieSecret('k'.repeat(40))).not.toContain('kkkk');
    expect(csrfToken('s1')).toBe(csrfToken('s1'));
    expect(csrfToken('s1')).not.toBe(csrfToken('s2'));
  });

  it('blocks sign-in at the per-address and per-network limits', () => {
    expect(loginBlocked({ email: LOGIN_LIMITS.perEmail - 1, ip: 0 })).toBeUndefined();
    expect(loginBlocked({ email: LOGIN_LIMITS.perEmail, ip: 0 })).toMatch(/this address.*15 minutes/);
    expect(loginBlocked({ email: 0, ip: LOGIN_LIMITS.perIp })).toMatch(/your network/);
    expect(loginBlocked({ email: 1, ip: 1 }, { windowMs: 60_000, perEmail: 1, perIp: 5 })).toMatch(/1 minutes/);
  });

  it('only redirects to paths inside the app', () => {
    expect(safeNext('/app/leads?temperature=hot')).toBe('/app/leads?temperature=hot');
    expect(safeNext('/app')).toBe('/app');
    expect(safeNext('https://evil.test/app')).toBe('/app');
    expect(safeNext('//evil.test')).toBe('/app');
    expect(safeNext('/app//evil.test')).toBe('/app');
    expect(safeNext('/v1/leads')).toBe('/app');
    expect(safeNext(undefined)).toBe('/app');
  });
});
