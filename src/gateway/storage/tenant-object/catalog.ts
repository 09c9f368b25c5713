// The tenant's cache catalog: one row per cached entry, the record that entry deletion, erasure and export
// work from. Hashes and ids only — no prompt or answer text.
import { checkId, checkText, checkTime, fail } from "./checks";

export interface CatalogEntry {
  id: string;
  /** Scope hash (tenant-wide or one user's). */
  scope: string;
  user_hash: string | null;
  partition: string;
  prompt_hash: string;
  model: string;
  /** The exact tier's KV key that points at this entry. */
  exact_key: string;
  created_at: number;
  expires_at: number;
}

/** Throws TenantObjectInputError for an entry that is not well-formed (nothing is written). */
export function checkEntry(e: CatalogEntry): void {
  if (!e || typeof e !== "object") fail("catalog entry must be an object");
  checkId(e.id);
  for (const k of ["scope", "partition", "prompt_hash", "model", "exact_key"] as const) checkText(k, e[k]);
  if (e.user_hash !== null) checkText("user_hash", e.user_hash);
  checkTime("created_at", e.created_at);
  checkTime("expires_at", e.expires_at);
}

export function putEntry(sql: SqlStorage, e: CatalogEntry): void {
  checkEntry(e);
  sql.exec(
    `INSERT OR REPLACE INTO entries (id, scope, user_hash, partition, prompt_hash, model, exact_key, created_at,
       expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    e.id,
    e.scope,
    e.user_hash,
    e.partition,
    e.prompt_hash,
    e.model,
    e.exact_key,
    e.created_at,
    e.expires_at,
  );
}

export function getEntry(sql: SqlStorage, id: string): CatalogEntry | null {
  checkId(id);
  const row = sql.exec<Record<string, SqlStorageValue>>(`SELECT * FROM entries WHERE id = ?`, id).toArray()[0];
  return row ? toEntry(row) : null;
}

/** A page of entries, oldest first (created_at, then id), optionally of one user only. */
export function pageEntries(
  sql: SqlStorage,
  q: { userHash: string | null; after: { createdAt: number; id: string } | null; limit: number },
): CatalogEntry[] {
  if (!q || typeof q !== "object" || !Number.isInteger(q.limit) || q.limit < 1 || q.limit > 1000) {
    fail("invalid page: limit 1–1000");
  }
  if (q.userHash !== null) checkText("user_hash", q.userHash);
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.userHash !== null) {
    where.push("user_hash = ?");
    args.push(q.userHash);
  }
  if (q.after) {
    checkTime("after.createdAt", q.after.createdAt);
    checkId(q.after.id);
    where.push("(created_at > ? OR (created_at = ? AND id > ?))");
    args.push(q.after.createdAt, q.after.createdAt, q.after.id);
  }
  const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
  return sql
    .exec<Record<string, SqlStorageValue>>(
      `SELECT * FROM entries ${clause} ORDER BY created_at, id LIMIT ?`,
      ...args,
      q.limit,
    )
    .toArray()
    .map(toEntry);
}

export function countEntries(sql: SqlStorage): number {
  return sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM entries`).one().n;
}

function toEntry(row: Record<string, SqlStorageValue>): CatalogEntry {
  return {
    id: String(row.id),
    scope: String(row.scope),
    user_hash: row.user_hash === null ? null : String(row.user_hash),
    partition: String(row.partition),
    prompt_hash: String(row.prompt_hash),
    model: String(row.model),
    exact_key: String(row.exact_key),
    created_at: Number(row.created_at),
    expires_at: Number(row.expires_at),
  };
}
