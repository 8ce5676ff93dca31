/**
 * Delay before retry number `attempt` (1 = first retry): exponential, capped, with "equal
 * jitter" so a burst of failures does not retry in lock-step.
 */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random, capMs = 6 * 3600_000): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
