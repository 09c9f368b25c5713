// The responses a provider stored for this tenant (stateful Responses API requests: `store` not false), and the
// output items of each. The provider keeps them under the credential that made them — the deployment's own, when
// the tenant has no virtual key, which every such tenant shares — so knowing an id is enough to continue from it
// there, or to pull an item into another request. Cordon lets a request continue (`previous_response_id`) only
// from a response made through its own tenant, and refer to an item (`item_reference`) only when it is an output
// item of one. Both kinds of id share the table: an id of one kind named as the other is refused by the provider.
// Each is also its owner's, as a cache entry is: the requests of one user (x-cache-user or OpenAI's `user`), or the
// tenant's requests that name no user; another caller of the same tenant who learns the id cannot continue that
// conversation or pull in its items. Kept as long as OpenAI keeps a stored response (30 days), then forgotten.
import { checkText, checkTime, fail } from "./checks";

export const PROVIDER_RESPONSE_DAYS = 30;
const KEEP_MS = PROVIDER_RESPONSE_DAYS * 86_400_000;

/** The owner of what the tenant's requests that name no user stored; a user's is the user's keyed hash. */
export const TENANT_WIDE_OWNER = "tenant";
/** The owner of rows recorded before owners were (schema v14): any of the tenant's requests. */
const ANY_OWNER = "*";

/** Records a stored response's id and the ids of its output items, as `owner`'s. */
export function recordProviderResponse(
  sql: SqlStorage,
  id: string,
  now: number,
  items: readonly string[],
  owner: string,
): void {
  checkText("response id", id);
  checkTime("now", now);
  for (const item of items) checkText("item id", item);
  checkOwner(owner);
  for (const known of [id, ...items]) {
    sql.exec(`INSERT OR IGNORE INTO provider_responses (id, created_at, owner) VALUES (?, ?, ?)`, known, now, owner);
  }
  sql.exec(`DELETE FROM provider_responses WHERE created_at < ?`, now - KEEP_MS);
}

function isOwnedBy(sql: SqlStorage, id: string, owner: string): boolean {
  checkText("response id", id);
  return (
    sql
      .exec(`SELECT 1 FROM provider_responses WHERE id = ? AND owner IN (?, ?) LIMIT 1`, id, owner, ANY_OWNER)
      .toArray().length > 0
  );
}

/** The ids among `ids` that name nothing the provider stored for `owner` (unknown, another owner's). */
export function unknownProviderIds(sql: SqlStorage, ids: readonly string[], owner: string): string[] {
  checkOwner(owner);
  return ids.filter((id) => !isOwnedBy(sql, id, owner));
}

/** Forgets a response `owner` deleted at the provider (its output items stay, until forgotten in time). */
export function forgetProviderResponse(sql: SqlStorage, id: string, owner: string): void {
  checkText("response id", id);
  checkOwner(owner);
  sql.exec(`DELETE FROM provider_responses WHERE id = ? AND owner IN (?, ?)`, id, owner, ANY_OWNER);
}

function checkOwner(owner: string): void {
  checkText("owner", owner);
  if (owner === ANY_OWNER) fail("invalid owner: '*' is not one");
}
