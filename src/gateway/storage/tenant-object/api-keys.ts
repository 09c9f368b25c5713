// API keys in the tenant's object: the authoritative record of every key of the tenant (created, rotated,
// revoked, last used, where it was used from). Secrets appear only as keyed hashes.
import { type KeyRecord, KeyRecordSchema } from "../records";
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
