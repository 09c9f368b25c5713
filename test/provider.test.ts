// The local provider Worker: deterministic OpenAI-compatible answers, SSE streaming, injected latency and faults,
// bad input. The handler is called directly; one suite goes through the LocalProvider service binding.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { faultOf } from "../src/provider/faults";
import provider from "../src/provider/index";

const CHAT_URL = "http://provider.local/v1/chat/completions";

interface Completion {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: { index: number; message: { role: string; content: string }; finish_reason: string; logprobs: null }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
interface Chunk {
  id: string;
  object: string;
  model: string;
  choices: { index: number; delta: { role?: string; content?: string }; finish_reason: string | null }[];
  usage?: Completion["usage"] | null;
}
interface ErrorBody {
  error: { message: string; type: string; code: string | null };
}

const body = (content: string, extra: Record<string, unknown> = {}) => ({
  model: "echo",
  messages: [{ role: "user", content }],
  ...extra,
});

function post(b: unknown, init: RequestInit = {}, e: CordonProvider.Env = env): Promise<Response> {
  const raw = typeof b === "string" ? b : JSON.stringify(b);
  return provider.fetch(
    new Request(CHAT_URL, { method: "POST", headers: { "content-type": "application/json" }, body: raw, ...init }),
    e,
  );
}

async function completion(b: unknown): Promise<Completion> {
  const res = await post(b);
  expect(res.status).toBe(200);
  return (await res.json()) as Completion;
}

const contentOf = async (b: unknown) => (await completion(b)).choices[0]!.message.content;

/** The `data` payloads of an SSE text; the last must be [DONE]. */
function chunksOf(text: string): Chunk[] {
  const events = text.split("\n\n");
  expect(events.pop()).toBe("");
  expect(events.at(-1)).toBe("data: [DONE]");
  return events.slice(0, -1).map((e) => {
    expect(e.startsWith("data: ")).toBe(true);
    return JSON.parse(e.slice("data: ".length)) as Chunk;
  });
}

const joined = (chunks: Chunk[]) => chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");

/** Reads a stream to its end or its error, keeping what arrived before an error. */
async function drain(res: Response): Promise<{ text: string; error: unknown }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read())
      text += decoder.decode(r.value, { stream: true });
    return { text, error: null };
  } catch (error) {
    return { text, error };
  }
}

async function expectError(res: Response, status: number, code: string): Promise<ErrorBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const text = await res.text();
  expect(text).not.toMatch(/\n\s+at /); // no stack trace
  const parsed = JSON.parse(text) as ErrorBody;
  expect(parsed.error.code).toBe(code);
  expect(typeof parsed.error.message).toBe("string");
  expect(typeof parsed.error.type).toBe("string");
  return parsed;
}

describe("deterministic answers", () => {
  it("gives identical content for identical bodies and different content for different questions", async () => {
    const a = await contentOf(body("What is 2+2?"));
    expect(await contentOf(body("What is 2+2?"))).toBe(a);
    expect(await contentOf(body("What is 3+3?"))).not.toBe(a);
    expect(a).toMatch(/^Local answer [0-9a-f]{8}: /);
    expect(a).toContain("What is 2+2?");
  });

  it("ignores key order and the stream flag but not the model or sampling parameters", async () => {
    const base = await contentOf({ model: "echo", temperature: 0, messages: [{ role: "user", content: "Order?" }] });
    expect(await contentOf({ messages: [{ content: "Order?", role: "user" }], temperature: 0, model: "echo" })).toBe(
      base,
    );
    expect(
      await contentOf({
        model: "echo",
        temperature: 0,
        stream: false,
        messages: [{ role: "user", content: "Order?" }],
      }),
    ).toBe(base);
    expect(
      await contentOf({ model: "echo", temperature: 1, messages: [{ role: "user", content: "Order?" }] }),
    ).not.toBe(base);
    expect(
      await contentOf({ model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: "Order?" }] }),
    ).not.toBe(base);
  });

  it("restates the last user message, from text parts too, in at most 200 characters", async () => {
    const conversation = {
      model: "echo",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "First question" },
        { role: "assistant", content: "First answer" },
        {
          role: "user",
          content: [
            { type: "text", text: "Second" },
            { type: "image_url", image_url: { url: "x" } },
            { type: "text", text: "question" },
          ],
        },
      ],
    };
    const content = await contentOf(conversation);
    expect(content).toContain('"Second question"');
    expect(content).not.toContain("First question");

    const long = await contentOf(body(`${"why ".repeat(200)}end`));
    const restated = /you asked "([^"]*)"/.exec(long)![1]!;
    expect(restated.length).toBeLessThanOrEqual(200);
    expect(restated.endsWith("...")).toBe(true);
  });

  it("cuts the answer at max_tokens and reports finish_reason length", async () => {
    const full = await completion(body("Cut me"));
    const cut = await completion(body("Cut me", { max_tokens: 5 }));
    expect(cut.choices[0]!.finish_reason).toBe("length");
    expect(cut.choices[0]!.message.content.length).toBe(20);
    expect(cut.usage.completion_tokens).toBe(5);
    expect(full.choices[0]!.finish_reason).toBe("stop");
  });
});

