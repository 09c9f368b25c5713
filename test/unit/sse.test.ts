import { describe, expect, it } from "vitest";
import {
  captureStream,
  EventBoundary,
  MAX_EVENT_BYTES,
  relayStream,
  replayAsStream,
  SseParser,
  StreamAssembler,
  type StreamEnd,
} from "../../src/gateway/chat/sse";
import type { ChatCompletion } from "../../src/gateway/protocol/chat";

/** Where the error catalogue is served, as the gateway passes it (http/errors.ts, docsUrlOf). */
const DOCS = "https://acme.cordon.test/docs/errors";
const enc = new TextEncoder();
const chunk = (delta: object, finish: string | null = null) => {
  const event = { id: "c1", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] };
  return `data: ${JSON.stringify(event)}\n\n`;
};

/** The parts, one per read; then an error (as a provider failing mid-stream) or the end. */
function streamOf(parts: string[], fail = false): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream({
    pull(c) {
      if (next < parts.length) c.enqueue(enc.encode(parts[next++]!));
      else if (fail) c.error(new Error("upstream broke"));
      else c.close();
    },
  });
}

const completion: ChatCompletion = {
  id: "x",
  object: "chat.completion",
  created: 5,
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: "Paris is the capital." }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 4 },
};

describe("SSE", () => {
  it("parses events split across arbitrary byte boundaries", () => {
    const text = `${chunk({ content: "héllo" })}data: [DONE]\n\n`;
    const bytes = enc.encode(text);
    const p = new SseParser();
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i += 3) out.push(...p.push(bytes.subarray(i, i + 3)));
    expect(out).toHaveLength(2);
    expect(JSON.parse(out[0]!).choices[0].delta.content).toBe("héllo");
    expect(out[1]).toBe("[DONE]");
  });

  it("passes bytes through unchanged and assembles the completed answer", async () => {
    const parts = [
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "Hel" }),
      chunk({ content: "lo" }),
      chunk({}, "stop"),
      "data: [DONE]\n\n",
    ];
    let captured: ChatCompletion | null | undefined;
    const out = await new Response(
      captureStream(streamOf(parts), DOCS, (end) => {
        captured = end.kind === "complete" ? end.completion : undefined;
      }),
    ).text();
    expect(out).toBe(parts.join(""));
    expect(captured?.choices[0]?.message.content).toBe("Hello");
    expect(captured?.choices[0]?.finish_reason).toBe("stop");
  });

  it("ends a stream that errors before [DONE] with an error event, and does not complete it", async () => {
    let ended: string | undefined;
    const s = captureStream(streamOf([chunk({ content: "Hel" })], true), DOCS, (end) => {
      ended = end.kind;
    });
    const text = await new Response(s).text();
    expect(text.startsWith(chunk({ content: "Hel" }))).toBe(true);
    expect(text).toMatch(/^data: \{"error":\{"message":".*","type":"server_error","code":"stream_interrupted"/m);
    expect(text).toContain(
      "Retry the request; nothing of the partial answer was cached. See https://acme.cordon.test/docs/errors#stream_interrupted.",
    );
    expect(text).not.toContain("[DONE]");
    expect(ended).toBe("failed");
  });

  it("ends a stream closed without [DONE] with an error event", async () => {
    let ended: string | undefined;
    const s = captureStream(streamOf([chunk({ content: "Hel" }), chunk({}, "stop")]), DOCS, (end) => {
      ended = end.kind;
    });
    expect(await new Response(s).text()).toMatch(/"code":"stream_interrupted"/);
    expect(ended).toBe("failed");
  });

  it("regression: a stream cut inside an event passes no half event, only the events before it and the error event", async () => {
    const whole = chunk({ content: "Hel" });
    const half = 'data: {"id":"c2","choices":[{"index":0,"delta":{"content":"lo';
    const s = captureStream(streamOf([whole, half]), DOCS, () => {});
    const text = await new Response(s).text();
    expect(text.startsWith(whole)).toBe(true);
    expect(text).not.toContain(half);
    const events = new SseParser().push(enc.encode(text));
    expect(events.map((e) => JSON.parse(e))).toMatchObject([{ id: "c1" }, { error: { code: "stream_interrupted" } }]);
  });

  it("passes events on whole, however the provider's bytes are split, with any line ending", () => {
    const b = new EventBoundary();
    const dec = (u: Uint8Array | null) => (u === null ? null : new TextDecoder().decode(u));
    expect(dec(b.take(enc.encode("data: 1\n")))).toBeNull();
    expect(dec(b.take(enc.encode("\ndata: 2")))).toBe("data: 1\n\n");
    expect(dec(b.take(enc.encode("\r\n\r\ndata: 3\r\r: keep")))).toBe("data: 2\r\n\r\ndata: 3\r\r");
    expect(dec(b.rest())).toBe(": keep");
    // One byte at a time: each event is handed on the moment its blank line is complete — at a CR, which ends a
    // line as soon as it comes (the parser reads the event there), an LF after it going with the next event.
    const bytes = enc.encode("data: a\r\n\r\ndata: b\n\n");
    const out = [...bytes].map((x) => dec(b.take(Uint8Array.of(x)))).filter((x) => x !== null);
    expect(out).toEqual([": keepdata: a\r\n\r", "\ndata: b\n\n"]);
  });

  it("reads the same events and passes the same bytes on, however a stream with any line ending is split", () => {
    const events = [
      "data: a\n\n",
      "data: b1\r\ndata: b2\r\n\r\n",
      ": comment\rdata: c\r\r",
      `data: ${"é".repeat(40)}\n\n`,
      "event: x\ndata: [DONE]\n\n",
    ].join("");
    const bytes = enc.encode(events);
    const whole = new SseParser().push(bytes);
    expect(whole).toEqual(["a", "b1\nb2", "c", "é".repeat(40), "[DONE]"]);
    // Every way of cutting the stream in two and three pieces, and one byte at a time.
    const cuts: number[][] = [[...Array(bytes.length).keys()].slice(1)];
    for (let i = 1; i < bytes.length; i++) {
      cuts.push([i]);
      for (let j = i + 1; j < bytes.length; j += 7) cuts.push([i, j]);
    }
    for (const at of cuts) {
      const parser = new SseParser();
      const boundary = new EventBoundary();
      const parsed: string[] = [];
      const passed: number[] = [];
      for (const [k, start] of [0, ...at].entries()) {
        const piece = bytes.subarray(start, at[k] ?? bytes.length);
        parsed.push(...parser.push(piece));
        passed.push(...(boundary.take(piece) ?? []));
      }
      expect(parsed, `cut at ${at.join(",")}`).toEqual(whole);
      expect(passed.length + boundary.rest().length).toBe(bytes.length);
      expect(new TextDecoder().decode(Uint8Array.from(passed))).toBe(events);
    }
  });

  // Regression: a CR and its LF arriving in two chunks read as two line ends, a blank line, so an event of two
  // data lines was read as two events.
  it("regression: reads a CRLF split between two chunks as one line end", () => {
    const p = new SseParser();
    expect(p.push(enc.encode("data: one\r"))).toEqual([]);
    expect(p.push(enc.encode("\ndata: two\r\n\r\n"))).toEqual(["one\ntwo"]);
  });

  // Regression: a blank line the parser reads but the boundary did not (a CRLF stream cut after "\r\n\r", or an
  // LF then a CRLF) held the event's bytes back after its rewritten copy was sent: with the next event they went to
  // the client as the provider sent them, the count of cached prompt tokens (or an echoed secret) included.
  it("regression: an event whose blank line the parser reads is passed on once, rewritten, however it ends", async () => {
    const usage = `data: ${JSON.stringify({ id: "c1", choices: [], usage: { prompt_tokens: 9, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 7 } } })}`;
    for (const parts of [
      [chunk({ content: "Hi" }, "stop"), `${usage}\r\n\r`, "\ndata: [DONE]\r\n\r\n"],
      [chunk({ content: "Hi" }, "stop"), `${usage}\n\r\n`, "data: [DONE]\n\n"],
      [chunk({ content: "Hi" }, "stop"), `${usage}\n\r`, "data: [DONE]\n\n"],
    ]) {
      const text = await new Response(
        captureStream(streamOf(parts), DOCS, () => {}, { hideCachedTokens: true }),
      ).text();
      expect(text, JSON.stringify(parts)).not.toContain('"cached_tokens":7');
      const events = new SseParser().push(enc.encode(text));
      expect(
        events.filter((e) => e.includes('"usage"')),
        JSON.stringify(parts),
      ).toHaveLength(1);
      expect(events.at(-1)).toBe("[DONE]");
    }
  });

  it("passes on each event the moment the parser reads it, with line ends mixed in any way", () => {
    const events = "data: a\n\r\ndata: b\r\n\ndata: c\n\rdata: d\r\r\ndata: e\r\n\r\n";
    const bytes = enc.encode(events);
    for (let i = 1; i < bytes.length; i++) {
      const parser = new SseParser();
      const boundary = new EventBoundary();
      let passed = "";
      const read: string[] = [];
      for (const piece of [bytes.subarray(0, i), bytes.subarray(i)]) {
        read.push(...parser.push(piece));
        const whole = boundary.take(piece);
        if (whole) passed += new TextDecoder().decode(whole);
        // What was passed on holds exactly the events read so far.
        expect(new SseParser().push(enc.encode(passed)), `cut at ${i}`).toEqual(read);
      }
      expect(passed + new TextDecoder().decode(boundary.rest())).toBe(events);
    }
  });

  // Three bytes to a character for "漢": the bound is the bytes held, not the characters read.
  it.each(["x", "漢"])(
    "breaks a relayed stream whose event of %s grows past MAX_EVENT_BYTES, reading no further",
    async (c) => {
      const piece = enc.encode(`data: "${c.repeat(1024 * 1024)}`);
      let sent = 0;
      const upstream = new ReadableStream<Uint8Array>({
        pull(c) {
          sent += piece.length;
          c.enqueue(piece);
        },
      });
      let end: StreamEnd | null = null;
      const text = await new Response(captureStream(upstream, DOCS, (e) => (end = e))).text();
      expect(end).toMatchObject({ kind: "failed" });
      expect(new SseParser().push(enc.encode(text)).map((e) => JSON.parse(e))).toMatchObject([
        { error: { code: "stream_interrupted" } },
      ]);
      expect(sent).toBeGreaterThan(MAX_EVENT_BYTES);
      expect(sent).toBeLessThanOrEqual(MAX_EVENT_BYTES + 2 * piece.length);
    },
  );

  // Regression: only what waited for its end was measured, so an event longer than MAX_EVENT_BYTES was read when its
  // end came in the read that took it past the bound (or the whole event came in one read).
  it("regression: an event longer than MAX_EVENT_BYTES breaks the stream however it is split; one at the bound does not", () => {
    // `data: ` and the payload up to its line end: MAX_EVENT_BYTES at the bound, one more past it.
    for (const over of [0, 1]) {
      const bytes = enc.encode(`data: ${"x".repeat(MAX_EVENT_BYTES - 7 + over)}\n\n`);
      for (const cut of [bytes.length, bytes.length - 1, bytes.length - 2, bytes.length - 10, 1024]) {
        const p = new SseParser();
        const read = () => [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut))];
        if (over) expect(read, `cut at ${cut}`).toThrow(/longer than/);
        else
          expect(
            read().map((e) => e.length),
            `cut at ${cut}`,
          ).toEqual([MAX_EVENT_BYTES - 7]);
      }
    }
  });

  it("regression: a stream carrying the provider's own error event ends as failed, passed through unchanged", async () => {
    const providerError = `event: error\ndata: ${JSON.stringify({ error: { message: "m", type: "server_error", param: null, code: "server_error" } })}\n\n`;
    for (const tail of [[], ["data: [DONE]\n\n"]]) {
      const parts = [chunk({ content: "Hel" }), providerError, ...tail];
      let ended: string | undefined;
      const s = captureStream(streamOf(parts), DOCS, (end) => {
        ended = end.kind;
      });
      // Only the provider's error event: the client is told once.
      expect(await new Response(s).text()).toBe(parts.join(""));
      expect(ended).toBe("failed");
    }
  });

  // Regression: content a provider sent after [DONE] was appended to the stored answer, which SDKs never showed
  // the client (they stop reading at [DONE]); a later hit served it.
  it("yields nothing storable when anything follows [DONE]", () => {
    const a = new StreamAssembler();
    a.accept(JSON.stringify({ choices: [{ index: 0, delta: { content: "Paris." }, finish_reason: "stop" }] }));
    a.accept("[DONE]");
    expect(a.result()).not.toBeNull();
    a.accept(JSON.stringify({ choices: [{ index: 0, delta: { content: " And more." }, finish_reason: null }] }));
    expect(a.result()).toBeNull();
  });

  it("yields nothing storable without [DONE] or with tool calls", () => {
    const a = new StreamAssembler();
    a.accept(JSON.stringify({ choices: [{ index: 0, delta: { content: "x" }, finish_reason: "stop" }] }));
    expect(a.result()).toBeNull();
    const b = new StreamAssembler();
    b.accept(JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: [{}] }, finish_reason: "tool_calls" }] }));
    b.accept("[DONE]");
    expect(b.result()).toBeNull();
  });

  // Regression: a chunk that is JSON but not an object, or whose choices are not a list of objects, threw out of
  // the stream's pull: the client's stream broke without an error event and the request's audit event, which
  // waits for the stream's end, was never sent.
  it("regression: an event that is not a chunk makes the answer unstorable, and the stream still ends", async () => {
    for (const odd of ["null", "[1,2]", '"text"', "7", '{"choices":{}}', '{"choices":[null]}', '{"choices":[7]}']) {
      const a = new StreamAssembler();
      a.accept(JSON.stringify({ choices: [{ index: 0, delta: { content: "x" } }] }));
      expect(() => a.accept(odd), odd).not.toThrow();
      a.accept(JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }));
      a.accept("[DONE]");
      expect(a.result(), odd).toBeNull();

      let ended: string | undefined;
      const parts = [chunk({ content: "Hel" }), `data: ${odd}\n\n`, chunk({}, "stop"), "data: [DONE]\n\n"];
      const s = captureStream(streamOf(parts), DOCS, (end) => {
        ended = end.kind === "complete" ? `complete:${end.completion === null ? "unstorable" : "storable"}` : end.kind;
      });
      expect(await new Response(s).text(), odd).toBe(parts.join(""));
      expect(ended, odd).toBe("complete:unstorable");
    }
  });

  it("a relay that throws ends the stream as broken: its owner always learns the end, the upstream is cancelled", async () => {
    for (const where of ["accept", "ended"] as const) {
      const calls: string[] = [];
      let cancelled = false;
      const upstream = new ReadableStream<Uint8Array>({
        pull(c) {
          c.enqueue(enc.encode(chunk({ content: "Hel" })));
          if (where === "ended") c.close();
        },
        cancel() {
          cancelled = true;
        },
      });
      const s = relayStream(upstream, {
        accept() {
          calls.push("accept");
          if (where === "accept") throw new TypeError("unforeseen event");
        },
        broken() {
          calls.push("broken");
          return enc.encode("data: broken\n\n");
        },
        ended() {
          calls.push("ended");
          throw new TypeError("unforeseen end");
        },
        cancelled() {
          calls.push("cancelled");
        },
      });
      const text = await new Response(s).text();
      expect(text, where).toMatch(/data: broken\n\n$/);
      expect(
        calls.filter((c) => c !== "accept"),
        where,
      ).toEqual(where === "accept" ? ["broken"] : ["ended", "broken"]);
      if (where === "accept") expect(cancelled).toBe(true);
    }
  });

  it("regression: a client that cancels while a read is pending ends the stream once", async () => {
    // The provider has sent the whole answer and [DONE], and not yet closed its stream.
    const parts = [chunk({ role: "assistant", content: "" }), chunk({ content: "Hello" }, "stop"), "data: [DONE]\n\n"];
    const upstream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode(parts.join("")));
      },
    });
    const ends: string[] = [];
    const reader = captureStream(upstream, DOCS, (end) => ends.push(end.kind)).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(parts.join(""));
    const pending = reader.read();
    await reader.cancel();
    await pending;
    await new Promise((r) => setTimeout(r, 10));
    // Complete: [DONE] was relayed before the client left (the next test).
    expect(ends).toEqual(["complete"]);
  });

  it("a client that goes away once [DONE] was relayed had the whole answer: complete, and storable", async () => {
    const parts = [chunk({ role: "assistant", content: "" }), chunk({ content: "Hello" }, "stop"), "data: [DONE]\n\n"];
    for (const sent of [parts, parts.slice(0, -1)]) {
      const upstream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(enc.encode(sent.join("")));
        },
      });
      const ends: StreamEnd[] = [];
      const reader = captureStream(upstream, DOCS, (end) => ends.push(end)).getReader();
      await reader.read();
      await reader.cancel();
      expect(ends).toHaveLength(1);
      if (sent === parts) {
        expect(ends[0]).toMatchObject({ kind: "complete" });
        expect(ends[0]?.kind === "complete" && ends[0].completion?.choices[0]?.message.content).toBe("Hello");
      } else expect(ends[0]?.kind).toBe("cancelled");
    }
  });

  it("regression: keeps the url citations a search model streams, in a delta of their own", () => {
    // As gpt-4o-search-preview streams them: the text, then a delta carrying only the annotations.
    const citation = {
      type: "url_citation",
      url_citation: { start_index: 0, end_index: 5, title: "Paris", url: "https://example.com/paris" },
    };
    const a = new StreamAssembler();
    for (const delta of [
      { role: "assistant", content: "" },
      { content: "Paris is the capital." },
      { annotations: [citation] },
    ])
      a.accept(JSON.stringify({ id: "c1", choices: [{ index: 0, delta, finish_reason: null }] }));
    a.accept(JSON.stringify({ id: "c1", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }));
    a.accept("[DONE]");
    expect(a.result()?.choices[0]?.message).toMatchObject({
      content: "Paris is the capital.",
      annotations: [citation],
    });
  });

  it("a relay whose cancelled() throws still learns the end, as broken", async () => {
    for (const how of ["cancel", "signal"] as const) {
      const calls: string[] = [];
      const upstream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(enc.encode(chunk({ content: "Hel" })));
        },
      });
      const aborter = new AbortController();
      const s = relayStream(
        upstream,
        {
          accept() {},
          broken() {
            calls.push("broken");
            return null as unknown as Uint8Array;
          },
          ended() {
            calls.push("ended");
            return null;
          },
          cancelled() {
            calls.push("cancelled");
            throw new TypeError("unforeseen end");
          },
        },
        aborter.signal,
      );
      const reader = s.getReader();
      await reader.read();
      if (how === "cancel") await reader.cancel().catch(() => {});
      else aborter.abort();
      expect(calls, how).toEqual(["cancelled", "broken"]);
    }
  });

  it("replays a stored answer as a valid stream that reassembles to it", async () => {
    const text = await new Response(replayAsStream({ ...completion, id: "chatcmpl-1" }, { includeUsage: true })).text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const p = new SseParser();
    const a = new StreamAssembler();
    const events = p.push(enc.encode(text));
    for (const e of events) a.accept(e);
    expect(a.result()?.choices[0]?.message.content).toBe("Paris is the capital.");
    const objects = events.filter((e) => e !== "[DONE]").map((e) => JSON.parse(e));
    expect(objects.every((o) => o.object === "chat.completion.chunk" && o.id === "chatcmpl-1")).toBe(true);
    expect(objects.at(-1).usage).toEqual(completion.usage);
    // As OpenAI streams with include_usage: a role chunk first, `usage: null` on every chunk but the last.
    expect(objects[0].choices[0].delta).toMatchObject({ role: "assistant", content: "" });
    expect(objects.slice(0, -1).every((o) => o.usage === null)).toBe(true);
    expect(objects.at(-2).choices[0].finish_reason).toBe("stop");
  });

  // Regression: a stored answer's `system_fingerprint: null` (models without one, streamed or not) was left out of
  // its replayed chunks, which OpenAI sends with the field, null.
  it("regression: replays a fingerprint of null as null, and a string one as it is", async () => {
    for (const fingerprint of [null, "fp_abc"]) {
      const text = await new Response(
        replayAsStream({ ...completion, system_fingerprint: fingerprint }, { includeUsage: true }),
      ).text();
      const chunks = new SseParser()
        .push(enc.encode(text))
        .filter((e) => e !== "[DONE]")
        .map((e) => JSON.parse(e) as Record<string, unknown>);
      expect(chunks.every((c) => "system_fingerprint" in c && c.system_fingerprint === fingerprint)).toBe(true);
    }
    const none = await new Response(replayAsStream(completion, { includeUsage: false })).text();
    expect(none).not.toContain("system_fingerprint");
  });

  it("regression: replays a stored answer's url citations, in a delta of their own as a search model streams them", async () => {
    const citation = {
      type: "url_citation",
      url_citation: { start_index: 0, end_index: 5, title: "Paris", url: "https://example.com/paris" },
    };
    const cited = structuredClone(completion);
    Object.assign(cited.choices[0]!.message, { refusal: null, annotations: [citation] });
    const text = await new Response(replayAsStream(cited, { includeUsage: false })).text();
    const events = new SseParser().push(enc.encode(text));
    const again = new StreamAssembler();
    for (const e of events) again.accept(e);
    expect(again.result()?.choices[0]?.message).toMatchObject({
      content: cited.choices[0]!.message.content,
      annotations: [citation],
    });
  });

  it("regression: keeps a streamed answer's token log probabilities, and replays them one token per chunk", async () => {
    const lp = (token: string) => ({ token, logprob: -0.5, bytes: [...enc.encode(token)], top_logprobs: [] });
    const streamed = new StreamAssembler();
    for (const token of ["Par", "is", "."]) {
      streamed.accept(
        JSON.stringify({
          id: "c1",
          choices: [{ index: 0, delta: { content: token }, logprobs: { content: [lp(token)], refusal: null } }],
        }),
      );
    }
    streamed.accept(JSON.stringify({ id: "c1", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }));
    streamed.accept("[DONE]");
    const stored = streamed.result()!;
    expect(stored.choices[0]?.logprobs).toEqual({ content: ["Par", "is", "."].map(lp), refusal: null });

    const text = await new Response(replayAsStream(stored, { includeUsage: false })).text();
    const events = new SseParser().push(enc.encode(text));
    const chunks = events.filter((e) => e !== "[DONE]").map((e) => JSON.parse(e));
    const content = chunks.filter((c) => c.choices[0].delta.content);
    expect(content.map((c) => c.choices[0].delta.content)).toEqual(["Par", "is", "."]);
    expect(content.map((c) => c.choices[0].logprobs)).toEqual(
      ["Par", "is", "."].map((t) => ({ content: [lp(t)], refusal: null })),
    );
    const again = new StreamAssembler();
    for (const e of events) again.accept(e);
    expect(again.result()?.choices[0]?.logprobs).toEqual(stored.choices[0]?.logprobs);

    // An answer without log probabilities replays without them, in chunks of a few words.
    const plain = await new Response(replayAsStream(completion, { includeUsage: false })).text();
    expect(plain).not.toMatch(/"logprobs":\{/);
  });
});
