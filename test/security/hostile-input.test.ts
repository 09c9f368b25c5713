// Bad input of every kind gets the contract's JSON error with the right status — never a 500, never a stack
// trace — and writes nothing.
import { describe, expect, it, vi } from "vitest";
import { call, chatBody, expectError, kvSnapshot, PLATFORM, rootToken, settle, tenantWithKey } from "../helpers";

describe("bad input", async () => {
  const t = await tenantWithKey("in", { role: "owner" });
  await settle();
  const chat = (init: Parameters<typeof call>[2]) => call(t.host, "/v1/chat/completions", { token: t.key, ...init });
  const query = (body: unknown) => call(t.host, "/v1/cache/query", { token: t.key, body });
  const big = "x".repeat(70_000); // test config: MAX_BODY_BYTES = 65536

  const cases: [string, () => Promise<Response>, number, string][] = [
    [
      "malformed JSON",
      () => chat({ rawBody: '{"model": "m", "messages": [', headers: { "content-type": "application/json" } }),
      400,
      "invalid_json",
    ],
    ["empty body", () => chat({ rawBody: "", headers: { "content-type": "application/json" } }), 400, "invalid_json"],
    [
      "invalid UTF-8",
      () =>
        chat({ rawBody: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), headers: { "content-type": "application/json" } }),
      400,
      "invalid_json",
    ],
    ["JSON that is not an object", () => chat({ body: [1, 2, 3] }), 400, "invalid_request"],
    [
      "JSON null",
      () => chat({ rawBody: "null", headers: { "content-type": "application/json" } }),
      400,
      "invalid_request",
    ],
    [
      "wrong content type",
      () => chat({ rawBody: JSON.stringify(chatBody("q")), headers: { "content-type": "text/plain" } }),
      415,
      "unsupported_media_type",
    ],
    ["no content type", () => chat({ rawBody: JSON.stringify(chatBody("q")) }), 415, "unsupported_media_type"],
    [
      "form content type",
      () => chat({ rawBody: "model=m", headers: { "content-type": "application/x-www-form-urlencoded" } }),
      415,
      "unsupported_media_type",
    ],
    ["body over the limit (declared)", () => chat({ body: chatBody(big) }), 413, "payload_too_large"],
    [
      "body over the limit (streamed, no length)",
      () => chat({ rawBody: streamOf(JSON.stringify(chatBody(big))), headers: { "content-type": "application/json" } }),
      413,
      "payload_too_large",
    ],
    ["missing model", () => chat({ body: { messages: [{ role: "user", content: "q" }] } }), 400, "invalid_field"],
    ["missing messages", () => chat({ body: { model: "m" } }), 400, "invalid_field"],
    ["empty messages", () => chat({ body: { model: "m", messages: [] } }), 400, "invalid_field"],
    [
      "model of the wrong type",
      () => chat({ body: { model: 42, messages: [{ role: "user", content: "q" }] } }),
      400,
      "invalid_field",
    ],
    [
      "unknown role",
      () => chat({ body: { model: "m", messages: [{ role: "wizard", content: "q" }] } }),
      400,
      "invalid_field",
    ],
    [
      "content of the wrong type",
      () => chat({ body: { model: "m", messages: [{ role: "user", content: 7 }] } }),
      400,
      "invalid_field",
    ],
    ["stream not a boolean", () => chat({ body: chatBody("q", { stream: "yes" }) }), 400, "invalid_field"],
    [
      "unknown message role",
      () => chat({ body: { model: "m", messages: [{ role: "hacker", content: "q" }] } }),
      400,
      "invalid_field",
    ],
    [
      "message content of the wrong type",
      () => chat({ body: { model: "m", messages: [{ role: "user", content: 5 }] } }),
      400,
      "invalid_field",
    ],
    [
      "JSON nested deeper than the limit",
      () =>
        chat({
          rawBody: `{"model":"m","messages":[{"role":"user","content":"q"}],"x":${"[".repeat(80)}${"]".repeat(80)}}`,
          headers: { "content-type": "application/json" },
        }),
      400,
      "invalid_json",
    ],
    [
      "a lone surrogate in a string",
      () =>
        chat({
          rawBody: '{"model":"m","messages":[{"role":"user","content":"q\\ud800"}]}',
          headers: { "content-type": "application/json" },
        }),
      400,
      "invalid_json",
    ],
    [
      "a lone surrogate in an embeddings input",
      () =>
        call(t.host, "/v1/embeddings", {
          token: t.key,
          rawBody: '{"model":"text-embedding-3-small","input":["hello \\udc00"]}',
          headers: { "content-type": "application/json" },
        }),
      400,
      "invalid_json",
    ],
    [
      "bad x-cache-control",
      () => chat({ body: chatBody("q"), headers: { "x-cache-control": "maybe" } }),
      400,
      "invalid_cache_control",
    ],
    [
      "bad x-cache-threshold",
      () => chat({ body: chatBody("q"), headers: { "x-cache-threshold": "2" } }),
      400,
      "invalid_cache_threshold",
    ],
    [
      "bad x-cache-ttl",
      () => chat({ body: chatBody("q"), headers: { "x-cache-ttl": "soon" } }),
      400,
      "invalid_cache_ttl",
    ],
    ["cache/query without prompt", () => query({ model: "m" }), 400, "invalid_field"],
    [
      "cache/query with a wrong threshold type",
      () => query({ prompt: "p", model: "m", similarity_threshold: "high" }),
      400,
      "invalid_field",
    ],
    ["cache/query with an unknown field", () => query({ prompt: "p", model: "m", extra: 1 }), 400, "unknown_field"],
    ["cache/query with a negative ttl", () => query({ prompt: "p", model: "m", ttl: -5 }), 400, "invalid_field"],
    ["unknown route", () => call(t.host, "/v1/nothing", { token: t.key }), 404, "not_found"],
    ["unknown route, no credentials", () => call(t.host, "/etc/passwd"), 404, "not_found"],
    ["path traversal", () => call(t.host, "/v1/../../admin", { token: t.key }), 404, "not_found"],
    [
      "wrong method",
      () => call(t.host, "/v1/chat/completions", { token: t.key, method: "GET" }),
      405,
      "method_not_allowed",
    ],
    [
      "wrong method (DELETE)",
      () => call(t.host, "/v1/cache/query", { token: t.key, method: "DELETE" }),
      405,
      "method_not_allowed",
    ],
    [
      "tenant create with a single-label hostname",
      () => call(PLATFORM, "/v1/admin/tenants", { token: rootToken(), body: { id: "hostx", hostnames: ["intranet"] } }),
      400,
      "invalid_field",
    ],
    [
      "tenant create with an invalid hostname",
      () =>
        call(PLATFORM, "/v1/admin/tenants", {
          token: rootToken(),
          body: { id: "hosty", hostnames: ["bad_host.example"] },
        }),
      400,
      "invalid_field",
    ],
    [
      "tenant create with a bad id",
      () => call(PLATFORM, "/v1/admin/tenants", { token: rootToken(), body: { id: "Bad_Id!" } }),
      400,
      "invalid_field",
    ],
    [
      "key create with an unknown role",
      () => call(t.host, "/v1/admin/keys", { token: t.key, body: { name: "k", role: "god" } }),
      400,
      "invalid_field",
    ],
    [
      "key create with scopes beyond the role",
      () =>
        call(t.host, "/v1/admin/keys", { token: t.key, body: { name: "k", role: "viewer", scopes: ["completions"] } }),
      400,
      "invalid_scopes",
    ],
    [
      "key create expiring in the past",
      () =>
        call(t.host, "/v1/admin/keys", {
          token: t.key,
          body: { name: "k", role: "viewer", expires_at: "2001-01-01T00:00:00Z" },
        }),
      400,
      "invalid_expiry",
    ],
  ];

  it.each(cases)("%s → %i %s, nothing written", async (_name, send, status, code) => {
    const before = await kvSnapshot();
    const res = await send();
    await expectError(res, status, code, "invalid_request_error");
    await settle();
    expect(await kvSnapshot()).toEqual(before);
  });

  it("names the field but never echoes its value", async () => {
    const secretish = "s3cr3t-value-that-must-not-echo";
    const res = await chat({ body: { model: "m", messages: [{ role: secretish, content: "q" }] } });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).toContain("messages.0.role");
    expect(text).not.toContain(secretish);
  });

  it("a 405 lists the allowed methods", async () => {
    const res = await call(t.host, "/v1/chat/completions", { token: t.key, method: "PUT" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("a body cut off mid-upload answered 500 internal_error, logged as a gateway failure", async () => {
    // The client sends part of the body, then its connection breaks (fewer bytes than its Content-Length).
    const cutOff = () => {
      const start = new TextEncoder().encode('{"model":"gpt-4o-mini",');
      return new ReadableStream<Uint8Array>({
        start: (c) => c.enqueue(start),
        pull: (c) => c.error(new Error("Network connection lost.")),
      });
    };
    const logged = vi.spyOn(console, "error");
    const before = await kvSnapshot();
    const res = await chat({ rawBody: cutOff(), headers: { "content-type": "application/json" } });
    await expectError(res, 400, "invalid_request", "invalid_request_error");
    const token = await call(t.host, "/oauth/token", {
      rawBody: cutOff(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(token.status).toBe(400);
    expect(await token.json()).toMatchObject({ error: "invalid_request" });
    await settle();
    expect(logged).not.toHaveBeenCalled();
    logged.mockRestore();
    expect(await kvSnapshot()).toEqual(before);
  });

  it("a body with Content-Encoding: gzip was read as if uncompressed: gzip bytes answered invalid_json, plain ones were served", async () => {
    const text = JSON.stringify(chatBody("compressed"));
    const gzipped = new Uint8Array(
      await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
    );
    const before = await kvSnapshot();
    for (const [rawBody, encoding] of [
      [gzipped, "gzip"],
      [text, "gzip"],
      [text, "br"],
    ] as const) {
      const res = await chat({
        rawBody,
        headers: { "content-type": "application/json", "content-encoding": encoding },
      });
      expect(res.headers.get("accept-encoding")).toBe("identity");
      await expectError(res, 415, "unsupported_content_encoding", "invalid_request_error");
    }
    const token = await call(t.host, "/oauth/token", {
      rawBody: "grant_type=client_credentials",
      headers: { "content-type": "application/x-www-form-urlencoded", "content-encoding": "deflate" },
    });
    expect(token.status).toBe(415);
    expect(await token.json()).toMatchObject({ error: "unsupported_content_encoding" });
    await settle();
    expect(await kvSnapshot()).toEqual(before);
    const identity = await chat({
      rawBody: text,
      headers: { "content-type": "application/json", "content-encoding": "identity" },
    });
    expect(identity.status).toBe(200);
  });

  it("hostile headers do not break the gateway", async () => {
    const res = await chat({
      body: chatBody("q"),
      headers: { "x-cache-user": "a".repeat(4000), "x-cache-control": "no-store,".repeat(500) },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/json/);
  });
});

function streamOf(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(c) {
      for (let i = 0; i < bytes.length; i += 8192) c.enqueue(bytes.subarray(i, i + 8192));
      c.close();
    },
  });
}
