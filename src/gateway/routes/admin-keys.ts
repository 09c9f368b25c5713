// /v1/admin/keys — the key lifecycle of the Host's tenant: create (secret shown once), list, get, revoke,
// rotate with a grace period. Callers: the operator or a key with `keys:manage`, which can grant no more than it
// holds itself (policy/access.ts, decideKeyGrant). The tenant's object is the authority; no view carries a
// secret or a hash.
import * as z from "zod";
import { callerRevoked } from "../auth/admission";
import { generateApiKey, newKeyId } from "../auth/api-key-secret";
import type { AuthedContext, Handled } from "../context";
import { fail } from "../http/errors";
import { json, readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import { decideKeyGrant, decideKeyRevocation, decideKeyRotation } from "../policy/access";
import { actorOf, keyCallerOf } from "../policy/principal";
import { ROLES, SCOPES } from "../policy/scopes";
import { type KeyRecord, KeyViewSchema, keyView } from "../storage/records";
import { AllowlistSchema, displayName, RateLimitSchema } from "./admin-schemas";

/** A rotated-out secret keeps working this long by default, and at most this long. */
export const ROTATION_GRACE_DEFAULT_SECONDS = 86_400;
export const ROTATION_GRACE_MAX_SECONDS = 7 * 86_400;

export const CreateKeySchema = z.strictObject({
  name: displayName(64),
  role: z.enum(ROLES),
  scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length).optional(),
  cache_scope: z.enum(["tenant", "user"]).optional(),
  expires_at: z.iso.datetime({ offset: true }).optional(),
  ip_allowlist: AllowlistSchema.optional(),
  rate_limit: RateLimitSchema.nullable().optional(),
});

export const RotateKeySchema = z.strictObject({
  grace_seconds: z.number().int().min(0).max(ROTATION_GRACE_MAX_SECONDS).optional(),
});

/** A key as created or rotated: its view and the new secret, shown this once. */
export const IssuedKeySchema = KeyViewSchema.extend({
  key: z.string().describe("The secret (cdn_{env}_…), shown this once: store it now."),
});
export const KeyListSchema = z.strictObject({ data: z.array(KeyViewSchema) });

const KEY_ID = /^key_[0-9A-Za-z]{16}$/;

export async function createKey(rc: AuthedContext): Promise<Handled> {
  const body = parseWith(CreateKeySchema, await readJson(rc.request, rc.rt.config.maxBodyBytes));
  const { rt, principal, tenant } = rc;
  const now = Date.now();
  const decision = decideKeyGrant(
    principal,
    {
      role: body.role,
      ...(body.scopes ? { scopes: body.scopes } : {}),
      ...(body.cache_scope ? { cacheScope: body.cache_scope } : {}),
      ...(body.expires_at ? { expiresAt: Date.parse(body.expires_at) } : {}),
      ...(body.ip_allowlist ? { ipAllowlist: body.ip_allowlist } : {}),
      ...(body.rate_limit !== undefined ? { rateLimit: body.rate_limit } : {}),
    },
    now,
  );
  if (!decision.ok) {
    const d = decision.decision;
    throw fail(d.code, { reason: d.reason, ...(d.message === undefined ? {} : { message: d.message }) });
  }
  const { grant } = decision;
  const secret = generateApiKey(rt.config.apiKeyEnv);
  const record: KeyRecord = {
    v: 2,
    id: newKeyId(),
    tenant: tenant.id,
    tenant_generation: tenant.generation,
    name: body.name,
    role: grant.role,
    scopes: grant.scopes,
    env: rt.config.apiKeyEnv,
    cache_scope: grant.cacheScope,
    ip_allowlist: grant.ipAllowlist,
    rate_limit: grant.rateLimit,
    created_at: now,
    created_by: actorOf(principal),
    expires_at: grant.expiresAt,
    hash: await rt.platform.hashApiKey(secret),
    previous: null,
    rotated_at: null,
    revoked_at: null,
    last_used_at: null,
  };
  await rc.recordChange({ target: record.id }, 201);
  const created = await rt.tenantObject(tenant.id).createKey(record, now, keyCallerOf(principal));
  if (!created) throw fail("tenant_not_found", { reason: "tenant_changed_during_request" });
  if (created !== true) throw callerRevoked(principal, `caller_${created.revoked}`);
  const issued: z.infer<typeof IssuedKeySchema> = { ...keyView(record, now), key: secret };
  return { response: json(issued, 201), facts: { target: record.id } };
}

