// A stored Responses answer replayed as a stream (chat/responses-sse.ts, replayResponseStream): regressions.
import { describe, expect, it } from "vitest";
import { captureResponseStream, replayResponseStream } from "../../src/gateway/chat/responses-sse";
import type { ResponseObject } from "../../src/gateway/protocol/responses";

const logprob = (token: string) => ({
  token,
  logprob: -0.5,
  bytes: [...new TextEncoder().encode(token)],
  top_logprobs: [],
});

const stored = (text: string, logprobs: unknown[]): ResponseObject => ({
  id: "resp_1",
  object: "response",
  created_at: 1,
  status: "completed",
  model: "gpt-4o-mini",
  output: [
    {
      id: "msg_1",
      type: "message",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text, annotations: [], logprobs }],
    },
  ],
  usage: { input_tokens: 5, output_tokens: 3 },
});

async function events(response: ResponseObject) {
  const text = await new Response(replayResponseStream(response, { obfuscation: true })).text();
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => JSON.parse(block.split("\n")[1]!.slice(6)) as Record<string, unknown>);
}

describe("a streamed hit of a request that asked for logprobs (include: message.output_text.logprobs)", () => {
  it("carries them in its deltas, a token each, and in output_text.done, as OpenAI streams them", async () => {
    const lps = ["Paris", " is", " the", " capital", "."].map(logprob);
    const all = await events(stored("Paris is the capital.", lps));
    const deltas = all.filter((e) => e.type === "response.output_text.delta");
    expect(deltas.map((e) => e.delta)).toEqual(["Paris", " is", " the", " capital", "."]);
    expect(deltas.map((e) => e.logprobs)).toEqual(lps.map((lp) => [lp]));
    expect(all.find((e) => e.type === "response.output_text.done")?.logprobs).toEqual(lps);
  });

  it("when the tokens do not spell the text, one delta carries the whole text and every logprob", async () => {
    const lps = ["Pa", "ris"].map(logprob);
    const deltas = (await events(stored("Paris is the capital.", lps))).filter(
      (e) => e.type === "response.output_text.delta",
    );
    expect(deltas.map((e) => [e.delta, e.logprobs])).toEqual([["Paris is the capital.", lps]]);
  });

  it("without logprobs, deltas are a few words each and carry none", async () => {
    const deltas = (await events(stored("Paris is the capital of France.", []))).filter(
      (e) => e.type === "response.output_text.delta",
    );
    expect(deltas.map((e) => e.delta)).toEqual(["Paris is the ", "capital of France."]);
    expect(deltas.every((e) => Array.isArray(e.logprobs) && e.logprobs.length === 0)).toBe(true);
  });
});

/** Events as a provider streams them, each named by its type. */
const sseText = (events: readonly ({ type: string } & Record<string, unknown>)[]) =>
  events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");

/** A provider's body sending `text` at once, then closing. */
const upstreamOf = (text: string) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode(text));
      c.close();
    },
  });

describe("a relayed Responses stream (captureResponseStream)", () => {
  // Regression: a second response.completed after the first replaced what was stored, a response no client saw.
  it("stores nothing when an event follows the terminal one", async () => {
    const response = stored("Paris is the capital.", []);
    const other = stored("Something else entirely.", []);
    const upstream = upstreamOf(
      sseText([
        { type: "response.completed", sequence_number: 0, response },
        { type: "response.completed", sequence_number: 1, response: other },
      ]),
    );
    const ends: { kind: string; response: unknown }[] = [];
    await new Response(captureResponseStream(upstream, (end) => ends.push(end))).text();
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ kind: "complete", response: null });
  });

  it("names the response once, as soon as an event carries its id", async () => {
    const response = stored("Paris is the capital.", []);
    const inProgress = { ...response, status: "in_progress", output: [] };
    const text = sseText([
      { type: "response.created", sequence_number: 0, response: inProgress },
      { type: "response.in_progress", sequence_number: 1, response: inProgress },
      { type: "response.completed", sequence_number: 2, response },
    ]);
    const named: string[] = [];
    const relayed = captureResponseStream(upstreamOf(text), () => {}, { onNamed: (id) => named.push(id) });
    expect(await new Response(relayed).text()).toBe(text);
    expect(named).toEqual([response.id]);
  });

  it("a client that goes away once the terminal event was relayed had the whole response: complete, and storable", async () => {
    const response = stored("Paris is the capital.", []);
    const events = [
      { type: "response.created", sequence_number: 0, response: { ...response, status: "in_progress", output: [] } },
      { type: "response.completed", sequence_number: 1, response },
    ];
    const text = sseText(events);
    for (const sent of [events.length, 1]) {
      const upstream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode(`${text.split("\n\n").slice(0, sent).join("\n\n")}\n\n`));
        },
      });
      const ends: { kind: string; response: unknown }[] = [];
      const reader = captureResponseStream(upstream, (end) => ends.push(end)).getReader();
      await reader.read();
      await reader.cancel();
      expect(ends).toHaveLength(1);
      if (sent === events.length) {
        expect(ends[0]).toEqual({ kind: "complete", response, id: response.id, items: ["msg_1"] });
      } else expect(ends[0]?.kind).toBe("cancelled");
    }
  });
});
