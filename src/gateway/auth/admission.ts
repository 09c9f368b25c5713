// What a recognised caller must still pass before its handler runs, in order: the network (tenant and key IP
// allowlists, CF-Connecting-IP only), the maximum key age, and the rate limits (tenant and key, counted in the
// tenant's object, which checks the caller's key there too; an administrative change has it checked even when
// no limit applies). Decisions are pure (policy/); this file does the I/O around them and says which response
// headers they add.
import { ApiError, fail } from "../http/errors";
import { decideKeyAge, decideNetwork } from "../policy/access";
import type { IpAddress } from "../policy/network";
import { actorOf, callerBucket, keyCallerOf, type Principal, type TenantPrincipal } from "../policy/principal";
import { formatReset, toRateLimit } from "../policy/rate-limit";
import type { Runtime } from "../runtime";
import type { TenantRecord } from "../storage/records";
import type { BucketRequest } from "../storage/tenant-object/rate-buckets";

/**
 * Admits `principal`, who was authenticated: the headers its answer carries (key-age warning, rate headers), or its
 * refusal, which names it as the actor in the audit trail wherever it is admitted (a route, a sign-in, a token
 * request), as for any request refused after authentication.
 */
export async function admitCaller(
  rt: Runtime,
  tenant: TenantRecord,
  principal: TenantPrincipal,
  ip: IpAddress | null,
  now: number,
  opts: { change?: boolean } = {},
): Promise<Record<string, string>> {
  try {
    return await admit(rt, tenant, principal, ip, now, opts);
  } catch (err) {
    throw err instanceof ApiError ? err.withFacts({ actor: actorOf(principal) }) : err;
  }
}

async function admit(
  rt: Runtime,
  tenant: TenantRecord,
  principal: TenantPrincipal,
  ip: IpAddress | null,
  now: number,
  opts: { change?: boolean },
): Promise<Record<string, string>> {
  const policy = tenant.policy;
  const network = decideNetwork(ip, policy.ip_allowlist, principal);
  if (!network.allow) throw fail(network.code, { reason: network.reason });

  const headers: Record<string, string> = {};
  const age = decideKeyAge(principal, policy.max_key_age_days, policy.enforce_max_key_age, now);
  if (!age.allow) throw fail(age.code, { reason: age.reason, message: age.message });
  if (age.warnDays !== null) {
    headers["x-cordon-warning"] =
      `key_age: this key is ${age.warnDays} days old; the tenant's maximum is ${policy.max_key_age_days}. Rotate it.`;
  }

  const buckets: BucketRequest[] = [];
  if (policy.rate_limit) buckets.push({ name: "tenant", limit: toRateLimit(policy.rate_limit) });
  if (principal.rateLimit) buckets.push({ name: callerBucket(principal), limit: toRateLimit(principal.rateLimit) });
  const caller = keyCallerOf(principal);
  if (buckets.length === 0) {
    // An administrative change asks the tenant's object whether the key still works, as a counted request does:
    // a key revoked a moment ago (a lockdown, say), still cached in this isolate or KV, changes nothing.
    const standing = opts.change && caller ? await rt.tenantObject(tenant.id).callerStanding(caller, now) : null;
    if (standing !== null) throw callerRevoked(principal, `caller_${standing}`);
    return headers;
  }

  const verdict = await rt.tenantObject(tenant.id).admit(buckets, now, caller);
  if ("revoked" in verdict) throw callerRevoked(principal, verdict.revoked);
  const rateHeaders = {
    "x-ratelimit-limit-requests": String(verdict.limit.requests),
    "x-ratelimit-remaining-requests": String(verdict.remaining),
    "x-ratelimit-reset-requests": formatReset(verdict.resetMs),
  };
  if (!verdict.allowed) {
    throw fail("rate_limited", {
      message: `Rate limit reached: ${verdict.limit.requests} requests per ${verdict.limit.windowSeconds} s.`,
      reason: `rate:${verdict.bucket === "tenant" ? "tenant" : "key"}`,
      headers: { ...rateHeaders, "retry-after": String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))) },
    });
  }
  return { ...headers, ...rateHeaders };
}

/**
 * The refusal of a caller whose key no longer works, as the tenant's object found it (revoked, or the presented
 * secret dropped), whatever a cache still holds: 401 `invalid_api_key`, or `invalid_token` for its access token.
 */
export function callerRevoked(principal: Principal, reason: string) {
  return fail(principal.kind === "api_key" ? "invalid_api_key" : "invalid_token", { reason });
}
