// Streams that fail loudly and clients that go away, through the gateway with the local provider's faults:
// a provider failure after the first byte ends the client's stream with an SSE error event in OpenAI's shape
// and no [DONE], stores nothing and is audited as a failed stream; a client that aborts (its request signal)
// or disconnects (cancels the body) mid-stream, or aborts while the provider is still waiting, cancels the
// upstream request within a second, as the provider's abort log shows; and an abort stops retries and
// fallbacks at once.

import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { ABANDONED_GRACE_MS } from "../../src/gateway/pipeline";
import type { AuditEvent } from "../../src/shared/audit-event";
import { aiGatewayEnv, call, chatBody, setPolicy, tenantWithKey } from "../helpers";
import { callWith, catalogCount, eventOf, eventsOf, label, provider, settleAll, sleep } from "./gateway-helpers";
import { type SseMessage, sseMessages } from "./provider-helpers";

const errorShape = {
  message: expect.any(String),
  type: "server_error",
  code: expect.any(String),
  param: null,
};

describe("a provider failure mid-stream", async () => {
  const t = await tenantWithKey("upstrm");
  const stream = async (model: string, content: string) => {
    const before = await catalogCount(t.tenant);
    const res = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      body: chatBody(content, { stream: true, model }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await res.text();
    await settleAll();
    expect(text).not.toContain("[DONE]");
    expect(await catalogCount(t.tenant)).toBe(before);
    // The entry id announced in the headers was never stored.
    const entry = await call(t.host, `/v1/cache/entries/${res.headers.get("x-cache-entry-id")}`, { token: t.key });
    expect(entry.status).toBe(404);
    await entry.arrayBuffer();
    return { messages: sseMessages(text), event: await eventOf(res) };
  };
  const content = (m: SseMessage) => JSON.parse(m.data).choices?.[0]?.delta?.content;

  it("broken-stream: the content so far, then an error event in OpenAI's shape, no [DONE]", async () => {
    const { messages, event } = await stream("local/broken-stream", "Tell me a long story about a lighthouse.");
    const last = messages.at(-1)!;
    expect(JSON.parse(last.data)).toEqual({ error: { ...errorShape, code: "stream_interrupted" } });
    expect(messages.slice(0, -1).every((m) => content(m) !== undefined)).toBe(true);
    expect(event).toMatchObject({ status: 200, cache: "MISS", entry_id: null, reason: "stream_failed" });
  });

  it.each([1, 3])("error-after-%i: that many content events, the provider's error event, no [DONE]", async (k) => {
    const { messages, event } = await stream(`local/error-after-${k}`, `Count to ten slowly, ${k} times over.`);
    const error = messages.at(-1)!;
    expect(error.event).toBe("error");
    expect(JSON.parse(error.data)).toEqual({ error: { ...errorShape, code: "server_error" } });
    expect(messages.slice(0, -1).filter((m) => content(m))).toHaveLength(k);
    expect(event).toMatchObject({ status: 200, cache: "MISS", entry_id: null, reason: "stream_failed" });
  });
});

/** A chat request the test can abort, through the gateway's fetch. */
function abortable(t: { host: string; key: string }, model: string, stream = false) {
  const controller = new AbortController();
  const res = callWith(env, t.host, "/v1/chat/completions", {
    token: t.key,
    body: chatBody(`Abort ${model} at ${label()}`, { model, stream }),
    signal: controller.signal,
  });
  const abort = () => {
    controller.abort();
    return Date.now();
  };
  return { res, abort };
}

/** The provider's record of the abort of the request for `model`, once it noticed it. */
async function noticed(model: string) {
  let record: Awaited<ReturnType<ReturnType<typeof provider>["abortLog"]>>[number] | undefined;
  await vi.waitFor(
    async () => {
      record = (await provider().abortLog()).find((r) => r.model === model);
      expect(record, `abort of ${model} seen by the provider`).toBeDefined();
    },
    { timeout: 3000, interval: 20 },
  );
  return record!;
}

describe("a client that goes away cancels the upstream request within a second", async () => {
  const t = await tenantWithKey("upabrt");

  it.each([
    ["aborts its request", "signal"],
    ["disconnects (cancels the body)", "cancel"],
  ])("mid-stream: a client that %s", async (_how, how) => {
    const model = `local/slow-stream-400`;
    await provider().clearAbortLog();
    const before = await catalogCount(t.tenant);
    const call = abortable(t, model, true);
    const res = await call.res;
    expect(res.headers.get("x-cache")).toBe("MISS");
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("chat.completion.chunk");
    let at: number;
    if (how === "signal") {
      // The client waits for the next event when it aborts, as a client does: the read in flight is cut.
      const next = reader.read();
      at = call.abort();
      const cut = await next;
      expect(new TextDecoder().decode(cut.value)).not.toContain("[DONE]");
      await reader.cancel();
    } else {
      at = Date.now();
      await reader.cancel();
    }
    const record = await noticed(model);
    expect(record.phase).toBe("streaming");
    expect(record.noticedAt - at).toBeLessThan(1000);
    await settleAll();
    expect(await catalogCount(t.tenant)).toBe(before);
    expect(await eventOf(res)).toMatchObject({ status: 200, entry_id: null, reason: "stream_cancelled" });
  });

  it("mid-stream: a Responses client that aborts its request is audited as gone, not as a provider failure", async () => {
    const controller = new AbortController();
    const res = await callWith(env, t.host, "/v1/responses", {
      token: t.key,
      body: { model: "local/slow-stream-400", input: `Abort a response at ${label()}`, store: false, stream: true },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("response.created");
    // The client waits for the next event when it aborts: the read in flight is cut.
    const next = reader.read();
    controller.abort();
    await next;
    await reader.cancel();
    await settleAll();
    expect(await eventOf(res)).toMatchObject({ status: 200, entry_id: null, reason: "stream_cancelled" });
  });

  it.each(["local/hang", "local/slow-1500"])("while %s keeps the provider waiting", async (model) => {
    await provider().clearAbortLog();
    const call = abortable(t, model);
    await sleep(500);
    const at = call.abort();
    const res = await call.res;
    const record = await noticed(model);
    expect(record).toMatchObject({ phase: "waiting", eventsSent: 0 });
    expect(record.noticedAt - at).toBeLessThan(1000);
    expect(res.status).toBe(400);
    expect(await eventOf(res)).toMatchObject({
      code: "request_aborted",
      reason: "client_aborted",
      upstream: [{ target: model, outcome: "aborted", status: null, latency_ms: expect.any(Number) }],
    });
  });

  it("stops retrying and tries no fallback once the client has gone, waiting out no Retry-After", async () => {
    const a = await tenantWithKey("upabrt2");
    await setPolicy(a.tenant, { fallbacks: [`${label()}/fallback-never-asked`] });
    await settleAll();
    const model = `${label()}/error-429`;
    const call = abortable(a, model);
    // The provider asks for one second before the next attempt; the client leaves during that wait.
    await sleep(400);
    const at = call.abort();
    const res = await call.res;
    expect(Date.now() - at).toBeLessThan(300);
    expect(res.status).toBe(400);
    const event = await eventOf(res);
    expect(event).toMatchObject({ code: "request_aborted", reason: "client_aborted" });
    expect(event.upstream).toEqual([{ target: model, outcome: "error", status: 429, latency_ms: expect.any(Number) }]);
  });
});

describe("a client that leaves a handler the platform ends", async () => {
  const t = await tenantWithKey("upgone");

  // Regression: the request's event was sent only once the handler finished. When a client leaves, the platform
  // may end the handler where it waits (workerd drops the I/O it waits on), and the request — which reached the
  // provider, which may charge for it — left no event at all.
  it("is audited as gone once the handler has not finished within the grace", async () => {
    // A provider call that never settles, whatever its signal says: as a wait the platform ended.
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(() => new Promise<Response>(() => {}));
    try {
      const controller = new AbortController();
      const content = `Leave at ${label()}`;
      const viaAiGateway = aiGatewayEnv({ PROVIDER_API_KEY: "provider-secret-value" }) as typeof env;
      void callWith(viaAiGateway, t.host, "/v1/chat/completions", {
        token: t.key,
        body: chatBody(content, { model: "openai/gpt-4o-mini" }),
        signal: controller.signal,
      });
      await vi.waitFor(() => expect(fetchSpy).toHaveBeenCalled(), { timeout: 3000, interval: 10 });
      const before = (await eventsOf(t.tenant)).length;
      const left = Date.now();
      controller.abort();
      let gone: AuditEvent | undefined;
      await vi.waitFor(
        async () => {
          await settleAll();
          gone = (await eventsOf(t.tenant)).find((e) => e.code === "request_aborted");
          expect(gone).toBeDefined();
        },
        { timeout: ABANDONED_GRACE_MS + 3000, interval: 50 },
      );
      expect(Date.now() - left).toBeGreaterThanOrEqual(ABANDONED_GRACE_MS - 50);
      expect(gone).toMatchObject({
        action: "chat.completions",
        status: 400,
        reason: "client_aborted",
        actor: expect.stringMatching(/^key:/),
      });
      // One event for the request, and none holds the prompt.
      const after = await eventsOf(t.tenant);
      expect(after.length).toBe(before + 1);
      expect(JSON.stringify(after)).not.toContain(content);
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it("a handler that finishes within the grace sends the one event, with what it learnt", async () => {
    await provider().clearAbortLog();
    const call = abortable(t, "local/slow-1500");
    await sleep(300);
    call.abort();
    const res = await call.res;
    await sleep(ABANDONED_GRACE_MS + 200);
    await settleAll();
    const events = (await eventsOf(t.tenant)).filter((e) => e.request_id === res.headers.get("x-request-id"));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ code: "request_aborted", upstream: [{ outcome: "aborted" }] });
  });
});
