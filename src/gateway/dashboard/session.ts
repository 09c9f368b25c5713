// The dashboard's sessions (auth/dashboard-session.ts has what a session is and how a request proves it):
//   POST /dashboard/session  {api_key}  sign in with an API key: authenticated as any request is (the guard
//                                       against guessing, the tenant, the key's network and rate limits, the
//                                       audit event naming the key), then a session cookie for it
//   GET  /dashboard/session             who the session is, and its CSRF token (kept in the page's memory
//                                       only, so a reload asks again), or `signed_in: false` and why (an
//                                       ended session's cookie cleared); same-origin fetches only
//   POST /dashboard/logout              clears the cookie
// Sign-in and sign-out must come from the dashboard's own origin (a cross-site form could otherwise sign a
// browser into someone else's session).
import * as z from "zod";
import { logText } from "../../shared/log-text";
import { admitCaller } from "../auth/admission";
import { belongsTo } from "../auth/authenticate";
import { issueKeySession, verifySession } from "../auth/dashboard-session";
import { guarded, identifyCredential, noTenantHere } from "../auth/identify";
import { clearSessionCookie, sessionOf, setSessionCookie } from "../auth/session-cookie";
import type { Handled, RequestContext } from "../context";
import { ApiError, fail } from "../http/errors";
import { json, readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import { actorOf, type TenantPrincipal } from "../policy/principal";
import { presentedSecret, type TenantRecord } from "../storage/records";
import { requireSameOrigin, tenantAtHost } from "./host";

export const SignInSchema = z.strictObject({ api_key: z.string().min(1).max(256) });

/** A signed-in session as the page sees it. */
export const SessionViewSchema = z.strictObject({
  object: z.literal("dashboard.session"),
  signed_in: z.literal(true),
  tenant: z.string(),
  tenant_name: z.string().nullable(),
  actor: z.string(),
  kind: z.enum(["sso", "api_key"]),
  key_name: z.string().nullable(),
  role: z.string().nullable(),
  scopes: z.array(z.string()),
  cache_scope: z.enum(["tenant", "user"]),
  expires_at: z.iso.datetime(),
  /** Sent back in x-cordon-csrf with every request the page makes with the cookie. */
  csrf_token: z.string(),
  sso_configured: z.boolean(),
});

/** No session: none was sent, or the one sent has ended (`ended` says how), or it was just cleared. */
export const SignedOutSchema = z.strictObject({
  object: z.literal("dashboard.session"),
  signed_in: z.literal(false),
  ended: z.enum(["invalid_session", "session_expired"]).nullable().optional(),
});
const MAX_SIGN_IN_BYTES = 2048;

export async function createSession(rc: RequestContext): Promise<Handled> {
  const tenant = await tenantAtHost(rc);
  try {
    return await signIn(rc, tenant);
  } catch (err) {
    // A refused sign-in at a tenant's host belongs in that tenant's audit trail.
    throw err instanceof ApiError && tenant ? err.withFacts({ tenant: tenant.id }) : err;
  }
}

async function signIn(rc: RequestContext, tenant: TenantRecord | null): Promise<Handled> {
  const { rt } = rc;
  const now = rc.receivedAt;
  requireSameOrigin(rc);
  const body = parseWith(SignInSchema, await readJson(rc.request, MAX_SIGN_IN_BYTES));
  if (!body.api_key.startsWith("cdn_")) {
    throw fail("malformed_api_key", {
      message: "The dashboard signs in with a Cordon API key (cdn_…).",
      reason: "sign_in_not_an_api_key",
    });
  }
  const credential = { kind: "api_key", secret: body.api_key } as const;
  const principal = await identifyCredential(rt, credential, tenant, rc.client.ip, now, rc.alert);
  if (principal.kind !== "api_key") throw fail("malformed_api_key", { reason: "sign_in_not_an_api_key" });
  try {
    return await openSession(rc, tenant, principal);
  } catch (err) {
    // Refused once the key is known: the trail names it, as it does for any request refused after authentication.
    throw err instanceof ApiError ? err.withFacts({ actor: actorOf(principal) }) : err;
  }
}

/** The session of a sign-in whose key was identified, once the key may open one here. */
async function openSession(
  rc: RequestContext,
  tenant: TenantRecord | null,
  principal: Extract<TenantPrincipal, { kind: "api_key" }>,
): Promise<Handled> {
  const { rt } = rc;
  const now = rc.receivedAt;
  if (!tenant) throw noTenantHere(principal, rt.config.baseDomain);
  const membership = belongsTo(principal, tenant);
  if (membership === "other_tenant") throw fail("tenant_mismatch", { reason: "credential_of_other_tenant" });
  if (membership === "stale_generation") throw fail("invalid_api_key", { reason: "key_of_deleted_tenant" });
  // The rate headers (and a key-age warning) as any counted request carries them.
  const admitted = await admitCaller(rt, tenant, principal, rc.address, now);
  // The tenant's object is the authority: a key revoked a moment ago opens no session, nor does a secret a
  // rotation dropped (which KV and isolate caches may still hold).
  const presented = presentedSecret(
    await rt.tenantObject(tenant.id).getKey(principal.keyId),
    principal.secretHash,
    now,
  );
  if ("refused" in presented) {
    const why = presented.refused;
    throw fail("invalid_api_key", { reason: why === "secret_rotated_out" ? `sign_in_${why}` : `sign_in_key_${why}` });
  }
  const { key, secret } = presented;
  const session = await issueKeySession(rt, tenant, key, secret, now);
  const view = await sessionView(rc, tenant, principal, session.cookie, session.expiresAt, key.name);
  return {
    response: json(view, 200, { ...admitted, "set-cookie": setSessionCookie(session.cookie, session.maxAgeSeconds) }),
    facts: { tenant: tenant.id, actor: actorOf(principal), target: key.id },
  };
}

export async function getSession(rc: RequestContext): Promise<Handled> {
  const { rt, request } = rc;
  const now = rc.receivedAt;
  // The CSRF token is handed to the dashboard's own page only (another origin could not read it anyway).
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin")
    throw fail("cross_origin_request", { reason: "session_read_cross_site" });
  const tenant = await tenantAtHost(rc);
  // This endpoint describes the session cookie and takes no other credential (an Authorization header is not
  // looked at). No session, or one that has ended, is an answer, not an error: the page then shows sign-in.
  let verified: Awaited<ReturnType<typeof verifySession>>;
  let cookie: string;
  try {
    const session = sessionOf(request.headers);
    if (!session) return { response: json(signedOut(null)) };
    cookie = session.cookie;
    verified = await guarded(rt, null, rc.client.ip, now, rc.alert, () => verifySession(rt, session, tenant, now));
  } catch (err) {
    if (err instanceof ApiError && (err.code === "invalid_session" || err.code === "session_expired")) {
      // The ended session's cookie is cleared: kept, the browser would send it with every later load of the page,
      // each time counted by the guard as a failed guess from the client's address.
      return { response: json(signedOut(err.code), 200, { "set-cookie": clearSessionCookie() }) };
    }
    throw err;
  }
  // verifySession accepts no session without a tenant.
  const home = tenant!;
  const { principal, expiresAt } = verified;
  const admitted = await admitCaller(rt, home, principal, rc.address, now);
  const name =
    principal.kind === "api_key" ? ((await rt.tenantObject(home.id).getKey(principal.keyId))?.name ?? null) : null;
  return { response: json(await sessionView(rc, home, principal, cookie, expiresAt, name), 200, admitted) };
}

const signedOut = (ended: "invalid_session" | "session_expired" | null): z.infer<typeof SignedOutSchema> => ({
  object: "dashboard.session",
  signed_in: false,
  ended,
});

export async function deleteSession(rc: RequestContext): Promise<Handled> {
  requireSameOrigin(rc);
  // The trail names who signed out when the session can still be read; the cookie is cleared either way, even
  // when reading it fails (storage unavailable): a sign-out must never leave the browser signed in.
  let tenant: TenantRecord | null = null;
  let actor: string | null = null;
  try {
    tenant = await tenantAtHost(rc);
    const session = sessionOf(rc.request.headers);
    if (session) actor = actorOf((await verifySession(rc.rt, session, tenant, rc.receivedAt)).principal);
  } catch (err) {
    if (!(err instanceof ApiError)) console.error(`sign-out: the session could not be read: ${logText(err)}`);
  }
  return {
    response: json({ object: "dashboard.session", signed_in: false }, 200, { "set-cookie": clearSessionCookie() }),
    facts: { ...(tenant ? { tenant: tenant.id } : {}), ...(actor ? { actor } : {}) },
  };
}

/** What the page knows of its session: who, with which role and scopes, until when, and the CSRF token. */
async function sessionView(
  rc: RequestContext,
  tenant: TenantRecord,
  principal: TenantPrincipal,
  cookie: string,
  expiresAt: number,
  keyName: string | null,
): Promise<z.infer<typeof SessionViewSchema>> {
  return {
    object: "dashboard.session",
    signed_in: true,
    tenant: tenant.id,
    tenant_name: tenant.name,
    actor: actorOf(principal),
    kind: principal.kind === "sso" ? "sso" : "api_key",
    key_name: keyName,
    role: "role" in principal ? principal.role : null,
    scopes: [...principal.scopes],
    cache_scope: principal.cacheScope,
    expires_at: new Date(expiresAt).toISOString(),
    csrf_token: await rc.rt.platform.csrfToken(cookie),
    sso_configured: tenant.policy.oidc !== null,
  };
}
