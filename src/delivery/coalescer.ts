import { AsyncResource } from 'node:async_hooks';

export interface CoalescerOptions {
  /** most items in one batch */
  maxBatch: number;
  /** batches running at once; calls arriving while all are busy wait for the next batch */
  maxInFlight: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for one kind of statement: calls that arrive while earlier batches are running
 * are collected and run as one batch when a slot frees up. Under load, N concurrent deliveries
 * cost one round trip instead of N; a lone call waits only for the current event-loop turn.
 *
 * `run` must return one result per item, in item order. A batch that throws rejects every
 * call in it. Batches run outside the caller's async context (bound at construction), so a
 * call made inside someone's transaction never drags the others' rows into it.
 */
export class Coalescer<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly runBatch: (items: I[]) => Promise<O[]>;
  private readonly schedule: () => void;

  constructor(run: (items: I[]) => Promise<O[]>, private readonly options: CoalescerOptions) {
    this.runBatch = AsyncResource.bind(run);
    this.schedule = AsyncResource.bind(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  call(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      // after the microtasks already queued, not now: callers resumed by the same event (the 8
      // awaiting one batch, the jobs one pump started) land in one batch; setImmediate would
      // also wait for the I/O callbacks of the turn, adding their time to every call
      if (!this.scheduled && this.inFlight < this.options.maxInFlight) {
        this.scheduled = true;
        process.nextTick(this.schedule);
      }
    });
  }

  private drain(): void {
    while (this.waiting.length && this.inFlight < this.options.maxInFlight) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.runOne(batch).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async runOne(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const out = await this.runBatch(batch.map((w) => w.item));
      if (out.length !== batch.length) throw new Error(`batch of ${batch.length} returned ${out.length} results`);
      batch.forEach((w, i) => w.resolve(out[i]));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
