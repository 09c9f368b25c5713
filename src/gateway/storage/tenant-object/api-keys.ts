// API keys in the tenant's object: the authoritative record of every key of the tenant (created, rotated,
// revoked, last used, where it was used from). Secrets appear only as keyed hashes.
import { type KeyRecord, KeyRecordSchema, secretIssuedAt } from "../records";
import { checkId, checkText, fail } from "./checks";

export function insertKey(sql: SqlStorage, k: KeyRecord): void {
  const parsed = KeyRecordSchema.safeParse(k);
  if (!parsed.success) fail("invalid key record");
  sql.exec(`INSERT INTO api_keys (id, record, created_at) VALUES (?, ?, ?)`, k.id, JSON.stringify(k), k.created_at);
}

export function getKey(sql: SqlStorage, id: string): KeyRecord | null {
  checkId(id);
  const row = sql.exec<{ record: string }>(`SELECT record FROM api_keys WHERE id = ?`, id).toArray()[0];
  return row ? KeyRecordSchema.parse(JSON.parse(row.record)) : null;
}

export function updateKey(sql: SqlStorage, k: KeyRecord): void {
  sql.exec(`UPDATE api_keys SET record = ? WHERE id = ?`, JSON.stringify(k), k.id);
}

export function listKeys(sql: SqlStorage): KeyRecord[] {
  return sql
    .exec<{ record: string }>(`SELECT record FROM api_keys ORDER BY created_at, id`)
    .toArray()
    .map((r) => KeyRecordSchema.parse(JSON.parse(r.record)));
}

/** Records that the key was used from (country, asn); true when that place is new for the key. */
export function recordKeyLocation(sql: SqlStorage, keyId: string, country: string, asn: number, now: number): boolean {
  checkId(keyId);
  checkText("country", country);
  if (!Number.isSafeInteger(asn) || asn < 0) fail("invalid asn");
  const known = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM key_locations WHERE key_id = ?`, keyId).one().n;
  const seen = sql
    .exec<{ n: number }>(
      `SELECT COUNT(*) AS n FROM key_locations WHERE key_id = ? AND country = ? AND asn = ?`,
      keyId,
      country,
      asn,
    )
    .one().n;
  if (seen > 0) return false;
  sql.exec(
    `INSERT INTO key_locations (key_id, country, asn, first_seen) VALUES (?, ?, ?, ?)`,
    keyId,
    country,
    asn,
    now,
  );
  // The first place a key is used from is where it lives, not an alert.
  return known > 0;
}

/** Revokes every key not yet revoked, in one transaction; returns them as revoked (a lockdown). */
export function revokeAllKeys(storage: DurableObjectStorage, now: number): KeyRecord[] {
  const revoked: KeyRecord[] = [];
  storage.transactionSync(() => {
    for (const k of listKeys(storage.sql)) {
      if (k.revoked_at !== null) continue;
      const r = { ...k, revoked_at: now };
      updateKey(storage.sql, r);
      revoked.push(r);
    }
  });
  return revoked;
}

export type Rotation =
  | { readonly ok: true; readonly next: KeyRecord; readonly dropped: KeyRecord | null }
  | { readonly ok: false; readonly reason: "revoked" | "expired" };

/**
 * A key with a new secret (its keyed hash): the current secret stays valid until `graceEndsAt` (not at all when
 * that is not after `now`), and a secret rotated out earlier is dropped, returned as `dropped` (one previous
 * secret at a time). Revoked and expired keys do not rotate.
 */
export function rotation(k: KeyRecord, newHash: string, graceEndsAt: number, now: number): Rotation {
  if (k.revoked_at !== null) return { ok: false, reason: "revoked" };
  if (k.expires_at !== null && k.expires_at <= now) return { ok: false, reason: "expired" };
  const dropped = k.previous ? { ...k, hash: k.previous.hash, previous: null } : null;
  const next: KeyRecord = {
    ...k,
    hash: newHash,
    previous: graceEndsAt > now ? { hash: k.hash, expires_at: graceEndsAt, issued_at: secretIssuedAt(k) } : null,
    rotated_at: now,
  };
  return { ok: true, next, dropped };
}

/** The keyed hashes of a key's live secrets (current, and the previous one in its grace period). */
export const secretHashes = (k: KeyRecord): string[] => [k.hash, ...(k.previous ? [k.previous.hash] : [])];
