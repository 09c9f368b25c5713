// POST /v1/admin/master-key/rewrap — master-key rotation, for the platform operator: every stored key wrapped
// under an earlier master (tenants' data keys, the platform key) is re-wrapped under the current MASTER_KEY.
// Nothing else is re-encrypted: entries, virtual keys and hashes stay as they are. Paged over tenants
// (`?cursor=`, `limit` ≤ 200) so that any number of tenants fits the limits of an invocation; repeat until
// `next_cursor` is null, then remove the old key from MASTER_KEY_PREVIOUS (docs/operations.md, runbook).
import type * as z from "zod";
import type { Handled, RequestContext } from "../context";
import { dataKeyLabel, PLATFORM_KEY_LABEL } from "../crypto/master-keyring";
import { fail } from "../http/errors";
import { json } from "../http/respond";
import { tenantsKv } from "../storage/kv-keys";
import { PLATFORM_OBJECT } from "../storage/tenant-object/index";
import type { RewrapResultSchema } from "./admin-schemas";

export async function rewrapMasterKey(rc: RequestContext): Promise<Handled> {
  const { rt, url } = rc;
  const limitParam = url.searchParams.get("limit");
  const limit = limitParam === null ? 100 : Number(limitParam);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
    throw fail("invalid_limit", { message: "limit must be a whole number from 1 to 200." });
  }
  const cursor = url.searchParams.get("cursor") ?? undefined;

  await rc.recordChange();
  let platformKey: "rewrapped" | "current" | null = null;
  if (cursor === undefined) {
    const wrapped = await rt.env.TENANTS.get(tenantsKv.platformKey);
    if (wrapped !== null) {
      const next = await rt.master.rewrap(PLATFORM_KEY_LABEL, wrapped);
      if (next !== null) {
        const platform = rt.env.TENANT_OBJECT.get(rt.env.TENANT_OBJECT.idFromName(PLATFORM_OBJECT));
        await platform.platformKey(next, wrapped);
      }
      platformKey = next === null ? "current" : "rewrapped";
    }
  }

  const page = await rt.tenantDirectory.list(limit, cursor);
  let rewrapped = 0;
  let current = 0;
  for (const t of page.tenants) {
    const next = await rt.master.rewrap(dataKeyLabel(t.id), t.wrapped_data_key);
    if (next === null) {
      current++;
      continue;
    }
    if (await rt.tenantObject(t.id).rewrapDataKey(t.wrapped_data_key, next)) rewrapped++;
  }
  return {
    response: json({
      object: "master_key.rewrap",
      master_key: rt.master.currentId,
      platform_key: platformKey,
      tenants_rewrapped: rewrapped,
      tenants_current: current,
      next_cursor: page.cursor,
    } satisfies z.infer<typeof RewrapResultSchema>),
    facts: { reason: `rewrap:${rewrapped}` },
  };
}
