// A streamed answer's audit event is sent when the stream ends, with what the stream showed: so every way a
// stream can end must end it for the trail too. Regressions: a provider event no parser foresaw, a Responses
// answer with a null content part, and a storage read failing in the middle of a personal-data export each
// left the request with no audit event at all.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sseResponse } from "../fixtures/upstream";
import { call, settle, tenantWithKey } from "../helpers";
import { callWith, type Env, eventOf, label, settleAll } from "./gateway-helpers";

/** A provider that answers every call with these SSE events. */
const providerSending = (events: readonly string[]) =>
  ({ fetch: async () => sseResponse(events) }) as unknown as Fetcher;

const chunk = (delta: object, finish: string | null = null) =>
  JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "gpt-4o-mini",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });

describe("every stream's end reaches the audit trail", async () => {
  const t = await tenantWithKey("audstr");

  it("a chat stream carrying an event that is not a chunk: passed through, not stored, audited", async () => {
    for (const odd of ["null", "[1,2]", '{"choices":{}}', '{"choices":[null]}']) {
      const events = [chunk({ content: "Hel" }), odd, chunk({ content: "lo" }, "stop"), "[DONE]"];
      const e: Env = { ...env, PROVIDER_SERVICE: providerSending(events) };
      const res = await callWith(e, t.host, "/v1/chat/completions", {
        token: t.key,
        body: { model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: `Say hello ${label()}` }] },
      });
      expect(res.status, odd).toBe(200);
      expect(await res.text(), odd).toBe(events.map((d) => `data: ${d}\n\n`).join(""));
      await settleAll();
      expect(await eventOf(res), odd).toMatchObject({ status: 200, cache: "MISS", entry_id: null, reason: null });
    }
  });

  it("a Responses stream whose answer has a null content part: not stored, audited", async () => {
    const response = {
      id: "resp_1",
      object: "response",
      created_at: 1,
      status: "completed",
      model: "gpt-4o-mini",
      output: [{ type: "message", id: "msg_1", role: "assistant", content: [null] }],
    };
    const events = [
      JSON.stringify({ type: "response.created", sequence_number: 0, response: { ...response, output: [] } }),
      JSON.stringify({ type: "response.completed", sequence_number: 1, response }),
    ];
    const e: Env = { ...env, PROVIDER_SERVICE: providerSending(events) };
    const res = await callWith(e, t.host, "/v1/responses", {
      token: t.key,
      body: { model: "gpt-4o-mini", stream: true, store: false, input: `Say hello ${label()}` },
    });
    expect(res.status).toBe(200);
    await res.text();
    await settleAll();
    expect(await eventOf(res)).toMatchObject({ action: "responses.create", status: 200, entry_id: null });
  });

  it("a Responses stream the provider ends with response.failed: not stored, audited as a failed stream", async () => {
    const response = { id: "resp_2", object: "response", created_at: 1, model: "gpt-4o-mini", output: [] };
    const events = [
      JSON.stringify({
        type: "response.created",
        sequence_number: 0,
        response: { ...response, status: "in_progress" },
      }),
      JSON.stringify({
        type: "response.failed",
        sequence_number: 1,
        response: { ...response, status: "failed", error: { code: "server_error", message: "The model failed." } },
      }),
    ];
    const e: Env = { ...env, PROVIDER_SERVICE: providerSending(events) };
    const res = await callWith(e, t.host, "/v1/responses", {
      token: t.key,
      body: { model: "gpt-4o-mini", stream: true, store: false, input: `Say hello ${label()}` },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(events.map((d) => `data: ${d}\n\n`).join(""));
    await settleAll();
    expect(await eventOf(res)).toMatchObject({ status: 200, entry_id: null, reason: "stream_failed" });
  });

  it("a client that leaves once [DONE] reached it had the whole answer: stored, and audited as complete", async () => {
    const events = [chunk({ role: "assistant", content: "" }), chunk({ content: "Hello there." }, "stop"), "[DONE]"];
    const e: Env = { ...env, PROVIDER_SERVICE: providerSending(events) };
    const res = await callWith(e, t.host, "/v1/chat/completions", {
      token: t.key,
      body: { model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: `Say hello ${label()}` }] },
    });
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("[DONE]")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    await settleAll();
    const entryId = res.headers.get("x-cache-entry-id");
    expect(await eventOf(res)).toMatchObject({ status: 200, cache: "MISS", entry_id: entryId, reason: null });
    const entry = await call(t.host, `/v1/cache/entries/${entryId}`, { token: t.key });
    expect(entry.status).toBe(200);
    await entry.arrayBuffer();
  });

  it("a client that goes away while the runtime neither reads nor cancels the body: the stream is still audited", async () => {
    // Where the runtime reports a disconnect only through the request's signal (no cancel of the response body:
    // workerd#6832), the relayed stream must end on the signal, or its event waits forever.
    for (const path of ["/v1/chat/completions", "/v1/responses"]) {
      const controller = new AbortController();
      const input = `Tell me a long story ${label()}`;
      const res = await callWith(env, t.host, path, {
        token: t.key,
        body:
          path === "/v1/responses"
            ? { model: "local/slow-stream-400", stream: true, store: false, input }
            : { model: "local/slow-stream-400", stream: true, messages: [{ role: "user", content: input }] },
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      await Promise.race([settleAll(), new Promise((r) => setTimeout(r, 2000))]);
      expect(await eventOf(res), path).toMatchObject({ status: 200, entry_id: null, reason: "stream_cancelled" });
    }
  });

  /** One answer cached in `user`'s cache, for an export to carry. */
  async function cacheAnswerFor(user: string, question: string): Promise<void> {
    const asked = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      headers: { "x-cache-user": user },
      body: { model: "gpt-4o-mini", messages: [{ role: "user", content: question }] },
    });
    expect(asked.status).toBe(200);
    await asked.text();
    await settle();
  }

  it("an export whose client goes away while the runtime neither reads nor cancels the body: still audited", async () => {
    await cacheAnswerFor("bob", "What is a container image?");

    const controller = new AbortController();
    const res = await callWith(env, t.host, "/v1/cache/export?user=bob", { token: t.key, signal: controller.signal });
    expect(res.status).toBe(200);
    controller.abort();
    await Promise.race([settleAll(), new Promise((r) => setTimeout(r, 2000))]);
    expect(await eventOf(res)).toMatchObject({ action: "cache.export", status: 200, reason: "export:0" });
  });

  it("an export whose storage read fails mid-stream: the download breaks, the trail says so", async () => {
    await cacheAnswerFor("alice", "What is Kubernetes?");

    const whole = await call(t.host, "/v1/cache/export?user=alice", { token: t.key });
    expect((await whole.text()).trim().split("\n")).toHaveLength(1);
    await settle();
    expect(await eventOf(whole)).toMatchObject({ action: "cache.export", reason: "export:1" });

    // KV's bulk read (the bodies) fails; single reads keep working.
    const failingBulkGet = new Proxy(env.CACHE, {
      get(target, prop) {
        const value = Reflect.get(target, prop) as unknown;
        if (prop === "get") {
          return (key: unknown, ...rest: unknown[]) =>
            Array.isArray(key)
              ? Promise.reject(new Error("KV unavailable"))
              : (value as (...a: unknown[]) => unknown).call(target, key, ...rest);
        }
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as KVNamespace;
    const res = await callWith({ ...env, CACHE: failingBulkGet }, t.host, "/v1/cache/export?user=alice", {
      token: t.key,
    });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    await settleAll();
    expect(await eventOf(res)).toMatchObject({ action: "cache.export", status: 200, reason: "export_failed:0" });
  });
});
