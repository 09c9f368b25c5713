// Audit listing for the gateway's GET /v1/audit: one tenant's events, filtered and paged, newest first.
// Order is (ts DESC, seq DESC): the time the gateway received each request, ties broken by chain position.
// Every filter has an index that starts (tenant, …, ts, seq), so a page reads about `limit` rows.
import type { StoredAuditEvent } from "../shared/audit-event";
import { encodeCursor, type ListQuery, parseListQuery, parseTenant } from "../shared/audit-query";

export type { ListQuery } from "../shared/audit-query";

/** An event as stored: version 2, or version 1 for rows written before it (tell them apart by `v`). */
export type StoredEvent = StoredAuditEvent & { seq: number; hash: string };

export interface AuditPage {
  events: StoredEvent[];
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
      `SELECT seq, ts, hash, event FROM audit_events WHERE ${where.join(" AND ")} ORDER BY ts DESC, seq DESC LIMIT ?`,
    )
    .bind(...args, q.limit + 1)
    .all<{ seq: number; ts: number; hash: string; event: string }>();
  const page = results.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    events: page.map((r) => ({ ...(JSON.parse(r.event) as StoredAuditEvent), seq: r.seq, hash: r.hash })),
    next_cursor: results.length > q.limit && last ? encodeCursor({ ts: last.ts, seq: last.seq }) : null,
  };
}
