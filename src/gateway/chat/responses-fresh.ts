// Making a Responses answer look freshly made. A hit is served with a new `resp_…` id, new output item ids
// (same prefixes: `msg_`, `rs_`…), the current time, and the request's own bookkeeping fields (metadata, user,
// safety_identifier, prompt_cache_key, prompt_cache_retention, and service_tier when it names one), which are
// answer-neutral and so may differ from those of the request that was first answered — they are never another
// caller's. Under the tenant's timing protection misses get
// new ids and the current time too, and every streamed delta is padded (its `obfuscation` field) to a multiple
// of PAD_TO bytes, as chat's are (timing.ts).
import type { ResponseObject, ResponsesRequest } from "../protocol/responses";
import { randomChars, SseParser } from "./sse";
import { PAD_TO } from "./timing";

type Json = Record<string, unknown>;

/** Old id → fresh id, consistently within one response (an item's id appears in many events). */
export class FreshIds {
  private readonly ids = new Map<string, string>();

  of(old: unknown): unknown {
    if (typeof old !== "string") return old;
    let id = this.ids.get(old);
    if (id === undefined) {
      const cut = old.indexOf("_");
      id = `${cut > 0 && cut <= 8 ? old.slice(0, cut + 1) : "item_"}${hex(24)}`;
      this.ids.set(old, id);
    }
    return id;
  }
}

const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The response with fresh ids and times (created_at, and completed_at when it has one). */
export function withFreshIds<T extends Json>(response: T, ids: FreshIds, now = nowSeconds()): T {
  const out: Json = { ...response, id: ids.of(response.id), created_at: now };
  if (typeof response.completed_at === "number") out.completed_at = now;
  if (Array.isArray(response.output)) {
    out.output = (response.output as Json[]).map((item) => ({ ...item, id: ids.of(item.id) }));
  }
  return out as T;
}

/** The request's bookkeeping fields the provider echoes in its response, with their empty values. */
const ECHOED: Readonly<Record<string, unknown>> = {
  metadata: {},
  user: null,
  safety_identifier: null,
  prompt_cache_key: null,
  prompt_cache_retention: null,
};

/**
 * A response as it is stored: the bookkeeping fields its request sent (who asked, their metadata) emptied, as
 * they are another caller's on a hit, and no business of the cache. The fields themselves stay, so that a hit
 * has the shape the provider gave.
 */
export function forStorage(response: ResponseObject): ResponseObject {
  const out: Json = { ...response };
  for (const [k, empty] of Object.entries(ECHOED)) if (k in response) out[k] = empty;
  return out as ResponseObject;
}

/** A stored response as this request's answer: fresh ids and time, and this request's bookkeeping fields. */
export function servedFromCache(stored: ResponseObject, req: ResponsesRequest): ResponseObject {
  const out: Json = withFreshIds(stored, new FreshIds());
  const echo: Record<string, unknown> = {
    metadata: req.metadata ?? ECHOED.metadata,
    user: req.user === undefined || req.user === "" ? null : req.user,
    safety_identifier: req.safety_identifier ?? null,
    prompt_cache_key: req.prompt_cache_key ?? null,
    prompt_cache_retention: req.prompt_cache_retention ?? null,
  };
  for (const [k, v] of Object.entries(echo)) if (k in stored || v !== null) out[k] = v;
  // The tier this request asked for, as chat's hits (routes/chat-completions.ts); "auto" or none leaves the tier
  // the answer was given in.
  if (typeof req.service_tier === "string" && req.service_tier !== "auto") out.service_tier = req.service_tier;
  return out as ResponseObject;
}

const encoder = new TextEncoder();

/**
 * Re-frames a Responses stream for a protected tenant: fresh response and item ids and the current time in
 * every event, and each delta event padded through `obfuscation` so that its bytes are a multiple of PAD_TO.
 */
export function protectResponseStream(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const parser = new SseParser();
  const ids = new FreshIds();
  const now = nowSeconds();
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(bytes, controller) {
        for (const data of parser.push(bytes)) controller.enqueue(encoder.encode(reframe(data, ids, now)));
      },
    }),
  );
}

function reframe(data: string, ids: FreshIds, now: number): string {
  let event: Json;
  try {
    event = JSON.parse(data) as Json;
  } catch {
    return `data: ${data}\n\n`;
  }
  if (event === null || typeof event !== "object" || typeof event.type !== "string") return `data: ${data}\n\n`;
  const out: Json = { ...event };
  if (event.response !== null && typeof event.response === "object") {
    out.response = withFreshIds(event.response as Json, ids, now);
  }
  if (event.item !== null && typeof event.item === "object") {
    out.item = { ...(event.item as Json), id: ids.of((event.item as Json).id) };
  }
  if ("item_id" in event) out.item_id = ids.of(event.item_id);
  const head = `event: ${event.type}\ndata: `;
  if (!event.type.endsWith(".delta")) return `${head}${JSON.stringify(out)}\n\n`;
  const bare = encoder.encode(`${head}${JSON.stringify({ ...out, obfuscation: "" })}\n\n`).length;
  const pad = (PAD_TO - (bare % PAD_TO)) % PAD_TO;
  return `${head}${JSON.stringify({ ...out, obfuscation: randomChars(pad) })}\n\n`;
}
