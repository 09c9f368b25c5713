// Audit trail: every request — refused ones included — produces one event that travels through the Queue into
// D1, carries a prompt hash but never prompt text, and extends the tenant's hash chain.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { verifyChain, listEvents } from "../src/logger/audit-log";
import { retryDelaySeconds } from "../src/logger/consumer";
import logger from "../src/logger/index";
import { type AuditEvent, UNRESOLVED_TENANT } from "../src/shared/audit";
import { call, chatBody, hostOf, settle, tenantWithKey } from "./helpers";

interface Row {
  tenant: string;
  seq: number;
  action: string;
  outcome: string;
  status: number;
  event: string;
}

/** The stored event of one request, waiting for it to come through the Queue. */
async function eventOf(tenant: string, requestId: string | null): Promise<AuditEvent> {
  let found: AuditEvent | undefined;
  await vi.waitFor(
    async () => {
      const rows = (await env.AUDIT_DB.prepare("SELECT event FROM audit_events WHERE tenant = ?").bind(tenant).all<{ event: string }>()).results;
      found = rows.map((r) => JSON.parse(r.event) as AuditEvent).find((e) => e.request_id === requestId);
      expect(found).toBeDefined();
    },
    { timeout: 5000, interval: 25 },
  );
  return found!;
}

async function rowsFor(tenant: string, atLeast: number): Promise<Row[]> {
  let rows: Row[] = [];
  await vi.waitFor(
    async () => {
      rows = (await env.AUDIT_DB.prepare("SELECT * FROM audit_events WHERE tenant = ? ORDER BY seq").bind(tenant).all<Row>()).results;
      expect(rows.length).toBeGreaterThanOrEqual(atLeast);
    },
    { timeout: 5000, interval: 25 },
  );
  return rows;
}

describe("audit events through the Queue into D1", async () => {
  const t = await tenantWithKey("aud");
  await settle();

  it("records an allowed request, with the prompt's hash and never its text", async () => {
    const prompt = "Secret plan: acquire Initech for 3 million";
    const res = await call(t.host, "/v1/chat/completions", { token: t.key, body: chatBody(prompt) });
    const requestId = res.headers.get("x-request-id");
    const answer = await res.text();
    await settle();
    const event = await eventOf(t.tenant, requestId);
    const rows = await rowsFor(t.tenant, 1);
    expect(event).toMatchObject({ tenant: t.tenant, action: "chat.completions", outcome: "allowed", status: 200, cache: "MISS", model: "gpt-4o-mini" });
    expect(event.actor).toMatch(/^key:key_/);
    expect(event.prompt_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const all = JSON.stringify(rows);
    expect(all).not.toContain("Initech");
    expect(all).not.toContain("Secret plan");
    expect(all).not.toContain(JSON.parse(answer).choices[0].message.content.slice(0, 30));
  });

  it("records refused requests too: wrong key, unknown tenant, bad input", async () => {
    const badKey = await call(t.host, "/v1/chat/completions", { token: "cdn_test_garbage", body: chatBody("q") });
    const badJson = await call(t.host, "/v1/chat/completions", { token: t.key, rawBody: "{", headers: { "content-type": "application/json" } });
    const unknownHost = await call(hostOf("ghost-tenant"), "/v1/chat/completions", { body: chatBody("q") });
    await settle();

    expect(await eventOf(t.tenant, badKey.headers.get("x-request-id"))).toMatchObject({
      status: 401, outcome: "denied", code: "malformed_api_key", actor: "anonymous", detail: "format or checksum",
    });
    expect(await eventOf(t.tenant, badJson.headers.get("x-request-id"))).toMatchObject({ status: 400, outcome: "denied", code: "invalid_json" });
    expect(await eventOf(UNRESOLVED_TENANT, unknownHost.headers.get("x-request-id"))).toMatchObject({
      tenant: null, status: 404, code: "tenant_not_found",
    });
  });

  it("chains each tenant's events so that the chain verifies", async () => {
    await call(t.host, "/healthz");
    await settle();
    const rows = await rowsFor(t.tenant, 2);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    expect(await verifyChain(env.AUDIT_DB, t.tenant)).toMatchObject({ ok: true, count: rows.length });
  });
});

// ── the consumer, message by message ──────────────────────────────────────────────────────────────────

function event(tenant: string | null, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    v: 1,
    id: crypto.randomUUID(),
    ts: Date.now(),
    request_id: `req_${crypto.randomUUID().replace(/-/g, "")}`,
    tenant,
    actor: "key:key_test",
    action: "chat.completions",
    outcome: "allowed",
    status: 200,
    code: null,
    detail: null,
    method: "POST",
    route: "/v1/chat/completions",
    cache: "MISS",
    model: "gpt-4o-mini",
    prompt_hash: "h".repeat(43),
    entry_id: null,
    similarity: null,
    prompt_tokens: 10,
    completion_tokens: 20,
    cost_saved: null,
    latency_ms: 12,
    ...extra,
  };
}

