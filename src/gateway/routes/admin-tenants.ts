// /v1/admin/tenants — tenant lifecycle, for the platform operator on the platform host. The tenant's object is
// the authority: creation is atomic there (a second creation of one id is refused), deletion removes the KV
// projection, every key and all of the object's storage.
import * as z from "zod";
import { TENANT_ID_PATTERN } from "../../shared/ids";
import type { Handled, RequestContext } from "../context";
import { classifyHost, HOSTNAME_PATTERN } from "../hosts";
import { fail } from "../http/errors";
import { json, readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import { DEFAULT_POLICY, PolicySchema } from "../policy/tenant-policy";
import { newTenantGeneration, type TenantRecord, TenantViewSchema, tenantView } from "../storage/records";
import { checkedPolicy } from "./admin-policy";
import { displayName } from "./admin-schemas";

export const CreateTenantSchema = z.strictObject({
  id: z.string().regex(TENANT_ID_PATTERN, "must be 1–32 lower-case letters, digits or inner hyphens"),
  name: displayName(128).optional(),
  hostnames: z
    .array(
      z
        .string()
        .toLowerCase()
        .regex(HOSTNAME_PATTERN, "must be a hostname")
        .refine((h) => h.includes("."), "must have at least two labels"),
    )
    .max(10)
    .optional(),
  policy: PolicySchema.partial().optional(),
});

export const TenantListSchema = z.strictObject({
  data: z.array(TenantViewSchema),
  /** Pass back as `cursor` for the next page; null on the last page. */
  next_cursor: z.string().nullable(),
});

export const TenantDeletedSchema = z.strictObject({
  id: z.string(),
  deleted: z.literal(true),
  keys_revoked: z.int().nonnegative(),
});

export async function createTenant(rc: RequestContext): Promise<Handled> {
  const body = parseWith(CreateTenantSchema, await readJson(rc.request, rc.rt.config.maxBodyBytes));
  const { rt } = rc;
  const facts = { tenant: body.id, target: body.id };
  // The fields given are held to the rules PUT /v1/admin/policy applies: a policy stored here is one it accepts.
  const { canonical } = checkedPolicy(body.policy ?? {}, rt.config.environment, "policy.");
  const hostnames = [...new Set(body.hostnames ?? [])];
  for (const h of hostnames) {
    // Mapped only if a request's Host naming it is classified as a custom hostname: not an address, not ours.
    const kind = classifyHost(h, rt.config.baseDomain).kind;
    if (kind === "ip") {
      throw fail("invalid_hostname", {
        message: `'${h}' is an IP address, and a request to an address names no tenant: list DNS names.`,
        facts,
      });
    }
    if (kind !== "custom") {
      throw fail("invalid_hostname", { message: `Custom hostnames cannot be under ${rt.config.baseDomain}.`, facts });
    }
    if ((await rt.tenantDirectory.tenantForHostname(h)) !== null) {
      throw fail("hostname_taken", { message: `Hostname '${h}' is mapped to another tenant.`, facts });
    }
  }
  const tenant: TenantRecord = {
    v: 1,
    id: body.id,
    name: body.name ?? body.id,
    generation: newTenantGeneration(),
    created_at: Date.now(),
    hostnames,
    policy: { ...DEFAULT_POLICY, ...body.policy, ip_allowlist: canonical },
    wrapped_data_key: await rt.master.newWrappedDataKey(body.id),
    tokens_not_before: 0,
    erased_before: 0,
  };
  await rc.recordChange(facts, 201);
  if (!(await rt.tenantObject(body.id).createTenant(tenant))) {
    throw fail("tenant_exists", { message: `Tenant '${body.id}' already exists.`, facts });
  }
  return { response: json(tenantView(tenant), 201), facts };
}

export async function listTenants(rc: RequestContext): Promise<Handled> {
  const limitParam = rc.url.searchParams.get("limit");
  const limit = limitParam === null ? 100 : Number(limitParam);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw fail("invalid_limit");
  const cursor = rc.url.searchParams.get("cursor") ?? undefined;
  const page = await rc.rt.tenantDirectory.list(limit, cursor);
  const list: z.infer<typeof TenantListSchema> = { data: page.tenants.map(tenantView), next_cursor: page.cursor };
  return { response: json(list) };
}

/**
 * Deletes a tenant by destroying its wrapped data key (crypto-shred: every sealed body and keyed hash of the
 * tenant becomes unusable), its hostnames, its API keys and its Durable Object storage.
 */
export async function deleteTenant(rc: RequestContext): Promise<Handled> {
  const id = rc.params.id ?? "";
  if (!TENANT_ID_PATTERN.test(id)) throw fail("tenant_not_found", { message: "No such tenant." });
  await rc.recordChange({ tenant: id, target: id });
  const deleted = await rc.rt.tenantObject(id).deleteTenant();
  if (!deleted) throw fail("tenant_not_found", { message: "No such tenant." });
  return {
    response: json({ id, deleted: true, keys_revoked: deleted.keysRevoked } satisfies z.infer<
      typeof TenantDeletedSchema
    >),
    facts: { tenant: id, target: id },
  };
}
