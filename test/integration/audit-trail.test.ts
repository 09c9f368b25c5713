// Audit trail: every request — refused ones included — produces one event that travels through the Queue into
// D1, carries a prompt hash but never prompt text, and extends the tenant's hash chain.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { verifyChain } from "../../src/logger/verify";
import { type AuditEvent, UNRESOLVED_TENANT } from "../../src/shared/audit-event";
import { call, chatBody, hostOf, settle, tenantWithKey } from "../helpers";

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
      const rows = (
        await env.AUDIT_DB.prepare("SELECT event FROM audit_events WHERE tenant = ?")
          .bind(tenant)
          .all<{ event: string }>()
      ).results;
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
      rows = (
        await env.AUDIT_DB.prepare("SELECT * FROM audit_events WHERE tenant = ? ORDER BY seq").bind(tenant).all<Row>()
      ).results;
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
    expect(event).toMatchObject({
      tenant: t.tenant,
      action: "chat.completions",
      outcome: "allowed",
      status: 200,
      cache: "MISS",
      model: "gpt-4o-mini",
    });
    expect(event.actor).toMatch(/^key:key_/);
    expect(event.prompt_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const all = JSON.stringify(rows);
    expect(all).not.toContain("Initech");
    expect(all).not.toContain("Secret plan");
    expect(all).not.toContain(JSON.parse(answer).choices[0].message.content.slice(0, 30));
  });

  it("records refused requests too: wrong key, unknown tenant, bad input", async () => {
    const badKey = await call(t.host, "/v1/chat/completions", { token: "cdn_test_garbage", body: chatBody("q") });
    const badJson = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      rawBody: "{",
      headers: { "content-type": "application/json" },
    });
    // Without a credential, an unknown tenant host answers as a known one would: nothing about existence leaks.
    const unknownHost = await call(hostOf("ghost-tenant"), "/v1/chat/completions", { body: chatBody("q") });
    const unknownHostWithKey = await call(hostOf("ghost-tenant"), "/v1/chat/completions", {
      token: t.key,
      body: chatBody("q"),
    });
    await settle();

    expect(await eventOf(t.tenant, badKey.headers.get("x-request-id"))).toMatchObject({
      status: 401,
      outcome: "denied",
      code: "malformed_api_key",
      actor: "anonymous",
      reason: "format_or_checksum",
    });
    expect(await eventOf(t.tenant, badJson.headers.get("x-request-id"))).toMatchObject({
      status: 400,
      outcome: "denied",
      code: "invalid_json",
    });
    expect(await eventOf(UNRESOLVED_TENANT, unknownHost.headers.get("x-request-id"))).toMatchObject({
      tenant: null,
      status: 401,
      code: "missing_api_key",
    });
    expect(await eventOf(UNRESOLVED_TENANT, unknownHostWithKey.headers.get("x-request-id"))).toMatchObject({
      tenant: null,
      status: 404,
      code: "tenant_not_found",
      reason: "credential_of_other_host",
    });
  });

  it("chains each tenant's events so that the chain verifies", async () => {
    await call(t.host, "/healthz");
    await settle();
    const rows = await rowsFor(t.tenant, 2);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    expect(await verifyChain(env.AUDIT_DB, t.tenant)).toMatchObject({ ok: true, checked: rows.length });
  });
});

describe("one model-name limit for requests and their events", async () => {
  it("regression: a request naming a 256-character model is audited, not rejected by the logger", async () => {
    const t = await tenantWithKey("longmodel");
    const model = `m${"x".repeat(255)}`;
    const res = await call(t.host, "/v1/chat/completions", { token: t.key, body: chatBody("hi there", { model }) });
    expect(res.status).toBe(200);
    await res.text();
    await settle();
    const requestId = res.headers.get("x-request-id")!;
    await vi.waitFor(
      async () => {
        const row = await env.AUDIT_DB.prepare("SELECT event FROM audit_events WHERE tenant = ? AND event LIKE ?")
          .bind(t.tenant, `%${requestId}%`)
          .first<{ event: string }>();
        expect(JSON.parse(row!.event)).toMatchObject({ model, status: 200 });
      },
      { timeout: 5000, interval: 25 },
    );
    const rejects = await env.AUDIT_DB.prepare("SELECT COUNT(*) AS n FROM audit_dead_letters").first<{ n: number }>();
    expect(rejects?.n).toBe(0);
  });
});
