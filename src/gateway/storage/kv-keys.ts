// Every storage key the gateway writes is built here, one function per kind (docs/storage-schema.md).
// Tenant data keys start with the tenant id; platform keys start with "_", which no tenant id can.
// A missing or malformed tenant id throws: a lookup without a tenant fails closed.
import { TENANT_ID_PATTERN } from "../../shared/ids";

export function assertTenantId(tenant: string): string {
  if (typeof tenant !== "string" || !TENANT_ID_PATTERN.test(tenant)) {
    throw new Error("storage key requested without a valid tenant id");
  }
  return tenant;
}

function part(value: string, what: string): string {
  if (!value || /[:\s]/.test(value)) throw new Error(`invalid ${what} in storage key`);
  return value;
}

/** TENANTS namespace. */
export const tenantsKv = {
  tenant: (tenant: string) => `_tenant:${assertTenantId(tenant)}`,
  /** The platform key, wrapped under the master key. */
  platformKey: "_platform:key",
  tenantListPrefix: "_tenant:",
  hostname: (hostname: string) => `_host:${part(hostname, "hostname")}`,
  apiKeyByHash: (hash: string) => `_key:${part(hash, "key hash")}`,
} as const;

/** CACHE namespace. */
export const cacheKv = {
  /** Exact tier: keyed hash of scope + partition + normalised prompt → entry id. */
  exact: (tenant: string, exactHash: string) => `${assertTenantId(tenant)}:x:${part(exactHash, "exact hash")}`,
  /** Sealed entry body (the AES-GCM additional data is this same key). */
  entry: (tenant: string, entryId: string) => `${assertTenantId(tenant)}:e:${part(entryId, "entry id")}`,
  /** A sealed embedding: keyed hash of scope + partition + one input → the vector and its token count. */
  embedding: (tenant: string, inputHash: string) => `${assertTenantId(tenant)}:m:${part(inputHash, "input hash")}`,
  tenantPrefix: (tenant: string) => `${assertTenantId(tenant)}:`,
} as const;