export async function listKeys(rc: AuthedContext): Promise<Handled> {
  const now = Date.now();
  const keys = await rc.rt.tenantObject(rc.tenant.id).listKeys();
  const list: z.infer<typeof KeyListSchema> = { data: keys.map((k) => keyView(k, now)) };
  return { response: json(list) };
}

export async function getKey(rc: AuthedContext): Promise<Handled> {
  const id = keyIdParam(rc);
  const key = await rc.rt.tenantObject(rc.tenant.id).getKey(id);
  if (!key) throw fail("key_not_found", { facts: { target: id } });
  return { response: json(keyView(key, Date.now())), facts: { target: id } };
}

/** Revokes at once in the tenant's object; the secrets' KV records are deleted in the same step. */
export async function revokeKey(rc: AuthedContext): Promise<Handled> {
  const id = keyIdParam(rc);
  const now = Date.now();
  const target = await rc.rt.tenantObject(rc.tenant.id).getKey(id);
  if (!target) throw fail("key_not_found", { facts: { target: id } });
  const allowed = decideKeyRevocation(rc.principal, target);
  if (!allowed.allow) {
    throw fail(allowed.code, {
      reason: allowed.reason,
      facts: { target: id },
      ...(allowed.message ? { message: allowed.message } : {}),
    });
  }
  await rc.recordChange({ target: id });
  const key = await rc.rt.tenantObject(rc.tenant.id).revokeKey(id, now);
  if (!key) throw fail("key_not_found", { facts: { target: id } });
  // This isolate forgets the key at once; others within the bound stated in the README ("Revocation").
  rc.rt.keyRecords.evict([key.hash, ...(key.previous ? [key.previous.hash] : [])]);
  return { response: json(keyView(key, now)), facts: { target: id } };
}

/**
 * A new secret, shown once; the old one keeps working for the grace period, then never again. A key may rotate
 * only keys it could have created (policy/access.ts, decideKeyRotation): the caller receives the new secret.
 */
export async function rotateKey(rc: AuthedContext): Promise<Handled> {
  const id = keyIdParam(rc);
  const raw =
    rc.request.headers.get("content-length") === "0" || !rc.request.body
      ? {}
      : await readJson(rc.request, rc.rt.config.maxBodyBytes);
  const body = parseWith(RotateKeySchema, raw);
  const { rt } = rc;
  const now = Date.now();
  const grace = body.grace_seconds ?? ROTATION_GRACE_DEFAULT_SECONDS;
  const secret = generateApiKey(rt.config.apiKeyEnv);
  const before = await rt.tenantObject(rc.tenant.id).getKey(id);
  if (!before) throw fail("key_not_found", { facts: { target: id } });
  const allowed = decideKeyRotation(rc.principal, {
    role: before.role,
    scopes: before.scopes,
    cacheScope: before.cache_scope,
    expiresAt: before.expires_at,
    ipAllowlist: before.ip_allowlist,
    rateLimit: before.rate_limit,
  });
  if (!allowed.allow) {
    throw fail(allowed.code, {
      reason: allowed.reason,
      facts: { target: id },
      ...(allowed.message ? { message: allowed.message } : {}),
    });
  }
  // Recorded once the key is known and the caller may rotate it: a refusal is recorded as one, after.
  await rc.recordChange({ target: id });
  const result = await rt
    .tenantObject(rc.tenant.id)
    .rotateKey(id, await rt.platform.hashApiKey(secret), now + grace * 1000, now, keyCallerOf(rc.principal));
  // A secret dropped by this rotation (an earlier rotated-out one, or the current one with no grace) is
  // forgotten by this isolate at once.
  rt.keyRecords.evict([before.hash, ...(before.previous ? [before.previous.hash] : [])]);
  if (!result.ok) {
    if (result.reason === "caller_revoked") throw callerRevoked(rc.principal, `caller_${result.revoked}`);
    if (result.reason === "no_such_key") throw fail("key_not_found", { facts: { target: id } });
    throw fail("key_not_rotatable", {
      message: `The key is ${result.reason}; only an active key can be rotated.`,
      reason: `rotate_${result.reason}`,
      facts: { target: id },
    });
  }
  const issued: z.infer<typeof IssuedKeySchema> = { ...keyView(result.key, now), key: secret };
  return { response: json(issued), facts: { target: id } };
}

function keyIdParam(rc: AuthedContext): string {
  const id = rc.params.id ?? "";
  if (!KEY_ID.test(id)) throw fail("key_not_found", { reason: "malformed_key_id" });
  return id;
}
