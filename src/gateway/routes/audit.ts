// The audit trail and analytics, read from the logger over its service binding (RPC, src/logger/index.ts has the
// contract). The gateway resolves and authorises the tenant; the logger answers only for the tenant it is given.
//   GET  /v1/audit?from=&to=&actor=&action=&outcome=&limit=&cursor=      audit:read      newest first
//   GET  /v1/audit/verify?from_seq=&checkpoint_seq=&checkpoint_hash=      audit:read      {ok, checked, first_break?}
//   GET  /v1/analytics?from=&to=&group_by=day|model|key                    analytics:read
//   GET  /v1/admin/audit/dead-letters?limit=&cursor=                       operator        unchainable messages
//   POST /v1/admin/audit/dead-letters/{id}/replay                          operator
import * as z from "zod";
import { AuditEventSchema, AuditEventV1Schema, CACHE_STATUSES, UnreadableEventSchema } from "../../shared/audit-event";
import { decodeIdCursor, parseListQuery, parsePage, parseRange, parseVerifyOptions } from "../../shared/audit-query";
import type { AuthedContext, Handled, RequestContext } from "../context";
import { fail } from "../http/errors";
import { json } from "../http/respond";

/** A refused argument, as the logger answers it (a value, not an exception across RPC). */
interface Refusal {
  refused: string;
}

/** The slice of the logger's RPC the gateway uses (results are passed on as JSON). */
interface AuditLogRpc {
  list(
    tenant: string,
    query: Record<string, string | number>,
  ): Promise<{ events: unknown[]; next_cursor: string | null } | Refusal>;
  verify(tenant: string, options: Record<string, unknown>): Promise<VerifyPage | Refusal>;
  stats(tenant: string, from: number, to: number, groupBy?: string): Promise<object | Refusal>;
  deadLetters(query: Record<string, string | number>): Promise<object | Refusal>;
  replayDeadLetter(id: number): Promise<object | Refusal>;
}

interface VerifyPage {
  ok: boolean;
  complete: boolean;
  checked: number;
  next_seq: number | null;
  first_break: { seq: number; reason: string } | null;
  head: { seq: number; hash: string } | null;
  checkpoint: "match" | "mismatch" | "pruned" | null;
}

// What these routes answer, for the OpenAPI document: the logger's results as the gateway passes them on (their
// types are src/logger's AuditPage, ChainVerification, AuditStats, DeadLetterPage and ReplayResult; the
// gateway may not import another Worker's code, and test/integration/openapi.test.ts checks real answers).

const chained = { seq: z.int().positive(), hash: z.string() };
/**
 * A stored event: the audit event of its version (docs/audit.md), with its place and hash in the chain; or a row
 * whose event cannot be read.
 */
const StoredEventSchema = z.discriminatedUnion("v", [
  AuditEventV1Schema.extend(chained),
  AuditEventSchema.extend(chained),
  UnreadableEventSchema,
]);
export const AuditPageSchema = z.strictObject({
  object: z.literal("list"),
  /** Newest first; a row whose event cannot be read is listed in its place with `v: null` and `unreadable`. */
  data: z.array(StoredEventSchema),
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  next_cursor: z.string().nullable(),
});

const Head = z.strictObject({ seq: z.int(), hash: z.string() });
export const VerificationSchema = z.strictObject({
  object: z.literal("audit.verification"),
  /** No break in the events checked (and, when complete, the head and any checkpoint match). */
  ok: z.boolean(),
  /** The walk reached the head; when false, call again with checkpoint or continue from resume_from_seq. */
  complete: z.boolean(),
  checked: z.int().nonnegative(),
  first_break: z.strictObject({ seq: z.int(), reason: z.string() }).optional(),
  head: Head.nullable(),
  /** The outcome of the checkpoint given (checkpoint_seq, checkpoint_hash), or null. */
  checkpoint: z.enum(["match", "mismatch", "pruned"]).nullable(),
  resume_from_seq: z.int().nullable().optional(),
});

const Metrics = {
  requests: z.int().nonnegative(),
  cache: z.record(z.enum(CACHE_STATUSES), z.int().nonnegative()),
  hit_rate: z.number().min(0).max(1),
  tokens_saved: z.strictObject({ prompt: z.int(), completion: z.int() }),
  /** US dollars. */
  cost_saved: z.number(),
  latency_ms: z.strictObject({ p50: z.number(), p95: z.number(), p99: z.number() }).nullable(),
};
export const AnalyticsSchema = z.strictObject({
  object: z.literal("analytics"),
  from: z.int(),
  to: z.int(),
  group_by: z.enum(["day", "model", "key"]).nullable(),
  totals: z.strictObject(Metrics),
  groups: z.array(z.strictObject({ ...Metrics, group: z.string().nullable() })),
  groups_truncated: z.boolean(),
});

