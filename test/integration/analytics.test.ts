// GET /v1/analytics against a scripted run of traffic whose outcome is known request by request: misses,
// exact and semantic hits, a bypass and a refusal, over two models and two keys. Counts, hit rate, tokens and
// cost saved (from the list prices documented in docs/audit.md, "Price table") must come out exactly, in total
// and per model and per key; latency percentiles must be the nearest ranks of the stored latencies; from/to
// bound the window; group_by=day splits by UTC day (with the clock moved to two known days).
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AuditMetrics, AuditStats } from "../../src/logger/stats";
import { call, createTenant, expectError, hostOf, newKey, tenantWithKey, uniqueTenant } from "../helpers";
import { ask, eventOf, settleAll, tickPast } from "./gateway-helpers";

/** US dollars per million tokens, input and output: the documented list prices of the two models used. */
const PRICES: Record<string, [number, number]> = { "gpt-4o-mini": [0.15, 0.6], "gpt-4o": [2.5, 10] };
const costOf = (model: string, u: Usage) =>
  Math.round(((u.prompt_tokens * PRICES[model]![0] + u.completion_tokens * PRICES[model]![1]) / 1e6) * 1e8) / 1e8;

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}
type Cache = "MISS" | "HIT-EXACT" | "HIT-SEMANTIC" | "BYPASS" | null;
interface Step {
  key: 1 | 2;
  model: string | null;
  prompt: string;
  cache: Cache;
  /** The prompt whose stored answer a hit serves. */
  serves?: string;
  headers?: Record<string, string>;
}

const FRANCE = "What is the capital of France?";
const BREAD = "How do I bake sourdough bread?";
const OWLS = "Tell me a fact about owls.";
const PLANET = "Which planet is the largest?";
const RUN: Step[] = [
  { key: 1, model: "gpt-4o-mini", prompt: FRANCE, cache: "MISS" },
  { key: 1, model: "gpt-4o-mini", prompt: FRANCE, cache: "HIT-EXACT", serves: FRANCE },
  { key: 2, model: "gpt-4o-mini", prompt: "what is the capital of france", cache: "HIT-SEMANTIC", serves: FRANCE },
  { key: 2, model: "gpt-4o", prompt: BREAD, cache: "MISS" },
  { key: 2, model: "gpt-4o", prompt: BREAD, cache: "HIT-EXACT", serves: BREAD },
  { key: 1, model: "gpt-4o", prompt: BREAD, cache: "HIT-EXACT", serves: BREAD },
  { key: 1, model: "gpt-4o", prompt: OWLS, cache: "MISS" },
  { key: 2, model: "gpt-4o", prompt: "tell me a fact about owls", cache: "HIT-SEMANTIC", serves: OWLS },
  { key: 2, model: "gpt-4o-mini", prompt: PLANET, cache: "MISS" },
  { key: 1, model: "gpt-4o-mini", prompt: PLANET, cache: "BYPASS", headers: { "x-cache-control": "no-cache" } },
  // A refusal (no messages): counted as a request, with no model and no cache status.
  { key: 1, model: null, prompt: "", cache: null },
];
const LATER: Step[] = [
  { key: 2, model: "gpt-4o-mini", prompt: FRANCE, cache: "HIT-EXACT", serves: FRANCE },
  { key: 2, model: "gpt-4o-mini", prompt: "Name a river in Peru.", cache: "MISS" },
];

/** What the analytics of these steps must be (latency aside), from the script and the answers' usage. */
function expected(steps: Step[], usage: Map<string, Usage>): Omit<AuditMetrics, "latency_ms"> {
  const count = (c: Cache) => steps.filter((s) => s.cache === c).length;
  const hits = steps.filter((s) => s.serves !== undefined);
  const served = hits.length;
  const lookups = served + count("MISS");
  const sum = (f: (s: Step) => number) => hits.reduce((a, s) => a + f(s), 0);
  return {
    requests: steps.length,
    cache: {
      "HIT-EXACT": count("HIT-EXACT"),
      "HIT-SEMANTIC": count("HIT-SEMANTIC"),
      MISS: count("MISS"),
      BYPASS: count("BYPASS"),
      STALE: 0,
    },
    hit_rate: lookups === 0 ? 0 : served / lookups,
    tokens_saved: {
      prompt: sum((s) => usage.get(s.serves!)!.prompt_tokens),
      completion: sum((s) => usage.get(s.serves!)!.completion_tokens),
    },
    cost_saved: sum((s) => costOf(s.model!, usage.get(s.serves!)!)),
  };
}

