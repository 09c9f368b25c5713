// Server-sent events as the provider sends them, for chat completions and the Responses API alike. Events are
// written one at a time as the reader takes them (yielding to the event loop between them, or waiting
// slow-stream-<ms>), so a consumer sees them arrive over time and a pass-through proxy can be observed
// streaming. This is also where the stream faults happen (broken-stream, error-after-<k>) and where a caller's
// abort is noticed.
import { recordAbort } from "./abort-log";
import { type Fault, pause } from "./faults";

export interface SseEvent {
  /** The `event:` line, if any (the Responses API names every event; chat completions name none). */
  event?: string;
  /** JSON-encoded into the `data:` line; a string is sent as it is (`[DONE]`). */
  data: unknown;
  /** A piece of generated output (text or tool-call arguments): the unit the stream faults count. */
  content?: boolean;
}

/** Characters of text (or tool-call arguments) per content event: four tokens. */
export const CHUNK_CHARS = 16;

/** `text` cut into the pieces its content events carry. */
export function pieces(text: string): string[] {
  const points = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < points.length; i += CHUNK_CHARS) out.push(points.slice(i, i + CHUNK_CHARS).join(""));
  return out;
}

/** A broken stream fails after this many content events. */
export const BROKEN_AFTER_EVENTS = 2;

export interface StreamContext {
  requestId: string;
  path: string;
  model: string;
  fingerprint: string;
  startedAt: number;
  /** The incoming request's signal. */
  signal: AbortSignal;
  waitUntil(promise: Promise<unknown>): void;
}

const encoder = new TextEncoder();

export function encodeEvent(e: SseEvent): Uint8Array {
  const data = typeof e.data === "string" ? e.data : JSON.stringify(e.data);
  return encoder.encode(`${e.event ? `event: ${e.event}\n` : ""}data: ${data}\n\n`);
}

/**
 * Where a stream fault cuts `events`: after the k-th content event (before the first one when k is 0), or
 * after the last content event when there are fewer than k, and never after the last event.
 */
export function cutIndex(events: readonly SseEvent[], k: number): number {
  let seen = 0;
  let afterLast = -1;
  for (let i = 0; i < events.length; i++) {
    if (!events[i]!.content) continue;
    if (seen === k) return i;
    seen++;
    afterLast = i + 1;
  }
  return afterLast === -1 ? events.length - 1 : Math.min(afterLast, events.length - 1);
}

/**
 * During a slow-stream gap longer than this, an SSE comment (`: waiting`, which SSE readers ignore) every
 * HEARTBEAT_MS: a write is how the provider learns that the reader left.
 */
export const HEARTBEAT_MS = 250;
const HEARTBEAT = encoder.encode(": waiting\n\n");

/**
 * The stream of `events` under `fault`: slow-stream-<ms> waits between events (writing an SSE comment every
 * HEARTBEAT_MS meanwhile), broken-stream errors the stream at the cut, error-after-<k> sends
 * `errorEvent(position)` at the cut and closes.
 *
 * The events are written by a task handed to `waitUntil`, into a native pipe (IdentityTransformStream): when
 * the reader goes away the runtime tears the request down, but that task lives on, and its next write fails
 * ("Network connection lost"); an abort of the request's signal (with the compatibility flag
 * enable_request_signal) stops it at once. Either way the abort is recorded in the abort log.
 */
export function eventStream(
  events: readonly SseEvent[],
  fault: Fault,
  ctx: StreamContext,
  errorEvent: (position: number) => SseEvent,
): ReadableStream<Uint8Array> {
  const gapMs = fault.kind === "slow-stream" ? fault.ms : 0;
  let plan: readonly SseEvent[] = events;
  let failAt = Number.POSITIVE_INFINITY;
  if (fault.kind === "broken") failAt = cutIndex(events, BROKEN_AFTER_EVENTS);
  if (fault.kind === "error-after") {
    const cut = cutIndex(events, fault.events);
    plan = [...events.slice(0, cut), errorEvent(cut)];
  }

  const { readable, writable } = new IdentityTransformStream();
  const writer = writable.getWriter();
  writer.closed.catch(() => {}); // a failed write is handled where it happens
  const stop = new AbortController();
  let sent = 0;
  let finished = false;
  const noticeAbort = () => {
    if (finished || stop.signal.aborted) return;
    stop.abort();
    recordAbort({
      requestId: ctx.requestId,
      path: ctx.path,
      model: ctx.model,
      fingerprint: ctx.fingerprint,
      phase: "streaming",
      eventsSent: sent,
      startedAt: ctx.startedAt,
      noticedAt: Date.now(),
    });
  };
  ctx.signal.addEventListener("abort", noticeAbort, { once: true });

  /** Waits before the next event, with a heartbeat every HEARTBEAT_MS of a long gap; false once stopped. */
  const gap = async (): Promise<boolean> => {
    if (gapMs === 0) await tick();
    for (let left = gapMs; left > 0 && !stop.signal.aborted; left -= HEARTBEAT_MS) {
      if (!(await pause(Math.min(HEARTBEAT_MS, left), stop.signal))) break;
      if (left > HEARTBEAT_MS) await writer.write(HEARTBEAT);
    }
    return !stop.signal.aborted;
  };

  const run = async () => {
    try {
      for (let i = 0; i < plan.length; i++) {
        if (i > 0 && !(await gap())) {
          await writer.abort(new Error("request aborted"));
          return;
        }
        if (i === failAt) {
          // The connection drops mid-event: half of the next event, then the end — no finish, no [DONE].
          finished = true;
          const next = encodeEvent(plan[i]!);
          await writer.write(next.slice(0, Math.floor(next.length / 2)));
          await writer.close();
          return;
        }
        await writer.write(encodeEvent(plan[i]!));
        sent++;
      }
      finished = true;
      await writer.close();
    } catch {
      noticeAbort(); // a write failed: the reader is gone
    } finally {
      finished = true;
      ctx.signal.removeEventListener("abort", noticeAbort);
    }
  };
  ctx.waitUntil(run());
  return readable;
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };
