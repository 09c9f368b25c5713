// Cached entry bodies in the CACHE namespace: the provider's completion and the original prompt, sealed with
// AES-256-GCM under the tenant's cache-body key, bound to their storage key (the AAD), and checked for expiry
// and model on every read.
import * as z from "zod";
import { type ChatCompletion, ChatCompletionSchema } from "../protocol/chat";
import type { Runtime } from "../runtime";
import { cacheKv } from "../storage/kv-keys";
import type { CacheAddress } from "./address";

/** KV's minimum expiration TTL; shorter entries are also checked against their own expires_at on read. */
export const KV_MIN_TTL_SECONDS = 60;

const EntryBodySchema = z.object({
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

/** The entry's body if it exists, opens under this tenant's key, is unexpired and is for this model. */
export async function readEntry(
  rt: Runtime,
  addr: CacheAddress,
  entryId: string,
  now: number,
): Promise<EntryBody | null> {
  const key = cacheKv.entry(addr.tenant, entryId);
  const sealed = await rt.env.CACHE.get(key);
  if (sealed === null) return null;
  let body: ReturnType<typeof EntryBodySchema.safeParse>;
  try {
    body = EntryBodySchema.safeParse(JSON.parse(await addr.keyring.open(sealed, key)));
  } catch {
    console.warn(`cache entry ${entryId} of tenant ${addr.tenant} does not open; ignored`);
    return null;
  }
  if (!body.success || body.data.expires_at <= now || body.data.model !== addr.model) return null;
  return body.data;
}

/** Seals and writes an entry body; returns its storage key. */
export async function writeEntry(rt: Runtime, addr: CacheAddress, body: EntryBody, kvTtl: number): Promise<string> {
  const key = cacheKv.entry(addr.tenant, body.id);
  await rt.env.CACHE.put(key, await addr.keyring.seal(JSON.stringify(body), key), { expirationTtl: kvTtl });
  return key;
}
