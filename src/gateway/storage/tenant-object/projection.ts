// The KV projection of a tenant's object: after every change to the tenant's configuration or keys, the object
// writes what the request path reads (storage/records.ts). Only the object writes these entries, one change at
// a time, so the projection never goes backwards.
import { tenantsKv } from "../kv-keys";
import { authRecordOf, type KeyRecord, type TenantRecord } from "../records";

/** Seconds a rotated-out secret's record outlives its grace period in KV (then KV expires it). */
const ROTATED_RECORD_MARGIN_SECONDS = 60;

/** The tenant record as the request path reads it, with the providers the tenant holds virtual keys for. */
export async function projectTenant(
  kv: KVNamespace,
  t: TenantRecord,
  virtualKeyProviders: readonly string[],
): Promise<void> {
  await kv.put(tenantsKv.tenant(t.id), JSON.stringify({ ...t, virtual_key_providers: virtualKeyProviders }));
}

export async function projectKey(kv: KVNamespace, k: KeyRecord, now: number): Promise<void> {
  const writes = [kv.put(tenantsKv.apiKeyByHash(k.hash), JSON.stringify(authRecordOf(k, "current")))];
  if (k.previous && k.previous.expires_at > now) {
    // KV's minimum expiration TTL is 60 s; the record also carries its own end, checked on every use.
    const ttl = Math.max(60, Math.ceil((k.previous.expires_at - now) / 1000) + ROTATED_RECORD_MARGIN_SECONDS);
    writes.push(
      kv.put(tenantsKv.apiKeyByHash(k.previous.hash), JSON.stringify(authRecordOf(k, "previous")), {
        expirationTtl: ttl,
      }),
    );
  }
  await Promise.all(writes);
}

/** Removes every secret of a key from KV: it no longer authenticates once the deletion has propagated. */
export async function unprojectKey(kv: KVNamespace, k: KeyRecord): Promise<void> {
  const hashes = [k.hash, ...(k.previous ? [k.previous.hash] : [])];
  await Promise.all(hashes.map((h) => kv.delete(tenantsKv.apiKeyByHash(h))));
}

export async function unprojectTenant(kv: KVNamespace, t: TenantRecord): Promise<void> {
  await Promise.all([kv.delete(tenantsKv.tenant(t.id)), ...t.hostnames.map((h) => kv.delete(tenantsKv.hostname(h)))]);
}

export async function projectHostnames(kv: KVNamespace, t: TenantRecord): Promise<void> {
  await Promise.all(t.hostnames.map((h) => kv.put(tenantsKv.hostname(h), t.id)));
}
