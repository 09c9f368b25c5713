// Authentication: a credential → a principal, or a typed refusal. What each kind needs:
//   API key       format and checksum, environment; then the key's record by the secret's keyed hash (KV, cached
//                 in the isolate for KEY_CACHE_TTL_MS); rotated-out secret, expiry, tenant and generation checked;
//   access token  this gateway's ES256 JWT, verified against its own public keys — no storage read; refused
//                 when issued before the tenant's last lockdown;
//   SSO token     the tenant's OpenID Provider's JWT, verified against the provider's JWKS, role mapped;
//   operator      ROOT_TOKEN, compared in constant time.
// `tenant` is the tenant of the Host, or null when the Host names none (or its read, still under way): a valid
// credential is still recognised then, so that its holder can be told where to send it — and someone without one
// learns nothing.
import { timingSafeEqualStrings } from "../crypto/aead";
import { fail } from "../http/errors";
import type { Principal, TenantPrincipal } from "../policy/principal";
import { ROLE_SCOPES } from "../policy/scopes";
import type { Runtime } from "../runtime";
import type { KeyAuthRecord, TenantRecord } from "../storage/records";
import { type AccessTokenFailure, verifyAccessToken } from "./access-token";
import { parseApiKey } from "./api-key-secret";
import type { Credential } from "./credential";
import { verifyOidcToken } from "./oidc";

/** Clock skew tolerated on token times, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Refusals of a token as one of Cordon's own that leave it possibly another issuer's, so the tenant's SSO
 * provider (if any) is asked next: another algorithm, a kid not in Cordon's key ring, and `malformed` — not
 * shaped like Cordon's tokens, which an SSO token need not be (longer than any Cordon token when it lists many
 * groups; ES256 with no `kid`, which RFC 7515 makes optional). Trying the SSO check widens nothing: it verifies
 * the token against the provider's keys alone. Not `wrong_issuer` (nor `wrong_audience`): claims are checked
 * once Cordon's key has verified the signature, so such a token is Cordon's, for another tenant (auth/guard.ts).
 */
const MAYBE_ANOTHER_ISSUERS: ReadonlySet<AccessTokenFailure> = new Set([
  "algorithm_not_allowed",
  "unknown_kid",
  "malformed",
]);

/** The tenant a request's Host names (null: none), or its read still under way. */
export type HostTenant = TenantRecord | null | Promise<TenantRecord | null>;

export async function authenticate(
  rt: Runtime,
  credential: Credential,
  tenant: HostTenant,
  now: number,
): Promise<Principal> {
  switch (credential.kind) {
    case "opaque":
      if (await timingSafeEqualStrings(credential.token, rt.config.rootToken)) return { kind: "operator" };
      throw fail("invalid_api_key", { reason: "unrecognised_token" });
    case "api_key":
      // Checked without the tenant record (which the caller may still be reading): the key's record names it.
      return authenticateKey(rt, credential.secret, now);
    case "jwt": {
      const host = await tenant;
      if (host === null) throw fail("invalid_token", { reason: "token_without_tenant" });
      return authenticateToken(rt, credential.token, host, now);
    }
  }
}

async function authenticateKey(rt: Runtime, secret: string, now: number): Promise<TenantPrincipal> {
  const parsed = parseApiKey(secret);
  if (!parsed) throw fail("malformed_api_key", { reason: "format_or_checksum" });
  if (parsed.env !== rt.config.apiKeyEnv) {
    throw fail("wrong_environment", {
      message: `This gateway accepts '${rt.config.apiKeyEnv}' keys only.`,
      reason: `key_env_${parsed.env}`,
    });
  }
  const hash = await rt.platform.hashApiKey(secret);
  const record = await rt.keyRecords.lookup(hash, now);
  if (!record) throw fail("invalid_api_key", { reason: "unknown_key" });
  if (record.secret_expires_at !== null && record.secret_expires_at <= now) {
    throw fail("invalid_api_key", { reason: "secret_rotated_out" });
  }
  if (record.expires_at !== null && record.expires_at <= now) throw fail("expired_api_key", { reason: "key_expired" });
  return principalOfKey(record, record.secret_issued_at ?? record.created_at, record.secret_expires_at, hash);
}

/** The fields of a key that make it a caller, as its record in the tenant's object and in KV both hold them. */
type KeyFields = Pick<
  KeyAuthRecord,
  | "id"
  | "tenant"
  | "tenant_generation"
  | "role"
  | "scopes"
  | "cache_scope"
  | "ip_allowlist"
  | "rate_limit"
  | "expires_at"
>;

