// Chain verification: recomputes a tenant's chain from the stored canonical JSON, in seq order from its anchor
// (where retention stopped pruning) or from the start, and compares it with the stored hashes, the copied
// columns and the chain head. The first break found is reported with the seq it concerns and a reason:
//
//   edited          the row's own content no longer hashes to its hash, its event does not parse or validate,
//                   or a copied column disagrees with its event; or the row is consistent but is not the row
//                   the next one was chained to (it was edited and re-hashed; rows deleted right after it
//                   with the later ones renumbered look the same)
//   deleted         no row at this seq (a gap, or rows missing before the head)
//   reordered       the row at this seq is consistent but was chained after a row that sits elsewhere
//   inserted        a row that was never chained here: the row at this seq sits between two rows chained to
//                   each other, lies beyond the head, or lies at or below the anchor
//   head_mismatch   the head is missing, or does not hold the hash of the row at its seq
//   anchor_mismatch the first row after the anchor is consistent but not chained to the anchor's hash
//   checkpoint_mismatch  the caller's recorded (seq, hash) is not what the chain holds at that seq
//
// The chain is unkeyed: whoever can rewrite every later row and the head can forge it consistently. A head
// recorded outside D1 and passed back as `checkpoint` closes that gap (see docs/audit.md).
import { StoredAuditEventSchema } from "../shared/audit-event";
import { parseTenant, parseVerifyOptions, type VerifyOptions } from "../shared/audit-query";
import {
  type ChainRow,
  canonicalJson,
  chainHash,
  GENESIS,
  type Head,
  INDEXED_COLUMNS,
  indexedColumns,
  ROW_COLUMNS,
} from "./chain";

export const BREAK_REASONS = [
  "edited",
  "deleted",
  "reordered",
  "inserted",
  "head_mismatch",
  "anchor_mismatch",
  "checkpoint_mismatch",
] as const;
export type BreakReason = (typeof BREAK_REASONS)[number];

export interface ChainBreak {
  seq: number;
  reason: BreakReason;
}

export interface Anchor extends Head {
  /** ts of the last pruned event. */
  ts: number;
}

export interface ChainVerification {
  /** No break in the rows checked (and, when `complete`, the head and any checkpoint match). */
  ok: boolean;
  /** The walk reached the head; false when it stopped after `max_rows` (continue from `next_seq`). */
  complete: boolean;
  /** Rows checked without a break in this call. */
  checked: number;
  /** First seq this call checked. */
  from_seq: number;
  /** Where to continue (`from_seq`) when not complete; null otherwise. */
  next_seq: number | null;
  /** The lowest break found, or null. */
  first_break: ChainBreak | null;
  /** The stored head: the last event's seq and hash (null when the tenant has none). */
  head: Head | null;
  /** Where the chain starts after retention (null when nothing was pruned). */
  anchor: Anchor | null;
  /** The outcome of the caller's checkpoint, when one was given. */
  checkpoint: "match" | "mismatch" | "pruned" | null;
}

/** Rows read per query; events are under 10 KB, so a page stays well under D1's response limits. */
export const VERIFY_PAGE = 500;

export async function verifyChain(
  db: D1Database,
  tenantId: string,
  options: VerifyOptions = {},
  pageSize = VERIFY_PAGE,
): Promise<ChainVerification> {
  const first = await verifyOnce(db, tenantId, options, pageSize);
  if (first.ok) return first;
  // Retention may have pruned the chain's start (moving the anchor) while its rows were being read, which looks
  // like deleted rows: when the anchor moved meanwhile, the chain is read again, from its new start.
  const anchor = await db
    .prepare("SELECT seq, hash, ts FROM audit_anchors WHERE tenant = ?")
    .bind(parseTenant(tenantId))
    .first<Anchor>();
  return (anchor?.seq ?? null) === (first.anchor?.seq ?? null) ? first : verifyOnce(db, tenantId, options, pageSize);
}

