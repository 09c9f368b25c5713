// Shared test helpers: requests through the gateway's fetch as a client would send them, and fixtures made
// through the public admin API (never by writing storage directly).
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import gateway from "../src/gateway/index";
import type { AuditEvent } from "../src/shared/audit-event";

/**
 * The test environment with the production provider path (AI Gateway's endpoints, fetch stubbed by the test)
 * in place of the local provider binding; `extra` adds or overrides variables.
 */
export function aiGatewayEnv(extra: Record<string, string> = {}): CordonGateway.Env {
  return {
    ...env,
    PROVIDER: "ai-gateway",
    AI_GATEWAY_ACCOUNT_ID: "acct0123",
    AI_GATEWAY_ID: "cordon-gw",
    ...extra,
  } as CordonGateway.Env;
}

export const BASE_DOMAIN = "cordon.test";
export const PLATFORM = BASE_DOMAIN;
export const hostOf = (tenant: string) => `${tenant}.${BASE_DOMAIN}`;

export interface CallInit {
  method?: string;
  token?: string | null;
  body?: unknown;
  rawBody?: BodyInit;
  headers?: Record<string, string>;
  scheme?: "https" | "http";
  /** The client address, as Cloudflare's edge would set it (CF-Connecting-IP). */
  ip?: string;
  /** What the platform reports in `request.cf` (country, asn). */
  cf?: { country?: string; asn?: number };
  /** Run the gateway with another environment (another provider, other master keys); default: the test env. */
  env?: CordonGateway.Env;
}

const pending: ExecutionContext[] = [];

/** Waits for everything requests so far deferred with waitUntil (cache stores, audit sends). */
export async function settle(): Promise<void> {
  while (pending.length) await waitOnExecutionContext(pending.shift()!);
}

/** Sends a request to the gateway's fetch handler, as the Workers runtime would. */
export function call(host: string, path: string, init: CallInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.ip !== undefined) headers.set("cf-connecting-ip", init.ip);
  let body: BodyInit | undefined = init.rawBody;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const method = init.method ?? (body === undefined ? "GET" : "POST");
  const ctx = createExecutionContext();
  pending.push(ctx);
  const request = new Request(`${init.scheme ?? "https"}://${host}${path}`, {
    method,
    headers,
    body,
    ...(init.cf ? { cf: init.cf } : {}),
  });
  return gateway.fetch(request, init.env ?? env, ctx);
}

export const rootToken = () => env.ROOT_TOKEN;

let counter = 0;
/** A tenant id unique within the test file (storage is isolated per file). */
export function uniqueTenant(prefix = "t"): string {
  counter += 1;
  return `${prefix}${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function createTenant(id: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await call(PLATFORM, "/v1/admin/tenants", { token: rootToken(), body: { id, ...extra } });
  if (res.status !== 201) throw new Error(`createTenant ${id}: ${res.status} ${await res.text()}`);
}

export async function createKey(tenant: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await call(hostOf(tenant), "/v1/admin/keys", {
    token: rootToken(),
    body: { name: "test", role: "developer", ...body },
  });
  if (res.status !== 201) throw new Error(`createKey ${tenant}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/** A tenant with a developer key, ready for chat requests. */
export async function tenantWithKey(prefix = "t", keyBody: Record<string, unknown> = {}) {
  const tenant = uniqueTenant(prefix);
  await createTenant(tenant);
  return { tenant, host: hostOf(tenant), key: await createKey(tenant, keyBody) };
}

export function chatBody(content: string, extra: Record<string, unknown> = {}) {
  return { model: "gpt-4o-mini", messages: [{ role: "user", content }], ...extra };
}

export async function expectError(res: Response, status: number, code: string, type: string): Promise<void> {
  const { expect } = await import("vitest");
  expect(res.status, `status for ${code}`).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect(body.error).toMatchObject({ code, type, request_id: res.headers.get("x-request-id") });
  expect(typeof body.error.message).toBe("string");
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "request_id", "type"]);
  await expectHelpLink(res, code, body.error.message as string);
}

/** Every error response links its catalogue entry: in the Link header (rel="help") and at the message's end. */
export async function expectHelpLink(res: Response, code: string, message: string): Promise<void> {
  const { expect } = await import("vitest");
  const entry = `https?://[^\\s>]+/docs/errors#${code}`;
  expect(res.headers.get("link"), `Link header for ${code}`).toMatch(new RegExp(`^<${entry}>; rel="help"$`));
  expect(message, `message for ${code}`).toMatch(new RegExp(`See ${entry}\\.$`));
}