/**
 * The key as a caller holding a secret issued at `secretIssuedAt` (its age is that secret's), working until
 * `secretEndsAt` (a rotated-out secret's grace; null for the current one), whose keyed hash is `secretHash` (null
 * for a dashboard session: see Principal). The caller stops working when the key or that secret does, whichever is
 * first: nothing it makes (a key, a rotated secret) may outlive that.
 */
export function principalOfKey(
  k: KeyFields,
  secretIssuedAt: number,
  secretEndsAt: number | null,
  secretHash: string | null,
): TenantPrincipal {
  const ends = [k.expires_at, secretEndsAt].filter((t): t is number => t !== null);
  return {
    kind: "api_key",
    keyId: k.id,
    tenant: k.tenant,
    generation: k.tenant_generation,
    role: k.role,
    scopes: new Set(k.scopes),
    cacheScope: k.cache_scope,
    ipAllowlist: k.ip_allowlist,
    rateLimit: k.rate_limit,
    expiresAt: ends.length === 0 ? null : Math.min(...ends),
    secretIssuedAt,
    secretHash,
  };
}

/**
 * Whether a principal belongs to the Host's tenant: same id, and for keys the same generation (a key made for a
 * deleted tenant names no key of a tenant re-created under its id).
 */
export function belongsTo(principal: Principal, tenant: TenantRecord): "yes" | "other_tenant" | "stale_generation" {
  if (principal.kind === "operator") return "yes";
  if (principal.tenant !== tenant.id) return "other_tenant";
  if (principal.kind === "api_key" && principal.generation !== tenant.generation) return "stale_generation";
  return "yes";
}

async function authenticateToken(rt: Runtime, token: string, tenant: TenantRecord, now: number): Promise<Principal> {
  const own = await verifyAccessToken(rt.accessTokenKeys(), token, {
    issuer: rt.tokenIssuer(),
    audience: rt.tokenAudience(tenant.id),
    tenant: tenant.id,
    generation: tenant.generation,
    now,
    clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
  });
  if (own.ok) {
    const c = own.claims;
    if (c.iat * 1000 < notBefore(tenant)) throw fail("invalid_token", { reason: "token_before_lockdown" });
    return {
      kind: "access_token",
      keyId: c.subject,
      jti: c.jti,
      tenant: c.tenant,
      scopes: new Set(c.scopes),
      cacheScope: c.cacheScope,
      ipAllowlist: c.limits.ip_allowlist,
      rateLimit: c.limits.rate_limit,
      expiresAt: c.exp * 1000,
    };
  }
  // Not one of ours: perhaps the tenant's SSO provider's.
  if (MAYBE_ANOTHER_ISSUERS.has(own.reason) && tenant.policy.oidc) return authenticateSso(rt, token, tenant, now);
  throw fail(own.reason === "expired" ? "expired_token" : "invalid_token", { reason: `token:${own.reason}` });
}

/**
 * A token of the tenant's OpenID Provider (an SSO bearer token, or the ID token a dashboard sign-in obtained),
 * verified against the provider's keys, its role mapped; the user is named by a pseudonym of issuer and subject.
 */
export async function authenticateSso(
  rt: Runtime,
  token: string,
  tenant: TenantRecord,
  now: number,
): Promise<TenantPrincipal> {
  const oidc = tenant.policy.oidc;
  if (!oidc) throw fail("invalid_token", { reason: "sso:not_configured" });
  const sso = await verifyOidcToken(rt.jwksCache, token, oidc, {
    now,
    clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
    allowInsecure: rt.config.environment === "development",
  });
  if (!sso.ok) {
    throw fail(sso.reason === "expired" ? "expired_token" : "invalid_token", { reason: `sso:${sso.reason}` });
  }
  const id = sso.identity;
  if (id.issuedAt * 1000 < notBefore(tenant)) {
    throw fail("invalid_token", { reason: "sso:token_before_lockdown" });
  }
  return {
    kind: "sso",
    subject: await rt.platform.pseudonym("sso-subject", `${id.issuer}\n${id.subject}`),
    issuedAt: id.issuedAt * 1000,
    grant: { issuer: oidc.issuer, audience: oidc.audience, roleClaim: oidc.role_claim, claimValues: id.claimValues },
    tenant: tenant.id,
    role: id.role,
    scopes: new Set(ROLE_SCOPES[id.role]),
    cacheScope: "tenant",
    ipAllowlist: [],
    rateLimit: null,
    expiresAt: id.expiresAt * 1000,
  };
}

/** Tokens issued before the tenant's last lockdown, or before the tenant itself (re-)existed, are refused. */
export function notBefore(tenant: TenantRecord): number {
  return Math.max(tenant.tokens_not_before, tenant.created_at - CLOCK_TOLERANCE_SECONDS * 1000);
}
