// /v1/admin/virtual-keys — the tenant's provider credentials: create ({name, provider, api_key}), list, delete.
// The credential is sealed under the tenant's data key before it is stored and is never returned (a view shows
// its last four characters at most). Requests whose model names the provider (`openai/gpt-4o-mini`) — or that
// name a virtual key with `x-cordon-virtual-key` — are sent upstream with it. Creating or deleting one re-projects
// the tenant record, which lists the providers the tenant holds keys for (chat/upstream-credential.ts).
import * as z from "zod";
import { callerRevoked } from "../auth/admission";
import { randomBase62 } from "../auth/api-key-secret";
import { aadOf, PROVIDER, VIRTUAL_KEY_ID } from "../chat/upstream-credential";
import type { AuthedContext, Handled } from "../context";
import { fail } from "../http/errors";
import { json, readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import { actorOf, keyCallerOf } from "../policy/principal";
import type { VirtualKeyRecord } from "../storage/tenant-object/index";
import { displayName } from "./admin-schemas";

export const CreateVirtualKeySchema = z.strictObject({
  name: displayName(64),
  provider: z.string().regex(PROVIDER, "must be a provider name such as 'openai' (lower case, digits, hyphens)"),
  api_key: z
    .string()
    .min(8)
    .max(4096)
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
});

/** A virtual key as the admin API shows it: never the credential, at most its last four characters. */
export const VirtualKeyViewSchema = z.strictObject({
  id: z.string(),
  object: z.literal("virtual_key"),
  name: z.string(),
  provider: z.string(),
  preview: z.string(),
  created_at: z.iso.datetime(),
  created_by: z.string(),
});
export const VirtualKeyListSchema = z.strictObject({
  object: z.literal("list"),
  data: z.array(VirtualKeyViewSchema),
});
export const VirtualKeyDeletedSchema = z.strictObject({
  id: z.string(),
  object: z.literal("virtual_key"),
  deleted: z.literal(true),
});

function view(k: VirtualKeyRecord): z.infer<typeof VirtualKeyViewSchema> {
  return {
    id: k.id,
    object: "virtual_key",
    name: k.name,
    provider: k.provider,
    preview: `…${k.preview}`,
    created_at: new Date(k.created_at).toISOString(),
    created_by: k.created_by,
  };
}

export async function createVirtualKey(rc: AuthedContext): Promise<Handled> {
  const body = parseWith(CreateVirtualKeySchema, await readJson(rc.request, rc.rt.config.maxBodyBytes));
  const id = `vk_${randomBase62(16)}`;
  const record: VirtualKeyRecord = {
    v: 1,
    id,
    name: body.name,
    provider: body.provider,
    preview: body.api_key.slice(-4),
    sealed: await rc.keyring.sealSecret(body.api_key, aadOf(rc.tenant.id, id)),
    created_at: Date.now(),
    created_by: actorOf(rc.principal),
  };
  await rc.recordChange({ target: id }, 201);
  const created = await rc.rt
    .tenantObject(rc.tenant.id)
    .createVirtualKey(record, rc.tenant.generation, keyCallerOf(rc.principal), Date.now());
  if (!created) throw fail("tenant_not_found", { reason: "tenant_changed_during_request" });
  if (created !== true) throw callerRevoked(rc.principal, `caller_${created.revoked}`);
  return { response: json(view(record), 201), facts: { target: id } };
}

export async function listVirtualKeys(rc: AuthedContext): Promise<Handled> {
  const keys = await rc.rt.tenantObject(rc.tenant.id).listVirtualKeys();
  return { response: json({ object: "list", data: keys.map(view) } satisfies z.infer<typeof VirtualKeyListSchema>) };
}

export async function deleteVirtualKey(rc: AuthedContext): Promise<Handled> {
  const id = rc.params.id ?? "";
  if (!VIRTUAL_KEY_ID.test(id)) throw fail("virtual_key_not_found", { reason: "malformed_virtual_key_id" });
  await rc.recordChange({ target: id });
  if (!(await rc.rt.tenantObject(rc.tenant.id).deleteVirtualKey(id))) {
    throw fail("virtual_key_not_found", { facts: { target: id } });
  }
  const deleted: z.infer<typeof VirtualKeyDeletedSchema> = { id, object: "virtual_key", deleted: true };
  return { response: json(deleted), facts: { target: id } };
}
