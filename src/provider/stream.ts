// The SSE form of an answer, as OpenAI sends it: a role chunk, the content in several chunks, a finish chunk,
// the usage chunk when `stream_options.include_usage` is set, then `data: [DONE]`. Chunks are produced on
// demand (one per pull, yielding to the event loop between them), so a consumer sees them arrive over time
// and a pass-through proxy can be observed streaming.
import type { Answer, CompletionMeta } from "./answer";

/** Characters of content per chunk. */
export const CHUNK_CHARS = 16;
/** A broken stream fails after this many content chunks, without a finish chunk or [DONE]. */
export const BROKEN_AFTER_CHUNKS = 2;

const encoder = new TextEncoder();
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const sse = (data: unknown) => encoder.encode(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);

export function splitContent(content: string): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < content.length; i += CHUNK_CHARS) pieces.push(content.slice(i, i + CHUNK_CHARS));
  return pieces;
}

/** The `data` payloads of a successful stream, in order, ending with "[DONE]". */
export function streamEvents(meta: CompletionMeta, answer: Answer, includeUsage: boolean): unknown[] {
  const base = { id: meta.id, object: "chat.completion.chunk", created: meta.created, model: meta.model };
  // With include_usage OpenAI sends `usage: null` on every chunk but the last one.
  const usageNull = includeUsage ? { usage: null } : {};
  const chunk = (delta: object, finishReason: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...usageNull,
  });
  const events: unknown[] = [chunk({ role: "assistant", content: "" }, null)];
  for (const piece of splitContent(answer.content)) events.push(chunk({ content: piece }, null));
  events.push(chunk({}, answer.finishReason));
  if (includeUsage) events.push({ ...base, choices: [], usage: answer.usage });
  events.push("[DONE]");
  return events;
}

export function streamAnswer(
  meta: CompletionMeta,
  answer: Answer,
  opts: { includeUsage: boolean; broken: boolean },
): ReadableStream<Uint8Array> {
  const events = streamEvents(meta, answer, opts.includeUsage);
  // The role chunk, then BROKEN_AFTER_CHUNKS content chunks, then the failure.
  const failAt = opts.broken ? 1 + BROKEN_AFTER_CHUNKS : Number.POSITIVE_INFINITY;
  let next = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (next === failAt) {
          controller.error(new Error("injected stream failure (broken-stream)"));
          return;
        }
        const event = events[next++];
        controller.enqueue(sse(event));
        if (next === events.length) {
          controller.close();
          return;
        }
        await tick();
      },
    },
    { highWaterMark: 0 },
  );
}
