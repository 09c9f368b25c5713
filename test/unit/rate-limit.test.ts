import { describe, expect, it } from "vitest";
import {
  combineRates,
  decideRate,
  decideRates,
  formatReset,
  type RateDecision,
  type RateLimit,
  RateLimitSchema,
} from "../../src/gateway/policy/rate-limit";

// A fixed, realistic epoch instant: the arithmetic must hold at today's magnitudes, not only near zero.
const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/** Sends `count` requests at `now`, threading the state; returns the decisions and the final state. */
function burst(state: number | null, limit: RateLimit, now: number, count: number) {
  const decisions: RateDecision[] = [];
  for (let i = 0; i < count; i++) {
    const d = decideRate(state, limit, now);
    decisions.push(d);
    state = d.state;
  }
  return { decisions, state };
}

describe("decideRate: a full bucket", () => {
  it.each([
    { requests: 1, windowSeconds: 1 },
    { requests: 3, windowSeconds: 1 },
    { requests: 7, windowSeconds: 60 },
    { requests: 10, windowSeconds: 1 },
    { requests: 60, windowSeconds: 60 },
    { requests: 1000, windowSeconds: 60 },
    { requests: 3, windowSeconds: 86_400 },
    { requests: 100_000, windowSeconds: 60 },
    { requests: 1_000_000, windowSeconds: 86_400 },
  ])("allows exactly $requests requests per $windowSeconds s at one instant", (limit) => {
    const { decisions, state } = burst(null, limit, T0, limit.requests);
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(decisions.map((d) => d.remaining)).toEqual(
      Array.from({ length: limit.requests }, (_, i) => limit.requests - 1 - i),
    );
    const next = decideRate(state, limit, T0);
    expect(next.allowed).toBe(false);
    expect(next.remaining).toBe(0);
    expect(next.state).toBe(state);
    // The next cell frees after one emission interval; the whole bucket after one window, less the rounding of
    // the interval down to 1/1024 ms (at most requests/1024 ms early: 0 ms for ordinary limits).
    const window = limit.windowSeconds * 1000;
    expect(next.retryAfterMs).toBe(Math.ceil(window / limit.requests - 1 / 1024));
    expect(next.resetMs).toBeLessThanOrEqual(window);
    expect(next.resetMs).toBeGreaterThanOrEqual(window - Math.ceil(limit.requests / 1024));
    if (limit.requests <= 1000) expect(next.resetMs).toBe(window);
  });

  it("reports a fresh bucket's first decision", () => {
    expect(decideRate(null, { requests: 10, windowSeconds: 1 }, T0)).toEqual({
      allowed: true,
      state: T0 + 100,
      remaining: 9,
      resetMs: 100,
      retryAfterMs: 0,
    });
  });
});

