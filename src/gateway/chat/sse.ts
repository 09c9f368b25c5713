// Server-sent events for chat completions: capturing a streamed answer while passing it through unchanged,
// and replaying a stored answer as a valid stream.
import { logText } from "../../shared/log-text";
import { helpfulMessage } from "../http/errors";
import { closeWhenClientGoes } from "../http/respond";
import type { ChatCompletion } from "../protocol/chat";
import { scrubbedEvent } from "../upstream/errors";
import { shownEvents } from "../upstream/shared-cache";

const encoder = new TextEncoder();

/**
 * The longest event Cordon reads from a provider's stream, in bytes (or characters): far above any event a
 * provider sends (a Responses stream's last event holds the whole response, its images included), short of what
 * would exhaust an isolate. A longer one breaks the stream, as an event no parser can read does.
 */
export const MAX_EVENT_BYTES = 16 * 1024 * 1024;

function tooLong(): Error {
  return new Error(`an upstream event is longer than ${MAX_EVENT_BYTES} bytes`);
}

/**
 * Splits an SSE byte stream into the `data` payloads of its events. What waits for the end of its event is kept
 * in pieces and searched only where it grew, so an event that arrives in many chunks costs its length once.
 */
export class SseParser {
  private readonly decoder = new TextDecoder();
  private pending: string[] = [];
  private size = 0;
  /** The bytes so far end in a CR, read as a line end: an LF that comes next is the rest of it. */
  private afterCr = false;

  push(bytes: Uint8Array): string[] {
    let text = this.decoder.decode(bytes, { stream: true });
    if (text.length === 0) return [];
    if (this.afterCr && text.startsWith("\n")) text = text.slice(1);
    this.afterCr = text.endsWith("\r");
    text = text.replace(/\r\n?/g, "\n");
    if (text.length === 0) return [];
    // An event ends in this text, or at its first line end if what waits ends in the other half of a blank line.
    const ends = text.includes("\n\n") || (text.startsWith("\n") && this.pending.at(-1)?.endsWith("\n") === true);
    if (!ends) {
      this.pending.push(text);
      this.size += text.length;
      if (this.size > MAX_EVENT_BYTES) throw tooLong();
      return [];
    }
    let buffer = this.pending.join("") + text;
    const out: string[] = [];
    for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
      // Measured as what waits is, up to its last line end: however the event was split into reads.
      if (end + 1 > MAX_EVENT_BYTES) throw tooLong();
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""));
      if (data.length) out.push(data.join("\n"));
    }
    this.pending = buffer.length ? [buffer] : [];
    this.size = buffer.length;
    if (this.size > MAX_EVENT_BYTES) throw tooLong();
    return out;
  }
}

/**
 * Passes SSE bytes on in whole events only: what follows the last blank line waits for the rest of its event,
 * so a stream that breaks off mid-event never hands the client half an event (and, after it, Cordon's error
 * event glued to it). Each chunk is searched only where a new event end can be: in itself and the three bytes
 * before it; what waits is kept in pieces, joined once its event ends.
 */
export class EventBoundary {
  private pending: Uint8Array[] = [];
  private size = 0;

  /** The complete events among the bytes so far, or null while none is complete. */
  take(bytes: Uint8Array): Uint8Array | null {
    const before = this.tail(3);
    const look = new Uint8Array(before.length + bytes.length);
    look.set(before);
    look.set(bytes, before.length);
    const end = lastEventEnd(look, 0);
    if (end === 0) {
      this.pending.push(bytes);
      this.size += bytes.length;
      // Held as bytes, which may be three to a character the parser counts: bounded here too.
      if (this.size > MAX_EVENT_BYTES) throw tooLong();
      return null;
    }
    // An event end found now lies (at least its last byte) in `bytes`: an earlier one would have been found earlier.
    const cut = end - before.length;
    const whole = join([...this.pending, bytes.subarray(0, cut)]);
    const rest = bytes.slice(cut);
    this.pending = rest.length ? [rest] : [];
    this.size = rest.length;
    return whole;
  }

  /** What is held back: the start of an event that never ended. */
  rest(): Uint8Array {
    return join(this.pending);
  }

