// The request path as a straight line of named steps:
//   transport → route → host → tenant and identify (guarded authentication; read at once) → tenant match
//   → authorize route → admit (network, key age, rate limit) → handler,
// then, whatever happened: error mapping, security headers, and the audit event (built from what each step
// established, sent after the response), plus any alert a step raised. A HEAD request takes the same path as a
// GET (routes/index.ts), and its answer is sent without the body.
import { logText } from "../shared/log-text";
import { buildAuditEvent } from "./audit/event";
import type { AuditFacts, ClientFacts } from "./audit/facts";
import { Metrics } from "./audit/metrics";
import { recordBeforeChange, sendAuditEvent } from "./audit/send";
import { admitCaller } from "./auth/admission";
import { belongsTo } from "./auth/authenticate";
import { type AlertSink, identify, noTenantHere } from "./auth/identify";
import { withoutCacheHeaders } from "./chat/timing";
import { ConfigError } from "./config";
import type { AuthedContext, Handled, RequestContext } from "./context";
import { classifyHost, isAllowedTransport } from "./hosts";
import { ApiError, docsUrlOf, fail, internalError } from "./http/errors";
import { errorResponse, finalizeResponse, oauthErrorResponse, pageErrorResponse, withoutBody } from "./http/respond";
import { authorizeRoute, type Decision } from "./policy/access";
import { clientAddress, formatIp, type IpAddress } from "./policy/network";
import { actorOf, type Principal } from "./policy/principal";
import { matchRoute, type RouteDef } from "./routes/index";
import { getRuntime, type Runtime } from "./runtime";
import type { TenantRecord } from "./storage/records";

/** How long a handler may take to finish once its client has gone, before the request's event is sent without it. */
export const ABANDONED_GRACE_MS = 2_000;

/** What the steps established before the handler answered or a step refused; read once, for the audit event. */
interface Progress {
  route: RouteDef | null;
  tenant: string | null;
  principal: Principal | null;
  /** Headers the admission steps add to the response, refusals included (rate limits, warnings). */
  headers: Record<string, string>;
  /** The tenant's timing protection: no response says what the cache did (chat/timing.ts). */
  hideCache: boolean;
  /** An administrative action's event was already enqueued, before the change (recordChange). */
  recorded: boolean;
}

export async function handleRequest(
  request: Request,
  env: CordonGateway.Env,
  exec: ExecutionContext,
): Promise<Response> {
  const response = await answer(request, env, exec);
  return request.method === "HEAD" ? withoutBody(response) : response;
}