describe("decideRate: over time", () => {
  const limit = { requests: 10, windowSeconds: 1 }; // one every 100 ms, bursts of 10

  it("refuses until the retry-after has passed, then allows one", () => {
    const { state } = burst(null, limit, T0, 10);
    const refused = decideRate(state, limit, T0 + 40);
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 60, resetMs: 960, state });
    expect(decideRate(state, limit, T0 + 99).allowed).toBe(false);
    const allowed = decideRate(state, limit, T0 + 100);
    expect(allowed).toMatchObject({ allowed: true, remaining: 0, resetMs: 1000 });
    expect(decideRate(allowed.state, limit, T0 + 100).allowed).toBe(false);
  });

  it("refills completely after one idle window", () => {
    const { state } = burst(null, limit, T0, 10);
    expect(decideRate(state, limit, T0 + 1000)).toMatchObject({ allowed: true, remaining: 9 });
    expect(burst(state, limit, T0 + 1000, 11).decisions.filter((d) => d.allowed)).toHaveLength(10);
  });

  it("refills partly in proportion to the time passed", () => {
    const { state } = burst(null, limit, T0, 10);
    expect(burst(state, limit, T0 + 350, 5).decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
  });

  it("sustains exactly the configured rate for a long run, with no drift (7 per minute, 100 000 requests)", () => {
    const slow = { requests: 7, windowSeconds: 60 };
    let state: number | null = null;
    let refused = 0;
    // One request at every multiple of 60000/7 ms, rounded up to the millisecond clock.
    for (let i = 0; i < 100_000; i++) {
      const d = decideRate(state, slow, T0 + Math.ceil((i * 60_000) / 7));
      if (!d.allowed) refused++;
      state = d.state;
    }
    expect(refused).toBe(0);
  });

  it("never allows more than 2·requests − 1 in any window, and holds the long-run rate (seeded random arrivals)", () => {
    const l = { requests: 5, windowSeconds: 10 };
    let seed = 42;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    let state: number | null = null;
    let now = T0;
    const allowedAt: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      now += Math.floor(rand() * 400);
      const d = decideRate(state, l, now);
      state = d.state;
      if (d.allowed) allowedAt.push(now);
    }
    let start = 0;
    for (let end = 0; end < allowedAt.length; end++) {
      while (allowedAt[end]! - allowedAt[start]! >= 10_000) start++;
      expect(end - start + 1).toBeLessThanOrEqual(2 * l.requests - 1);
    }
    const span = now - T0;
    expect(allowedAt.length).toBeLessThanOrEqual(Math.floor((span * l.requests) / 10_000) + l.requests);
  });

  it("does not change the state when it refuses", () => {
    const { state } = burst(null, limit, T0, 10);
    for (let i = 0; i < 50; i++) expect(decideRate(state, limit, T0 + i).state).toBe(state);
  });

  it("treats a state in the past as a full bucket", () => {
    expect(decideRate(T0 - 5_000, limit, T0)).toMatchObject({ allowed: true, remaining: 9, state: T0 + 100 });
  });

  it("limits a state left far ahead by a skewed clock to one window", () => {
    const d = decideRate(T0 + 3_600_000, limit, T0);
    expect(d).toMatchObject({ allowed: false, retryAfterMs: 100, resetMs: 1000, state: T0 + 1000 });
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    "treats a corrupt state %s as a full bucket",
    (s) => {
      expect(decideRate(s, limit, T0)).toMatchObject({ allowed: true, remaining: 9 });
    },
  );

  it("handles a fractional now by rounding it to the bucket's grid", () => {
    expect(decideRate(null, limit, T0 + 0.3)).toMatchObject({ allowed: true, remaining: 9 });
  });
});

describe("decideRate: caller bugs", () => {
  it.each([
    { requests: 0, windowSeconds: 1 },
    { requests: 1.5, windowSeconds: 1 },
    { requests: 1_000_001, windowSeconds: 1 },
    { requests: 1, windowSeconds: 0 },
    { requests: 1, windowSeconds: 86_401 },
    { requests: Number.NaN, windowSeconds: 1 },
  ])("throws for the limit %j", (l) => {
    expect(() => decideRate(null, l, T0)).toThrow(RangeError);
  });

  it("throws for a non-finite now", () => {
    expect(() => decideRate(null, { requests: 1, windowSeconds: 1 }, Number.NaN)).toThrow(RangeError);
  });
});

