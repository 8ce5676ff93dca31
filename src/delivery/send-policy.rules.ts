import { retryDelayMs } from '../jobs/backoff.policy';
import { SuppressionReason } from './suppression.entity';

/**
 * marketing: the lead's nurture mail (tracked, unsubscribable, consent and caps apply).
 * transactional: mail to the lead that ignores marketing opt-outs.
 * internal: mail to one of our own people (e.g. a rep notification) ABOUT the lead: sent to an
 * explicit recipient, untracked, no unsubscribe, outside the lead's opt-outs, caps and windows.
 */
export type SendCategory = 'marketing' | 'transactional' | 'internal';
export const SEND_CATEGORIES = ['marketing', 'transactional', 'internal'] as const satisfies readonly SendCategory[];
export type BlockReason = SuppressionReason | 'no-consent' | 'lead-missing';

export interface Recipient {
  erasedAt: Date | null;
  unsubscribedAt: Date | null;
  consent: boolean | null;
}

/**
 * Checked when a send is queued AND again right before it goes out, so an unsubscribe or a
 * bounce that lands in between stops it. `suppression` is that of the address the message goes
 * to: the lead's, or an internal send's recipient. Transactional and internal mail ignore
 * marketing opt-outs but never go to bouncing addresses, and nothing is sent about an erased lead.
 */
export function sendBlockReason(lead: Recipient | undefined, suppression: SuppressionReason | undefined, category: SendCategory): BlockReason | undefined {
  if (!lead) return 'lead-missing';
  if (lead.erasedAt) return 'erased';
  if (suppression === 'erased' || suppression === 'bounced' || suppression === 'complained') return suppression;
  if (category !== 'marketing') return undefined;
  if (suppression) return suppression;
  if (lead.unsubscribedAt) return 'unsubscribed';
  if (lead.consent === false) return 'no-consent';
  return undefined;
}

export type SmtpOutcome = { kind: 'retry'; reason: string } | { kind: 'bounce'; reason: string };

const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNREFUSED', 'ECONNRESET', 'EDNS', 'EPROTOCOL', 'ETLS', 'EAUTH', 'EHOSTUNREACH', 'ENOTFOUND']);

/** 5xx for the recipient is a hard bounce; 4xx and anything on the connection is worth another try. */
export function smtpOutcome(err: { responseCode?: number; code?: string; response?: string; message?: string }): SmtpOutcome {
  const reason = (err.response ?? err.message ?? 'unknown SMTP error').slice(0, 500);
  if (typeof err.responseCode === 'number' && err.responseCode >= 500 && err.responseCode < 600) return { kind: 'bounce', reason };
  if (typeof err.responseCode === 'number' && err.responseCode >= 400) return { kind: 'retry', reason };
  if (err.code && CONNECTION_CODES.has(err.code)) return { kind: 'retry', reason: `${err.code}: ${reason}` };
  return { kind: 'retry', reason };
}

/** When to try a deferred send again, or undefined once the retry horizon is passed. */
export function nextAttemptAt(attempts: number, queuedAt: Date, now: Date, horizonMs: number, baseMs = 30_000, random: () => number = Math.random): Date | undefined {
  const at = new Date(now.getTime() + retryDelayMs(attempts, baseMs, random, 3 * 3600_000));
  return at.getTime() - queuedAt.getTime() > horizonMs ? undefined : at;
}
