// One Durable Object per tenant (`idFromName(tenantId)`, SQLite storage), holding:
//   - the tenant's configuration and API keys, authoritative and strongly consistent, projected to KV after
//     every change (tenant-config.ts, api-keys.ts, projection.ts);
//   - the cache catalog (catalog.ts) and the embedded vector index (vectors.ts).
// Every RPC input is validated before anything is written (checks.ts). A change and its KV projection run as
// one unit (blockConcurrencyWhile), so no two changes interleave and the projection never goes backwards.
import { DurableObject } from "cloudflare:workers";
import type { Policy } from "../../policy/tenant-policy";
import type { VectorMatch, VectorQuery, VectorRecord } from "../../ports/vector-index";
import { type KeyRecord, secretIssuedAt, type TenantRecord } from "../records";
import { getKey, insertKey, listKeys, recordKeyLocation, updateKey } from "./api-keys";
import { type CatalogEntry, countEntries, deleteEntry, getEntry, putEntry } from "./catalog";
import { checkId, checkTime } from "./checks";
import { projectHostnames, projectKey, projectTenant, unprojectKey, unprojectTenant } from "./projection";
import { type AdmitDecision, admit, type BucketRequest } from "./rate-buckets";
import { migrate } from "./schema";
import { readTenant, writeTenant } from "./tenant-config";
import { countVectors, deleteVectors, queryVectors, upsertVectors } from "./vectors";

export type { CatalogEntry } from "./catalog";
export { TENANT_OBJECT_LIMITS, TenantObjectInputError } from "./checks";
export { TENANT_OBJECT_SCHEMA_VERSION } from "./schema";

