// POST /v1/responses under the tenant's policy and the caller's controls: PII modes, consent (no-store),
// only-if-cached, user scopes, timing protection; hostile input refused in the contract's error shape, writing
// nothing; the audit event; and Responses entries through the cache-entry endpoints.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  auditEventWhere,
  call,
  createKey,
  createTenant,
  expectError,
  hostOf,
  kvSnapshot,
  settle,
  tenantWithKey,
  uniqueTenant,
} from "../helpers";
import { catalogCount, eventsOf, outputText, respond, stateless } from "./responses-helpers";

const EMAIL_PROMPT = "Write a polite follow-up to maria.keller@gmail.com about the unpaid invoice.";

async function tenantWithPolicy(prefix: string, policy: Record<string, unknown>) {
  const tenant = uniqueTenant(prefix);
  await createTenant(tenant, { policy });
  const t = { tenant, host: hostOf(tenant), key: await createKey(tenant) };
  await settle();
  return t;
}

describe("personal data", () => {
  it("block: 422 pii_detected, naming the kind — in the input or the instructions", async () => {
    const t = await tenantWithPolicy("rpiib", { pii_mode: "block" });
    for (const body of [
      stateless(EMAIL_PROMPT),
      stateless("Say hello.", { instructions: "The user is maria.keller@gmail.com." }),
      { model: "gpt-4o-mini", input: [{ role: "user", content: [{ type: "input_text", text: EMAIL_PROMPT }] }] },
      {
        model: "gpt-4o-mini",
        input: [
          { role: "user", content: "Send the receipt." },
          {
            type: "function_call",
            call_id: "call_1",
            name: "send_receipt",
            arguments: JSON.stringify({ to: "maria.keller@gmail.com" }),
          },
          { type: "function_call_output", call_id: "call_1", output: "sent" },
          { role: "user", content: "Thanks." },
        ],
      },
    ]) {
      const res = await call(t.host, "/v1/responses", { token: t.key, body });
      expect(res.status).toBe(422);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe("pii_detected");
      expect(error.message).toContain("email");
      expect(error.message).not.toContain("maria");
    }
    await settle();
    expect(await catalogCount(t.tenant)).toBe(0);
  });

  it("redact: the provider and the cache see placeholders, never the value", async () => {
    const t = await tenantWithPolicy("rpiir", { pii_mode: "redact" });
    const first = await respond(t, stateless(EMAIL_PROMPT));
    expect(first.status).toBe(200);
    expect(first.cache).toBe("MISS");
    const text = outputText(first.json());
    expect(text).toContain("[EMAIL]");
    expect(text).not.toContain("maria.keller");
    const stateful = await respond(t, {
      model: "gpt-4o-mini",
      input: "Hi",
      instructions: "Mail maria.keller@gmail.com",
    });
    expect(stateful.json()).toMatchObject({ instructions: "Mail [EMAIL]" });
    const other = await respond(t, stateless(EMAIL_PROMPT.replace("maria.keller", "john.smith")));
    expect(other.cache).toBe("HIT-EXACT");
  });

  it("skip (the default): answered, never cached", async () => {
    const t = await tenantWithKey("rpiis");
    await settle();
    for (let i = 0; i < 2; i++) {
      const r = await respond(t, stateless(EMAIL_PROMPT));
      expect(r.status).toBe(200);
      expect(r.cache).toBe("BYPASS");
      expect(r.reason).toBe("bypass:pii_skip");
      expect(outputText(r.json())).toContain("maria.keller@gmail.com");
    }
    expect(await catalogCount(t.tenant)).toBe(0);
  });
});

