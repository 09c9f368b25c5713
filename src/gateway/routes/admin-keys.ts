// /v1/admin/keys — create (secret shown once) and list API keys of the Host's tenant. Callers: the operator
// (ROOT_TOKEN) or a key with `keys:manage`, which can grant only scopes it holds itself.
import * as z from "zod";
import { generateApiKey, newKeyId } from "../auth/api-key-secret";
import type { AuthedContext } from "../context";
import { ApiError, forbidden } from "../http/errors";
import { json, readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import { grantScopes, ROLES, SCOPES, type Scope } from "../policy/scopes";
import { type ApiKeyRecord, apiKeyView } from "../storage/api-key-records";

const MAX_LIFETIME_MS = 5 * 365 * 86400 * 1000;

const CreateKeySchema = z.strictObject({
  name: z.string().min(1).max(64),
  role: z.enum(ROLES),
  scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length).optional(),
  cache_scope: z.enum(["tenant", "user"]).optional(),
  expires_at: z.iso.datetime({ offset: true }).optional(),
});

export async function createKey(rc: AuthedContext): Promise<Response> {
  const body = parseWith(CreateKeySchema, await readJson(rc.request, rc.rt.config.maxBodyBytes));
  const { rt, principal, tenant } = rc;
  const scopes = grantScopes(body.role, body.scopes);
  if (!scopes)
    throw new ApiError(400, "invalid_scopes", `Role '${body.role}' cannot hold all of the requested scopes.`);
  if (principal.kind === "api_key") {
    const missing = scopes.filter((s: Scope) => !principal.scopes.has(s));
    if (missing.length)
      throw forbidden("scope_escalation", `A key cannot grant scopes it lacks: ${missing.join(", ")}.`);
  }
  const now = Date.now();
  let expiresAt: number | null = null;
  if (body.expires_at !== undefined) {
    expiresAt = Date.parse(body.expires_at);
    if (expiresAt <= now || expiresAt > now + MAX_LIFETIME_MS) {
      throw new ApiError(400, "invalid_expiry", "expires_at must be in the future and within five years.");
    }
  }
  const secret = generateApiKey(rt.config.apiKeyEnv);
  const record: ApiKeyRecord = {
    v: 1,
    id: newKeyId(),
    tenant: tenant.id,
    name: body.name,
    role: body.role,
    scopes,
    env: rt.config.apiKeyEnv,
    cache_scope: body.cache_scope ?? "tenant",
    created_at: now,
    expires_at: expiresAt,
    hash: await rt.master.hashApiKey(secret),
  };
  await rt.apiKeyRecords.put(record);
  rc.audit.detail = `created ${record.id} role ${record.role}`;
  return json({ ...apiKeyView(record), key: secret }, 201);
}

export async function listKeys(rc: AuthedContext): Promise<Response> {
  const keys = await rc.rt.apiKeyRecords.list(rc.tenant.id);
  return json({ data: keys.map(apiKeyView) });
}