export class TenantObject extends DurableObject<CordonGateway.Env> {
  constructor(ctx: DurableObjectState, env: CordonGateway.Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => migrate(ctx.storage));
  }

  private get sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  /** Runs a change and its KV projection with no other call interleaved. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.ctx.blockConcurrencyWhile(work);
  }

  // ── tenant configuration ──────────────────────────────────────────────────────────────────────────────

  /** Creates the tenant; false when this object already holds one (ids are unique by construction). */
  async createTenant(t: TenantRecord): Promise<boolean> {
    return this.exclusive(async () => {
      if (readTenant(this.sql) !== null) return false;
      writeTenant(this.sql, t);
      await projectTenant(this.env.TENANTS, t);
      await projectHostnames(this.env.TENANTS, t);
      return true;
    });
  }

  getTenant(): TenantRecord | null {
    return readTenant(this.sql);
  }

  /** Replaces the policy; null when there is no tenant. */
  async updatePolicy(policy: Policy): Promise<TenantRecord | null> {
    return this.exclusive(async () => {
      const t = readTenant(this.sql);
      if (!t) return null;
      const next = { ...t, policy };
      writeTenant(this.sql, next);
      await projectTenant(this.env.TENANTS, next);
      return next;
    });
  }

  /**
   * Revokes every key of the tenant and refuses every access and SSO token issued before `now`: the response
   * to a leaked credential. Returns how many keys were revoked and the keyed hashes of their secrets, for the
   * caller's isolate cache (null when there is no tenant).
   */
  async lockdown(now: number): Promise<{ keysRevoked: number; revokedHashes: string[] } | null> {
    checkTime("now", now);
    return this.exclusive(async () => {
      const t = readTenant(this.sql);
      if (!t) return null;
      const next = { ...t, tokens_not_before: now };
      writeTenant(this.sql, next);
      let keysRevoked = 0;
      const revoked: KeyRecord[] = [];
      this.ctx.storage.transactionSync(() => {
        for (const k of listKeys(this.sql)) {
          if (k.revoked_at !== null) continue;
          const r = { ...k, revoked_at: now };
          updateKey(this.sql, r);
          revoked.push(r);
          keysRevoked++;
        }
      });
      await Promise.all([
        projectTenant(this.env.TENANTS, next),
        ...revoked.map((k) => unprojectKey(this.env.TENANTS, k)),
      ]);
      return { keysRevoked, revokedHashes: revoked.flatMap((k) => [k.hash, ...(k.previous ? [k.previous.hash] : [])]) };
    });
  }

  /**
   * Deletes the tenant: its KV projection (tenant record, hostnames, every key secret — found here, not by an
   * eventually consistent KV listing) and then all of this object's storage (whatever it holds, even without
   * a tenant record). Returns what was deleted; null when there was no tenant.
   */
  async deleteTenant(): Promise<{ tenant: TenantRecord; keysRevoked: number } | null> {
    return this.exclusive(async () => {
      const t = readTenant(this.sql);
      const keys = listKeys(this.sql);
      if (t) await unprojectTenant(this.env.TENANTS, t);
      await Promise.all(keys.map((k) => unprojectKey(this.env.TENANTS, k)));
      await this.ctx.storage.deleteAll();
      migrate(this.ctx.storage);
      return t ? { tenant: t, keysRevoked: keys.filter((k) => k.revoked_at === null).length } : null;
    });
  }

  // ── API keys ──────────────────────────────────────────────────────────────────────────────────────────

  async createKey(k: KeyRecord, now: number): Promise<boolean> {
    return this.exclusive(async () => {
      const t = readTenant(this.sql);
      if (!t || t.id !== k.tenant || t.generation !== k.tenant_generation) return false;
      insertKey(this.sql, k);
      await projectKey(this.env.TENANTS, k, now);
      return true;
    });
  }

  listKeys(): KeyRecord[] {
    return listKeys(this.sql);
  }

  getKey(id: string): KeyRecord | null {
    return getKey(this.sql, id);
  }

  /** Revokes a key (both secrets while rotating); returns it, or null when there is no such key. */
  async revokeKey(id: string, now: number): Promise<KeyRecord | null> {
    checkId(id);
    checkTime("now", now);
    return this.exclusive(async () => {
      const k = getKey(this.sql, id);
      if (!k) return null;
      const r = k.revoked_at === null ? { ...k, revoked_at: now } : k;
      updateKey(this.sql, r);
      await unprojectKey(this.env.TENANTS, r);
      return r;
    });
  }

  /**
   * Gives a key a new secret (by its keyed hash); the current one stays valid until `graceEndsAt`. A secret
   * rotated out earlier stops working at once (one previous secret at a time).
   */
  async rotateKey(
    id: string,
    newHash: string,
    graceEndsAt: number,
    now: number,
  ): Promise<{ ok: true; key: KeyRecord } | { ok: false; reason: "no_such_key" | "revoked" | "expired" }> {
    checkId(id);
    checkTime("graceEndsAt", graceEndsAt);
    checkTime("now", now);
    return this.exclusive(async () => {
      const k = getKey(this.sql, id);
      if (!k) return { ok: false as const, reason: "no_such_key" as const };
      if (k.revoked_at !== null) return { ok: false as const, reason: "revoked" as const };
      if (k.expires_at !== null && k.expires_at <= now) return { ok: false as const, reason: "expired" as const };
      const dropped = k.previous ? { ...k, hash: k.previous.hash, previous: null } : null;
      const next: KeyRecord = {
        ...k,
        hash: newHash,
        previous: graceEndsAt > now ? { hash: k.hash, expires_at: graceEndsAt, issued_at: secretIssuedAt(k) } : null,
        rotated_at: now,
      };
      updateKey(this.sql, next);
      if (dropped) await unprojectKey(this.env.TENANTS, dropped);
      if (!next.previous) await unprojectKey(this.env.TENANTS, { ...k, previous: null });
      await projectKey(this.env.TENANTS, next, now);
      return { ok: true as const, key: next };
    });
  }

  /**
   * Notes that a key was used (called at most about once a minute per key and isolate, and whenever an isolate
   * sees the key from a place it has not reported). True when the place is new for the key: an audit alert.
   */
  touchKey(id: string, now: number, place: { country: string; asn: number } | null): { newPlace: boolean } {
    checkId(id);
    checkTime("now", now);
    const k = getKey(this.sql, id);
    if (!k) return { newPlace: false };
    if (k.last_used_at === null || now > k.last_used_at) updateKey(this.sql, { ...k, last_used_at: now });
    const newPlace = place ? recordKeyLocation(this.sql, id, place.country, place.asn, now) : false;
    return { newPlace };
  }

  // ── rate limits ───────────────────────────────────────────────────────────────────────────────────────

  /**
   * Counts one request against every bucket that applies; a refused request consumes none. When the caller is
   * a key (or a token of one), its status is checked here too, strongly consistent: a revoked key is refused by
   * the next request of any tenant whose requests are counted.
   */
  admit(buckets: BucketRequest[], now: number, keyId: string | null): AdmitDecision | { revoked: true } {
    if (keyId !== null) {
      const k = getKey(this.sql, keyId);
      if (!k || k.revoked_at !== null) return { revoked: true };
    }
    return admit(this.ctx.storage, buckets, now);
  }

  // ── cache catalog ─────────────────────────────────────────────────────────────────────────────────────

  catalogPut(e: CatalogEntry): void {
    putEntry(this.sql, e);
  }

  catalogGet(id: string): CatalogEntry | null {
    return getEntry(this.sql, id);
  }

  catalogDelete(id: string): CatalogEntry | null {
    return deleteEntry(this.ctx.storage, id);
  }

  catalogCount(): number {
    return countEntries(this.sql);
  }

  // ── embedded vector index ─────────────────────────────────────────────────────────────────────────────

  vectorUpsert(records: VectorRecord[]): void {
    upsertVectors(this.ctx.storage, records, Date.now());
  }

  vectorQuery(q: VectorQuery): VectorMatch[] {
    return queryVectors(this.sql, q);
  }

  vectorDelete(ids: string[]): void {
    deleteVectors(this.ctx.storage, ids);
  }

  vectorCount(): number {
    return countVectors(this.sql);
  }
}
