// Serve-stale: with the tenant's serve_stale_seconds set, an entry past its TTL by at most that bound is served
// (x-cache: STALE, on both tiers) when no upstream target answers — never while it is fresh (a plain hit), never
// when the provider answers (a fresh miss), never past the bound (the provider's failure is the answer), and
// not at all without the policy. The provider fails here by the slow-N fault model against a short
// PROVIDER_TIMEOUT_MS (an environment whose runtime says 100 ms); the clock is moved with fake timers.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { expectError, setPolicy, tenantWithKey } from "../helpers";
import { ask, callWith, type Env, eventOf, settleAll } from "./gateway-helpers";

/** The provider answers slow-600 in 600 ms: within the tests' 2 s timeout, never within this one's 100 ms. */
const impatient: Env = { ...env, PROVIDER_TIMEOUT_MS: "100" };
const MODEL = "local/slow-600";
const TTL = 120;
const BOUND = 60;

afterEach(() => {
  vi.useRealTimers();
});

const contentOf = (text: string) => JSON.parse(text).choices[0].message.content as string;

describe("serve_stale_seconds", async () => {
  const t = await tenantWithKey("stale");
  await setPolicy(t.tenant, { serve_stale_seconds: BOUND });
  const question = "What is the boiling point of water at sea level?";
  const variant = "what is the boiling point of water at sea level";

  async function stored(q: string) {
    const miss = await ask(t, q, { model: MODEL }, { "x-cache-ttl": String(TTL) });
    expect(miss.cache).toBe("MISS");
    await settleAll();
    return { at: Date.now(), answer: contentOf(miss.text) };
  }
  const at = (ms: number) => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(ms);
  };

  it("serves an expired entry within the bound as STALE when the provider fails, on both tiers", async () => {
    const { at: savedAt, answer } = await stored(question);
    // Fresh: a plain hit, whatever the provider would do.
    at(savedAt + 10_000);
    expect((await ask(t, question, { model: MODEL }, {}, impatient)).cache).toBe("HIT-EXACT");
    // Expired 30 s ago, the provider times out: the stale answer, said to be stale.
    at(savedAt + (TTL + BOUND / 2) * 1000);
    for (const [q, tier] of [
      [question, "exact"],
      [variant, "semantic"],
    ] as const) {
      const r = await ask(t, q, { model: MODEL }, { "x-cache-control": "no-store" }, impatient);
      expect(r.status, tier).toBe(200);
      expect(r.cache, tier).toBe("STALE");
      expect(contentOf(r.text)).toBe(answer);
      await settleAll();
      expect(await eventOf(r.res)).toMatchObject({
        status: 200,
        cache: "STALE",
        upstream: [{ target: MODEL, outcome: "timeout", status: null, latency_ms: expect.any(Number) }],
      });
    }
    // The cache query endpoint says the same.
    const query = await callWith(impatient, t.host, "/v1/cache/query", {
      token: t.key,
      body: { prompt: question, model: MODEL, store: false },
    });
    expect(query.headers.get("x-cache")).toBe("STALE");
    expect(await query.json()).toMatchObject({ cache_hit: true, response: answer });
    // The provider answering: a fresh miss, not the stale entry.
    const fresh = await ask(t, question, { model: MODEL }, { "x-cache-control": "no-store" });
    expect(fresh.cache).toBe("MISS");
  });

  it("does not serve an entry expired longer ago than the bound: the provider's failure is the answer", async () => {
    const { at: savedAt } = await stored("How far is the Moon from the Earth?");
    at(savedAt + (TTL + BOUND + 5) * 1000);
    const r = await ask(t, "How far is the Moon from the Earth?", { model: MODEL }, {}, impatient);
    await expectError(new Response(r.text, r.res), 504, "upstream_timeout", "upstream_error");
    expect(r.cache).toBe("MISS");
    expect(await eventOf(r.res)).toMatchObject({ status: 504, cache: "MISS" });
  });

  it("serves nothing stale without the policy", async () => {
    const u = await tenantWithKey("nostale");
    const miss = await ask(u, question, { model: MODEL }, { "x-cache-ttl": String(TTL) });
    expect(miss.cache).toBe("MISS");
    await settleAll();
    at(Date.now() + (TTL + 5) * 1000);
    const r = await ask(u, question, { model: MODEL }, {}, impatient);
    await expectError(new Response(r.text, r.res), 504, "upstream_timeout", "upstream_error");
  });
});
