// POST /v1/responses end to end against the local provider: stateless requests cached like chat (MISS →
// HIT-EXACT → HIT-SEMANTIC, hits that look fresh, streams replayed as OpenAI's event sequence, broken streams
// failing loudly). Stateful requests, request fields and provider failures: responses-pass-through.test.ts.
import { describe, expect, it } from "vitest";
import { settle, tenantWithKey } from "../helpers";
import {
  catalogCount,
  eventsOf,
  expectNumbered,
  outputText,
  respond,
  type StreamEvent,
  stateless,
} from "./responses-helpers";

const RESP_ID = /^resp_[0-9a-f]{48}$/;

describe("stateless requests are cached", async () => {
  const t = await tenantWithKey("resp");
  await settle();

  it("MISS, then a HIT-EXACT that looks fresh: new ids and time, the same text and usage", async () => {
    const first = await respond(t, stateless("What is the capital of France?"));
    expect(first.status, first.text).toBe(200);
    expect(first.cache).toBe("MISS");
    expect(first.entryId).toMatch(/^[0-9a-f-]{36}$/);
    const a = first.json();
    expect(a).toMatchObject({ object: "response", status: "completed", store: false });
    expect(outputText(a)).toContain("capital of France");

    const second = await respond(t, stateless("What is the capital of France?"));
    expect(second.cache).toBe("HIT-EXACT");
    expect(second.res.headers.get("x-cache-similarity")).toBe("1.0000");
    const b = second.json();
    expect(b.id).toMatch(RESP_ID);
    expect(b.id).not.toBe(a.id);
    expect(b.output[0]!.id).toMatch(/^msg_[0-9a-f]{48}$/);
    expect(b.output[0]!.id).not.toBe(a.output[0]!.id);
    expect(b.created_at).toBeGreaterThanOrEqual(a.created_at);
    expect(Math.abs(b.created_at - Date.now() / 1000)).toBeLessThan(5);
    expect(outputText(b)).toBe(outputText(a));
    expect(b.usage).toEqual(a.usage);
    expect(b.usage.total_tokens).toBe(b.usage.input_tokens + b.usage.output_tokens);
    expect(second.res.headers.get("x-cache-tokens-saved")).toBe(String(a.usage.total_tokens));
    expect(second.res.headers.get("x-cache-cost-saved")).toMatch(/^\d+\.\d{8}$/);
    expect(Number(second.res.headers.get("x-cache-cost-saved"))).toBeGreaterThan(0);
  });

  it("a surface variant is a HIT-SEMANTIC; another question a MISS", async () => {
    const base = await respond(t, stateless("How many legs does a spider have?"));
    const variant = await respond(t, stateless("how many legs does a spider have"));
    expect(variant.cache).toBe("HIT-SEMANTIC");
    expect(outputText(variant.json())).toBe(outputText(base.json()));
    expect((await respond(t, stateless("How many legs does an ant have?"))).cache).toBe("MISS");
  });

  it("a string input and the same text as a user message item are one request", async () => {
    expect((await respond(t, stateless("Name three primary colours."))).cache).toBe("MISS");
    const items = [
      { type: "message", role: "user", content: [{ type: "input_text", text: "Name three primary colours." }] },
    ];
    expect((await respond(t, stateless(items))).cache).toBe("HIT-EXACT");
    expect((await respond(t, stateless([{ role: "user", content: "Name three primary colours." }]))).cache).toBe(
      "HIT-EXACT",
    );
  });

  it("instructions and earlier items are part of the partition", async () => {
    const q = "Describe the sea in one sentence.";
    expect((await respond(t, stateless(q))).cache).toBe("MISS");
    expect((await respond(t, stateless(q, { instructions: "Answer as a pirate." }))).cache).toBe("MISS");
    expect((await respond(t, stateless(q, { instructions: "Answer as a pirate." }))).cache).toBe("HIT-EXACT");
    const turns = [
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
      { role: "user", content: q },
    ];
    expect((await respond(t, stateless(turns))).cache).toBe("MISS");
    expect((await respond(t, stateless(turns))).cache).toBe("HIT-EXACT");
  });

  it("requests the cache cannot answer bypass it, with the reason", async () => {
    const image = [
      {
        role: "user",
        content: [
          { type: "input_text", text: "What is in this picture?" },
          { type: "input_image", image_url: "https://example.com/cat.png" },
        ],
      },
    ];
    const lastNotUser = [
      { role: "user", content: "Say something." },
      { role: "assistant", content: "Something." },
    ];
    const toolResult = [
      { type: "function_call", call_id: "call_1", name: "lookup", arguments: "{}" },
      { type: "function_call_output", call_id: "call_1", output: "42" },
    ];
    const tools = [{ type: "function", name: "lookup", parameters: { type: "object", properties: {} } }];
    for (const [input, reason, extra] of [
      [image, "bypass:non_text_content", {}],
      [lastNotUser, "bypass:last_item_not_user", {}],
      [toolResult, "bypass:last_item_not_user", { tools }],
      ["Tell me about owls.", "bypass:prompt_unversioned", { prompt: { id: "pmpt_owls" } }],
    ] as const) {
      const before = await catalogCount(t.tenant);
      const r = await respond(t, stateless(input, extra));
      expect(r.status, r.text).toBe(200);
      expect(r.cache).toBe("BYPASS");
      expect(r.reason).toBe(reason);
      expect(await catalogCount(t.tenant)).toBe(before);
    }
  });

  it("stores only completed text answers: never tool calls, refusals or incomplete responses", async () => {
    const tools = [{ type: "function", name: "lookup", parameters: { type: "object", properties: {} } }];
    for (const [body, status, itemType] of [
      [stateless("Look it up for me.", { tools, tool_choice: "required" }), "completed", "function_call"],
      [stateless("Please refuse this request."), "completed", "message"],
      [stateless("Write a long story about a lighthouse keeper.", { max_output_tokens: 16 }), "incomplete", "message"],
    ] as const) {
      const before = await catalogCount(t.tenant);
      for (let i = 0; i < 2; i++) {
        const r = await respond(t, body);
        expect(r.status, r.text).toBe(200);
        expect(r.cache).toBe("MISS");
        expect(r.entryId).toBeNull();
        expect(r.json()).toMatchObject({ status, output: [{ type: itemType }] });
      }
      expect(await catalogCount(t.tenant)).toBe(before);
    }
  });
});

