// GET /dashboard/sso/start and GET /dashboard/sso/callback: the dashboard's single sign-on through the
// tenant's OpenID Provider (the flow and its checks are in auth/oidc-login.ts). A browser navigates here, so a
// failure is a page saying what went wrong and what to do (the route table's `errors: "page"`), and a success
// ends on /dashboard with the session cookie set. The sign-in is audited with the user's pseudonym as actor.
import { admitCaller } from "../auth/admission";
import { authenticateSso } from "../auth/authenticate";
import { guarded } from "../auth/identify";
import {
  authorizationUrl,
  codeChallenge,
  exchangeCode,
  type FetchLike,
  newAttempt,
  nonceOf,
  type ProviderEndpoints,
  type SsoAttempt,
  SsoAttemptSchema,
} from "../auth/oidc-login";
import {
  clearSsoFlowCookie,
  cookieValues,
  SESSION_MAX_SECONDS,
  SSO_FLOW_COOKIE,
  SSO_FLOW_SECONDS,
  sessionCookieValue,
  setSessionCookie,
  setSsoFlowCookie,
} from "../auth/session-cookie";
import type { Handled, RequestContext } from "../context";
import { timingSafeEqualStrings } from "../crypto/aead";
import { ApiError, fail } from "../http/errors";
import type { OidcConfig } from "../policy/oidc-settings";
import { actorOf, type TenantPrincipal } from "../policy/principal";
import type { TenantRecord } from "../storage/records";
import { tenantAtHost } from "./host";

/** Outbound requests to the provider (the global fetch, looked up per call). */
const fetcher: FetchLike = (url, init) => fetch(url, init);
const attemptAad = (tenant: string) => `dashboard-sso-attempt:${tenant}`;
const callbackUrl = (rc: RequestContext) => `${rc.url.origin}/dashboard/sso/callback`;

export async function ssoStart(rc: RequestContext): Promise<Handled> {
  const { tenant, oidc } = await ssoTenant(rc);
  const endpoints = await providerEndpoints(rc, oidc);
  const attempt = newAttempt(tenant.id, rc.receivedAt, SSO_FLOW_SECONDS);
  const sealed = await rc.rt.platform.sealSsoFlow(JSON.stringify(attempt), attemptAad(tenant.id));
  const location = authorizationUrl(endpoints, {
    clientId: oidc.audience,
    redirectUri: callbackUrl(rc),
    attempt,
    challenge: await codeChallenge(attempt.verifier),
  });
  return {
    response: new Response(null, { status: 302, headers: { location, "set-cookie": setSsoFlowCookie(sealed) } }),
    facts: { tenant: tenant.id },
  };
}

export async function ssoCallback(rc: RequestContext): Promise<Handled> {
  const { tenant, oidc } = await ssoTenant(rc);
  try {
    return await finishSignIn(rc, tenant, oidc);
  } catch (err) {
    throw err instanceof ApiError ? err.withFacts({ tenant: tenant.id }) : err;
  }
}

