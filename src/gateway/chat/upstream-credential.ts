// Which provider credential a request is sent upstream with: one of the tenant's virtual keys (routes/admin-
// virtual-keys.ts), opened only for this call. Without one, the deployment's own (PROVIDER_API_KEY, or keys
// stored in AI Gateway) applies.
import type { TenantKeyring } from "../crypto/tenant-keyring";
import { type ApiError, fail } from "../http/errors";
import type { Runtime } from "../runtime";
import type { TenantRecord } from "../storage/records";

export const VIRTUAL_KEY_ID = /^vk_[0-9A-Za-z]{16}$/;
export const PROVIDER = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** What each key of providerObjectsNamed names, in a refusal's words. */
const OBJECT_NAMES: Readonly<Record<string, string>> = {
  conversation: "conversation",
  container: "container",
  vector_store_ids: "vector store",
  file_id: "file",
  file_ids: "file",
};

/**
 * The refusal of a request that names a provider-stored object (`kind:id`, policy/provider-objects.ts) where only
 * the deployment's credential applies: the object would be the deployment account's, not the tenant's.
 */
export function providerObjectRefused(named: string, target: string): ApiError {
  const colon = named.indexOf(":");
  const kind = named.slice(0, colon);
  return fail("provider_object_not_found", {
    message:
      `No ${OBJECT_NAMES[kind] ?? "file"} with id '${named.slice(colon + 1, colon + 65)}' was made through this tenant: without a virtual key for ` +
      `'${target.split("/")[0]}', requests use the deployment's provider account, whose stored objects are not this tenant's.`,
    reason: `provider_object:${kind}`,
  });
}

/** The additional data a virtual key is sealed with: it opens only as this tenant's key of this id. */
export const aadOf = (tenant: string, id: string) => `virtual-key:${tenant}:${id}`;

/**
 * The provider credential for a request, opened only to be sent upstream: the virtual key named by
 * `x-cordon-virtual-key` (which must be for the provider the model names), or the newest one for that provider;
 * undefined when none applies. The tenant's object is asked only when a key is named or the tenant record lists
 * the model's provider (or predates that list): a tenant without virtual keys costs a miss no round trip to it.
 */
export async function upstreamCredential(
  rt: Runtime,
  tenant: TenantRecord,
  keyring: TenantKeyring,
  model: string,
  headers: Headers,
): Promise<string | undefined> {
  const named = headers.get("x-cordon-virtual-key");
  if (named !== null && !VIRTUAL_KEY_ID.test(named.trim()))
    throw fail("virtual_key_not_found", { reason: "malformed_id" });
  const slash = model.indexOf("/");
  const provider = slash > 0 ? model.slice(0, slash).toLowerCase() : null;
  if (named === null) {
    if (provider === null || !PROVIDER.test(provider)) return undefined;
    // A key added since the record was read is used once the record reaches this location (docs/security.md,
    // "How fast a change takes effect"); naming it uses it at once. A deleted key is never sent: the object is asked.
    if (tenant.virtual_key_providers && !tenant.virtual_key_providers.includes(provider)) return undefined;
  }
  const record = await rt.tenantObject(tenant.id).virtualKeyFor(provider ?? "", named?.trim() ?? null);
  if (!record) {
    if (named !== null) throw fail("virtual_key_not_found", { reason: "named_key_missing" });
    return undefined;
  }
  // A credential goes only to the provider it is for: a named key of another provider is never sent.
  if (provider !== null && record.provider !== provider) {
    throw fail("virtual_key_not_found", {
      message: "The named virtual key is not for the provider of this model.",
      reason: "named_key_other_provider",
    });
  }
  return keyring.openSecret(record.sealed, aadOf(tenant.id, record.id));
}
