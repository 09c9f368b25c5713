// POST /v1/embeddings: OpenAI's shape (string, array, token-array input; float and base64), exact-cached per
// input within the tenant's cache scope, the provider asked only for the inputs still missing, the tenant's PII
// policy and consent applied, vectors sealed at rest and gone with an erasure.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { shareTokens } from "../../src/gateway/embeddings/answer";
import type { UpstreamAttemptRequest } from "../../src/gateway/ports/provider";
import { getRuntime } from "../../src/gateway/runtime";
import { auditEventWhere, call, expectError, rootToken, setPolicy, settle, tenantWithKey } from "../helpers";

const MODEL = "text-embedding-3-small";

interface EmbeddingList {
  object: string;
  data: { object: string; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

type World = Awaited<ReturnType<typeof tenantWithKey>>;

async function embed(w: World, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await call(w.host, "/v1/embeddings", { token: w.key, body: { model: MODEL, ...body }, headers });
  const text = await res.text();
  await settle();
  return {
    status: res.status,
    cache: res.headers.get("x-cache"),
    hits: res.headers.get("x-cache-hits"),
    headers: res.headers,
    text,
    json: () => JSON.parse(text) as EmbeddingList,
  };
}

/** What the provider was asked for, request by request (the gateway's single provider port, spied on). */
async function upstreamInputs(): Promise<() => unknown[]> {
  const rt = await getRuntime(env);
  const spy = vi.spyOn(rt.provider, "send");
  return () =>
    spy.mock.calls
      .map(([req]) => req as UpstreamAttemptRequest)
      .filter((r) => r.path === "embeddings")
      .map((r) => ("body" in r ? r.body.input : undefined));
}

const decode = (b64: string) => {
  const bin = atob(b64);
  const view = new DataView(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
  return Array.from({ length: bin.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe("GET /v1/models", async () => {
  const w = await tenantWithKey("models", { role: "viewer" });

  it("lists the catalogue in OpenAI's shape for any valid key, even one without the completions scope", async () => {
    const res = await call(w.host, "/v1/models", { token: w.key });
    expect(res.status).toBe(200);
    const list = (await res.json()) as { object: string; data: Record<string, unknown>[] };
    expect(list.object).toBe("list");
    expect(list.data.map((m) => m.id)).toEqual(expect.arrayContaining(["gpt-4o-mini", MODEL]));
    for (const m of list.data) {
      expect(Object.keys(m).sort()).toEqual(["created", "id", "object", "owned_by"]);
      expect(m.object).toBe("model");
      expect(Number.isInteger(m.created) && (m.created as number) > 1_600_000_000).toBe(true);
    }
  });

  it("retrieves one model by id, with or without its provider prefix, percent-encoded or not", async () => {
    for (const id of ["gpt-4o-mini", "openai/gpt-4o-mini", "openai%2Fgpt-4o-mini"]) {
      const res = await call(w.host, `/v1/models/${id}`, { token: w.key });
      expect(res.status, id).toBe(200);
      expect(await res.json()).toMatchObject({ id: "gpt-4o-mini", object: "model", owned_by: "openai" });
    }
  });

  it("answers an unknown model 404 model_not_found, as OpenAI does", async () => {
    for (const id of ["gpt-9-ultra", "anthropic/gpt-4o-mini", "%E2%80%AE"]) {
      await expectError(
        await call(w.host, `/v1/models/${id}`, { token: w.key }),
        404,
        "model_not_found",
        "invalid_request_error",
      );
    }
  });

  it("needs a credential of the tenant", async () => {
    await expectError(await call(w.host, "/v1/models"), 401, "missing_api_key", "authentication_error");
    const other = await tenantWithKey("models-other");
    await expectError(
      await call(w.host, "/v1/models", { token: other.key }),
      403,
      "tenant_mismatch",
      "permission_error",
    );
  });
});

describe("POST /v1/embeddings", async () => {
  const w = await tenantWithKey("emb");

  it("answers a miss, then the same input from the cache: same vector, same usage, provider asked once", async () => {
    const asked = await upstreamInputs();
    const first = await embed(w, { input: "The quick brown fox" });
    expect(first.status, first.text).toBe(200);
    expect(first.cache).toBe("MISS");
    const miss = first.json();
    expect(miss).toMatchObject({ object: "list", model: MODEL });
    expect(miss.data).toHaveLength(1);
    expect(miss.data[0]).toMatchObject({ object: "embedding", index: 0 });
    expect((miss.data[0]!.embedding as number[]).length).toBe(1536);
    expect(miss.usage.prompt_tokens).toBeGreaterThan(0);
    expect(miss.usage.total_tokens).toBe(miss.usage.prompt_tokens);

    const second = await embed(w, { input: "The quick brown fox" });
    expect(second.cache).toBe("HIT-EXACT");
    expect(second.hits).toBe("1/1");
    expect(second.text).toBe(first.text);
    expect(second.headers.get("x-cache-tokens-saved")).toBe(String(miss.usage.prompt_tokens));
    expect(asked()).toEqual([["The quick brown fox"]]);
  });

  it("asks the provider only for the inputs still missing, and keeps the request's order", async () => {
    await embed(w, { input: ["alpha", "gamma"] });
    const asked = await upstreamInputs();
    const mixed = await embed(w, { input: ["alpha", "beta", "gamma", "delta"] });
    expect(mixed.status, mixed.text).toBe(200);
    expect(mixed.cache).toBe("MISS");
    expect(mixed.hits).toBe("2/4");
    expect(asked()).toEqual([["beta", "delta"]]);

    // The same batch in a tenant that never saw it: every vector equal, in the same places.
    const fresh = await tenantWithKey("emb-fresh");
    const whole = await embed(fresh, { input: ["alpha", "beta", "gamma", "delta"] });
    expect(whole.cache).toBe("MISS");
    expect(mixed.json().data).toEqual(whole.json().data);
    expect(mixed.json().data.map((d) => d.index)).toEqual([0, 1, 2, 3]);
    // Usage is every input's tokens, hits included, as first computed.
    expect(mixed.json().usage).toEqual(whole.json().usage);
  });

  // Regression: each copy of an input a batch repeated was sent to the provider and paid for.
  it("asks once for an input the batch repeats: its copies get the first's vector, counted as hits", async () => {
    const asked = await upstreamInputs();
    const batch = await embed(w, { input: ["echo", "foxtrot", "echo", "echo"] });
    expect(batch.status, batch.text).toBe(200);
    expect(batch.cache).toBe("MISS");
    expect(asked()).toEqual([["echo", "foxtrot"]]);
    expect(batch.hits).toBe("2/4");
    const data = batch.json().data;
    expect(data.map((d) => d.index)).toEqual([0, 1, 2, 3]);
    expect(data[2]!.embedding).toEqual(data[0]!.embedding);
    expect(data[3]!.embedding).toEqual(data[0]!.embedding);
    expect(data[1]!.embedding).not.toEqual(data[0]!.embedding);
    // Usage still counts every input, as OpenAI's would; what the copies did not cost is what was saved.
    const echo = (await embed(w, { input: "echo" })).json().usage.prompt_tokens;
    const foxtrot = (await embed(w, { input: "foxtrot" })).json().usage.prompt_tokens;
    expect(batch.json().usage.prompt_tokens).toBe(3 * echo + foxtrot);
    expect(batch.headers.get("x-cache-tokens-saved")).toBe(String(2 * echo));
    expect(asked()).toHaveLength(1);
    // A request that reads no cache (no-cache) gets the provider's answer to what it sent, as it sent it.
    await embed(w, { input: ["golf", "golf"] }, { "x-cache-control": "no-cache" });
    expect(asked().at(-1)).toEqual(["golf", "golf"]);
  });

  // Regression: a batch was asked for in one call, and its answer read, held and written whole: 2,048 vectors of
  // 3,072 dimensions are about 120 MB of JSON numbers each way, past an isolate's 128 MB.
  it("asks for a large batch in slices of 256 inputs, and answers it in order", async () => {
    const inputs = Array.from({ length: 600 }, (_, i) => `slice item ${i}`);
    const asked = await upstreamInputs();
    const batch = await embed(w, { input: inputs, encoding_format: "base64" });
    expect(batch.status, batch.text.slice(0, 200)).toBe(200);
    expect(asked().map((a) => (a as string[]).length)).toEqual([256, 256, 88]);
    expect(asked().flat()).toEqual(inputs);
    const data = batch.json().data;
    expect(data.map((d) => d.index)).toEqual(inputs.map((_, i) => i));
    // Each vector is its own input's: the same as asked alone, in a tenant that never saw it.
    const other = await tenantWithKey("emb-slices");
    for (const i of [0, 255, 256, 599]) {
      const alone = await embed(other, { input: inputs[i], encoding_format: "base64" });
      expect(data[i]!.embedding, `input ${i}`).toBe(alone.json().data[0]!.embedding);
    }
    // At most 256 new vectors are stored per request: the first slice's.
    expect((await embed(w, { input: inputs })).hits).toBe("256/600");
  });

  it("answers the largest batch OpenAI takes: 2,048 inputs of 3,072 dimensions", async () => {
    const inputs = Array.from({ length: 2048 }, (_, i) => `large batch ${i}`);
    const res = await call(w.host, "/v1/embeddings", {
      token: w.key,
      body: { model: "text-embedding-3-large", input: inputs, encoding_format: "base64" },
    });
    expect(res.status).toBe(200);
    const list = (await res.json()) as EmbeddingList;
    await settle();
    expect(list.data).toHaveLength(2048);
    expect(list.data.every((d, i) => d.index === i && decode(d.embedding as string).length === 3072)).toBe(true);
    const last = await embed(w, { model: "text-embedding-3-large", input: inputs[2047], encoding_format: "base64" });
    expect(last.cache).toBe("MISS");
    expect(last.json().data[0]!.embedding).toBe(list.data[2047]!.embedding);
  }, 60_000);

  it("encodes base64 as little-endian float32, the same bytes on a hit as on a miss", async () => {
    const float = (await embed(w, { input: "base64 please" })).json().data[0]!.embedding as number[];
    const miss = await embed(w, { input: "encode me", encoding_format: "base64" });
    const hit = await embed(w, { input: "encode me", encoding_format: "base64" });
    expect(hit.cache).toBe("HIT-EXACT");
    expect(hit.text).toBe(miss.text);
    const b64 = (await embed(w, { input: "base64 please", encoding_format: "base64" })).json();
    expect(decode(b64.data[0]!.embedding as string)).toEqual(float);
  });

  it("partitions by everything that changes the vector: model, dimensions, unknown fields", async () => {
    await embed(w, { input: "partitioned" });
    expect((await embed(w, { input: "partitioned", dimensions: 256 })).cache).toBe("MISS");
    const short = await embed(w, { input: "partitioned", dimensions: 256 });
    expect(short.cache).toBe("HIT-EXACT");
    expect((short.json().data[0]!.embedding as number[]).length).toBe(256);
    expect((await embed(w, { input: "partitioned", model: "text-embedding-3-large" })).cache).toBe("MISS");
    expect((await embed(w, { input: "partitioned", frobnicate: 1 })).cache).toBe("MISS");
    // Who asked and how the answer is encoded do not change the vector.
    expect((await embed(w, { input: "partitioned", encoding_format: "float", metadata: { a: "b" } })).cache).toBe(
      "HIT-EXACT",
    );
  });

  it("accepts token arrays, flat and nested; they are answered but never cached (they cannot be scanned)", async () => {
    const flat = await embed(w, { input: [1, 2, 3] });
    expect(flat.status, flat.text).toBe(200);
    expect(flat.cache).toBe("BYPASS");
    // Regression: an embeddings BYPASS said nothing of why, where chat and Responses send x-cache-reason.
    expect(flat.headers.get("x-cache-reason")).toMatch(/^bypass:/);
    const nested = await embed(w, { input: [[1, 2, 3], [4]] });
    expect(nested.json().data).toHaveLength(2);
    expect(nested.json().usage.prompt_tokens).toBe(4);
    expect((await embed(w, { input: [1, 2, 3] })).cache).toBe("BYPASS");
  });

  it("keeps one user's inputs from another's: x-cache-user and `user` narrow the scope", async () => {
    await embed(w, { input: "private words", user: "ana" });
    expect((await embed(w, { input: "private words", user: "ana" })).cache).toBe("HIT-EXACT");
    expect((await embed(w, { input: "private words" }, { "x-cache-user": "ana" })).cache).toBe("HIT-EXACT");
    expect((await embed(w, { input: "private words", user: "bo" })).cache).toBe("MISS");
    expect((await embed(w, { input: "private words" })).cache).toBe("MISS");
  });

  it("honours consent and the cache controls", async () => {
    expect((await embed(w, { input: "consent" }, { "x-cache-control": "no-store" })).cache).toBe("MISS");
    const notCached = await call(w.host, "/v1/embeddings", {
      token: w.key,
      body: { model: MODEL, input: "consent" },
      headers: { "x-cache-control": "only-if-cached" },
    });
    expect(notCached.headers.get("x-should-retry")).toBe("false");
    await expectError(notCached, 504, "not_cached", "upstream_error");
    await embed(w, { input: "consent" });
    expect((await embed(w, { input: "consent" }, { "x-cache-control": "no-cache" })).cache).toBe("BYPASS");
    expect((await embed(w, { input: "consent" }, { "x-cache-control": "only-if-cached" })).cache).toBe("HIT-EXACT");
  });

  it("stores at most 256 new vectors per request", async () => {
    const inputs = Array.from({ length: 300 }, (_, i) => `bulk input number ${i}`);
    expect((await embed(w, { input: inputs })).hits).toBe("0/300");
    expect((await embed(w, { input: inputs })).hits).toBe("256/300");
    expect((await embed(w, { input: inputs })).hits).toBe("300/300");
  });

  it("seals what it stores: neither the input nor any number of the vector is readable in KV", async () => {
    const t = await tenantWithKey("emb-sealed");
    const answer = (await embed(t, { input: "a sentence worth sealing" })).json();
    const stored = await env.CACHE.list({ prefix: `${t.tenant}:m:` });
    expect(stored.keys).toHaveLength(1);
    const value = (await env.CACHE.get(stored.keys[0]!.name))!;
    expect(value).not.toContain("sealing");
    expect(value).not.toContain(String((answer.data[0]!.embedding as number[])[0]).slice(0, 8));
  });

  it("forgets an erased user's inputs and everything before an erasure of all", async () => {
    const t = await tenantWithKey("emb-erase", { role: "owner" });
    await embed(t, { input: "erase me", user: "cleo" });
    await embed(t, { input: "erase us all" });
    const erased = await call(t.host, "/v1/cache/erase", { token: t.key, body: { user: "cleo" } });
    expect(erased.status).toBe(200);
    await settle();
    expect((await embed(t, { input: "erase me", user: "cleo" })).cache).toBe("MISS");
    expect((await embed(t, { input: "erase us all" })).cache).toBe("HIT-EXACT");
    expect((await call(t.host, "/v1/cache/erase", { token: t.key, body: { all: true } })).status).toBe(200);
    await settle();
    expect((await embed(t, { input: "erase us all" })).cache).toBe("MISS");
  });

  it("records an audit event with the prompt hash and counts, never the input", async () => {
    const t = await tenantWithKey("emb-audit");
    await embed(t, { input: "audited input text" });
    await embed(t, { input: "audited input text" });
    const event = await auditEventWhere(
      (e) => e.tenant === t.tenant && e.action === "embeddings.create" && e.cache === "HIT-EXACT",
    );
    expect(event).toMatchObject({ status: 200, model: MODEL });
    expect(typeof event.prompt_hash).toBe("string");
    expect(JSON.stringify(event)).not.toContain("audited input");
  });

  it("passes a provider's rate limit on as OpenAI's 429 with Retry-After", async () => {
    const res = await call(w.host, "/v1/embeddings", { token: w.key, body: { model: "error-429", input: "x" } });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).not.toBeNull();
    // The provider's own error, in its terms (OpenAI's rate-limit errors are of type `requests`).
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("rate_limit_exceeded");
  });

  // Regression: a provider's vectors were served and stored whatever their length or values: a vector of
  // another length than the `dimensions` asked (kept to answer later requests of that partition, beside
  // vectors of the right length), NaN sent to the client as `null`.
  it("refuses a provider's vectors that do not fit the request, and stores none of them", async () => {
    const t = await tenantWithKey("emb-unfit");
    const rt = await getRuntime(env);
    const b64 = (...xs: number[]) => {
      const view = new DataView(new ArrayBuffer(xs.length * 4));
      for (const [i, x] of xs.entries()) view.setFloat32(i * 4, x, true);
      return btoa(String.fromCharCode(...new Uint8Array(view.buffer)));
    };
    const answers: [string, Record<string, unknown>, (number[] | string)[]][] = [
      [
        "a length other than the dimensions asked",
        { input: ["a", "b"], dimensions: 4 },
        [
          [0.5, 0.5],
          [0.5, 0.5],
        ],
      ],
      [
        "two lengths in one answer",
        { input: ["a", "b"] },
        [
          [0.6, 0.8],
          [1, 0, 0],
        ],
      ],
      ["NaN, in base64", { input: ["a"] }, [b64(Number.NaN, 1)]],
      ["an infinity, in base64", { input: ["a"] }, [b64(Number.POSITIVE_INFINITY, 1)]],
    ];
    for (const [what, body, vectors] of answers) {
      vi.spyOn(rt.provider, "send").mockResolvedValue(
        Response.json({
          object: "list",
          data: vectors.map((embedding, index) => ({ object: "embedding", index, embedding })),
          model: MODEL,
          usage: { prompt_tokens: 2, total_tokens: 2 },
        }),
      );
      const res = await call(t.host, "/v1/embeddings", { token: t.key, body: { model: MODEL, ...body } });
      expect(res.status, what).toBe(502);
      await expectError(res, 502, "upstream_invalid_response", "upstream_error");
      await settle();
      vi.restoreAllMocks();
    }
    expect((await env.CACHE.list({ prefix: `${t.tenant}:m:` })).keys).toEqual([]);
  });

  // Regression: JSON keeps no -0, so a stored vector came back with +0 where the miss had encoded -0: the base64 of
  // a hit was not the miss's, bit for bit (and told a hit from a miss under timing protection).
  it("encodes a provider's -0 as a hit will: the same base64 bytes on a miss and a hit", async () => {
    const t = await tenantWithKey("emb-negzero");
    const rt = await getRuntime(env);
    vi.spyOn(rt.provider, "send").mockImplementation(
      async () =>
        new Response(
          '{"object":"list","data":[{"object":"embedding","index":0,"embedding":[-0.0,0.25]}],"model":"m","usage":{"prompt_tokens":1,"total_tokens":1}}',
          { headers: { "content-type": "application/json" } },
        ),
    );
    const miss = await embed(t, { input: "signed zero", encoding_format: "base64" });
    const hit = await embed(t, { input: "signed zero", encoding_format: "base64" });
    expect(miss.cache).toBe("MISS");
    expect(hit.cache).toBe("HIT-EXACT");
    expect(hit.text).toBe(miss.text);
  });

  it.each([
    ["no input", { model: MODEL }],
    ["an empty string", { model: MODEL, input: "" }],
    ["an empty array", { model: MODEL, input: [] }],
    ["an object", { model: MODEL, input: { text: "hi" } }],
    ["mixed strings and tokens", { model: MODEL, input: ["a", 1] }],
    ["a negative token", { model: MODEL, input: [1, -2] }],
    ["a fractional token", { model: MODEL, input: [1.5] }],
    ["2049 inputs", { model: MODEL, input: Array.from({ length: 2049 }, () => "x") }],
    ["an unknown encoding", { model: MODEL, input: "x", encoding_format: "int8" }],
    ["no model", { input: "x" }],
  ])("refuses %s with 400, calling no provider", async (_name, body) => {
    const asked = await upstreamInputs();
    const res = await call(w.host, "/v1/embeddings", { token: w.key, body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
    expect(asked()).toEqual([]);
  });
});

describe("token counts of a batch", () => {
  it("are shared among its inputs by length, adding up exactly; one input gets the exact count", () => {
    expect(shareTokens(7, ["only"])).toEqual([7]);
    expect(shareTokens(10, ["aaaa", "a", "aaaaa"])).toEqual([4, 1, 5]);
    const shares = shareTokens(11, ["ab", "ab", "ab"]);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(11);
    expect(Math.max(...shares) - Math.min(...shares)).toBe(1);
    expect(shareTokens(3, [[1, 2], [3]])).toEqual([2, 1]);
  });

  // Regression: a short input beside a long one was credited 0 tokens, and a later hit of it reported usage 0.
  it("credit every input at least one token when the batch has as many", () => {
    expect(shareTokens(11, ["a", "x".repeat(40)])).toEqual([1, 10]);
    const many = shareTokens(20, ["a", "b", "c", "x".repeat(400)]);
    expect(many.slice(0, 3)).toEqual([1, 1, 1]);
    expect(many.reduce((a, b) => a + b, 0)).toBe(20);
    expect(shareTokens(1, ["a", "b"]).reduce((a, b) => a + b, 0)).toBe(1);
  });
});

describe("embeddings under the tenant's policy", async () => {
  it("block: personal data refused 422, token arrays refused as unscannable, nothing sent upstream", async () => {
    const t = await tenantWithKey("emb-block");
    await setPolicy(t.tenant, { pii_mode: "block" });
    const asked = await upstreamInputs();
    const pii = await call(t.host, "/v1/embeddings", {
      token: t.key,
      body: { model: MODEL, input: ["fine", "write to ana.lopez@gmail.com"] },
    });
    await expectError(pii, 422, "pii_detected", "invalid_request_error");
    const tokens = await call(t.host, "/v1/embeddings", { token: t.key, body: { model: MODEL, input: [5, 6] } });
    await expectError(tokens, 422, "unscannable_input", "invalid_request_error");
    expect(asked()).toEqual([]);
  });

  it("redact: the provider sees placeholders, and the redacted input is what is cached", async () => {
    const t = await tenantWithKey("emb-redact");
    await setPolicy(t.tenant, { pii_mode: "redact" });
    const asked = await upstreamInputs();
    expect((await embed(t, { input: "mail ana.lopez@gmail.com now" })).status).toBe(200);
    const sent = JSON.stringify(asked());
    expect(sent).not.toContain("ana.lopez@gmail.com");
    expect(sent).toContain("mail ");
    // Another address redacts to the same placeholder: the same input to the provider, so the same vector.
    expect((await embed(t, { input: "mail bo.smith@gmail.com now" })).cache).toBe("HIT-EXACT");
  });

  it("skip (default): an input with personal data is answered but never cached", async () => {
    const t = await tenantWithKey("emb-skip");
    const skipped = await embed(t, { input: "call +1 415 555 0100" });
    expect(skipped.cache).toBe("BYPASS");
    expect(skipped.headers.get("x-cache-reason")).toBe("bypass:pii_skip");
    expect((await embed(t, { input: "call +1 415 555 0100" })).cache).toBe("BYPASS");
    expect((await env.CACHE.list({ prefix: `${t.tenant}:m:` })).keys).toEqual([]);
  });

  it("timing protection withholds the cache headers and holds hits back", async () => {
    const t = await tenantWithKey("emb-timing");
    await setPolicy(t.tenant, { timing_protection: true });
    const miss = await embed(t, { input: "timed" });
    const hit = await embed(t, { input: "timed" });
    expect(hit.text).toBe(miss.text);
    for (const r of [miss, hit]) {
      expect(r.cache).toBeNull();
      expect(r.hits).toBeNull();
      expect(r.headers.get("x-cache-tokens-saved")).toBeNull();
    }
    // The operator token is not a key of the tenant: the embeddings route refuses it.
    await expectError(
      await call(t.host, "/v1/embeddings", { token: rootToken(), body: { model: MODEL, input: "x" } }),
      403,
      "operator_not_allowed",
      "permission_error",
    );
  });
});