describe("chat.completion", () => {
  it("is a valid OpenAI completion object with estimated usage", async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await post({
      model: "local/echo",
      messages: [
        { role: "system", content: "12345678" },
        { role: "user", content: "Hello there" },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const c = (await res.json()) as Completion;
    expect(c).toMatchObject({ object: "chat.completion", model: "local/echo" });
    expect(c.id).toMatch(/^chatcmpl-\w+$/);
    expect(c.created).toBeGreaterThanOrEqual(before);
    expect(c.created).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(c.choices).toHaveLength(1);
    const content = c.choices[0]!.message.content;
    expect(c.choices[0]).toEqual({
      index: 0,
      message: { role: "assistant", content },
      finish_reason: "stop",
      logprobs: null,
    });
    expect(c.usage).toEqual({
      prompt_tokens: Math.ceil((8 + 11) / 4),
      completion_tokens: Math.ceil(content.length / 4),
      total_tokens: Math.ceil((8 + 11) / 4) + Math.ceil(content.length / 4),
    });
  });
});

describe("streaming", () => {
  it("streams the non-stream content as SSE chunks ending with [DONE], usage last when asked", async () => {
    const plain = await completion(body("Stream me"));
    const res = await post(body("Stream me", { stream: true, stream_options: { include_usage: true } }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const chunks = chunksOf(await res.text());

    expect(
      chunks.every((c) => c.object === "chat.completion.chunk" && c.model === "echo" && c.id === chunks[0]!.id),
    ).toBe(true);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: "assistant", content: "" });
    const contentChunks = chunks.filter((c) => c.choices[0]?.delta.content);
    expect(contentChunks.length).toBeGreaterThanOrEqual(3);
    expect(joined(chunks)).toBe(plain.choices[0]!.message.content);

    const finish = chunks.at(-2)!;
    expect(finish.choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual(plain.usage);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it("sends no usage chunk unless include_usage is set", async () => {
    const chunks = chunksOf(await (await post(body("No usage", { stream: true }))).text());
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.some((c) => "usage" in c)).toBe(false);
  });

  it("produces one event per read rather than one buffered string", async () => {
    const res = await post(body("Arrive over time", { stream: true }));
    const reader = res.body!.getReader();
    const reads: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) reads.push(new TextDecoder().decode(r.value));
    expect(reads.length).toBeGreaterThanOrEqual(6);
    expect(reads.every((r) => /^data: [^\n]+\n\n$/.test(r))).toBe(true);
    expect(JSON.parse(reads[0]!.slice(6)) as Chunk).toMatchObject({ choices: [{ delta: { role: "assistant" } }] });
    expect(reads.at(-1)).toBe("data: [DONE]\n\n");
  });
});

describe("injected faults", () => {
  it("error-503 answers 503 with an OpenAI-style error, streaming or not", async () => {
    const err = await expectError(await post(body("q", { model: "local/error-503" })), 503, "injected_fault");
    expect(err.error.type).toBe("server_error");
    expect(err.error.message).toMatch(/503/);
    const limited = await expectError(
      await post(body("q", { model: "error-429", stream: true })),
      429,
      "injected_fault",
    );
    expect(limited.error.type).toBe("rate_limit_error");
  });

  it("broken-stream errors the stream after two content chunks, without [DONE]", async () => {
    const res = await post(body("Break this stream please", { model: "local/broken-stream", stream: true }));
    expect(res.status).toBe(200);
    const { text, error } = await drain(res);
    expect(String(error)).toMatch(/injected stream failure/);
    expect(text).not.toContain("[DONE]");
    const events = text
      .split("\n\n")
      .filter(Boolean)
      .map((e) => JSON.parse(e.slice(6)) as Chunk);
    expect(events.filter((c) => c.choices[0]?.delta.content)).toHaveLength(2);
    expect(events.some((c) => c.choices[0]?.finish_reason)).toBe(false);
  });

  it("broken-stream without stream answers 200 with a body that is not JSON", async () => {
    const res = await post(body("q", { model: "broken-stream" }));
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
  });

  it("slow-50 delays the answer by at least 50 ms", async () => {
    const t0 = Date.now();
    const res = await post(body("q", { model: "local/slow-50" }));
    await res.text();
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50);
  });

  it("LATENCY_MS adds latency to every answer; a malformed value is a configuration error", async () => {
    const t0 = Date.now();
    const res = await post(body("q"), {}, { ...env, LATENCY_MS: "50" });
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50);
    await res.text();
    await expectError(await post(body("q"), {}, { ...env, LATENCY_MS: "fast" }), 500, "bad_configuration");
  });

  it("hang does not answer until the caller aborts, then ends", async () => {
    const ac = new AbortController();
    const pending = post(body("q", { model: "local/hang" }), { signal: ac.signal });
    const early = await Promise.race([
      pending.then(() => "answered"),
      new Promise((r) => setTimeout(r, 30, "pending")),
    ]);
    expect(early).toBe("pending");
    ac.abort();
    const res = await pending;
    expect(res.status).toBe(499);
    await res.text();
  });

  it("an aborted request stops a slow wait early", async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    const pending = post(body("q", { model: "slow-60000" }), { signal: ac.signal });
    ac.abort();
    expect((await pending).status).toBe(499);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it.each([
    ["echo", { kind: "none" }],
    ["openai/gpt-4o-mini", { kind: "none" }],
    ["local/slow-200", { kind: "slow", ms: 200 }],
    ["slow-999999", { kind: "slow", ms: 60_000 }],
    ["slow-fast", { kind: "none" }],
    ["error-404", { kind: "error", status: 404 }],
    ["local/error-599", { kind: "error", status: 599 }],
    ["error-200", { kind: "none" }],
    ["error-600", { kind: "none" }],
    ["local/hang", { kind: "hang" }],
    ["hang-on", { kind: "none" }],
    ["local/broken-stream", { kind: "broken" }],
  ])("model %s is fault %o", (model, fault) => {
    expect(faultOf(model)).toEqual(fault);
  });
});

describe("bad input", () => {
  const raw = (method: string, path: string, text?: string) =>
    provider.fetch(new Request(`http://provider.local${path}`, { method, body: text }), env);

  it("GET /healthz answers ok; other methods on it are refused", async () => {
    const res = await raw("GET", "/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    await expectError(await raw("POST", "/healthz", "{}"), 405, "method_not_allowed");
  });

  it("refuses other methods with 405 and Allow, other paths with 404", async () => {
    const res = await raw("GET", "/v1/chat/completions");
    expect(res.headers.get("allow")).toBe("POST");
    await expectError(res, 405, "method_not_allowed");
    await expectError(await raw("PUT", "/v1/chat/completions", "{}"), 405, "method_not_allowed");
    await expectError(await raw("POST", "/v1/completions", "{}"), 404, "not_found");
    await expectError(await raw("GET", "/"), 404, "not_found");
  });

  it.each([
    ["bad JSON", "{not json", "invalid_json"],
    ["an array body", "[]", "invalid_body"],
    ["a null body", "null", "invalid_body"],
    ["no model", JSON.stringify({ messages: [{ role: "user", content: "hi" }] }), "missing_model"],
    ["a numeric model", JSON.stringify({ model: 4, messages: [{ role: "user", content: "hi" }] }), "missing_model"],
    ["no messages", JSON.stringify({ model: "echo" }), "missing_messages"],
    ["empty messages", JSON.stringify({ model: "echo", messages: [] }), "missing_messages"],
    ["a null message", JSON.stringify({ model: "echo", messages: [null] }), "invalid_message"],
    ["a message without role", JSON.stringify({ model: "echo", messages: [{ content: "hi" }] }), "invalid_message"],
    [
      "numeric content",
      JSON.stringify({ model: "echo", messages: [{ role: "user", content: 42 }] }),
      "invalid_message",
    ],
    [
      "a text part without text",
      JSON.stringify({ model: "echo", messages: [{ role: "user", content: [{ type: "text" }] }] }),
      "invalid_message",
    ],
    ["a string stream flag", JSON.stringify({ ...body("hi"), stream: "yes" }), "invalid_stream"],
    [
      "bad stream_options",
      JSON.stringify({ ...body("hi"), stream: true, stream_options: { include_usage: "yes" } }),
      "invalid_stream_options",
    ],
    ["max_tokens 0", JSON.stringify({ ...body("hi"), max_tokens: 0 }), "invalid_max_tokens"],
  ])("answers 400 to %s", async (_name, text, code) => {
    const err = await expectError(await raw("POST", "/v1/chat/completions", text), 400, code);
    expect(err.error.type).toBe("invalid_request_error");
  });

  it("answers 413 to a body over 1 MiB", async () => {
    await expectError(
      await raw("POST", "/v1/chat/completions", JSON.stringify(body("x".repeat(1024 * 1024)))),
      413,
      "body_too_large",
    );
  });
});

describe("LocalProvider service binding", () => {
  it("serves the same handler through the entrypoint the gateway binds", async () => {
    const health = await env.PROVIDER_SERVICE!.fetch("http://cordon-provider.local/healthz");
    expect(await health.json()).toEqual({ ok: true });

    const req = body("Through the binding", { stream: true });
    const res = await env.PROVIDER_SERVICE!.fetch(CHAT_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(req),
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(joined(chunksOf(await res.text()))).toBe(await contentOf(body("Through the binding")));
  });
});
