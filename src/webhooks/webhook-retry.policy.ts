import { retryDelayMs } from '../jobs/backoff.policy';

/** What one POST came back with. */
export type AttemptOutcome = { status: number; error?: string } | { status: null; error: string; timedOut: boolean };

export type Decision =
  | { kind: 'delivered' }
  | { kind: 'retry'; at: Date; reason: string }
  | { kind: 'failed'; reason: string }
  /** 410 Gone: the receiver says the endpoint is gone for good; the subscription is deactivated */
  | { kind: 'gone'; reason: string };

/** Longest pause between two attempts: an endpoint back after an outage hears from us within 2 hours. */
export const MAX_DELAY_MS = 2 * 3600_000;

export interface RetryContext {
  /** attempts made, this one included */
  attempts: number;
  /** when the event was emitted: the horizon counts from here, not from the first attempt */
  eventAt: Date;
  now: Date;
  horizonMs: number;
  baseMs: number;
  random?: () => number;
}

/**
 * After an attempt: 2xx is delivered; 410 Gone ends it and deactivates the endpoint; anything
 * else (other statuses, redirects, timeouts, connection errors) is retried with exponential
 * backoff and jitter until the horizon after the event, with one last attempt at the horizon,
 * then failed.
 */
export function decide(outcome: AttemptOutcome, ctx: RetryContext): Decision {
  if (outcome.status !== null && outcome.status >= 200 && outcome.status < 300) return { kind: 'delivered' };
  const reason = describeOutcome(outcome);
  if (outcome.status === 410) return { kind: 'gone', reason };
  const deadline = ctx.eventAt.getTime() + ctx.horizonMs;
  const now = ctx.now.getTime();
  if (now >= deadline) return { kind: 'failed', reason: `gave up after ${ctx.attempts} attempt${ctx.attempts === 1 ? '' : 's'}: ${reason}` };
  const delay = retryDelayMs(ctx.attempts, ctx.baseMs, ctx.random ?? Math.random, MAX_DELAY_MS);
  return { kind: 'retry', at: new Date(Math.min(now + delay, deadline)), reason };
}

export function describeOutcome(outcome: AttemptOutcome): string {
  if (outcome.status === null) return outcome.error;
  return outcome.error ? `HTTP ${outcome.status}: ${outcome.error}` : `HTTP ${outcome.status}`;
}
