// Server-sent events for chat completions: capturing a streamed answer while passing it through unchanged,
// and replaying a stored answer as a valid stream.
import type { ChatCompletion } from "../protocol/chat";

const encoder = new TextEncoder();

/** Splits an SSE byte stream into the `data` payloads of its events. */
export class SseParser {
  private buffer = "";
  private readonly decoder = new TextDecoder();

  push(bytes: Uint8Array): string[] {
    this.buffer += this.decoder.decode(bytes, { stream: true }).replace(/\r\n?/g, "\n");
    const out: string[] = [];
    for (let end = this.buffer.indexOf("\n\n"); end !== -1; end = this.buffer.indexOf("\n\n")) {
      const event = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const data = event
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""));
      if (data.length) out.push(data.join("\n"));
    }
    return out;
  }
}

interface Chunk {
  id?: string;
  created?: number;
  model?: string;
  choices?: {
    index?: number;
    delta?: { role?: string; content?: string | null; tool_calls?: unknown; function_call?: unknown };
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens?: number } | null;
}

/** Rebuilds a chat.completion from the chunks of a stream; `result()` is null unless it is storable. */
export class StreamAssembler {
  private id = "";
  private created = 0;
  private model = "";
  private content = "";
  private finish: string | null = null;
  private usage: Chunk["usage"] = null;
  private done = false;
  private uncacheable = false;

  accept(data: string): void {
    if (data === "[DONE]") {
      this.done = true;
      return;
    }
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      this.uncacheable = true;
      return;
    }
    this.id ||= chunk.id ?? "";
    this.created ||= chunk.created ?? 0;
    this.model ||= chunk.model ?? "";
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if ((choice.index ?? 0) !== 0 || choice.delta?.tool_calls || choice.delta?.function_call) this.uncacheable = true;
      if (typeof choice.delta?.content === "string") this.content += choice.delta.content;
      if (choice.finish_reason) this.finish = choice.finish_reason;
    }
  }

  result(): ChatCompletion | null {
    if (!this.done || this.uncacheable || this.content === "") return null;
    if (this.finish !== "stop" && this.finish !== "length") return null;
    return {
      id: this.id,
      object: "chat.completion",
      created: this.created,
      model: this.model,
      choices: [
        { index: 0, message: { role: "assistant", content: this.content }, finish_reason: this.finish, logprobs: null },
      ],
      ...(this.usage ? { usage: this.usage } : {}),
    };
  }
}

/**
 * Passes an upstream SSE stream through byte for byte and calls `onComplete` with the assembled answer
 * once the stream ended with [DONE]. A stream that errors or is cancelled never reaches `onComplete`.
 */
export function captureStream(
  upstream: ReadableStream<Uint8Array>,
  onComplete: (completion: ChatCompletion | null) => void,
): ReadableStream<Uint8Array> {
  const parser = new SseParser();
  const assembler = new StreamAssembler();
  const capture = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      controller.enqueue(chunk);
      for (const data of parser.push(chunk)) assembler.accept(data);
    },
    flush() {
      onComplete(assembler.result());
    },
  });
  return upstream.pipeThrough(capture);
}

/** A stored answer as an SSE stream of chat.completion.chunk events, ending with [DONE]. */
export function replayAsStream(
  completion: ChatCompletion,
  opts: { id: string; includeUsage: boolean },
): ReadableStream<Uint8Array> {
  const content = completion.choices[0]?.message.content ?? "";
  const base = {
    id: opts.id,
    object: "chat.completion.chunk",
    created: completion.created ?? 0,
    model: completion.model ?? "",
  };
  const events: unknown[] = [
    { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
  ];
  for (const piece of content.match(/\S+\s*|\s+/g) ?? []) {
    events.push({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
  }
  events.push({
    ...base,
    choices: [{ index: 0, delta: {}, finish_reason: completion.choices[0]?.finish_reason ?? "stop" }],
  });
  if (opts.includeUsage && completion.usage) events.push({ ...base, choices: [], usage: completion.usage });

  const text = `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("")}data: [DONE]\n\n`;
  return new ReadableStream({
    start(controller) {
      controller.enqueue(encoder.encode(text));
      controller.close();
    },
  });
}
