import { Injectable, Logger } from '@nestjs/common';
import { Transition } from './lead-evaluation.rules';

export interface LeadChanged {
  leadId: string;
  transitions: Transition[];
  /** the lead's first evaluation: it is new to the engine */
  created: boolean;
  /** the activities this evaluation applied, oldest first */
  activities: { type: string; properties: Record<string, unknown> }[];
}

type Listener = (change: LeadChanged) => Promise<void>;

/**
 * Follow-up work after a lead's evaluation has committed (content tracks, hand-off, webhooks).
 * Listeners only enqueue jobs; if the process dies before they run, the sweepers find the
 * state in Postgres and do the same.
 */
@Injectable()
export class LifecycleEvents {
  private readonly logger = new Logger('LifecycleEvents');
  private readonly listeners: Listener[] = [];

  subscribe(listener: Listener): void {
    this.listeners.push(listener);
  }

  async publish(change: LeadChanged): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(change);
      } catch (e) {
        this.logger.error({ err: e, leadId: change.leadId }, 'follow-up after evaluation failed; the sweeper will retry it');
      }
    }
  }
}
