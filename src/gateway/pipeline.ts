// The request path as a straight line of named steps:
//   transport → route → tenant (from Host) → authenticate → authorize → handler,
// then, whatever happened: error mapping, security headers, and the audit event (built from what each step
// established, sent after the response).
import { buildAuditEvent } from "./audit/event";
import type { AuditFacts, ClientFacts } from "./audit/facts";
import { sendAuditEvent } from "./audit/send";
import { authenticate } from "./auth/authenticate";
import { ConfigError } from "./config";
import type { AuthedContext, Handled, RequestContext } from "./context";
import { classifyHost, isAllowedTransport } from "./hosts";
import { ApiError, fail, internalError } from "./http/errors";
import { errorResponse, finalizeResponse } from "./http/respond";
import { authorizeRoute } from "./policy/access";
import { actorOf, type Principal } from "./policy/principal";
import { matchRoute, type RouteDef } from "./routes/index";
import { getRuntime, type Runtime } from "./runtime";
import type { TenantRecord } from "./storage/tenant-directory";

/** What the steps established before the handler answered or a step refused; read once, for the audit event. */
interface Progress {
  route: RouteDef | null;
  tenant: string | null;
  principal: Principal | null;
}

export async function handleRequest(
  request: Request,
  env: CordonGateway.Env,
  exec: ExecutionContext,
): Promise<Response> {
  const id = `req_${crypto.randomUUID().replace(/-/g, "")}`;
  const receivedAt = Date.now();
  const url = new URL(request.url);
  const docsUrl = `${url.origin}/docs/errors`;

  let rt: Runtime;
  try {
    rt = await getRuntime(env);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `gateway start failed: ${String(err)}`);
    const failure = internalError();
    const event = buildAuditEvent({
      requestId: id,
      receivedAt,
      method: request.method,
      route: null,
      client: { ip: null, country: null, asn: null },
      tenant: null,
      actor: "anonymous",
      action: "gateway.start",
      status: failure.status,
      code: failure.code,
      reason: "configuration_invalid",
      facts: {},
      now: Date.now(),
    });
    exec.waitUntil(sendAuditEvent(env.AUDIT, event));
    return finalizeResponse(errorResponse(failure, id, docsUrl), id);
  }

  const client = clientFacts(request, rt);
  const rc: RequestContext = { id, receivedAt, request, url, rt, exec, client, params: {} };
  const progress: Progress = { route: null, tenant: null, principal: null };
  let handled: Handled;
  let failure: ApiError | null = null;
  try {
    handled = await run(rc, progress);
  } catch (err) {
    failure = err instanceof ApiError ? err : unexpected(err, rc);
    const response = errorResponse(failure, id, docsUrl);
    // A failure after the cache was consulted (provider error, only-if-cached) still says what the cache did.
    if (failure.facts?.cache) response.headers.set("x-cache", failure.facts.cache);
    handled = { response, facts: failure.facts ?? {} };
  }
  const response = finalizeResponse(handled.response, id);

  // Every routed request is audited (unless its route says otherwise: liveness, public documents), and so is
  // every refusal before routing but "no such endpoint".
  const audited = progress.route
    ? progress.route.audited
    : failure !== null && failure.code !== "not_found" && failure.code !== "method_not_allowed";
  if (audited) {
    exec.waitUntil(
      (async () => {
        const facts: AuditFacts = (await handled.facts) ?? {};
        const event = buildAuditEvent({
          requestId: id,
          receivedAt,
          method: request.method,
          route: progress.route?.path ?? null,
          client,
          tenant: progress.tenant,
          actor: actorOf(progress.principal),
          action: progress.route?.action ?? "request",
          status: response.status,
          code: failure?.code ?? null,
          reason: failure?.reason ?? null,
          facts,
          now: Date.now(),
        });
        await sendAuditEvent(env.AUDIT, event);
      })(),
    );
  }
  return response;
}

async function run(rc: RequestContext, progress: Progress): Promise<Handled> {
  const { rt, request, url } = rc;
  if (!isAllowedTransport(url, rt.config.allowLocalHttp)) throw fail("https_required", { reason: "plain_http" });

  const match = await matchRoute(request.method, url);
  if (match.kind === "not_found") throw fail("not_found", { reason: "no_route" });
  if (match.kind === "method_not_allowed") {
    throw fail("method_not_allowed", {
      message: `This endpoint accepts ${match.allow.join(" or ")}.`,
      headers: { allow: match.allow.join(", ") },
    });
  }
  const { route } = match;
  progress.route = route;
  const routed: RequestContext = { ...rc, params: match.params };

  switch (route.access) {
    case "public":
      return route.handler(routed);
    case "operator": {
      if (classifyHost(url.hostname, rt.config.baseDomain).kind !== "platform") {
        throw fail("not_found", {
          message: "This endpoint is served on the platform host only.",
          reason: "operator_route_on_tenant_host",
        });
      }
      const principal = await authenticate(rt, request, null);
      progress.principal = principal;
      enforce(authorizeRoute(route, principal));
      return route.handler(routed);
    }
    case "tenant": {
      const tenant = await resolveTenant(rt, url);
      progress.tenant = tenant.id;
      const principal = await authenticate(rt, request, tenant);
      progress.principal = principal;
      enforce(authorizeRoute(route, principal));
      const authed: AuthedContext = { ...routed, tenant, keyring: await rt.tenantKeyring(tenant), principal };
      return route.handler(authed);
    }
  }
}

function enforce(decision: ReturnType<typeof authorizeRoute>): void {
  if (!decision.allow) {
    throw fail(decision.code, {
      reason: decision.reason,
      ...(decision.message === undefined ? {} : { message: decision.message }),
    });
  }
}

async function resolveTenant(rt: Runtime, url: URL): Promise<TenantRecord> {
  const host = classifyHost(url.hostname, rt.config.baseDomain);
  if (host.kind === "platform") {
    throw fail("not_found", {
      message: "This endpoint is served on tenant hosts.",
      reason: "tenant_route_on_platform_host",
    });
  }
  let id: string | null = null;
  if (host.kind === "tenant") id = host.id;
  else if (host.kind === "custom") id = await rt.tenantDirectory.tenantForHostname(host.hostname);
  const tenant = id === null ? null : await rt.tenantDirectory.get(id);
  if (!tenant) throw fail("tenant_not_found", { reason: "unknown_host" });
  return tenant;
}

/** The caller's address and network, as the platform reports them (only CF-Connecting-IP is trusted). */
function clientFacts(request: Request, rt: Runtime): ClientFacts {
  const cf = request.cf as { country?: unknown; asn?: unknown } | undefined;
  const header = request.headers.get("cf-connecting-ip");
  const ip =
    rt.config.environment === "development"
      ? "127.0.0.1"
      : header && /^[0-9A-Fa-f:.]{2,45}$/.test(header)
        ? header
        : null;
  return {
    ip,
    country: typeof cf?.country === "string" && /^[A-Z0-9]{2}$/.test(cf.country) ? cf.country : null,
    asn: typeof cf?.asn === "number" && Number.isSafeInteger(cf.asn) && cf.asn >= 0 ? cf.asn : null,
  };
}

function unexpected(err: unknown, rc: RequestContext): ApiError {
  // Logged with the request id for the operator; the client and the audit trail get no internals.
  console.error(`request ${rc.id} failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  return new ApiError("internal_error", { reason: "unexpected" });
}
