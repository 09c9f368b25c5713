// Exact tier: under the keyed hash of scope + partition + exact-normalised prompt, the entry's id and a copy of
// its sealed body, `{entry id}.{sealed}` — so that an exact hit is one KV read. The copy is sealed to this key
// (its AAD) with the entry's own key, and is checked on every read as the body is (expiry, erasure watermark,
// model, API); it also names the exact hash it was stored under and its entry id, so a value moved from another
// key or another entry leads nowhere. A value holding the id alone (written before copies existed) leads to the
// body by id. Deleting an entry deletes this value while it names the entry (routes/cache-entries.ts, erasure).
import type { EntrySealer } from "../crypto/tenant-keyring";
import type { Runtime } from "../runtime";
import { cacheKv } from "../storage/kv-keys";
import type { CacheAddress } from "./address";
import { answerOf, type CacheHit, type EntryBody, putSealed, readEntry, usableBody } from "./entries";

/** The exact tier's value for this address: read without the key that opens it (see lookup.ts). */
export function readExactValue(rt: Runtime, addr: CacheAddress): Promise<string | null> {
  return rt.env.CACHE.get(exactPointerKey(addr));
}

/** The hit an exact-tier value holds for this address, opened with `sealer`; null when it holds none usable. */
export async function openExact(
  rt: Runtime,
  addr: CacheAddress,
  sealer: EntrySealer,
  value: string,
  now: number,
): Promise<CacheHit | null> {
  const entryId = pointedEntryId(value);
  const copy = value.slice(entryId.length + 1);
  const body =
    copy === ""
      ? await readEntry(rt, addr, sealer, entryId, now)
      : await usableBody(addr, sealer, exactPointerKey(addr), copy, now);
  if (!body || body.exact !== addr.exactHash || body.id !== entryId) return null;
  return { tier: "exact", entryId, similarity: 1, answer: answerOf(body) };
}

/** The id of the entry an exact-tier value names (a copy's prefix, or the whole of an id-only value). */
export function pointedEntryId(value: string): string {
  const dot = value.indexOf(".");
  return dot === -1 ? value : value.slice(0, dot);
}

/** Writes the exact-tier value of an entry: its id and its body, sealed to the value's own key. */
export async function writeExactCopy(
  rt: Runtime,
  addr: CacheAddress,
  sealer: EntrySealer,
  body: EntryBody,
  kvTtl: number,
): Promise<string> {
  return putSealed(rt, exactPointerKey(addr), sealer, body, kvTtl, `${body.id}.`);
}

/**
 * Deletes the exact-tier value of an entry that was removed: at once when no other entry stores under the same
 * key (`shared` false, as the catalog says), otherwise only while the value still names this entry — a prompt
 * stored again since points at the newer one. Let the catalog decide where it can: a read of the value may be
 * answered from an older edge copy.
 */
export async function dropExactValue(rt: Runtime, key: string, entryId: string, shared: boolean): Promise<void> {
  if (shared) {
    const value = await rt.env.CACHE.get(key);
    if (value === null || pointedEntryId(value) !== entryId) return;
  }
  await rt.env.CACHE.delete(key);
}

export function exactPointerKey(addr: CacheAddress): string {
  return cacheKv.exact(addr.tenant, addr.exactHash);
}
