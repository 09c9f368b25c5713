// Rate limits (tenant policy and per-key `rate_limit`): a pure GCRA (generic cell rate algorithm) decision.
// No I/O, no clock: the caller passes `now` and persists the returned state (one number per bucket).
//
// A limit of `requests` per `windowSeconds` allows a burst of `requests` from a full bucket, then one request
// every emission interval T = window / requests. The state is the bucket's theoretical arrival time (TAT), in
// milliseconds since the epoch: a request at `now` is allowed when, after it, TAT would be no later than
// now + window, i.e. when TAT - now ≤ (requests - 1)·T. An allowed request moves TAT to max(TAT, now) + T.
//
// Arithmetic is exact: T is rounded down to a multiple of 1/1024 ms (≈ 1 µs), and every time value stays a
// multiple of 1/1024 ms, which doubles represent exactly until the year 2248. So a full bucket allows exactly
// `requests` requests at one instant, however long the run and whatever the window, with no float drift. The
// rounding makes the rate at most 1/1024 ms per interval faster than configured: nothing for ordinary limits,
// a full bucket refilling 39 ms early within a minute at the extreme of 100 000 requests per minute.
//
// Callers: the read-decide-write of one bucket must be serialised (one Durable Object per bucket, or one
// isolate's memory); use `decideRates` for the key and tenant buckets together, so that a request refused by
// one bucket does not consume the other.
import * as z from "zod";

export interface RateLimit {
  readonly requests: number;
  readonly windowSeconds: number;
}

/** The admin API's shape (`rate_limit` of the tenant policy and of a key), in the contract's snake case. */
export const RateLimitSchema = z.strictObject({
  requests: z.number().int().min(1).max(1_000_000),
  window_seconds: z.number().int().min(1).max(86_400),
});
export type RateLimitInput = z.infer<typeof RateLimitSchema>;

export const toRateLimit = (input: RateLimitInput): RateLimit => ({
  requests: input.requests,
  windowSeconds: input.window_seconds,
});

export interface RateDecision {
  readonly allowed: boolean;
  /** The bucket's new state (TAT, ms since the epoch) to persist; when refused, the input (clamped, see below). */
  readonly state: number | null;
  /** Requests that would still be allowed at `now` after this one. */
  readonly remaining: number;
  /** Milliseconds until the bucket is full again (all of `requests` available). */
  readonly resetMs: number;
  /** Milliseconds to wait before a retry can succeed; 0 when allowed. */
  readonly retryAfterMs: number;
}

/** The combined verdict for the response headers; states are per bucket and not merged. */
export type CombinedRateDecision = Omit<RateDecision, "state">;

const GRID = 1024; // time values are multiples of 1/GRID ms

const toGrid = (ms: number) => Math.floor(ms * GRID) / GRID;
const ceilMs = (ms: number) => Math.max(0, Math.ceil(ms));

function checkLimit(limit: RateLimit): void {
  const { requests, windowSeconds } = limit;
  if (!Number.isInteger(requests) || requests < 1 || requests > 1_000_000) {
    throw new RangeError("rate limit: requests must be an integer in 1..1000000");
  }
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > 86_400) {
    throw new RangeError("rate limit: windowSeconds must be an integer in 1..86400");
  }
}

/**
 * One bucket's decision for one request at `now` (ms since the epoch).
 * `state` null (or not a finite number) is a full bucket. A state further ahead than one window — left by a
 * clock that ran ahead elsewhere — is clamped to one window, so a clock jump never blocks a caller for longer.
 * Throws RangeError for a limit outside RateLimitSchema's bounds or a non-finite `now` (caller bugs).
 */