async function verifyOnce(
  db: D1Database,
  tenantId: string,
  options: VerifyOptions,
  pageSize: number,
): Promise<ChainVerification> {
  const tenant = parseTenant(tenantId);
  const opts = parseVerifyOptions(options);
  // One batch is one transaction: head, anchor and highest seq come from the same state, so an event
  // appended while we verify (always with its head, atomically) is never mistaken for a forged row.
  const [headRows, anchorRows, maxRows] = await db.batch([
    db.prepare("SELECT seq, hash FROM audit_chain WHERE tenant = ?").bind(tenant),
    db.prepare("SELECT seq, hash, ts FROM audit_anchors WHERE tenant = ?").bind(tenant),
    db.prepare("SELECT MAX(seq) AS max_seq FROM audit_events WHERE tenant = ?").bind(tenant),
  ]);
  const head = (headRows?.results[0] as Head | undefined) ?? null;
  const anchor = (anchorRows?.results[0] as Anchor | undefined) ?? null;
  const maxSeq = (maxRows?.results[0] as { max_seq: number | null } | undefined)?.max_seq ?? 0;
  const start = anchor?.seq ?? 0;
  const fromSeq = Math.max(opts.fromSeq ?? start + 1, start + 1);
  const upTo = head?.seq ?? maxSeq;
  // Continuing past the end is a caller's mistake (a stale next_seq is at most the head + 1).
  if (fromSeq > Math.max(upTo, start) + 1) throw new RangeError("invalid_from_seq");

  const walk = await walkRows(db, tenant, { start, fromSeq, upTo, maxRows: opts.maxRows, pageSize, anchor });
  let found = walk.found;
  const complete = walk.next === null;
  if (!found && complete) found = checkEnd(walk.last, walk.lastHash, start, head, maxSeq, upTo);

  let checkpoint: ChainVerification["checkpoint"] = null;
  if (opts.checkpoint) {
    checkpoint = await checkCheckpoint(db, tenant, opts.checkpoint, anchor, head);
    if (checkpoint === "mismatch" && (!found || opts.checkpoint.seq < found.seq)) {
      found = { seq: opts.checkpoint.seq, reason: "checkpoint_mismatch" };
    }
  }
  const checkedUpTo = found ? Math.min(found.seq - 1, walk.last) : walk.last;
  return {
    ok: found === null,
    complete,
    checked: Math.max(0, checkedUpTo - fromSeq + 1),
    from_seq: fromSeq,
    next_seq: complete ? null : walk.next,
    first_break: found,
    head,
    anchor,
    checkpoint,
  };
}

interface Walk {
  /** The last seq checked without a break (fromSeq - 1 when none). */
  last: number;
  lastHash: string;
  found: ChainBreak | null;
  /** Where to continue when the row budget ran out. */
  next: number | null;
}

async function walkRows(
  db: D1Database,
  tenant: string,
  w: { start: number; fromSeq: number; upTo: number; maxRows: number; pageSize: number; anchor: Anchor | null },
): Promise<Walk> {
  let last = w.fromSeq - 1;
  let prev = w.anchor?.hash ?? GENESIS;
  let prevPrev: string | null = null;
  if (w.fromSeq > w.start + 1) {
    // Continuing: the previous call checked the row before; its hash is where this part starts.
    const before = await db
      .prepare("SELECT hash FROM audit_events WHERE tenant = ? AND seq = ?")
      .bind(tenant, w.fromSeq - 1)
      .first<{ hash: string }>();
    if (!before) return { last, lastHash: prev, found: { seq: w.fromSeq - 1, reason: "deleted" }, next: null };
    prev = before.hash;
  }
  // From the start, the first page has no lower bound, so that a row at or below the anchor is seen.
  let lower: number | null = w.fromSeq > w.start + 1 ? w.fromSeq - 1 : null;
  const result = (found: ChainBreak | null, next: number | null = null): Walk => ({
    last,
    lastHash: prev,
    found,
    next,
  });
  for (;;) {
    const rows = await page(db, tenant, lower, w.upTo, w.pageSize);
    for (const row of rows) {
      const expected = last + 1;
      if (expected - w.fromSeq >= w.maxRows) return result(null, expected);
      if (row.seq < expected) return result({ seq: row.seq, reason: "inserted" });
      if (row.seq > expected) return result({ seq: expected, reason: "deleted" });
      if (!(await isConsistent(row, tenant))) return result({ seq: row.seq, reason: "edited" });
      if (row.prev_hash !== prev) {
        if (prevPrev !== null && row.prev_hash === prevPrev) return result({ seq: expected - 1, reason: "inserted" });
        if (await hashIsStored(db, tenant, row.prev_hash)) return result({ seq: row.seq, reason: "reordered" });
        if (expected - 1 > w.start) return result({ seq: expected - 1, reason: "edited" });
        return result({ seq: row.seq, reason: w.anchor ? "anchor_mismatch" : "edited" });
      }
      prevPrev = prev;
      prev = row.hash;
      last = row.seq;
      lower = row.seq;
    }
    if (rows.length < w.pageSize) return result(null);
  }
}

