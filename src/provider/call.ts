// One POST request's way through the faults, shared by the three generating endpoints: the injected latency
// (LATENCY_MS + slow-<ms>), then the faults that come before any answer (error-<status>, flaky-<N>, hang,
// error-after-<k> without stream), then the answer — whole, as broken JSON (broken-stream), or streamed.
import { recordAbort } from "./abort-log";
import {
  type Fault,
  faultOf,
  flakyError,
  flakyFailsNow,
  injectedError,
  MIDSTREAM_ERROR,
  pause,
  untilAborted,
} from "./faults";
import { errorResponse, ProviderError } from "./http";
import { eventStream, SSE_HEADERS, type SseEvent } from "./sse";

/** What the router knows about a request before its endpoint reads the body. */
export interface Call {
  requestId: string;
  path: string;
  startedAt: number;
  signal: AbortSignal;
  latencyMs: number;
  waitUntil(promise: Promise<unknown>): void;
}

/** What the endpoint knows once the body is parsed. */
export interface Generation {
  model: string;
  stream: boolean;
  fingerprint: string;
  /** The body field an injected 400 names (`messages`, `input`). */
  param400: string;
  /** A background response is answered at once: slow-<ms> is how long it then stays in progress. */
  background?: boolean;
}

/**
 * Waits the injected latency and applies the faults that come before the answer. Returns the fault that still
 * shapes the answer, or null when the caller went away while the provider waited (the abort is recorded).
 * Throws ProviderError for an injected error.
 */
export async function beforeAnswer(call: Call, gen: Generation): Promise<Fault | null> {
  const fault = faultOf(gen.model);
  const slowMs = fault.kind === "slow" && !gen.background ? fault.ms : 0;
  const waited = await pause(call.latencyMs + slowMs, call.signal);
  if (!waited) return abandoned(call, gen);
  if (fault.kind === "error") throw injectedError(fault.status, gen.model, gen.param400);
  if (fault.kind === "flaky" && flakyFailsNow(fault)) throw flakyError(gen.model);
  if (fault.kind === "hang") {
    if (await untilAborted(call.signal)) return abandoned(call, gen);
    throw new ProviderError({ status: 504, message: "Injected fault: hang gave up waiting.", type: "server_error" });
  }
  if (fault.kind === "error-after" && !gen.stream) {
    throw new ProviderError({ status: 500, ...MIDSTREAM_ERROR });
  }
  return fault;
}

function abandoned(call: Call, gen: Generation): null {
  recordAbort({
    requestId: call.requestId,
    path: call.path,
    model: gen.model,
    fingerprint: gen.fingerprint,
    phase: "waiting",
    eventsSent: 0,
    startedAt: call.startedAt,
    noticedAt: Date.now(),
  });
  return null;
}

/** The caller went away; nobody reads this, but the handler must return something. */
export function clientClosed(): Response {
  return errorResponse({
    status: 499,
    message: "The client closed the request.",
    type: "invalid_request_error",
    code: "client_closed_request",
  });
}

/** A non-stream answer: JSON, or under broken-stream a 200 whose body is cut in the middle of the JSON. */
export function jsonAnswer(body: unknown, fault: Fault): Response {
  if (fault.kind !== "broken") return Response.json(body);
  const text = JSON.stringify(body);
  return new Response(text.slice(0, Math.floor(text.length / 2)), {
    headers: { "content-type": "application/json" },
  });
}

/** A streamed answer under `fault` (slow-stream, broken-stream, error-after), watched for aborts. */
export function streamAnswer(
  call: Call,
  gen: Generation,
  events: SseEvent[],
  fault: Fault,
  errorEvent: (position: number) => SseEvent,
) {
  const ctx = { ...call, model: gen.model, fingerprint: gen.fingerprint };
  return new Response(eventStream(events, fault, ctx, errorEvent), { headers: SSE_HEADERS });
}
