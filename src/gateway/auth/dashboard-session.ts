// Dashboard sessions: the cookie credential (auth/session-cookie.ts) accepted only where there is no
// Authorization header (identify.ts), and only with
//   - the session's CSRF token in x-cordon-csrf (a MAC of the cookie, so another site can neither read nor
//     make it), and
//   - for anything but GET and HEAD, a same-origin Origin / Sec-Fetch-Site (defence in depth: the cookie is
//     SameSite=Strict already).
// What a session holds:
//   key session  an access token of this gateway (access-token.ts) for the key signed in with, of at most an
//                hour, with its own audience (`{tenant origin}/dashboard`, so that an OAuth access token is
//                never a session, nor a session a bearer token). The session acts as the key: its record is
//                read from the tenant's object on every request, so revoking the key, or a lockdown, ends it.
//   SSO session  the ID token the sign-in obtained, verified on every request exactly as an SSO bearer token.
import { decodeJwt } from "jose";
import { timingSafeEqualStrings } from "../crypto/aead";
import { ApiError, fail } from "../http/errors";
import type { TenantPrincipal } from "../policy/principal";
import type { Runtime } from "../runtime";
import {
  endsAtOf,
  issuedAtOf,
  type KeyRecord,
  keyStatus,
  secretIssuedAt,
  secretIssuedAtIsLive,
  type TenantRecord,
} from "../storage/records";
import { issueAccessToken, verifyAccessToken } from "./access-token";
import { authenticateSso, CLOCK_TOLERANCE_SECONDS, notBefore, principalOfKey } from "./authenticate";
import {
  CSRF_HEADER,
  fromSameOrigin,
  isSafeMethod,
  SESSION_MAX_SECONDS,
  type SessionCredential,
  sessionCookieValue,
} from "./session-cookie";

/** `aud` of a key session's token: the tenant's origin and `/dashboard`. */
export const sessionAudience = (rt: Runtime, tenant: string) => `${rt.tokenAudience(tenant)}/dashboard`;

/** The principal of a request authenticated by its session cookie: the request's checks, then the session. */
export async function authenticateSession(
  rt: Runtime,
  request: Request,
  session: SessionCredential,
  tenant: TenantRecord | null,
  now: number,
): Promise<TenantPrincipal> {
  if (!isSafeMethod(request.method) && !fromSameOrigin(request.headers, new URL(request.url).origin)) {
    throw fail("cross_origin_request", { reason: "session_from_other_origin" });
  }
  const sent = request.headers.get(CSRF_HEADER);
  if (sent === null || sent === "") throw fail("csrf_token_invalid", { reason: "csrf_missing" });
  if (!(await timingSafeEqualStrings(sent, await rt.platform.csrfToken(session.cookie)))) {
    throw fail("csrf_token_invalid", { reason: "csrf_mismatch" });
  }
  return (await verifySession(rt, session, tenant, now)).principal;
}

/**
 * Who a session names and when it ends, while it is valid (no request checks here: GET /dashboard/session uses
 * this to hand out the CSRF token).
 */