async function answer(request: Request, env: CordonGateway.Env, exec: ExecutionContext): Promise<Response> {
  const id = `req_${crypto.randomUUID().replace(/-/g, "")}`;
  const receivedAt = Date.now();
  const url = new URL(request.url);
  const docsUrl = docsUrlOf(url);

  let rt: Runtime;
  try {
    rt = await getRuntime(env);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `gateway start failed: ${logText(err)}`);
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
    // Counted when lost, as every event is: the metrics need only their binding, not the configuration.
    exec.waitUntil(sendAuditEvent(env.AUDIT, event, new Metrics(env.METRICS)));
    return finalizeResponse(errorResponse(failure, id, docsUrl), id);
  }

  const address = clientAddress(request.headers, rt.config.environment);
  const client = clientFacts(request, address);
  const progress: Progress = {
    route: null,
    tenant: null,
    principal: null,
    headers: {},
    hideCache: false,
    recorded: false,
  };
  const eventOf = (status: number, failure: ApiError | null, facts: AuditFacts) =>
    buildAuditEvent({
      requestId: id,
      receivedAt,
      method: request.method,
      route: progress.route?.path ?? null,
      client,
      tenant: progress.tenant,
      actor: progress.principal ? actorOf(progress.principal) : (facts.actor ?? "anonymous"),
      action: progress.route?.action ?? "request",
      status,
      code: failure?.code ?? null,
      reason: failure?.reason ?? null,
      facts,
      now: Date.now(),
    });
  const recordChange = async (facts: AuditFacts = {}, status = 200) => {
    if (!(await recordBeforeChange(env.AUDIT, eventOf(status, null, facts)))) {
      throw fail("audit_unavailable", { reason: "audit_enqueue_failed" });
    }
    progress.recorded = true;
  };
  const alert: AlertSink = (action, reason, target, tenant) => {
    const event = buildAuditEvent({
      requestId: id,
      receivedAt,
      method: request.method,
      route: progress.route?.path ?? null,
      client,
      tenant: tenant ?? progress.tenant,
      actor: actorOf(progress.principal),
      action,
      status: 200,
      code: null,
      reason,
      facts: target === null ? {} : { target },
      now: Date.now(),
    });
    exec.waitUntil(sendAuditEvent(env.AUDIT, event, rt.metrics));
  };
  // A client that goes away before the answer: the platform may end the handler where it waits, and what follows
  // `run` then never happens. Unless the handler finishes within ABANDONED_GRACE_MS of the client leaving (it
  // does when its waits follow the request's signal, as the provider call does), the request's event is sent from
  // here: request_aborted, with what the steps had established. One event either way (`audited`).
  let audited = false;
  let handlerDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    handlerDone = resolve;
  });
  const onAbort = () => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ABANDONED_GRACE_MS);
    });
    exec.waitUntil(
      Promise.race([finished, grace]).then(async () => {
        clearTimeout(timer);
        // A handler that finished set `audited` as it did: its own event is the request's.
        if (audited) return;
        audited = true;
        const failure = fail("request_aborted", { reason: "client_aborted" });
        if (progress.route?.audited ?? true) {
          await sendAuditEvent(env.AUDIT, eventOf(failure.status, failure, {}), rt.metrics);
        }
      }),
    );
  };
  request.signal?.addEventListener("abort", onAbort, { once: true });

  const rc: RequestContext = {
    id,
    receivedAt,
    request,
    url,
    rt,
    exec,
    client,
    address,
    alert,
    recordChange,
    params: {},
  };

  let handled: Handled;
  let failure: ApiError | null = null;
  try {
    handled = await run(rc, progress);
  } catch (err) {
    failure = err instanceof ApiError ? err : unexpected(err, rc);
    const shape = progress.route?.errors;
    const response =
      shape === "oauth"
        ? oauthErrorResponse(failure, id, docsUrl)
        : shape === "page"
          ? pageErrorResponse(failure, id, docsUrl)
          : errorResponse(failure, id, docsUrl);
    // A failure after the cache was consulted (provider error, only-if-cached) still says what the cache did.
    if (failure.facts?.cache) response.headers.set("x-cache", failure.facts.cache);
    handled = { response, facts: failure.facts ?? {} };
  }
  request.signal?.removeEventListener("abort", onAbort);
  handlerDone();
  // The client left and the handler did not finish in time: its event was sent as request_aborted (onAbort).
  const abandoned = audited;
  audited = true;
  const response = finalizeResponse(handled.response, id);
  for (const [k, v] of Object.entries(progress.headers)) if (!response.headers.has(k)) response.headers.set(k, v);
  if (progress.hideCache) withoutCacheHeaders(response.headers);

  // Every routed request is audited (unless its route says otherwise: liveness, public documents), and so is
  // every refusal before routing but "no such endpoint".
  const auditable =
    !abandoned &&
    (progress.route
      ? progress.route.audited
      : failure !== null && failure.code !== "not_found" && failure.code !== "method_not_allowed");
  // An administrative change was recorded before it was made. When it then failed, that outcome is enqueued
  // before the answer too, so the trail never keeps the first record alone while the Queue takes messages.
  if (progress.recorded && response.status >= 400 && !abandoned) {
    await sendAuditEvent(env.AUDIT, eventOf(response.status, failure, (await handled.facts) ?? {}), rt.metrics);
  }
  exec.waitUntil(
    (async () => {
      const facts: AuditFacts = (await handled.facts) ?? {};
      if (auditable && !progress.recorded) {
        await sendAuditEvent(env.AUDIT, eventOf(response.status, failure, facts), rt.metrics);
      }
      rt.metrics.request({
        tenant: progress.tenant,
        action: progress.route?.action ?? "unrouted",
        status: response.status,
        cache: facts.cache ?? null,
        model: facts.model ?? null,
        latencyMs: Date.now() - receivedAt,
        costSaved: facts.costSaved ?? 0,
        tokens: (facts.promptTokens ?? 0) + (facts.completionTokens ?? 0),
      });
    })(),
  );
  return response;
}

