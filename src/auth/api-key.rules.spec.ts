import { bearerToken, generateApiKey, parseApiKey, secretMatches } from './api-key.rules';

describe('api key rules', () => {
  it('generates keys that parse back and match only their own hash', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    const parsed = parseApiKey(a.key)!;
    expect(parsed.prefix).toBe(a.prefix);
    expect(secretMatches(parsed.secret, a.secretHash)).toBe(true);
    expect(secretMatches(parsed.secret, b.secretHash)).toBe(false);
    expect(a.secretHash).not.toContain(parsed.secret);
  });

  it('rejects malformed keys', () => {
    expect(parseApiKey('kl_short_abc')).toBeUndefined();
    expect(parseApiKey('')).toBeUndefined();
    const { key } = generateApiKey();
    expect(parseApiKey(key.slice(0, -1))).toBeUndefined();
    expect(parseApiKey(key.toUpperCase())).toBeUndefined();
  });

  it('reads bearer tokens only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
