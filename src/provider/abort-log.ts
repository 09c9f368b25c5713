// The abort observer: every time a caller goes away before the provider finished answering — a stream
// cancelled mid-way, or a request aborted while the provider was still waiting (slow-<ms>, hang, LATENCY_MS) —
// the provider notes it here, in memory, for this isolate only. Tests read it through the LocalProvider
// entrypoint (`abortLog()`, `clearAbortLog()`) to check that the gateway passes a client's abort upstream.
// Records hold no prompt text: the request's fingerprint (the 8 hex digits of a "Local answer …" text)
// identifies it.

export interface AbortRecord {
  /** The provider's `x-request-id` for the request. */
  requestId: string;
  /** `/v1/chat/completions`, `/v1/responses` or `/v1/embeddings`. */
  path: string;
  /** The model as requested, prefix included. */
  model: string;
  /** The request's fingerprint (the one in its answer text), null if the abort came before it was known. */
  fingerprint: string | null;
  /** `waiting`: before the response head (latency, slow-<ms>, hang); `streaming`: during an SSE body. */
  phase: "waiting" | "streaming";
  /** Events (SSE `data` blocks) sent before the abort; 0 in the waiting phase. */
  eventsSent: number;
  /** When the request arrived and when the provider noticed the abort (ms since the epoch, Date.now()). */
  startedAt: number;
  noticedAt: number;
}

/** The newest records kept; older ones are dropped. */
export const ABORT_LOG_LIMIT = 100;

const records: AbortRecord[] = [];

export function recordAbort(record: AbortRecord): void {
  records.push(record);
  if (records.length > ABORT_LOG_LIMIT) records.splice(0, records.length - ABORT_LOG_LIMIT);
}

/** A copy of the records, oldest first. */
export const abortRecords = (): AbortRecord[] => records.map((r) => ({ ...r }));

export function clearAbortRecords(): void {
  records.length = 0;
}
