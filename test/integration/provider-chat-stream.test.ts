// The local provider's streamed chat completions, parsed as SSE: the chunk shapes OpenAI sends (role chunk,
// content chunks, finish chunk, usage chunk, [DONE]), obfuscation, n choices interleaved, logprobs and
// refusals in chunks, and events that arrive one read at a time.
import { describe, expect, it } from "vitest";
import { type Chunk, type Completion, chat, chatChunks, ok, post, streamedContent } from "./provider-helpers";

const CHAT = "/v1/chat/completions";

async function streamed(body: Record<string, unknown>): Promise<Chunk[]> {
  const res = await post(CHAT, { ...body, stream: true });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  return chatChunks(await res.text());
}

describe("chat.completion.chunk stream", () => {
  it("streams the non-stream content: role chunk, content chunks, finish chunk, usage chunk, [DONE]", async () => {
    const whole = await ok<Completion>(post(CHAT, chat("Stream me")));
    const chunks = await streamed(chat("Stream me", { stream_options: { include_usage: true } }));

    for (const c of chunks) {
      expect(c).toMatchObject({
        id: chunks[0]!.id,
        object: "chat.completion.chunk",
        model: "echo",
        created: chunks[0]!.created,
        service_tier: "default",
        system_fingerprint: whole.system_fingerprint,
      });
    }
    expect(chunks[0]!.choices).toEqual([
      { index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null },
    ]);
    const content = chunks.slice(1, -2);
    expect(content.length).toBeGreaterThanOrEqual(3);
    for (const c of content) expect(Object.keys(c.choices[0]!.delta)).toEqual(["content"]);
    expect(streamedContent(chunks)).toBe(whole.choices[0]!.message.content);

    expect(chunks.at(-2)!.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]);
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual(whole.usage);
    expect(usage.obfuscation).toBeUndefined();
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it("sends no usage field or chunk unless include_usage is set", async () => {
    const chunks = await streamed(chat("No usage"));
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.some((c) => "usage" in c)).toBe(false);
  });

  it("adds obfuscation to every chunk with choices unless include_obfuscation is false", async () => {
    const chunks = await streamed(chat("Pad me"));
    expect(chunks.every((c) => typeof c.obfuscation === "string" && /^[A-Za-z0-9]{1,16}$/.test(c.obfuscation))).toBe(
      true,
    );
    const plain = await streamed(chat("Pad me", { stream_options: { include_obfuscation: false } }));
    expect(plain.some((c) => "obfuscation" in c)).toBe(false);
    expect(streamedContent(plain)).toBe(streamedContent(chunks));
  });

  it("cuts at max_tokens and finishes with length", async () => {
    const chunks = await streamed(chat("Cut this stream", { max_tokens: 3 }));
    expect(streamedContent(chunks)).toHaveLength(12);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("length");
  });

  it("interleaves n choices one chunk at a time, each with its role, content and finish", async () => {
    const whole = await ok<Completion>(post(CHAT, chat("Two streams", { n: 2 })));
    const chunks = await streamed(chat("Two streams", { n: 2 }));
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
    expect(chunks.slice(0, 4).map((c) => c.choices[0]!.index)).toEqual([0, 1, 0, 1]);
    for (const index of [0, 1]) {
      const mine = chunks.flatMap((c) => c.choices).filter((c) => c.index === index);
      expect(mine[0]!.delta.role).toBe("assistant");
      expect(mine.at(-1)!.finish_reason).toBe("stop");
      expect(streamedContent(chunks, index)).toBe(whole.choices[index]!.message.content);
    }
  });

  it("carries the logprobs of each content chunk's own tokens", async () => {
    const whole = await ok<Completion>(post(CHAT, chat("Stream logprobs", { logprobs: true, top_logprobs: 2 })));
    const chunks = await streamed(chat("Stream logprobs", { logprobs: true, top_logprobs: 2 }));
    const content = chunks.filter((c) => c.choices[0]?.delta.content);
    for (const c of content) {
      const lp = c.choices[0]!.logprobs!;
      expect(lp.refusal).toBeNull();
      expect(lp.content!.map((t) => t.token).join("")).toBe(c.choices[0]!.delta.content);
    }
    expect(content.flatMap((c) => c.choices[0]!.logprobs!.content)).toEqual(whole.choices[0]!.logprobs!.content);
  });

  it("streams a refusal in delta.refusal with content null", async () => {
    const chunks = await streamed(chat("I want you to refuse"));
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: "assistant", content: null, refusal: "" });
    const refusal = chunks.map((c) => c.choices[0]?.delta.refusal ?? "").join("");
    expect(refusal).toMatch(/can't help/);
    expect(chunks.slice(1).some((c) => c.choices[0]?.delta.content)).toBe(false);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
  });

  it("writes one event per read, so a pass-through proxy can be seen streaming", async () => {
    const res = await post(CHAT, chat("Arrive over time", { stream: true }));
    const reader = res.body!.getReader();
    const reads: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) reads.push(new TextDecoder().decode(r.value));
    expect(reads.length).toBeGreaterThanOrEqual(6);
    expect(reads.every((r) => /^data: [^\n]+\n\n$/.test(r))).toBe(true);
    expect(reads.at(-1)).toBe("data: [DONE]\n\n");
  });
});
