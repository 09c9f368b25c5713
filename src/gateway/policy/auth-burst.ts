// What a burst of failed authentication from one client address (or against one key prefix) earns, as a pure
// function of the recent failure times and the clock:
//   fewer than SLOW_AFTER failures in the last WINDOW_MS    answered at once;
//   SLOW_AFTER or more                                      each further failure answered after a delay growing
//                                                           by STEP_MS per failure, at most MAX_DELAY_MS;
//   BLOCK_AFTER or more                                     blocked for BLOCK_MS: every request refused (429),
//                                                           valid credentials included, and an audit alert.
export const AUTH_BURST = {
  WINDOW_MS: 60_000,
  SLOW_AFTER: 10,
  STEP_MS: 200,
  MAX_DELAY_MS: 2_000,
  BLOCK_AFTER: 30,
  BLOCK_MS: 15 * 60_000,
} as const;

export interface BurstVerdict {
  /** Failure times still in the window, this one included (what the counter keeps). */
  readonly failures: number[];
  /** How long to hold the refusal before answering. */
  readonly delayMs: number;
  /** When the block ends (ms since the epoch); 0 = not blocked. */
  readonly blockedUntil: number;
  /** True when this failure started the block (raise an alert once). */
  readonly newlyBlocked: boolean;
}

export function decideBurst(previous: readonly number[], blockedUntil: number, now: number): BurstVerdict {
  // Only the last BLOCK_AFTER failures matter; keeping no more bounds the counter's memory under any flood.
  const recent = previous.filter((t) => t > now - AUTH_BURST.WINDOW_MS && t <= now);
  const failures = [...recent.slice(-(AUTH_BURST.BLOCK_AFTER - 1)), now];
  if (blockedUntil > now) return { failures, delayMs: 0, blockedUntil, newlyBlocked: false };
  if (failures.length >= AUTH_BURST.BLOCK_AFTER) {
    return { failures, delayMs: 0, blockedUntil: now + AUTH_BURST.BLOCK_MS, newlyBlocked: true };
  }
  const over = failures.length - AUTH_BURST.SLOW_AFTER + 1;
  const delayMs = over > 0 ? Math.min(AUTH_BURST.MAX_DELAY_MS, over * AUTH_BURST.STEP_MS) : 0;
  return { failures, delayMs, blockedUntil: 0, newlyBlocked: false };
}
