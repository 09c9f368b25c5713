// Tenant single sign-on: verifies an ID or access token issued by the tenant's OpenID Provider against the
// provider's JWKS, and maps one of its claims to a Cordon role through the tenant's `role_map`.
//
// Decisions written down here:
// - Algorithms: RS256, PS256, ES256, EdDSA (and Ed25519, its fully-specified name). Never `none` nor HS*:
//   the `alg` is checked against this list before any key is looked up, so a token "signed" with the
//   provider's public key as an HMAC secret is refused as algorithm_not_allowed.
// - Claims: `iss` must equal the configured issuer, `aud` contain the configured audience; `exp` and `sub`
//   are required; `nbf` and `exp` are checked with a small tolerance (30 s unless the caller says otherwise).
//   `azp` is not checked: for access tokens it names the requesting app, not the audience.
// - Role: `role_claim` names a top-level claim (`roles`, `groups`), a dotted path into nested objects
//   (`realm_access.roles`), or — when it contains `://` — a namespaced top-level claim taken whole
//   (`https://example.com/roles`). Its value may be a string or an array of strings (other members are
//   ignored). Each value found in `role_map` gives a role; when several do, the LEAST privileged wins
//   (viewer < service < developer < admin < owner): being in one more IdP group must never raise what a
//   token may do, and a tenant that wants someone to be admin maps only the admin group for them. No match
//   refuses the token (no_role). Map lookups use own keys only (`__proto__` or `constructor` never match).
// - JWKS: fetched from `jwks_uri`, which must be https (http, localhost and IP literals only with
//   `allowInsecure`, for local development); the cache and its numbers are described at JwksCache
//   (jwks-cache.ts, re-exported here).
//   Every failure to obtain keys refuses the token (jwks_unavailable): fail closed.
import {
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyOptions,
  jwtVerify,
  type LocalJWKSet,
} from "jose";
import { jwksUriProblem, type OidcConfig } from "../policy/oidc-settings";
import type { SsoGrant } from "../policy/principal";
import type { Role } from "../policy/scopes";
import type { JwksCache } from "./jwks-cache";
import { type JwtFailureReason, looksLikeCompactJws, MAX_TOKEN_CHARS, reasonFromJoseError } from "./jwt-failure";

export {
  jwksUriProblem,
  MAX_ROLE_MAP_ENTRIES,
  type OidcConfig,
  OidcConfigSchema,
  parseOidcConfig,
} from "../policy/oidc-settings";
export { type FetchLike, JWKS_CACHE_DEFAULTS, JwksCache, type JwksCacheOptions } from "./jwks-cache";

export const OIDC_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA", "Ed25519"] as const;
type OidcAlgorithm = (typeof OIDC_ALGORITHMS)[number];

/** Least privileged first: the order in which conflicting role matches are resolved (the first wins). */
export const ROLE_PRIVILEGE_ORDER: readonly Role[] = ["viewer", "service", "developer", "admin", "owner"];

const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
const MAX_ROLE_PATH_SEGMENTS = 8;

export type OidcFailure = JwtFailureReason | "unknown_kid" | "jwks_unavailable" | "insecure_jwks_uri" | "no_role";

export interface OidcIdentity {
  readonly issuer: string;
  /** The provider's `sub`: the actor in the audit trail. */
  readonly subject: string;
  /** The role the token grants (the least privileged of the matches). */
  readonly role: Role;
  /** Every role the claim matched, least privileged first (for the audit trail). */
  readonly matchedRoles: readonly Role[];
  /** The role claim's values, as read: what the role was mapped from (the tenant's object maps them again). */
  readonly claimValues: readonly string[];
  /** Seconds since the epoch: the token's `iat`, when it has one. */
  readonly issuedAt: number;
  /** Seconds since the epoch: the token's `exp`. */
  readonly expiresAt: number;
}

export type OidcResult =
  | { readonly ok: true; readonly identity: OidcIdentity }
  /** `detail` (why the JWKS was unavailable) is for the audit trail only. */
  | { readonly ok: false; readonly reason: OidcFailure; readonly detail?: string };

export interface OidcVerifyOptions {
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** 0…300 s; 30 s by default. */
  readonly clockToleranceSeconds?: number;
  /** Local development only: lets an http, localhost or IP-literal jwks_uri be fetched. */
  readonly allowInsecure?: boolean;
}

const isAllowedAlgorithm = (alg: unknown): alg is OidcAlgorithm => OIDC_ALGORITHMS.includes(alg as OidcAlgorithm);

