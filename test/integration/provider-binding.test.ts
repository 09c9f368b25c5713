// The local provider through the LocalProvider entrypoint the gateway binds (PROVIDER_SERVICE): the same HTTP
// answers, and the abort log over RPC — a caller that cancels a stream is noticed by the provider within a
// second, with the request's id, path, model, fingerprint and how far the stream got.
import { describe, expect, it } from "vitest";
import type { AbortRecord } from "../../src/provider/index";
import { binding, chat, chatChunks, PROVIDER, post, streamedContent } from "./provider-helpers";

const CHAT = `${PROVIDER}/v1/chat/completions`;
const RESPONSES = `${PROVIDER}/v1/responses`;

const postJson = (url: string, body: unknown) =>
  binding().fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** The abort record of `requestId`, polling the log over RPC for up to `withinMs`. */
async function abortOf(requestId: string, withinMs = 1000): Promise<AbortRecord | undefined> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const found = (await binding().abortLog()).find((r) => r.requestId === requestId);
    if (found || Date.now() >= deadline) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Reads a stream until `count` SSE events (comments aside) have arrived. */
async function readEvents(reader: ReadableStreamDefaultReader<Uint8Array>, count: number): Promise<string> {
  let text = "";
  while ((text.match(/^data: /gm) ?? []).length < count) {
    const r = await reader.read();
    if (r.done) break;
    text += new TextDecoder().decode(r.value, { stream: true });
  }
  return text;
}

describe("LocalProvider service binding", () => {
  it("serves the same answers as the fetch handler", async () => {
    expect(await (await binding().fetch(`${PROVIDER}/healthz`)).json()).toEqual({ ok: true });
    const res = await postJson(CHAT, chat("Through the binding", { stream: true }));
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    const direct = (await (await post("/v1/chat/completions", chat("Through the binding"))).json()) as {
      choices: { message: { content: string } }[];
    };
    expect(streamedContent(chatChunks(await res.text()))).toBe(direct.choices[0]!.message.content);
  });
});

describe("abort log", () => {
  it("records a chat stream the caller cancels mid-way, within a second", async () => {
    const body = chat("Cancel me part way through, please", { model: "local/slow-stream-5000", stream: true });
    const res = await postJson(CHAT, body);
    const requestId = res.headers.get("x-request-id")!;
    const reader = res.body!.getReader();
    await readEvents(reader, 1);
    const cancelledAt = Date.now();
    await reader.cancel();

    const record = await abortOf(requestId);
    expect(record).toBeDefined();
    expect(record!.noticedAt - cancelledAt).toBeLessThan(1000);
    const whole = (await (await post("/v1/chat/completions", { ...body, stream: false })).json()) as {
      choices: { message: { content: string } }[];
    };
    const fingerprint = /^Local answer ([0-9a-f]{8})/.exec(whole.choices[0]!.message.content)![1];
    expect(record).toEqual({
      requestId,
      path: "/v1/chat/completions",
      model: "local/slow-stream-5000",
      fingerprint,
      phase: "streaming",
      eventsSent: 1,
      startedAt: expect.any(Number),
      noticedAt: expect.any(Number),
    });
    expect(record!.startedAt).toBeLessThanOrEqual(cancelledAt);
  });

  it("records a Responses stream the caller cancels after a few events", async () => {
    const res = await postJson(RESPONSES, { model: "slow-stream-300", input: "Cancel this response", stream: true });
    const requestId = res.headers.get("x-request-id")!;
    const reader = res.body!.getReader();
    await readEvents(reader, 2);
    await reader.cancel();
    expect(await abortOf(requestId)).toMatchObject({ path: "/v1/responses", phase: "streaming", eventsSent: 2 });
  });

  it("records nothing for a stream read to its end, and clearAbortLog empties the log", async () => {
    const res = await postJson(CHAT, chat("Read me to the end", { model: "slow-stream-5", stream: true }));
    const requestId = res.headers.get("x-request-id")!;
    await res.text();
    expect(await abortOf(requestId, 100)).toBeUndefined();

    const cancelled = await postJson(CHAT, chat("Cancel me", { model: "slow-stream-5000", stream: true }));
    await cancelled.body!.cancel();
    expect(await abortOf(cancelled.headers.get("x-request-id")!)).toBeDefined();
    await binding().clearAbortLog();
    expect(await binding().abortLog()).toEqual([]);
  });
});
