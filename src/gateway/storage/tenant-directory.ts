// The read side of tenant and key records in KV: resolving a Host to a tenant, and a secret's keyed hash to
// the key it authenticates. Written only by each tenant's object (tenant-object/projection.ts).
import { TENANT_ID_PATTERN } from "../../shared/ids";
import { tenantsKv } from "./kv-keys";
import { type KeyAuthRecord, KeyAuthRecordSchema, type TenantRecord, TenantRecordSchema } from "./records";

/** How long a tenant record, hostname mapping or key record may be served from KV's edge cache (seconds). */
export const KV_CACHE_TTL_SECONDS = 30;

export class TenantDirectory {
  constructor(private readonly kv: KVNamespace) {}

  /** Through KV's edge cache: a change reaches every location within KV_CACHE_TTL_SECONDS (plus propagation). */
  async get(id: string): Promise<TenantRecord | null> {
    if (!TENANT_ID_PATTERN.test(id)) return null;
    return parseTenant(id, await this.kv.get(tenantsKv.tenant(id), { type: "json", cacheTtl: KV_CACHE_TTL_SECONDS }));
  }

  /** Fresh read (no edge cache), for administrative listings. */
  async getFresh(id: string): Promise<TenantRecord | null> {
    if (!TENANT_ID_PATTERN.test(id)) return null;
    return parseTenant(id, await this.kv.get(tenantsKv.tenant(id), { type: "json" }));
  }

  async list(limit: number, cursor?: string): Promise<{ tenants: TenantRecord[]; cursor: string | null }> {
    const page = await this.kv.list({ prefix: tenantsKv.tenantListPrefix, limit, ...(cursor ? { cursor } : {}) });
    const ids = page.keys.map((k) => k.name.slice(tenantsKv.tenantListPrefix.length));
    const tenants = (await Promise.all(ids.map((id) => this.getFresh(id)))).filter(
      (t): t is TenantRecord => t !== null,
    );
    return { tenants, cursor: page.list_complete ? null : page.cursor };
  }

  async tenantForHostname(hostname: string): Promise<string | null> {
    return this.kv.get(tenantsKv.hostname(hostname), { cacheTtl: KV_CACHE_TTL_SECONDS });
  }

  /** The key a secret's keyed hash authenticates, or null. Through the edge cache, like tenant records. */
  async keyByHash(hash: string): Promise<KeyAuthRecord | null> {
    const raw = await this.kv.get(tenantsKv.apiKeyByHash(hash), { type: "json", cacheTtl: KV_CACHE_TTL_SECONDS });
    if (raw === null) return null;
    const parsed = KeyAuthRecordSchema.safeParse(raw);
    return parsed.success ? parsed.data : null;
  }
}

function parseTenant(id: string, raw: unknown): TenantRecord | null {
  if (raw === null) return null;
  const parsed = TenantRecordSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`corrupt tenant record for ${id}`);
  return parsed.data;
}