  /** The last `n` bytes held back (fewer when fewer are). */
  private tail(n: number): Uint8Array {
    const parts: Uint8Array[] = [];
    let need = Math.min(n, this.size);
    for (let i = this.pending.length - 1; i >= 0 && need > 0; i--) {
      const p = this.pending[i]!;
      const piece = p.subarray(Math.max(0, p.length - need));
      parts.unshift(piece);
      need -= piece.length;
    }
    return join(parts);
  }
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * The index after the last event terminator at or after `from`: a line end (LF, CR or CRLF) that follows another,
 * where SseParser reads one — a CR as soon as it comes, the LF of a CRLF with it. Both must cut the same events:
 * the bytes of one the parser read (and a relay rewrote) must not wait here, to reach the client as sent.
 */
function lastEventEnd(b: Uint8Array, from: number): number {
  const lineEnd = (x: number | undefined) => x === 0x0a || x === 0x0d;
  for (let i = b.length - 1; i > from; i--) {
    const c = b[i];
    if (c === 0x0d && lineEnd(b[i - 1])) return i + 1;
    if (c === 0x0a && b[i - 1] === 0x0a) return i + 1;
    if (c === 0x0a && b[i - 1] === 0x0d && i >= 2 && lineEnd(b[i - 2])) return i + 1;
  }
  return 0;
}

interface Chunk {
  id?: string;
  created?: number;
  model?: string;
  system_fingerprint?: string | null;
  service_tier?: string | null;
  choices?: {
    index?: number;
    delta?: {
      role?: string;
      content?: string | null;
      tool_calls?: unknown;
      function_call?: unknown;
      annotations?: unknown;
    };
    logprobs?: { content?: unknown } | null;
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens?: number } | null;
}

/** Rebuilds a chat.completion from the chunks of a stream; `result()` is null unless it is storable. */
export class StreamAssembler {
  private id = "";
  private created = 0;
  private model = "";
  private systemFingerprint: string | null | undefined;
  private serviceTier: string | null | undefined;
  private content = "";
  private finish: string | null = null;
  /** The content's token log probabilities, when the request asked for them (`logprobs: true`). */
  private logprobs: unknown[] = [];
  /** The message's annotations (a search model's url citations), which arrive in deltas of their own. */
  private annotations: unknown[] = [];
  private usage_: Chunk["usage"] = null;
  private done = false;
  private errored = false;
  private uncacheable = false;

  accept(data: string): void {
    // Anything after [DONE] never reached an SDK's answer (they stop reading there): the stream is not stored.
    if (this.done) {
      this.uncacheable = true;
      return;
    }
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
    if (chunk === null || typeof chunk !== "object" || Array.isArray(chunk)) {
      this.uncacheable = true;
      return;
    }
    if ("error" in chunk) {
      this.errored = true;
      this.uncacheable = true;
      return;
    }
    this.id ||= chunk.id ?? "";
    this.created ||= chunk.created ?? 0;
    this.model ||= chunk.model ?? "";
    if (typeof chunk.system_fingerprint === "string" || chunk.system_fingerprint === null) {
      this.systemFingerprint ??= chunk.system_fingerprint;
    }
    if (typeof chunk.service_tier === "string") this.serviceTier ??= chunk.service_tier;
    if (chunk.usage) this.usage_ = chunk.usage;
    if (chunk.choices !== undefined && !Array.isArray(chunk.choices)) this.uncacheable = true;
    for (const choice of Array.isArray(chunk.choices) ? chunk.choices : []) {
      if (choice === null || typeof choice !== "object") {
        this.uncacheable = true;
        continue;
      }
      if ((choice.index ?? 0) !== 0 || choice.delta?.tool_calls || choice.delta?.function_call) this.uncacheable = true;
      if (typeof choice.delta?.content === "string") this.content += choice.delta.content;
      if (Array.isArray(choice.logprobs?.content)) this.logprobs.push(...choice.logprobs.content);
      if (Array.isArray(choice.delta?.annotations)) this.annotations.push(...choice.delta.annotations);
      if (choice.finish_reason) this.finish = choice.finish_reason;
    }
  }

  /** Whether the stream ended with `[DONE]`. */
  sawDone(): boolean {
    return this.done;
  }

  /** Whether the provider reported an error inside the stream (an event with `error`). */
  sawError(): boolean {
    return this.errored;
  }

  /** The usage the stream reported (with stream_options.include_usage), if any. */
  usage(): Usage | null {
    return this.usage_ ?? null;
  }

