// Exact tier: a KV pointer from the keyed hash of scope + partition + exact-normalised prompt to an entry id.
import type { EntrySealer } from "../crypto/tenant-keyring";
import type { Runtime } from "../runtime";
import { cacheKv } from "../storage/kv-keys";
import type { CacheAddress } from "./address";
import { answerOf, type CacheHit, readEntry } from "./entries";

export async function lookupExact(
  rt: Runtime,
  addr: CacheAddress,
  sealer: EntrySealer,
  now: number,
): Promise<CacheHit | null> {
  const entryId = await rt.env.CACHE.get(cacheKv.exact(addr.tenant, addr.exactHash));
  if (entryId === null) return null;
  const body = await readEntry(rt, addr, sealer, entryId, now);
  // The pointer is not sealed; the body is, and names the exact hash it was stored under: a pointer moved to
  // another entry of the same tenant and scope (by whoever can write KV) leads nowhere.
  if (!body || body.exact !== addr.exactHash) return null;
  return { tier: "exact", entryId, similarity: 1, answer: answerOf(body) };
}

export async function writeExactPointer(rt: Runtime, addr: CacheAddress, entryId: string, kvTtl: number) {
  const key = cacheKv.exact(addr.tenant, addr.exactHash);
  await rt.env.CACHE.put(key, entryId, { expirationTtl: kvTtl });
  return key;
}

export function exactPointerKey(addr: CacheAddress): string {
  return cacheKv.exact(addr.tenant, addr.exactHash);
}