/** After the last row: rows missing before the head, a head that does not match, rows beyond the head. */
function checkEnd(last: number, lastHash: string, start: number, head: Head | null, maxSeq: number, upTo: number) {
  const at = (seq: number, reason: BreakReason): ChainBreak => ({ seq, reason });
  if (last < upTo) return at(last + 1, "deleted");
  if (!head) return maxSeq > start ? at(last, "head_mismatch") : null;
  if (head.seq < start || head.hash !== lastHash) return at(head.seq, "head_mismatch");
  if (maxSeq > upTo) return at(upTo + 1, "inserted");
  return null;
}

function page(db: D1Database, tenant: string, after: number | null, upTo: number, size: number) {
  const lower = after === null ? "" : "AND seq > ?";
  const args = after === null ? [tenant, upTo] : [tenant, upTo, after];
  return db
    .prepare(
      `SELECT ${ROW_COLUMNS.join(", ")} FROM audit_events WHERE tenant = ? AND seq <= ? ${lower} ORDER BY seq LIMIT ?`,
    )
    .bind(...args, size)
    .all<ChainRow>()
    .then((r) => r.results);
}

/** Whether the row is what it claims on its own: hash, canonical event of a known version, copied columns. */
export async function isConsistent(row: ChainRow, tenant: string): Promise<boolean> {
  if ((await chainHash(row.prev_hash, row.event)) !== row.hash) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.event);
  } catch {
    return false;
  }
  const event = StoredAuditEventSchema.safeParse(parsed);
  if (!event.success || canonicalJson(event.data) !== row.event) return false;
  const columns = indexedColumns(event.data);
  return columns.tenant === tenant && INDEXED_COLUMNS.every((c) => columns[c] === row[c]);
}

/** Whether some row of the tenant has this hash. Only on a break; reads the tenant's rows by its index. */
async function hashIsStored(db: D1Database, tenant: string, hash: string): Promise<boolean> {
  const row = await db
    .prepare("SELECT seq FROM audit_events WHERE tenant = ? AND hash = ? LIMIT 1")
    .bind(tenant, hash)
    .first();
  return row !== null;
}

async function checkCheckpoint(
  db: D1Database,
  tenant: string,
  checkpoint: Head,
  anchor: Anchor | null,
  head: Head | null,
): Promise<"match" | "mismatch" | "pruned"> {
  const start = anchor?.seq ?? 0;
  if (checkpoint.seq < start) return "pruned";
  if (checkpoint.seq === start) return anchor?.hash === checkpoint.hash ? "match" : "mismatch";
  if (!head || checkpoint.seq > head.seq) return "mismatch";
  const row = await db
    .prepare("SELECT hash FROM audit_events WHERE tenant = ? AND seq = ?")
    .bind(tenant, checkpoint.seq)
    .first<{ hash: string }>();
  return row?.hash === checkpoint.hash ? "match" : "mismatch";
}