async function run(rc: RequestContext, progress: Progress): Promise<Handled> {
  const { rt, request, url, receivedAt: now } = rc;
  if (!isAllowedTransport(url, rt.config.allowLocalHttp)) throw fail("https_required", { reason: "plain_http" });

  const match = await matchRoute(request.method, url);
  if (match.kind === "not_found") throw fail("not_found", { reason: "no_route" });
  if (match.kind === "method_not_allowed") {
    const last = match.allow.length - 1;
    const methods = last > 0 ? `${match.allow.slice(0, last).join(", ")} or ${match.allow[last]}` : match.allow[0];
    throw fail("method_not_allowed", {
      message: `This endpoint accepts ${methods}.`,
      headers: { allow: match.allow.join(", ") },
    });
  }
  const { route } = match;
  progress.route = route;
  const routed: RequestContext = { ...rc, params: match.params };
  if (route.access === "public") return route.handler(routed);

  const host = classifyHost(url.hostname, rt.config.baseDomain);
  if (route.access === "operator") {
    if (host.kind !== "platform") {
      throw fail("not_found", {
        message: `This endpoint is served on the platform host, https://${rt.config.baseDomain}.`,
        reason: "operator_route_on_tenant_host",
      });
    }
    const principal = await identify(rt, request, null, rc.client.ip, now, rc.alert);
    progress.principal = principal;
    enforce(authorizeRoute(route, principal));
    return route.handler(routed);
  }

  // The Host's tenant and the caller are looked up at once: an API key's record does not depend on the tenant
  // record, so a request waits for the slower of the two reads, not for both in turn (a token or a session needs
  // the tenant, and waits for it). A Host that cannot name a tenant is refused before either.
  const tenantRead = readTenant(rt, host);
  // Recorded as soon as it is read: an alert raised while the caller is checked (a burst of failures, counted only
  // once the tenant is read — see guarded) names it.
  tenantRead.then(
    (tenant) => {
      progress.tenant = tenant?.id ?? null;
      progress.hideCache = tenant?.policy.timing_protection ?? false;
    },
    () => {},
  );
  const [read, identified] = await Promise.allSettled([
    tenantRead,
    identify(rt, request, tenantRead, rc.client.ip, now, rc.alert),
  ]);
  // A failed tenant read is the answer, whatever the caller's check found meanwhile.
  if (read.status === "rejected") throw read.reason;
  const tenant = read.value;
  if (identified.status === "rejected") throw identified.reason;
  const principal = identified.value;
  progress.principal = principal;
  if (!tenant) throw noTenantHere(principal, rt.config.baseDomain);
  const membership = belongsTo(principal, tenant);
  if (membership === "other_tenant") throw fail("tenant_mismatch", { reason: "credential_of_other_tenant" });
  if (membership === "stale_generation") throw fail("invalid_api_key", { reason: "key_of_deleted_tenant" });
  enforce(authorizeRoute(route, principal));
  if (principal.kind !== "operator") {
    progress.headers = await admitCaller(rt, tenant, principal, rc.address, now, { change: route.recordFirst });
    reportKeyUse(rc, tenant, principal);
  }
  const authed: AuthedContext = { ...routed, tenant, keyring: await rt.tenantKeyring(tenant), principal };
  return route.handler(authed);
}

