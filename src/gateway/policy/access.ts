// Authorization: every decision about what a principal may do, as pure functions over (principal, tenant
// policy, request facts, now). The request path asks here and nowhere else; docs/security.md carries the same
// rules as a table.
//
// One rule for the cache on every route that touches it:
//   call the model provider   needs `completions`
//   be answered from the cache needs `cache:read`
//   store an answer            needs `cache:write`
// A route's own scope only admits the caller to the route; what it may then do with the cache follows the
// rule above (a `completions`-only key is served, uncached, by chat completions; a `cache:read`-only key gets
// lookups from /v1/cache/query and never calls the provider).
import { canonicalJson } from "../../shared/canonical-json";
import type { ErrorCode } from "../http/errors";
import { allowlistWithin, checkAllowlists, type IpAddress, parseAllowlist } from "./network";
import type { CacheScope, Principal } from "./principal";
import type { RateLimitInput } from "./rate-limit";
import { grantScopes, type Role, type Scope } from "./scopes";
import type { Policy } from "./tenant-policy";

export type Decision =
  | { readonly allow: true }
  | { readonly allow: false; readonly code: ErrorCode; readonly reason: string; readonly message?: string };

const ALLOW: Decision = { allow: true };
const deny = (code: ErrorCode, reason: string, message?: string): Decision => ({
  allow: false,
  code,
  reason,
  ...(message === undefined ? {} : { message }),
});

/** Who may call a route, as the route table declares it. */
export type RouteAccess =
  | { readonly access: "public" }
  | { readonly access: "operator" }
  | {
      readonly access: "tenant";
      /** null: any valid credential of the tenant. */
      readonly scope: Scope | null;
      readonly operator?: boolean;
      readonly roles?: readonly Role[];
    };

/** Whether `principal` may call a route of this access on the tenant host (tenant routes) or platform host. */
export function authorizeRoute(route: RouteAccess, principal: Principal): Decision {
  switch (route.access) {
    case "public":
      return ALLOW;
    case "operator":
      return principal.kind === "operator" ? ALLOW : deny("operator_only", "not_operator");
    case "tenant":
      if (principal.kind === "operator") {
        return route.operator ? ALLOW : deny("operator_not_allowed", "operator_on_key_route");
      }
      if (route.scope !== null && !principal.scopes.has(route.scope)) {
        return deny(
          "insufficient_scope",
          `scope_missing:${route.scope}`,
          `This credential lacks the '${route.scope}' scope.`,
        );
      }
      if (route.roles && !("role" in principal && route.roles.includes(principal.role))) {
        return deny("owner_only", `role_required:${route.roles.join("_or_")}`);
      }
      return ALLOW;
  }
}

export interface CacheAccess {
  /** May be answered from the cache. */
  readonly read: boolean;
  /** May store a provider answer. */
  readonly write: boolean;
  /** May call the model provider. */
  readonly callProvider: boolean;
}

/** The cache rule above, for one principal (the operator never reaches cache routes). */
export function cacheAccess(principal: Principal): CacheAccess {
  if (principal.kind === "operator") return { read: false, write: false, callProvider: false };
  return {
    read: principal.scopes.has("cache:read"),
    write: principal.scopes.has("cache:write"),
    callProvider: principal.scopes.has("completions"),
  };
}

/** What a new key asks for at creation. */
export interface KeyGrantRequest {
  readonly role: Role;
  readonly scopes?: readonly Scope[];
  readonly cacheScope?: "tenant" | "user";
  /** ms since the epoch, or undefined for "as long as allowed". */
  readonly expiresAt?: number;
  /** Canonical CIDR text; undefined inherits the minter's. */
  readonly ipAllowlist?: readonly string[];
  /** undefined inherits the minter's; null asks for none. */
  readonly rateLimit?: RateLimitInput | null;
}

export interface KeyGrant {
  readonly role: Role;
  readonly scopes: Scope[];
  readonly cacheScope: "tenant" | "user";
  readonly expiresAt: number | null;
  readonly ipAllowlist: string[];
  readonly rateLimit: RateLimitInput | null;
}

/** The longest life a key may be given. */
export const MAX_KEY_LIFETIME_MS = 5 * 365 * 86400 * 1000;

/**
 * What a minting principal may grant: never more than it holds. A key can create keys only with scopes it
 * has, of the owner role only if it is an owner's (an owner may do what no scope grants: lock the tenant
 * down), bound to the user scope if it is, expiring no later than it does, reachable from no address it cannot
 * be reached from, and no faster than its own rate limit (anything unspecified is inherited from it). The
 * operator may grant any role's scopes.
 */
