// The tenant object's records: the tenant's configuration, API keys and virtual keys — authoritative, strongly
// consistent, each change projected to KV in the same unit — and, in the platform's object, the wrapped platform
// key. TenantObject (index.ts) adds the cache's state. Every RPC input is validated before anything is written
// (checks.ts); a change and its KV projection run with no other call interleaved (blockConcurrencyWhile).
import { DurableObject } from "cloudflare:workers";
import { ssoGrantStands } from "../../auth/oidc";
import { type OwnerPolicyField, ownerFieldsChanged } from "../../policy/access";
import type { KeyCaller } from "../../policy/principal";
import { namesPolicyTag, type Policy, policyTag } from "../../policy/tenant-policy";
import { tenantsKv } from "../kv-keys";
import { type KeyRecord, liveSecretByHash, type TenantRecord } from "../records";
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
import { checkId, checkTime } from "./checks";
import { outsideCopiesOfAll, pendingDeletes, requeueDeletes } from "./erasure";
import { projectHostnames, projectKey, projectTenant, unprojectKey, unprojectTenant } from "./projection";
import { migrate } from "./schema";
import { keepPlatformKey, readTenant, writeTenant } from "./tenant-config";
import { CodeGroups } from "./vector-codes";
import {
  deleteVirtualKey,
  insertVirtualKey,
  listVirtualKeys,
  type VirtualKeyRecord,
  virtualKeyFor,
  virtualKeyProviders,
} from "./virtual-keys";

/**
 * Why a caller may no longer act (callerRefusal): its key, or, for a single sign-on user, a token issued before a
 * lockdown or a role the tenant's settings no longer give.
 */
export type CallerRefusal = "key_revoked" | "secret_rotated_out" | "token_before_lockdown" | "sso_settings_changed";