function enforce(decision: Decision): void {
  if (!decision.allow) {
    throw fail(decision.code, {
      reason: decision.reason,
      ...(decision.message === undefined ? {} : { message: decision.message }),
    });
  }
}

/**
 * The tenant a Host names, or null when it names none that exists. A Host that cannot name a tenant (an IP
 * address, the platform host, a malformed name) is refused here, synchronously, before any lookup; whether a
 * well-formed tenant host exists is only said to a caller who proves who it is (see identify).
 */
function readTenant(rt: Runtime, host: ReturnType<typeof classifyHost>): Promise<TenantRecord | null> {
  const served = `https://{tenant}.${rt.config.baseDomain}`;
  switch (host.kind) {
    case "platform":
      throw fail("not_found", {
        message: `This endpoint is served on tenant hosts (${served}).`,
        reason: "tenant_route_on_platform_host",
      });
    case "ip":
      throw fail("tenant_not_found", {
        message: `The host is an IP address, which names no tenant: send requests to ${served} (or set that Host header).`,
        reason: "ip_literal_host",
      });
    case "invalid":
      throw fail("tenant_not_found", { reason: "malformed_host" });
    case "tenant":
      return rt.tenantDirectory.get(host.id);
    case "custom":
      return rt.tenantDirectory
        .tenantForHostname(host.hostname)
        .then((id) => (id === null ? null : rt.tenantDirectory.get(id)));
  }
}

/** last_used_at and new-place alerts, after the response (auth/key-usage.ts). */
function reportKeyUse(rc: RequestContext, tenant: TenantRecord, principal: Principal): void {
  if (principal.kind !== "api_key" && principal.kind !== "access_token") return;
  const place =
    rc.client.country !== null && rc.client.asn !== null ? { country: rc.client.country, asn: rc.client.asn } : null;
  if (!rc.rt.keyUsage.shouldReport(principal.keyId, place && `${place.country}:${place.asn}`, rc.receivedAt)) return;
  rc.exec.waitUntil(
    (async () => {
      try {
        const { newPlace } = await rc.rt.tenantObject(tenant.id).touchKey(principal.keyId, rc.receivedAt, place);
        if (newPlace)
          rc.alert("alert.key_new_place", `new_place:${place!.country.toLowerCase()}:${place!.asn}`, principal.keyId);
      } catch (err) {
        console.warn(`key use of ${principal.keyId} not recorded: ${logText(err)}`);
      }
    })(),
  );
}

/** The caller's address and network, as the platform reports them (only CF-Connecting-IP is trusted). */
/**
 * Who is calling: the address at once; the country and network from `request.cf` only when first read (by the
 * audit event or a key's place check) — materialising `cf` costs more than a liveness probe's whole answer.
 */
function clientFacts(request: Request, address: IpAddress | null): ClientFacts {
  let place: { country: string | null; asn: number | null } | undefined;
  const read = () => {
    if (place) return place;
    const cf = request.cf as { country?: unknown; asn?: unknown } | undefined;
    place = {
      country: typeof cf?.country === "string" && /^[A-Z0-9]{2}$/.test(cf.country) ? cf.country : null,
      asn: typeof cf?.asn === "number" && Number.isSafeInteger(cf.asn) && cf.asn >= 0 ? cf.asn : null,
    };
    return place;
  };
  return {
    ip: address === null ? null : formatIp(address),
    get country() {
      return read().country;
    },
    get asn() {
      return read().asn;
    },
  };
}

function unexpected(err: unknown, rc: RequestContext): ApiError {
  // Logged with the request id for the operator; the client and the audit trail get no internals.
  console.error(`request ${rc.id} failed: ${logText(err)}`);
  return new ApiError("internal_error", { reason: "unexpected" });
}
