// The responses a provider stored for this tenant (stateful Responses API requests: `store` not false). The
// provider keeps them under the credential that made them — the deployment's own, when the tenant has no virtual
// key, which every such tenant shares — so knowing an id is enough to continue from it there. Cordon lets a
// request continue (`previous_response_id`) only from a response made through its own tenant. Kept as long as
// OpenAI keeps a stored response (30 days), then forgotten.
import { checkText, checkTime } from "./checks";

export const PROVIDER_RESPONSE_DAYS = 30;
const KEEP_MS = PROVIDER_RESPONSE_DAYS * 86_400_000;

export function recordProviderResponse(sql: SqlStorage, id: string, now: number): void {
  checkText("response id", id);
  checkTime("now", now);
  sql.exec(`INSERT OR IGNORE INTO provider_responses (id, created_at) VALUES (?, ?)`, id, now);
  sql.exec(`DELETE FROM provider_responses WHERE created_at < ?`, now - KEEP_MS);
}

export function isProviderResponse(sql: SqlStorage, id: string): boolean {
  checkText("response id", id);
  return sql.exec(`SELECT 1 FROM provider_responses WHERE id = ? LIMIT 1`, id).toArray().length > 0;
}
