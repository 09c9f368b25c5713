// Who is calling — the Authorization header's credential, or else the dashboard's session cookie — with the
// guard around it: a client blocked for a burst of failures is refused before its credential is looked at; a
// failed guess is counted (and slowed, then blocked, raising an audit alert); and a refusal says what is wrong
// and what to do — without telling anyone who holds no valid credential whether a key or a tenant exists.
import { type ApiError, fail } from "../http/errors";
import type { Principal } from "../policy/principal";
import type { Runtime } from "../runtime";
import { authenticate, type HostTenant } from "./authenticate";
import { type Credential, credentialOf, keyPrefixOf } from "./credential";
import { authenticateSession } from "./dashboard-session";
import { countsAsFailure } from "./guard";
import { sessionOf } from "./session-cookie";

export type AlertSink = (action: string, reason: string, target: string | null, tenant?: string | null) => void;

/**
 * The caller of a request to `tenant`'s Host (null: the Host names no tenant). The tenant may still be on its
 * way: an API key is checked without it, a token or a session waits for it.
 */
export async function identify(
  rt: Runtime,
  request: Request,
  tenant: HostTenant,
  ip: string | null,
  now: number,
  alert: AlertSink,
): Promise<Principal> {
  // The dashboard's session cookie stands in for a credential only where no Authorization header is sent.
  const session = request.headers.has("authorization") ? null : sessionOf(request.headers);
  if (session) {
    return guarded(
      rt,
      null,
      ip,
      now,
      alert,
      async () => authenticateSession(rt, request, session, await tenant, now),
      tenant,
    );
  }
  return identifyCredential(rt, credentialOf(request.headers), tenant, ip, now, alert);
}

/** A credential presented some other way than the Authorization header (a dashboard sign-in's API key). */
export function identifyCredential(
  rt: Runtime,
  credential: Credential,
  tenant: HostTenant,
  ip: string | null,
  now: number,
  alert: AlertSink,
): Promise<Principal> {
  return guarded(rt, keyPrefixOf(credential), ip, now, alert, () => authenticate(rt, credential, tenant, now), tenant);
}

/**
 * Runs an authentication under the guard: refused at once while the client (or key prefix) is blocked; a
 * failure that counts as a guess is counted, slowed, and may block. A failure is counted only once the Host's
 * tenant has been read (`tenant`, when that read is still under way): a request whose tenant cannot be read fails
 * for that reason, and is neither counted nor slowed.
 */
export async function guarded<T>(
  rt: Runtime,
  prefix: string | null,
  ip: string | null,
  now: number,
  alert: AlertSink,
  attempt: () => Promise<T>,
  tenant: HostTenant = null,
): Promise<T> {
  const blocked = rt.guard.blockedUntil(ip, prefix, now);
  if (blocked > now) throw authBlocked(blocked, now, "blocked");
  try {
    return await attempt();
  } catch (err) {
    if (!isCounted(err)) throw err;
    await tenant;
    const outcome = await rt.guard.failure(ip, prefix, now);
    for (const which of outcome.newlyBlocked) {
      alert("alert.auth_burst", `${which}_blocked`, which === "ip" ? ip : prefix);
    }
    if (outcome.blockedUntil > now) throw authBlocked(outcome.blockedUntil, now, "blocked_now");
    if (outcome.delayMs > 0) await new Promise((r) => setTimeout(r, outcome.delayMs));
    throw err;
  }
}

function isCounted(err: unknown): err is ApiError {
  if (typeof err !== "object" || err === null || !("code" in err)) return false;
  const { code, reason } = err as ApiError;
  return countsAsFailure(code, reason);
}

function authBlocked(until: number, now: number, reason: string): ApiError {
  return fail("auth_blocked", {
    reason,
    headers: { "retry-after": String(Math.max(1, Math.ceil((until - now) / 1000))) },
  });
}

/** The refusal for a Host that names no tenant, told to someone who proved who they are. */
export function noTenantHere(principal: Principal, baseDomain: string): ApiError {
  if (principal.kind === "operator") {
    return fail("tenant_not_found", {
      message: "This host names no tenant.",
      reason: "operator_on_unknown_host",
    });
  }
  return fail("tenant_not_found", {
    message: `This host names no tenant. Your credential belongs to tenant '${principal.tenant}': send it to https://${principal.tenant}.${baseDomain}.`,
    reason: "credential_of_other_host",
  });
}
