// The tenant's configuration in its object: the authoritative tenant record (policy, generation, wrapped data
// key, token cut-off), changed one write at a time and projected to KV; and, in the platform's object only, the
// wrapped platform key.
import { type TenantRecord, TenantRecordSchema } from "../records";

export function readTenant(sql: SqlStorage): TenantRecord | null {
  const row = sql.exec<{ record: string }>(`SELECT record FROM tenant WHERE singleton = 1`).toArray()[0];
  return row ? TenantRecordSchema.parse(JSON.parse(row.record)) : null;
}

export function writeTenant(sql: SqlStorage, t: TenantRecord): void {
  sql.exec(`INSERT OR REPLACE INTO tenant (singleton, record) VALUES (1, ?)`, JSON.stringify(t));
}

/**
 * The wrapped platform key to keep: the stored one, or `candidate` when none is stored yet or when `expected`
 * (a re-wrap) is still the stored value. Written when it changes.
 */
export function keepPlatformKey(sql: SqlStorage, candidate: string, expected: string | undefined): string {
  const row = sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'platform_key'`).toArray()[0];
  const keep = row && !(expected !== undefined && row.value === expected) ? row.value : candidate;
  if (!row || keep !== row.value) sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('platform_key', ?)`, keep);
  return keep;
}