async function deliver(bodies: unknown[], dbEnv: CordonLogger.Env = env) {
  const batch = createMessageBatch("cordon-audit", bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await logger.queue(batch, dbEnv);
  return getQueueResult(batch, ctx);
}

describe("audit consumer", () => {
  it("acks valid events one by one and chains them in order", async () => {
    const events = [event("cons-a"), event("cons-a"), event("cons-b"), event("cons-a")];
    const result = await deliver(events);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1", "m2", "m3"]);
    expect(result.retryMessages).toEqual([]);
    const a = await listEvents(env.AUDIT_DB, "cons-a", {});
    expect(a.events.map((e) => e.seq)).toEqual([3, 2, 1]);
    expect(a.events.map((e) => e.id)).toEqual([events[3]!.id, events[1]!.id, events[0]!.id]);
    expect(await verifyChain(env.AUDIT_DB, "cons-a")).toMatchObject({ ok: true, count: 3 });
    expect(await verifyChain(env.AUDIT_DB, "cons-b")).toMatchObject({ ok: true, count: 1 });
  });

  it("de-duplicates a redelivered event (at-least-once delivery)", async () => {
    const e = event("cons-dup");
    await deliver([e]);
    const result = await deliver([e, e]);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1"]);
    const { n } = (await env.AUDIT_DB.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE id = ?").bind(e.id).first<{ n: number }>())!;
    expect(n).toBe(1);
  });

  it("keeps an invalid message in audit_rejects and acks it", async () => {
    const result = await deliver([{ hello: "world" }, event("cons-rej", { status: 999 })]);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1"]);
    const rejects = await env.AUDIT_DB.prepare("SELECT body FROM audit_rejects").all<{ body: string }>();
    expect(rejects.results.map((r) => r.body)).toEqual(expect.arrayContaining([JSON.stringify({ hello: "world" })]));
    expect(rejects.results.length).toBeGreaterThanOrEqual(2);
  });

  it("retries with backoff when D1 fails, and acks nothing", async () => {
    const failing = {
      ...env,
      AUDIT_DB: new Proxy(env.AUDIT_DB, {
        get(target, prop) {
          if (prop === "batch") return () => Promise.reject(new Error("D1 unavailable"));
          const v = Reflect.get(target, prop);
          return typeof v === "function" ? v.bind(target) : v;
        },
      }),
    };
    const result = await deliver([event("cons-fail"), event("cons-fail")], failing);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["m0", "m1"]);
    expect(await verifyChain(env.AUDIT_DB, "cons-fail")).toMatchObject({ ok: true, count: 0 });
  });

  it("backs off exponentially, capped at five minutes", () => {
    expect([1, 2, 3, 8, 9, 20].map(retryDelaySeconds)).toEqual([2, 4, 8, 256, 300, 300]);
  });

  it("stores events without a tenant under the unresolved pseudo-tenant", async () => {
    const e = event(null, { status: 404, outcome: "denied", code: "tenant_not_found" });
    await deliver([e]);
    const page = await listEvents(env.AUDIT_DB, UNRESOLVED_TENANT, {});
    expect(page.events.map((x) => x.id)).toContain(e.id);
  });

  it("verification finds a tampered event, a deleted event and a stale head", async () => {
    await deliver([event("cons-tamper"), event("cons-tamper"), event("cons-tamper")]);
    await env.AUDIT_DB.prepare(`UPDATE audit_events SET event = replace(event, '"status":200', '"status":201') WHERE tenant = 'cons-tamper' AND seq = 2`).run();
    expect(await verifyChain(env.AUDIT_DB, "cons-tamper")).toMatchObject({ ok: false, first_bad_seq: 2 });

    await deliver([event("cons-delete"), event("cons-delete"), event("cons-delete")]);
    await env.AUDIT_DB.prepare(`DELETE FROM audit_events WHERE tenant = 'cons-delete' AND seq = 2`).run();
    expect(await verifyChain(env.AUDIT_DB, "cons-delete")).toMatchObject({ ok: false, first_bad_seq: 2 });

    await deliver([event("cons-tail"), event("cons-tail")]);
    await env.AUDIT_DB.prepare(`DELETE FROM audit_events WHERE tenant = 'cons-tail' AND seq = 2`).run();
    expect(await verifyChain(env.AUDIT_DB, "cons-tail")).toMatchObject({ ok: false, count: 1, first_bad_seq: 2 });
  });

  it("lists with filters and pages", async () => {
    const now = Date.now();
    await deliver([
      event("cons-list", { ts: now - 3000, action: "cache.query" }),
      event("cons-list", { ts: now - 2000, actor: "root" }),
      event("cons-list", { ts: now - 1000 }),
      event("cons-list", { ts: now }),
    ]);
    expect((await listEvents(env.AUDIT_DB, "cons-list", { action: "cache.query" })).events).toHaveLength(1);
    expect((await listEvents(env.AUDIT_DB, "cons-list", { actor: "root" })).events).toHaveLength(1);
    expect((await listEvents(env.AUDIT_DB, "cons-list", { from: now - 1500 })).events).toHaveLength(2);
    const first = await listEvents(env.AUDIT_DB, "cons-list", { limit: 3 });
    expect(first.events.map((e) => e.seq)).toEqual([4, 3, 2]);
    const second = await listEvents(env.AUDIT_DB, "cons-list", { limit: 3, cursor: first.next_cursor! });
    expect(second.events.map((e) => e.seq)).toEqual([1]);
    expect(second.next_cursor).toBeNull();
  });
});
