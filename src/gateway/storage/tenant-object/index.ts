// One Durable Object per tenant (`idFromName(tenantId)`, SQLite storage), holding:
//   - the tenant's configuration and API keys, authoritative and strongly consistent, projected to KV after
//     every change (tenant-config.ts, api-keys.ts, projection.ts);
//   - the cache catalog (catalog.ts), erasure and its sweeper (erasure.ts, sweeper.ts), and the embedded vector
//     index (vectors.ts, vector-codes.ts);
//   - rate-limit buckets (rate-buckets.ts), recent miss latencies (miss-latencies.ts), virtual keys.
// This class is the RPC surface only: each method validates, then calls the module that does the work.
// Every RPC input is validated before anything is written (checks.ts). A change and its KV projection run as
// one unit (blockConcurrencyWhile), so no two changes interleave and the projection never goes backwards.
import { DurableObject } from "cloudflare:workers";
import type { Policy } from "../../policy/tenant-policy";
import type { VectorMatch, VectorQuery, VectorRecord } from "../../ports/vector-index";
import { tenantsKv } from "../kv-keys";
import type { KeyRecord, TenantRecord } from "../records";
import {
  getKey,
  insertKey,
  listKeys,
  recordKeyLocation,
  revokeAllKeys,
  rotation,
  secretHashes,
  updateKey,
} from "./api-keys";
import { type CatalogEntry, countEntries, getEntry, pageEntries, putEntry } from "./catalog";
import { checkId, checkTime, fail } from "./checks";
import { type Erased, type EraseSelector, eraseEntries, eraseEntry, userSalt } from "./erasure";
import { type LatencyKind, recordMissLatency, sampleMissLatency } from "./miss-latencies";
import { projectHostnames, projectKey, projectTenant, unprojectKey, unprojectTenant } from "./projection";
import { type AdmitDecision, admit, type BucketRequest } from "./rate-buckets";
import { migrate } from "./schema";
import { sweep } from "./sweeper";
import { readTenant, writeTenant } from "./tenant-config";
import { CodeGroups } from "./vector-codes";
import { countVectors, deleteVectors, queryVectors, upsertVectors } from "./vectors";
import {
  deleteVirtualKey,
  insertVirtualKey,
  listVirtualKeys,
  type VirtualKeyRecord,
  virtualKeyFor,
} from "./virtual-keys";

export type { CatalogEntry } from "./catalog";
export type { VirtualKeyRecord } from "./virtual-keys";

/** The name of the one object that holds platform-wide state (no tenant id can be this). */
export const PLATFORM_OBJECT = "_platform";

export { TENANT_OBJECT_LIMITS, TenantObjectInputError } from "./checks";
export { LATENCY_KINDS, type LatencyKind, MISS_LATENCY_SLOTS } from "./miss-latencies";
export { TENANT_OBJECT_SCHEMA_VERSION } from "./schema";

