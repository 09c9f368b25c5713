// The chat path end to end: MISS → HIT-EXACT → HIT-SEMANTIC, misses for different questions, streaming on
// miss and hit, provider failures, and the isolation guarantees (tenant, user, partition).
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { call, chatBody, expectError, settle, tenantWithKey } from "../helpers";

type Completion = { choices: { message: { content: string } }[]; usage?: unknown };

async function ask(
  t: { host: string; key: string },
  content: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  const res = await call(t.host, "/v1/chat/completions", { token: t.key, body: chatBody(content, extra), headers });
  const text = await res.text();
  await settle();
  return {
    res,
    status: res.status,
    cache: res.headers.get("x-cache"),
    similarity: res.headers.get("x-cache-similarity"),
    text,
  };
}
const contentOf = (text: string) => (JSON.parse(text) as Completion).choices[0]!.message.content;

describe("chat completions through the cache", async () => {
  const t = await tenantWithKey("chat");
  await settle();

  it("MISS, then HIT-EXACT, then HIT-SEMANTIC for a surface variant, then MISS for another question", async () => {
    const first = await ask(t, "What is the capital of France?");
    expect(first.status).toBe(200);
    expect(first.cache).toBe("MISS");
    const answer = contentOf(first.text);

    const second = await ask(t, "What is the capital of France?");
    expect(second.cache).toBe("HIT-EXACT");
    expect(contentOf(second.text)).toBe(answer);

    for (const variant of [
      "what is the capital of france",
      "  What's the capital of FRANCE?!  ",
      "Hey, could you please tell me what is the capital of France?",
    ]) {
      const v = await ask(t, variant);
      expect(v.cache, variant).toBe("HIT-SEMANTIC");
      expect(Number(v.similarity)).toBeGreaterThanOrEqual(0.9);
      expect(contentOf(v.text)).toBe(answer);
    }

    const other = await ask(t, "What is the capital of Germany?");
    expect(other.cache).toBe("MISS");
    expect(contentOf(other.text)).not.toBe(answer);
    const unrelated = await ask(t, "How do I bake sourdough bread?");
    expect(unrelated.cache).toBe("MISS");
  });

  it("keeps different system prompts, models and sampling parameters apart", async () => {
    const q = "Describe the sea in one sentence.";
    expect((await ask(t, q)).cache).toBe("MISS");
    expect((await ask(t, q, { model: "gpt-4o" })).cache).toBe("MISS");
    expect((await ask(t, q, { temperature: 0.1 })).cache).toBe("MISS");
    const withSystem = {
      messages: [
        { role: "system", content: "Answer as a pirate." },
        { role: "user", content: q },
      ],
    };
    expect((await ask(t, q, withSystem)).cache).toBe("MISS");
    expect((await ask(t, q, withSystem)).cache).toBe("HIT-EXACT");
    expect((await ask(t, q)).cache).toBe("HIT-EXACT");
  });

  it("tenant B gets a MISS for tenant A's prompt", async () => {
    const b = await tenantWithKey("chatb");
    await ask(t, "Which tenant asked this first?");
    expect((await ask(t, "Which tenant asked this first?")).cache).toBe("HIT-EXACT");
    expect((await ask(b, "Which tenant asked this first?")).cache).toBe("MISS");
    expect((await ask(b, "which tenant asked this first")).cache).toBe("HIT-SEMANTIC");
  });

  it("a user-scoped request never sees another user's entries nor the tenant's", async () => {
    const q = "Summarise my last invoice.";
    expect((await ask(t, q, {}, { "x-cache-user": "alice" })).cache).toBe("MISS");
    expect((await ask(t, q, {}, { "x-cache-user": "alice" })).cache).toBe("HIT-EXACT");
    expect((await ask(t, q, { user: "alice" })).cache).toBe("HIT-EXACT");
    expect((await ask(t, q, {}, { "x-cache-user": "bob" })).cache).toBe("MISS");
    expect((await ask(t, "summarise my last invoice", {}, { "x-cache-user": "bob" })).cache).toBe("HIT-SEMANTIC");
    expect((await ask(t, "summarise my last invoice", {}, { "x-cache-user": "carol" })).cache).toBe("MISS");
    expect((await ask(t, "Summarise my last invoice, tenant-wide.")).cache).toBe("MISS");
  });

  it("no-store writes nothing; no-cache bypasses the read; only-if-cached never calls the provider", async () => {
    const q = "A question asked without consent to store.";
    const catalogBefore = await catalogCount(t.tenant);
    expect((await ask(t, q, {}, { "x-cache-control": "no-store" })).cache).toBe("MISS");
    expect(await catalogCount(t.tenant)).toBe(catalogBefore);
    expect((await ask(t, q)).cache).toBe("MISS");
    expect((await ask(t, q)).cache).toBe("HIT-EXACT");
    expect((await ask(t, q, {}, { "x-cache-control": "no-cache" })).cache).toBe("BYPASS");

    const never = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      body: chatBody("Never asked before, only from cache."),
      headers: { "x-cache-control": "only-if-cached" },
    });
    // Not to be retried: the cache would say the same (an OpenAI SDK retries a 5xx otherwise).
    expect(never.headers.get("x-should-retry")).toBe("false");
    await expectError(never, 504, "not_cached", "upstream_error");
    expect((await ask(t, q, {}, { "x-cache-control": "only-if-cached" })).cache).toBe("HIT-EXACT");
  });

  it("a request can raise the similarity threshold above a semantic match, never lower it", async () => {
    await ask(t, "Explain what a linked list is");
    const variant = "Explain what a linked list is briefly";
    const near = await ask(t, variant, {}, { "x-cache-control": "no-store" });
    expect(near.cache).toBe("HIT-SEMANTIC");
    const sim = Number(near.similarity);
    expect(sim).toBeLessThan(1);
    const stricter = (sim + 1) / 2;
    expect(
      (await ask(t, variant, {}, { "x-cache-threshold": stricter.toFixed(4), "x-cache-control": "no-store" })).cache,
    ).toBe("MISS");
    // A lower threshold than the tenant's does not widen matching.
    expect(
      (
        await ask(
          t,
          "How do linked lists differ from arrays?",
          {},
          { "x-cache-threshold": "0.0", "x-cache-control": "no-store" },
        )
      ).cache,
    ).toBe("MISS");
  });

  it("expires entries after the requested TTL, on both tiers", async () => {
    const q = "Which entry lives for two minutes?";
    expect((await ask(t, q, {}, { "x-cache-ttl": "120" })).cache).toBe("MISS");
    expect((await ask(t, q)).cache).toBe("HIT-EXACT");
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 121_000);
      expect((await ask(t, q, {}, { "x-cache-control": "no-store" })).cache).toBe("MISS");
      expect((await ask(t, "which entry lives for two minutes", {}, { "x-cache-control": "no-store" })).cache).toBe(
        "MISS",
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it("stores cached bodies encrypted: no prompt or answer text in KV", async () => {
    const q = "Unique marker question zebra-42?";
    const first = await ask(t, q);
    const answer = contentOf(first.text);
    const list = await env.CACHE.list({ prefix: `${t.tenant}:` });
    const values = await Promise.all(list.keys.map((k) => env.CACHE.get(k.name)));
    const all = list.keys.map((k) => k.name).join("\n") + values.join("\n");
    expect(list.keys.length).toBeGreaterThan(0);
    expect(all).not.toContain("zebra");
    expect(all).not.toContain(answer.slice(0, 24));
  });
});

