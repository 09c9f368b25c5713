// Authentication: `Authorization: Bearer <secret>` → a principal. API keys are recognised by format and
// checksum before any storage read, then looked up by their keyed hash; the key's tenant must be the tenant
// the Host resolved to. The operator's ROOT_TOKEN is compared in constant time.

import { timingSafeEqualStrings } from "../crypto/key-hierarchy";
import { fail } from "../http/errors";
import type { Principal } from "../policy/principal";
import type { Runtime } from "../runtime";
import type { TenantRecord } from "../storage/tenant-directory";
import { looksLikeApiKey, parseApiKey } from "./api-key-secret";

function bearerToken(request: Request): string {
  const header = request.headers.get("authorization");
  if (header === null || header.trim() === "") {
    throw fail("missing_api_key", { reason: "no_credential" });
  }
  const m = /^Bearer +([\x21-\x7e]{1,512})$/i.exec(header.trim());
  if (!m) throw fail("invalid_authorization", { reason: "not_bearer" });
  return m[1]!;
}

/**
 * Authenticates the request for `tenant` (null on the platform host, where only ROOT_TOKEN is accepted).
 * Throws 401 for a missing, malformed, unknown or expired credential, 403 for a key of another tenant.
 */
export async function authenticate(rt: Runtime, request: Request, tenant: TenantRecord | null): Promise<Principal> {
  const token = bearerToken(request);

  if (!looksLikeApiKey(token)) {
    if (await timingSafeEqualStrings(token, rt.config.rootToken)) return { kind: "operator" };
    throw fail("invalid_api_key", { reason: "unrecognised_token" });
  }
  const parsed = parseApiKey(token);
  if (!parsed) throw fail("malformed_api_key", { reason: "format_or_checksum" });
  if (parsed.env !== rt.config.apiKeyEnv) {
    throw fail("wrong_environment", {
      message: `This gateway accepts '${rt.config.apiKeyEnv}' keys only.`,
      reason: `key_env_${parsed.env}`,
    });
  }
  const record = await rt.apiKeyRecords.findByHash(await rt.master.hashApiKey(token));
  if (!record) throw fail("invalid_api_key", { reason: "unknown_key" });
  if (record.expires_at !== null && record.expires_at <= Date.now()) {
    throw fail("expired_api_key", { reason: "key_expired" });
  }
  if (tenant === null || record.tenant !== tenant.id) {
    throw fail("tenant_mismatch", { reason: "key_of_other_tenant" });
  }
  if (record.tenant_generation !== tenant.generation) {
    // A key made for an earlier tenant of the same id (deleted since): it names no key of this tenant.
    throw fail("invalid_api_key", { reason: "key_of_deleted_tenant" });
  }
  return {
    kind: "api_key",
    keyId: record.id,
    tenant: record.tenant,
    role: record.role,
    scopes: new Set(record.scopes),
    cacheScope: record.cache_scope,
    expiresAt: record.expires_at,
  };
}
