// API-key records (TENANTS KV). Only the keyed hash of a secret is stored: `_key:{hash}` for lookup at
// authentication, and `{tenant}:key:{id}` for the tenant's listing (which also holds the hash so that
// revocation can find the lookup record).
import * as z from "zod";
import { TENANT_ID_PATTERN } from "../../shared/ids";
import { ROLES, SCOPES } from "../policy/scopes";
import { tenantsKv } from "./kv-keys";

export const ApiKeyRecordSchema = z.object({
  v: z.literal(1),
  id: z.string(),
  tenant: z.string().regex(TENANT_ID_PATTERN),
  /** The tenant generation the key was made for; a key of an earlier generation never authenticates. */
  tenant_generation: z.string().default("legacy"),
  name: z.string(),
  role: z.enum(ROLES),
  scopes: z.array(z.enum(SCOPES)),
  env: z.enum(["live", "test", "dev"]),
  cache_scope: z.enum(["tenant", "user"]),
  created_at: z.number(),
  expires_at: z.number().nullable(),
  hash: z.string(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecordSchema>;

export function apiKeyView(k: ApiKeyRecord) {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    scopes: k.scopes,
    environment: k.env,
    cache_scope: k.cache_scope,
    created_at: new Date(k.created_at).toISOString(),
    expires_at: k.expires_at === null ? null : new Date(k.expires_at).toISOString(),
  };
}

export class ApiKeyRecords {
  constructor(private readonly kv: KVNamespace) {}

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const raw = await this.kv.get(tenantsKv.apiKeyByHash(hash), { type: "json" });
    if (raw === null) return null;
    const parsed = ApiKeyRecordSchema.safeParse(raw);
    return parsed.success ? parsed.data : null;
  }

  async put(k: ApiKeyRecord): Promise<void> {
    const value = JSON.stringify(k);
    await this.kv.put(tenantsKv.apiKeyById(k.tenant, k.id), value);
    await this.kv.put(tenantsKv.apiKeyByHash(k.hash), value);
  }

  async list(tenant: string): Promise<ApiKeyRecord[]> {
    const out: ApiKeyRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.kv.list({ prefix: tenantsKv.apiKeyListPrefix(tenant), ...(cursor ? { cursor } : {}) });
      const values = await Promise.all(page.keys.map((k) => this.kv.get(k.name, { type: "json" })));
      for (const v of values) {
        const parsed = ApiKeyRecordSchema.safeParse(v);
        if (parsed.success) out.push(parsed.data);
      }
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    return out.sort((a, b) => a.created_at - b.created_at);
  }

  /** Removes every key of a tenant (both records); returns how many. */
  async deleteAll(tenant: string): Promise<number> {
    const keys = await this.list(tenant);
    await Promise.all(
      keys.flatMap((k) => [
        this.kv.delete(tenantsKv.apiKeyByHash(k.hash)),
        this.kv.delete(tenantsKv.apiKeyById(tenant, k.id)),
      ]),
    );
    return keys.length;
  }
}
