// The audit logger's RPC entrypoint (`AuditLog`): listing with filters and pages, analytics over a known
// set of events, and refusal of bad arguments. Events enter through the Queue handler, as in production.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import logger, { type AuditLog } from "../../src/logger/index";
import { type AuditEvent, UNRESOLVED_TENANT } from "../../src/shared/audit-event";
import { decodeCursor, encodeCursor, parseListQuery } from "../../src/shared/audit-query";
import { auditEvent, EVENT_TS } from "../fixtures/audit-event";
import { directAuditLog } from "../fixtures/logger";

const event = (tenant: string | null, extra: Partial<AuditEvent> = {}) =>
  auditEvent(tenant, { latency_ms: 10, ...extra });

const T0 = EVENT_TS;
let tenantCounter = 0;
/** Storage is shared by the tests of this file: each test uses its own tenants. */
const tenantId = (label: string) => `rpc-${label}-${++tenantCounter}`;
const auditLog = () => directAuditLog();

async function store(events: AuditEvent[]): Promise<void> {
  const batch = createMessageBatch(
    "cordon-audit",
    events.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await logger.queue(batch, env);
  expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(events.length);
}

describe("AuditLog.list", () => {
  it("lists one tenant's events newest first, with seq and hash, and nothing of other tenants", async () => {
    const tenant = tenantId("order");
    const other = tenantId("other");
    await store([
      event(tenant, { ts: T0 + 2 }),
      event(other),
      event(tenant, { ts: T0 + 1 }),
      event(tenant, { ts: T0 + 3 }),
    ]);
    const page = await auditLog().list(tenant, {});
    expect(page.events.map((e) => [e.ts, e.seq])).toEqual([
      [T0 + 3, 3],
      [T0 + 2, 1],
      [T0 + 1, 2],
    ]);
    expect(page.events.every((e) => e.tenant === tenant && /^[0-9a-f]{64}$/.test(e.hash))).toBe(true);
    expect(page.next_cursor).toBeNull();
  });

  it("filters by actor, action, outcome and an inclusive ts range", async () => {
    const tenant = tenantId("filter");
    await store([
      event(tenant, { ts: T0 + 100, actor: "operator", action: "tenant.create", cache: null }),
      event(tenant, { ts: T0 + 200, action: "cache.query" }),
      event(tenant, { ts: T0 + 300, outcome: "denied", status: 403, code: "scope_missing" }),
      event(tenant, { ts: T0 + 400, actor: "operator", action: "key.create", cache: null }),
    ]);
    const log = auditLog();
    const ts = async (q: Parameters<AuditLog["list"]>[1]) => (await log.list(tenant, q)).events.map((e) => e.ts - T0);
    expect(await ts({ actor: "operator" })).toEqual([400, 100]);
    expect(await ts({ action: "cache.query" })).toEqual([200]);
    expect(await ts({ from: T0 + 200, to: T0 + 300 })).toEqual([300, 200]);
    expect(await ts({ from: T0 + 300 })).toEqual([400, 300]);
    expect(await ts({ to: T0 + 100 })).toEqual([100]);
    expect(await ts({ actor: "operator", from: T0 + 101 })).toEqual([400]);
    expect(await ts({ actor: "operator", action: "chat.completions" })).toEqual([]);
    expect(await ts({ outcome: "denied" })).toEqual([300]);
    expect(await ts({ outcome: "allowed", from: T0 + 300 })).toEqual([400]);
    expect(await ts({ outcome: "error" })).toEqual([]);
    // Filter values are data, never SQL.
    expect(await ts({ actor: "' OR 1=1 --" })).toEqual([]);
  });

  it("pages with an opaque cursor through events that share a timestamp, without gaps or repeats", async () => {
    const tenant = tenantId("page");
    const events = [0, 0, 1, 1, 1, 2, 3].map((d) => event(tenant, { ts: T0 + d }));
    await store(events);
    const log = auditLog();
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await log.list(tenant, { limit: 2, cursor });
      expect(page.events.length).toBeLessThanOrEqual(2);
      seen.push(...page.events.map((e) => e.seq));
      cursor = page.next_cursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
    // Filters apply across pages too.
    const first = await log.list(tenant, { limit: 1, from: T0 + 1, to: T0 + 1 });
    const second = await log.list(tenant, { limit: 5, from: T0 + 1, to: T0 + 1, cursor: first.next_cursor! });
    expect([...first.events, ...second.events].map((e) => e.seq)).toEqual([5, 4, 3]);
    expect(second.next_cursor).toBeNull();
  });

  it("lists the unresolved pseudo-tenant's events", async () => {
    const e = event(null, { ts: T0 + 999_999, outcome: "denied", status: 404, code: "tenant_not_found" });
    await store([e]);
    const page = await auditLog().list(UNRESOLVED_TENANT, { from: T0 + 999_999 });
    expect(page.events.map((x) => x.id)).toContain(e.id);
  });

  it("defaults the limit to 100 and cuts it to 1000", () => {
    expect(parseListQuery({}).limit).toBe(100);
    expect(parseListQuery({ limit: 5 }).limit).toBe(5);
    expect(parseListQuery({ limit: 1000 }).limit).toBe(1000);
    expect(parseListQuery({ limit: 100_000 }).limit).toBe(1000);
  });

  it("refuses bad arguments with a stable code", async () => {
    const log = auditLog();
    const tenant = tenantId("bad");
    await expect(log.list("Not A Tenant", {})).rejects.toThrow(new RangeError("invalid_tenant"));
    await expect(log.list("a:b", {})).rejects.toThrow("invalid_tenant");
    await expect(log.list(tenant, { limit: 0 })).rejects.toThrow("invalid_limit");
    await expect(log.list(tenant, { limit: 1.5 })).rejects.toThrow("invalid_limit");
    await expect(log.list(tenant, { limit: Number.NaN })).rejects.toThrow("invalid_limit");
    await expect(log.list(tenant, { cursor: "7" })).rejects.toThrow("invalid_cursor");
    await expect(log.list(tenant, { cursor: "%%%" })).rejects.toThrow("invalid_cursor");
    await expect(log.list(tenant, { cursor: btoa("1.0") })).rejects.toThrow("invalid_cursor");
    await expect(log.list(tenant, { from: 5, to: 4 })).rejects.toThrow("invalid_range");
    await expect(log.list(tenant, { from: -1 })).rejects.toThrow("invalid_query");
    await expect(log.list(tenant, { actor: "" })).rejects.toThrow("invalid_query");
    await expect(log.list(tenant, { tenant: "other" } as never)).rejects.toThrow("invalid_query");
    await expect(log.list(tenant, { outcome: "ok" } as never)).rejects.toThrow("invalid_query");
    await expect(log.verify("../x")).rejects.toThrow("invalid_tenant");
    await expect(log.stats(tenant, 10, 5)).rejects.toThrow("invalid_range");
    await expect(log.stats(tenant, Number.NaN, 5)).rejects.toThrow("invalid_range");
  });

  it("round-trips a cursor", () => {
    const c = encodeCursor({ ts: T0, seq: 42 });
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c)).toEqual({ ts: T0, seq: 42 });
  });
});

