// The records the gateway keeps about tenants and their keys (docs/storage-schema.md). The tenant's Durable
// Object holds the authoritative copies — tenant configuration and API keys, changed one at a time, strongly
// consistent — and writes a projection of each to KV, which the request path reads:
//   TenantRecord  `_tenant:{id}`      what resolving a Host needs: policy, generation, wrapped data key;
//   KeyAuthRecord `_key:{hash}`       what authenticating a secret needs, looked up by the secret's keyed hash.
// No record holds a secret: API-key secrets appear only as keyed hashes, the data key only wrapped.
import * as z from "zod";
import { TENANT_ID_PATTERN } from "../../shared/ids";
import { ROLES, SCOPES } from "../policy/scopes";
import { PolicySchema, StoredPolicySchema } from "../policy/tenant-policy";

export const TenantRecordSchema = z.object({
  v: z.literal(1),
  id: z.string().regex(TENANT_ID_PATTERN),
  name: z.string(),
  /**
   * Random per creation: keys are bound to it, so a key made around a deletion can never authenticate on a
   * tenant later re-created under the same id. (Records written before generations existed read as "legacy".)
   */
  generation: z.string().default("legacy"),
  created_at: z.number(),
  hostnames: z.array(z.string()),
  policy: StoredPolicySchema,
  wrapped_data_key: z.string(),
  /** Access and SSO tokens issued before this time (ms) are refused: set by a lockdown. */
  tokens_not_before: z.number().default(0),
  /** Cached entries created before this time (ms) are never served: set by an erasure of `before` or `all`. */
  erased_before: z.number().default(0),
  /**
   * The providers the tenant holds virtual keys for, as its object last projected them (KV only; absent in
   * records projected before it existed, which means "ask the object"). A miss for a provider not listed sends
   * the deployment's credential without a round trip to the object (chat/upstream-credential.ts).
   */
  virtual_key_providers: z.array(z.string()).optional(),
});
export type TenantRecord = z.infer<typeof TenantRecordSchema>;

const RateLimitRecord = z.object({ requests: z.number(), window_seconds: z.number() }).nullable();

/** What a key grants, the same in its tenant's object and in KV under each of its secrets. */
const KEY_GRANT = {
  v: z.literal(2),
  id: z.string(),
  tenant: z.string().regex(TENANT_ID_PATTERN),
  tenant_generation: z.string(),
  role: z.enum(ROLES),
  scopes: z.array(z.enum(SCOPES)),
  env: z.enum(["live", "test", "dev"]),
  cache_scope: z.enum(["tenant", "user"]),
  ip_allowlist: z.array(z.string()),
  rate_limit: RateLimitRecord,
  created_at: z.number(),
};

/** An API key as its tenant's object keeps it (listing, revocation, rotation, last use). */
export const KeyRecordSchema = z.object({
  ...KEY_GRANT,
  name: z.string(),
  /** Who created it: an actor string of the audit trail. */
  created_by: z.string(),
  expires_at: z.number().nullable(),
  /** Keyed hash of the current secret. */
  hash: z.string(),
  /**
   * The rotated-out secret, valid until `expires_at` (the grace period); `issued_at` is when it was issued
   * (records written before it existed read as the key's creation).
   */
  previous: z.object({ hash: z.string(), expires_at: z.number(), issued_at: z.number().optional() }).nullable(),
  rotated_at: z.number().nullable(),
  revoked_at: z.number().nullable(),
  last_used_at: z.number().nullable(),
});
export type KeyRecord = z.infer<typeof KeyRecordSchema>;

/** What authenticating one secret needs, stored in KV under the secret's keyed hash. */
export const KeyAuthRecordSchema = z.object({
  ...KEY_GRANT,
  expires_at: z.number().nullable(),
  /** Set on a rotated-out secret: the end of its grace period (ms). */
  secret_expires_at: z.number().nullable(),
  /**
   * When this secret was issued (ms): the key's creation or the rotation that made it. The maximum key age
   * counts from here, so that rotating renews it. Records written before it existed read as `created_at`.
   */
  secret_issued_at: z.number().optional(),
});
export type KeyAuthRecord = z.infer<typeof KeyAuthRecordSchema>;

/** When the key's current secret was issued: its last rotation, or its creation. */
export const secretIssuedAt = (k: KeyRecord): number => k.rotated_at ?? k.created_at;

/**
 * Which of the key's secrets has this keyed hash and still works at `now`, by the key's own record (the tenant's
 * object, the authority): the current one, the rotated-out one within its grace, or none — a secret a rotation
 * dropped, which KV and isolate caches may still hold for a while.
 */
export function liveSecretByHash(k: KeyRecord, hash: string, now: number): "current" | "previous" | null {
  if (k.hash === hash) return "current";
  if (k.previous !== null && k.previous.hash === hash && k.previous.expires_at > now) return "previous";
  return null;
}

/**
 * A secret presented for a key, held to the key's own record (the tenant's object, the authority; null when it
 * has none): the key and which of its secrets it is, or why it does not work — the key is revoked or expired, or
 * the secret is not one the key still has (`hash` null: none was presented).
 */