/** Nearest-rank percentiles of the latencies the trail stored for the window. */
async function latencies(tenant: string, from: number, to: number, where = "1 = 1", ...args: unknown[]) {
  const rows = await env.AUDIT_DB.prepare(
    `SELECT latency_ms FROM audit_events WHERE tenant = ? AND ts >= ? AND ts <= ? AND ${where} ORDER BY latency_ms`,
  )
    .bind(tenant, from, to, ...args)
    .all<{ latency_ms: number }>();
  const sorted = rows.results.map((r) => r.latency_ms);
  const rank = (p: number) => sorted[Math.ceil((p * sorted.length) / 100) - 1]!;
  return { p50: rank(50), p95: rank(95), p99: rank(99) };
}

function expectMetrics(actual: AuditMetrics, wanted: Omit<AuditMetrics, "latency_ms">) {
  const { cost_saved, ...rest } = wanted;
  expect(actual).toMatchObject(rest);
  expect(actual.cost_saved).toBeCloseTo(cost_saved, 12);
}

describe("GET /v1/analytics", async () => {
  const tenant = uniqueTenant("an");
  await createTenant(tenant);
  const [first, second] = [await newKey(tenant, { name: "first" }), await newKey(tenant, { name: "second" })];
  const t = { tenant, host: hostOf(tenant), key: first.key };
  const keys = { 1: t, 2: { host: t.host, key: second.key } } as const;
  const usage = new Map<string, Usage>();
  const costHeaders: number[] = [];

  async function play(steps: Step[]) {
    for (const s of steps) {
      const body = s.model === null ? { model: "gpt-4o-mini" } : undefined;
      const r = body
        ? await call(t.host, "/v1/chat/completions", { token: keys[s.key].key, body })
        : await ask(keys[s.key], s.prompt, { model: s.model }, s.headers ?? {});
      const res = "res" in r ? r.res : r;
      expect(res.headers.get("x-cache"), s.prompt).toBe(s.cache);
      if (s.cache === "MISS") usage.set(s.prompt, JSON.parse((r as { text: string }).text).usage);
      if (s.serves) costHeaders.push(Number(res.headers.get("x-cache-cost-saved")));
      await settleAll();
      await eventOf(res);
    }
  }

  await settleAll();
  const setupEnd = Date.now();
  await tickPast(setupEnd);
  await play(RUN);
  const firstEnd = Date.now();
  await tickPast(firstEnd);
  await play(LATER);
  const laterEnd = Date.now();
  await tickPast(laterEnd);

  const analytics = async (query: string, token = t.key): Promise<AuditStats> => {
    const res = await call(t.host, `/v1/analytics?${query}`, { token });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as AuditStats;
  };
  const window = (from: number, to: number) => `from=${from}&to=${to}`;

  it("totals the run exactly: requests, each cache status, hit rate, tokens and cost saved, latency", async () => {
    const stats = await analytics(window(setupEnd + 1, firstEnd));
    expect(stats).toMatchObject({ object: "analytics", from: setupEnd + 1, to: firstEnd, group_by: null, groups: [] });
    // Written out once, so that the script's numbers are plain to see.
    expect(stats.totals).toMatchObject({
      requests: 11,
      cache: { "HIT-EXACT": 3, "HIT-SEMANTIC": 2, MISS: 4, BYPASS: 1, STALE: 0 },
      hit_rate: 5 / 9,
    });
    expectMetrics(stats.totals, expected(RUN, usage));
    expect(stats.totals.tokens_saved.prompt).toBeGreaterThan(0);
    expect(stats.totals.cost_saved).toBeGreaterThan(0);
    // What the hits said they saved (x-cache-cost-saved) adds up to the same.
    const saidFirst = costHeaders.slice(0, RUN.filter((s) => s.serves).length).reduce((a, b) => a + b, 0);
    expect(stats.totals.cost_saved).toBeCloseTo(saidFirst, 8);
    expect(stats.totals.latency_ms).toEqual(await latencies(t.tenant, setupEnd + 1, firstEnd));
  });

  it("groups by model (null last) and by key, each group exact", async () => {
    const byModel = await analytics(`${window(setupEnd + 1, firstEnd)}&group_by=model`);
    expect(byModel.groups.map((g) => g.group)).toEqual(["gpt-4o", "gpt-4o-mini", null]);
    for (const g of byModel.groups) {
      expectMetrics(
        g,
        expected(
          RUN.filter((s) => s.model === g.group),
          usage,
        ),
      );
      const where = g.group === null ? "model IS NULL" : "model = ?";
      const args = g.group === null ? [] : [g.group];
      expect(g.latency_ms).toEqual(await latencies(t.tenant, setupEnd + 1, firstEnd, where, ...args));
    }
    expect(byModel.groups.find((g) => g.group === "gpt-4o")).toMatchObject({ requests: 5, hit_rate: 3 / 5 });
    expect(byModel.groups.find((g) => g.group === "gpt-4o-mini")).toMatchObject({ requests: 5, hit_rate: 2 / 4 });
    expectMetrics(byModel.totals, expected(RUN, usage));

    const byKey = await analytics(`${window(setupEnd + 1, firstEnd)}&group_by=key`);
    const actors: Record<string, 1 | 2> = { [`key:${first.id}`]: 1, [`key:${second.id}`]: 2 };
    expect(byKey.groups.map((g) => g.group).sort()).toEqual(Object.keys(actors).sort());
    for (const g of byKey.groups) {
      expectMetrics(
        g,
        expected(
          RUN.filter((s) => s.key === actors[g.group!]),
          usage,
        ),
      );
      expect(g.latency_ms).toEqual(await latencies(t.tenant, setupEnd + 1, firstEnd, "actor = ?", g.group));
    }
    expect(byKey.groups.map((g) => g.requests).sort()).toEqual([5, 6]);
  });

  it("counts only what from and to enclose, both inclusive", async () => {
    expectMetrics((await analytics(window(firstEnd + 1, laterEnd))).totals, expected(LATER, usage));
    expectMetrics((await analytics(window(setupEnd + 1, laterEnd))).totals, expected([...RUN, ...LATER], usage));
    // A window of one millisecond holds the events received in it.
    const { ts } = (await env.AUDIT_DB.prepare(
      "SELECT ts FROM audit_events WHERE tenant = ? AND ts > ? ORDER BY ts LIMIT 1",
    )
      .bind(t.tenant, setupEnd)
      .first<{ ts: number }>())!;
    const atTs = await env.AUDIT_DB.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE tenant = ? AND ts = ?")
      .bind(t.tenant, ts)
      .first<{ n: number }>();
    expect((await analytics(window(ts, ts))).totals.requests).toBe(atTs!.n);
    expect((await analytics(window(1000, 2000))).totals).toMatchObject({ requests: 0, hit_rate: 0, latency_ms: null });
  });

  it("refuses a bad group_by or window with 400, and keys without analytics:read with 403", async () => {
    const bad = async (query: string) =>
      expectError(
        await call(t.host, `/v1/analytics?${query}`, { token: t.key }),
        400,
        "invalid_field",
        "invalid_request_error",
      );
    await bad("group_by=week");
    await bad("from=2000&to=1000");
    await bad("from=last-tuesday");
    const service = await newKey(t.tenant, { name: "service", role: "service" });
    await expectError(
      await call(t.host, "/v1/analytics", { token: service.key }),
      403,
      "insufficient_scope",
      "permission_error",
    );
  });
});

