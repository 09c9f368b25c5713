// Every route of the route table called with every credential: each role's API key, the operator token and no
// credential, on the host the route is served on, with input the handler accepts. The expected outcome of each
// cell is test/fixtures/access-expectations.ts, the same function that generates the access table of
// docs/security.md — so the table a reviewer reads is the behaviour proven here. Access tokens of each role
// follow, on the same routes: they hold their key's scopes but no role.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ERROR_CATALOG } from "../../src/gateway/http/error-catalog";
import { ROLE_SCOPES, ROLES, type Role } from "../../src/gateway/policy/scopes";
import { ROUTE_TABLE, type RouteAction, type RouteSpec } from "../../src/gateway/routes/table";
import { deadLetterEnvelope } from "../../src/logger/dead-letters";
import { CREDENTIALS, type Credential, expectedAccess } from "../fixtures/access-expectations";
import { DLQ, deliverTo, messageId } from "../fixtures/logger";
import {
  accessTokenFor,
  type CallInit,
  call,
  chatBody,
  createTenant,
  expectError,
  hostOf,
  kvSnapshot,
  newKey,
  PLATFORM,
  policyOf,
  rootToken,
  settle,
  uniqueTenant,
} from "../helpers";

/** A tenant and the credential under test. */
interface World {
  tenant: string;
  host: string;
  /** The bearer credential sent, or null for none. */
  bearer: string | null;
}

interface Sent {
  host: string;
  path: string;
  init: CallInit;
  /** The status a handler answers this valid input with, once admitted. */
  ok: number;
}

/**
 * A key for the routes that act on one. It expires before any access token of the run, so that a token, which
 * may only act on keys it could have created (never one outliving it), is admitted like a key.
 */
const targetKey = async (w: World) =>
  (await newKey(w.tenant, { name: "target", role: "viewer", expires_at: new Date(Date.now() + 600_000).toISOString() }))
    .id;

let entries = 0;

