// Tenant records (TENANTS KV). A record holds the tenant's cache policy and its wrapped data key; deleting the
// record destroys the only copy of that key, so whatever was sealed under it becomes unreadable.
import * as z from "zod";
import { TENANT_ID_PATTERN } from "../../shared/ids";
import { PolicySchema } from "../policy/tenant-policy";
import { tenantsKv } from "./kv-keys";

const TenantRecordSchema = z.object({
  v: z.literal(1),
  id: z.string().regex(TENANT_ID_PATTERN),
  name: z.string(),
  /**
   * Random per creation: keys are bound to it, so a key made around a deletion can never authenticate on a
   * tenant later re-created under the same id. (Records written before generations existed read as "legacy".)
   */
  generation: z.string().default("legacy"),
  created_at: z.number(),
  hostnames: z.array(z.string()),
  policy: PolicySchema,
  wrapped_data_key: z.string(),
});
export type TenantRecord = z.infer<typeof TenantRecordSchema>;

/** What the admin API shows of a tenant: never the data key. */
export function tenantView(t: TenantRecord) {
  return {
    id: t.id,
    name: t.name,
    created_at: new Date(t.created_at).toISOString(),
    hostnames: t.hostnames,
    policy: t.policy,
  };
}

/** A fresh tenant generation: 96 random bits, base64url. */
export function newTenantGeneration(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(12))))
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
}

export class TenantDirectory {
  constructor(private readonly kv: KVNamespace) {}

  /** Reads through KV's edge cache for up to 60 s: a deleted tenant stops resolving within that time. */
  async get(id: string): Promise<TenantRecord | null> {
    if (!TENANT_ID_PATTERN.test(id)) return null;
    const raw = await this.kv.get(tenantsKv.tenant(id), { type: "json", cacheTtl: 60 });
    if (raw === null) return null;
    const parsed = TenantRecordSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`corrupt tenant record for ${id}`);
    return parsed.data;
  }

  /** Fresh read (no edge cache), for administrative changes. */
  async getFresh(id: string): Promise<TenantRecord | null> {
    if (!TENANT_ID_PATTERN.test(id)) return null;
    const raw = await this.kv.get(tenantsKv.tenant(id), { type: "json" });
    if (raw === null) return null;
    const parsed = TenantRecordSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`corrupt tenant record for ${id}`);
    return parsed.data;
  }

  /** Fresh read (no edge cache), for the admin API's existence checks. */
  async exists(id: string): Promise<boolean> {
    return (await this.kv.get(tenantsKv.tenant(id))) !== null;
  }

  async put(t: TenantRecord): Promise<void> {
    await this.kv.put(tenantsKv.tenant(t.id), JSON.stringify(t));
  }

  async delete(id: string): Promise<void> {
    await this.kv.delete(tenantsKv.tenant(id));
  }

  async list(limit: number, cursor?: string): Promise<{ tenants: TenantRecord[]; cursor: string | null }> {
    const page = await this.kv.list({ prefix: tenantsKv.tenantListPrefix, limit, ...(cursor ? { cursor } : {}) });
    const ids = page.keys.map((k) => k.name.slice(tenantsKv.tenantListPrefix.length));
    const tenants = (await Promise.all(ids.map((id) => this.get(id)))).filter((t): t is TenantRecord => t !== null);
    return { tenants, cursor: page.list_complete ? null : page.cursor };
  }

  async tenantForHostname(hostname: string): Promise<string | null> {
    return this.kv.get(tenantsKv.hostname(hostname), { cacheTtl: 60 });
  }

  async mapHostname(hostname: string, tenant: string): Promise<void> {
    await this.kv.put(tenantsKv.hostname(hostname), tenant);
  }

  async unmapHostname(hostname: string): Promise<void> {
    await this.kv.delete(tenantsKv.hostname(hostname));
  }
}
