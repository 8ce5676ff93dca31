import { Injectable } from '@nestjs/common';
import { WebhookSubscriptionsRepository } from './webhook-subscriptions.repository';

/** How stale another process's view of the subscriptions may be: a change applies everywhere within this. */
export const ROUTES_TTL_MS = 5000;

export interface Route {
  id: string;
  events: readonly string[];
}

/**
 * The active subscriptions, kept in memory so emit() costs nothing when nobody listens: one
 * small query per TTL at most, and none at all between. Changes made through this process
 * invalidate it at once; other processes see them within ROUTES_TTL_MS.
 */
@Injectable()
export class WebhookRoutesCache {
  private routes: Route[] | undefined;
  private loadedAt = 0;
  private loading: Promise<Route[]> | undefined;
  private generation = 0;

  constructor(private readonly subscriptions: WebhookSubscriptionsRepository) {}

  async get(): Promise<readonly Route[]> {
    if (this.routes && Date.now() - this.loadedAt < ROUTES_TTL_MS) return this.routes;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  invalidate(): void {
    this.generation++;
    this.routes = undefined;
  }

  private async load(): Promise<Route[]> {
    const generation = this.generation;
    const routes = await this.subscriptions.active();
    // a change that landed while this was loading may not be in it: use it once, keep nothing
    if (generation === this.generation) {
      this.routes = routes;
      this.loadedAt = Date.now();
    }
    return routes;
  }
}