describe("AuditLog.verify", () => {
  it("verifies the tenant's chain and reports its head", async () => {
    const tenant = tenantId("verify");
    await store([event(tenant), event(tenant)]);
    const log = auditLog();
    const newest = (await log.list(tenant, { limit: 1 })).events[0]!;
    expect(await log.verify(tenant)).toMatchObject({
      ok: true,
      checked: 2,
      first_break: null,
      head: { seq: 2, hash: newest.hash },
    });
  });
});

const DAY = 86_400_000;
const D0 = Math.floor(T0 / DAY) * DAY; // 2025-06-15T00:00:00Z

type Counts = [exact: number, semantic: number, miss: number, bypass: number, stale: number];
/** The expected metrics of a group, in the order of AuditMetrics. */
function metrics(
  requests: number,
  [exact, semantic, miss, bypass, stale]: Counts,
  hit_rate: number,
  [prompt, completion]: [number, number],
  cost_saved: number,
  latency: [number, number, number] | null,
) {
  return {
    requests,
    cache: { "HIT-EXACT": exact, "HIT-SEMANTIC": semantic, MISS: miss, BYPASS: bypass, STALE: stale },
    hit_rate,
    tokens_saved: { prompt, completion },
    cost_saved,
    latency_ms: latency && { p50: latency[0], p95: latency[1], p99: latency[2] },
  };
}

