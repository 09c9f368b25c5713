// Cordon's OAuth 2.0 access tokens (client-credentials grant, `POST /oauth/token`): ES256 JWTs signed by the
// gateway, in the RFC 9068 profile, verified with no storage read.
//
// Token format
//   header  { alg: "ES256", typ: "at+jwt", kid }
//   claims  iss, aud, sub (the API key id), client_id (= sub, RFC 9068 §2.2), iat, nbf (= iat), exp, jti,
//           scope (space-separated Cordon scopes), cordon_tenant (tenant id), cordon_tenant_generation (the
//           tenant's generation: a tenant re-created under the same id is another tenant), cordon_cache_scope
//           (tenant|user), cordon_limits (the key's ip_allowlist and rate_limit); dashboard key sessions also
//           cordon_secret_issued_at (ms: when the key's secret that opened the session was issued)
//   The two private claims carry a `cordon_` prefix so that they can never collide with registered claims or
//   with another issuer's (`tid` is Azure AD's tenant claim, for example).
//
// Verification refuses, in this order: anything not shaped like a compact JWS, an `alg` other than ES256
// (`none`, HS256 "algorithm confusion" and every other algorithm are refused before any key is touched), a
// missing or odd `kid`, a `kid` not in the key ring, a bad signature, a wrong `typ`, missing claims, wrong
// issuer or audience, not yet valid (within the clock tolerance), expired (at `exp`, with no tolerance; or
// issued longer ago than the longest lifetime), another
// tenant's token (or one of an earlier generation of the tenant), and malformed Cordon claims. Scopes Cordon
// does not know are dropped (never widen).
//
// The keys that sign and verify them: signing-keys.ts.
import { decodeProtectedHeader, type JWTPayload, jwtVerify, SignJWT } from "jose";
import * as z from "zod";
import { TENANT_ID_PATTERN } from "../../shared/ids";
import { randomBytes, toBase64Url } from "../crypto/encoding";
import { SCOPES, type Scope } from "../policy/scopes";
import { type JwtFailureReason, looksLikeCompactJws, reasonFromJoseError } from "./jwt-failure";
import { type AccessTokenKeys, KID, SIGNING_ALG } from "./signing-keys";

export const ACCESS_TOKEN_ALG = SIGNING_ALG;
export const ACCESS_TOKEN_TYP = "at+jwt";
export const TENANT_CLAIM = "cordon_tenant";
export const GENERATION_CLAIM = "cordon_tenant_generation";
export const CACHE_SCOPE_CLAIM = "cordon_cache_scope";
/** The issuing key's own limits (IP allowlist, rate limit), so that a token is held to them without a read. */
export const LIMITS_CLAIM = "cordon_limits";
/** Which of the key's secrets a dashboard session was opened with, by when it was issued (dashboard-session.ts). */
export const SECRET_ISSUED_AT_CLAIM = "cordon_secret_issued_at";
/** The longest lifetime a token may be issued with, and the oldest `iat` verification accepts. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 24 * 3600;
/** Cordon's tokens are well under 2 KB; anything much larger is not one of them. */
const MAX_ACCESS_TOKEN_CHARS = 4096;

export type CacheScope = "tenant" | "user";

/** The key's limits a token carries: canonical CIDR text and a rate limit, as the admin API shows them. */
export interface TokenLimits {
  readonly ip_allowlist: readonly string[];
  readonly rate_limit: { readonly requests: number; readonly window_seconds: number } | null;
}

const TokenLimitsSchema = z.strictObject({
  ip_allowlist: z.array(z.string().min(1).max(64)).max(100),
  rate_limit: z.strictObject({ requests: z.number().int().min(1), window_seconds: z.number().int().min(1) }).nullable(),
});

export interface AccessTokenClaims {
  readonly tenant: string;
  readonly limits: TokenLimits;
  /** The API key id the token was issued to (`sub`). */
  readonly subject: string;
  readonly scopes: readonly Scope[];
  readonly cacheScope: CacheScope;
  readonly jti: string;
  /** Seconds since the epoch (JWT NumericDate), as in the token. */
  readonly iat: number;
  readonly exp: number;
  /** cordon_secret_issued_at, or null when the token has none (access tokens). */
  readonly secretIssuedAt: number | null;
}