export async function verifySession(
  rt: Runtime,
  session: SessionCredential,
  tenant: TenantRecord | null,
  now: number,
): Promise<{ principal: TenantPrincipal; expiresAt: number }> {
  if (tenant === null) throw fail("invalid_session", { reason: "session_without_tenant" });
  if (session.kind === "sso_session") return verifySsoSession(rt, session.token, tenant, now);
  const verified = await verifyAccessToken(rt.accessTokenKeys(), session.token, {
    issuer: rt.tokenIssuer(),
    audience: sessionAudience(rt, tenant.id),
    tenant: tenant.id,
    generation: tenant.generation,
    now,
    clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
  });
  if (!verified.ok) {
    const code = verified.reason === "expired" ? "session_expired" : "invalid_session";
    throw fail(code, { reason: `session:${verified.reason}` });
  }
  const { claims } = verified;
  if (claims.iat * 1000 < notBefore(tenant)) throw fail("invalid_session", { reason: "session_before_lockdown" });
  // The tenant's object is the authority: a key revoked a moment ago ends its sessions everywhere at once, and
  // so does a rotation that dropped the secret the session was opened with (or the end of that secret's grace).
  const key = await rt.tenantObject(tenant.id).getKey(claims.subject);
  const status = key ? keyStatus(key, now) : "revoked";
  if (!key || status === "revoked" || status === "expired" || key.tenant_generation !== tenant.generation) {
    throw fail("invalid_session", { reason: `session_key_${status}` });
  }
  if (claims.secretIssuedAt === null || !secretIssuedAtIsLive(key, claims.secretIssuedAt, now)) {
    throw fail("invalid_session", { reason: "session_secret_rotated_out" });
  }
  const secret = claims.secretIssuedAt === secretIssuedAt(key) ? "current" : "previous";
  return {
    principal: principalOfKey(key, claims.secretIssuedAt, endsAtOf(key, secret), null),
    expiresAt: claims.exp * 1000,
  };
}

/** An SSO session: its ID token verified as an SSO bearer token is, and no older than a session may be. */
async function verifySsoSession(
  rt: Runtime,
  token: string,
  tenant: TenantRecord,
  now: number,
): Promise<{ principal: TenantPrincipal; expiresAt: number }> {
  let principal: TenantPrincipal;
  try {
    principal = await authenticateSso(rt, token, tenant, now);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    throw fail(err.code === "expired_token" ? "session_expired" : "invalid_session", {
      reason: `session:${err.reason ?? err.code}`,
    });
  }
  // Verified above: its claims can be read. An ID token always has `iat` (OpenID Connect Core §2).
  const { iat } = decodeJwt(token);
  if (typeof iat !== "number") throw fail("invalid_session", { reason: "session:sso_without_iat" });
  const ends = Math.min(principal.expiresAt ?? Number.POSITIVE_INFINITY, (iat + SESSION_MAX_SECONDS) * 1000);
  if (ends <= now) throw fail("session_expired", { reason: "session:sso_session_over" });
  return { principal, expiresAt: ends };
}

/** A session for a key signed in with: the cookie value, and its lifetime (the key's remaining life at most). */
export async function issueKeySession(
  rt: Runtime,
  tenant: TenantRecord,
  key: KeyRecord,
  secret: "current" | "previous",
  now: number,
): Promise<{ cookie: string; maxAgeSeconds: number; expiresAt: number }> {
  // Never past the key's expiry, nor past the grace of a rotated-out secret that opened it.
  const endsAt = Math.min(
    key.expires_at ?? Number.POSITIVE_INFINITY,
    secret === "previous" && key.previous ? key.previous.expires_at : Number.POSITIVE_INFINITY,
  );
  const lifetime = Math.min(
    SESSION_MAX_SECONDS,
    endsAt === Number.POSITIVE_INFINITY ? SESSION_MAX_SECONDS : Math.floor((endsAt - now) / 1000),
  );
  if (lifetime < 60) throw fail("expired_api_key", { reason: "key_expiring" });
  const issued = await issueAccessToken(rt.accessTokenKeys(), {
    issuer: rt.tokenIssuer(),
    audience: sessionAudience(rt, tenant.id),
    tenant: tenant.id,
    generation: tenant.generation,
    subject: key.id,
    scopes: key.scopes,
    cacheScope: key.cache_scope,
    limits: { ip_allowlist: key.ip_allowlist, rate_limit: key.rate_limit },
    ttlSeconds: lifetime,
    now,
    secretIssuedAt: issuedAtOf(key, secret),
  });
  // An access token is well under a kilobyte: it always fits.
  const cookie = sessionCookieValue("key_session", issued.token)!;
  return { cookie, maxAgeSeconds: lifetime, expiresAt: issued.expiresAt * 1000 };
}
