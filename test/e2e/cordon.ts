// The gateway under `wrangler dev`, as Node-side suites see it: its port, the operator token, and helpers that
// make tenants and keys through the public admin API.
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { type Reply, request } from "./client";

export const cordon = () => inject("cordon");

export const hostOf = (tenant: string) => `${tenant}.${cordon().baseDomain}`;

export function call(
  method: string,
  host: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return request(cordon().port, method, host, path, opts);
}

export function uniqueTenant(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

export async function tenantWithKey(prefix: string, key: Record<string, unknown> = {}) {
  const tenant = uniqueTenant(prefix);
  const created = await call("POST", cordon().baseDomain, "/v1/admin/tenants", {
    token: cordon().rootToken,
    body: { id: tenant },
  });
  if (created.status !== 201) throw new Error(`creating tenant: ${created.status} ${created.text}`);
  const made = await call("POST", hostOf(tenant), "/v1/admin/keys", {
    token: cordon().rootToken,
    body: { name: "e2e", role: "developer", ...key },
  });
  if (made.status !== 201) throw new Error(`creating key: ${made.status} ${made.text}`);
  return { tenant, host: hostOf(tenant), key: made.json<{ key: string }>().key };
}
