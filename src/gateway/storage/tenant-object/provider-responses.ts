// The responses a provider stored for this tenant (stateful Responses API requests: `store` not false), and the
// output items of each. The provider keeps them under the credential that made them — the deployment's own, when
// the tenant has no virtual key, which every such tenant shares — so knowing an id is enough to continue from it
// there, or to pull an item into another request. Cordon lets a request continue (`previous_response_id`) only
// from a response made through its own tenant, and refer to an item (`item_reference`) only when it is an output
// item of one. Both kinds of id share the table: an id of one kind named as the other is refused by the provider.
// Kept as long as OpenAI keeps a stored response (30 days), then forgotten.
import { checkText, checkTime } from "./checks";

export const PROVIDER_RESPONSE_DAYS = 30;
const KEEP_MS = PROVIDER_RESPONSE_DAYS * 86_400_000;

/** Records a stored response's id and the ids of its output items. */
export function recordProviderResponse(sql: SqlStorage, id: string, now: number, items: readonly string[] = []): void {
  checkText("response id", id);
  checkTime("now", now);
  for (const item of items) checkText("item id", item);
  for (const known of [id, ...items]) {
    sql.exec(`INSERT OR IGNORE INTO provider_responses (id, created_at) VALUES (?, ?)`, known, now);
  }
  sql.exec(`DELETE FROM provider_responses WHERE created_at < ?`, now - KEEP_MS);
}

function isProviderResponse(sql: SqlStorage, id: string): boolean {
  checkText("response id", id);
  return sql.exec(`SELECT 1 FROM provider_responses WHERE id = ? LIMIT 1`, id).toArray().length > 0;
}

/** The ids among `ids` that name nothing the provider stored for this tenant. */
export function unknownProviderIds(sql: SqlStorage, ids: readonly string[]): string[] {
  return ids.filter((id) => !isProviderResponse(sql, id));
}
