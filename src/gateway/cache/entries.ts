// Cached entry bodies in the CACHE namespace: the provider's answer and the original prompt, sealed with
// AES-256-GCM under the tenant's cache-body key (or, for a user's entries, the user's own key), bound to their
// storage key (the AAD), and checked for expiry, erasure, model and API on every read. Two body versions:
// v1 holds a chat completion (/v1/chat/completions and /v1/cache/query), v2 a Responses API response object
// (/v1/responses); v1 bodies written before v2 existed read as they always did.
import * as z from "zod";
import type { EntrySealer } from "../crypto/tenant-keyring";
import { type ChatCompletion, ChatCompletionSchema } from "../protocol/chat";
import { outputText, type ResponseObject, ResponseObjectSchema } from "../protocol/responses";
import type { Runtime } from "../runtime";
import { cacheKv } from "../storage/kv-keys";
import type { CacheAddress } from "./address";

/** KV's minimum expiration TTL; shorter entries are also checked against their own expires_at on read. */
export const KV_MIN_TTL_SECONDS = 60;

const EntryFields = {
  id: z.string(),
  created_at: z.number(),
  expires_at: z.number(),
  model: z.string(),
  prompt: z.string(),
  /** The exact tier's keyed hash the entry was stored under: an exact pointer must lead back to it. */
  exact: z.string(),
};

export const EntryBodySchema = z.discriminatedUnion("v", [
  z.object({ v: z.literal(1), ...EntryFields, completion: ChatCompletionSchema }),
  z.object({ v: z.literal(2), ...EntryFields, api: z.literal("responses"), response: ResponseObjectSchema }),
]);
export type EntryBody = z.infer<typeof EntryBodySchema>;

/** A stored answer, by the API that gave it. */
export type CachedAnswer =
  | { readonly kind: "chat"; readonly completion: ChatCompletion }
  | { readonly kind: "responses"; readonly response: ResponseObject };

export interface CacheHit {
  readonly tier: "exact" | "semantic";
  readonly entryId: string;
  readonly similarity: number;
  readonly answer: CachedAnswer;
}

export function answerOf(body: EntryBody): CachedAnswer {
  return body.v === 1 ? { kind: "chat", completion: body.completion } : { kind: "responses", response: body.response };
}

/** The body to seal for an answer. */
export function entryBody(
  answer: CachedAnswer,
  fields: { id: string; created_at: number; expires_at: number; model: string; prompt: string; exact: string },
): EntryBody {
  return answer.kind === "chat"
    ? { v: 1, ...fields, completion: answer.completion }
    : { v: 2, ...fields, api: "responses", response: answer.response };
}

/** The answer's text (the assistant message, or a response's output text). */
export function answerText(answer: CachedAnswer): string | null {
  return answer.kind === "chat" ? (answer.completion.choices[0]?.message.content ?? null) : outputText(answer.response);
}

/** What the answer cost when it was computed, in input and output tokens, when the provider said. */
export function answerTokens(answer: CachedAnswer): { input: number; output: number } | null {
  if (answer.kind === "chat") {
    const u = answer.completion.usage;
    return u ? { input: u.prompt_tokens, output: u.completion_tokens } : null;
  }
  const u = answer.response.usage;
  return u ? { input: u.input_tokens, output: u.output_tokens } : null;
}

/** The usage object as the provider reported it. */
export function answerUsage(answer: CachedAnswer): unknown {
  return (answer.kind === "chat" ? answer.completion.usage : answer.response.usage) ?? null;
}

/** Opens a sealed body read from KV; null when it does not open or parse (another key, altered, moved). */
export async function openEntry(sealer: EntrySealer, key: string, sealed: string): Promise<EntryBody | null> {
  try {
    const raw: unknown = JSON.parse(await sealer.open(sealed, key));
    // Checked by the schema, served as stored: the schema's own output would put the fields it declares first,
    // and a hit would then differ from a miss in the order of its fields (the schema transforms nothing).
    return EntryBodySchema.safeParse(raw).success ? (raw as EntryBody) : null;
  } catch {
    return null;
  }
}

/**
 * The entry's body if it exists, opens under `sealer` (the tenant's key, or the user's), is unexpired, was not
 * created before the tenant's erasure watermark, and is for this model and this API.
 */
export async function readEntry(
  rt: Runtime,
  addr: CacheAddress,
  sealer: EntrySealer,
  entryId: string,
  now: number,
): Promise<EntryBody | null> {
  const key = cacheKv.entry(addr.tenant, entryId);
  const sealed = await rt.env.CACHE.get(key);
  return sealed === null ? null : usableBody(addr, sealer, key, sealed, now);
}

/**
 * A sealed body read from `key` (an entry's own key, or its exact-tier copy's), if it opens there and may
 * answer `addr` at `now`: unexpired, not created before the tenant's erasure watermark, this model and API.
 */
export async function usableBody(
  addr: CacheAddress,
  sealer: EntrySealer,
  key: string,
  sealed: string,
  now: number,
): Promise<EntryBody | null> {
  const body = await openEntry(sealer, key, sealed);
  if (!body) {
    console.warn(`cache value ${key} does not open; ignored`);
    return null;
  }
  if (body.expires_at <= now || body.model !== addr.model || body.created_at < addr.erasedBefore) return null;
  if (answerOf(body).kind !== addr.kind) return null;
  return body;
}

/** Seals and writes an entry body; returns its storage key. */
export async function writeEntry(
  rt: Runtime,
  addr: CacheAddress,
  sealer: EntrySealer,
  body: EntryBody,
  kvTtl: number,
): Promise<string> {
  return putSealed(rt, cacheKv.entry(addr.tenant, body.id), sealer, body, kvTtl);
}

/** Writes `body` under `key`, sealed to that key (its AAD), after `prefix` (an exact-tier value's entry id). */
export async function putSealed(
  rt: Runtime,
  key: string,
  sealer: EntrySealer,
  body: EntryBody,
  kvTtl: number,
  prefix = "",
): Promise<string> {
  await rt.env.CACHE.put(key, prefix + (await sealer.seal(JSON.stringify(body), key)), { expirationTtl: kvTtl });
  return key;
}
