import { AsyncLocalStorage } from 'node:async_hooks';
import { Coalescer } from './coalescer';

/** A batch function that records its batches and answers when told to. */
function recorder() {
  const batches: number[][] = [];
  const release: (() => void)[] = [];
  const run = async (items: number[]) => {
    batches.push(items);
    await new Promise<void>((r) => release.push(r));
    return items.map((i) => i * 10);
  };
  return { batches, release, run };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('Coalescer', () => {
  it('sends calls made together as one batch and answers each with its own result', async () => {
    const r = recorder();
    const c = new Coalescer(r.run, { maxBatch: 10, maxInFlight: 1 });
    const out = Promise.all([1, 2, 3].map((i) => c.call(i)));
    await settle();
    expect(r.batches).toEqual([[1, 2, 3]]);
    r.release.shift()!();
    expect(await out).toEqual([10, 20, 30]);
  });

  it('collects calls made while a batch runs into the next one, up to maxBatch', async () => {
    const r = recorder();
    const c = new Coalescer(r.run, { maxBatch: 2, maxInFlight: 1 });
    const first = c.call(1);
    await settle();
    const later = [2, 3, 4].map((i) => c.call(i));
    await settle();
    expect(r.batches).toEqual([[1]]);
    r.release.shift()!();
    await first;
    await settle();
    expect(r.batches).toEqual([[1], [2, 3]]);
    r.release.shift()!();
    await settle();
    expect(r.batches).toEqual([[1], [2, 3], [4]]);
    r.release.shift()!();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
  });

  it('rejects every call of a failed batch, and of a batch that answers the wrong number of results', async () => {
    const failing = new Coalescer<number, number>(() => Promise.reject(new Error('db down')), { maxBatch: 10, maxInFlight: 1 });
    await expect(Promise.all([failing.call(1), failing.call(2)])).rejects.toThrow('db down');
    const short = new Coalescer<number, number>(async () => [1], { maxBatch: 10, maxInFlight: 1 });
    await expect(Promise.all([short.call(1), short.call(2)])).rejects.toThrow('batch of 2 returned 1 results');
    // and keeps working afterwards
    const ok = new Coalescer<number, number>(async (items) => items, { maxBatch: 10, maxInFlight: 1 });
    expect(await ok.call(7)).toBe(7);
  });

  it("runs batches outside the callers' async context (a caller's transaction is not the batch's)", async () => {
    const store = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const c = new Coalescer<number, number>(
      async (items) => {
        seen.push(store.getStore());
        return items;
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    await store.run('caller-transaction', () => Promise.all([c.call(1), c.call(2)]));
    expect(seen).toEqual([undefined]);
  });
});
