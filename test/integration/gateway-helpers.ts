// Helpers for the audit, analytics and upstream suites: requests through the gateway with another environment
// (a failing Queue, a fake metrics sink, another runtime), requests a test can abort, each request's audit
// event, the tenant's cache catalog, and the local provider's abort log.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, vi } from "vitest";
import gateway from "../../src/gateway/index";
import type { AuditEvent } from "../../src/shared/audit-event";
import { type CallInit, chatBody, settle, storedAuditEvents } from "../helpers";
import { binding } from "./provider-helpers";

export type Env = typeof env;

const pending: ExecutionContext[] = [];

/** Waits for what requests deferred with waitUntil, through call() and callWith() alike. */
export async function settleAll(): Promise<void> {
  await settle();
  while (pending.length) await waitOnExecutionContext(pending.shift()!);
}

/** call(), against the given environment; `signal` lets the test go away as a client would. */
export function callWith(
  e: Env,
  host: string,
  path: string,
  init: CallInit & { signal?: AbortSignal } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  let body: BodyInit | undefined = init.rawBody;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const ctx = createExecutionContext();
  pending.push(ctx);
  const request = new Request(`https://${host}${path}`, {
    method: init.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
    ...(init.signal ? { signal: init.signal } : {}),
  });
  return gateway.fetch(request, e, ctx);
}

/** A chat completion for `content` (gpt-4o-mini unless `extra` names a model), read to its end. */
export async function ask(
  t: { host: string; key: string },
  content: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  e: Env = env,
) {
  const res = await callWith(e, t.host, "/v1/chat/completions", {
    token: t.key,
    body: chatBody(content, extra),
    headers,
  });
  const text = await res.text();
  return { res, status: res.status, cache: res.headers.get("x-cache"), text, id: res.headers.get("x-request-id")! };
}

/** The audit event of the request that got this response (or this request id), once it reached D1. */
export async function eventOf(res: Response | string): Promise<AuditEvent> {
  const id = typeof res === "string" ? res : res.headers.get("x-request-id");
  expect(id).toMatch(/^req_/);
  let found: AuditEvent | undefined;
  await vi.waitFor(
    async () => {
      const row = await env.AUDIT_DB.prepare(
        "SELECT event FROM audit_events WHERE json_extract(event, '$.request_id') = ?",
      )
        .bind(id)
        .first<{ event: string }>();
      found = row ? (JSON.parse(row.event) as AuditEvent) : undefined;
      expect(found, `audit event of ${id}`).toBeDefined();
    },
    { timeout: 5000, interval: 25 },
  );
  return found!;
}

/** Every stored event of the tenant, parsed. */
export async function eventsOf(tenant: string): Promise<AuditEvent[]> {
  return (await storedAuditEvents()).filter((e) => e.tenant === tenant) as AuditEvent[];
}

/** Entries in the tenant's cache catalog. */
export const catalogCount = (tenant: string): Promise<number> =>
  env.TENANT_OBJECT.get(env.TENANT_OBJECT.idFromName(tenant)).catalogCount();

/** Resolves once Date.now() has moved past `ms`: what happens next is received strictly after it. */
export async function tickPast(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((r) => setTimeout(r, 2));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The local provider's record of callers that went away, and a way to clear it. */
export const provider = binding;

/** A name no other test uses, for fault models whose state is shared (flaky counters, circuits). */
export const label = () =>
  Math.random()
    .toString(36)
    .slice(2, 10)
    .replace(/[^a-z0-9]/g, "x");