describe("cache controls", async () => {
  const t = await tenantWithKey("rctl");
  await settle();

  it("no-store writes nothing; only-if-cached never calls the provider", async () => {
    const q = "A question asked without consent to store.";
    const before = await catalogCount(t.tenant);
    expect((await respond(t, stateless(q), { "x-cache-control": "no-store" })).cache).toBe("MISS");
    expect(await catalogCount(t.tenant)).toBe(before);
    expect((await respond(t, stateless(q))).cache).toBe("MISS");
    expect((await respond(t, stateless(q), { "x-cache-control": "only-if-cached" })).cache).toBe("HIT-EXACT");
    expect((await respond(t, stateless(q), { "x-cache-control": "no-cache" })).cache).toBe("BYPASS");

    const never = await call(t.host, "/v1/responses", {
      token: t.key,
      body: stateless("Never asked before, only from cache."),
      headers: { "x-cache-control": "only-if-cached" },
    });
    expect(never.headers.get("x-should-retry")).toBe("false");
    await expectError(never, 504, "not_cached", "upstream_error");
    const stateful = await call(t.host, "/v1/responses", {
      token: t.key,
      body: { model: "gpt-4o-mini", input: "Stateful and only-if-cached." },
      headers: { "x-cache-control": "only-if-cached" },
    });
    await expectError(stateful, 504, "not_cached", "upstream_error");
  });

  it("a user's entries are that user's: x-cache-user or `user` narrows the scope", async () => {
    const q = "Summarise my last invoice.";
    expect((await respond(t, stateless(q), { "x-cache-user": "alice" })).cache).toBe("MISS");
    const again = await respond(t, stateless(q, { user: "alice" }));
    expect(again.cache).toBe("HIT-EXACT");
    expect(again.json().user).toBe("alice");
    expect((await respond(t, stateless(q), { "x-cache-user": "bob" })).cache).toBe("MISS");
    expect((await respond(t, stateless(q))).cache).toBe("MISS");
    const conflict = await call(t.host, "/v1/responses", {
      token: t.key,
      body: stateless(q, { user: "alice" }),
      headers: { "x-cache-user": "bob" },
    });
    await expectError(conflict, 400, "conflicting_cache_user", "invalid_request_error");
  });

  it("timing protection: no cache headers, fresh ids on misses, streamed deltas padded", async () => {
    const p = await tenantWithPolicy("rtime", { timing_protection: true });
    const q = "Is this answer protected?";
    const miss = await respond(p, stateless(q));
    const hit = await respond(p, stateless(q));
    for (const r of [miss, hit]) {
      expect(r.status).toBe(200);
      for (const h of ["x-cache", "x-cache-entry-id", "x-cache-similarity", "x-cache-tokens-saved"]) {
        expect(r.res.headers.get(h), h).toBeNull();
      }
    }
    expect(outputText(hit.json())).toBe(outputText(miss.json()));
    const streamed = await respond(p, stateless("A protected stream, please.", { stream: true }));
    const blocks = streamed.text.split("\n\n").filter((b) => b.startsWith("event: response.output_text.delta"));
    expect(blocks.length).toBeGreaterThan(0);
    for (const b of blocks) expect(new TextEncoder().encode(`${b}\n\n`).length % 256).toBe(0);
    const events = eventsOf(streamed.text);
    const id = events[0]!.response!.id;
    expect(events.at(-1)!.response!.id).toBe(id);
    expect(events.find((e) => e.type === "response.output_item.added")!.item).toMatchObject({
      id: events.at(-1)!.response!.output[0]!.id,
    });
  });
});

