// What the SDK suites share: a fresh tenant with a developer key for the client and an admin key for reading
// the audit trail, the base URL a user would configure (`http://{tenant}.localhost:{port}/v1`), and polling.
import "../../examples/resolve-localhost.mjs";
import { expect } from "vitest";
import { call, cordon, tenantWithKey } from "./cordon";

export interface SdkTenant {
  tenant: string;
  host: string;
  /** The developer key the clients use. */
  key: string;
  /** An admin key, for the audit trail. */
  adminKey: string;
  baseURL: string;
}

export async function sdkTenant(prefix: string): Promise<SdkTenant> {
  const t = await tenantWithKey(prefix);
  const admin = await call("POST", t.host, "/v1/admin/keys", {
    token: cordon().rootToken,
    body: { name: "e2e-admin", role: "admin" },
  });
  if (admin.status !== 201) throw new Error(`creating admin key: ${admin.status} ${admin.text}`);
  return { ...t, adminKey: admin.json<{ key: string }>().key, baseURL: `http://${t.host}:${cordon().port}/v1` };
}

/** One audit event as GET /v1/audit returns it (the fields these suites read). */
export interface AuditEvent {
  request_id: string;
  action: string;
  outcome: string;
  status: number;
  code: string | null;
  reason: string | null;
  cache: string | null;
  entry_id: string | null;
  model: string | null;
  upstream: { target: string; outcome: string; status: number | null; latency_ms: number }[] | null;
}

/** The tenant's audit events for one action, newest first, as its admin reads them over the API. */
export async function auditEvents(t: SdkTenant, action: string): Promise<AuditEvent[]> {
  const res = await call("GET", t.host, `/v1/audit?action=${encodeURIComponent(action)}&limit=100`, {
    token: t.adminKey,
  });
  if (res.status !== 200) throw new Error(`reading the audit trail: ${res.status} ${res.text}`);
  return res.json<{ data: AuditEvent[] }>().data;
}

/** Waits (the audit Queue delivers in batches) until `pick` finds what it looks for among the events. */
export async function auditEventsUntil<T>(
  t: SdkTenant,
  action: string,
  pick: (events: AuditEvent[]) => T | undefined,
): Promise<T> {
  let found: T | undefined;
  await expect
    .poll(
      async () => {
        found = pick(await auditEvents(t, action));
        return found !== undefined;
      },
      { timeout: 10_000, interval: 250 },
    )
    .toBe(true);
  return found!;
}

/** Repeats `ask` until the cache answers it (an answer is stored after the response that carried it). */
export async function untilCached<T>(ask: () => Promise<T>, cacheOf: (result: T) => string | null): Promise<T> {
  let last: T | undefined;
  await expect
    .poll(
      async () => {
        last = await ask();
        return cacheOf(last);
      },
      { timeout: 5000, interval: 100 },
    )
    .toMatch(/^HIT-/);
  return last!;
}
