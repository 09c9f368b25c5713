// Storing a provider answer everywhere an entry lives: sealed body, catalog row, exact-tier copy, vector. Runs
// after the response (waitUntil) and never throws: a failing cache write never fails a request.
import type { Runtime } from "../runtime";
import type { CacheAddress } from "./address";
import { type CachedAnswer, entryBody, KV_MIN_TTL_SECONDS, writeEntry } from "./entries";
import { exactPointerKey, writeExactCopy } from "./exact-tier";
import { writeSealer } from "./sealers";
import { embedPrompt } from "./semantic-tier";

export async function storeEntry(
  rt: Runtime,
  addr: CacheAddress,
  entryId: string,
  answer: CachedAnswer,
  embedding: number[] | null,
): Promise<void> {
  try {
    if (answer.kind !== addr.kind)
      throw new Error(`a ${answer.kind} answer cannot be stored at a ${addr.kind} address`);
    const now = Date.now();
    const expiresAt = now + addr.ttlSeconds * 1000;
    // KV keeps the entry through the stale window too; it is served then only when no upstream answers.
    const kvTtl = Math.max(KV_MIN_TTL_SECONDS, addr.ttlSeconds + addr.staleSeconds);
    // A prompt that is only code has no prose to embed, and a tenant whose threshold is 1 has no semantic tier:
    // such an entry is served by the exact tier alone.
    const vector = addr.indexByMeaning ? (embedding ?? (await embedPrompt(rt, addr))) : null;
    const sealer = await writeSealer(rt, addr);
    const body = entryBody(answer, {
      id: entryId,
      created_at: now,
      expires_at: expiresAt,
      model: addr.model,
      prompt: addr.prompt,
      exact: addr.exactHash,
    });
    // The body and the catalog row first, so that no exact-tier value ever names an entry that was not recorded.
    await writeEntry(rt, addr, sealer, body, kvTtl);
    await rt.tenantObject(addr.tenant).catalogPut({
      id: entryId,
      scope: addr.scopeHash,
      user_hash: addr.userHash,
      partition: addr.partitionHash,
      prompt_hash: addr.promptHash,
      model: addr.model,
      exact_key: exactPointerKey(addr),
      created_at: now,
      expires_at: expiresAt,
    });
    await Promise.all([
      writeExactCopy(rt, addr, sealer, body, kvTtl),
      vector === null
        ? null
        : rt.vectors.upsert(addr.tenant, [
            {
              id: entryId,
              values: vector,
              metadata: { partition: addr.partitionHash, scope: addr.scopeHash, expires_at: expiresAt },
            },
          ]),
    ]);
  } catch (err) {
    console.error(`cache store failed for tenant ${addr.tenant}: ${String(err)}`);
  }
}
