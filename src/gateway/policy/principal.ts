// Who is calling: what authentication established, and all that authorization decides from.
import type { RateLimitInput } from "./rate-limit";
import type { Role, Scope } from "./scopes";

export type CacheScope = "tenant" | "user";

/** What every tenant caller carries, whatever its credential. */
export interface TenantCaller {
  readonly tenant: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly cacheScope: CacheScope;
  /** The caller's own IP allowlist (canonical CIDR text; empty = no restriction beyond the tenant's). */
  readonly ipAllowlist: readonly string[];
  /** The caller's own rate limit (the stricter of it and the tenant's applies). */
  readonly rateLimit: RateLimitInput | null;
  /** ms since the epoch when the credential stops working; null = never. */
  readonly expiresAt: number | null;
}

export type Principal =
  /** An API key of the tenant. */
  | (TenantCaller & {
      readonly kind: "api_key";
      readonly keyId: string;
      /** The tenant generation the key was made for. */
      readonly generation: string;
      readonly role: Role;
      /**
       * ms since the epoch, when the secret presented was issued — the key's creation or the rotation that made
       * it — for the maximum key age (rotating renews it).
       */
      readonly secretIssuedAt: number;
      /**
       * The keyed hash of the secret presented, so that the tenant's object can tell a secret a rotation dropped
       * (still in a cache) from a live one; null for a dashboard session, whose secret is checked with the session.
       */
      readonly secretHash: string | null;
    })
  /** An OAuth access token issued by this gateway to an API key (the client). */
  | (TenantCaller & { readonly kind: "access_token"; readonly keyId: string; readonly jti: string })
  /** A user of the tenant's OpenID Provider, signed in with single sign-on. */
  | (TenantCaller & {
      readonly kind: "sso";
      /** A pseudonym of the provider's subject (a hash): the trail identifies the user without naming them. */
      readonly subject: string;
      readonly role: Role;
      /** ms since the epoch: when the provider issued the token (`iat`), for the tenant's last lockdown. */
      readonly issuedAt: number;
      /** What the role was read from, for the tenant's object to read it again from the settings it holds. */
      readonly grant: SsoGrant;
    })
  /** The platform operator (ROOT_TOKEN). */
  | { readonly kind: "operator" };

export type TenantPrincipal = Exclude<Principal, { kind: "operator" }>;

/** The audit trail's name for a principal (a public id, never a secret). */
export function actorOf(p: Principal | null): string {
  if (p === null) return "anonymous";
  switch (p.kind) {
    case "operator":
      return "operator";
    case "api_key":
      return `key:${p.keyId}`;
    case "access_token":
      return `token:${p.keyId}`;
    case "sso":
      return `sso:${p.subject}`;
  }
}

/** The rate-limit bucket a caller's own limit counts in (keys and their tokens share one). */
export function callerBucket(p: TenantPrincipal): string {
  return p.kind === "sso" ? `sso:${p.subject}` : `key:${p.keyId}`;
}

/**
 * Where a single sign-on user's role came from: the settings the request's tenant record held (the provider and
 * audience trusted, the claim read) and the values that claim carried.
 */
export interface SsoGrant {
  readonly issuer: string;
  readonly audience: string;
  readonly roleClaim: string;
  readonly claimValues: readonly string[];
}

/**
 * What the tenant's object checks of a caller (keyCallerOf): the key it acts as, or, for a single sign-on user, who
 * holds no key, when the provider issued its token.
 */
export type KeyCaller =
  | { keyId: string; secretHash: string | null }
  | { ssoIssuedAt: number; ssoRole: Role; ssoGrant: SsoGrant };

/**
 * The caller, for the tenant's object to check its standing there (strongly consistent): an API key with the
 * secret it presented (null for a dashboard session), the key a token was issued to, or a single sign-on token's
 * issue time (against the tenant's last lockdown, which a request's older tenant record may not show yet); null
 * for the operator.
 */
export function keyCallerOf(p: Principal): KeyCaller | null {
  if (p.kind === "api_key") return { keyId: p.keyId, secretHash: p.secretHash };
  if (p.kind === "access_token") return { keyId: p.keyId, secretHash: null };
  if (p.kind === "sso") return { ssoIssuedAt: p.issuedAt, ssoRole: p.role, ssoGrant: p.grant };
  return null;
}
