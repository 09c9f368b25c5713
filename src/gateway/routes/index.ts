// Route matching: each action of the route table (table.ts) bound to its handler. itty-router only matches;
// the pipeline runs each step.
import { IttyRouter } from "itty-router";
import type { AuthedContext, Handled, RequestContext } from "../context";
import { dashboardAsset, dashboardPage } from "../dashboard/assets";
import { createSession, deleteSession, getSession } from "../dashboard/session";
import { ssoCallback, ssoStart } from "../dashboard/sso";
import { json } from "../http/respond";
import type { Scope } from "../policy/scopes";
import { createKey, getKey, listKeys, revokeKey, rotateKey } from "./admin-keys";
import { rewrapMasterKey } from "./admin-master-key";
import { getPolicy, lockdown, putPolicy } from "./admin-policy";
import { createTenant, deleteTenant, listTenants } from "./admin-tenants";
import { createVirtualKey, deleteVirtualKey, listVirtualKeys } from "./admin-virtual-keys";
import { analytics, deadLetters, listAudit, replayDeadLetter, verifyAudit } from "./audit";
import { deleteEntry, erase, exportUser, getEntry } from "./cache-entries";
import { listEntries } from "./cache-entry-list";
import { cacheQuery } from "./cache-query";
import { chatCompletions } from "./chat-completions";
import { errorCatalogPage, openApiDocument } from "./docs";
import { embeddings } from "./embeddings";
import { getModel, listModels } from "./models";
import { jwks, token } from "./oauth";
import { cancelResponse, deleteResponse, listInputItems, responses, retrieveResponse } from "./responses";
import { ROUTE_TABLE, type RouteAction, type RouteSpec } from "./table";

type Entry = (typeof ROUTE_TABLE)[number];
type HandlerOf<E> = E extends { access: "tenant" }
  ? (rc: AuthedContext) => Promise<Handled>
  : (rc: RequestContext) => Promise<Handled>;

/** One handler per action; the type makes a missing one, or one for the wrong context, a compile error. */
const HANDLERS: { [A in RouteAction]: HandlerOf<Extract<Entry, { action: A }>> } = {
  health: async () => ({ response: json({ ok: true }) }),
  "docs.errors": errorCatalogPage,
  "docs.openapi": openApiDocument,
  "oauth.token": token,
  "oauth.jwks": jwks,
  "chat.completions": chatCompletions,
  "models.list": listModels,
  "models.get": getModel,
  "embeddings.create": embeddings,
  "cache.query": cacheQuery,
  "cache.entry.list": listEntries,
  "cache.entry.get": getEntry,
  "cache.entry.delete": deleteEntry,
  "cache.erase": erase,
  "cache.export": exportUser,
  "responses.create": responses,
  "responses.retrieve": retrieveResponse,
  "responses.delete": deleteResponse,
  "responses.cancel": cancelResponse,
  "responses.input_items.list": listInputItems,
  "key.create": createKey,
  "key.list": listKeys,
  "key.get": getKey,
  "key.revoke": revokeKey,
  "key.rotate": rotateKey,
  "virtual_key.create": createVirtualKey,
  "virtual_key.list": listVirtualKeys,
  "virtual_key.delete": deleteVirtualKey,
  "policy.get": getPolicy,
  "policy.update": putPolicy,
  "tenant.lockdown": lockdown,
  "tenant.create": createTenant,
  "tenant.list": listTenants,
  "tenant.delete": deleteTenant,
  "master_key.rewrap": rewrapMasterKey,
  "audit.list": listAudit,
  "audit.verify": verifyAudit,
  "analytics.read": analytics,
  "audit.dead_letters": deadLetters,
  "audit.dead_letter.replay": replayDeadLetter,
  "dashboard.page": dashboardPage,
  "dashboard.asset": dashboardAsset,
  "dashboard.session.create": createSession,
  "dashboard.session.get": getSession,
  "dashboard.session.delete": deleteSession,
  "dashboard.sso.start": ssoStart,
  "dashboard.sso.callback": ssoCallback,
};

export type RouteDef =
  | (RouteSpec & { readonly access: "public" | "operator"; readonly handler: (rc: RequestContext) => Promise<Handled> })
  | (RouteSpec & {
      readonly access: "tenant";
      readonly scope: Scope | null;
      readonly handler: (rc: AuthedContext) => Promise<Handled>;
    });

export const ROUTES: readonly RouteDef[] = ROUTE_TABLE.map(
  (spec) => ({ ...spec, handler: HANDLERS[spec.action] }) as RouteDef,
);

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

/**
 * The route a request names. HEAD is served as GET (RFC 9110 §9.3.2): it matches the GET route of its path, and
 * goes through every step a GET does; the pipeline sends the answer without its body. A 405's Allow lists HEAD
 * wherever it lists GET.
 */
export async function matchRoute(method: string, url: URL): Promise<RouteMatch> {
  const probe = { method: method === "HEAD" ? "GET" : method, url: url.href } as {
    method: string;
    url: string;
    params?: Record<string, string>;
  };
  const route = (await byMethod.fetch(probe)) as RouteDef | undefined;
  if (route) return { kind: "found", route, params: { ...probe.params } };
  const path = (await byPath.fetch({ method, url: url.href })) as string | undefined;
  if (path === undefined) return { kind: "not_found" };
  const allow = ROUTES.filter((r) => r.path === path).flatMap((r) =>
    r.method === "GET" ? ["GET", "HEAD"] : [r.method],
  );
  return { kind: "method_not_allowed", allow, path };
}
