// Chain verification: recomputes a tenant's whole chain from the stored canonical JSON, page by page, and
// compares it with the stored hashes, the denormalised columns and the chain head. It finds an edited row
// (its hash, prev_hash or a copied column no longer matches), a deleted row (a seq gap, or a head beyond the
// last row), an added row (a row beyond the head) and an edited head.
import { AuditEventSchema } from "../shared/audit-event";
import { chainHash, GENESIS, type Head, INDEXED_COLUMNS, type IndexedColumns, indexedColumns } from "./chain";
import { parseTenant } from "./query";

export interface ChainVerification {
  /** True when every event from seq 1 to the head recomputes and the head matches the last event. */
  ok: boolean;
  /** Events verified in order from seq 1 (all of them when ok). */
  count: number;
  /** The stored head hash (null when the tenant has no head row). */
  head: string | null;
  /** The lowest seq at which the chain breaks, or null when ok. */
  first_bad_seq: number | null;
}

/** Rows read per query; events are under 2 KB, so a page stays well under D1's response limits. */
export const VERIFY_PAGE = 500;

type ChainRow = IndexedColumns & { seq: number; event: string; prev_hash: string; hash: string };

export async function verifyChain(
  db: D1Database,
  tenantId: string,
  pageSize = VERIFY_PAGE,
): Promise<ChainVerification> {
  const tenant = parseTenant(tenantId);
  // One batch is one transaction: the head and the highest seq are read from the same state, so an event
  // appended while we verify (always with its head, atomically) is never mistaken for a forged row.
  const [headRows, maxRows] = await db.batch([
    db.prepare("SELECT seq, hash FROM audit_chain WHERE tenant = ?").bind(tenant),
    db.prepare("SELECT MAX(seq) AS max_seq FROM audit_events WHERE tenant = ?").bind(tenant),
  ]);
  const head = (headRows?.results[0] as Head | undefined) ?? null;
  const maxSeq = (maxRows?.results[0] as { max_seq: number | null } | undefined)?.max_seq ?? 0;
  const headSeq = head?.seq ?? 0;
  const result = (count: number, firstBad: number | null): ChainVerification => ({
    ok: firstBad === null,
    count,
    head: head?.hash ?? null,
    first_bad_seq: firstBad,
  });

  let prev = GENESIS;
  let count = 0;
  let lastSeq: number | null = null; // the first page starts below seq 1, so a forged seq 0 or -1 is seen
  for (;;) {
    const rows = await pageAfter(db, tenant, lastSeq, headSeq, pageSize);
    for (const row of rows) {
      const expected = count + 1;
      if (!(await rowIsValid(row, expected, prev, tenant))) return result(count, expected);
      prev = row.hash;
      count = expected;
      lastSeq = row.seq;
    }
    if (rows.length < pageSize) break;
  }

  if (count < headSeq) return result(count, count + 1); // rows missing at the end
  if (head && head.hash !== prev) return result(count, headSeq); // the head does not point at the last row
  if (maxSeq > headSeq) return result(count, headSeq + 1); // rows beyond the head
  return result(count, null);
}

function pageAfter(
  db: D1Database,
  tenant: string,
  after: number | null,
  upTo: number,
  size: number,
): Promise<ChainRow[]> {
  const columns = [...INDEXED_COLUMNS, "seq", "event", "prev_hash", "hash"].join(", ");
  const lower = after === null ? "" : "AND seq > ?";
  const args = after === null ? [tenant, upTo] : [tenant, upTo, after];
  return db
    .prepare(`SELECT ${columns} FROM audit_events WHERE tenant = ? AND seq <= ? ${lower} ORDER BY seq LIMIT ?`)
    .bind(...args, size)
    .all<ChainRow>()
    .then((r) => r.results);
}

async function rowIsValid(row: ChainRow, expectedSeq: number, prev: string, tenant: string): Promise<boolean> {
  if (row.seq !== expectedSeq || row.prev_hash !== prev) return false;
  if ((await chainHash(prev, row.event)) !== row.hash) return false;
  // The hashed JSON is what the event is; the copied columns must say the same.
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.event);
  } catch {
    return false;
  }
  const event = AuditEventSchema.safeParse(parsed);
  if (!event.success) return false;
  const columns = indexedColumns(event.data);
  return columns.tenant === tenant && INDEXED_COLUMNS.every((c) => columns[c] === row[c]);
}