export function decideKeyGrant(
  minter: Principal,
  req: KeyGrantRequest,
  now: number,
): { ok: true; grant: KeyGrant } | { ok: false; decision: Refusal } {
  const scopes = grantScopes(req.role, req.scopes);
  if (!scopes) {
    return refused(
      "invalid_scopes",
      "scopes_outside_role",
      `Role '${req.role}' cannot hold all of the requested scopes.`,
    );
  }
  if (req.expiresAt !== undefined && (req.expiresAt <= now || req.expiresAt > now + MAX_KEY_LIFETIME_MS)) {
    return refused("invalid_expiry", "expiry_out_of_range");
  }
  if (minter.kind === "operator") {
    return {
      ok: true,
      grant: {
        role: req.role,
        scopes,
        cacheScope: req.cacheScope ?? "tenant",
        expiresAt: req.expiresAt ?? null,
        ipAllowlist: [...(req.ipAllowlist ?? [])],
        rateLimit: req.rateLimit ?? null,
      },
    };
  }
  const grant: KeyGrant = {
    role: req.role,
    scopes,
    cacheScope: req.cacheScope ?? (minter.cacheScope === "user" ? "user" : "tenant"),
    expiresAt: req.expiresAt ?? lifetimeBound(minter),
    ipAllowlist: [...(req.ipAllowlist ?? minter.ipAllowlist)],
    rateLimit: req.rateLimit === undefined ? minter.rateLimit : req.rateLimit,
  };
  const exceeded = exceeds(minter, grant);
  return exceeded ? { ok: false, decision: exceeded } : { ok: true, grant };
}

/**
 * Whether a principal may rotate a key. Rotating hands the caller the key's new secret, so a key may rotate
 * only a key it could have created itself (decideKeyGrant's bounds, with the key's own expiry), itself
 * included; the operator may rotate any key.
 */
export function decideKeyRotation(rotator: Principal, key: KeyGrant): Decision {
  if (rotator.kind === "operator") return ALLOW;
  const exceeded = exceeds(rotator, key);
  if (!exceeded) return ALLOW;
  return deny(
    exceeded.code,
    exceeded.reason,
    "A key cannot rotate a key with more access than its own: rotating hands over the new secret.",
  );
}

/**
 * Whether a principal may revoke a key: any key of the tenant (keys:manage is checked by the route), except an
 * owner's, which only an owner or the operator may revoke — or an admin could lock the owner out, which only
 * the owner's own lockdown may do.
 */
export function decideKeyRevocation(revoker: Principal, key: { role: Role }): Decision {
  if (key.role !== "owner" || revoker.kind === "operator") return ALLOW;
  if ("role" in revoker && revoker.role === "owner") return ALLOW;
  return deny("owner_only", "owner_key_revocation", "Only an owner's key, or the operator, can revoke an owner key.");
}

type Refusal = Extract<Decision, { allow: false }>;

const refused = (code: ErrorCode, reason: string, message?: string) => ({
  ok: false as const,
  decision: deny(code, reason, message) as Refusal,
});

/** Where a key would hold more than `holder` does, as the refusal to give; null when it is within. */
function exceeds(holder: Exclude<Principal, { kind: "operator" }>, k: KeyGrant): Refusal | null {
  const escalation = (what: string, message: string) =>
    deny("scope_escalation", `escalation:${what}`, message) as Refusal;
  const missing = k.scopes.filter((s) => !holder.scopes.has(s));
  if (missing.length) return escalation("scopes", `A key cannot grant scopes it lacks: ${missing.join(", ")}.`);
  if (k.role === "owner" && !("role" in holder && holder.role === "owner")) {
    return escalation("role", "Only an owner's key, or the operator, can create an owner key.");
  }
  if (holder.cacheScope === "user" && k.cacheScope === "tenant") {
    return escalation("cache_scope", "A key bound to the user cache scope cannot create a tenant-scoped key.");
  }
  const bound = lifetimeBound(holder);
  if (bound !== null && (k.expiresAt === null || k.expiresAt > bound)) {
    return escalation("lifetime", "A key cannot create a key that outlives it; choose an earlier expires_at.");
  }
  if (!allowlistWithin(blocks(k.ipAllowlist), blocks(holder.ipAllowlist))) {
    return escalation(
      "ip_allowlist",
      "A key cannot create a key reachable from addresses outside its own ip_allowlist.",
    );
  }
  if (!rateWithin(k.rateLimit, holder.rateLimit)) {
    return escalation("rate_limit", "A key cannot create a key with a higher rate limit than its own.");
  }
  return null;
}

/**
 * The latest a key made or rotated by `holder` may expire: the holder's own expiry — except for a person signed
 * in through the tenant's single sign-on, whose authority is their role at the provider, not the hour their ID
 * token lasts (keys they make for services would otherwise die with their sign-in). Their keys are bounded by
 * the tenant's max_key_age_days like any other, and name them in `created_by`.
 */
function lifetimeBound(holder: Exclude<Principal, { kind: "operator" }>): number | null {
  return holder.kind === "sso" ? null : holder.expiresAt;
}

/**
 * The policy's fields that decide who may reach the tenant at all, its owner included, and so are an owner's (or
 * the operator's) to change: single sign-on (who may sign in, and with which role — up to owner, with every scope
 * and none of a key's limits), the IP allowlist, the tenant's rate limit and the key-age limit. With any of the
 * others an admin could lock the owner out, which only the owner's own lockdown may do. Anyone with policy:manage
 * may send them back unchanged with the rest of the policy.
 */