  result(): ChatCompletion | null {
    if (!this.done || this.uncacheable || this.content === "") return null;
    if (this.finish !== "stop" && this.finish !== "length") return null;
    // The shape OpenAI gives the same answer unstreamed: refusal and annotations on the message, the
    // fingerprint and tier the chunks carried, and the usage (chat asks for it when the answer may be stored).
    return {
      id: this.id,
      object: "chat.completion",
      created: this.created,
      model: this.model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: this.content, refusal: null, annotations: this.annotations },
          finish_reason: this.finish,
          logprobs: this.logprobs.length ? { content: this.logprobs, refusal: null } : null,
        },
      ],
      ...(this.usage_ ? { usage: this.usage_ } : {}),
      ...(this.serviceTier === undefined ? {} : { service_tier: this.serviceTier }),
      ...(this.systemFingerprint === undefined ? {} : { system_fingerprint: this.systemFingerprint }),
    };
  }
}

/**
 * An SSE event carrying an error in OpenAI's shape (`data: {"error": {…}}`): OpenAI's SDKs raise it as an
 * APIError in the middle of the stream. Its message says what to do and links the catalogue, like any error.
 */
export function errorEvent(message: string, docsUrl: string): Uint8Array {
  const error = {
    message: helpfulMessage("stream_interrupted", message, docsUrl),
    type: "server_error",
    code: "stream_interrupted",
    param: null,
  };
  return encoder.encode(`data: ${JSON.stringify({ error })}\n\n`);
}

/** How a passed-through stream ended: with [DONE] (and the answer if storable), failing, or cancelled. */
export type StreamEnd =
  | { readonly kind: "complete"; readonly completion: ChatCompletion | null; readonly usage: Usage | null }
  | { readonly kind: "failed" | "cancelled"; readonly usage: Usage | null };

type Usage = NonNullable<ChatCompletion["usage"]>;

/** What a relayed stream's owner decides: what it makes of each event, and how the client's stream ends. */
export interface StreamRelay {
  /** The data of each complete upstream event, in order. */
  accept(data: string): void;
  /**
   * What of an accepted event goes on to the client: the event as it is (all are when absent), another data, or
   * nothing (null). Events are passed on byte for byte; those of a read in which one changed are written again as
   * `data:` lines.
   */
  rewrite?(data: string): string | null;
  /** The upstream read failed mid-stream: the bytes that end the client's stream (an error event). */
  broken(): Uint8Array;
  /**
   * The upstream ended: the bytes that end the client's stream — `rest` (what followed the last whole event)
   * when the answer is complete, an error event when it is not, or null for nothing more.
   */
  ended(rest: Uint8Array): Uint8Array | null;
  /** The client went away (the upstream read is cancelled too, so the provider stops). */
  cancelled(): void;
}

/**
 * Passes an upstream SSE stream through byte for byte, in whole events (EventBoundary), and ends it as `relay`
 * says; exactly one of `broken`, `ended` and `cancelled` is called — or `broken` after `accept` or `ended` threw
 * (an upstream event no parser foresaw), or `cancelled` threw, so that the owner always learns how the stream
 * ended: its audit event waits on that. `signal` (the client's request signal) aborting ends it as `cancelled`.
 */
