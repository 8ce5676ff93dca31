import { open, seal, sealingKey } from './webhook-secret.rules';

const current = sealingKey('current-secret-key-that-is-long-enough-0123');
const previous = sealingKey('previous-secret-key-that-is-long-enough-012');

describe('webhook secrets at rest', () => {
  it('seals to something that does not contain the secret and opens back to it', () => {
    const sealed = seal('whsec_c2VjcmV0LWJ5dGVzLWZvci10aGUtdGVzdA==', current, 'sub-1');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('c2VjcmV0');
    expect(open(sealed, [current], 'sub-1')).toBe('whsec_c2VjcmV0LWJ5dGVzLWZvci10aGUtdGVzdA==');
  });

  it('uses a fresh IV each time', () => {
    expect(seal('whsec_x', current, 'sub-1')).not.toBe(seal('whsec_x', current, 'sub-1'));
  });

  it('derives different keys from different SECRET_KEYs, and the same key from the same one', () => {
    expect(sealingKey('current-secret-key-that-is-long-enough-0123').equals(current)).toBe(true);
    expect(current.equals(previous)).toBe(false);
    expect(current).toHaveLength(32);
  });

  it('opens with a previous SECRET_KEY after a rotation, and not with an unrelated one', () => {
    const sealed = seal('whsec_old', previous, 'sub-1');
    expect(open(sealed, [current, previous], 'sub-1')).toBe('whsec_old');
    expect(() => open(sealed, [current], 'sub-1')).toThrow(/cannot be opened/);
  });

  it('does not open on another subscription or after tampering', () => {
    const sealed = seal('whsec_mine', current, 'sub-1');
    expect(() => open(sealed, [current], 'sub-2')).toThrow();
    const [v, iv, ct, tag] = sealed.split('.');
    const flipped = Buffer.from(ct, 'base64url');
    flipped[0] ^= 1;
    expect(() => open([v, iv, flipped.toString('base64url'), tag].join('.'), [current], 'sub-1')).toThrow();
    expect(() => open('plain-text', [current], 'sub-1')).toThrow(/not a sealed/);
  });
});