describe("GET /v1/analytics?group_by=day", async () => {
  const t = await tenantWithKey("anday");
  afterEach(() => {
    vi.useRealTimers();
  });

  it("splits by UTC day, and a window of one day counts that day only", async () => {
    const day = 86_400_000;
    const day1 = (Math.floor(Date.now() / day) + 10) * day;
    const day2 = day1 + day;
    vi.useFakeTimers({ toFake: ["Date"] });
    const ids: string[] = [];
    vi.setSystemTime(day1 + 9 * 3_600_000);
    for (const q of [FRANCE, FRANCE]) {
      ids.push((await ask(t, q)).id);
      await settleAll();
    }
    vi.setSystemTime(day2 + 15 * 3_600_000);
    for (const q of [OWLS, OWLS, "tell me a fact about owls"]) {
      ids.push((await ask(t, q)).id);
      await settleAll();
    }
    vi.useRealTimers();
    for (const id of ids) await eventOf(id);

    const res = await call(t.host, `/v1/analytics?from=${day1}&to=${day2 + day - 1}&group_by=day`, { token: t.key });
    const stats = (await res.json()) as AuditStats;
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    expect(stats.groups.map((g) => [g.group, g.requests, g.cache])).toEqual([
      [iso(day1), 2, { "HIT-EXACT": 1, "HIT-SEMANTIC": 0, MISS: 1, BYPASS: 0, STALE: 0 }],
      [iso(day2), 3, { "HIT-EXACT": 1, "HIT-SEMANTIC": 1, MISS: 1, BYPASS: 0, STALE: 0 }],
    ]);
    expect(stats.totals.requests).toBe(5);
    const second = await call(t.host, `/v1/analytics?from=${new Date(day2).toISOString()}&to=${day2 + day - 1}`, {
      token: t.key,
    });
    expect(((await second.json()) as AuditStats).totals).toMatchObject({ requests: 3, hit_rate: 2 / 3 });
    // An ISO 8601 date is that day's midnight UTC.
    const byDate = await call(t.host, `/v1/analytics?from=${iso(day2)}&to=${day2 + day - 1}`, { token: t.key });
    expect(((await byDate.json()) as AuditStats).totals).toMatchObject({ requests: 3 });
    // Regression: Date.parse read an impossible date (the 30th of February) as the next day's, and a US-style
    // date as month/day, so the figures were of a window the caller never asked for.
    for (const from of ["2024-02-30", "3/1/2024"]) {
      await expectError(
        await call(t.host, `/v1/analytics?from=${from}`, { token: t.key }),
        400,
        "invalid_field",
        "invalid_request_error",
      );
    }
  });
});