export const OWNER_POLICY_FIELDS = [
  "oidc",
  "ip_allowlist",
  "rate_limit",
  "max_key_age_days",
  "enforce_max_key_age",
] as const satisfies readonly (keyof Policy)[];
export type OwnerPolicyField = (typeof OWNER_POLICY_FIELDS)[number];

/** Whether `principal` may change the owner's fields of the policy among `changed` (none changed: anyone may). */
export function decideOwnerFieldsChange(principal: Principal, changed: readonly OwnerPolicyField[]): Decision {
  if (changed.length === 0 || principal.kind === "operator") return ALLOW;
  if ("role" in principal && principal.role === "owner") return ALLOW;
  if (changed.includes("oidc")) {
    return deny(
      "owner_only",
      "sso_change_requires_owner",
      "Only the tenant's owner or the platform operator can change single sign-on: it decides who may sign in, and with which role.",
    );
  }
  return deny(
    "owner_only",
    `policy_change_requires_owner:${changed[0]}`,
    `Only the tenant's owner or the platform operator can change ${changed.join(", ")}: it decides who may reach the tenant, its owner included.`,
  );
}

/** The owner's fields that differ between two policies (allowlists compared as stored: canonical). */
export function ownerFieldsChanged(next: Policy, stored: Policy): OwnerPolicyField[] {
  return OWNER_POLICY_FIELDS.filter((f) => canonicalJson(next[f]) !== canonicalJson(stored[f]));
}

/**
 * The cache scope a request runs in: the tenant's shared cache (`tenant`), or one user's (`user:{id}`). A
 * request may narrow itself to a user; it must name one when the tenant policy or its key is bound to the user
 * scope. No request can widen a user-bound key to the shared cache.
 */
export function decideCacheScope(
  policyScope: CacheScope,
  principal: Principal,
  user: string | null,
): { ok: true; scope: string; user: string | null } | { ok: false; decision: Extract<Decision, { allow: false }> } {
  const bound = policyScope === "user" || (principal.kind !== "operator" && principal.cacheScope === "user");
  if (bound && user === null) {
    return {
      ok: false,
      decision: deny("cache_user_required", "user_scope_without_user") as Extract<Decision, { allow: false }>,
    };
  }
  return { ok: true, scope: user === null ? "tenant" : `user:${user}`, user };
}

/**
 * Network access: the caller's address must be allowed by the tenant's allowlist and by its own (each empty
 * list allows any address; with any list set, an unknown address is refused).
 */
export function decideNetwork(
  ip: IpAddress | null,
  tenantAllowlist: readonly string[],
  principal: Principal,
): Decision {
  const own = principal.kind === "operator" ? [] : principal.ipAllowlist;
  const verdict = checkAllowlists(ip, { tenant: blocks(tenantAllowlist), key: blocks(own) });
  return verdict.allowed ? ALLOW : deny("ip_not_allowed", `network:${verdict.reason}`);
}

export type KeyAgeVerdict =
  | { readonly allow: true; readonly warnDays: number | null }
  | { readonly allow: false; readonly code: ErrorCode; readonly reason: string; readonly message: string };

/**
 * The maximum key age (SPEC: rotate keys every 90 days): an API key whose secret is older than the tenant's
 * max_key_age_days (counted from the key's creation or the rotation that issued the secret, so rotating renews
 * it) gets a warning on every response, or is refused when the tenant enforces the maximum. Tokens and SSO
 * users are short-lived and not concerned.
 */
export function decideKeyAge(principal: Principal, maxDays: number, enforce: boolean, now: number): KeyAgeVerdict {
  if (principal.kind !== "api_key") return { allow: true, warnDays: null };
  const ageDays = Math.floor((now - principal.secretIssuedAt) / 86_400_000);
  if (ageDays < maxDays) return { allow: true, warnDays: null };
  if (!enforce) return { allow: true, warnDays: ageDays };
  return {
    allow: false,
    code: "key_too_old",
    reason: "key_age_exceeded",
    message: `This key is ${ageDays} days old; the tenant refuses keys older than ${maxDays} days.`,
  };
}

/** Stored allowlists are canonical; one that no longer parses is treated as allowing nothing. */
function blocks(list: readonly string[]) {
  const parsed = parseAllowlist(list);
  return parsed.ok ? parsed.allowlist : [{ version: 4 as const, network: 0n, prefix: 32 }];
}

/** Whether `inner` lets no more requests through than `outer`: the same or lower rate, and no larger burst. */
function rateWithin(inner: RateLimitInput | null, outer: RateLimitInput | null): boolean {
  if (outer === null) return true;
  if (inner === null) return false;
  return (
    inner.requests <= outer.requests && inner.requests * outer.window_seconds <= outer.requests * inner.window_seconds
  );
}