async function finishSignIn(rc: RequestContext, tenant: TenantRecord, oidc: OidcConfig): Promise<Handled> {
  const { rt } = rc;
  const now = rc.receivedAt;
  const q = rc.url.searchParams;
  const attempt = await openAttempt(rc, tenant, now);
  const state = q.get("state");
  if (state === null || !(await timingSafeEqualStrings(state, attempt.state))) {
    throw fail("sso_state_invalid", { reason: "sso:state_mismatch" });
  }
  // RFC 9207: a provider that names itself in the redirect must be the tenant's (a mix-up defence).
  const iss = q.get("iss");
  if (iss !== null && iss !== oidc.issuer) throw fail("sso_denied", { reason: "sso:issuer_mismatch" });
  const refused = q.get("error");
  if (refused !== null) {
    const named = /^[a-z_]{1,64}$/.test(refused) ? ` (${refused})` : "";
    throw fail("sso_denied", {
      message: `The identity provider did not sign you in${named}.`,
      reason: "sso:provider_refused",
    });
  }
  const code = q.get("code");
  if (code === null || code === "" || code.length > 4096) throw fail("sso_provider_error", { reason: "sso:no_code" });

  const endpoints = await providerEndpoints(rc, oidc);
  const exchanged = await exchangeCode(fetcher, endpoints, {
    code,
    clientId: oidc.audience,
    redirectUri: callbackUrl(rc),
    verifier: attempt.verifier,
  });
  if (!exchanged.ok) throw fail("sso_provider_error", { reason: `sso:${exchanged.reason}` });
  const idToken = exchanged.value;

  // The ID token is verified as any SSO token is (issuer, audience = client id, keys, expiry, lockdown, role).
  let principal: TenantPrincipal;
  try {
    principal = await guarded(rt, null, rc.client.ip, now, rc.alert, () => authenticateSso(rt, idToken, tenant, now));
  } catch (err) {
    if (!(err instanceof ApiError) || (err.code !== "invalid_token" && err.code !== "expired_token")) throw err;
    throw fail("sso_denied", {
      reason: err.reason ?? "sso:invalid",
      ...(err.reason === "sso:no_role"
        ? { message: "Your account is in no group that the tenant's role_map gives a role." }
        : {}),
    });
  }
  const nonce = nonceOf(idToken);
  if (nonce === null || !(await timingSafeEqualStrings(nonce, attempt.nonce))) {
    throw fail("sso_denied", { reason: "sso:nonce_mismatch" });
  }
  // Refused by a limit, the user was authenticated: the trail names them (admitCaller), as for their other requests.
  const admitted = await admitCaller(rt, tenant, principal, rc.address, now);
  const cookie = sessionCookieValue("sso_session", idToken);
  if (cookie === null) {
    throw fail("sso_denied", {
      message: "The identity provider's ID token is too large for a session cookie (over 4 KB).",
      reason: "sso:id_token_too_large",
    });
  }
  const lifetime = Math.min(SESSION_MAX_SECONDS, Math.floor(((principal.expiresAt ?? now) - now) / 1000));
  const headers = new Headers({ ...admitted, location: "/dashboard" });
  headers.append("set-cookie", setSessionCookie(cookie, lifetime));
  headers.append("set-cookie", clearSsoFlowCookie());
  return {
    response: new Response(null, { status: 303, headers }),
    facts: { tenant: tenant.id, actor: actorOf(principal) },
  };
}

/** The Host's tenant and its single sign-on settings; a host without either is told the same. */
async function ssoTenant(rc: RequestContext): Promise<{ tenant: TenantRecord; oidc: OidcConfig }> {
  const tenant = await tenantAtHost(rc);
  const oidc = tenant?.policy.oidc ?? null;
  if (!tenant || !oidc) {
    throw fail("sso_not_configured", {
      reason: tenant ? "sso:not_configured" : "sso:no_tenant",
      ...(tenant ? { facts: { tenant: tenant.id } } : {}),
    });
  }
  return { tenant, oidc };
}

async function providerEndpoints(rc: RequestContext, oidc: OidcConfig): Promise<ProviderEndpoints> {
  const found = await rc.rt.discovery.endpoints(oidc.issuer, rc.rt.config.environment === "development", Date.now());
  if (!found.ok) throw fail("sso_provider_error", { reason: `sso:${found.reason}` });
  return found.value;
}

/** The attempt this browser started (its sealed cookie), for this tenant, not yet expired. */
async function openAttempt(rc: RequestContext, tenant: TenantRecord, now: number): Promise<SsoAttempt> {
  const values = cookieValues(rc.request.headers, SSO_FLOW_COOKIE).filter((v) => v !== "");
  if (values.length !== 1) {
    throw fail("sso_state_invalid", { reason: values.length ? "sso:attempt_repeated" : "sso:no_attempt" });
  }
  let attempt: SsoAttempt;
  try {
    const opened = await rc.rt.platform.openSsoFlow(values[0]!, attemptAad(tenant.id));
    attempt = SsoAttemptSchema.parse(JSON.parse(opened));
  } catch {
    throw fail("sso_state_invalid", { reason: "sso:attempt_unreadable" });
  }
  if (attempt.tenant !== tenant.id || attempt.expires_at <= now) {
    throw fail("sso_state_invalid", { reason: "sso:attempt_expired" });
  }
  return attempt;
}