export function decideRate(state: number | null, limit: RateLimit, now: number): RateDecision {
  checkLimit(limit);
  if (!Number.isFinite(now)) throw new RangeError("rate limit: now must be a finite number");
  // Rounded down, so that a full bucket refills within the window (reset never exceeds the window).
  const t = Math.max(1, Math.floor(((limit.windowSeconds * 1000) / limit.requests) * GRID)) / GRID;
  const burst = (limit.requests - 1) * t; // how far TAT may run ahead of now before a request
  const at = toGrid(now);

  // How far the bucket's TAT is ahead of now (0: full bucket), at most one window.
  const known = state !== null && Number.isFinite(state);
  const rawAhead = known ? Math.max(toGrid(state) - at, 0) : 0;
  const ahead = Math.min(rawAhead, burst + t);

  if (ahead > burst) {
    return {
      allowed: false,
      state: rawAhead > ahead ? at + ahead : state,
      remaining: 0,
      resetMs: ceilMs(ahead),
      retryAfterMs: ceilMs(ahead - burst), // ahead - burst ≥ 1/1024 ms, so at least 1
    };
  }
  const after = ahead + t;
  return {
    allowed: true,
    state: at + after,
    remaining: Math.floor((burst + t - after) / t),
    resetMs: ceilMs(after),
    retryAfterMs: 0,
  };
}

/**
 * The stricter of several decisions (key and tenant): refused if any refuses; remaining is the least,
 * retry-after the latest; reset is that of the bucket the headers describe (bindingBucket), whose limit they
 * name. An empty list is an error (there is always at least one bucket).
 */
export function combineRates(decisions: readonly RateDecision[]): CombinedRateDecision {
  if (decisions.length === 0) throw new RangeError("combineRates needs at least one decision");
  return {
    allowed: decisions.every((d) => d.allowed),
    remaining: Math.min(...decisions.map((d) => d.remaining)),
    resetMs: decisions[bindingBucket(decisions)]!.resetMs,
    retryAfterMs: Math.max(...decisions.map((d) => d.retryAfterMs)),
  };
}

/**
 * Decides every bucket (key, tenant…) for one request and combines them. `states` are what to persist, in
 * the order of `buckets`: the advanced states when the request is allowed; when any bucket refuses it, the
 * inputs — a refused request consumes no bucket — except that a refusing bucket's state left more than one
 * window ahead (a skewed clock, or a longer window before a policy change) is clamped to one window, so that
 * the caller waits no longer than the window and the retry-after it is told.
 */
export function decideRates(
  buckets: readonly { state: number | null; limit: RateLimit }[],
  now: number,
): { decision: CombinedRateDecision; states: (number | null)[]; binding: number } {
  const decisions = buckets.map((b) => decideRate(b.state, b.limit, now));
  const decision = combineRates(decisions);
  return {
    decision,
    states: decisions.map((d, i) => (decision.allowed || !d.allowed ? d.state : buckets[i]!.state)),
    binding: bindingBucket(decisions),
  };
}

/**
 * The bucket a response's rate-limit headers describe: of a refusal, the bucket that refused (the one to wait
 * longest for); otherwise the one with the least room left.
 */
function bindingBucket(decisions: readonly RateDecision[]): number {
  let best = 0;
  for (const [i, d] of decisions.entries()) {
    const b = decisions[best]!;
    const better =
      d.allowed !== b.allowed ? !d.allowed : d.allowed ? d.remaining < b.remaining : d.retryAfterMs > b.retryAfterMs;
    if (better) best = i;
  }
  return best;
}

/**
 * A duration in OpenAI's `x-ratelimit-reset-requests` format (Go's duration text at millisecond precision):
 * "0s", "20ms", "1s", "1.5s", "6m0s", "1h2m3s". Fractions of a millisecond round up.
 */
export function formatReset(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0s";
  const total = Math.ceil(ms);
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const millis = total % 60_000;
  const whole = Math.floor(millis / 1000);
  const fraction = millis % 1000;
  const seconds = fraction === 0 ? `${whole}` : `${whole}.${String(fraction).padStart(3, "0").replace(/0+$/, "")}`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}
