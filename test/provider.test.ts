// The local provider Worker: deterministic OpenAI-compatible answers, SSE streaming, injected faults.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import provider, { faultOf } from "../src/provider/index";

const URL_ = "http://provider.local/v1/chat/completions";
const body = (content: string, extra: Record<string, unknown> = {}) => ({ model: "echo", messages: [{ role: "user", content }], ...extra });
const post = (b: unknown, init: RequestInit = {}) =>
  provider.fetch(new Request(URL_, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(b), ...init }), env);

function chunksOf(text: string) {
  const events = text.split("\n\n").filter(Boolean);
  expect(events.at(-1)).toBe("data: [DONE]");
  return events.slice(0, -1).map((e) => {
    expect(e.startsWith("data: ")).toBe(true);
    return JSON.parse(e.slice(6)) as { object: string; choices: { delta: { content?: string }; finish_reason: string | null }[]; usage?: object };
  });
}

describe("local provider", () => {
  it("answers deterministically with a valid chat.completion", async () => {
    const a = (await (await post(body("What is 2+2?"))).json()) as Record<string, any>;
    const b = (await (await post(body("What is 2+2?"))).json()) as Record<string, any>;
    const c = (await (await post(body("What is 3+3?"))).json()) as Record<string, any>;
    expect(a).toMatchObject({ object: "chat.completion", model: "echo", choices: [{ index: 0, message: { role: "assistant" }, finish_reason: "stop" }] });
    expect(a.id).toMatch(/^chatcmpl-/);
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content);
    expect(a.choices[0].message.content).not.toBe(c.choices[0].message.content);
    expect(a.usage.total_tokens).toBe(a.usage.prompt_tokens + a.usage.completion_tokens);
  });

  it("streams the same content as SSE chunks ending with [DONE], with usage when asked", async () => {
    const plain = (await (await post(body("Stream me"))).json()) as Record<string, any>;
    const res = await post(body("Stream me", { stream: true, stream_options: { include_usage: true } }));
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const chunks = chunksOf(await res.text());
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks.length).toBeGreaterThan(4);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(plain.choices[0].message.content);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.at(-1)!.usage).toEqual(plain.usage);
  });

  it("injects errors, breaks streams and returns invalid JSON on request", async () => {
    const err = await post(body("q", { model: "local/error-503" }));
    expect(err.status).toBe(503);
    expect(((await err.json()) as { error: { message: string } }).error.message).toMatch(/503/);

    const broken = await post(body("q", { model: "broken-stream", stream: true }));
    await expect(broken.text()).rejects.toThrow(/injected/);
    const invalid = await post(body("q", { model: "broken-stream" }));
    expect(invalid.status).toBe(200);
    await expect(invalid.json()).rejects.toThrow();
  });

  it("delays a slow model by at least its latency", async () => {
    const t0 = performance.now();
    const res = await post(body("q", { model: "local/slow-60" }));
    await res.text();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it("hangs until the caller aborts", async () => {
    const ac = new AbortController();
    const pending = post(body("q", { model: "hang" }), { signal: ac.signal });
    ac.abort();
    expect((await pending).status).toBe(499);
  });

  it("parses fault names with or without a provider prefix", () => {
    expect(faultOf("local/slow-200")).toEqual({ kind: "slow", ms: 200 });
    expect(faultOf("slow-999999")).toEqual({ kind: "none" });
    expect(faultOf("error-404")).toEqual({ kind: "error", status: 404 });
    expect(faultOf("error-200")).toEqual({ kind: "none" });
    expect(faultOf("openai/gpt-4o-mini")).toEqual({ kind: "none" });
  });

  it.each([
    ["GET", "/v1/chat/completions", undefined, 405],
    ["POST", "/v1/other", "{}", 404],
    ["POST", "/v1/chat/completions", "{not json", 400],
    ["POST", "/v1/chat/completions", JSON.stringify({ model: "m" }), 400],
  ])("%s %s → %i", async (method, path, raw, status) => {
    const res = await provider.fetch(new Request(`http://provider.local${path}`, { method, body: raw }), env);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: object }).error).toBeDefined();
  });
});