describe("hostile input", async () => {
  const t = await tenantWithKey("rhost");
  await settle();
  const send = (rawBody: string) =>
    call(t.host, "/v1/responses", { token: t.key, rawBody, headers: { "content-type": "application/json" } });

  it.each([
    ["an array body", "[1,2]", "invalid_request"],
    ["a string body", '"hello"', "invalid_request"],
    ["null", "null", "invalid_request"],
    ["input as a number", '{"model":"gpt-4o-mini","input":42}', "invalid_field"],
    ["input as an object", '{"model":"gpt-4o-mini","input":{"role":"user"}}', "invalid_field"],
    ["no input", '{"model":"gpt-4o-mini"}', "invalid_field"],
    ["an empty model", '{"model":"","input":"hi"}', "invalid_field"],
    ["a message with an unknown role", '{"model":"m","input":[{"role":"tool","content":"x"}]}', "invalid_field"],
    ["an item that is not an object", '{"model":"m","input":["hi"]}', "invalid_field"],
    ["stream as a string", '{"model":"m","input":"hi","stream":"yes"}', "invalid_field"],
    ["store as a string", '{"model":"m","input":"hi","store":"false"}', "invalid_field"],
    [
      "a text part without text",
      '{"model":"m","input":[{"role":"user","content":[{"type":"input_text"}]}]}',
      "invalid_field",
    ],
    ["broken JSON", '{"model":"m","input":', "invalid_json"],
    ["deep nesting", `{"model":"m","input":"hi","x":${"[".repeat(100)}${"]".repeat(100)}}`, "invalid_json"],
    ["a __proto__ key", '{"model":"m","input":"hi","__proto__":{"admin":true}}', "invalid_json"],
  ])("%s → 400 %s, nothing written", async (_what, raw, code) => {
    const before = await kvSnapshot();
    await expectError(await send(raw), 400, code, "invalid_request_error");
    await settle();
    expect(await kvSnapshot()).toEqual(before);
  });

  it("a huge body → 413, and a non-JSON content type → 415", async () => {
    const huge = JSON.stringify(stateless("x".repeat(70_000)));
    await expectError(await send(huge), 413, "payload_too_large", "invalid_request_error");
    const res = await call(t.host, "/v1/responses", { token: t.key, rawBody: "input=hi" });
    await expectError(res, 415, "unsupported_media_type", "invalid_request_error");
  });

  it("no credential → 401; a viewer key (no completions scope) → 403", async () => {
    await expectError(
      await call(t.host, "/v1/responses", { body: stateless("hi") }),
      401,
      "missing_api_key",
      "authentication_error",
    );
    const viewer = await createKey(t.tenant, { role: "viewer" });
    await expectError(
      await call(t.host, "/v1/responses", { token: viewer, body: stateless("hi") }),
      403,
      "insufficient_scope",
      "permission_error",
    );
  });
});

describe("audit and cache entries", async () => {
  const t = await tenantWithKey("raud");
  await settle();

  it("records each request: action, cache status, model, prompt hash and tokens, never the text", async () => {
    const prompt = "Secret plan: acquire Initech for 3 million";
    const miss = await respond(t, stateless(prompt));
    const hit = await respond(t, stateless(prompt));
    const stateful = await respond(t, { model: "gpt-4o-mini", input: prompt });
    const eventOf = (r: { res: Response }) =>
      auditEventWhere((e) => e.request_id === r.res.headers.get("x-request-id"));
    const m = await eventOf(miss);
    expect(m).toMatchObject({
      action: "responses.create",
      route: "/v1/responses",
      cache: "MISS",
      model: "gpt-4o-mini",
    });
    expect(m.entry_id).toBe(miss.entryId);
    expect(m.prompt_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(m.prompt_tokens).toBe(miss.json().usage.input_tokens);
    const h = await eventOf(hit);
    expect(h).toMatchObject({ cache: "HIT-EXACT", entry_id: miss.entryId, prompt_hash: m.prompt_hash });
    const s = await eventOf(stateful);
    expect(s).toMatchObject({ cache: "BYPASS", cache_reason: "bypass:stateful", prompt_hash: null });
    expect((s.upstream as unknown[]).length).toBe(1);
    const all = JSON.stringify([m, h, s]);
    expect(all).not.toContain("Initech");
    expect(all).not.toContain(outputText(miss.json()).slice(0, 30));
  });

  it("GET shows the output text, export lists a user's entries, DELETE removes one", async () => {
    const owner = await createKey(t.tenant, { role: "owner" });
    const o = { host: t.host, key: owner };
    const miss = await respond(o, stateless("What do owls eat?"), { "x-cache-user": "ursula" });
    const id = miss.entryId!;
    const view = await call(t.host, `/v1/cache/entries/${id}`, { token: owner });
    expect(view.status).toBe(200);
    expect(await view.json()).toMatchObject({
      id,
      api: "responses",
      scope: "user",
      response: outputText(miss.json()),
      usage: miss.json().usage,
    });
    const exported = await call(t.host, "/v1/cache/export?user=ursula", { token: owner });
    const lines = new TextDecoder()
      .decode(await exported.arrayBuffer())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ id, api: "responses", response: outputText(miss.json()) })]);
    expect((await call(t.host, `/v1/cache/entries/${id}`, { method: "DELETE", token: owner })).status).toBe(200);
    await settle();
    expect((await respond(o, stateless("What do owls eat?"), { "x-cache-user": "ursula" })).cache).toBe("MISS");
    expect(await env.CACHE.get(`${t.tenant}:e:${id}`)).toBeNull();
  });
});
