// Forgetting entries: one entry, one user's, those created before a time, all of them, and those past their
// TTL. The catalog rows, embedded vectors and (for a user) the user's salt go at once, in one transaction; what
// lives outside this object — the sealed body and exact-tier pointer in KV, the vector in Vectorize — is queued
// in `pending_deletes` and deleted by the object's alarm in batches that fit a Worker invocation's limits. Until
// then those copies are unreadable: a user's bodies need the deleted salt, and bodies older than the tenant's
// erasure watermark (`erased_before`) are refused on read.
import { cacheKv } from "../kv-keys";
import type { TenantRecord } from "../records";
import { type CatalogEntry, getEntry } from "./catalog";
import { checkText, fail } from "./checks";

export type EraseSelector = { readonly userHash: string } | { readonly before: number } | { readonly all: true };

/** Deletions made per alarm run: KV allows 1,000 operations per invocation; this leaves room. */
export const SWEEP_BATCH = 400;

/**
 * Where the tenant's erasure watermark moves (entries created earlier are never served, wherever a copy lingers):
 * to `before` (never past now), or past now for `all`; null for one user's erasure, which crypto-shreds instead.
 */
export function erasureWatermark(selector: EraseSelector, now: number): number | null {
  if ("userHash" in selector) return null;
  return "before" in selector ? Math.min(selector.before, now) : now + 1;
}

export interface Erased {
  readonly entries: number;
  readonly users: number;
}

/** Removes the selected entries from the catalog and the embedded index, queues their outside copies. */
export function eraseEntries(
  storage: DurableObjectStorage,
  tenant: string,
  selector: EraseSelector,
  vectorize: boolean,
): Erased {
  const sql = storage.sql;
  const [where, args] = whereOf(selector);
  return storage.transactionSync(() => {
    const rows = sql
      .exec<{ id: string; exact_key: string }>(`SELECT id, exact_key FROM entries WHERE ${where}`, ...args)
      .toArray();
    sql.exec(`DELETE FROM vectors WHERE id IN (SELECT id FROM entries WHERE ${where})`, ...args);
    sql.exec(`DELETE FROM entries WHERE ${where}`, ...args);
    queueOutside(sql, tenant, rows, vectorize);
    let users = 0;
    if ("userHash" in selector) {
      users = sql.exec(`DELETE FROM user_salts WHERE user_hash = ?`, selector.userHash).rowsWritten;
      sql.exec(
        `INSERT INTO user_erasures (user_hash, erasures) VALUES (?, 1)
         ON CONFLICT (user_hash) DO UPDATE SET erasures = erasures + 1`,
        selector.userHash,
      );
    } else if ("all" in selector) {
      users = sql.exec(`DELETE FROM user_salts`).rowsWritten;
    }
    return { entries: rows.length, users };
  });
}

/**
 * Removes one entry and queues its outside copies for the sweeper; returns it (so that the caller can delete
 * those copies at once), or null.
 */
export function eraseEntry(
  storage: DurableObjectStorage,
  tenant: string | null,
  id: string,
  vectorize: boolean,
): CatalogEntry | null {
  return storage.transactionSync(() => {
    const entry = getEntry(storage.sql, id);
    storage.sql.exec(`DELETE FROM entries WHERE id = ?`, id);
    storage.sql.exec(`DELETE FROM vectors WHERE id = ?`, id);
    // The caller deletes the outside copies at once; queued too, a copy whose deletion failed there is swept.
    if (entry && tenant !== null) queueOutside(storage.sql, tenant, [entry], vectorize);
    return entry;
  });
}

/**
 * Removes entries past their TTL (at most `limit`), queuing their outside copies; returns how many, and the ids
 * of the vectors removed from the embedded index.
 */
export function eraseExpired(
  storage: DurableObjectStorage,
  tenant: string,
  now: number,
  limit: number,
  vectorize: boolean,
): { entries: number; vectorIds: string[] } {
  const sql = storage.sql;
  return storage.transactionSync(() => {
    const rows = sql
      .exec<{ id: string; exact_key: string }>(
        `SELECT id, exact_key FROM entries WHERE expires_at <= ? LIMIT ?`,
        now,
        limit,
      )
      .toArray();
    for (const r of rows) {
      sql.exec(`DELETE FROM entries WHERE id = ?`, r.id);
      sql.exec(`DELETE FROM vectors WHERE id = ?`, r.id);
    }
    queueOutside(sql, tenant, rows, vectorize);
    const orphans = sql
      .exec<{ id: string }>(
        `DELETE FROM vectors WHERE id IN (SELECT id FROM vectors WHERE expires_at <= ? LIMIT ?) RETURNING id`,
        now,
        limit,
      )
      .toArray();
    return { entries: rows.length, vectorIds: [...rows.map((r) => r.id), ...orphans.map((o) => o.id)] };
  });
}

/** The next queued deletions, oldest first. */
export function pendingDeletes(sql: SqlStorage, limit: number): { id: number; kind: "kv" | "vector"; key: string }[] {
  return sql
    .exec<{ id: number; kind: "kv" | "vector"; key: string }>(
      `SELECT id, kind, key FROM pending_deletes ORDER BY id LIMIT ?`,
      limit,
    )
    .toArray();
}

/**
 * A tenant's deletion: every outside copy of its entries (KV bodies and exact-tier pointers, Vectorize vectors)
 * queued, with whatever was queued before, and returned, for the deletion to queue again in the emptied object
 * (requeueDeletes). They are unreadable once the data key is destroyed, but would otherwise stay: KV values until
 * their TTL, Vectorize vectors for good. One row per copy is read into memory: three per entry.
 */