export type AccessTokenFailure = JwtFailureReason | "wrong_tenant" | "unknown_kid";

export type AccessTokenResult =
  | { readonly ok: true; readonly claims: AccessTokenClaims }
  | { readonly ok: false; readonly reason: AccessTokenFailure };

export interface IssueAccessTokenInput {
  /** `iss`: the gateway's origin for the tenant, e.g. `https://acme.cordon.example`. */
  readonly issuer: string;
  /** `aud`: what the token is for, e.g. the same origin. */
  readonly audience: string;
  readonly tenant: string;
  /** The tenant's generation (TenantRecord.generation). */
  readonly generation: string;
  /** The API key id (the OAuth client_id). */
  readonly subject: string;
  readonly scopes: readonly Scope[];
  readonly cacheScope: CacheScope;
  readonly limits: TokenLimits;
  readonly ttlSeconds: number;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** For a dashboard key session: when the secret that opened it was issued (ms). */
  readonly secretIssuedAt?: number;
  /** Defaults to 128 random bits, base64url. */
  readonly jti?: string;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly jti: string;
  /** Seconds since the epoch: the token's `exp`. */
  readonly expiresAt: number;
  /** Seconds from issue to expiry: the token response's `expires_in`. */
  readonly expiresIn: number;
}

/**
 * Signs an access token with the ring's current key. Throws TypeError or RangeError on inputs the token
 * endpoint should never pass (a bad tenant id, an unknown scope, a lifetime out of 1…24 h): caller bugs.
 */
export async function issueAccessToken(
  keys: AccessTokenKeys,
  input: IssueAccessTokenInput,
): Promise<IssuedAccessToken> {
  if (!TENANT_ID_PATTERN.test(input.tenant)) throw new TypeError("issueAccessToken: invalid tenant id");
  if (!input.generation) throw new TypeError("issueAccessToken: the tenant generation is required");
  if (!input.issuer || !input.audience || !input.subject) {
    throw new TypeError("issueAccessToken: issuer, audience and subject are required");
  }
  if (input.scopes.some((s) => !SCOPES.includes(s))) throw new TypeError("issueAccessToken: unknown scope");
  if (input.cacheScope !== "tenant" && input.cacheScope !== "user") {
    throw new TypeError("issueAccessToken: invalid cache scope");
  }
  if (!Number.isInteger(input.ttlSeconds) || input.ttlSeconds < 1 || input.ttlSeconds > MAX_ACCESS_TOKEN_TTL_SECONDS) {
    throw new RangeError(`issueAccessToken: ttlSeconds must be an integer in 1..${MAX_ACCESS_TOKEN_TTL_SECONDS}`);
  }
  if (!Number.isFinite(input.now)) throw new RangeError("issueAccessToken: now must be a finite number");

  const iat = Math.floor(input.now / 1000);
  const exp = iat + input.ttlSeconds;
  const jti = input.jti ?? toBase64Url(randomBytes(16));
  const { kid, key } = keys.signingKey();
  const token = await new SignJWT({
    scope: SCOPES.filter((s) => input.scopes.includes(s)).join(" "),
    client_id: input.subject,
    [TENANT_CLAIM]: input.tenant,
    [GENERATION_CLAIM]: input.generation,
    [CACHE_SCOPE_CLAIM]: input.cacheScope,
    [LIMITS_CLAIM]: { ip_allowlist: [...input.limits.ip_allowlist], rate_limit: input.limits.rate_limit },
    ...(input.secretIssuedAt === undefined ? {} : { [SECRET_ISSUED_AT_CLAIM]: input.secretIssuedAt }),
  })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: ACCESS_TOKEN_TYP, kid })
    .setIssuer(input.issuer)
    .setAudience(input.audience)
    .setSubject(input.subject)
    .setJti(jti)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .sign(key);
  return { token, jti, expiresAt: exp, expiresIn: input.ttlSeconds };
}

export interface VerifyAccessTokenExpectations {
  readonly issuer: string;
  readonly audience: string;
  /** The tenant resolved from the Host: the token must have been issued for it… */
  readonly tenant: string;
  /** …in its current generation (not for an earlier tenant deleted and re-created under its id). */
  readonly generation: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** Allowed clock skew for nbf and iat, in seconds (0…300); `exp` is held to exactly. */
  readonly clockToleranceSeconds: number;
}