export class TenantObject extends DurableObject<CordonGateway.Env> {
  constructor(ctx: DurableObjectState, env: CordonGateway.Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => migrate(ctx.storage));
  }

  /** The vectors' binary codes, read from SQLite per group on first query (vector-codes.ts). */
  private readonly codes = new CodeGroups();

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
      const revoked = revokeAllKeys(this.ctx.storage, now);
      await Promise.all([
        projectTenant(this.env.TENANTS, next),
        ...revoked.map((k) => unprojectKey(this.env.TENANTS, k)),
      ]);
      return { keysRevoked: revoked.length, revokedHashes: revoked.flatMap(secretHashes) };
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
      this.codes.clear();
      migrate(this.ctx.storage);
      return t ? { tenant: t, keysRevoked: keys.filter((k) => k.revoked_at === null).length } : null;
    });
  }

  // ── platform key (only in the PLATFORM_OBJECT) ─────────────────────────────────────────────────────────

  /**
   * The wrapped platform key: the first candidate ever given is kept and projected to KV; every later call gets
   * that one back. Re-wrapping (master-key rotation) replaces it only if `expected` is still the stored value.
   */
  async platformKey(candidate: string, expected?: string): Promise<string> {
    return this.exclusive(async () => {
      const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'platform_key'`).toArray()[0];
      const keep = row && !(expected !== undefined && row.value === expected) ? row.value : candidate;
      if (!row || keep !== row.value) {
        this.sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('platform_key', ?)`, keep);
      }
      await this.env.TENANTS.put(tenantsKv.platformKey, keep);
      return keep;
    });
  }

  /** Replaces the tenant's wrapped data key with the same key wrapped under the current master (rotation). */
  async rewrapDataKey(expected: string, rewrapped: string): Promise<boolean> {
    return this.exclusive(async () => {
      const t = readTenant(this.sql);
      if (!t || t.wrapped_data_key !== expected) return false;
      const next = { ...t, wrapped_data_key: rewrapped };
      writeTenant(this.sql, next);
      await projectTenant(this.env.TENANTS, next);
      return true;
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
      const r = rotation(k, newHash, graceEndsAt, now);
      if (!r.ok) return r;
      updateKey(this.sql, r.next);
      if (r.dropped) await unprojectKey(this.env.TENANTS, r.dropped);
      if (!r.next.previous) await unprojectKey(this.env.TENANTS, { ...k, previous: null });
      await projectKey(this.env.TENANTS, r.next, now);
      return { ok: true as const, key: r.next };
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

  // ── virtual keys ──────────────────────────────────────────────────────────────────────────────────────

  createVirtualKey(k: VirtualKeyRecord): boolean {
    if (readTenant(this.sql) === null) return false;
    insertVirtualKey(this.sql, k);
    return true;
  }

  listVirtualKeys(): VirtualKeyRecord[] {
    return listVirtualKeys(this.sql);
  }

  virtualKeyFor(provider: string, id: string | null): VirtualKeyRecord | null {
    return virtualKeyFor(this.sql, provider, id);
  }

  deleteVirtualKey(id: string): boolean {
    return deleteVirtualKey(this.sql, id);
  }

  // ── miss latencies (timing protection) ─────────────────────────────────────────────────────────────────

  /** Records how long a miss of this kind took (ms); each kind's ring keeps the last MISS_LATENCY_SLOTS. */
  recordMissLatency(ms: number, kind: LatencyKind = "chat"): void {
    recordMissLatency(this.ctx.storage, kind, ms);
  }

  /** One recorded miss latency of the kind drawn at random, or null before any was recorded. */
  sampleMissLatency(kind: LatencyKind = "chat"): number | null {
    return sampleMissLatency(this.ctx.storage, kind);
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

  /** Records a stored entry, and makes sure the alarm will sweep it once it expires. */
  async catalogPut(e: CatalogEntry): Promise<void> {
    putEntry(this.sql, e);
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > e.expires_at) await this.ctx.storage.setAlarm(e.expires_at);
  }

  catalogGet(id: string): CatalogEntry | null {
    return getEntry(this.sql, id);
  }

  catalogCount(): number {
    return countEntries(this.sql);
  }

  /** One page of the catalog, oldest first, optionally one user's only (export, listing). */
  catalogPage(q: { userHash: string | null; after: { createdAt: number; id: string } | null; limit: number }) {
    return pageEntries(this.sql, q);
  }

  /**
   * Removes one entry from the catalog and the embedded index and returns it, so that the caller deletes its
   * KV copies (and Vectorize vector) at once; null when there was no such entry.
   */
  catalogDelete(id: string): CatalogEntry | null {
    checkId(id);
    const erased = eraseEntry(this.ctx.storage, id);
    this.codes.forget([id]);
    return erased;
  }

  /** The user's salt, created on first use when `create`; null when the user has no entries (or was erased). */
  userSalt(userHash: string, create: boolean): string | null {
    return userSalt(this.sql, userHash, create, Date.now());
  }

  /**
   * GDPR erasure of one user's entries (and salt: crypto-shredding), of those created before a time, or of all.
   * For `before` and `all`, the tenant's erasure watermark also moves, so a copy not yet deleted is never served.
   */
  async erase(selector: EraseSelector, now: number): Promise<Erased> {
    checkTime("now", now);
    if (!selector || typeof selector !== "object") fail("invalid selector");
    return this.exclusive(async () => {
      const t = readTenant(this.sql);
      if (!t) return { entries: 0, users: 0 };
      const erased = eraseEntries(this.ctx.storage, t.id, selector, this.env.VECTOR_INDEX === "vectorize");
      if (erased.entries > 0) this.codes.clear();
      if (!("userHash" in selector)) {
        const watermark = "before" in selector ? Math.min(selector.before, now) : now + 1;
        if (watermark > t.erased_before) {
          const next = { ...t, erased_before: watermark };
          writeTenant(this.sql, next);
          await projectTenant(this.env.TENANTS, next);
        }
      }
      await this.ctx.storage.setAlarm(Date.now());
      return erased;
    });
  }

  /**
   * The sweeper: deletes queued outside copies (KV bodies and pointers, Vectorize vectors) and entries past their
   * TTL, a bounded batch per run, and re-arms itself until nothing is left.
   */
  override async alarm(): Promise<void> {
    const next = await sweep(this.ctx.storage, this.env, this.codes, readTenant(this.sql), Date.now());
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  // ── embedded vector index ─────────────────────────────────────────────────────────────────────────────

  vectorUpsert(records: VectorRecord[]): void {
    upsertVectors(this.ctx.storage, this.codes, records, Date.now());
  }

  vectorQuery(q: VectorQuery): VectorMatch[] {
    return queryVectors(this.ctx.storage, this.codes, q);
  }

  vectorDelete(ids: string[]): void {
    deleteVectors(this.ctx.storage, this.codes, ids);
  }

  vectorCount(): number {
    return countVectors(this.sql);
  }
}