export function relayStream(
  upstream: ReadableStream<Uint8Array>,
  relay: StreamRelay,
  signal?: AbortSignal,
): ReadableStream<Uint8Array> {
  const parser = new SseParser();
  const boundary = new EventBoundary();
  const reader = upstream.getReader();
  let finished = false;
  const finish = (controller: ReadableStreamDefaultController<Uint8Array>, last: Uint8Array | null) => {
    if (last?.length) controller.enqueue(last);
    controller.close();
  };
  /** The client went away: the owner learns it, as broken should its `cancelled` throw (as for `ended`). */
  const cancelled = () => {
    try {
      relay.cancelled();
    } catch (err) {
      console.error(`stream relay: the client's leaving could not be read: ${logText(err)}`);
      relay.broken();
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        // A client that goes away ends the stream as cancelled, however the runtime tells it.
        closeWhenClientGoes(signal, controller, () => {
          if (finished) return false;
          finished = true;
          cancelled();
          reader.cancel(signal?.reason).catch(() => {});
          return true;
        });
      },
      async pull(controller) {
        // Until a whole event can be passed on, or the stream ends: a pull that enqueues nothing is not repeated.
        for (;;) {
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch {
            if (finished) return;
            finished = true;
            return finish(controller, relay.broken());
          }
          // The client went away while this read was pending (cancel, which cancels the upstream and so ends the
          // read): its owner already learnt how the stream ended.
          if (finished) return;
          if (chunk.done) {
            finished = true;
            let last: Uint8Array | null;
            try {
              last = relay.ended(boundary.rest());
            } catch (err) {
              console.error(`stream relay: the upstream stream's end could not be read: ${logText(err)}`);
              last = relay.broken();
            }
            return finish(controller, last);
          }
          let kept: string[] | null = null;
          let whole: Uint8Array | null;
          try {
            const events = parser.push(chunk.value);
            for (const data of events) relay.accept(data);
            if (relay.rewrite) {
              const rewritten = events.map((d) => relay.rewrite!(d));
              if (rewritten.some((r, i) => r !== events[i])) kept = rewritten.filter((r) => r !== null);
            }
            whole = boundary.take(chunk.value);
          } catch (err) {
            console.error(`stream relay: an upstream event could not be read: ${logText(err)}`);
            finished = true;
            reader.cancel(err).catch(() => {});
            return finish(controller, relay.broken());
          }
          if (kept !== null) {
            if (kept.length) {
              controller.enqueue(encoder.encode(kept.map((d) => `data: ${d}\n\n`).join("")));
              return;
            }
            continue;
          }
          if (whole) {
            controller.enqueue(whole);
            return;
          }
        }
      },
      async cancel(reason) {
        if (!finished) {
          finished = true;
          cancelled();
        }
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A chat completion stream relayed (relayStream), calling `onEnd` exactly once: with the assembled answer when
 * the stream ended (or the client went away once [DONE] was relayed), with `failed` when it errored, ended
 * without [DONE] or carried the provider's own error event, or with `cancelled` when the client went away before.
 * `docsUrl`: the error catalogue, linked from the error event of a failed stream.
 */
export function captureStream(
  upstream: ReadableStream<Uint8Array>,
  docsUrl: string,
  onEnd: (end: StreamEnd) => void,
  opts: {
    dropUsageChunk?: boolean;
    secrets?: readonly string[];
    signal?: AbortSignal;
    hideCachedTokens?: boolean;
  } = {},
): ReadableStream<Uint8Array> {
  const assembler = new StreamAssembler();
  const secrets = opts.secrets ?? [];
  // Under the deployment's shared credential, the count of cached prompt tokens is neither passed on nor stored.
  const shown = shownEvents(opts.hideCachedTokens);
  return relayStream(
    upstream,
    {
      accept: (data) => assembler.accept(shown(data)),
      // The usage Cordon asked for on the client's behalf (to store the answer whole) is read, not passed on: not
      // the usage chunk, nor the `usage: null` every other chunk then carries. An error the provider sent in the
      // stream is passed on scrubbed of what it may echo of the call (upstream/errors.ts).
      rewrite: (data: string) => {
        if (opts.dropUsageChunk && isUsageChunk(data)) return null;
        return scrubbedEvent(shown(opts.dropUsageChunk ? withoutNullUsage(data) : data), secrets);
      },
      broken() {
        // The provider failed mid-stream: say so in the stream, as OpenAI does, and end without [DONE], so that no
        // client mistakes a truncated answer for a whole one.
        onEnd({ kind: "failed", usage: assembler.usage() });
        return errorEvent("The model provider's stream failed before the answer was complete.", docsUrl);
      },
      ended(rest) {
        // Ended without [DONE], or after the provider's own error event: not an answer, whatever came first.
        if (!assembler.sawDone() || assembler.sawError()) {
          onEnd({ kind: "failed", usage: assembler.usage() });
          return assembler.sawError()
            ? null
            : errorEvent("The model provider's stream ended before the answer was complete.", docsUrl);
        }
        onEnd({ kind: "complete", completion: assembler.result(), usage: assembler.usage() });
        return rest;
      },
      // A client that goes away once the provider's [DONE] was relayed had the whole answer: complete.
      cancelled: () =>
        assembler.sawDone() && !assembler.sawError()
          ? onEnd({ kind: "complete", completion: assembler.result(), usage: assembler.usage() })
          : onEnd({ kind: "cancelled", usage: assembler.usage() }),
    },
    opts.signal,
  );
}

/** A chunk without the `"usage": null` that `include_usage` puts in every chunk but the last. */
function withoutNullUsage(data: string): string {
  if (!data.includes('"usage"')) return data;
  // The usual form, at the end of the chunk: cut, leaving the rest byte for byte.
  if (data.endsWith(',"usage":null}')) return `${data.slice(0, -',"usage":null}'.length)}}`;
  try {
    const chunk = JSON.parse(data) as Record<string, unknown>;
    if (chunk === null || typeof chunk !== "object" || chunk.usage !== null) return data;
    delete chunk.usage;
    return JSON.stringify(chunk);
  } catch {
    return data;
  }
}

/** The chunk `stream_options.include_usage` adds before [DONE]: no choices, the usage. */
function isUsageChunk(data: string): boolean {
  if (!data.startsWith("{") || !data.includes('"usage"')) return false;
  try {
    const chunk = JSON.parse(data) as { choices?: unknown; usage?: unknown };
    return (
      Array.isArray(chunk.choices) &&
      chunk.choices.length === 0 &&
      chunk.usage !== null &&
      typeof chunk.usage === "object"
    );
  } catch {
    return false;
  }
}

/**
 * Whether a replayed stream carries `obfuscation` on its events: as OpenAI's, unless the request's
 * `stream_options.include_obfuscation` is false (chat and Responses alike).
 */
export function obfuscationAsked(streamOptions: unknown): boolean {
  const asked = (streamOptions as { include_obfuscation?: unknown } | null | undefined)?.include_obfuscation;
  return asked !== false;
}

/**
 * A stored answer as an SSE stream of chat.completion.chunk events, as a model streams it: a role chunk, the
 * content in chunks of a few words — or, when the answer carries token log probabilities, one token per chunk
 * with its `logprobs`, as OpenAI streams them — its annotations (url citations) when it has any, a finish chunk,
 * the usage chunk when asked for (`usage: null` on the others, as OpenAI sends with include_usage), then `[DONE]`.
 * Every chunk carries `obfuscation` (1–16 random characters, as OpenAI's do) unless the request turned it off
 * (`stream_options.include_obfuscation: false`).
 */
export function replayAsStream(
  completion: ChatCompletion,
  opts: { includeUsage: boolean; obfuscation?: boolean },
): ReadableStream<Uint8Array> {
  const choice = completion.choices[0];
  const content = choice?.message.content ?? "";
  const base = {
    id: completion.id,
    object: "chat.completion.chunk",
    created: completion.created ?? Math.floor(Date.now() / 1000),
    model: completion.model ?? "",
    ...(typeof completion.service_tier === "string" ? { service_tier: completion.service_tier } : {}),
    // A fingerprint of null is sent as null, as OpenAI's chunks carry it for the models that have none.
    ...(typeof completion.system_fingerprint === "string" || completion.system_fingerprint === null
      ? { system_fingerprint: completion.system_fingerprint }
      : {}),
  };
  const usage = opts.includeUsage ? { usage: null } : {};
  const pad = () => (opts.obfuscation === false ? {} : { obfuscation: randomChars(1 + randomBelow(16)) });
  const chunk = (delta: object, finish: string | null, logprobs: unknown[] | null = null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: logprobs && { content: logprobs, refusal: null }, finish_reason: finish }],
    ...usage,
    ...pad(),
  });
  const events: unknown[] = [chunk({ role: "assistant", content: "", refusal: null }, null)];
  const tokens = tokenLogprobs(choice?.logprobs);
  if (tokens === null) {
    for (const piece of content.match(/(?:\S+\s*){1,3}|\s+/g) ?? []) events.push(chunk({ content: piece }, null));
  } else if (tokens.map((t) => t.token).join("") === content) {
    for (const t of tokens) events.push(chunk({ content: t.token }, null, [t]));
  } else {
    // Tokens that do not spell the content (cut inside a character): the content whole, with all of them.
    events.push(chunk({ content }, null, tokens));
  }
  // A search model's url citations: a delta of their own after the text, as it streams them.
  const annotations = (choice?.message as { annotations?: unknown } | undefined)?.annotations;
  if (Array.isArray(annotations) && annotations.length > 0) events.push(chunk({ annotations }, null));
  events.push(chunk({}, choice?.finish_reason ?? "stop"));
  if (opts.includeUsage) events.push({ ...base, choices: [], usage: completion.usage ?? null, ...pad() });

  const text = `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("")}data: [DONE]\n\n`;
  return new ReadableStream({
    start(controller) {
      controller.enqueue(encoder.encode(text));
      controller.close();
    },
  });
}

/** The stored answer's content token log probabilities (`logprobs.content`), or null when it has none. */
function tokenLogprobs(logprobs: unknown): { token: string }[] | null {
  const content = (logprobs as { content?: unknown } | null | undefined)?.content;
  if (!Array.isArray(content) || content.length === 0) return null;
  return content.every((t) => typeof (t as { token?: unknown } | null)?.token === "string")
    ? (content as { token: string }[])
    : null;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `n` random letters and digits (the padding of OpenAI's `obfuscation` field). */
export function randomChars(n: number): string {
  let out = "";
  for (const b of crypto.getRandomValues(new Uint8Array(n))) out += ALPHABET[b % ALPHABET.length];
  return out;
}

const randomBelow = (n: number) => crypto.getRandomValues(new Uint32Array(1))[0]! % n;
