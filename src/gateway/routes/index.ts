// The route table: path, method, where it is served (platform host or tenant host), who may call it, and the
// audit action it records. itty-router only matches; the pipeline (../index.ts) runs each step.
import { IttyRouter } from "itty-router";
import type { AuthedContext, RequestContext } from "../context";
import { json } from "../http/respond";
import type { Scope } from "../policy/scopes";
import { createKey, listKeys } from "./admin-keys";
import { createTenant, deleteTenant, listTenants } from "./admin-tenants";
import { cacheQuery } from "./cache-query";
import { chatCompletions } from "./chat-completions";

export type RouteDef =
  /** Any host, no credentials. */
  | {
      method: string;
      path: string;
      action: string;
      access: "public";
      handler: (rc: RequestContext) => Promise<Response>;
    }
  /** Platform host, ROOT_TOKEN only. */
  | {
      method: string;
      path: string;
      action: string;
      access: "operator";
      handler: (rc: RequestContext) => Promise<Response>;
    }
  /** Tenant host, a key with `scope` (or ROOT_TOKEN where `operator` is set). */
  | {
      method: string;
      path: string;
      action: string;
      access: "tenant";
      scope: Scope;
      operator?: boolean;
      handler: (rc: AuthedContext) => Promise<Response>;
    };

const health = async () => json({ ok: true });

export const ROUTES: readonly RouteDef[] = [
  { method: "GET", path: "/healthz", action: "health", access: "public", handler: health },
  {
    method: "POST",
    path: "/v1/chat/completions",
    action: "chat.completions",
    access: "tenant",
    scope: "completions",
    handler: chatCompletions,
  },
  {
    method: "POST",
    path: "/v1/cache/query",
    action: "cache.query",
    access: "tenant",
    scope: "cache:read",
    handler: cacheQuery,
  },
  {
    method: "POST",
    path: "/v1/admin/keys",
    action: "key.create",
    access: "tenant",
    scope: "keys:manage",
    operator: true,
    handler: createKey,
  },
  {
    method: "GET",
    path: "/v1/admin/keys",
    action: "key.list",
    access: "tenant",
    scope: "keys:manage",
    operator: true,
    handler: listKeys,
  },
  { method: "POST", path: "/v1/admin/tenants", action: "tenant.create", access: "operator", handler: createTenant },
  { method: "GET", path: "/v1/admin/tenants", action: "tenant.list", access: "operator", handler: listTenants },
  {
    method: "DELETE",
    path: "/v1/admin/tenants/:id",
    action: "tenant.delete",
    access: "operator",
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
