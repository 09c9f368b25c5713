// /v1/admin/keys — create (secret shown once) and list API keys of the Host's tenant. Callers: the operator or
// a key with `keys:manage`, which can grant no more than it holds itself (policy/access.ts, decideKeyGrant).
import * as z from "zod";
import { generateApiKey, newKeyId } from "../auth/api-key-secret";
import type { AuthedContext, Handled } from "../context";
import { fail } from "../http/errors";
import { json, readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import { decideKeyGrant } from "../policy/access";
import { ROLES, SCOPES } from "../policy/scopes";
import { type ApiKeyRecord, apiKeyView } from "../storage/api-key-records";

const CreateKeySchema = z.strictObject({
  name: z.string().min(1).max(64),
  role: z.enum(ROLES),
  scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length).optional(),
  cache_scope: z.enum(["tenant", "user"]).optional(),
  expires_at: z.iso.datetime({ offset: true }).optional(),
});

export async function createKey(rc: AuthedContext): Promise<Handled> {
  const body = parseWith(CreateKeySchema, await readJson(rc.request, rc.rt.config.maxBodyBytes));
  const { rt, principal, tenant } = rc;
  const now = Date.now();
  const decision = decideKeyGrant(
    principal,
    {
      role: body.role,
      ...(body.scopes ? { scopes: body.scopes } : {}),
      ...(body.cache_scope ? { cacheScope: body.cache_scope } : {}),
      ...(body.expires_at ? { expiresAt: Date.parse(body.expires_at) } : {}),
    },
    now,
  );
  if (!decision.ok) {
    const d = decision.decision;
    throw fail(d.code, { reason: d.reason, ...(d.message === undefined ? {} : { message: d.message }) });
  }
  const { grant } = decision;
  const secret = generateApiKey(rt.config.apiKeyEnv);
  const record: ApiKeyRecord = {
    v: 1,
    id: newKeyId(),
    tenant: tenant.id,
    tenant_generation: tenant.generation,
    name: body.name,
    role: grant.role,
    scopes: grant.scopes,
    env: rt.config.apiKeyEnv,
    cache_scope: grant.cacheScope,
    created_at: now,
    expires_at: grant.expiresAt,
    hash: await rt.master.hashApiKey(secret),
  };
  await rt.apiKeyRecords.put(record);
  return { response: json({ ...apiKeyView(record), key: secret }, 201), facts: { target: record.id } };
}

export async function listKeys(rc: AuthedContext): Promise<Handled> {
  const keys = await rc.rt.apiKeyRecords.list(rc.tenant.id);
  return { response: json({ data: keys.map(apiKeyView) }) };
}
