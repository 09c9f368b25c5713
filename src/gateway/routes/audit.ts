// The audit trail and analytics, read from the logger over its service binding (RPC, src/logger/index.ts has the
// contract). The gateway resolves and authorises the tenant; the logger answers only for the tenant it is given.
//   GET  /v1/audit?from=&to=&actor=&action=&outcome=&limit=&cursor=      audit:read      newest first
//   GET  /v1/audit/verify?from_seq=&checkpoint_seq=&checkpoint_hash=      audit:read      {ok, checked, first_break?}
//   GET  /v1/analytics?from=&to=&group_by=day|model|key                    analytics:read
//   GET  /v1/admin/audit/dead-letters?limit=&cursor=                       operator        unchainable messages
//   POST /v1/admin/audit/dead-letters/{id}/replay                          operator
import type { AuthedContext, Handled, RequestContext } from "../context";
import { fail } from "../http/errors";
import { json } from "../http/respond";

/** The slice of the logger's RPC the gateway uses (results are passed on as JSON). */
interface AuditLogRpc {
  list(
    tenant: string,
    query: Record<string, string | number>,
  ): Promise<{ events: unknown[]; next_cursor: string | null }>;
  verify(tenant: string, options: Record<string, unknown>): Promise<VerifyPage>;
  stats(tenant: string, from: number, to: number, groupBy?: string): Promise<unknown>;
  deadLetters(query: Record<string, string | number>): Promise<unknown>;
  replayDeadLetter(id: number): Promise<unknown>;
}

interface VerifyPage {
  ok: boolean;
  complete: boolean;
  checked: number;
  next_seq: number | null;
  first_break: { seq: number; reason: string } | null;
  head: { seq: number; hash: string } | null;
  checkpoint: string | null;
}

const DAY_MS = 86_400_000;
/** Verification pages read per request (each up to 100,000 events). */
const VERIFY_PAGES = 10;

const logger = (rc: RequestContext) => rc.rt.env.AUDIT_LOG as unknown as AuditLogRpc;

export async function listAudit(rc: AuthedContext): Promise<Handled> {
  const q = rc.url.searchParams;
  const query: Record<string, string | number> = {};
  for (const name of ["actor", "action", "outcome", "cursor"] as const) {
    const v = q.get(name);
    if (v !== null) query[name] = v;
  }
  const from = timeParam(q.get("from"), "from");
  const to = timeParam(q.get("to"), "to");
  if (from !== null) query.from = from;
  if (to !== null) query.to = to;
  const limit = q.get("limit");
  if (limit !== null) query.limit = intParam(limit, "limit");
  const page = await rpc(() => logger(rc).list(rc.tenant.id, query));
  return { response: json({ object: "list", data: page.events, next_cursor: page.next_cursor }) };
}

export async function verifyAudit(rc: AuthedContext): Promise<Handled> {
  const q = rc.url.searchParams;
  const options: Record<string, unknown> = {};
  // Where an earlier verification stopped (its resume_from_seq), for chains longer than one request checks.
  const fromSeq = q.get("from_seq");
  if (fromSeq !== null) options.from_seq = intParam(fromSeq, "from_seq");
  const seq = q.get("checkpoint_seq");
  const hash = q.get("checkpoint_hash");
  if (seq !== null || hash !== null) options.checkpoint = { seq: intParam(seq ?? "", "checkpoint_seq"), hash };
  let page = await rpc(() => logger(rc).verify(rc.tenant.id, options));
  let checked = page.checked;
  for (let i = 1; page.ok && !page.complete && page.next_seq !== null && i < VERIFY_PAGES; i++) {
    const next = page.next_seq;
    page = await rpc(() => logger(rc).verify(rc.tenant.id, { ...options, from_seq: next }));
    checked += page.checked;
  }
  const result = {
    object: "audit.verification",
    ok: page.ok,
    complete: page.complete,
    checked,
    ...(page.first_break ? { first_break: page.first_break } : {}),
    head: page.head,
    checkpoint: page.checkpoint,
    ...(page.complete ? {} : { resume_from_seq: page.next_seq }),
  };
  return {
    response: json(result),
    facts: { reason: page.ok ? "chain_ok" : `chain_break:${page.first_break?.reason}` },
  };
}

export async function analytics(rc: AuthedContext): Promise<Handled> {
  const q = rc.url.searchParams;
  const now = Date.now();
  const to = timeParam(q.get("to"), "to") ?? now;
  const from = timeParam(q.get("from"), "from") ?? to - 7 * DAY_MS;
  const groupBy = q.get("group_by");
  if (groupBy !== null && !["day", "model", "key"].includes(groupBy)) {
    throw fail("invalid_field", { message: 'Invalid value for "group_by": use day, model or key.' });
  }
  const stats = await rpc(() => logger(rc).stats(rc.tenant.id, from, to, groupBy ?? undefined));
  return { response: json({ object: "analytics", ...(stats as object) }) };
}

export async function deadLetters(rc: RequestContext): Promise<Handled> {
  const q = rc.url.searchParams;
  const query: Record<string, string | number> = {};
  const limit = q.get("limit");
  if (limit !== null) query.limit = intParam(limit, "limit");
  const cursor = q.get("cursor");
  if (cursor !== null) query.cursor = cursor;
  return { response: json(await rpc(() => logger(rc).deadLetters(query))) };
}

export async function replayDeadLetter(rc: RequestContext): Promise<Handled> {
  const id = intParam(rc.params.id ?? "", "id");
  await rc.recordChange({ target: String(id) });
  const result = await rpc(() => logger(rc).replayDeadLetter(id));
  return { response: json(result), facts: { target: String(id) } };
}

/** An ISO 8601 time or milliseconds since the epoch. */
function timeParam(value: string | null, name: string): number | null {
  if (value === null) return null;
  const ms = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms) || ms < 0) {
    throw fail("invalid_field", {
      message: `Invalid value for "${name}": an ISO 8601 time or milliseconds since the epoch.`,
    });
  }
  return ms;
}

function intParam(value: string, name: string): number {
  if (!/^\d{1,9}$/.test(value))
    throw fail("invalid_field", { message: `Invalid value for "${name}": a whole number.` });
  return Number(value);
}

/** The logger's argument errors (RangeError with a stable code) become 400/404; anything else a 500. */
async function rpc<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof RangeError || (err instanceof Error && err.name === "RangeError")) {
      if (err.message === "dead_letter_not_found") throw fail("not_found", { message: "No such dead letter." });
      throw fail("invalid_field", {
        message: `The query was refused: ${err.message}.`,
        reason: `logger:${err.message}`,
      });
    }
    throw err;
  }
}
