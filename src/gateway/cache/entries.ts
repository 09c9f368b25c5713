// Cached entry bodies in the CACHE namespace: the provider's completion and the original prompt, sealed with
// AES-256-GCM under the tenant's cache-body key (or, for a user's entries, the user's own key), bound to their
// storage key (the AAD), and checked for expiry, erasure and model on every read.
import * as z from "zod";
import type { EntrySealer } from "../crypto/tenant-keyring";
import { type ChatCompletion, ChatCompletionSchema } from "../protocol/chat";
import type { Runtime } from "../runtime";
import { cacheKv } from "../storage/kv-keys";
import type { CacheAddress } from "./address";

/** KV's minimum expiration TTL; shorter entries are also checked against their own expires_at on read. */
export const KV_MIN_TTL_SECONDS = 60;

export const EntryBodySchema = z.object({
  v: z.literal(1),
  id: z.string(),
  created_at: z.number(),
  expires_at: z.number(),
  model: z.string(),
  prompt: z.string(),
  completion: ChatCompletionSchema,
});
export type EntryBody = z.infer<typeof EntryBodySchema>;

export interface CacheHit {
  readonly tier: "exact" | "semantic";
  readonly entryId: string;
  readonly similarity: number;
  readonly completion: ChatCompletion;
}

/** Opens a sealed body read from KV; null when it does not open or parse (another key, altered, moved). */
export async function openEntry(sealer: EntrySealer, key: string, sealed: string): Promise<EntryBody | null> {
  try {
    const parsed = EntryBodySchema.safeParse(JSON.parse(await sealer.open(sealed, key)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The entry's body if it exists, opens under `sealer` (the tenant's key, or the user's), is unexpired, was not
 * created before the tenant's erasure watermark, and is for this model.
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
  if (sealed === null) return null;
  const body = await openEntry(sealer, key, sealed);
  if (!body) {
    console.warn(`cache entry ${entryId} of tenant ${addr.tenant} does not open; ignored`);
    return null;
  }
  if (body.expires_at <= now || body.model !== addr.model || body.created_at < addr.erasedBefore) return null;
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
  const key = cacheKv.entry(addr.tenant, body.id);
  await rt.env.CACHE.put(key, await sealer.seal(JSON.stringify(body), key), { expirationTtl: kvTtl });
  return key;
}
