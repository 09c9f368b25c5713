// Storing a provider answer everywhere an entry lives: sealed body, catalog row, exact-tier copy, vector. Runs
// after the response (waitUntil) and never throws: a failing cache write never fails a request.
import { logText } from "../../shared/log-text";
import type { Runtime } from "../runtime";
import { cacheKv } from "../storage/kv-keys";
import type { StoreTicket } from "../storage/tenant-object/index";
import type { CacheAddress } from "./address";
import { type CachedAnswer, entryBody, KV_MIN_TTL_SECONDS, writeEntry } from "./entries";
import { dropExactValue, exactPointerKey, writeExactCopy } from "./exact-tier";
import { writeSealer } from "./sealers";
import { embedPrompt } from "./semantic-tier";

/**
 * Where an answer is stored, and what its request saw of erasures when it was asked (its ticket, taken before
 * the provider was called): the tenant's object refuses the store when an erasure has run since.
 */
export type StoreAddress = CacheAddress & { readonly ticket: StoreTicket };

export async function storeEntry(
  rt: Runtime,
  addr: StoreAddress,
  entryId: string,
  answer: CachedAnswer,
  embedding: number[] | null,
): Promise<void> {
  try {
    if (answer.kind !== addr.kind)
      throw new Error(`a ${answer.kind} answer cannot be stored at a ${addr.kind} address`);
    const createdAt = Date.now();
    const expiresAt = createdAt + addr.ttlSeconds * 1000;
    // KV keeps the entry through the stale window too; it is served then only when no upstream answers.
    const kvTtl = Math.max(KV_MIN_TTL_SECONDS, addr.ttlSeconds + addr.staleSeconds);
    // A prompt that is only code has no prose to embed, and a tenant whose threshold is 1 has no semantic tier:
    // such an entry is served by the exact tier alone. So is one the embedder failed on (Workers AI's rate limits,
    // an input over its model's tokens): the semantic tier is best effort, and never costs the exact tier.
    const vector = addr.indexByMeaning ? (embedding ?? (await embedOrNull(rt, addr, entryId))) : null;
    const sealer = await writeSealer(rt, addr, addr.ticket);
    if (sealer === null) return refused(addr, entryId, "user_erased_since");
    const body = entryBody(answer, {
      id: entryId,
      created_at: createdAt,
      expires_at: expiresAt,
      model: addr.model,
      prompt: addr.prompt,
      exact: addr.exactHash,
    });
    const object = rt.tenantObject(addr.tenant);
    const bodyKey = cacheKv.entry(addr.tenant, entryId);
    // The body, then the catalog row — which the tenant's object refuses when an erasure (or the tenant's
    // deletion) ran since the request was asked: then the body goes again, and nothing else is written.
    await writeEntry(rt, addr, sealer, body, kvTtl);
    const refusal = await object.catalogPut(
      {
        id: entryId,
        scope: addr.scopeHash,
        user_hash: addr.userHash,
        partition: addr.partitionHash,
        prompt_hash: addr.promptHash,
        model: addr.model,
        exact_key: exactPointerKey(addr),
        created_at: createdAt,
        expires_at: expiresAt,
      },
      addr.ticket,
    );
    if (refusal !== null) {
      await rt.env.CACHE.delete(bodyKey);
      return refused(addr, entryId, refusal);
    }
    await Promise.all([
      writeExactCopy(rt, addr, sealer, body, kvTtl),
      vector === null
        ? null
        : rt.vectors.upsert(addr.tenant, [
            {
              id: entryId,
              values: vector,
              metadata: { partition: addr.vectorPartition, scope: addr.scopeHash, expires_at: expiresAt },
            },
          ]),
    ]);
    // Deleted or erased while its copies were being written (the response named it already): they go too.
    if (!(await object.catalogHas(entryId))) await takeBack(rt, addr, entryId, bodyKey);
  } catch (err) {
    console.error(`cache store failed for tenant ${addr.tenant}: ${logText(err)}`);
  }
}

/** The prompt's embedding, or null (logged) when the embedder fails: the entry is then stored unindexed. */
async function embedOrNull(rt: Runtime, addr: StoreAddress, entryId: string): Promise<number[] | null> {
  try {
    return await embedPrompt(rt, addr);
  } catch (err) {
    console.warn(`cache entry ${entryId} of tenant ${addr.tenant} stored without a vector: ${logText(err)}`);
    return null;
  }
}

/** Removes an entry's copies written after its catalog row was removed: the exact-tier value while it names the
 * entry, the body and the vector. */
async function takeBack(rt: Runtime, addr: StoreAddress, entryId: string, bodyKey: string): Promise<void> {
  await Promise.all([
    dropExactValue(rt, exactPointerKey(addr), entryId, true),
    rt.env.CACHE.delete(bodyKey),
    rt.vectors.delete(addr.tenant, [entryId]),
  ]);
  console.info(`cache entry ${entryId} of tenant ${addr.tenant} removed while it was stored: its copies went too`);
}

function refused(addr: StoreAddress, entryId: string, why: string): void {
  console.info(`cache entry ${entryId} of tenant ${addr.tenant} not stored: ${why}`);
}