describe("streaming", async () => {
  const t = await tenantWithKey("stream");
  await settle();

  async function streamText(content: string, extra: Record<string, unknown> = {}) {
    const res = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      body: chatBody(content, { stream: true, ...extra }),
    });
    const text = await res.text();
    await settle();
    return { res, text };
  }
  const contentOfStream = (text: string) =>
    text
      .split("\n\n")
      .filter((e) => e.startsWith("data: ") && e !== "data: [DONE]")
      .map((e) => JSON.parse(e.slice(6)) as { object: string; choices: { delta?: { content?: string } }[] })
      .map((c) => {
        expect(c.object).toBe("chat.completion.chunk");
        return c.choices[0]?.delta?.content ?? "";
      })
      .join("");

  it("passes a streamed miss through, stores it when complete, and replays it as SSE on a hit", async () => {
    const miss = await streamText("Tell me a fact about owls.");
    expect(miss.res.headers.get("x-cache")).toBe("MISS");
    expect(miss.res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(miss.text.endsWith("data: [DONE]\n\n")).toBe(true);
    const content = contentOfStream(miss.text);
    expect(content.length).toBeGreaterThan(0);

    const hit = await streamText("Tell me a fact about owls.");
    expect(hit.res.headers.get("x-cache")).toBe("HIT-EXACT");
    expect(hit.res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(hit.text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(contentOfStream(hit.text)).toBe(content);

    const plain = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      body: chatBody("tell me a fact about owls"),
    });
    expect(plain.headers.get("x-cache")).toBe("HIT-SEMANTIC");
    expect(contentOf(await plain.text())).toBe(content);
  });

  // Regression: a streamed answer was stored as its chunks rebuilt it, without the usage a stream carries only when
  // asked for, nor the message's refusal and annotations: a later unstreamed hit had no `usage`, and a streamed
  // hit that asked for usage ended with `usage: null`.
  it("stores a streamed answer whole, usage included, and keeps the usage chunk from a client that did not ask", async () => {
    const question = "Tell me a fact about herons.";
    const miss = await streamText(question);
    expect(miss.res.headers.get("x-cache")).toBe("MISS");
    const events = miss.text
      .split("\n\n")
      .filter((e) => e.startsWith("data: {"))
      .map((e) => JSON.parse(e.slice(6)) as { choices: unknown[]; usage?: unknown });
    expect(events.length).toBeGreaterThan(1);
    expect(events.every((e) => e.choices.length > 0)).toBe(true);
    // Nor the `usage: null` the provider then puts in every other chunk: the client sees what it asked for.
    expect(events.some((e) => "usage" in e)).toBe(false);

    const fresh = (await (
      await call(t.host, "/v1/chat/completions", {
        token: t.key,
        body: chatBody("Tell me a fact about herons, unstreamed."),
      })
    ).json()) as Record<string, unknown>;
    const hit = await call(t.host, "/v1/chat/completions", { token: t.key, body: chatBody(question) });
    expect(hit.headers.get("x-cache")).toBe("HIT-EXACT");
    const body = (await hit.json()) as {
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
      choices: { message: Record<string, unknown> }[];
    } & Record<string, unknown>;
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(Object.keys(body).sort()).toEqual(Object.keys(fresh).sort());
    expect(Object.keys(body.choices[0]!.message).sort()).toEqual(
      Object.keys((fresh.choices as { message: object }[])[0]!.message).sort(),
    );

    const streamedHit = await streamText(question, { stream_options: { include_usage: true } });
    expect(streamedHit.res.headers.get("x-cache")).toBe("HIT-EXACT");
    const last = streamedHit.text
      .split("\n\n")
      .filter((e) => e.startsWith("data: {"))
      .map((e) => JSON.parse(e.slice(6)) as { choices: unknown[]; usage: unknown })
      .at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(body.usage);
  });

  // Regression: a streamed hit's chunks had no `obfuscation`, which OpenAI's chunks (and a streamed miss passed
  // through) carry unless stream_options.include_obfuscation is false: a hit was told from a miss by its shape.
  it("a streamed hit carries obfuscation on its chunks, as a miss does, unless include_obfuscation is false", async () => {
    const question = "Tell me a fact about puffins.";
    const chunksOf = (text: string) =>
      text
        .split("\n\n")
        .filter((e) => e.startsWith("data: {"))
        .map((e) => JSON.parse(e.slice(6)) as { choices: unknown[]; obfuscation?: unknown });
    const padded = (c: { obfuscation?: unknown }) =>
      typeof c.obfuscation === "string" && /^[A-Za-z0-9]{1,16}$/.test(c.obfuscation);
    const miss = await streamText(question);
    expect(miss.res.headers.get("x-cache")).toBe("MISS");
    expect(chunksOf(miss.text).every(padded)).toBe(true);

    const hit = await streamText(question);
    expect(hit.res.headers.get("x-cache")).toBe("HIT-EXACT");
    expect(chunksOf(hit.text).length).toBeGreaterThan(2);
    expect(chunksOf(hit.text).every(padded)).toBe(true);
    const withUsage = await streamText(question, { stream_options: { include_usage: true } });
    expect(chunksOf(withUsage.text).every(padded)).toBe(true);

    const plain = await streamText(question, { stream_options: { include_obfuscation: false } });
    expect(plain.res.headers.get("x-cache")).toBe("HIT-EXACT");
    expect(chunksOf(plain.text).some((c) => "obfuscation" in c)).toBe(false);
    expect(contentOfStream(plain.text)).toBe(contentOfStream(hit.text));
  });

  it("a hit reports the service tier its own request asked for", async () => {
    const question = "Tell me a fact about cranes.";
    expect((await streamText(question)).res.headers.get("x-cache")).toBe("MISS");
    for (const [asked, reported] of [
      ["flex", "flex"],
      ["priority", "priority"],
    ] as const) {
      const res = await call(t.host, "/v1/chat/completions", {
        token: t.key,
        body: chatBody(question, { service_tier: asked }),
      });
      expect(res.headers.get("x-cache")).toBe("HIT-EXACT");
      expect(((await res.json()) as { service_tier: string }).service_tier).toBe(reported);
    }
  });

  it("refuses stream_options without stream, as OpenAI does, whatever the cache holds", async () => {
    const question = "Tell me a fact about storks.";
    expect((await streamText(question)).res.headers.get("x-cache")).toBe("MISS");
    const res = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      body: chatBody(question, { stream_options: { include_usage: true } }),
    });
    await expectError(res, 400, "invalid_field", "invalid_request_error");
  });

  it("ends a stream that breaks before [DONE] with an OpenAI error event, and stores nothing", async () => {
    const before = await catalogCount(t.tenant);
    const res = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      body: chatBody("Will this stream break?", { stream: true, model: "local/broken-stream" }),
    });
    expect(res.headers.get("x-cache")).toBe("MISS");
    const text = await res.text();
    expect(text).not.toContain("[DONE]");
    const last = text.trim().split("\n\n").at(-1)!;
    const event = JSON.parse(last.slice("data: ".length));
    expect(event).toMatchObject({ error: { type: "server_error", code: "stream_interrupted" } });
    // Like every error, it says what to do and links its catalogue entry on the request's origin.
    expect(event.error.message).toMatch(
      new RegExp(`Retry the request.*See https://${t.host.replace(/\./g, "\\.")}/docs/errors#stream_interrupted\\.$`),
    );
    await settle();
    expect(await catalogCount(t.tenant)).toBe(before);
  });

  it("ends a stream the provider closes without [DONE] with an error event too", async () => {
    const res = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      body: chatBody("Will this stream stop early?", { stream: true, model: "local/error-after-2" }),
    });
    const text = await res.text();
    expect(text).not.toContain("[DONE]");
    expect(text).toMatch(/"error":/);
  });
});

describe("provider failures", async () => {
  const t = await tenantWithKey("fail");
  await settle();

  it.each([
    ["local/error-500", 502, "provider_error", "upstream_error"],
    ["local/error-401", 502, "provider_auth_failed", "upstream_error"],
    ["local/broken-stream", 502, "upstream_invalid_response", "upstream_error"],
    ["local/hang", 504, "upstream_timeout", "upstream_error"],
  ])("%s → %i %s, never cached", async (model, status, code, type) => {
    const before = await catalogCount(t.tenant);
    const res = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      body: chatBody("Does the provider work?", { model }),
    });
    await expectError(res, status, code, type);
    // Cordon already made its attempts (or the provider answered and charged): the SDK must not add its own.
    expect(res.headers.get("x-should-retry"), code).toBe("false");
    await settle();
    expect(await catalogCount(t.tenant)).toBe(before);
    const again = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      body: chatBody("Does the provider work?", { model }),
    });
    expect(again.headers.get("x-cache")).not.toMatch(/^HIT/);
    await again.text();
  });
});

async function catalogCount(tenant: string): Promise<number> {
  return env.TENANT_OBJECT.get(env.TENANT_OBJECT.idFromName(tenant)).catalogCount();
}
