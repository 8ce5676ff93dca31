/**
 * A bounded map that keeps what was used recently: two generations of at most `max / 2` entries
 * each; when the young one fills up it becomes the old one and the old one is dropped, and a hit
 * in the old one moves the entry back to the young one. An approximate LRU whose reads do not
 * reorder anything, so a hit costs one or two Map lookups. The tracking endpoints keep what they
 * derive per token, per agent and per send here: the same links are hit again and again, while
 * the set of all tokens is unbounded (and chosen by whoever sends the requests).
 */
export class RecentCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly generation: number;

  constructor(max: number) {
    if (!(max >= 2)) throw new RangeError('a recent-use cache holds at least two entries');
    this.generation = Math.floor(max / 2);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: K): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged === undefined) return undefined;
    this.old.delete(key);
    this.put(key, aged);
    return aged;
  }

  set(key: K, value: V): void {
    this.old.delete(key);
    this.put(key, value);
  }

  private put(key: K, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.generation) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}
