// Server-sent events of the Responses API. Every event is named (`event: <type>`) and numbered
// (`sequence_number`, from 0); the stream ends after its terminal event (response.completed, response.incomplete
// or response.failed), with no `[DONE]`. Here: capturing a streamed answer while passing it through unchanged,
// failing loudly when the provider's stream breaks, and replaying a stored answer as the real event sequence.
import { type ResponseObject, ResponseObjectSchema } from "../protocol/responses";
import { scrubbedEvent } from "../upstream/errors";
import { shownEvents } from "../upstream/shared-cache";
import { randomChars, relayStream } from "./sse";

const encoder = new TextEncoder();
const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);

/** One SSE event as OpenAI writes it: the `event:` line names the `type` of the JSON in the `data:` line. */
export function encodeEvent(data: { type: string } & Record<string, unknown>): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** How a passed-through stream ended: with its terminal event (and the response when completed), or not. */
export type ResponsesStreamEnd = (
  | { readonly kind: "complete"; readonly response: ResponseObject | null }
  | { readonly kind: "failed" | "cancelled"; readonly response: null }
) & {
  /** The response's id as the stream named it (what the provider stored it under, for a stateful request). */
  readonly id: string | null;
  /** The ids of the output items the stream named (stored with the response, for a stateful request). */
  readonly items: readonly string[];
};

/** Follows a Responses stream: the last sequence number, the latest response snapshot, how it ended. */
class ResponsesStreamWatcher {
  lastSequence = -1;
  snapshot: Record<string, unknown> | null = null;
  /** The output items' ids, as item events and response snapshots named them. */
  readonly items = new Set<string>();

  /** The response's id, as the stream's events named it (null before any did). */
  id(): string | null {
    const id = this.snapshot?.id;
    return typeof id === "string" ? id : null;
  }
  completed: ResponseObject | null = null;
  terminal = false;
  errored = false;

  private addItem(item: unknown): void {
    const id = item !== null && typeof item === "object" ? (item as { id?: unknown }).id : undefined;
    if (typeof id === "string" && id !== "") this.items.add(id);
  }

  accept(data: string): void {
    let event: { type?: unknown; sequence_number?: unknown; response?: unknown; item?: unknown };
    try {
      event = JSON.parse(data) as typeof event;
    } catch {
      return;
    }
    if (event === null || typeof event !== "object") return;
    // An event after the terminal one is no part of the response a client assembled: nothing is stored.
    if (this.terminal) {
      this.completed = null;
      return;
    }
    if (typeof event.sequence_number === "number")
      this.lastSequence = Math.max(this.lastSequence, event.sequence_number);
    // The provider's error event, or its terminal event for a response that failed (response.failed): the stream
    // ended, the answer did not.
    if (event.type === "error" || "error" in event || event.type === "response.failed") this.errored = true;
    if (event.response !== null && typeof event.response === "object") {
      this.snapshot = event.response as Record<string, unknown>;
      const output = this.snapshot.output;
      if (Array.isArray(output)) for (const item of output) this.addItem(item);
    }
    this.addItem(event.item);
    if (typeof event.type === "string" && TERMINAL.has(event.type)) this.terminal = true;
    if (event.type === "response.completed") {
      // Checked, kept as sent (the schema's output would reorder its fields).
      this.completed = ResponseObjectSchema.safeParse(event.response).success
        ? (event.response as ResponseObject)
        : null;
    }
  }

  /**
   * What ends a stream that broke: an `error` event, then `response.failed` carrying the response as far as it
   * was known, so that clients waiting for a terminal event get one. Never a `[DONE]`. The error event has the
   * documented fields (code, message, param) and the same in an `error` object, as OpenAI sends it: the openai
   * SDKs raise that as an APIError, the AI SDK reports it as a stream error.
   */
  failure(message: string): Uint8Array {
    let seq = this.lastSequence;
    const error = { type: "server_error", code: "stream_interrupted", message, param: null };
    let text = encodeEvent({
      type: "error",
      code: error.code,
      message,
      param: null,
      sequence_number: ++seq,
      error,
    });
    if (this.snapshot) {
      text += encodeEvent({
        type: "response.failed",
        sequence_number: ++seq,
        response: { ...this.snapshot, status: "failed", error: { code: "server_error", message }, usage: null },
      });
    }
    return encoder.encode(text);
  }
}

/**
 * Passes an upstream Responses stream through byte for byte and calls `onEnd` exactly once: `complete` when it
 * reached its terminal event (with the response when that was response.completed), `failed` when it broke or
 * reported an error (an `error` event, or response.failed), `cancelled` when the client went away — cancelled the
 * body, or `signal` (its request's) aborted — before the terminal event (the upstream read is cancelled then).
 * `onNamed` is called once, as soon as an event names the response's id. `secrets`: the credentials the call
 * sent, scrubbed from the provider's error events; `hideCachedTokens`: the call went with the deployment's
 * shared credential (upstream/shared-cache.ts).
 */