export function outsideCopiesOfAll(
  storage: DurableObjectStorage,
  tenant: string,
  vectorize: boolean,
): { kind: "kv" | "vector"; key: string }[] {
  eraseEntries(storage, tenant, { all: true }, vectorize);
  return storage.sql
    .exec<{ kind: "kv" | "vector"; key: string }>(`SELECT kind, key FROM pending_deletes ORDER BY id`)
    .toArray();
}

/** Queues deletions again (in the order given), for the sweeper. */
export function requeueDeletes(storage: DurableObjectStorage, rows: readonly { kind: "kv" | "vector"; key: string }[]) {
  storage.transactionSync(() => {
    for (const r of rows) storage.sql.exec(`INSERT INTO pending_deletes (kind, key) VALUES (?, ?)`, r.kind, r.key);
  });
}

export function donePendingDeletes(sql: SqlStorage, upTo: number): void {
  sql.exec(`DELETE FROM pending_deletes WHERE id <= ?`, upTo);
}

export function countPendingDeletes(sql: SqlStorage): number {
  return sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM pending_deletes`).one().n;
}

/** The earliest expiry among the catalog's entries (ms), or null when it is empty. */
export function nextExpiry(sql: SqlStorage): number | null {
  return sql.exec<{ t: number | null }>(`SELECT MIN(expires_at) AS t FROM entries`).one().t;
}

/**
 * Queues the outside copies of entries already removed from the catalog: each body (and Vectorize vector), and
 * each exact-tier pointer that no remaining entry shares. A prompt stored again (a refresh, or a store after an
 * earlier entry expired) has its pointer re-written to the newer entry: deleting it with the older one would
 * leave the newer entry reachable by the semantic tier only (a prompt that is only code: not at all).
 */
function queueOutside(
  sql: SqlStorage,
  tenant: string,
  removed: readonly { id: string; exact_key: string }[],
  vectorize: boolean,
): void {
  const pointers = new Set<string>();
  for (const r of removed) {
    sql.exec(`INSERT INTO pending_deletes (kind, key) VALUES ('kv', ?)`, cacheKv.entry(tenant, r.id));
    if (vectorize) sql.exec(`INSERT INTO pending_deletes (kind, key) VALUES ('vector', ?)`, r.id);
    pointers.add(r.exact_key);
  }
  for (const key of pointers) {
    if (exactKeyInUse(sql, key)) continue;
    sql.exec(`INSERT INTO pending_deletes (kind, key) VALUES ('kv', ?)`, key);
  }
}

/** Whether an entry still in the catalog shares this exact-tier pointer. */
export function exactKeyInUse(sql: SqlStorage, exactKey: string): boolean {
  return sql.exec(`SELECT 1 FROM entries WHERE exact_key = ? LIMIT 1`, exactKey).toArray().length > 0;
}

function whereOf(selector: EraseSelector): [string, (string | number)[]] {
  if ("userHash" in selector) {
    checkText("user_hash", selector.userHash);
    return ["user_hash = ?", [selector.userHash]];
  }
  if ("before" in selector) {
    if (!Number.isSafeInteger(selector.before)) fail("invalid before: an integer number of milliseconds");
    return ["created_at < ?", [selector.before]];
  }
  return ["1 = 1", []];
}

// ── stores that come after an erasure ───────────────────────────────────────────────────────────────────

/**
 * What a request saw of the erasures that concern it, taken when it was asked: the tenant's erasure watermark
 * (from the tenant record it read) and, for a user's cache, how many times that user had been erased. An answer
 * is stored after its response, so an erasure may run in between; a store whose ticket no longer matches is
 * refused, so that what the erasure removed does not come back. No clocks are compared.
 */
export interface StoreTicket {
  readonly erasedBefore: number;
  /** null for the tenant's shared cache. */
  readonly userErasures: number | null;
}

/** Throws TenantObjectInputError for a ticket that is not well-formed. */
export function checkTicket(t: StoreTicket): void {
  if (!t || typeof t !== "object") fail("ticket must be an object");
  if (!Number.isSafeInteger(t.erasedBefore) || t.erasedBefore < 0) fail("invalid ticket erasedBefore");
  if (t.userErasures !== null && (!Number.isSafeInteger(t.userErasures) || t.userErasures < 0)) {
    fail("invalid ticket userErasures");
  }
}

/** How many times the user was erased (0: never). */
export function userErasures(sql: SqlStorage, userHash: string): number {
  checkText("user_hash", userHash);
  const row = sql
    .exec<{ erasures: number }>(`SELECT erasures FROM user_erasures WHERE user_hash = ?`, userHash)
    .toArray()[0];
  return row?.erasures ?? 0;
}

/** Why a store with this ticket may not go ahead (null when it may). */
export function storeRefusal(
  sql: SqlStorage,
  tenant: TenantRecord | null,
  userHash: string | null,
  ticket: StoreTicket,
): "no_tenant" | "erased_since" | "user_erased_since" | null {
  if (!tenant) return "no_tenant";
  if (tenant.erased_before !== ticket.erasedBefore) return "erased_since";
  if (userHash === null) return null;
  return ticket.userErasures === userErasures(sql, userHash) ? null : "user_erased_since";
}

// ── per-user salts ──────────────────────────────────────────────────────────────────────────────────────

/** The user's salt (base64url), created when `create` and there is none; null when none exists. */
export function userSalt(sql: SqlStorage, userHash: string, create: boolean, now: number): string | null {
  checkText("user_hash", userHash);
  const row = sql.exec<{ salt: string }>(`SELECT salt FROM user_salts WHERE user_hash = ?`, userHash).toArray()[0];
  if (row) return row.salt;
  if (!create) return null;
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const salt = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
  sql.exec(`INSERT INTO user_salts (user_hash, salt, created_at) VALUES (?, ?, ?)`, userHash, salt, now);
  return salt;
}
