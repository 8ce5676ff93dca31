import { Injectable } from '@nestjs/common';
import { SendsRepository, TrackingInfo } from '../delivery/sends.repository';
import { RecentCache } from './recent.cache';

const CACHE_MAX = 50_000;

/**
 * What a click needs to know about its send (lead, link targets, when it went out), fetched
 * for all clicks of the same tick in one query and kept in a bounded cache: rendered links
 * never change once the message has left.
 */
@Injectable()
export class SendLookup {
  private readonly cache = new RecentCache<string, TrackingInfo>(CACHE_MAX);
  private pending = new Map<string, { resolve: (v: TrackingInfo | undefined) => void; reject: (e: unknown) => void }[]>();
  private scheduled = false;

  constructor(private readonly sends: SendsRepository) {}

  /** The cached send, without a round trip through the event loop; undefined means ask `get`. */
  peek(sendId: string): TrackingInfo | undefined {
    const hit = this.cache.get(sendId);
    // links are final only once the message has left: until then, read them again
    return hit?.sentAt ? hit : undefined;
  }

  get(sendId: string): Promise<TrackingInfo | undefined> {
    const hit = this.peek(sendId);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(sendId) ?? [];
      waiters.push({ resolve, reject });
      this.pending.set(sendId, waiters);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.load());
      }
    });
  }

  private async load(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    try {
      const rows = await this.sends.trackingInfo([...batch.keys()]);
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const [id, waiters] of batch) {
        const info = byId.get(id);
        if (info) this.remember(info);
        waiters.forEach((w) => w.resolve(info));
      }
    } catch (e) {
      for (const waiters of batch.values()) waiters.forEach((w) => w.reject(e));
    }
  }

  private remember(info: TrackingInfo): void {
    this.cache.set(info.id, info);
  }
}
