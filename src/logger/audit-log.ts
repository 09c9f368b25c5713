// Audit listing for the gateway's GET /v1/audit: one tenant's events, filtered and paged, newest first.
// Order is (ts DESC, seq DESC): the time the gateway received each request, ties broken by chain position.
// Every filter has an index that starts (tenant, …, ts, seq), so a page reads about `limit` rows.
// A row whose event cannot be read (not JSON, or no audit event of a known version) is listed in its place as
// an UnreadableEvent built from its copied columns: the rest of the page, and the pages after it, still read.
// Listing does not verify the chain; verify.ts reports such a row as `edited`.
import {
  type StoredAuditEvent,
  StoredAuditEventSchema,
  UNRESOLVED_TENANT,
  type UnreadableEvent,
} from "../shared/audit-event";
import { encodeCursor, type ListQuery, parseListQuery, parseTenant } from "../shared/audit-query";
import { INDEXED_COLUMNS } from "./chain";

export type { ListQuery } from "../shared/audit-query";

/** An event as stored: version 2, or version 1 for rows written before it (tell them apart by `v`). */
export type StoredEvent = StoredAuditEvent & { seq: number; hash: string };

export type { UnreadableEvent } from "../shared/audit-event";

/** Why a row's event could not be read: its text is not JSON, or not an audit event of a known version. */
export type UnreadableReason = UnreadableEvent["unreadable"];

export interface AuditPage {
  /** Stored events, and any row whose event cannot be read as an UnreadableEvent (it has `v: null`). */
  events: (StoredEvent | UnreadableEvent)[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  next_cursor: string | null;
}

/**
 * Events of `tenant` with from ≤ ts ≤ to (both inclusive, ms), and the given actor, action and outcome when set.
 * `limit` defaults to 100 and is cut to 1000. Throws RangeError (`invalid_tenant`, `invalid_cursor`,
 * `invalid_limit`, `invalid_range`, `invalid_query`) on bad input.
 */
export async function listEvents(db: D1Database, tenant: string, query: ListQuery = {}): Promise<AuditPage> {
  const chain = parseTenant(tenant);
  const q = parseListQuery(query);
  const where = ["tenant = ?"];
  const args: (string | number)[] = [chain];
  if (q.actor !== undefined) {
    where.push("actor = ?");
    args.push(q.actor);
  }
  if (q.action !== undefined) {
    where.push("action = ?");
    args.push(q.action);
  }
  if (q.outcome !== undefined) {
    where.push("outcome = ?");
    args.push(q.outcome);
  }
  if (q.from !== undefined) {
    where.push("ts >= ?");
    args.push(q.from);
  }
  if (q.to !== undefined) {
    where.push("ts <= ?");
    args.push(q.to);
  }
  if (q.after !== undefined) {
    where.push("(ts < ? OR (ts = ? AND seq < ?))");
    args.push(q.after.ts, q.after.ts, q.after.seq);
  }
  const { results } = await db
    .prepare(
      `SELECT ${INDEXED_COLUMNS.join(", ")}, seq, hash, event FROM audit_events WHERE ${where.join(" AND ")} ORDER BY ts DESC, seq DESC LIMIT ?`,
    )
    .bind(...args, q.limit + 1)
    .all<ListedRow>();
  const page = results.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    events: page.map(listed),
    next_cursor: results.length > q.limit && last ? encodeCursor({ ts: last.ts, seq: last.seq }) : null,
  };
}

/** A row as listing reads it: the event's text, its place in the chain, and the columns copied from it. */
type ListedRow = Pick<UnreadableEvent, (typeof INDEXED_COLUMNS)[number]> & { seq: number; hash: string; event: string };

function listed(row: ListedRow): StoredEvent | UnreadableEvent {
  const { event: text, seq, hash, ...columns } = row;
  const unreadable = (why: UnreadableReason): UnreadableEvent => ({
    v: null,
    unreadable: why,
    seq,
    hash,
    ...columns,
    tenant: columns.tenant === UNRESOLVED_TENANT ? null : columns.tenant,
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return unreadable("not_json");
  }
  if (!StoredAuditEventSchema.safeParse(parsed).success) return unreadable("invalid_event");
  // As stored (canonical key order), not as the schema would rebuild it.
  return { ...(parsed as StoredAuditEvent), seq, hash };
}
