// Upstream errors as the provider said them, through the gateway, with the local provider's fault models:
// its 4xx pass through with its status and OpenAI error body (type, code, param, message) and
// x-should-retry: false; its 429 keeps Retry-After and the x-ratelimit-* headers after Cordon's own retries;
// a timeout is 504, other 5xx are 502 provider_error (type upstream_error), in the contract's error shape. No
// error is ever cached: the same request afterwards goes upstream again. Each attempt is in the audit event.
import { describe, expect, it } from "vitest";
import { expectError, tenantWithKey } from "../helpers";
import { ask, catalogCount, eventOf, label, settleAll } from "./gateway-helpers";

interface PassedOn {
  error: { type: string; code: string | null; param: string | null; message: string; request_id: string };
}

describe("provider errors through the gateway", async () => {
  const t = await tenantWithKey("uperr");
  const run = label();

  /** Asks twice: an error must be answered the same way the second time, upstream again, nothing stored. */
  async function twice(model: string, content = `Will ${model} answer?`, extra: Record<string, unknown> = {}) {
    const before = await catalogCount(t.tenant);
    const first = await ask(t, content, { model, ...extra });
    await settleAll();
    const second = await ask(t, content, { model, ...extra });
    await settleAll();
    expect(second.status).toBe(first.status);
    expect(second.cache).toBe("MISS");
    const [e1, e2] = [await eventOf(first.res), await eventOf(second.res)];
    for (const e of [e1, e2]) {
      expect(e).toMatchObject({ cache: "MISS", entry_id: null, model });
      expect(e.upstream!.length).toBeGreaterThanOrEqual(1);
      expect(e.upstream!.every((a) => a.target === model)).toBe(true);
    }
    expect(await catalogCount(t.tenant)).toBe(before);
    return { first, second, event: e1 };
  }

  it.each([
    [400, { type: "invalid_request_error", code: null, param: "messages" }],
    [404, { type: "invalid_request_error", code: "model_not_found", param: "model" }],
    [422, { type: "invalid_request_error", code: null, param: null }],
  ])("passes the provider's %i on with its status and body, x-should-retry: false", async (status, fields) => {
    const model = `${run}/error-${status}`;
    const { first, event } = await twice(model);
    expect(first.status).toBe(status);
    expect(first.res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(first.res.headers.get("x-should-retry")).toBe("false");
    const body = JSON.parse(first.text) as PassedOn;
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "request_id", "type"]);
    expect(body.error).toEqual({
      ...fields,
      message: `Injected fault: model error-${status} answers HTTP ${status}.`,
      request_id: first.id,
    });
    // Refused by the provider: not retried, not tried elsewhere.
    expect(event).toMatchObject({
      status,
      outcome: "denied",
      code: "provider_rejected",
      reason: `provider_status_${status}${fields.code ? `:${fields.code}` : ""}`,
      upstream: [{ target: model, outcome: "error", status }],
    });
  });

  it("passes a 429 on after retrying on its Retry-After, with the provider's rate-limit headers", async () => {
    const model = `${run}/error-429`;
    const started = Date.now();
    const r = await ask(t, "Am I rate limited?", { model });
    // Three attempts, one second apart as the provider's Retry-After: 1 asked.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(r.status).toBe(429);
    expect(
      Object.fromEntries([...r.res.headers].filter(([k]) => /^(retry-after|x-ratelimit-|x-should-)/.test(k))),
    ).toEqual({
      "retry-after": "1",
      "x-ratelimit-limit-requests": "60",
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "1s",
      "x-should-retry": "true",
    });
    expect((JSON.parse(r.text) as PassedOn).error).toEqual({
      type: "requests",
      code: "rate_limit_exceeded",
      param: null,
      message: "Injected fault: model error-429 answers HTTP 429.",
      request_id: r.id,
    });
    const event = await eventOf(r.res);
    expect(event).toMatchObject({ status: 429, code: "rate_limited", reason: "provider_rate_limited", cache: "MISS" });
    expect(event.upstream).toEqual([1, 2, 3].map(() => expect.objectContaining({ outcome: "error", status: 429 })));
  });

  it.each([500, 502, 503])("turns the provider's %i into 502 provider_error, after retrying", async (status) => {
    const model = `${run}${status}/error-${status}`;
    const { first, second, event } = await twice(model);
    for (const r of [first, second]) {
      expect(r.res.headers.get("x-should-retry")).toBe("false");
      await expectError(new Response(r.text, r.res), 502, "provider_error", "upstream_error");
      expect(JSON.parse(r.text).error.message).toContain(`The model provider returned HTTP ${status}.`);
    }
    expect(event).toMatchObject({ status: 502, outcome: "error", reason: `provider_status_${status}` });
    expect(event.upstream!.map((a) => [a.outcome, a.status])).toEqual([
      ["error", status],
      ["error", status],
      ["error", status],
    ]);
  });

  it("turns a provider that does not answer within PROVIDER_TIMEOUT_MS into 504, without asking it again", async () => {
    const model = `${run}/slow-2600`;
    const { first, event } = await twice(model);
    await expectError(new Response(first.text, first.res), 504, "upstream_timeout", "upstream_error");
    expect(first.res.headers.get("x-should-retry")).toBe("false");
    expect(event).toMatchObject({ status: 504, outcome: "error", code: "upstream_timeout" });
    expect(event.upstream).toEqual([
      { target: model, outcome: "timeout", status: null, latency_ms: expect.any(Number) },
    ]);
    expect(event.upstream![0]!.latency_ms).toBeGreaterThanOrEqual(1900);
  });

  it("says 502 provider_auth_failed, not the provider's 401, when the provider refuses Cordon's credential", async () => {
    const { first } = await twice(`${run}/error-401`);
    expect(first.res.headers.get("x-should-retry")).toBe("false");
    await expectError(new Response(first.text, first.res), 502, "provider_auth_failed", "upstream_error");
  });

  it("answers a streamed request the provider refuses before streaming with the JSON error, not a stream", async () => {
    const model = `${run}s/error-400`;
    const { first } = await twice(model, "Stream this, please.", { stream: true });
    expect(first.status).toBe(400);
    expect(first.res.headers.get("content-type")).toMatch(/^application\/json/);
    expect((JSON.parse(first.text) as PassedOn).error).toMatchObject({ param: "messages", request_id: first.id });
  });
});