describe("AuditLog.stats", () => {
  /** Scripted traffic over two UTC days, two models, two keys and one refused anonymous request. */
  async function scripted(): Promise<string> {
    const tenant = tenantId("stats");
    const e = (
      ts: number,
      actor: string,
      model: string | null,
      cache: AuditEvent["cache"],
      latency_ms: number,
      tokens: [number, number] | null,
      cost_saved: number | null,
    ) =>
      event(tenant, {
        ts,
        actor,
        model,
        cache,
        latency_ms,
        prompt_tokens: tokens?.[0] ?? null,
        completion_tokens: tokens?.[1] ?? null,
        cost_saved,
        ...(cache === null ? { outcome: "denied" as const, status: 401, code: "invalid_api_key" } : {}),
      });
    const [a, b, gpt, claude] = ["key:key_a", "key:key_b", "gpt-4o-mini", "claude-3-haiku"];
    await store([
      e(D0 + 1000, a, gpt, "HIT-EXACT", 5, [100, 50], 0.25),
      e(D0 + 2000, a, gpt, "HIT-SEMANTIC", 30, [100, 50], 0.5),
      e(D0 + 3000, a, gpt, "MISS", 400, [7, 9], null),
      e(D0 + 4000, b, claude, "MISS", 300, [20, 30], null),
      e(D0 + 5000, "anonymous", null, null, 1, null, null),
      e(D0 + DAY, b, claude, "HIT-EXACT", 6, [40, 10], 0.125),
      e(D0 + DAY + 1, b, claude, "STALE", 12, [40, 10], 0.125),
      e(D0 + DAY + 2, b, gpt, "BYPASS", 350, [5, 5], null),
      e(D0 + 2 * DAY - 1, a, gpt, "MISS", 420, [8, 8], null),
      // Alerts a request raised beside its own event: no request of their own, so in no number below (regression:
      // each counted as a request, and its latency in the percentiles).
      event(tenant, {
        ts: D0 + 5001,
        actor: "anonymous",
        action: "alert.auth_burst",
        reason: "ip_blocked",
        cache: null,
        model: null,
        latency_ms: 7000,
      }),
      event(tenant, {
        ts: D0 + DAY + 3,
        actor: b,
        action: "alert.key_new_place",
        cache: null,
        model: claude,
        latency_ms: 8000,
      }),
      // Outside the range (both ends are inclusive):
      e(D0 - 1, a, gpt, "HIT-EXACT", 9000, [1000, 1000], 8),
      e(D0 + 2 * DAY, a, gpt, "HIT-EXACT", 9000, [1000, 1000], 8),
    ]);
    return tenant;
  }

  // Every event in range: 9 requests; latencies 1 5 6 12 30 300 350 400 420; served from cache 4 of 7 lookups.
  const totals = metrics(9, [2, 1, 3, 1, 1], 4 / 7, [280, 120], 1, [30, 420, 420]);
  const refused = metrics(1, [0, 0, 0, 0, 0], 0, [0, 0], 0, [1, 1, 1]);

  it("totals: requests per cache status, hit rate, tokens and cost saved, exact nearest-rank percentiles", async () => {
    const tenant = await scripted();
    expect(await auditLog().stats(tenant, D0, D0 + 2 * DAY - 1)).toEqual({
      from: D0,
      to: D0 + 2 * DAY - 1,
      group_by: null,
      totals,
      groups: [],
      groups_truncated: false,
    });
  });

  it("grouped by UTC day", async () => {
    const tenant = await scripted();
    expect(await auditLog().stats(tenant, D0, D0 + 2 * DAY - 1, "day")).toEqual({
      from: D0,
      to: D0 + 2 * DAY - 1,
      group_by: "day",
      totals,
      groups: [
        // Latencies 1 5 30 300 400: ranks 3, 5, 5.
        { group: "2025-06-15", ...metrics(5, [1, 1, 2, 0, 0], 2 / 4, [200, 100], 0.75, [30, 400, 400]) },
        // Latencies 6 12 350 420: ranks 2, 4, 4.
        { group: "2025-06-16", ...metrics(4, [1, 0, 1, 1, 1], 2 / 3, [80, 20], 0.25, [12, 420, 420]) },
      ],
      groups_truncated: false,
    });
  });

  it("grouped by model, events without a model last", async () => {
    const tenant = await scripted();
    const stats = await auditLog().stats(tenant, D0, D0 + 2 * DAY - 1, "model");
    expect(stats.totals).toEqual(totals);
    expect(stats.groups).toEqual([
      { group: "claude-3-haiku", ...metrics(3, [1, 0, 1, 0, 1], 2 / 3, [80, 20], 0.25, [12, 300, 300]) },
      { group: "gpt-4o-mini", ...metrics(5, [1, 1, 2, 1, 0], 2 / 4, [200, 100], 0.75, [350, 420, 420]) },
      { group: null, ...refused },
    ]);
  });

  it("grouped by key (the actor)", async () => {
    const tenant = await scripted();
    const stats = await auditLog().stats(tenant, D0, D0 + 2 * DAY - 1, "key");
    expect(stats.totals).toEqual(totals);
    expect(stats.groups).toEqual([
      { group: "anonymous", ...refused },
      { group: "key:key_a", ...metrics(4, [1, 1, 2, 0, 0], 2 / 4, [200, 100], 0.75, [30, 420, 420]) },
      { group: "key:key_b", ...metrics(4, [1, 0, 1, 1, 1], 2 / 3, [80, 20], 0.25, [12, 350, 350]) },
    ]);
  });

  it("takes percentiles by nearest rank over a larger range", async () => {
    const tenant = tenantId("pct");
    await store(Array.from({ length: 200 }, (_, i) => event(tenant, { latency_ms: 200 - i })));
    const stats = await auditLog().stats(tenant, T0, T0);
    expect(stats.totals.requests).toBe(200);
    expect(stats.totals.latency_ms).toEqual({ p50: 100, p95: 190, p99: 198 });
  });

  // Regression: cost_saved was the bare floating-point sum, so three hits of gpt-4o-mini at 500 prompt and 300
  // completion tokens ($0.000255 each) came out as 0.0007650000000000001 dollars.
  it("adds up cost saved to 10⁻⁸ dollars, as each event records it, without floating-point residue", async () => {
    const tenant = tenantId("cents");
    const hit = (ts: number) => event(tenant, { ts, cache: "HIT-EXACT", cost_saved: 0.000255 });
    await store([hit(D0), hit(D0 + 1), hit(D0 + 2)]);
    const stats = await auditLog().stats(tenant, D0, D0 + DAY - 1, "day");
    expect(stats.totals.cost_saved).toBe(0.000765);
    expect(stats.groups.map((g) => g.cost_saved)).toEqual([0.000765]);
  });

  it("reports an empty range as zeros with no latency and no groups", async () => {
    expect(await auditLog().stats(tenantId("none"), T0, T0 + 1000, "model")).toEqual({
      from: T0,
      to: T0 + 1000,
      group_by: "model",
      totals: metrics(0, [0, 0, 0, 0, 0], 0, [0, 0], 0, null),
      groups: [],
      groups_truncated: false,
    });
  });

  it("refuses an unknown grouping", async () => {
    await expect(auditLog().stats(tenantId("grp"), T0, T0, "tenant" as never)).rejects.toThrow(
      new RangeError("invalid_group_by"),
    );
  });
});

