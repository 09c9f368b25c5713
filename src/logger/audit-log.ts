// Audit queries the gateway makes over its service binding (RPC): paged listing and chain verification.
import type { AuditEvent } from "../shared/audit";
import { chainHash, GENESIS } from "./chain";

export interface ListQuery {
  from?: number;
  to?: number;
  actor?: string;
  action?: string;
  limit?: number;
  /** Opaque: the seq to continue below (newest first). */
  cursor?: string;
}

export type StoredEvent = AuditEvent & { seq: number; hash: string };

const PAGE = 500;

/** Newest first. */
export async function listEvents(db: D1Database, tenant: string, q: ListQuery): Promise<{ events: StoredEvent[]; next_cursor: string | null }> {
  const limit = Math.min(Math.max(Math.trunc(q.limit ?? 100), 1), 1000);
  const where = ["tenant = ?"];
  const args: (string | number)[] = [tenant];
  if (q.from !== undefined) (where.push("ts >= ?"), args.push(q.from));
  if (q.to !== undefined) (where.push("ts <= ?"), args.push(q.to));
  if (q.actor !== undefined) (where.push("actor = ?"), args.push(q.actor));
  if (q.action !== undefined) (where.push("action = ?"), args.push(q.action));
  if (q.cursor !== undefined) {
    const below = Number(q.cursor);
    if (!Number.isInteger(below)) throw new RangeError("invalid cursor");
    where.push("seq < ?");
    args.push(below);
  }
  const rows = await db
    .prepare(`SELECT seq, hash, event FROM audit_events WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT ?`)
    .bind(...args, limit + 1)
    .all<{ seq: number; hash: string; event: string }>();
  const page = rows.results.slice(0, limit);
  const events = page.map((r) => ({ ...(JSON.parse(r.event) as AuditEvent), seq: r.seq, hash: r.hash }));
  const more = rows.results.length > limit;
  return { events, next_cursor: more ? String(page[page.length - 1]!.seq) : null };
}

/** Recomputes the tenant's chain from the stored events; finds altered, missing and re-ordered rows. */
export async function verifyChain(db: D1Database, tenant: string): Promise<{ ok: boolean; count: number; head: string | null; first_bad_seq: number | null }> {
  let prev = GENESIS;
  let expectedSeq = 1;
  let count = 0;
  for (;;) {
    const rows = await db
      .prepare("SELECT seq, event, prev_hash, hash FROM audit_events WHERE tenant = ? AND seq >= ? ORDER BY seq LIMIT ?")
      .bind(tenant, expectedSeq, PAGE)
      .all<{ seq: number; event: string; prev_hash: string; hash: string }>();
    for (const r of rows.results) {
      const bad = r.seq !== expectedSeq || r.prev_hash !== prev || (await chainHash(prev, r.event)) !== r.hash;
      if (bad) return { ok: false, count, head: null, first_bad_seq: expectedSeq };
      prev = r.hash;
      expectedSeq += 1;
      count += 1;
    }
    if (rows.results.length < PAGE) break;
  }
  const head = await db.prepare("SELECT seq, hash FROM audit_chain WHERE tenant = ?").bind(tenant).first<{ seq: number; hash: string }>();
  if ((head?.seq ?? 0) !== count || (head && head.hash !== prev)) {
    return { ok: false, count, head: head?.hash ?? null, first_bad_seq: count + 1 };
  }
  return { ok: true, count, head: head?.hash ?? null, first_bad_seq: null };
}