export abstract class TenantRecordsObject extends DurableObject<CordonGateway.Env> {
  constructor(ctx: DurableObjectState, env: CordonGateway.Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => migrate(ctx.storage));
  }

  /** The vectors' binary codes, read from SQLite per group on first query (vector-codes.ts). */
  protected readonly codes = new CodeGroups();

  protected get sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  /** Runs a change and its KV projection with no other call interleaved. */
  protected exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.ctx.blockConcurrencyWhile(work);
  }

  /** Writes the tenant record's KV projection (with the providers of its virtual keys, read now). */
  protected projectTenant(t: TenantRecord): Promise<void> {
    return projectTenant(this.env.TENANTS, t, virtualKeyProviders(this.sql));
  }

  /**
   * Why the key a caller acts as may no longer act (revoked, or the secret it presented dropped by a rotation), or
   * why a single sign-on caller may not (its token issued before the tenant's last lockdown, or its role no longer
   * what the stored settings map its claim to: single sign-on removed, another provider, a user demoted), read
   * here, where it is known: a caller's record in a KV or isolate cache, or the request's tenant record, may be
   * older. Null when it may, or for the operator (`caller` null).
   */
  protected callerRefusal(caller: KeyCaller | null, now: number): CallerRefusal | null {
    if (caller === null) return null;
    if ("ssoIssuedAt" in caller) {
      const t = readTenant(this.sql);
      if (t === null) return null;
      if (caller.ssoIssuedAt < t.tokens_not_before) return "token_before_lockdown";
      return ssoGrantStands(t.policy.oidc, caller.ssoGrant, caller.ssoRole) ? null : "sso_settings_changed";
    }
    const k = getKey(this.sql, caller.keyId);
    if (!k || k.revoked_at !== null) return "key_revoked";
    if (caller.secretHash !== null && liveSecretByHash(k, caller.secretHash, now) === null) return "secret_rotated_out";
    return null;
  }

  /**
   * Why the key a caller acts as may no longer act, asked before an administrative change (auth/admission.ts):
   * a key revoked a moment ago, still in a cache elsewhere, changes nothing of the tenant's.
   */
  callerStanding(caller: KeyCaller, now: number): CallerRefusal | null {
    if ("ssoIssuedAt" in caller) checkTime("ssoIssuedAt", caller.ssoIssuedAt);
    else checkId(caller.keyId);
    checkTime("now", now);
    return this.callerRefusal(caller, now);
  }

  // ── tenant configuration ──────────────────────────────────────────────────────────────────────────────

  /** Creates the tenant; false when this object already holds one (ids are unique by construction). */
  async createTenant(t: TenantRecord): Promise<boolean> {
    return this.exclusive(async () => {
      if (readTenant(this.sql) !== null) return false;
      writeTenant(this.sql, t);
      await this.projectTenant(t);
      await projectHostnames(this.env.TENANTS, t);
      return true;
    });
  }

  getTenant(): TenantRecord | null {
    return readTenant(this.sql);
  }

  /**
   * Replaces the tenant's policy; null when there is no tenant. With `keepOwnerFields`, refused (`ownerFields`,
   * naming them) when the new policy's owner's fields (OWNER_POLICY_FIELDS: single sign-on, allowlist, rate limit,
   * key age) differ from the stored ones: the caller may not change them, and this is where what is stored is
   * known — a request's own copy of the policy, read through KV's edge cache, may be older than a change just made.
   * With `ifMatch` (an If-Match header), refused (`policy_changed`) unless the stored policy still has that tag.
   * Refused (`revoked`) when the key that asks for it (`caller`) no longer works, as for createKey: a key
   * revoked by a lockdown a moment ago must not widen an allowlist or turn the PII mode off meanwhile.
   */
  async updatePolicy(
    policy: Policy,
    opts: { keepOwnerFields: boolean; ifMatch?: string | null; caller?: KeyCaller | null; now?: number },
  ): Promise<
    TenantRecord | { ownerFields: OwnerPolicyField[] } | "policy_changed" | { revoked: CallerRefusal } | null
  > {
    return this.exclusive(async () => {
      const t = readTenant(this.sql);
      if (!t) return null;
      const revoked = this.callerRefusal(opts.caller ?? null, opts.now ?? Date.now());
      if (revoked !== null) return { revoked };
      // `ifMatch`: the tag of the policy the caller read and changed; another change since then is not undone.
      if (opts.ifMatch != null && !namesPolicyTag(opts.ifMatch, await policyTag(t.policy))) {
        return "policy_changed";
      }
      const changed = opts.keepOwnerFields ? ownerFieldsChanged(policy, t.policy) : [];
      if (changed.length > 0) return { ownerFields: changed };
      const next = { ...t, policy };
      writeTenant(this.sql, next);
      await this.projectTenant(next);
      return next;
    });
  }

  /**
   * Revokes every key of the tenant and refuses every access and SSO token issued before this step (`now` at the
   * earliest): the response to a leaked credential. Returns how many keys were revoked, the keyed hashes of their
   * secrets, for the caller's isolate cache, and the cutoff (null when there is no tenant).
   */
  async lockdown(now: number): Promise<{ keysRevoked: number; revokedHashes: string[]; notBefore: number } | null> {
    checkTime("now", now);
    return this.exclusive(async () => {
      const t = readTenant(this.sql);
      if (!t) return null;
      // The cutoff is this step's moment, not the request's: a token endpoint that read a key here before this
      // step, after the lockdown's request began, mints a token with an earlier `iat` — refused too.
      const notBefore = Math.max(now, Date.now());
      const next = { ...t, tokens_not_before: notBefore };
      writeTenant(this.sql, next);
      const revoked = revokeAllKeys(this.ctx.storage, now);
      await Promise.all([this.projectTenant(next), ...revoked.map((k) => unprojectKey(this.env.TENANTS, k))]);
      return { keysRevoked: revoked.length, revokedHashes: revoked.flatMap(secretHashes), notBefore };
    });
  }

  /**
   * Deletes the tenant: its KV projection (tenant record, hostnames, every key secret — found here, not by an
   * eventually consistent KV listing) and then all of this object's storage (whatever it holds, even without
   * a tenant record) but the queue of its entries' outside copies (KV, Vectorize), which the emptied object's
   * sweeper then deletes. Returns what was deleted; null when there was no tenant.
   */
  async deleteTenant(): Promise<{ tenant: TenantRecord; keysRevoked: number } | null> {
    return this.exclusive(async () => {
      const t = readTenant(this.sql);
      const keys = listKeys(this.sql);
      if (t) await unprojectTenant(this.env.TENANTS, t);
      await Promise.all(keys.map((k) => unprojectKey(this.env.TENANTS, k)));
      const copies = t
        ? outsideCopiesOfAll(this.ctx.storage, t.id, this.env.VECTOR_INDEX === "vectorize")
        : pendingDeletes(this.sql, Number.MAX_SAFE_INTEGER);
      await this.ctx.storage.deleteAll();
      this.codes.clear();
      migrate(this.ctx.storage);
      if (copies.length > 0) {
        requeueDeletes(this.ctx.storage, copies);
        await this.ctx.storage.setAlarm(Date.now());
      }
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
      const keep = keepPlatformKey(this.sql, candidate, expected);
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
      await this.projectTenant(next);
      return true;
    });
  }

  // ── API keys ──────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Stores a new key; false when the tenant is not the one it was made for. Refused (`revoked`) when the key that
   * asks for it (`caller`) was revoked or its secret dropped — by a lockdown a moment ago, say, while a cache
   * elsewhere still holds its record: a key that no longer works mints none that would outlive it.
   */
  async createKey(
    k: KeyRecord,
    now: number,
    caller: KeyCaller | null = null,
  ): Promise<boolean | { revoked: CallerRefusal }> {
    return this.exclusive(async () => {
      const t = readTenant(this.sql);
      if (!t || t.id !== k.tenant || t.generation !== k.tenant_generation) return false;
      const revoked = this.callerRefusal(caller, now);
      if (revoked !== null) return { revoked };
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
   * rotated out earlier stops working at once (one previous secret at a time). Refused (`caller_revoked`) when the
   * key that asks for it no longer works, as for createKey: the caller would receive the new secret.
   */
  async rotateKey(
    id: string,
    newHash: string,
    graceEndsAt: number,
    now: number,
    caller: KeyCaller | null = null,
  ): Promise<
    | { ok: true; key: KeyRecord }
    | { ok: false; reason: "no_such_key" | "revoked" | "expired" }
    | { ok: false; reason: "caller_revoked"; revoked: CallerRefusal }
  > {
    checkId(id);
    checkTime("graceEndsAt", graceEndsAt);
    checkTime("now", now);
    return this.exclusive(async () => {
      const revoked = this.callerRefusal(caller, now);
      if (revoked !== null) return { ok: false as const, reason: "caller_revoked" as const, revoked };
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

  /**
   * Stores a virtual key; its provider joins the tenant record's projection. False when there is no tenant, or
   * not the `generation` it was sealed for: a tenant deleted and created again under the same id has another
   * data key, and must not receive a credential sealed under the one its deletion destroyed.
   */
  async createVirtualKey(
    k: VirtualKeyRecord,
    generation: string,
    caller: KeyCaller | null = null,
    now: number = Date.now(),
  ): Promise<boolean | { revoked: CallerRefusal }> {
    return this.exclusive(async () => {
      const t = readTenant(this.sql);
      if (t === null || t.generation !== generation) return false;
      // A key revoked a moment ago must not route the tenant's traffic to a provider account of its holder's.
      const revoked = this.callerRefusal(caller, now);
      if (revoked !== null) return { revoked };
      insertVirtualKey(this.sql, k);
      await this.projectTenant(t);
      return true;
    });
  }

  listVirtualKeys(): VirtualKeyRecord[] {
    return listVirtualKeys(this.sql);
  }

  virtualKeyFor(provider: string, id: string | null): VirtualKeyRecord | null {
    return virtualKeyFor(this.sql, provider, id);
  }

  /**
   * Deletes a virtual key: from then on it is never sent (every use reads this object). Its provider leaves the
   * projection with its last key. False when there is no such key.
   */
  async deleteVirtualKey(id: string): Promise<boolean> {
    return this.exclusive(async () => {
      if (!deleteVirtualKey(this.sql, id)) return false;
      const t = readTenant(this.sql);
      if (t) await this.projectTenant(t);
      return true;
    });
  }
}