describe("AuditLog over a service binding (Workers RPC)", () => {
  // The gateway's view: the entrypoint's methods through the binding, results and errors serialised by RPC.
  const rpc = () => env.AUDIT_LOG as unknown as Service<AuditLog>;

  it("answers every method as the gateway will call it", async () => {
    const tenant = tenantId("binding");
    await store([event(tenant), event(tenant, { model: "claude-3-haiku" })]);
    expect(await rpc().verify(tenant)).toMatchObject({ ok: true, checked: 2, head: { seq: 2 } });
    expect(await rpc().list(tenant, { limit: 1 })).toMatchObject({ events: [{ seq: 2 }] });
    expect(await rpc().stats(tenant, T0, T0, "model")).toMatchObject({
      groups: [
        { group: "claude-3-haiku", requests: 1 },
        { group: "gpt-4o-mini", requests: 1 },
      ],
    });
    expect(await rpc().deadLetters({ limit: 1 })).toMatchObject({ dead_letters: expect.any(Array) });
  });

  it("answers a refused argument as a value carrying its code, never as an exception across the binding", async () => {
    expect(await rpc().list(tenantId("binding-err"), { limit: 0 })).toEqual({ refused: "invalid_limit" });
    expect(await rpc().verify("../x")).toEqual({ refused: "invalid_tenant" });
    expect(await rpc().replayDeadLetter(Number.MAX_SAFE_INTEGER)).toEqual({ refused: "dead_letter_not_found" });
  });
});