/** Verifies a token from the tenant's OpenID Provider and maps it to a role. Never throws for any token. */
export async function verifyOidcToken(
  cache: JwksCache,
  token: string,
  config: OidcConfig,
  options: OidcVerifyOptions,
): Promise<OidcResult> {
  const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (!Number.isFinite(options.now) || !Number.isFinite(tolerance) || tolerance < 0 || tolerance > 300) {
    throw new RangeError("verifyOidcToken: now and clockToleranceSeconds (0..300) must be finite");
  }
  const uriProblem = jwksUriProblem(config.jwks_uri, options.allowInsecure === true);
  if (uriProblem !== null) return { ok: false, reason: "insecure_jwks_uri", detail: uriProblem };
  if (typeof token !== "string" || !looksLikeCompactJws(token, MAX_TOKEN_CHARS)) return fail("malformed");

  let header: { alg?: unknown; kid?: unknown };
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return fail("malformed");
  }
  if (!isAllowedAlgorithm(header.alg))
    return fail(typeof header.alg === "string" ? "algorithm_not_allowed" : "malformed");
  if (header.kid !== undefined && (typeof header.kid !== "string" || header.kid.length > 256)) return fail("malformed");

  let lookup = await cache.keySet(config.jwks_uri, options.now);
  if (!lookup.ok) return lookup;
  let verified = await verifyWith(lookup.keys, token, config, options.now, tolerance);
  if (verified === "no_matching_key") {
    // Perhaps the provider rotated its keys since the set was fetched: refetch, within the cooldown.
    const fresh = await cache.refreshForUnknownKid(config.jwks_uri, options.now);
    if (fresh === null) return fail("unknown_kid");
    lookup = fresh;
    if (!lookup.ok) return lookup;
    verified = await verifyWith(lookup.keys, token, config, options.now, tolerance);
    if (verified === "no_matching_key") return fail("unknown_kid");
  }
  if (typeof verified === "string") return fail(verified);

  const { payload } = verified;
  if (
    typeof payload.sub !== "string" ||
    payload.sub === "" ||
    typeof payload.exp !== "number" ||
    typeof payload.iat !== "number"
  ) {
    return fail("malformed");
  }
  const claimValues = roleClaimValues(payload, config.role_claim);
  const matchedRoles = rolesOf(claimValues, config.role_map);
  if (matchedRoles.length === 0) return fail("no_role");
  return {
    ok: true,
    identity: {
      issuer: config.issuer,
      subject: payload.sub,
      role: matchedRoles[0]!,
      matchedRoles,
      claimValues,
      issuedAt: payload.iat,
      expiresAt: payload.exp,
    },
  };
}

const fail = (reason: OidcFailure): OidcResult => ({ ok: false, reason });

async function verifyWith(
  keys: LocalJWKSet,
  token: string,
  config: OidcConfig,
  now: number,
  tolerance: number,
): Promise<{ payload: JWTPayload } | JwtFailureReason | "no_matching_key"> {
  const options: JWTVerifyOptions = {
    algorithms: [...OIDC_ALGORITHMS],
    issuer: config.issuer,
    audience: config.audience,
    // `iat` is required of ID tokens (OIDC Core §2) and of JWT access tokens (RFC 9068 §2.2): without it a
    // token could not be held to a lockdown (authenticate.ts).
    requiredClaims: ["exp", "sub", "iat"],
    clockTolerance: tolerance,
    currentDate: new Date(now),
  };
  try {
    return { payload: (await jwtVerify(token, keys, options)).payload };
  } catch (err) {
    if (err instanceof errors.JWKSNoMatchingKey) return "no_matching_key";
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) return reasonFromJoseError(err);
    // No kid (or a repeated one) and several keys fit: the token is good if one of them verifies it.
    for await (const candidate of err) {
      try {
        return { payload: (await jwtVerify(token, candidate, options)).payload };
      } catch (e) {
        if (!(e instanceof errors.JWSSignatureVerificationFailed)) return reasonFromJoseError(e);
      }
    }
    return "bad_signature";
  }
}

/** The values of the role claim (see the file comment for how `role_claim` is read). */
export function roleClaimValues(payload: JWTPayload, roleClaim: string): string[] {
  let value: unknown;
  if (roleClaim.includes("://")) {
    value = Object.hasOwn(payload, roleClaim) ? payload[roleClaim] : undefined;
  } else {
    const path = roleClaim.split(".");
    if (path.length > MAX_ROLE_PATH_SEGMENTS || path.some((p) => p === "")) return [];
    value = payload;
    for (const segment of path) {
      if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, segment)) {
        return [];
      }
      value = (value as Record<string, unknown>)[segment];
    }
  }
  if (typeof value === "string") return [value];
  // Every member is read (a verified token is at most MAX_TOKEN_CHARS long, which bounds them): leaving any out
  // could leave out the least privileged match, and raise the role of a user in many groups.
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}

/** Every role the token's claim maps to, least privileged first, without repeats. */
export function mapRoles(payload: JWTPayload, config: Pick<OidcConfig, "role_claim" | "role_map">): Role[] {
  return rolesOf(roleClaimValues(payload, config.role_claim), config.role_map);
}

/** Every role `values` (a role claim's) map to in `roleMap`, least privileged first, without repeats. */
export function rolesOf(values: readonly string[], roleMap: OidcConfig["role_map"]): Role[] {
  const map = new Map(Object.entries(roleMap));
  const found = new Set<Role>();
  for (const v of values) {
    const role = map.get(v);
    if (role !== undefined) found.add(role);
  }
  return ROLE_PRIVILEGE_ORDER.filter((r) => found.has(r));
}

/**
 * Whether a single sign-on user's role still stands under the tenant's settings `config` (null: single sign-on
 * removed): the same provider, audience and claim as the settings the request read (`grant`), and the claim's
 * values mapping to the same role under the stored `role_map`. A request that read an older tenant record must
 * not act with a role an owner has since taken away.
 */
export function ssoGrantStands(config: OidcConfig | null, grant: SsoGrant, role: Role): boolean {
  if (config === null) return false;
  if (config.issuer !== grant.issuer || config.audience !== grant.audience || config.role_claim !== grant.roleClaim) {
    return false;
  }
  return rolesOf(grant.claimValues, config.role_map)[0] === role;
}
