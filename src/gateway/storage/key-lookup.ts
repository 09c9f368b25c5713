// Looking a secret's keyed hash up in KV, through a small cache in the isolate: a hot key costs no KV read.
// Bounded both ways: an entry is trusted for KEY_CACHE_TTL_MS at most (a revoked or rotated-out key stops
// working in every isolate within that time plus KV's edge cache, see README "Revocation"), and at most
// KEY_CACHE_MAX entries are kept (oldest dropped). Revocation in this isolate evicts at once.
import type { KeyAuthRecord } from "./records";
import type { TenantDirectory } from "./tenant-directory";

export const KEY_CACHE_TTL_MS = 10_000;
export const KEY_CACHE_MAX = 10_000;

export class KeyLookup {
  private readonly cache = new Map<string, { record: KeyAuthRecord; at: number }>();

  constructor(private readonly directory: TenantDirectory) {}

  async lookup(hash: string, now: number): Promise<KeyAuthRecord | null> {
    const hit = this.cache.get(hash);
    if (hit && now - hit.at < KEY_CACHE_TTL_MS && now >= hit.at) return hit.record;
    if (hit) this.cache.delete(hash);
    const record = await this.directory.keyByHash(hash);
    if (record) {
      if (this.cache.size >= KEY_CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(hash, { record, at: now });
    }
    return record;
  }

  /** Forgets the given secrets' records in this isolate (revocation, rotation). */
  evict(hashes: readonly string[]): void {
    for (const h of hashes) this.cache.delete(h);
  }
}