/** Every key in both KV namespaces, for asserting that a refused request wrote nothing. */
export async function kvSnapshot(): Promise<string[]> {
  const names: string[] = [];
  for (const [label, ns] of [
    ["TENANTS", env.TENANTS],
    ["CACHE", env.CACHE],
  ] as const) {
    let cursor: string | undefined;
    do {
      const page = await ns.list(cursor ? { cursor } : {});
      names.push(...page.keys.map((k) => `${label}/${k.name}`));
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
  }
  return names.sort();
}

// ── identity: keys, access tokens, policy, and what storage holds ─────────────────────────────────────────

/** A key as the admin API shows it (never a secret or a hash). */
export interface KeyView {
  id: string;
  name: string;
  role: string;
  scopes: string[];
  environment: string;
  cache_scope: "tenant" | "user";
  ip_allowlist: string[];
  rate_limit: { requests: number; window_seconds: number } | null;
  status: "active" | "rotating" | "expired" | "revoked";
  created_at: string;
  created_by: string;
  expires_at: string | null;
  last_used_at: string | null;
  rotated_at: string | null;
  previous_secret_expires_at: string | null;
  revoked_at: string | null;
}

/** A key made through the admin API (by the operator unless `token` says otherwise): its view and secret. */
export async function newKey(
  tenant: string,
  body: Record<string, unknown> = {},
  init: { token?: string; ip?: string } = {},
): Promise<KeyView & { key: string }> {
  const res = await call(hostOf(tenant), "/v1/admin/keys", {
    token: init.token ?? rootToken(),
    body: { name: "test", role: "developer", ...body },
    ...(init.ip === undefined ? {} : { ip: init.ip }),
  });
  if (res.status !== 201) throw new Error(`newKey ${tenant}: ${res.status} ${await res.text()}`);
  return (await res.json()) as KeyView & { key: string };
}

/** The key's view, read by the operator. */
export async function keyViewOf(tenant: string, id: string): Promise<KeyView> {
  const res = await call(hostOf(tenant), `/v1/admin/keys/${id}`, { token: rootToken() });
  if (res.status !== 200) throw new Error(`keyViewOf ${id}: ${res.status} ${await res.text()}`);
  return (await res.json()) as KeyView;
}

export interface TokenRequest {
  /** client_secret_basic (default) or client_secret_post. */
  auth?: "basic" | "post";
  scope?: string;
  grantType?: string | null;
  ip?: string;
  /** Extra form fields, appended as given (repeats included). */
  extra?: [string, string][];
}

/** POST /oauth/token with client credentials (an API key's id and secret). */
export function requestToken(host: string, id: string, secret: string, req: TokenRequest = {}): Promise<Response> {
  const form = new URLSearchParams();
  if (req.grantType !== null) form.append("grant_type", req.grantType ?? "client_credentials");
  if (req.scope !== undefined) form.append("scope", req.scope);
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if ((req.auth ?? "basic") === "basic") {
    headers.authorization = `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;
  } else {
    form.append("client_id", id);
    form.append("client_secret", secret);
  }
  for (const [k, v] of req.extra ?? []) form.append(k, v);
  return call(host, "/oauth/token", {
    method: "POST",
    rawBody: form.toString(),
    headers,
    ...(req.ip === undefined ? {} : { ip: req.ip }),
  });
}

/** An access token for the key, or an error naming what the token endpoint said. */
export async function accessTokenFor(host: string, id: string, secret: string, req: TokenRequest = {}) {
  const res = await requestToken(host, id, secret, req);
  if (res.status !== 200) throw new Error(`accessTokenFor ${id}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The OAuth 2.0 error shape of the token endpoint (RFC 6749 §5.2). */
export async function expectOAuthError(res: Response, status: number, error: string): Promise<void> {
  const { expect } = await import("vitest");
  expect(res.status, `status for ${error}`).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("pragma")).toBe("no-cache");
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ error, request_id: res.headers.get("x-request-id") });
  expect(typeof body.error_description).toBe("string");
  expect(body.error_uri).toMatch(new RegExp(`/docs/errors#${error}$`));
  expect(Object.keys(body).sort()).toEqual(["error", "error_description", "error_uri", "request_id"]);
  await expectHelpLink(res, error, body.error_description as string);
}

export type Policy = Record<string, unknown>;

