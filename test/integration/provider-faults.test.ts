// Faults injected through the model name, on each of the three POST endpoints: error-<status> with OpenAI's
// error bodies and rate-limit headers, flaky-<N> on its documented schedule, slow-<ms>, slow-stream-<ms>,
// error-after-<k>, broken-stream, hang, and LATENCY_MS.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { abortRecords } from "../../src/provider/abort-log";
import { chat, chatChunks, drain, expectError, post, sseMessages } from "./provider-helpers";

type Endpoint = "chat" | "embeddings" | "responses";
const PATHS: Record<Endpoint, string> = {
  chat: "/v1/chat/completions",
  embeddings: "/v1/embeddings",
  responses: "/v1/responses",
};
/** A valid body for each endpoint with `model`. */
const bodyFor = (endpoint: Endpoint, model: string, stream = false): Record<string, unknown> =>
  endpoint === "chat"
    ? chat("A question long enough for several chunks of streamed answer", { model, stream })
    : endpoint === "embeddings"
      ? { model, input: "some text" }
      : { model, input: "A question long enough for several chunks of streamed answer", stream };
const request = (endpoint: Endpoint, model: string, stream = false, init: RequestInit = {}, e = env) =>
  post(PATHS[endpoint], bodyFor(endpoint, model, stream), init, e);

const ENDPOINTS: Endpoint[] = ["chat", "embeddings", "responses"];
const STREAMING: Endpoint[] = ["chat", "responses"];

describe("error-<status>", () => {
  it.each(
    ENDPOINTS.flatMap((endpoint) => [
      [endpoint, 400, { type: "invalid_request_error", param: endpoint === "chat" ? "messages" : "input", code: null }],
      [endpoint, 401, { type: "invalid_request_error", param: null, code: "invalid_api_key" }],
      [endpoint, 404, { type: "invalid_request_error", param: "model", code: "model_not_found" }],
      [endpoint, 429, { type: "requests", param: null, code: "rate_limit_exceeded" }],
      [endpoint, 500, { type: "server_error", param: null, code: null }],
      [endpoint, 503, { type: "server_error", param: null, code: null }],
    ]),
  )("%s answers %i with OpenAI's error body", async (endpoint, status, error) => {
    const err = await expectError(await request(endpoint, `local/error-${status}`), status);
    expect(err.error).toMatchObject(error);
    expect(err.error.message).toContain(`error-${status}`);
  });

  it.each(STREAMING)("%s answers the error before any stream starts", async (endpoint) => {
    await expectError(await request(endpoint, "error-502", true), 502, null);
  });

  it("429 carries retry-after and OpenAI's request rate-limit headers", async () => {
    const res = await request("chat", "error-429");
    expect(Object.fromEntries([...res.headers].filter(([k]) => /^(retry-after|x-ratelimit-)/.test(k)))).toEqual({
      "retry-after": "1",
      "x-ratelimit-limit-requests": "60",
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "1s",
    });
    await res.text();
  });
});

describe("flaky-<N>", () => {
  const statuses = async (model: string, count: number, endpoint: Endpoint = "chat") => {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const res = await request(endpoint, model);
      out.push(res.status);
      await res.text();
    }
    return out;
  };

  it.each([
    ["flaky-50-a", [503, 200, 503, 200, 503, 200]],
    ["flaky-25-b", [503, 200, 200, 200, 503, 200, 200, 200]],
    ["flaky-75-c", [503, 503, 503, 200, 503, 503, 503, 200]],
    ["flaky-0-d", [200, 200, 200]],
    ["flaky-100-e", [503, 503, 503]],
  ])("%s fails on its schedule", async (model, expected) => {
    expect(await statuses(`local/${model}`, expected.length)).toEqual(expected);
  });

  it("fails with 503 server_error, and counts each label apart, across endpoints", async () => {
    const err = await expectError(await request("embeddings", "flaky-50-f"), 503, null);
    expect(err.error).toMatchObject({ type: "server_error", message: expect.stringMatching(/retry/) });
    expect(await statuses("flaky-50-g", 2, "responses")).toEqual([503, 200]);
    expect(await statuses("flaky-50-f", 1, "responses")).toEqual([200]);
  });
});

describe("slow-<ms> and LATENCY_MS", () => {
  it.each(ENDPOINTS)("slow-50 delays %s by at least 50 ms", async (endpoint) => {
    const t0 = Date.now();
    const res = await request(endpoint, "local/slow-50");
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50);
    expect(Number(res.headers.get("openai-processing-ms"))).toBeGreaterThanOrEqual(50);
    await res.text();
  });

  it("LATENCY_MS adds latency to every POST; a malformed value is a configuration error", async () => {
    const t0 = Date.now();
    const res = await request("embeddings", "text-embedding-3-small", false, {}, { ...env, LATENCY_MS: "50" });
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50);
    await res.text();
    await expectError(
      await request("chat", "echo", false, {}, { ...env, LATENCY_MS: "fast" }),
      500,
      "bad_configuration",
    );
  });

  it("an aborted request stops a slow wait early", async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    const pending = request("chat", "slow-60000", false, { signal: ac.signal });
    ac.abort();
    expect((await pending).status).toBe(499);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});