/** An entry of the world's tenant cache, stored by a miss answered to an owner key. */
async function cachedEntry(w: World): Promise<string> {
  const owner = await newKey(w.tenant, { name: "entry maker", role: "owner" });
  const res = await call(w.host, "/v1/chat/completions", {
    token: owner.key,
    body: chatBody(`Which entry is number ${++entries} of the role matrix?`),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  await res.arrayBuffer();
  await settle();
  const id = res.headers.get("x-cache-entry-id");
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  return id!;
}

/** A virtual key of the world's tenant, created by the operator. */
async function virtualKey(w: World): Promise<string> {
  const res = await call(w.host, "/v1/admin/virtual-keys", {
    token: rootToken(),
    body: { name: "doomed", provider: "openai", api_key: "sk-role-matrix-doomed" },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** A dead letter kept by the logger (a refused event), for the replay route. */
async function deadLetter(): Promise<number> {
  const id = messageId("rm-dlq");
  const message = { id: messageId("rm-orig"), attempts: 1, body: { status: 999 } } as Message<unknown>;
  await deliverTo(DLQ, [{ id, body: deadLetterEnvelope(message, "invalid", "status: Too big", null) }]);
  const row = await env.AUDIT_DB.prepare("SELECT id FROM audit_dead_letters WHERE dlq_message_id = ?")
    .bind(id)
    .first<{ id: number }>();
  return row!.id;
}

/** A dashboard session of a viewer key of the world's tenant, as its Cookie header. */
async function dashboardCookie(w: World): Promise<string> {
  const key = await newKey(w.tenant, { name: "dashboard", role: "viewer" });
  const res = await call(w.host, "/dashboard/session", {
    body: { api_key: key.key },
    headers: { origin: `https://${w.host}` },
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.headers.get("set-cookie")!.split(";")[0]!;
}

/** Valid input for every action of the route table (a route added without one here is a compile error). */
const REQUESTS: Record<RouteAction, (w: World) => Promise<Sent>> = {
  health: async (w) => ({ host: w.host, path: "/healthz", init: {}, ok: 200 }),
  "docs.errors": async (w) => ({ host: w.host, path: "/docs/errors", init: {}, ok: 200 }),
  "docs.openapi": async (w) => ({ host: w.host, path: "/openapi.json", init: {}, ok: 200 }),
  "oauth.jwks": async (w) => ({ host: w.host, path: "/.well-known/jwks.json", init: {}, ok: 200 }),
  "oauth.token": async (w) => {
    const client = await newKey(w.tenant, { name: "client", role: "service" });
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: client.id,
      client_secret: client.key,
    });
    return {
      host: w.host,
      path: "/oauth/token",
      init: {
        method: "POST",
        rawBody: form.toString(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      },
      // The client authenticates in the form; a bearer credential next to it is a second method (RFC 6749 §2.3).
      ok: w.bearer === null ? 200 : 400,
    };
  },
  "chat.completions": async (w) => ({
    host: w.host,
    path: "/v1/chat/completions",
    init: { body: chatBody("What does the role matrix check?") },
    ok: 200,
  }),
  "cache.query": async (w) => ({
    host: w.host,
    path: "/v1/cache/query",
    init: { body: { prompt: "What does the role matrix check?", model: "gpt-4o-mini" } },
    ok: 200,
  }),
  "models.list": async (w) => ({ host: w.host, path: "/v1/models", init: {}, ok: 200 }),
  "models.get": async (w) => ({ host: w.host, path: "/v1/models/gpt-4o-mini", init: {}, ok: 200 }),
  "embeddings.create": async (w) => ({
    host: w.host,
    path: "/v1/embeddings",
    init: { body: { model: "text-embedding-3-small", input: "What does the role matrix check?" } },
    ok: 200,
  }),
  "cache.entry.get": async (w) => ({
    host: w.host,
    path: `/v1/cache/entries/${await cachedEntry(w)}`,
    init: {},
    ok: 200,
  }),
  "cache.entry.delete": async (w) => ({
    host: w.host,
    path: `/v1/cache/entries/${await cachedEntry(w)}`,
    init: { method: "DELETE" },
    ok: 200,
  }),
  "cache.erase": async (w) => ({ host: w.host, path: "/v1/cache/erase", init: { body: { user: "erased" } }, ok: 200 }),
  "cache.export": async (w) => ({ host: w.host, path: "/v1/cache/export?user=exported", init: {}, ok: 200 }),
  "responses.create": async (w) => ({
    host: w.host,
    path: "/v1/responses",
    init: { body: { model: "gpt-4o-mini", input: "What does the role matrix check?", store: false } },
    ok: 200,
  }),
  // Admitted, a response no request of the tenant stored is 404 response_not_found (the provider is not asked).
  "responses.retrieve": async (w) => ({ host: w.host, path: "/v1/responses/resp_matrix", init: {}, ok: 404 }),
  "responses.delete": async (w) => ({
    host: w.host,
    path: "/v1/responses/resp_matrix",
    init: { method: "DELETE" },
    ok: 404,
  }),
  "responses.cancel": async (w) => ({
    host: w.host,
    path: "/v1/responses/resp_matrix/cancel",
    init: { method: "POST" },
    ok: 404,
  }),
  "responses.input_items.list": async (w) => ({
    host: w.host,
    path: "/v1/responses/resp_matrix/input_items",
    init: {},
    ok: 404,
  }),
  "cache.entry.list": async (w) => ({ host: w.host, path: "/v1/cache/entries?limit=5", init: {}, ok: 200 }),
  // The dashboard: public routes that authenticate their sign-in themselves (test/integration/dashboard-*.test.ts).
  "dashboard.page": async (w) => ({ host: w.host, path: "/dashboard", init: {}, ok: 200 }),
  "dashboard.asset": async (w) => ({ host: w.host, path: "/dashboard/assets/app-test.js", init: {}, ok: 200 }),
  "dashboard.session.create": async (w) => ({
    host: w.host,
    path: "/dashboard/session",
    init: {
      body: { api_key: (await newKey(w.tenant, { name: "dashboard", role: "viewer" })).key },
      headers: { origin: `https://${w.host}` },
    },
    ok: 200,
  }),
  "dashboard.session.get": async (w) => ({
    host: w.host,
    path: "/dashboard/session",
    init: { headers: { cookie: await dashboardCookie(w) } },
    ok: 200,
  }),
  "dashboard.session.delete": async (w) => ({
    host: w.host,
    path: "/dashboard/logout",
    init: { method: "POST", headers: { origin: `https://${w.host}` } },
    ok: 200,
  }),
  // Single sign-on needs an OpenID Provider: the matrix's tenants have none, which both routes say (the flow
  // itself is in test/integration/dashboard-sso.test.ts).
  "dashboard.sso.start": async (w) => ({ host: w.host, path: "/dashboard/sso/start", init: {}, ok: 404 }),
  "dashboard.sso.callback": async (w) => ({
    host: w.host,
    path: "/dashboard/sso/callback?state=s&code=c",
    init: {},
    ok: 404,
  }),
  "audit.list": async (w) => ({ host: w.host, path: "/v1/audit?limit=5", init: {}, ok: 200 }),
  "audit.verify": async (w) => ({ host: w.host, path: "/v1/audit/verify", init: {}, ok: 200 }),
  "analytics.read": async (w) => ({ host: w.host, path: "/v1/analytics?group_by=model", init: {}, ok: 200 }),
  "virtual_key.create": async (w) => ({
    host: w.host,
    path: "/v1/admin/virtual-keys",
    init: { body: { name: "upstream", provider: "openai", api_key: "sk-role-matrix-0000" } },
    ok: 201,
  }),
  "virtual_key.list": async (w) => ({ host: w.host, path: "/v1/admin/virtual-keys", init: {}, ok: 200 }),
  "virtual_key.delete": async (w) => ({
    host: w.host,
    path: `/v1/admin/virtual-keys/${await virtualKey(w)}`,
    init: { method: "DELETE" },
    ok: 200,
  }),
  "key.create": async (w) => ({
    host: w.host,
    path: "/v1/admin/keys",
    init: { body: { name: "made", role: "viewer" } },
    ok: 201,
  }),
  "key.list": async (w) => ({ host: w.host, path: "/v1/admin/keys", init: {}, ok: 200 }),
  "key.get": async (w) => ({ host: w.host, path: `/v1/admin/keys/${await targetKey(w)}`, init: {}, ok: 200 }),
  "key.revoke": async (w) => ({
    host: w.host,
    path: `/v1/admin/keys/${await targetKey(w)}`,
    init: { method: "DELETE" },
    ok: 200,
  }),
  "key.rotate": async (w) => ({
    host: w.host,
    path: `/v1/admin/keys/${await targetKey(w)}/rotate`,
    init: { body: { grace_seconds: 60 } },
    ok: 200,
  }),
  "policy.get": async (w) => ({ host: w.host, path: "/v1/admin/policy", init: {}, ok: 200 }),
  "policy.update": async (w) => ({
    host: w.host,
    path: "/v1/admin/policy",
    init: { method: "PUT", body: await policyOf(w.tenant) },
    ok: 200,
  }),
  "tenant.lockdown": async (w) => ({ host: w.host, path: "/v1/admin/lockdown", init: { method: "POST" }, ok: 200 }),
  "tenant.create": async () => ({
    host: PLATFORM,
    path: "/v1/admin/tenants",
    init: { body: { id: uniqueTenant("made") } },
    ok: 201,
  }),
  "master_key.rewrap": async () => ({
    host: PLATFORM,
    path: "/v1/admin/master-key/rewrap?limit=1",
    init: { method: "POST" },
    ok: 200,
  }),
  "audit.dead_letters": async () => ({ host: PLATFORM, path: "/v1/admin/audit/dead-letters", init: {}, ok: 200 }),
  "audit.dead_letter.replay": async () => ({
    host: PLATFORM,
    path: `/v1/admin/audit/dead-letters/${await deadLetter()}/replay`,
    init: { method: "POST" },
    ok: 200,
  }),
  "tenant.list": async () => ({ host: PLATFORM, path: "/v1/admin/tenants", init: {}, ok: 200 }),
  "tenant.delete": async () => {
    const doomed = uniqueTenant("doomed");
    await createTenant(doomed);
    return { host: PLATFORM, path: `/v1/admin/tenants/${doomed}`, init: { method: "DELETE" }, ok: 200 };
  },
};

/** The exact refusal of a cell the expectation marks 401 or 403 (the status is checked against it). */
function refusalOf(route: RouteSpec, credential: Credential): keyof typeof ERROR_CATALOG {
  if (credential === "none") return "missing_api_key";
  if (route.access === "operator") return "operator_only";
  if (credential === "operator") return "operator_not_allowed";
  if (route.scope && !ROLE_SCOPES[credential].includes(route.scope)) return "insufficient_scope";
  return "owner_only";
}

const TYPE_OF_STATUS: Record<number, string> = { 401: "authentication_error", 403: "permission_error" };

const worlds = new Map<Credential, Promise<World>>();

/** The credential's world, shared by its cells; a fresh one where the route changes the tenant for good. */
function worldFor(credential: Credential, route: RouteSpec): Promise<World> {
  if (route.action === "tenant.lockdown") return newWorld(credential);
  let w = worlds.get(credential);
  if (!w) {
    w = newWorld(credential);
    worlds.set(credential, w);
  }
  return w;
}

async function newWorld(credential: Credential): Promise<World> {
  const tenant = uniqueTenant("rm");
  await createTenant(tenant);
  const bearer =
    credential === "none"
      ? null
      : credential === "operator"
        ? rootToken()
        : (await newKey(tenant, { name: `${credential} key`, role: credential })).key;
  return { tenant, host: hostOf(tenant), bearer };
}

/** A refused request changes nothing: same KV names, same tenant record. */
async function storageState(tenant: string) {
  return { names: await kvSnapshot(), tenantRecord: await env.TENANTS.get(`_tenant:${tenant}`) };
}

const label = (r: RouteSpec) => `${r.method} ${r.path}`;
const cells = ROUTE_TABLE.flatMap((route) =>
  CREDENTIALS.map((credential) => [label(route), credential, expectedAccess(route, credential), route] as const),
);

describe("every route × every credential, as docs/security.md states it", () => {
  it("covers every route of the table and every credential", () => {
    expect(cells).toHaveLength(ROUTE_TABLE.length * CREDENTIALS.length);
    expect(new Set(cells.map(([path]) => path)).size).toBe(ROUTE_TABLE.length);
  });

  it.each(cells)("%s with %s → %s", async (_label, credential, expected, route) => {
    const w = await worldFor(credential, route);
    const sent = await REQUESTS[route.action](w);
    await settle();
    const before = await storageState(w.tenant);
    const res = await call(sent.host, sent.path, { ...sent.init, token: w.bearer });

    if (expected === "✓") {
      const text = new TextDecoder().decode(await res.arrayBuffer());
      expect(res.status, text).toBe(sent.ok);
      return;
    }
    const code = refusalOf(route, credential);
    expect(String(ERROR_CATALOG[code].status)).toBe(expected);
    await expectError(res, Number(expected), code, TYPE_OF_STATUS[Number(expected)]!);
    await settle();
    expect(await storageState(w.tenant)).toEqual(before);
  });
});

/** Access tokens carry their key's scopes and no role; they are valid on their own tenant's host only. */
function expectedForToken(route: RouteSpec, role: Role): { status: "✓" | 401 | 403; code?: string } {
  if (route.access === "public") return { status: "✓" };
  if (route.access === "operator") return { status: 401, code: "invalid_token" }; // the platform host names no tenant
  if (route.scope && !ROLE_SCOPES[role].includes(route.scope)) return { status: 403, code: "insufficient_scope" };
  if (route.roles) return { status: 403, code: "owner_only" };
  return { status: "✓" };
}

const tokenCells = ROUTE_TABLE.flatMap((route) => ROLES.map((role) => [label(route), role, route] as const));
const tokenWorlds = new Map<Role, Promise<World & { token: string }>>();

/** A tenant with an access token minted for a key of the role (no token can lock a tenant down: shared). */
function tokenWorld(role: Role): Promise<World & { token: string }> {
  let w = tokenWorlds.get(role);
  if (!w) {
    w = (async () => {
      const base = await newWorld("none");
      const key = await newKey(base.tenant, { name: `${role} client`, role });
      return { ...base, token: await accessTokenFor(base.host, key.id, key.key) };
    })();
    tokenWorlds.set(role, w);
  }
  return w;
}

describe("access tokens of every role on every route", () => {
  it.each(tokenCells)("%s with an access token of a %s key", async (_label, role, route) => {
    const w = await tokenWorld(role);
    const token = w.token;
    const sent = await REQUESTS[route.action](w);
    await settle();
    const before = await storageState(w.tenant);
    const res = await call(sent.host, sent.path, { ...sent.init, token });
    const expected = expectedForToken(route, role);
    if (expected.status === "✓") {
      const text = new TextDecoder().decode(await res.arrayBuffer());
      // The token endpoint refuses a bearer credential next to the form's client (400), as for API keys.
      expect(res.status, text).toBe(route.action === "oauth.token" ? 400 : sent.ok);
      return;
    }
    await expectError(res, expected.status, expected.code!, TYPE_OF_STATUS[expected.status]!);
    await settle();
    expect(await storageState(w.tenant)).toEqual(before);
  });
});