describe("combineRates and decideRates (the stricter of key and tenant)", () => {
  const allowed = (remaining: number, resetMs: number): RateDecision => ({
    allowed: true,
    state: 1,
    remaining,
    resetMs,
    retryAfterMs: 0,
  });
  const refused = (resetMs: number, retryAfterMs: number): RateDecision => ({
    allowed: false,
    state: 1,
    remaining: 0,
    resetMs,
    retryAfterMs,
  });

  it.each([
    ["both allow", [allowed(5, 100), allowed(2, 900)], { allowed: true, remaining: 2, resetMs: 900, retryAfterMs: 0 }],
    [
      "the key refuses",
      [refused(800, 80), allowed(9, 100)],
      { allowed: false, remaining: 0, resetMs: 800, retryAfterMs: 80 },
    ],
    [
      "the tenant refuses",
      [allowed(9, 100), refused(500, 50)],
      { allowed: false, remaining: 0, resetMs: 500, retryAfterMs: 50 },
    ],
    [
      "both refuse",
      [refused(800, 80), refused(2000, 200)],
      { allowed: false, remaining: 0, resetMs: 2000, retryAfterMs: 200 },
    ],
    ["one bucket", [allowed(3, 30)], { allowed: true, remaining: 3, resetMs: 30, retryAfterMs: 0 }],
    // Regression: reset was the latest of all buckets, not that of the bucket whose limit the headers name.
    [
      "the fuller bucket resets later",
      [allowed(2, 40_000), allowed(997, 259_200)],
      { allowed: true, remaining: 2, resetMs: 40_000, retryAfterMs: 0 },
    ],
    [
      "an allowing bucket resets later than the one that refuses",
      [refused(60_000, 20_000), allowed(997, 259_200)],
      { allowed: false, remaining: 0, resetMs: 60_000, retryAfterMs: 20_000 },
    ],
  ])("%s", (_name, decisions, expected) => {
    expect(combineRates(decisions)).toEqual(expected);
  });

  it("throws without a decision", () => {
    expect(() => combineRates([])).toThrow(RangeError);
  });

  it("persists the advanced states only when every bucket allows", () => {
    const key = { requests: 100, windowSeconds: 60 };
    const tenant = { requests: 1, windowSeconds: 60 };
    const first = decideRates(
      [
        { state: null, limit: key },
        { state: null, limit: tenant },
      ],
      T0,
    );
    expect(first.decision).toMatchObject({ allowed: true, remaining: 0 });
    expect(first.states.every((s) => s !== null && s > T0)).toBe(true);

    const second = decideRates(
      [
        { state: first.states[0]!, limit: key },
        { state: first.states[1]!, limit: tenant },
      ],
      T0 + 1,
    );
    expect(second.decision).toMatchObject({ allowed: false, retryAfterMs: 59_999 });
    // The tenant refused: the key's bucket is not charged for the refused request.
    expect(second.states).toEqual(first.states);
  });

  // Regression: the clamp of a state left far ahead was computed but never persisted (a refusal returned the
  // inputs), so a caller told to retry in 100 ms stayed blocked for as long as the clock had been ahead.
  it("persists a refusing bucket's state clamped to one window, and no other bucket's", () => {
    const key = { requests: 10, windowSeconds: 1 };
    const tenant = { requests: 100, windowSeconds: 60 };
    const { decision, states } = decideRates(
      [
        { state: T0 + 3_600_000, limit: key },
        { state: T0 + 600, limit: tenant },
      ],
      T0,
    );
    expect(decision).toMatchObject({ allowed: false, retryAfterMs: 100 });
    expect(states).toEqual([T0 + 1000, T0 + 600]);
  });
});

describe("formatReset (x-ratelimit-reset-requests)", () => {
  it.each([
    [0, "0s"],
    [-5, "0s"],
    [Number.NaN, "0s"],
    [0.2, "1ms"],
    [20, "20ms"],
    [999, "999ms"],
    [1000, "1s"],
    [1500, "1.5s"],
    [1020, "1.02s"],
    [1001, "1.001s"],
    [59_999, "59.999s"],
    [60_000, "1m0s"],
    [360_000, "6m0s"],
    [3_600_000, "1h0m0s"],
    [3_723_000, "1h2m3s"],
    [86_400_000, "24h0m0s"],
  ])("%s ms → %s", (ms, text) => {
    expect(formatReset(ms)).toBe(text);
  });
});

describe("RateLimitSchema (admin API)", () => {
  it("accepts the contract's shape and refuses unknown fields and out-of-range values", () => {
    expect(RateLimitSchema.safeParse({ requests: 60, window_seconds: 60 }).success).toBe(true);
    expect(RateLimitSchema.safeParse({ requests: 60, windowSeconds: 60 }).success).toBe(false);
    expect(RateLimitSchema.safeParse({ requests: 0, window_seconds: 60 }).success).toBe(false);
    expect(RateLimitSchema.safeParse({ requests: 1, window_seconds: 86_401 }).success).toBe(false);
  });
});