describe("slow-stream-<ms>", () => {
  it.each(STREAMING)("%s waits between events, heartbeats in long gaps, same content", async (endpoint) => {
    const plain = await (await request(endpoint, "echo", true)).text();
    const t0 = Date.now();
    const slow = await (await request(endpoint, "local/slow-stream-20", true)).text();
    const events = sseMessages(slow);
    expect(Date.now() - t0).toBeGreaterThanOrEqual((events.length - 1) * 20);
    expect(slow).not.toContain(": waiting");
    expect(events.length).toBe(sseMessages(plain).length);

    const long = await request(endpoint, "slow-stream-300", true);
    const reader = long.body!.getReader();
    const reads: string[] = [];
    while (reads.filter((r) => r.includes("data: ")).length < 2) {
      reads.push(new TextDecoder().decode((await reader.read()).value));
    }
    expect(reads).toContain(": waiting\n\n");
    await reader.cancel();
  });

  it("does not delay a non-stream answer", async () => {
    const t0 = Date.now();
    const res = await request("chat", "slow-stream-60000");
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(5_000);
    await res.text();
  });
});

describe("error-after-<k>", () => {
  it("chat: k content chunks, then an SSE error event, then the end without [DONE]", async () => {
    const res = await request("chat", "local/error-after-2", true);
    expect(res.status).toBe(200);
    const { text, error } = await drain(res);
    expect(error).toBeNull();
    expect(text).not.toContain("[DONE]");
    const events = sseMessages(text);
    const last = events.pop()!;
    expect(last.event).toBe("error");
    expect(JSON.parse(last.data)).toEqual({
      error: { message: expect.any(String), type: "server_error", param: null, code: "server_error" },
    });
    const chunks = events.map((e) => JSON.parse(e.data) as { choices: { delta: { content?: string } }[] });
    expect(chunks).toHaveLength(3);
    expect(chunks.filter((c) => c.choices[0]!.delta.content)).toHaveLength(2);
  });

  it("chat: error-after-0 fails right after the role chunk", async () => {
    const events = sseMessages(await (await request("chat", "error-after-0", true)).text());
    expect(events.map((e) => e.event)).toEqual([null, "error"]);
  });

  it("responses: k text deltas, then an error event numbered in sequence, never response.completed", async () => {
    const events = sseMessages(await (await request("responses", "error-after-1", true)).text()).map(
      (e) => JSON.parse(e.data) as { type: string; sequence_number: number },
    );
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "error",
    ]);
    expect(events.at(-1)).toEqual({
      type: "error",
      code: "server_error",
      message: expect.any(String),
      param: null,
      sequence_number: 5,
    });
  });

  it("responses: with fewer content events than k, the error comes after the last one", async () => {
    const types = sseMessages(await (await request("responses", "error-after-9999", true)).text()).map(
      (e) => (JSON.parse(e.data) as { type: string }).type,
    );
    expect(types.at(-2)).toBe("response.output_text.delta");
    expect(types.at(-1)).toBe("error");
  });

  it.each(ENDPOINTS)("%s without stream answers 500 server_error", async (endpoint) => {
    const err = await expectError(await request(endpoint, "error-after-2"), 500, "server_error");
    expect(err.error.type).toBe("server_error");
  });
});

describe("broken-stream", () => {
  it("chat: two content chunks, then the connection drops mid-event, without a finish chunk or [DONE]", async () => {
    const res = await request("chat", "local/broken-stream", true);
    expect(res.status).toBe(200);
    const { text, error } = await drain(res);
    expect(error).toBeNull();
    expect(text).not.toContain("[DONE]");
    expect(text.endsWith("\n\n")).toBe(false); // cut inside an event
    const chunks = sseMessages(text).map(
      (e) => JSON.parse(e.data) as { choices: { delta: object; finish_reason: null }[] },
    );
    expect(chunks.filter((c) => "content" in c.choices[0]!.delta && chunks.indexOf(c) > 0)).toHaveLength(2);
    expect(chunks.some((c) => c.choices[0]!.finish_reason)).toBe(false);
  });

  it("responses: two text deltas, then the connection drops mid-event, without response.completed", async () => {
    const { text, error } = await drain(await request("responses", "broken-stream", true));
    expect(error).toBeNull();
    expect(text.endsWith("\n\n")).toBe(false);
    const types = sseMessages(text).map((e) => (JSON.parse(e.data) as { type: string }).type);
    expect(types.filter((t) => t === "response.output_text.delta")).toHaveLength(2);
    expect(types).not.toContain("response.completed");
  });

  it.each(ENDPOINTS)("%s without stream answers 200 with JSON cut in the middle", async (endpoint) => {
    const res = await request(endpoint, "broken-stream");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const text = await res.text();
    expect(text.startsWith("{")).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
  });

  it("a complete stream of another model is unaffected", async () => {
    expect(chatChunks(await (await request("chat", "broken-streams", true)).text()).length).toBeGreaterThan(3);
  });
});

describe("hang", () => {
  it.each(ENDPOINTS)("%s does not answer until the caller aborts, then ends and logs the abort", async (endpoint) => {
    const ac = new AbortController();
    const pending = request(endpoint, "local/hang", false, { signal: ac.signal });
    const early = await Promise.race([
      pending.then(() => "answered"),
      new Promise((r) => setTimeout(r, 30, "pending")),
    ]);
    expect(early).toBe("pending");
    ac.abort();
    const res = await pending;
    expect(res.status).toBe(499);
    const record = abortRecords().find((r) => r.requestId === res.headers.get("x-request-id"));
    expect(record).toMatchObject({ path: PATHS[endpoint], model: "local/hang", phase: "waiting", eventsSent: 0 });
    await res.text();
  });
});
