import type { RetryPolicy } from './types.js';

/**
 * Exponential backoff with full jitter and a cap (pure; `random` is injected so tests are exact):
 * delay(n) = random() * min(cap, base * 2^(n-1)), n = the attempt that just failed (1-based).
 */
export function backoffDelay(policy: RetryPolicy, failedAttempt: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.backoffCapMs, policy.backoffMs * 2 ** Math.max(0, failedAttempt - 1));
  return Math.floor(random() * exp);
}
