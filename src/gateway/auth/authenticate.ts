// Authentication: `Authorization: Bearer <secret>` → a principal. API keys are recognised by format and
// checksum before any storage read, then looked up by their keyed hash; the key's tenant must be the tenant
// the Host resolved to. The operator's ROOT_TOKEN is compared in constant time.

import { timingSafeEqualStrings } from "../crypto/key-hierarchy";
import { forbidden, unauthorized } from "../http/errors";
import type { Role, Scope } from "../policy/scopes";
import type { Runtime } from "../runtime";
import { looksLikeApiKey, parseApiKey } from "./api-key-secret";

export type Principal =
  | {
      kind: "api_key";
      keyId: string;
      tenant: string;
      role: Role;
      scopes: ReadonlySet<Scope>;
      cacheScope: "tenant" | "user";
    }
  | { kind: "root" };

export function actorOf(p: Principal): string {
  return p.kind === "root" ? "root" : `key:${p.keyId}`;
}

function bearerToken(request: Request): string {
  const header = request.headers.get("authorization");
  if (header === null || header.trim() === "") {
    throw unauthorized("missing_api_key", "Send an API key as 'Authorization: Bearer <key>'.");
  }
  const m = /^Bearer +([\x21-\x7e]{1,512})$/i.exec(header.trim());
  if (!m) throw unauthorized("invalid_authorization", "The Authorization header must be 'Bearer <key>'.");
  return m[1]!;
}

/**
 * Authenticates the request for `tenant` (null on the platform host, where only ROOT_TOKEN is accepted).
 * Throws 401 for a missing, malformed, unknown or expired credential, 403 for a key of another tenant.
 */
export async function authenticate(rt: Runtime, request: Request, tenant: string | null): Promise<Principal> {
  const token = bearerToken(request);

  if (!looksLikeApiKey(token)) {
    if (await timingSafeEqualStrings(token, rt.config.rootToken)) return { kind: "root" };
    throw unauthorized("invalid_api_key", "The API key is not valid.", "unrecognised bearer token");
  }
  const parsed = parseApiKey(token);
  if (!parsed) throw unauthorized("malformed_api_key", "The API key is malformed.", "format or checksum");
  if (parsed.env !== rt.config.apiKeyEnv) {
    throw unauthorized(
      "wrong_environment",
      `This gateway accepts '${rt.config.apiKeyEnv}' keys only.`,
      `key env ${parsed.env}`,
    );
  }
  const record = await rt.apiKeyRecords.findByHash(await rt.master.hashApiKey(token));
  if (!record) throw unauthorized("invalid_api_key", "The API key is not valid.", "no key with this hash");
  if (record.expires_at !== null && record.expires_at <= Date.now()) {
    throw unauthorized("expired_api_key", "The API key has expired.", `key ${record.id} expired`);
  }
  if (tenant === null || record.tenant !== tenant) {
    throw forbidden(
      "tenant_mismatch",
      "This API key does not belong to this tenant.",
      `key ${record.id} of another tenant`,
    );
  }
  return {
    kind: "api_key",
    keyId: record.id,
    tenant: record.tenant,
    role: record.role,
    scopes: new Set(record.scopes),
    cacheScope: record.cache_scope,
  };
}