export function presentedSecret(
  k: KeyRecord | null,
  hash: string | null,
  now: number,
): { key: KeyRecord; secret: "current" | "previous" } | { refused: "revoked" | "expired" | "secret_rotated_out" } {
  const status = k ? keyStatus(k, now) : "revoked";
  if (!k || status === "revoked" || status === "expired")
    return { refused: status === "expired" ? "expired" : "revoked" };
  const secret = hash === null ? null : liveSecretByHash(k, hash, now);
  return secret === null ? { refused: "secret_rotated_out" } : { key: k, secret };
}

/** When one of the key's secrets was issued. */
export function issuedAtOf(k: KeyRecord, secret: "current" | "previous"): number {
  return secret === "previous" && k.previous ? (k.previous.issued_at ?? k.created_at) : secretIssuedAt(k);
}

/** When one of the key's secrets stops working by itself: a rotated-out one at the end of its grace; else null. */
export function endsAtOf(k: KeyRecord, secret: "current" | "previous"): number | null {
  return secret === "previous" && k.previous ? k.previous.expires_at : null;
}

/** Whether the secret issued at `issuedAt` still works at `now`: it is the current one, or the previous in grace. */
export function secretIssuedAtIsLive(k: KeyRecord, issuedAt: number, now: number): boolean {
  if (issuedAt === secretIssuedAt(k)) return true;
  return k.previous !== null && issuedAtOf(k, "previous") === issuedAt && k.previous.expires_at > now;
}

/** The record that authenticates one of the key's secrets: the current one, or the rotated-out one in its grace. */
export function authRecordOf(k: KeyRecord, secret: "current" | "previous"): KeyAuthRecord {
  const previous = secret === "previous" ? k.previous : null;
  return {
    v: 2,
    id: k.id,
    tenant: k.tenant,
    tenant_generation: k.tenant_generation,
    role: k.role,
    scopes: k.scopes,
    env: k.env,
    cache_scope: k.cache_scope,
    ip_allowlist: k.ip_allowlist,
    rate_limit: k.rate_limit,
    created_at: k.created_at,
    expires_at: k.expires_at,
    secret_expires_at: previous ? previous.expires_at : null,
    secret_issued_at: previous ? (previous.issued_at ?? k.created_at) : secretIssuedAt(k),
  };
}

export type KeyStatus = "active" | "rotating" | "expired" | "revoked";

export function keyStatus(k: KeyRecord, now: number): KeyStatus {
  if (k.revoked_at !== null) return "revoked";
  if (k.expires_at !== null && k.expires_at <= now) return "expired";
  if (k.previous !== null && k.previous.expires_at > now) return "rotating";
  return "active";
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const Time = z.iso.datetime();

/** What the admin API shows of a key (its response schema in the OpenAPI document): never a secret or hash. */
export const KeyViewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  scopes: z.array(z.enum(SCOPES)),
  environment: z.enum(["live", "test", "dev"]),
  cache_scope: z.enum(["tenant", "user"]),
  ip_allowlist: z.array(z.string()),
  rate_limit: z.strictObject({ requests: z.number(), window_seconds: z.number() }).nullable(),
  status: z.enum(["active", "rotating", "expired", "revoked"]),
  created_at: Time,
  created_by: z.string(),
  expires_at: Time.nullable(),
  last_used_at: Time.nullable(),
  rotated_at: Time.nullable(),
  /** While a rotated-out secret still works (the grace period): when it stops. */
  previous_secret_expires_at: Time.nullable(),
  revoked_at: Time.nullable(),
});
export type KeyView = z.infer<typeof KeyViewSchema>;

/** What the admin API shows of a tenant: never the data key. */
export const TenantViewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  created_at: Time,
  hostnames: z.array(z.string()),
  policy: PolicySchema,
});
export type TenantView = z.infer<typeof TenantViewSchema>;

/** What the admin API shows of a key: never its secret, never a hash. */
export function keyView(k: KeyRecord, now: number): KeyView {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    scopes: k.scopes,
    environment: k.env,
    cache_scope: k.cache_scope,
    ip_allowlist: k.ip_allowlist,
    rate_limit: k.rate_limit,
    status: keyStatus(k, now),
    created_at: new Date(k.created_at).toISOString(),
    created_by: k.created_by,
    expires_at: iso(k.expires_at),
    last_used_at: iso(k.last_used_at),
    rotated_at: iso(k.rotated_at),
    previous_secret_expires_at: k.previous && k.previous.expires_at > now ? iso(k.previous.expires_at) : null,
    revoked_at: iso(k.revoked_at),
  };
}

/** What the admin API shows of a tenant: never the data key. */
export function tenantView(t: TenantRecord): TenantView {
  return {
    id: t.id,
    name: t.name,
    created_at: new Date(t.created_at).toISOString(),
    hostnames: t.hostnames,
    policy: t.policy,
  };
}

/** A fresh tenant generation: 96 random bits, base64url. */
export function newTenantGeneration(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(12))))
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
}