export const ReplayResultSchema = z.strictObject({
  id: z.int(),
  result: z.enum(["chained", "already_stored", "id_conflict", "invalid", "truncated", "expired"]),
  event_id: z.string().nullable(),
  tenant: z.string().nullable(),
  seq: z.int().nullable(),
  detail: z.string().nullable(),
});
export const DeadLetterPageSchema = z.strictObject({
  dead_letters: z.array(
    z.strictObject({
      id: z.int(),
      received_at: z.int(),
      message_id: z.string(),
      attempts: z.int().nullable(),
      reason: z.enum(["invalid", "id_conflict", "undelivered", "already_stored"]),
      detail: z.string(),
      event_id: z.string().nullable(),
      tenant: z.string().nullable(),
      /** JSON text of the body as received, cut to 16 KiB (truncated is then true). Unvalidated input. */
      body: z.string(),
      body_bytes: z.int(),
      truncated: z.boolean(),
      replayed_at: z.int().nullable(),
      replay_result: ReplayResultSchema.shape.result.nullable(),
    }),
  ),
  next_cursor: z.string().nullable(),
});

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
  const page = await rpc(async () => {
    parseListQuery(query);
    return logger(rc).list(rc.tenant.id, query);
  });
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
  let page = await rpc(async () => {
    parseVerifyOptions(options);
    return logger(rc).verify(rc.tenant.id, options);
  });
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
  } satisfies z.infer<typeof VerificationSchema>;
  return {
    response: json(result),
    facts: { reason: page.ok ? "chain_ok" : `chain_break:${page.first_break?.reason}` },
  };
}

export async function analytics(rc: AuthedContext): Promise<Handled> {
  const q = rc.url.searchParams;
  const now = Date.now();
  const to = timeParam(q.get("to"), "to") ?? now;
  const from = timeParam(q.get("from"), "from") ?? Math.max(0, to - 7 * DAY_MS);
  const groupBy = q.get("group_by");
  if (groupBy !== null && !["day", "model", "key"].includes(groupBy)) {
    throw fail("invalid_field", { message: 'Invalid value for "group_by": use day, model or key.' });
  }
  const stats = await rpc(async () => {
    parseRange(from, to);
    return logger(rc).stats(rc.tenant.id, from, to, groupBy ?? undefined);
  });
  return { response: json({ object: "analytics", ...(stats as object) }) };
}

export async function deadLetters(rc: RequestContext): Promise<Handled> {
  const q = rc.url.searchParams;
  const query: Record<string, string | number> = {};
  const limit = q.get("limit");
  if (limit !== null) query.limit = intParam(limit, "limit");
  const cursor = q.get("cursor");
  if (cursor !== null) query.cursor = cursor;
  const page = await rpc(async () => {
    parsePage(query, 1, 1);
    if (cursor !== null) decodeIdCursor(cursor);
    return logger(rc).deadLetters(query);
  });
  return { response: json(page) };
}

export async function replayDeadLetter(rc: RequestContext): Promise<Handled> {
  const id = intParam(rc.params.id ?? "", "id");
  await rc.recordChange({ target: String(id) });
  const result = await rpc(() => logger(rc).replayDeadLetter(id));
  return { response: json(result), facts: { target: String(id) } };
}

/**
 * An ISO 8601 time (`2024-03-01T12:00:00Z`, with or without an offset, or a date `2024-03-01`, midnight UTC) or
 * milliseconds since the epoch. Held to ISO 8601 before Date.parse reads it: Date.parse also takes `March 7,
 * 2024`, `1/2/2024` (as 2 January) or `2024-02-30` (as 1 March), and the trail would be read for a window the
 * caller never asked for.
 */
const IsoTime = z.union([z.iso.datetime({ offset: true, local: true }), z.iso.date()]);

function timeParam(value: string | null, name: string): number | null {
  if (value === null) return null;
  const ms = /^\d{1,15}$/.test(value) ? Number(value) : IsoTime.safeParse(value).success ? Date.parse(value) : NaN;
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

/**
 * The audit query checks (shared/audit-query.ts, run here before the call) and the logger's own refusals
 * (`{ refused: code }`) become 400/404; anything else a 500.
 */
async function rpc<T extends object>(call: () => Promise<T | Refusal>): Promise<T> {
  let result: T | Refusal;
  try {
    result = await call();
  } catch (err) {
    if (err instanceof RangeError) throw refusal(err.message);
    throw err;
  }
  if ("refused" in result && typeof result.refused === "string") throw refusal(result.refused);
  return result as T;
}

function refusal(code: string) {
  if (code === "dead_letter_not_found") return fail("not_found", { message: "No such dead letter." });
  return fail("invalid_field", { message: `The query was refused: ${code}.`, reason: `logger:${code}` });
}
