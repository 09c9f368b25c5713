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
  // An empty cursor (a script's first call, before it has one) is the first page, platform key included, as the
  // tenant listing takes it: skipping the platform key there would report it as absent.
  const cursor = url.searchParams.get("cursor") || undefined;

  await rc.recordChange();
  let platformKey: "rewrapped" | "current" | null = null;
  if (cursor === undefined) {
    let wrapped = await rt.env.TENANTS.get(tenantsKv.platformKey);
    const platform = rt.env.TENANT_OBJECT.get(rt.env.TENANT_OBJECT.idFromName(PLATFORM_OBJECT));
    // KV's copy may be older than the platform object's: the object answers with the key it keeps, which is
    // then re-wrapped in its turn.
    for (let attempt = 0; wrapped !== null && platformKey === null; attempt++) {
      if (attempt === 3) throw new Error("the platform key kept changing during the re-wrap; run the re-wrap again");
      const next = await rt.master.rewrap(PLATFORM_KEY_LABEL, wrapped);
      if (next === null) {
        platformKey = "current";
        break;
      }
      const kept: string = await platform.platformKey(next, wrapped);
      if (kept === next) platformKey = "rewrapped";
      else wrapped = kept;
    }
  }

  const page = await rt.tenantDirectory.list(limit, cursor);
  let rewrapped = 0;
  let current = 0;
  for (const t of page.tenants) {
    const outcome = await rewrapTenant(rc, t.id);
    if (outcome === "rewrapped") rewrapped++;
    else if (outcome === "current") current++;
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

/**
 * Re-wraps one tenant's data key as its object holds it — the authority; the listing comes from KV, whose copy
 * may be older (a key re-wrapped or changed since), and a key left under the old master would be lost with it.
 * A change made between the read and the write is retried; one that keeps happening fails the call, so that
 * the operator runs it again rather than removing the old master key. "gone": the tenant was deleted.
 */
async function rewrapTenant(rc: RequestContext, id: string): Promise<"rewrapped" | "current" | "gone"> {
  const object = rc.rt.tenantObject(id);
  for (let attempt = 0; attempt < 3; attempt++) {
    const t = await object.getTenant();
    if (!t) return "gone";
    const next = await rc.rt.master.rewrap(dataKeyLabel(id), t.wrapped_data_key);
    if (next === null) return "current";
    if (await object.rewrapDataKey(t.wrapped_data_key, next)) return "rewrapped";
  }
  throw new Error(`tenant ${id}: its data key kept changing during the re-wrap; run the re-wrap again`);
}
