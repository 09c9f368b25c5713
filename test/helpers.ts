// Shared test helpers: requests through the gateway's fetch as a client would send them, and fixtures made
// through the public admin API (never by writing storage directly).
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import gateway from "../src/gateway/index";

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
  return gateway.fetch(new Request(`${init.scheme ?? "https"}://${host}${path}`, { method, headers, body }), env, ctx);
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
