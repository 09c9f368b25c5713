// Timing protection (tenant policy `timing_protection`): a caller must not be able to tell from a response
// whether someone else asked the same thing before. Hits are held back toward a latency drawn from the tenant's
// own recent misses; the cache's headers are withheld; every completion and chunk gets a fresh id and the
// current time, hit or miss alike; and each streamed event is padded (OpenAI's `obfuscation` field) to a
// multiple of PAD_TO bytes, so that event sizes do not reveal the lengths of the tokens inside.
// What it cannot hide: a hit costs the provider nothing, so a caller who can see the tenant's bill… is the
// tenant. /v1/cache/query says whether it hit by design (its callers hold cache:read).
import { logText } from "../../shared/log-text";
import type { AuthedContext } from "../context";
import type { Runtime } from "../runtime";
import type { LatencyKind } from "../storage/tenant-object/index";
import { SseParser } from "./sse";

/** Streamed events are padded to a multiple of this many bytes. */
export const PAD_TO = 256;
/** The delay aimed at before the tenant has recorded any miss of a kind. */
export const DEFAULT_MISS_LATENCY_MS: Record<LatencyKind, number> = { chat: 800, embeddings: 150 };
/** Headers that say what the cache did; withheld from protected tenants' responses. */
export const CACHE_HEADERS = [
  "x-cache",
  "x-cache-similarity",
  "x-cache-entry-id",
  "x-cache-reason",
  "x-cache-tokens-saved",
  "x-cache-cost-saved",
  "x-cache-hits",
] as const;

export const freshCompletionId = () => `chatcmpl-${crypto.randomUUID().replace(/-/g, "")}`;

/**
 * Holds a hit back until a latency drawn from the tenant's recent misses of the same kind has passed since
 * `receivedAt`.
 */
export async function delayLikeAMiss(
  rt: Runtime,
  tenant: string,
  receivedAt: number,
  kind: LatencyKind = "chat",
): Promise<void> {
  const sample = (await rt.tenantObject(tenant).sampleMissLatency(kind)) ?? DEFAULT_MISS_LATENCY_MS[kind];
  const wait = sample - (Date.now() - receivedAt);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

/** How long this miss took to answer (to its response head), for the tenant's timing protection. */
export function recordMissLatency(rc: AuthedContext, kind: LatencyKind = "chat"): void {
  rc.exec.waitUntil(
    rc.rt
      .tenantObject(rc.tenant.id)
      .recordMissLatency(Date.now() - rc.receivedAt, kind)
      .catch((err: unknown) => console.warn(`miss latency not recorded: ${logText(err)}`)),
  );
}

export function withoutCacheHeaders(headers: Headers): void {
  for (const h of CACHE_HEADERS) headers.delete(h);
}

const encoder = new TextEncoder();

/**
 * Re-frames an SSE stream of chat.completion.chunk events: a fresh id and `created` on every chunk, and each
 * event padded with `obfuscation` so its bytes are a multiple of PAD_TO. `[DONE]` and error events pass as
 * they are (their size says nothing).
 */
export function padStream(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const parser = new SseParser();
  const id = freshCompletionId();
  const created = Math.floor(Date.now() / 1000);
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(bytes, controller) {
        for (const data of parser.push(bytes)) controller.enqueue(encoder.encode(padEvent(data, id, created)));
      },
    }),
  );
}

function padEvent(data: string, id: string, created: number): string {
  let chunk: Record<string, unknown>;
  try {
    chunk = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return `data: ${data}\n\n`;
  }
  if (chunk === null || typeof chunk !== "object" || chunk.object !== "chat.completion.chunk") {
    return `data: ${data}\n\n`;
  }
  const base = { ...chunk, id, created, obfuscation: "" };
  const bare = encoder.encode(`data: ${JSON.stringify(base)}\n\n`).length;
  const pad = (PAD_TO - (bare % PAD_TO)) % PAD_TO;
  return `data: ${JSON.stringify({ ...base, obfuscation: randomPadding(pad) })}\n\n`;
}

const PAD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomPadding(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let out = "";
  for (const b of bytes) out += PAD_ALPHABET[b % PAD_ALPHABET.length];
  return out;
}
