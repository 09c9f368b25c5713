// Validation of what the RPC methods receive. The gateway validates HTTP input itself; this is the logger's
// own check, so a caller's mistake is refused here instead of reaching SQL (which is parameterised anyway).
// Failures throw a RangeError whose message is a stable code (`invalid_tenant`, `invalid_cursor`, …): Workers
// RPC keeps a built-in error's name and message, so the gateway can map it to a 400.
import * as z from "zod";
import { UNRESOLVED_TENANT } from "../shared/audit-event";
import { TENANT_ID_PATTERN } from "../shared/ids";

export const LIST_LIMIT_DEFAULT = 100;
export const LIST_LIMIT_MAX = 1000;

const ms = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const ListQuerySchema = z.strictObject({
  from: ms.optional(),
  to: ms.optional(),
  actor: z.string().min(1).max(96).optional(),
  action: z.string().min(1).max(64).optional(),
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
  limit: number;
  after?: Position;
}

export function parseTenant(tenant: unknown): string {
  if (typeof tenant === "string" && (tenant === UNRESOLVED_TENANT || TENANT_ID_PATTERN.test(tenant))) return tenant;
  throw new RangeError("invalid_tenant");
}

export function parseListQuery(query: unknown): ParsedListQuery {
  const parsed = ListQuerySchema.safeParse(query ?? {});
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path[0];
    throw new RangeError(field === "limit" || field === "cursor" ? `invalid_${field}` : "invalid_query");
  }
  const q = parsed.data;
  if (q.from !== undefined && q.to !== undefined && q.from > q.to) throw new RangeError("invalid_range");
  const limit = Math.min(q.limit ?? LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX);
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  return { from: q.from, to: q.to, actor: q.actor, action: q.action, limit, after };
}

export function parseRange(from: unknown, to: unknown): { from: number; to: number } {
  const f = ms.safeParse(from);
  const t = ms.safeParse(to);
  if (!f.success || !t.success || f.data > t.data) throw new RangeError("invalid_range");
  return { from: f.data, to: t.data };
}

/** Opaque to callers: base64url of `{ts}.{seq}`. */
export function encodeCursor(p: Position): string {
  return btoa(`${p.ts}.${p.seq}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeCursor(cursor: string): Position {
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw new RangeError("invalid_cursor");
  }
  const m = /^(\d{1,16})\.(\d{1,16})$/.exec(text);
  const ts = Number(m?.[1]);
  const seq = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(ts) || !Number.isSafeInteger(seq) || seq < 1) throw new RangeError("invalid_cursor");
  return { ts, seq };
}