describe("streaming", async () => {
  const t = await tenantWithKey("rstream");
  await settle();
  const textOfDeltas = (events: StreamEvent[]) =>
    events
      .filter((e) => e.type === "response.output_text.delta")
      .map((e) => e.delta)
      .join("");

  it("passes a streamed miss through, stores it, and replays it as OpenAI's event sequence on a hit", async () => {
    const q = "Tell me a fact about owls.";
    const miss = await respond(t, stateless(q, { stream: true }));
    expect(miss.cache).toBe("MISS");
    expect(miss.res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(miss.text).not.toContain("[DONE]");
    const missEvents = eventsOf(miss.text);
    expectNumbered(missEvents);
    const completed = missEvents.at(-1)!;
    expect(completed.type).toBe("response.completed");
    const answer = outputText(completed.response!);
    expect(textOfDeltas(missEvents)).toBe(answer);

    const hit = await respond(t, stateless(q, { stream: true }));
    expect(hit.cache).toBe("HIT-EXACT");
    expect(hit.res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = eventsOf(hit.text);
    expectNumbered(events);
    const types = events.map((e) => e.type);
    const deltas = types.filter((x) => x === "response.output_text.delta").length;
    expect(deltas).toBeGreaterThan(1);
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...Array(deltas).fill("response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events[0]!.response).toMatchObject({ status: "in_progress", output: [], usage: null });
    const final = events.at(-1)!.response!;
    expect(final.id).toMatch(RESP_ID);
    expect(final.id).not.toBe(completed.response!.id);
    expect(events[0]!.response!.id).toBe(final.id);
    expect(events[2]!.item).toMatchObject({ id: final.output[0]!.id, type: "message", status: "in_progress" });
    expect(events.filter((e) => "item_id" in e).every((e) => e.item_id === final.output[0]!.id)).toBe(true);
    expect(outputText(final)).toBe(answer);
    expect(textOfDeltas(events)).toBe(answer);
    expect(events.find((e) => e.type === "response.output_text.done")!.text).toBe(answer);
    expect(final.usage).toEqual(completed.response!.usage);
    expect(final.status).toBe("completed");

    // Stored from a stream, served whole; and served as a stream without obfuscation when asked.
    const whole = await respond(t, stateless(q));
    expect(whole.cache).toBe("HIT-EXACT");
    expect(outputText(whole.json())).toBe(answer);
    const bare = await respond(t, stateless(q, { stream: true, stream_options: { include_obfuscation: false } }));
    const bareDeltas = eventsOf(bare.text).filter((e) => e.type === "response.output_text.delta");
    expect(bareDeltas.every((e) => !("obfuscation" in e))).toBe(true);
    expect(events.filter((e) => e.type === "response.output_text.delta").every((e) => "obfuscation" in e)).toBe(true);
  });

  it("a stream that breaks ends with an error event and response.failed, and nothing is stored", async () => {
    const before = await catalogCount(t.tenant);
    const r = await respond(t, stateless("Will this stream break?", { stream: true, model: "local/broken-stream" }));
    expect(r.status).toBe(200);
    const events = eventsOf(r.text);
    expectNumbered(events);
    expect(events.map((e) => e.type).slice(-2)).toEqual(["error", "response.failed"]);
    // The documented fields, and the same in `error` as OpenAI sends it (the SDKs raise it from there).
    expect(events.at(-2)).toMatchObject({
      code: "stream_interrupted",
      param: null,
      error: { type: "server_error", code: "stream_interrupted" },
    });
    expect(events.at(-1)!.response).toMatchObject({ status: "failed", error: { code: "server_error" } });
    expect(events.some((e) => e.type === "response.completed")).toBe(false);
    expect(await catalogCount(t.tenant)).toBe(before);
    const again = await respond(t, stateless("Will this stream break?", { model: "local/broken-stream" }));
    expect(again.cache).not.toMatch(/^HIT/);
  });

  it("a provider's own error event passes through as sent, and nothing is stored", async () => {
    const before = await catalogCount(t.tenant);
    const r = await respond(
      t,
      stateless("Will this stream stop early?", { stream: true, model: "local/error-after-2" }),
    );
    const events = eventsOf(r.text);
    expect(events.at(-1)).toMatchObject({ type: "error", code: "server_error" });
    expect(events.filter((e) => e.type === "error")).toHaveLength(1);
    expect(events.some((e) => e.type === "response.completed" || e.type === "response.failed")).toBe(false);
    expect(await catalogCount(t.tenant)).toBe(before);
  });
});
