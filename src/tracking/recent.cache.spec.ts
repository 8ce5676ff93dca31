import { RecentCache } from './recent.cache';

describe('RecentCache', () => {
  it('never holds more than max entries', () => {
    const cache = new RecentCache<number, number>(10);
    for (let i = 0; i < 1000; i++) {
      cache.set(i, i);
      expect(cache.size).toBeLessThanOrEqual(10);
    }
    expect(cache.get(999)).toBe(999);
    expect(cache.get(0)).toBeUndefined();
  });

  it('keeps an entry that is read while others come and go', () => {
    const cache = new RecentCache<string, number>(4);
    cache.set('hot', 1);
    for (let i = 0; i < 100; i++) {
      cache.set(`cold-${i}`, i);
      expect(cache.get('hot')).toBe(1);
    }
    expect(cache.get('cold-0')).toBeUndefined();
  });

  it('replaces the value of a key it holds', () => {
    const cache = new RecentCache<string, number>(4);
    cache.set('a', 1);
    cache.set('b', 2); // a and b are now the old generation
    cache.set('a', 10);
    expect(cache.get('a')).toBe(10);
    expect(cache.get('b')).toBe(2);
  });

  it('refuses a size below two', () => {
    expect(() => new RecentCache(1)).toThrow(RangeError);
  });
});