const REQUIRED_CLAIMS = [
  "sub",
  "client_id",
  "jti",
  "iat",
  "nbf",
  "exp",
  "scope",
  TENANT_CLAIM,
  GENERATION_CLAIM,
  CACHE_SCOPE_CLAIM,
  LIMITS_CLAIM,
];

const fail = (reason: AccessTokenFailure): AccessTokenResult => ({ ok: false, reason });

/** Verifies a bearer token as one of Cordon's access tokens. Never throws for any token text. */
export async function verifyAccessToken(
  keys: AccessTokenKeys,
  token: string,
  expected: VerifyAccessTokenExpectations,
): Promise<AccessTokenResult> {
  const tolerance = expected.clockToleranceSeconds;
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 300 || !Number.isFinite(expected.now)) {
    throw new RangeError("verifyAccessToken: now and clockToleranceSeconds (0..300) must be finite");
  }
  if (typeof token !== "string" || !looksLikeCompactJws(token, MAX_ACCESS_TOKEN_CHARS)) return fail("malformed");

  let header: { alg?: unknown; kid?: unknown };
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return fail("malformed");
  }
  if (header.alg !== ACCESS_TOKEN_ALG)
    return fail(typeof header.alg === "string" ? "algorithm_not_allowed" : "malformed");
  if (typeof header.kid !== "string" || !KID.safeParse(header.kid).success) return fail("malformed");
  const key = keys.verificationKey(header.kid);
  if (key === undefined) return fail("unknown_kid");

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [ACCESS_TOKEN_ALG],
      typ: ACCESS_TOKEN_TYP,
      issuer: expected.issuer,
      audience: expected.audience,
      requiredClaims: REQUIRED_CLAIMS,
      maxTokenAge: MAX_ACCESS_TOKEN_TTL_SECONDS,
      clockTolerance: tolerance,
      currentDate: new Date(expected.now),
    }));
  } catch (err) {
    return fail(reasonFromJoseError(err));
  }
  // The tolerance is for the start only (iat, nbf: a clock behind the issuer's): `exp` was set by this gateway
  // to end no later than the key, or the rotated-out secret's grace, that minted the token, so it ends there.
  if ((payload.exp as number) * 1000 <= expected.now) return fail("expired");

  // Signed by us and current: now the Cordon claims.
  const { sub, client_id, jti, iat, exp, scope } = payload;
  const tenant = payload[TENANT_CLAIM];
  const cacheScope = payload[CACHE_SCOPE_CLAIM];
  if (typeof tenant !== "string") return fail("malformed");
  if (tenant !== expected.tenant) return fail("wrong_tenant");
  const generation = payload[GENERATION_CLAIM];
  if (typeof generation !== "string") return fail("malformed");
  if (generation !== expected.generation) return fail("wrong_tenant");
  if (typeof sub !== "string" || sub === "" || client_id !== sub) return fail("malformed");
  if (typeof jti !== "string" || jti === "" || typeof iat !== "number" || typeof exp !== "number") {
    return fail("malformed");
  }
  if (exp - iat > MAX_ACCESS_TOKEN_TTL_SECONDS) return fail("malformed"); // never issued by this gateway
  if (typeof scope !== "string" || (cacheScope !== "tenant" && cacheScope !== "user")) return fail("malformed");
  const limits = TokenLimitsSchema.safeParse(payload[LIMITS_CLAIM]);
  if (!limits.success) return fail("malformed");
  const secretIssuedAt = payload[SECRET_ISSUED_AT_CLAIM] ?? null;
  if (secretIssuedAt !== null && !(Number.isSafeInteger(secretIssuedAt) && (secretIssuedAt as number) >= 0)) {
    return fail("malformed");
  }
  const granted = new Set(scope.split(" "));
  return {
    ok: true,
    claims: {
      tenant,
      subject: sub,
      scopes: SCOPES.filter((s) => granted.has(s)),
      cacheScope,
      limits: limits.data,
      jti,
      iat,
      exp,
      secretIssuedAt: secretIssuedAt as number | null,
    },
  };
}
