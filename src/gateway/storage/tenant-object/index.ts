import type { KeyCaller } from "../../policy/principal";
import type { VectorMatch, VectorQuery, VectorRecord } from "../../ports/vector-index";
import { type CatalogEntry, checkEntry, countEntries, getEntry, pageEntries, putEntry } from "./catalog";
import { checkId, checkTime, fail } from "./checks";
import {
  checkTicket,
  type Erased,
  type EraseSelector,
  eraseEntries,
  eraseEntry,
  erasureWatermark,
  exactKeyInUse,
  type StoreTicket,
  storeRefusal,
  userErasures,
  userSalt,
} from "./erasure";
import { type LatencyKind, recordMissLatency, sampleMissLatency } from "./miss-latencies";
import { forgetProviderResponse, recordProviderResponse, unknownProviderIds } from "./provider-responses";
import { type AdmitDecision, admit, type BucketRequest } from "./rate-buckets";
import { sweep } from "./sweeper";
import { readTenant, writeTenant } from "./tenant-config";
import { type CallerRefusal, TenantRecordsObject } from "./tenant-records";
import { countVectors, deleteVectors, queryVectors, upsertVectors } from "./vectors";

export type { CatalogEntry } from "./catalog";
export type { StoreTicket } from "./erasure";
export type { VirtualKeyRecord } from "./virtual-keys";

/** The name of the one object that holds platform-wide state (no tenant id can be this). */
export const PLATFORM_OBJECT = "_platform";

export { TENANT_OBJECT_LIMITS, TenantObjectInputError } from "./checks";
export { LATENCY_KINDS, type LatencyKind, MISS_LATENCY_SLOTS } from "./miss-latencies";
export { TENANT_OBJECT_SCHEMA_VERSION } from "./schema";

export class TenantObject extends TenantRecordsObject {
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
   * the next request of any tenant whose requests are counted, and so is a secret a rotation dropped (when the
   * caller presented one: `secretHash`).
   */
  admit(buckets: BucketRequest[], now: number, caller: KeyCaller | null): AdmitDecision | { revoked: CallerRefusal } {
    const revoked = this.callerRefusal(caller, now);
    if (revoked !== null) return { revoked };
    return admit(this.ctx.storage, buckets, now);
  }

  // ── cache catalog ─────────────────────────────────────────────────────────────────────────────────────

  /**
   * Records a stored entry, and makes sure the alarm will sweep it once it expires — unless an erasure (or the
   * tenant's deletion) ran since its request was asked (its `ticket` no longer matches): then nothing is recorded
   * and the reason is returned, for the store to take back what it wrote (cache/store.ts).
   */
  async catalogPut(e: CatalogEntry, ticket: StoreTicket): Promise<ReturnType<typeof storeRefusal>> {
    checkEntry(e);
    checkTicket(ticket);
    const refused = storeRefusal(this.sql, readTenant(this.sql), e.user_hash, ticket);
    if (refused) return refused;
    putEntry(this.sql, e);
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > e.expires_at) await this.ctx.storage.setAlarm(e.expires_at);
    return null;
  }

  /** Whether a store with this ticket may still go ahead (what writes outside the catalog asks first). */
  storeAllowed(userHash: string | null, ticket: StoreTicket): boolean {
    checkTicket(ticket);
    return storeRefusal(this.sql, readTenant(this.sql), userHash, ticket) === null;
  }

  // ── responses the provider stored for this tenant ─────────────────────────────────────────────────────

  /** `owner`: the user's keyed hash, or TENANT_WIDE_OWNER for a request that names no user. */
  recordProviderResponse(id: string, now: number, items: readonly string[], owner: string): void {
    recordProviderResponse(this.sql, id, now, items, owner);
  }

  /** The ids among `ids` that name no response or output item the provider stored for `owner` of this tenant. */
  unknownProviderIds(ids: readonly string[], owner: string): string[] {
    return unknownProviderIds(this.sql, ids, owner);
  }

  forgetProviderResponse(id: string, owner: string): void {
    forgetProviderResponse(this.sql, id, owner);
  }

  /** Whether the catalog holds the entry (a store checks it once its copies are written). */
  catalogHas(id: string): boolean {
    checkId(id);
    return getEntry(this.sql, id) !== null;
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
  async catalogDelete(id: string): Promise<(CatalogEntry & { exact_key_shared: boolean }) | null> {
    checkId(id);
    const tenant = readTenant(this.sql);
    const erased = eraseEntry(this.ctx.storage, tenant?.id ?? null, id, this.env.VECTOR_INDEX === "vectorize");
    this.codes.forget([id]);
    if (!erased) return null;
    // The sweeper deletes the queued copies again, should the caller's deletions fail.
    if (tenant) await this.ctx.storage.setAlarm(Date.now());
    // Whether another entry still stores under the same exact-tier key (then the pointer may name it).
    return { ...erased, exact_key_shared: exactKeyInUse(this.sql, erased.exact_key) };
  }

  /** The user's salt; null when the user has no entries (or was erased). */
  userSalt(userHash: string): string | null {
    return userSalt(this.sql, userHash, false, Date.now());
  }

  /** The user's salt (null when none) and how many times the user was erased: a lookup's part of a ticket. */
  userState(userHash: string): { salt: string | null; erasures: number } {
    return { salt: userSalt(this.sql, userHash, false, Date.now()), erasures: userErasures(this.sql, userHash) };
  }

  /**
   * The salt to seal a new entry of the user with, created on first use — or null when an erasure ran since the
   * request that made the entry was asked (its `ticket`): its answer must not bring the user back.
   */
  writeSalt(userHash: string, ticket: StoreTicket): string | null {
    checkTicket(ticket);
    if (storeRefusal(this.sql, readTenant(this.sql), userHash, ticket)) return null;
    return userSalt(this.sql, userHash, true, Date.now());
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
      const watermark = erasureWatermark(selector, now);
      if (watermark !== null && watermark > t.erased_before) {
        const next = { ...t, erased_before: watermark };
        writeTenant(this.sql, next);
        await this.projectTenant(next);
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
