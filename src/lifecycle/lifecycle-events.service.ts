import { Injectable, Logger } from '@nestjs/common';
import { LeadChanged } from './evaluation-batch.rules';

export type { LeadChanged } from './evaluation-batch.rules';

type Listener = (change: LeadChanged) => Promise<void>;
type BatchListener = (changes: readonly LeadChanged[]) => Promise<void>;

/** Leads of one batch whose per-change listeners run at the same time. */
const PARALLELISM = 4;

/**
 * Follow-up work after a lead's evaluation has committed (content tracks, hand-off, webhooks).
 * Listeners only enqueue jobs; if the process dies before they run, the sweepers find the
 * state in Postgres and do the same.
 *
 * Evaluations commit many leads at once. A listener subscribed with `subscribe` hears each
 * lead's change on its own; one subscribed with `subscribeMany` hears all the changes of a
 * committed batch in one call (one lead at most once per call, in the order of the batch), so it
 * can read and write for all of them in a few statements instead of a few per lead.
 */
@Injectable()
export class LifecycleEvents {
  private readonly logger = new Logger('LifecycleEvents');
  private readonly listeners: Listener[] = [];
  private readonly batchListeners: BatchListener[] = [];

  subscribe(listener: Listener): void {
    this.listeners.push(listener);
  }

  subscribeMany(listener: BatchListener): void {
    this.batchListeners.push(listener);
  }

  async publish(change: LeadChanged): Promise<void> {
    await this.publishAll([change]);
  }

  /**
   * The changes of one committed batch, each lead at most once. Per-change listeners get the
   * leads side by side (their work mostly waits on round trips); a lead's listeners still run
   * one after the other, in subscription order.
   */
  async publishAll(changes: readonly LeadChanged[]): Promise<void> {
    if (!changes.length) return;
    for (const listener of this.batchListeners) {
      try {
        await listener(changes);
      } catch (e) {
        this.logger.error({ err: e, leads: changes.length }, 'follow-up after evaluation failed; the sweeper will retry it');
      }
    }
    if (!this.listeners.length) return;
    let next = 0;
    const worker = async () => {
      while (next < changes.length) await this.toListeners(changes[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLELISM, changes.length) }, worker));
  }

  private async toListeners(change: LeadChanged): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(change);
      } catch (e) {
        this.logger.error({ err: e, leadId: change.leadId }, 'follow-up after evaluation failed; the sweeper will retry it');
      }
    }
  }
}