export async function policyOf(tenant: string): Promise<Policy> {
  const res = await call(hostOf(tenant), "/v1/admin/policy", { token: rootToken() });
  if (res.status !== 200) throw new Error(`policyOf ${tenant}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { policy: Policy }).policy;
}

/** Sets some fields of the tenant's policy, as the operator. */
export async function setPolicy(tenant: string, fields: Policy): Promise<Policy> {
  const res = await call(hostOf(tenant), "/v1/admin/policy", {
    method: "PUT",
    token: rootToken(),
    body: { ...(await policyOf(tenant)), ...fields },
  });
  if (res.status !== 200) throw new Error(`setPolicy ${tenant}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { policy: Policy }).policy;
}

/** The tenant's Durable Object, the authority for its keys. */
export const tenantObjectOf = (tenant: string) => env.TENANT_OBJECT.get(env.TENANT_OBJECT.idFromName(tenant));

/** Every name and value in both KV namespaces: a refused request must change none. */
export async function kvContents(): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const name of await kvSnapshot()) {
    const [label, key] = [name.slice(0, name.indexOf("/")), name.slice(name.indexOf("/") + 1)];
    out[name] = await (label === "TENANTS" ? env.TENANTS : env.CACHE).get(key);
  }
  return out;
}

/** The audit events stored in D1 so far (every tenant), parsed. */
export async function storedAuditEvents(): Promise<Record<string, unknown>[]> {
  const rows = (await env.AUDIT_DB.prepare("SELECT event FROM audit_events").all<{ event: string }>()).results;
  return rows.map((r) => JSON.parse(r.event) as Record<string, unknown>);
}

/** Waits until the Queue has delivered an audit event matching `match` to D1, and returns it. */
export async function auditEventWhere(
  match: (event: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const { expect, vi } = await import("vitest");
  let found: Record<string, unknown> | undefined;
  await vi.waitFor(
    async () => {
      found = (await storedAuditEvents()).find(match);
      expect(found, "audit event").toBeDefined();
    },
    { timeout: 5000, interval: 25 },
  );
  return found!;
}

/** Every key of the CACHE namespace that belongs to `tenant` (raw storage, no gateway code involved). */
export async function cacheKvKeys(tenant: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.CACHE.list({ prefix: `${tenant}:`, ...(cursor ? { cursor } : {}) });
    names.push(...page.keys.map((k) => k.name));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return names.sort();
}

export interface ObjectCounts {
  entries: number;
  vectors: number;
  user_salts: number;
  pending_deletes: number;
}

/** Row counts of the cache tables in the tenant's object, read from its SQLite storage directly. */
export function objectCounts(tenant: string): Promise<ObjectCounts> {
  return runInDurableObject(tenantObjectOf(tenant), (_, state) => {
    const count = (table: string) =>
      state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
    return {
      entries: count("entries"),
      vectors: count("vectors"),
      user_salts: count("user_salts"),
      pending_deletes: count("pending_deletes"),
    };
  });
}

/** The tenant's audit events stored in D1 (raw rows), waiting until at least `atLeast` have come through. */
export async function auditEvents(tenant: string, atLeast = 1): Promise<{ event: AuditEvent; raw: string }[]> {
  const { expect, vi } = await import("vitest");
  let rows: { event: string }[] = [];
  await vi.waitFor(
    async () => {
      rows = (
        await env.AUDIT_DB.prepare("SELECT * FROM audit_events WHERE tenant = ? ORDER BY seq")
          .bind(tenant)
          .all<{ event: string }>()
      ).results;
      expect(rows.length).toBeGreaterThanOrEqual(atLeast);
    },
    { timeout: 10_000, interval: 25 },
  );
  return rows.map((r) => ({ event: JSON.parse(r.event) as AuditEvent, raw: JSON.stringify(r) }));
}

/** The audit event of one request (by its x-request-id), once it has come through the Queue into D1. */
export async function auditEventOf(tenant: string, requestId: string | null): Promise<AuditEvent> {
  const { expect, vi } = await import("vitest");
  let found: AuditEvent | undefined;
  await vi.waitFor(
    async () => {
      const rows = (
        await env.AUDIT_DB.prepare("SELECT event FROM audit_events WHERE tenant = ?")
          .bind(tenant)
          .all<{ event: string }>()
      ).results;
      found = rows.map((r) => JSON.parse(r.event) as AuditEvent).find((e) => e.request_id === requestId);
      expect(found, `audit event of ${requestId}`).toBeDefined();
    },
    { timeout: 10_000, interval: 25 },
  );
  return found!;
}
