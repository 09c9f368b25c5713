// Requests whose audit event the logger used to refuse: each event must reach the chain in D1, not the
// dead-letter queue, whatever the client put in the path and however many upstream attempts were made.
// (Unit tests hold every field of the builder to the schema: unit/audit-event.test.ts.)
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FALLBACKS_MAX } from "../../src/gateway/policy/tenant-policy";
import { MAX_ATTEMPTS } from "../../src/gateway/upstream/call";
import { call, expectError, rootToken, setPolicy, tenantWithKey } from "../helpers";
import { ask, eventOf, label, settleAll } from "./gateway-helpers";

describe("audit events the logger must accept", async () => {
  const t = await tenantWithKey("audref");

  it("a model looked up by id, found or not, under the route's own pattern", async () => {
    const found = await call(t.host, "/v1/models/openai%2Fgpt-4o-mini", { token: t.key });
    expect(found.status).toBe(200);
    await settleAll();
    expect(await eventOf(found)).toMatchObject({
      action: "models.get",
      route: "/v1/models/:id+",
      status: 200,
      model: "gpt-4o-mini",
    });

    for (const [id, model] of [
      ["openai/gpt-9-ultra", "openai/gpt-9-ultra"],
      ["%E2%80%AE", "invalid"],
      [`${"x".repeat(300)}`, "invalid"],
    ] as const) {
      const res = await call(t.host, `/v1/models/${id}`, { token: t.key });
      await expectError(res.clone(), 404, "model_not_found", "invalid_request_error");
      await settleAll();
      expect(await eventOf(res), id).toMatchObject({
        action: "models.get",
        route: "/v1/models/:id+",
        status: 404,
        code: "model_not_found",
        model,
        target: null,
      });
    }
  });

  it("a virtual key deleted under a malformed id", async () => {
    for (const id of ["not%20an%20id", "vk_%E2%80%AE", "vk_short"]) {
      const res = await call(t.host, `/v1/admin/virtual-keys/${id}`, { method: "DELETE", token: rootToken() });
      await expectError(res.clone(), 404, "virtual_key_not_found", "invalid_request_error");
      await settleAll();
      expect(await eventOf(res), id).toMatchObject({
        action: "virtual_key.delete",
        status: 404,
        reason: "malformed_virtual_key_id",
        target: null,
      });
    }
  });

  it("a miss that tried every target the tenant may list, each as often as the gateway tries one", async () => {
    const run = label();
    const fallbacks = Array.from({ length: FALLBACKS_MAX }, (_, i) => `${run}f${i}/error-500`);
    await setPolicy(t.tenant, { fallbacks });
    const model = `${run}m/error-503`;
    const r = await ask(t, "Which of my models is up?", { model });
    expect(r.status).toBe(502);
    await settleAll();
    const event = await eventOf(r.res);
    expect(event).toMatchObject({ status: 502, code: "provider_error", model });
    expect(event.upstream).toHaveLength(MAX_ATTEMPTS * (1 + FALLBACKS_MAX));
    expect(new Set(event.upstream!.map((a) => a.target))).toEqual(new Set([model, ...fallbacks]));
    await setPolicy(t.tenant, { fallbacks: [] });
  });

  it("left nothing in the dead-letter table", async () => {
    await settleAll();
    const { n } = (await env.AUDIT_DB.prepare("SELECT COUNT(*) AS n FROM audit_dead_letters").first<{ n: number }>())!;
    expect(n).toBe(0);
  });
});
