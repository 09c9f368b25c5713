// The tenant's configuration in its object: the authoritative tenant record (policy, generation, wrapped data
// key, token cut-off), changed one write at a time and projected to KV.
import { type TenantRecord, TenantRecordSchema } from "../records";

export function readTenant(sql: SqlStorage): TenantRecord | null {
  const row = sql.exec<{ record: string }>(`SELECT record FROM tenant WHERE singleton = 1`).toArray()[0];
  return row ? TenantRecordSchema.parse(JSON.parse(row.record)) : null;
}

export function writeTenant(sql: SqlStorage, t: TenantRecord): void {
  sql.exec(`INSERT OR REPLACE INTO tenant (singleton, record) VALUES (1, ?)`, JSON.stringify(t));
}
