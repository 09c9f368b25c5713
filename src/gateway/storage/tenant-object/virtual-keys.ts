// Virtual keys: a tenant's provider credentials, kept in its object sealed under the tenant's data key (AES-256-
// GCM, AAD naming tenant and key). The object never sees a credential in clear; the gateway seals on create and
// opens only to call the provider. A view shows at most the last four characters.
import * as z from "zod";
import { checkId, fail } from "./checks";

export const VirtualKeyRecordSchema = z.object({
  v: z.literal(1),
  id: z.string(),
  name: z.string(),
  /** The provider this credential is for, as models name it: `openai` in `openai/gpt-4o-mini`. */
  provider: z.string(),
  /** The last four characters of the credential, for recognising it; never more. */
  preview: z.string(),
  /** The credential sealed under the tenant data key (AAD `virtual-key:{tenant}:{id}`). */
  sealed: z.string(),
  created_at: z.number(),
  created_by: z.string(),
});
export type VirtualKeyRecord = z.infer<typeof VirtualKeyRecordSchema>;

export function insertVirtualKey(sql: SqlStorage, k: VirtualKeyRecord): void {
  if (!VirtualKeyRecordSchema.safeParse(k).success) fail("invalid virtual key record");
  sql.exec(
    `INSERT INTO virtual_keys (id, provider, record, created_at) VALUES (?, ?, ?, ?)`,
    k.id,
    k.provider,
    JSON.stringify(k),
    k.created_at,
  );
}

export function listVirtualKeys(sql: SqlStorage): VirtualKeyRecord[] {
  return sql
    .exec<{ record: string }>(`SELECT record FROM virtual_keys ORDER BY created_at, id`)
    .toArray()
    .map((r) => VirtualKeyRecordSchema.parse(JSON.parse(r.record)));
}

/** The newest credential for a provider, or the one named by id; null when there is none. */
export function virtualKeyFor(sql: SqlStorage, provider: string, id: string | null): VirtualKeyRecord | null {
  const row =
    id === null
      ? sql
          .exec<{ record: string }>(
            `SELECT record FROM virtual_keys WHERE provider = ? ORDER BY created_at DESC, id DESC LIMIT 1`,
            provider,
          )
          .toArray()[0]
      : sql.exec<{ record: string }>(`SELECT record FROM virtual_keys WHERE id = ?`, id).toArray()[0];
  return row ? VirtualKeyRecordSchema.parse(JSON.parse(row.record)) : null;
}

/** The providers with at least one virtual key, sorted: what the tenant record's projection lists. */
export function virtualKeyProviders(sql: SqlStorage): string[] {
  return sql
    .exec<{ provider: string }>(`SELECT DISTINCT provider FROM virtual_keys ORDER BY provider`)
    .toArray()
    .map((r) => r.provider);
}

export function deleteVirtualKey(sql: SqlStorage, id: string): boolean {
  checkId(id);
  return sql.exec(`DELETE FROM virtual_keys WHERE id = ?`, id).rowsWritten > 0;
}
