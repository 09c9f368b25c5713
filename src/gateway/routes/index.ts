// The route table: path, method, where it is served (platform host or tenant host), who may call it (checked
// by policy/access.ts), the audit action it records, and whether it is audited at all (liveness and public
// documents are not; every other routed request is, refused ones included). itty-router only matches; the
// pipeline runs each step.
import { IttyRouter } from "itty-router";
import type { AuthedContext, Handled, RequestContext } from "../context";
import { json } from "../http/respond";
import type { Scope } from "../policy/scopes";
import { createKey, getKey, listKeys, revokeKey, rotateKey } from "./admin-keys";
import { getPolicy, lockdown, putPolicy } from "./admin-policy";
import { createTenant, deleteTenant, listTenants } from "./admin-tenants";
import { cacheQuery } from "./cache-query";
import { chatCompletions } from "./chat-completions";
import { errorCatalogPage } from "./docs";
import { jwks, token } from "./oauth";

interface RouteBase {
  readonly method: string;
  readonly path: string;
  readonly action: string;
  /** False for liveness probes and public documents: no audit event (they are counted in metrics). */
  readonly audited: boolean;
  /** The error shape: the contract's (default), or OAuth 2.0's (RFC 6749 §5.2) for the token endpoint. */
  readonly errors?: "oauth";
}

export type RouteDef =
  /** Any host, no credentials. */
  | (RouteBase & { readonly access: "public"; readonly handler: (rc: RequestContext) => Promise<Handled> })
  /** Platform host, the operator token only. */
  | (RouteBase & { readonly access: "operator"; readonly handler: (rc: RequestContext) => Promise<Handled> })
  /** Tenant host, a credential with `scope` (or the operator token where `operator` is set). */
  | (RouteBase & {
      readonly access: "tenant";
      readonly scope: Scope;
      readonly operator?: boolean;
      readonly handler: (rc: AuthedContext) => Promise<Handled>;
    });

const health = async (): Promise<Handled> => ({ response: json({ ok: true }) });

export const ROUTES: readonly RouteDef[] = [
  { method: "GET", path: "/healthz", action: "health", access: "public", audited: false, handler: health },
  {
    method: "GET",
    path: "/docs/errors",
    action: "docs.errors",
    access: "public",
    audited: false,
    handler: errorCatalogPage,
  },
  {
    method: "POST",
    path: "/v1/chat/completions",
    action: "chat.completions",
    access: "tenant",
    scope: "completions",
    audited: true,
    handler: chatCompletions,
  },
  {
    method: "POST",
    path: "/v1/cache/query",
    action: "cache.query",
    access: "tenant",
    scope: "cache:read",
    audited: true,
    handler: cacheQuery,
  },
  {
    method: "POST",
    path: "/v1/admin/keys",
    action: "key.create",
    access: "tenant",
    scope: "keys:manage",
    operator: true,
    audited: true,
    handler: createKey,
  },
  {
    method: "GET",
    path: "/v1/admin/keys",
    action: "key.list",
    access: "tenant",
    scope: "keys:manage",
    operator: true,
    audited: true,
    handler: listKeys,
  },
  {
    method: "GET",
    path: "/v1/admin/keys/:id",
    action: "key.get",
    access: "tenant",
    scope: "keys:manage",
    operator: true,
    audited: true,
    handler: getKey,
  },
  {
    method: "DELETE",
    path: "/v1/admin/keys/:id",
    action: "key.revoke",
    access: "tenant",
    scope: "keys:manage",
    operator: true,
    audited: true,
    handler: revokeKey,
  },
  {
    method: "POST",
    path: "/v1/admin/keys/:id/rotate",
    action: "key.rotate",
    access: "tenant",
    scope: "keys:manage",
    operator: true,
    audited: true,
    handler: rotateKey,
  },
  {
    method: "GET",
    path: "/v1/admin/policy",
    action: "policy.get",
    access: "tenant",
    scope: "policy:manage",
    operator: true,
    audited: true,
    handler: getPolicy,
  },
  {
    method: "PUT",
    path: "/v1/admin/policy",
    action: "policy.update",
    access: "tenant",
    scope: "policy:manage",
    operator: true,
    audited: true,
    handler: putPolicy,
  },
  {
    method: "POST",
    path: "/v1/admin/lockdown",
    action: "tenant.lockdown",
    access: "tenant",
    scope: "keys:manage",
    operator: true,
    audited: true,
    handler: lockdown,
  },
  {
    method: "POST",
    path: "/oauth/token",
    action: "oauth.token",
    access: "public",
    audited: true,
    errors: "oauth",
    handler: token,
  },
  {
    method: "GET",
    path: "/.well-known/jwks.json",
    action: "oauth.jwks",
    access: "public",
    audited: false,
    handler: jwks,
  },
  {
    method: "POST",
    path: "/v1/admin/tenants",
    action: "tenant.create",
    access: "operator",
    audited: true,
    handler: createTenant,
  },
  {
    method: "GET",
    path: "/v1/admin/tenants",
    action: "tenant.list",
    access: "operator",
    audited: true,
    handler: listTenants,
  },
  {
    method: "DELETE",
    path: "/v1/admin/tenants/:id",
    action: "tenant.delete",
    access: "operator",
    audited: true,
    handler: deleteTenant,
  },
];

const byMethod = IttyRouter();
const byPath = IttyRouter();
for (const route of ROUTES) {
  byMethod[route.method.toLowerCase()]!(route.path, () => route);
  byPath.all(route.path, () => route.path);
}

export type RouteMatch =
  | { kind: "found"; route: RouteDef; params: Record<string, string> }
  | { kind: "method_not_allowed"; allow: string[]; path: string }
  | { kind: "not_found" };

export async function matchRoute(method: string, url: URL): Promise<RouteMatch> {
  const probe = { method, url: url.href } as { method: string; url: string; params?: Record<string, string> };
  const route = (await byMethod.fetch(probe)) as RouteDef | undefined;
  if (route) return { kind: "found", route, params: { ...probe.params } };
  const path = (await byPath.fetch({ method, url: url.href })) as string | undefined;
  if (path === undefined) return { kind: "not_found" };
  const allow = ROUTES.filter((r) => r.path === path).map((r) => r.method);
  return { kind: "method_not_allowed", allow, path };
}
