// The tenant object's sweeper, run by its alarm: deletes entries past their TTL and the tenant's stale window,
// then the queued outside copies (KV bodies and exact pointers, Vectorize vectors) of everything erased or
// expired, a bounded batch per run, and says when to run again.
import type { TenantRecord } from "../records";
import { donePendingDeletes, eraseExpired, nextExpiry, pendingDeletes, SWEEP_BATCH } from "./erasure";
import type { CodeGroups } from "./vector-codes";

/** One run; returns when the next should be (ms since the epoch), or null when nothing is left to sweep. */
export async function sweep(
  storage: DurableObjectStorage,
  env: Pick<CordonGateway.Env, "CACHE" | "VECTORIZE" | "VECTOR_INDEX">,
  codes: CodeGroups,
  tenant: TenantRecord | null,
  now: number,
): Promise<number | null> {
  const vectorize = env.VECTOR_INDEX === "vectorize";
  // Entries are kept through the tenant's stale window (served past their TTL only when upstream fails).
  const stale = (tenant?.policy.serve_stale_seconds ?? 0) * 1000;
  if (tenant) {
    const swept = eraseExpired(storage, tenant.id, now - stale, SWEEP_BATCH, vectorize);
    codes.forget(swept.vectorIds);
  } else {
    // A deleted tenant: its deletion queued its entries' outside copies, deleted below. Whatever a late write left
    // here is no one's (unreadable under the destroyed data key, its KV copies expire with their TTL).
    storage.sql.exec(`DELETE FROM entries`);
    storage.sql.exec(`DELETE FROM vectors`);
    codes.clear();
  }
  const batch = pendingDeletes(storage.sql, SWEEP_BATCH);
  const kv = batch.filter((d) => d.kind === "kv").map((d) => d.key);
  const vectors = batch.filter((d) => d.kind === "vector").map((d) => d.key);
  await Promise.all(kv.map((key) => env.CACHE.delete(key)));
  if (vectors.length && env.VECTORIZE) await env.VECTORIZE.deleteByIds(vectors);
  const last = batch[batch.length - 1];
  if (last) donePendingDeletes(storage.sql, last.id);
  if (pendingDeletes(storage.sql, 1).length > 0) return Date.now() + 1000;
  const next = nextExpiry(storage.sql);
  return next === null ? null : Math.max(next + stale, Date.now() + 1000);
}
