// /v1/admin/policy — the tenant's policy (SPEC §2): GET returns the whole object, PUT replaces it with a whole
// object (every field required, unknown fields refused). Allowlists are stored canonical; the OIDC settings
// are checked as single sign-on will use them. Only an owner or the operator may change the fields that decide
// who may reach the tenant at all, its owner included (policy/access.ts, OWNER_POLICY_FIELDS: single sign-on, the
// allowlist, the rate limit, the key-age limit). A PUT whose ip_allowlist would refuse the very address it comes
// from is refused unless it says ?confirm=true. GET and PUT answer with the policy's ETag; a PUT with If-Match is
// applied only if the stored policy still has that tag (409 policy_changed), so read-modify-write cycles of two
// administrators cannot undo each other's change, and a GET whose If-None-Match names it answers 304 Not Modified.
// POST /v1/admin/lockdown — for the day a credential leaks: revokes every key of the tenant and every access or
// SSO token issued so far, at once (operator or owner).

import * as z from "zod";
import { callerRevoked } from "../auth/admission";
import type { AuthedContext, Handled } from "../context";
import { fail } from "../http/errors";
import { json, readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import {
  decideOwnerFieldsChange,
  OWNER_POLICY_FIELDS,
  type OwnerPolicyField,
  ownerFieldsChanged,
} from "../policy/access";
import { type Allowlist, type Environment, ipAllowed, parseAllowlist } from "../policy/network";
import { parseOidcConfig } from "../policy/oidc-settings";
import { keyCallerOf } from "../policy/principal";
import { namesPolicyTag, type Policy, PolicySchema, policyTag, ROUTABLE_MODEL } from "../policy/tenant-policy";

/** GET and PUT answer with the whole policy. */
export const PolicyBodySchema = z.strictObject({ policy: PolicySchema });

export const LockdownResultSchema = z.strictObject({
  tenant: z.string(),
  keys_revoked: z.int().nonnegative(),
  /** Access and SSO tokens issued before this time are refused from now on. */
  tokens_not_before: z.iso.datetime(),
});

/**
 * The policy as the tenant's object holds it, not the request's copy of the tenant record (read through KV's
 * edge cache, up to 30 s old): a PUT sends back the whole object, so a GET that missed a change just made would
 * have it undone.
 */
export async function getPolicy(rc: AuthedContext): Promise<Handled> {
  const stored = await rc.rt.tenantObject(rc.tenant.id).getTenant();
  if (!stored) throw fail("tenant_not_found", { reason: "tenant_deleted_during_request" });
  const etag = await policyTag(stored.policy);
  // Reached, as every handler, only by a caller the pipeline admitted: no one else learns whether a tag is current.
  const held = rc.request.headers.get("if-none-match");
  if (held !== null && namesPolicyTag(held, etag))
    return { response: new Response(null, { status: 304, headers: { etag } }) };
  return {
    response: json({ policy: stored.policy } satisfies z.infer<typeof PolicyBodySchema>, 200, { etag }),
  };
}

export async function putPolicy(rc: AuthedContext): Promise<Handled> {
  const { rt, tenant } = rc;
  const body = parseWith(PolicySchema, await readJson(rc.request, rt.config.maxBodyBytes));
  const allowlist = checkedPolicy(body, rt.config.environment, "");
  const policy = { ...body, ip_allowlist: allowlist.canonical };
  // The owner's fields (single sign-on, allowlist, rate limit, key age): checked against this request's copy of
  // the policy first (a clear refusal before anything is recorded), and again by the tenant's object against the
  // stored one, which a recent change may have made newer.
  const ownerOnly = (changed: readonly OwnerPolicyField[]) => {
    const d = decideOwnerFieldsChange(rc.principal, changed);
    return d.allow ? null : fail(d.code, { reason: d.reason, ...(d.message ? { message: d.message } : {}) });
  };
  const refused = ownerOnly(ownerFieldsChanged(policy, tenant.policy));
  if (refused) throw refused;
  const mayChangeOwnerFields = decideOwnerFieldsChange(rc.principal, OWNER_POLICY_FIELDS).allow;
  const confirmed = rc.url.searchParams.get("confirm") === "true";
  if (!confirmed && rc.principal.kind !== "operator" && !ipAllowed(rc.address, allowlist.allowlist)) {
    throw fail("policy_locks_out_caller", { reason: "allowlist_excludes_caller" });
  }
  await rc.recordChange({ target: tenant.id, ...(confirmed ? { reason: "confirmed" } : {}) });
  const ifMatch = rc.request.headers.get("if-match");
  const updated = await rt.tenantObject(tenant.id).updatePolicy(policy, {
    keepOwnerFields: !mayChangeOwnerFields,
    ifMatch,
    caller: keyCallerOf(rc.principal),
    now: Date.now(),
  });
  if (!updated) throw fail("tenant_not_found", { reason: "tenant_deleted_during_request" });
  if (typeof updated === "object" && "revoked" in updated)
    throw callerRevoked(rc.principal, `caller_${updated.revoked}`);
  if (updated === "policy_changed") throw fail("policy_changed", { reason: "if_match_stale" });
  if ("ownerFields" in updated) throw ownerOnly(updated.ownerFields) ?? fail("owner_only");
  return {
    response: json({ policy: updated.policy } satisfies z.infer<typeof PolicyBodySchema>, 200, {
      etag: await policyTag(updated.policy),
    }),
    facts: { target: tenant.id, ...(confirmed ? { reason: "confirmed" } : {}) },
  };
}

/**
 * What the schema cannot check of a policy (or of the fields of one given), as single sign-on, the network check
 * and the provider call will use them: the allowlist's entries, returned parsed and canonical, the OIDC settings'
 * jwks_uri, and fallbacks that name their provider (AI Gateway refuses any other, and a refused target ends the
 * fallbacks after it). Every route that stores a policy runs it (PUT here, tenant creation); `prefix` names where
 * the policy sits.
 */
export function checkedPolicy(
  policy: Partial<Pick<Policy, "ip_allowlist" | "oidc" | "fallbacks">>,
  environment: Environment,
  prefix: string,
): { allowlist: Allowlist; canonical: string[] } {
  const allowlist = parseAllowlist(policy.ip_allowlist ?? []);
  if (!allowlist.ok) {
    throw fail("invalid_field", { message: `Invalid value for "${prefix}ip_allowlist": ${allowlist.error.message}.` });
  }
  const unroutable = (policy.fallbacks ?? []).findIndex((target) => !ROUTABLE_MODEL.test(target));
  if (unroutable !== -1) {
    throw fail("invalid_field", {
      message: `Invalid value for "${prefix}fallbacks.${unroutable}": must name its provider, as in openai/gpt-4o-mini.`,
    });
  }
  if (policy.oidc !== undefined && policy.oidc !== null) {
    const oidc = parseOidcConfig(policy.oidc, { allowInsecure: environment === "development" });
    if (!oidc.ok) {
      const first = oidc.issues[0];
      throw fail("invalid_field", {
        message: `Invalid value for "${prefix}oidc.${first?.path ?? ""}": ${first?.message ?? "invalid"}.`,
      });
    }
  }
  return allowlist;
}

export async function lockdown(rc: AuthedContext): Promise<Handled> {
  const { tenant } = rc;
  const now = Date.now();
  await rc.recordChange({ target: tenant.id });
  const result = await rc.rt.tenantObject(tenant.id).lockdown(now);
  if (!result) throw fail("tenant_not_found", { reason: "tenant_deleted_during_request" });
  // As for one revocation: this isolate forgets the keys at once, others within the bound of the README.
  rc.rt.keyRecords.evict(result.revokedHashes);
  return {
    response: json({
      tenant: tenant.id,
      keys_revoked: result.keysRevoked,
      tokens_not_before: new Date(result.notBefore).toISOString(),
    } satisfies z.infer<typeof LockdownResultSchema>),
    facts: { target: tenant.id },
  };
}
