// Retention: the cron deletes each tenant's events older than AUDIT_RETENTION_DAYS without breaking its chain.
//
// Only a prefix of a chain is ever deleted — the longest run of events from the start (or the anchor) whose
// ts is before the cutoff — so what remains is still one unbroken chain. The last deleted event's seq and
// hash become the tenant's anchor, written in the same D1 batch as the DELETE: verification then starts
// from the anchor, and the first kept event's prev_hash must equal the anchor's hash.
//
// Evidence is never pruned unchecked: the rows about to be deleted are verified first (seq, links, hashes,
// copied columns). A tenant whose expiring rows do not verify is not pruned (fails closed: the rows stay for
// `verify` to report, and the cron logs the tenant and seq).
import { type ChainRow, GENESIS, type Head, ROW_COLUMNS } from "./chain";
import type { Anchor } from "./verify";
import { isConsistent } from "./verify";

const DAY_MS = 86_400_000;
/** Rows deleted per run at most (spread over tenants); the next run continues. */
export const PRUNE_ROWS_PER_RUN = 50_000;
const PAGE = 500;

export interface PruneReport {
  /** ts before which events were due for deletion. */
  cutoff: number;
  /** Events deleted, per tenant. */
  pruned: Record<string, number>;
  /** Tenants not pruned because an expiring row did not verify, with the seq it was found at. */
  refused: Record<string, number>;
  /** Dead letters deleted (kept as long as events). */
  dead_letters: number;
  /** False when the row budget ran out before every tenant was done. */
  complete: boolean;
}

export async function pruneExpired(
  db: D1Database,
  now: number,
  retentionDays: number,
  budget = PRUNE_ROWS_PER_RUN,
): Promise<PruneReport> {
  const cutoff = now - retentionDays * DAY_MS;
  const report: PruneReport = { cutoff, pruned: {}, refused: {}, dead_letters: 0, complete: true };
  let left = budget;
  for (const tenant of await tenantsWithExpiredEvents(db, cutoff)) {
    if (left <= 0) {
      report.complete = false;
      break;
    }
    const result = await pruneTenant(db, tenant, cutoff, now, left);
    if (result.pruned > 0) report.pruned[tenant] = result.pruned;
    if (result.refusedAt !== null) report.refused[tenant] = result.refusedAt;
    left -= result.pruned;
    if (result.budgetSpent) report.complete = false;
  }
  const deleted = await db.prepare("DELETE FROM audit_dead_letters WHERE received_at < ?").bind(cutoff).run();
  report.dead_letters = deleted.meta.changes ?? 0;
  return report;
}

/**
 * Tenants whose oldest kept event is before the cutoff, in one query: for each head, the first row after its
 * anchor, found through the primary key (tenant, seq).
 */
async function tenantsWithExpiredEvents(db: D1Database, cutoff: number): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT c.tenant AS tenant FROM audit_chain c
        WHERE (SELECT e.ts FROM audit_events e
                WHERE e.tenant = c.tenant
                  AND e.seq > COALESCE((SELECT a.seq FROM audit_anchors a WHERE a.tenant = c.tenant), 0)
                ORDER BY e.seq LIMIT 1) < ?
        ORDER BY c.tenant`,
    )
    .bind(cutoff)
    .all<{ tenant: string }>();
  return results.map((r) => r.tenant);
}

async function pruneTenant(db: D1Database, tenant: string, cutoff: number, now: number, budget: number) {
  const anchor = await db
    .prepare("SELECT seq, hash, ts FROM audit_anchors WHERE tenant = ?")
    .bind(tenant)
    .first<Anchor>();
  let seq = anchor?.seq ?? 0;
  let prev = anchor?.hash ?? GENESIS;
  let pruned = 0;
  for (;;) {
    const size = Math.min(PAGE, budget - pruned);
    if (size <= 0) return { pruned, refusedAt: null, budgetSpent: true };
    // One row more than may go: the link from the last row pruned to the one after it is checked in this page,
    // whether the page ends at the first kept row, at the page size or at the run's budget.
    const { results: rows } = await db
      .prepare(`SELECT ${ROW_COLUMNS.join(", ")} FROM audit_events WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?`)
      .bind(tenant, seq, size + 1)
      .all<ChainRow>();
    // The expired prefix of this page, each row checked before it may go; stops at a row that does not verify.
    const expired: ChainRow[] = [];
    let badAt: number | null = null;
    let kept = false;
    for (const row of rows) {
      const expected = seq + expired.length + 1;
      // Every link is checked, the first kept row's to the last pruned one's too. A row edited and re-hashed
      // breaks the next row's link, not its own: neither side of a broken link goes, so the row verification
      // would name stays for it to name.
      if (row.seq !== expected || row.prev_hash !== (expired.at(-1)?.hash ?? prev)) {
        // Rows gone since the last page, with the anchor past them: another run pruned them (runs may overlap).
        if (expired.length === 0 && (await anchorSeq(db, tenant)) > seq) {
          return { pruned, refusedAt: null, budgetSpent: false };
        }
        badAt = expired.pop()?.seq ?? expected;
        break;
      }
      if ((row.ts as number) >= cutoff) {
        kept = true;
        break;
      }
      if (expired.length === size) break; // the row after the budget: its link is checked, it stays
      if (!(await isConsistent(row, tenant))) {
        badAt = row.seq;
        break;
      }
      expired.push(row);
    }
    // No row after the last expired one: it is the last row, so the head must name it (an edited and re-hashed
    // last row breaks no link, only the head). A head beyond it (appended meanwhile) leaves it for the next run.
    const end = badAt === null && expired.length === rows.length ? expired.at(-1) : undefined;
    if (end) {
      const head = await db.prepare("SELECT seq, hash FROM audit_chain WHERE tenant = ?").bind(tenant).first<Head>();
      if (head && head.seq > end.seq) {
        expired.pop();
      } else if (!head || head.seq !== end.seq || head.hash !== end.hash) {
        // Neither the row the head names nor any after it goes: verification names the break there.
        badAt = Math.max(seq + 1, Math.min(head?.seq ?? end.seq, end.seq));
        while ((expired.at(-1)?.seq ?? 0) >= badAt) expired.pop();
      }
    }
    const last = expired.at(-1);
    if (last) {
      // An anchor only moves forward: a run that overlapped another and computed an earlier one leaves it.
      await db.batch([
        db.prepare("DELETE FROM audit_events WHERE tenant = ? AND seq > ? AND seq <= ?").bind(tenant, seq, last.seq),
        db
          .prepare(
            `INSERT INTO audit_anchors (tenant, seq, hash, ts, pruned_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, ts = excluded.ts,
                                                pruned_at = excluded.pruned_at
             WHERE excluded.seq > audit_anchors.seq`,
          )
          .bind(tenant, last.seq, last.hash, last.ts, now),
      ]);
      pruned += expired.length;
      seq = last.seq;
      prev = last.hash;
    }
    if (badAt !== null) return refuse(tenant, badAt, pruned);
    if (kept || end || expired.length < size) return { pruned, refusedAt: null, budgetSpent: false };
  }
}

async function anchorSeq(db: D1Database, tenant: string): Promise<number> {
  const anchor = await db
    .prepare("SELECT seq FROM audit_anchors WHERE tenant = ?")
    .bind(tenant)
    .first<{ seq: number }>();
  return anchor?.seq ?? 0;
}

function refuse(tenant: string, seq: number, pruned: number) {
  console.error(`audit retention: ${tenant} not pruned beyond seq ${seq - 1}: its chain does not verify at ${seq}`);
  return { pruned, refusedAt: seq, budgetSpent: false };
}
