// What the logger's audit queries accept (AuditLog's RPC methods), shared by both Workers: the gateway checks
// a caller's query with these before it calls the logger (a refusal costs no round trip and leaves no
// exception in the logger's logs), and the logger checks again, so nothing malformed reaches SQL (which is
// parameterised anyway). Failures throw a RangeError whose message is a stable code (`invalid_tenant`,
// `invalid_cursor`, …); Workers RPC keeps a built-in error's name and message across the binding.
import * as z from "zod";
import { UNRESOLVED_TENANT } from "./audit-event";
import { TENANT_ID_PATTERN } from "./ids";

export const LIST_LIMIT_DEFAULT = 100;
export const LIST_LIMIT_MAX = 1000;

const ms = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const seq = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const hash = z.string().regex(/^[0-9a-f]{64}$/);

const ListQuerySchema = z.strictObject({
  from: ms.optional(),
  to: ms.optional(),
  // Matched as data, not held to the current event's patterns: events of version 1 had looser ones.
  actor: z.string().min(1).max(110).optional(),
  action: z.string().min(1).max(96).optional(),
  outcome: z.enum(["allowed", "denied", "error"]).optional(),
  /** Default 100; above 1000 is cut to 1000. */
  limit: z.number().int().positive().optional(),
  cursor: z.string().max(64).optional(),
});

export type ListQuery = z.input<typeof ListQuerySchema>;

/** Where the previous page stopped: listing is newest first by (ts, seq), so the next page is below this. */
export interface Position {
  ts: number;
  seq: number;
}

export interface ParsedListQuery {
  from?: number;
  to?: number;
  actor?: string;
  action?: string;
  outcome?: "allowed" | "denied" | "error";
  limit: number;
  after?: Position;
}

export function parseTenant(tenant: unknown): string {
  if (typeof tenant === "string" && (tenant === UNRESOLVED_TENANT || TENANT_ID_PATTERN.test(tenant))) return tenant;
  throw new RangeError("invalid_tenant");
}

/** The first issue's field decides the code: `invalid_{field}` for the fields named, else `invalid_query`. */
function refuse(error: z.ZodError, fields: readonly string[]): never {
  const field = error.issues[0]?.path[0];
  throw new RangeError(typeof field === "string" && fields.includes(field) ? `invalid_${field}` : "invalid_query");
}

export function parseListQuery(query: unknown): ParsedListQuery {
  const parsed = ListQuerySchema.safeParse(query ?? {});
  if (!parsed.success) refuse(parsed.error, ["limit", "cursor"]);
  const q = parsed.data;
  if (q.from !== undefined && q.to !== undefined && q.from > q.to) throw new RangeError("invalid_range");
  const limit = Math.min(q.limit ?? LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX);
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  return { from: q.from, to: q.to, actor: q.actor, action: q.action, outcome: q.outcome, limit, after };
}

export function parseRange(from: unknown, to: unknown): { from: number; to: number } {
  const f = ms.safeParse(from);
  const t = ms.safeParse(to);
  if (!f.success || !t.success || f.data > t.data) throw new RangeError("invalid_range");
  return { from: f.data, to: t.data };
}

export const GROUP_BY = ["day", "model", "key"] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export function parseGroupBy(groupBy: unknown): GroupBy | null {
  if (groupBy === undefined || groupBy === null) return null;
  if (typeof groupBy === "string" && (GROUP_BY as readonly string[]).includes(groupBy)) return groupBy as GroupBy;
  throw new RangeError("invalid_group_by");
}

const VerifyOptionsSchema = z.strictObject({
  /** Start here instead of at the chain's start (continuing a verification that stopped at `next_seq`). */
  from_seq: seq.optional(),
  /** Rows to check in this call; default and maximum VERIFY_ROWS_MAX. */
  max_rows: z.number().int().positive().optional(),
  /** A head recorded earlier outside D1: the chain must still hold this hash at this seq. */
  checkpoint: z.strictObject({ seq, hash }).optional(),
});

export type VerifyOptions = z.input<typeof VerifyOptionsSchema>;

export const VERIFY_ROWS_MAX = 100_000;

export function parseVerifyOptions(options: unknown) {
  const parsed = VerifyOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) refuse(parsed.error, ["from_seq", "max_rows", "checkpoint"]);
  const o = parsed.data;
  return {
    fromSeq: o.from_seq,
    maxRows: Math.min(o.max_rows ?? VERIFY_ROWS_MAX, VERIFY_ROWS_MAX),
    checkpoint: o.checkpoint,
  };
}

const PageSchema = z.strictObject({
  limit: z.number().int().positive().optional(),
  cursor: z.string().max(64).optional(),
});

export type PageQuery = z.input<typeof PageSchema>;

export function parsePage(query: unknown, dflt: number, max: number): { limit: number; cursor?: string } {
  const parsed = PageSchema.safeParse(query ?? {});
  if (!parsed.success) refuse(parsed.error, ["limit", "cursor"]);
  return { limit: Math.min(parsed.data.limit ?? dflt, max), cursor: parsed.data.cursor };
}

const base64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function unbase64url(cursor: string): string {
  try {
    return atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw new RangeError("invalid_cursor");
  }
}

/** Opaque to callers: base64url of `{ts}.{seq}`. */
export function encodeCursor(p: Position): string {
  return base64url(`${p.ts}.${p.seq}`);
}

export function decodeCursor(cursor: string): Position {
  const m = /^(\d{1,16})\.(\d{1,16})$/.exec(unbase64url(cursor));
  const ts = Number(m?.[1]);
  const seq = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(ts) || !Number.isSafeInteger(seq) || seq < 1) throw new RangeError("invalid_cursor");
  return { ts, seq };
}

/** Opaque to callers: base64url of `d{id}` (dead letters are paged by their row id). */
export function encodeIdCursor(id: number): string {
  return base64url(`d${id}`);
}

export function decodeIdCursor(cursor: string): number {
  const m = /^d(\d{1,16})$/.exec(unbase64url(cursor));
  const id = Number(m?.[1]);
  if (!m || !Number.isSafeInteger(id) || id < 1) throw new RangeError("invalid_cursor");
  return id;
}
