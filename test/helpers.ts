// Shared test helpers: requests through the gateway's fetch as a client would send them, and fixtures made
// through the public admin API (never by writing storage directly).
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import gateway from "../src/gateway/index";
import type { AuditEvent } from "../src/shared/audit-event";

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
  let body: BodyInit | undefined = init.rawBody;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const method = init.method ?? (body === undefined ? "GET" : "POST");
  const ctx = createExecutionContext();
  pending.push(ctx);
  return gateway.fetch(
    new Request(`${init.scheme ?? "https"}://${host}${path}`, { method, headers, body }),
    init.env ?? env,
    ctx,
  );
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

/** The tenant's Durable Object, as the gateway addresses it. */
export const tenantObjectOf = (tenant: string) => env.TENANT_OBJECT.get(env.TENANT_OBJECT.idFromName(tenant));

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

/** Replaces part of the tenant's policy the way an administrator does: GET the whole object, PUT it back. */
export async function setPolicy(tenant: string, patch: Record<string, unknown>): Promise<void> {
  const got = await call(hostOf(tenant), "/v1/admin/policy", { token: rootToken() });
  if (got.status !== 200) throw new Error(`GET policy ${tenant}: ${got.status} ${await got.text()}`);
  const { policy } = (await got.json()) as { policy: Record<string, unknown> };
  const put = await call(hostOf(tenant), "/v1/admin/policy", {
    method: "PUT",
    token: rootToken(),
    body: { ...policy, ...patch },
  });
  if (put.status !== 200) throw new Error(`PUT policy ${tenant}: ${put.status} ${await put.text()}`);
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
