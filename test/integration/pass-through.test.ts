// Cordon validates what it interprets and passes every other field to the provider unchanged; every field
// that can change the answer is in the cache partition, including fields Cordon does not know, so that a new
// OpenAI field can never make two different requests share an entry, nor be refused.
import { describe, expect, it } from "vitest";
import { ANSWER_NEUTRAL_FIELDS } from "../../src/gateway/cache/plan";
import { call, chatBody, settle, tenantWithKey } from "../helpers";

describe("request fields pass through", async () => {
  const t = await tenantWithKey("pass");
  await settle();
  const ask = async (body: unknown, raw?: string) => {
    const res = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      ...(raw === undefined ? { body } : { rawBody: raw, headers: { "content-type": "application/json" } }),
    });
    const text = await res.text();
    await settle();
    return { status: res.status, cache: res.headers.get("x-cache"), text };
  };

  it("accepts current OpenAI fields and real assistant messages", async () => {
    const r = await ask(
      chatBody("What is a monad?", {
        verbosity: "low",
        prompt_cache_key: "k1",
        prompt_cache_retention: "24h",
        safety_identifier: "u-hash",
        reasoning_effort: "none",
        stream: null,
        user: "",
        stream_options: null,
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello!", refusal: null, annotations: [], audio: null },
          { role: "user", content: "What is a monad?" },
        ],
      }),
    );
    expect(r.status, r.text).toBe(200);
  });

  it("an unknown field is part of the partition: it never shares an entry with a request without it", async () => {
    expect((await ask(chatBody("Name a prime number."))).cache).toBe("MISS");
    expect((await ask(chatBody("Name a prime number."))).cache).toBe("HIT-EXACT");
    expect((await ask(chatBody("Name a prime number.", { frobnicate: { level: 3 } }))).cache).toBe("MISS");
    expect((await ask(chatBody("Name a prime number.", { frobnicate: { level: 3 } }))).cache).toBe("HIT-EXACT");
    expect((await ask(chatBody("Name a prime number.", { frobnicate: { level: 4 } }))).cache).toBe("MISS");
  });

  it("so is an unknown field named like a part of the partition Cordon derives (last, code)", async () => {
    for (const field of ["last", "code"]) {
      const question = `Name an even number (${field}).`;
      expect((await ask(chatBody(question, { [field]: { x: 1 } }))).cache, field).toBe("MISS");
      expect((await ask(chatBody(question, { [field]: { x: 1 } }))).cache, field).toBe("HIT-EXACT");
      expect((await ask(chatBody(question, { [field]: { x: 2 } }))).cache, field).toBe("MISS");
    }
  });

  it("answers no cross-origin preflight, and grants no origin (README, Clients)", async () => {
    const preflight = await call(t.host, "/v1/chat/completions", {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(405);
    const answered = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      body: chatBody("Name a prime number below ten."),
      headers: { origin: "https://app.example" },
    });
    expect(answered.status).toBe(200);
    for (const res of [preflight, answered]) {
      expect([...res.headers.keys()].filter((h) => h.startsWith("access-control-"))).toEqual([]);
    }
  });

  // Regression: numbers JSON cannot carry exactly were changed on the way through: two 64-bit seeds parsed to the
  // same double (one cache entry for two requests, and neither seed sent on as written); 1e400 became null.
  it("refuses a number it could not pass on as written, instead of changing it", async () => {
    const body = (extra: string) =>
      `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Name a prime number."}]${extra}}`;
    for (const extra of [',"seed":12345678901234567890', ',"frobnicate":1e400', ',"n2":[-9007199254740993]']) {
      const r = await ask(null, body(extra));
      expect(r.status, `${extra}: ${r.text}`).toBe(400);
      expect(JSON.parse(r.text).error.code, extra).toBe("invalid_json");
    }
    for (const extra of [',"seed":9007199254740991', ',"temperature":0.7']) {
      expect((await ask(null, body(extra))).status, extra).toBe(200);
    }
  });

  // Regression: a lone surrogate (\ud800, \udc00) has no UTF-8 form, and the keyed hashes of the prompt and of the
  // user turned each into U+FFFD: "\ud800" was served the answer stored for "\udc00" (and a user named
  // "alice\ud800" read the entries of "alice\udfff"), while the provider was sent each as written.
  it("refuses a lone surrogate, which two different prompts or users would share a cache key for", async () => {
    const body = (content: string, user?: string) =>
      `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"${content}"}]${user ? `,"user":"${user}"` : ""}}`;
    for (const raw of [
      body("Describe the sign \\ud800 please."),
      body("Describe the sign \\udc00 please."),
      body("Describe the sign \\udbff\\ud800 please."),
      body("Describe the sign please.", "alice\\ud800"),
      body("Describe the sign please.", "alice\\udfff"),
      `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Describe the sign please."}],"x\\udc00":1}`,
    ]) {
      const r = await ask(null, raw);
      expect(r.status, `${raw}: ${r.text}`).toBe(400);
      expect(JSON.parse(r.text).error.code, raw).toBe("invalid_json");
    }
    // A pair is one character, and a different one from another pair (the semantic tier may still match them).
    expect((await ask(null, body("Describe the sign \\ud83d\\ude00 please."))).cache).toBe("MISS");
    expect((await ask(null, body("Describe the sign \\ud83d\\ude01 please."))).cache).not.toBe("HIT-EXACT");
    expect((await ask(null, body("Describe the sign \\ud83d\\ude00 please."))).cache).toBe("HIT-EXACT");
  });

  it("answer-neutral fields do not split the partition", async () => {
    expect((await ask(chatBody("Name a colour of the rainbow."))).cache).toBe("MISS");
    const neutral = { metadata: { team: "a" }, store: true, safety_identifier: "x", prompt_cache_key: "p" };
    expect((await ask(chatBody("Name a colour of the rainbow.", neutral))).cache).toBe("HIT-EXACT");
    expect(ANSWER_NEUTRAL_FIELDS).toEqual(expect.arrayContaining(["user", "metadata", "stream_options"]));
  });

  it("regression: one choice asked by n: 1 or n: null is the request that does not name n (one entry)", async () => {
    expect((await ask(chatBody("Name a metal that is liquid at room temperature."))).cache).toBe("MISS");
    expect((await ask(chatBody("Name a metal that is liquid at room temperature.", { n: 1 }))).cache).toBe("HIT-EXACT");
    expect((await ask(chatBody("Name a metal that is liquid at room temperature.", { n: null }))).cache).toBe(
      "HIT-EXACT",
    );
    // More than one choice is never cached.
    expect((await ask(chatBody("Name a metal that is liquid at room temperature.", { n: 2 }))).cache).toBe("BYPASS");
  });

  it("a __proto__ key anywhere is refused (it would otherwise vanish from the partition), polluting nothing", async () => {
    const body = (extra: string) =>
      `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Name a planet."${extra}}]}`;
    expect((await ask(null, body(""))).status).toBe(200);
    for (const raw of [body(',"__proto__":{"admin":true}'), `{"__proto__":{"admin":true},"model":"m","messages":[]}`]) {
      const r = await ask(null, raw);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.text).error.code).toBe("invalid_json");
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});