export function captureResponseStream(
  upstream: ReadableStream<Uint8Array>,
  onEnd: (end: ResponsesStreamEnd) => void,
  opts: {
    secrets?: readonly string[];
    signal?: AbortSignal;
    onNamed?: (id: string) => void;
    hideCachedTokens?: boolean;
  } = {},
): ReadableStream<Uint8Array> {
  const { secrets = [], signal, onNamed } = opts;
  const shown = shownEvents(opts.hideCachedTokens);
  const watcher = new ResponsesStreamWatcher();
  /** Whether onNamed was called. */
  let toldId = false;
  /** Tells the owner how the stream ended, with the ids the stream named so far. */
  const end = (kind: ResponsesStreamEnd["kind"]) => {
    const named = { id: watcher.id(), items: [...watcher.items] };
    onEnd(kind === "complete" ? { kind, response: watcher.completed, ...named } : { kind, response: null, ...named });
  };
  return relayStream(
    upstream,
    {
      accept: (data) => {
        watcher.accept(shown(data));
        const id = toldId ? null : watcher.id();
        if (id !== null) {
          toldId = true;
          onNamed?.(id);
        }
      },
      // An error the provider sent in the stream is passed on scrubbed of what it may echo of the call.
      rewrite: (data) => scrubbedEvent(shown(data), secrets),
      broken() {
        end("failed");
        return watcher.failure("The model provider's stream failed before the response was complete.");
      },
      ended(rest) {
        if (watcher.errored) {
          end("failed");
          return null;
        }
        if (!watcher.terminal) {
          end("failed");
          return watcher.failure("The model provider's stream ended before the response was complete.");
        }
        end("complete");
        return rest;
      },
      // A client that goes away once the terminal event was relayed had the whole response: complete.
      cancelled: () => end(watcher.terminal && !watcher.errored ? "complete" : "cancelled"),
    },
    signal,
  );
}

type Json = Record<string, unknown>;

/**
 * A stored (completed) response as the stream a model sends: response.created and response.in_progress (the
 * response in progress: no output, no usage), then per output item its added/done events — for a message, per
 * text part content_part.added, output_text.delta in chunks of a few words (a token each, with its log
 * probabilities, when the part has them), output_text.done, content_part.done; for reasoning, its summary parts
 * likewise — and response.completed with the whole response. Deltas carry `obfuscation` (random characters, as
 * OpenAI sends) unless the request turned it off.
 */
export function replayResponseStream(response: ResponseObject, opts: { obfuscation: boolean }) {
  const events: string[] = [];
  const emit = (type: string, fields: Json) =>
    events.push(encodeEvent({ type, sequence_number: events.length, ...fields }));
  const obfuscation = () => (opts.obfuscation ? { obfuscation: randomChars(1 + Math.floor(Math.random() * 16)) } : {});
  const pending = { ...response, status: "in_progress", output: [], usage: null, completed_at: null };
  if (!("completed_at" in response)) delete (pending as Json).completed_at;

  emit("response.created", { response: pending });
  emit("response.in_progress", { response: pending });
  response.output.forEach((item: Json, output_index) => {
    const item_id = item.id;
    if (item.type === "message") {
      const parts = (item.content as Json[]) ?? [];
      emit("response.output_item.added", { output_index, item: { ...item, status: "in_progress", content: [] } });
      parts.forEach((part, content_index) => {
        const at = { item_id, output_index, content_index };
        const text = String(part.text ?? "");
        emit("response.content_part.added", { ...at, part: { ...part, text: "", annotations: [], logprobs: [] } });
        for (const { delta, logprobs } of textDeltas(text, part.logprobs)) {
          emit("response.output_text.delta", { ...at, delta, logprobs, ...obfuscation() });
        }
        emit("response.output_text.done", { ...at, text, logprobs: Array.isArray(part.logprobs) ? part.logprobs : [] });
        emit("response.content_part.done", { ...at, part });
      });
    } else if (item.type === "reasoning") {
      const summary = Array.isArray(item.summary) ? (item.summary as Json[]) : [];
      emit("response.output_item.added", { output_index, item: { ...item, summary: [] } });
      summary.forEach((part, summary_index) => {
        const at = { item_id, output_index, summary_index };
        const text = String(part.text ?? "");
        emit("response.reasoning_summary_part.added", { ...at, part: { ...part, text: "" } });
        for (const delta of wordChunks(text)) {
          emit("response.reasoning_summary_text.delta", { ...at, delta, ...obfuscation() });
        }
        emit("response.reasoning_summary_text.done", { ...at, text });
        emit("response.reasoning_summary_part.done", { ...at, part });
      });
    } else {
      emit("response.output_item.added", { output_index, item });
    }
    emit("response.output_item.done", { output_index, item });
  });
  emit("response.completed", { response });

  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(events.join("")));
      controller.close();
    },
  });
}

/**
 * The deltas of a text part. A part that carries log probabilities (the request's `include` asked for
 * `message.output_text.logprobs`) is replayed as OpenAI streams it, a token a delta with that token's log
 * probability — clients such as the AI SDK read them from the deltas only; should its tokens not spell its text,
 * as one delta carrying them all. Otherwise a few words a delta, with none.
 */
function textDeltas(text: string, logprobs: unknown): { delta: string; logprobs: unknown[] }[] {
  if (!Array.isArray(logprobs) || logprobs.length === 0)
    return wordChunks(text).map((delta) => ({ delta, logprobs: [] }));
  const tokens = logprobs.map((lp: { token?: unknown } | null) => lp?.token);
  if (tokens.every((t) => typeof t === "string") && tokens.join("") === text) {
    return logprobs.map((lp, i) => ({ delta: tokens[i] as string, logprobs: [lp] }));
  }
  return [{ delta: text, logprobs }];
}

/** Text in chunks of up to three words with their trailing white space (runs of white space on their own). */
export const wordChunks = (text: string): string[] => text.match(/(?:\S+\s*){1,3}|\s+/g) ?? [];
