// The request path as a straight line of named steps:
//   transport → route → tenant (from Host) → authenticate → authorize → handler,
// then, whatever happened: error mapping, security headers, and one audit event on the Queue.

import { buildAuditEvent, sendAuditEvent } from "./audit/send";
import { actorOf, authenticate, type Principal } from "./auth/authenticate";
import { ConfigError } from "./config";
import { type AuthedContext, newAuditFields, type RequestContext } from "./context";
import { classifyHost, isAllowedTransport } from "./hosts";
import { ApiError, forbidden, internalError, notFound } from "./http/errors";
import { errorResponse, finalizeResponse } from "./http/respond";
import { matchRoute, type RouteDef } from "./routes/index";
import { getRuntime, type Runtime } from "./runtime";
import type { TenantRecord } from "./storage/tenant-directory";

export async function handleRequest(
  request: Request,
  env: CordonGateway.Env,
  exec: ExecutionContext,
): Promise<Response> {
  const id = `req_${crypto.randomUUID().replace(/-/g, "")}`;
  const receivedAt = Date.now();
  const url = new URL(request.url);
  const audit = newAuditFields();
  let rt: Runtime;
  try {
    rt = await getRuntime(env);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `gateway start failed: ${String(err)}`);
    const failure = internalError();
    audit.detail = "gateway configuration invalid";
    exec.waitUntil(
      sendAuditEvent(
        env.AUDIT,
        buildAuditEvent({ id, receivedAt, request, audit }, { status: 500, code: failure.code, route: url.pathname }),
      ),
    );
    return finalizeResponse(errorResponse(failure, id), id);
  }

  const rc: RequestContext = { id, receivedAt, request, url, rt, exec, audit, params: {} };
  let route = url.pathname;
  let code: string | null = null;
  let response: Response;
  try {
    response = await run(rc, (r) => (route = r.path));
  } catch (err) {
    const failure = err instanceof ApiError ? err : unexpected(err, rc);
    code = failure.code;
    rc.audit.detail = failure.detail ?? rc.audit.detail;
    response = errorResponse(failure, id);
    // A failure after the cache was consulted (provider error, only-if-cached) still says what the cache did.
    if (rc.audit.cache) response.headers.set("x-cache", rc.audit.cache);
  }
  response = finalizeResponse(response, id);
  exec.waitUntil(sendAuditEvent(env.AUDIT, buildAuditEvent(rc, { status: response.status, code, route })));
  return response;
}

async function run(rc: RequestContext, onRoute: (r: RouteDef) => void): Promise<Response> {
  const { rt, request, url } = rc;
  if (!isAllowedTransport(url, rt.config.allowLocalHttp)) {
    throw forbidden("https_required", "Cordon accepts HTTPS requests only.");
  }

  const match = await matchRoute(request.method, url);
  if (match.kind === "not_found") throw notFound("not_found", "No such endpoint.");
  if (match.kind === "method_not_allowed") {
    throw new ApiError(405, "method_not_allowed", `Use ${match.allow.join(" or ")} for this endpoint.`, {
      headers: { allow: match.allow.join(", ") },
    });
  }
  const { route } = match;
  onRoute(route);
  rc.audit.action = route.action;
  const routed: RequestContext = { ...rc, params: match.params };

  switch (route.access) {
    case "public":
      return route.handler(routed);
    case "operator": {
      if (classifyHost(url.hostname, rt.config.baseDomain).kind !== "platform") {
        throw notFound("not_found", "No such endpoint on a tenant host.");
      }
      const principal = await authenticate(rt, request, null);
      rc.audit.actor = actorOf(principal);
      if (principal.kind !== "root")
        throw forbidden("operator_only", "Only the platform operator can call this endpoint.");
      return route.handler(routed);
    }
    case "tenant": {
      const tenant = await resolveTenant(rt, url);
      rc.audit.tenant = tenant.id;
      const principal = await authenticate(rt, request, tenant.id);
      rc.audit.actor = actorOf(principal);
      authorize(route, principal);
      const authed: AuthedContext = { ...routed, tenant, keys: await rt.tenantKeyring(tenant), principal };
      return route.handler(authed);
    }
  }
}

async function resolveTenant(rt: Runtime, url: URL): Promise<TenantRecord> {
  const host = classifyHost(url.hostname, rt.config.baseDomain);
  if (host.kind === "platform") throw notFound("not_found", "This endpoint is served on tenant hosts.");
  let id: string | null = null;
  if (host.kind === "tenant") id = host.id;
  else if (host.kind === "custom") id = await rt.tenantDirectory.tenantForHostname(host.hostname);
  const tenant = id === null ? null : await rt.tenantDirectory.get(id);
  if (!tenant) throw notFound("tenant_not_found", "No tenant is served at this host.");
  return tenant;
}

function authorize(route: Extract<RouteDef, { access: "tenant" }>, principal: Principal): void {
  if (principal.kind === "root") {
    if (!route.operator)
      throw forbidden("operator_not_allowed", "The operator token cannot call this endpoint; use an API key.");
    return;
  }
  if (!principal.scopes.has(route.scope)) {
    throw forbidden("insufficient_scope", `This key lacks the '${route.scope}' scope.`);
  }
}

function unexpected(err: unknown, rc: RequestContext): ApiError {
  // Logged with the request id for the operator; the client and the audit trail get no internals.
  console.error(`request ${rc.id} failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  rc.audit.detail = "internal error";
  return internalError();
}