describe("GET /v1/analytics of embeddings batches", async () => {
  const t = await tenantWithKey("anemb");

  async function embed(input: string[]) {
    const res = await call(t.host, "/v1/embeddings", {
      token: t.key,
      body: { model: "text-embedding-3-small", input },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const { usage } = (await res.json()) as { usage: { prompt_tokens: number } };
    await settleAll();
    const saved = (name: string) => (res.headers.has(name) ? Number(res.headers.get(name)) : null);
    return {
      cache: res.headers.get("x-cache"),
      hits: res.headers.get("x-cache-hits"),
      tokensSaved: saved("x-cache-tokens-saved"),
      costSaved: saved("x-cache-cost-saved"),
      usage: usage.prompt_tokens,
      event: await eventOf(res),
    };
  }

  // Regression: a batch some of whose inputs were cached (x-cache-hits: 2/3) is recorded as a MISS, and its event
  // had no field for the tokens those inputs saved: analytics counted the cost they saved, not their tokens.
  it("counts the tokens a partly cached batch saved, as it counts their cost; full hits and misses as before", async () => {
    await settleAll();
    const from = Date.now();
    await tickPast(from);
    const first = await embed(["alpha", "gamma"]);
    const partial = await embed(["alpha", "beta", "gamma"]);
    const full = await embed(["alpha", "beta", "gamma"]);
    const none = await embed(["delta", "epsilon", "zeta"]);
    const to = Date.now();
    await tickPast(to);
    expect([first, partial, full, none].map((b) => [b.cache, b.hits])).toEqual([
      ["MISS", "0/2"],
      ["MISS", "2/3"],
      ["HIT-EXACT", "3/3"],
      ["MISS", "0/3"],
    ]);

    // What the cached inputs saved is what they cost when first embedded, priced in cost_saved.
    expect(partial.tokensSaved).toBe(first.usage);
    expect(partial.event).toMatchObject({
      cache: "MISS",
      prompt_tokens: partial.usage,
      prompt_tokens_saved: partial.tokensSaved,
      cost_saved: partial.costSaved,
    });
    expect(partial.costSaved).toBeGreaterThan(0);
    // A full hit saves its prompt_tokens, a miss nothing: neither carries the field.
    expect(full.event).toMatchObject({ cache: "HIT-EXACT", prompt_tokens: full.usage, cost_saved: full.costSaved });
    expect(full.tokensSaved).toBe(full.usage);
    for (const b of [first, full, none]) expect(b.event).not.toHaveProperty("prompt_tokens_saved");

    const res = await call(t.host, `/v1/analytics?from=${from + 1}&to=${to}`, { token: t.key });
    const stats = (await res.json()) as AuditStats;
    expect(stats.totals).toMatchObject({
      requests: 4,
      cache: { "HIT-EXACT": 1, "HIT-SEMANTIC": 0, MISS: 3, BYPASS: 0, STALE: 0 },
      tokens_saved: { prompt: partial.tokensSaved! + full.usage, completion: 0 },
    });
    expect(stats.totals.cost_saved).toBeCloseTo(partial.costSaved! + full.costSaved!, 8);
  });
});
