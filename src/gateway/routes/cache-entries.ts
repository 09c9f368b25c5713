// The tenant's cache entries, for the people responsible for them:
//   GET    /v1/cache/entries/{id}   metadata and the decrypted answer                      cache:read
//   DELETE /v1/cache/entries/{id}   the entry everywhere: catalog, vector, body, pointer    cache:delete
//   POST   /v1/cache/erase          GDPR erasure: {user} | {before} | {all: true}          cache:delete
//   GET    /v1/cache/export?user=   GDPR portability: that user's entries, NDJSON          cache:read
// A key bound to the user cache scope acts only on users' entries: never on tenant-wide ones, never tenant-wide.
import * as z from "zod";
import { logText } from "../../shared/log-text";
import { HEADER_USER_PATTERN, USER_ID_RULE, userIdOf } from "../cache/controls";
import { answerOf, answerText, answerUsage, openEntry } from "../cache/entries";
import { dropExactValue } from "../cache/exact-tier";
import { readSealer } from "../cache/sealers";
import type { AuthedContext, Handled } from "../context";
import type { EntrySealer } from "../crypto/tenant-keyring";
import { fail } from "../http/errors";
import { closeWhenClientGoes, json, readJson } from "../http/respond";
import { parseWith } from "../http/validation";
import { cacheKv } from "../storage/kv-keys";
import type { CatalogEntry } from "../storage/tenant-object/index";

export const ENTRY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EXPORT_PAGE = 200;
const KV_BULK_GET = 100;

export const EraseSchema = z.union([
  z.strictObject({
    user: z.string().transform((v, ctx) => {
      const user = userIdOf(v);
      if (user !== null) return user;
      ctx.addIssue(`must be ${USER_ID_RULE}`);
      return z.NEVER;
    }),
  }),
  z.strictObject({ before: z.iso.datetime({ offset: true }) }),
  z.strictObject({ all: z.literal(true) }),
]);

const Time = z.iso.datetime();
const iso = (ms: number) => new Date(ms).toISOString();

/** What is shown of every entry, listed or not: never a prompt, an answer or a hash of either. */
export const EntryMetadataSchema = z.strictObject({
  id: z.string(),
  object: z.literal("cache.entry"),
  model: z.string(),
  scope: z.enum(["tenant", "user"]),
  created_at: Time,
  expires_at: Time,
  expired: z.boolean(),
});

export function entryMetadata(e: CatalogEntry, now: number): z.infer<typeof EntryMetadataSchema> {
  return {
    id: e.id,
    object: "cache.entry",
    model: e.model,
    scope: e.user_hash === null ? "tenant" : "user",
    created_at: iso(e.created_at),
    expires_at: iso(e.expires_at),
    expired: e.expires_at <= now,
  };
}

/** One entry, as GET /v1/cache/entries/{id} shows it. */
export const CacheEntrySchema = EntryMetadataSchema.extend({
  prompt_hash: z.string(),
  /** The API that gave the answer; null when it can no longer be read. */
  api: z.enum(["chat", "responses"]).nullable(),
  /** The answer's text, decrypted; null when it can no longer be read (its user's key was erased). */
  response: z.string().nullable(),
  /** As the provider counted it: chat's `prompt_tokens`/`completion_tokens`, or a response's `input_tokens`/… */
  usage: z.record(z.string(), z.unknown()).nullable(),
});
export const EntryDeletedSchema = z.strictObject({
  id: z.string(),
  object: z.literal("cache.entry"),
  deleted: z.literal(true),
});
export const ErasureSchema = z.strictObject({
  object: z.literal("cache.erasure"),
  user: z.string().optional(),
  before: Time.optional(),
  all: z.literal(true).optional(),
  /** Entries removed from every store (catalog, vectors, bodies). */
  erased_entries: z.int().nonnegative(),
  /** Users' encryption keys destroyed, which makes any copy of their entries unreadable. */
  keys_destroyed: z.int().nonnegative(),
});
/** One line of GET /v1/cache/export (NDJSON): an entry of the user, decrypted. */
export const ExportLineSchema = z.strictObject({
  id: z.string(),
  created_at: Time,
  expires_at: Time,
  model: z.string(),
  prompt: z.string(),
  api: z.enum(["chat", "responses"]),
  response: z.string().nullable(),
});

/**
 * How the audit trail names a user: `user:` and the user's keyed hash. The hash alone is base64url and may start
 * with `-` or `_`, which no audit identifier may (the logger would refuse the event).
 */
const userTarget = (userHash: string) => `user:${userHash}`;
const userBound = (rc: AuthedContext) => rc.principal.kind !== "operator" && rc.principal.cacheScope === "user";

export async function getEntry(rc: AuthedContext): Promise<Handled> {
  const { entry, sealer } = await entryFor(rc);
  const key = cacheKv.entry(rc.tenant.id, entry.id);
  const sealed = await rc.rt.env.CACHE.get(key);
  const body = sealed === null || sealer === null ? null : await openEntry(sealer, key, sealed);
  const now = Date.now();
  return {
    response: json({
      ...entryMetadata(entry, now),
      prompt_hash: entry.prompt_hash,
      api: body ? answerOf(body).kind : null,
      response: body ? answerText(answerOf(body)) : null,
      usage: body ? (answerUsage(answerOf(body)) as Record<string, unknown> | null) : null,
    } satisfies z.infer<typeof CacheEntrySchema>),
    facts: { target: entry.id },
  };
}

export async function deleteEntry(rc: AuthedContext): Promise<Handled> {
  const { entry } = await entryFor(rc);
  const { rt, tenant } = rc;
  await rc.recordChange({ target: entry.id });
  const removed = await rt.tenantObject(tenant.id).catalogDelete(entry.id);
  if (!removed) throw fail("entry_not_found", { facts: { target: entry.id } });
  await Promise.all([
    rt.env.CACHE.delete(cacheKv.entry(tenant.id, removed.id)),
    dropExactValue(rt, removed.exact_key, removed.id, removed.exact_key_shared),
    rt.vectors.delete(tenant.id, [removed.id]),
  ]);
  const deleted: z.infer<typeof EntryDeletedSchema> = { id: removed.id, object: "cache.entry", deleted: true };
  return { response: json(deleted), facts: { target: removed.id } };
}

export async function erase(rc: AuthedContext): Promise<Handled> {
  const body = parseWith(EraseSchema, await readJson(rc.request, rc.rt.config.maxBodyBytes));
  const { rt, tenant, keyring } = rc;
  const now = Date.now();
  if ("user" in body) {
    const userHash = await keyring.hash("user", body.user);
    await rc.recordChange({ target: userTarget(userHash), reason: "erase:user" });
    const erased = await rt.tenantObject(tenant.id).erase({ userHash }, now);
    return {
      response: json({
        object: "cache.erasure",
        user: body.user,
        erased_entries: erased.entries,
        keys_destroyed: erased.users,
      } satisfies z.infer<typeof ErasureSchema>),
      facts: { target: userTarget(userHash), reason: "erase:user" },
    };
  }
  if (userBound(rc)) {
    throw fail("insufficient_scope", {
      message: "A key bound to the user cache scope can erase one user's entries only.",
      reason: "user_bound_tenant_erase",
    });
  }
  const selector = "before" in body ? { before: Date.parse(body.before) } : { all: true as const };
  await rc.recordChange({ target: tenant.id, reason: "before" in body ? "erase:before" : "erase:all" });
  const erased = await rt.tenantObject(tenant.id).erase(selector, now);
  return {
    response: json({
      object: "cache.erasure",
      ...("before" in body ? { before: body.before } : { all: true }),
      erased_entries: erased.entries,
      keys_destroyed: erased.users,
    } satisfies z.infer<typeof ErasureSchema>),
    facts: { target: tenant.id, reason: "before" in body ? "erase:before" : "erase:all" },
  };
}

/** NDJSON of one user's entries, decrypted, paged through the catalog so that any number fits the limits. */
export async function exportUser(rc: AuthedContext): Promise<Handled> {
  const asked = rc.url.searchParams.get("user");
  const user = asked === null ? null : userIdOf(asked);
  if (user === null) {
    throw fail("invalid_field", { message: `Invalid value for "user": ${USER_ID_RULE} are required.` });
  }
  const { rt, tenant, keyring } = rc;
  const userHash = await keyring.hash("user", user);
  const object = rt.tenantObject(tenant.id);
  const sealer = await readSealer(rt, { tenant: tenant.id, keyring, userHash });
  const encoder = new TextEncoder();
  let after: { createdAt: number; id: string } | null = null;
  let done = sealer === null;
  let exported = 0;
  // How the export ended, for its audit event: how many entries went out, and whether a read failed first.
  let settle: (end: { n: number; failed: boolean }) => void = () => {};
  const counted = new Promise<{ n: number; failed: boolean }>((resolve) => {
    settle = resolve;
  });
  // A client that goes away ends the export, even where the runtime reports it only through the request's signal
  // (neither reading the body further nor cancelling it): its audit event waits for the end.
  let gone = false;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        closeWhenClientGoes(rc.request.signal, controller, () => {
          if (gone) return false;
          gone = done = true;
          settle({ n: exported, failed: false });
          return true;
        });
      },
      async pull(controller) {
        try {
          if (gone) return;
          if (done || sealer === null) {
            controller.close();
            settle({ n: exported, failed: false });
            return;
          }
          const page = await object.catalogPage({ userHash, after, limit: EXPORT_PAGE });
          if (gone) return;
          const last = page[page.length - 1];
          if (!last) {
            done = true;
            controller.close();
            settle({ n: exported, failed: false });
            return;
          }
          after = { createdAt: last.created_at, id: last.id };
          const lines = await exportLines(rc, page, sealer);
          if (gone) return;
          exported += lines.length;
          if (lines.length) controller.enqueue(encoder.encode(lines.join("")));
          if (page.length < EXPORT_PAGE) done = true;
        } catch (err) {
          // The download breaks (the client sees an incomplete body, never a complete-looking one), and the
          // trail still records what went out before it did.
          if (gone) return;
          console.error(`export of ${userTarget(userHash)} failed after ${exported} entries: ${logText(err)}`);
          settle({ n: exported, failed: true });
          throw err;
        }
      },
      cancel() {
        settle({ n: exported, failed: false });
      },
    },
    { highWaterMark: 0 },
  );
  return {
    response: new Response(body, {
      headers: {
        "content-type": "application/x-ndjson; charset=utf-8",
        "content-disposition": 'attachment; filename="cordon-export.ndjson"',
      },
    }),
    facts: counted.then(({ n, failed }) => ({
      target: userTarget(userHash),
      reason: failed ? `export_failed:${n}` : `export:${n}`,
    })),
  };
}

/** One JSON line per readable entry of a page; bodies are read from KV a hundred at a time. */
async function exportLines(rc: AuthedContext, page: readonly CatalogEntry[], sealer: EntrySealer): Promise<string[]> {
  const keys = page.map((e) => cacheKv.entry(rc.tenant.id, e.id));
  const lines: string[] = [];
  for (let i = 0; i < keys.length; i += KV_BULK_GET) {
    const batch = keys.slice(i, i + KV_BULK_GET);
    const values = await rc.rt.env.CACHE.get(batch, "text");
    for (const [j, key] of batch.entries()) {
      const sealed = values.get(key);
      const entry = page[i + j]!;
      const body = sealed ? await openEntry(sealer, key, sealed) : null;
      if (!body) continue;
      lines.push(
        `${JSON.stringify({
          id: entry.id,
          created_at: iso(entry.created_at),
          expires_at: iso(entry.expires_at),
          model: body.model,
          prompt: body.prompt,
          api: answerOf(body).kind,
          response: answerText(answerOf(body)),
        } satisfies z.infer<typeof ExportLineSchema>)}\n`,
      );
    }
  }
  return lines;
}

/** The entry named by the path, and the key that opens it (null when a user's key no longer exists). */
async function entryFor(rc: AuthedContext): Promise<{ entry: CatalogEntry; sealer: EntrySealer | null }> {
  const id = rc.params.id ?? "";
  if (!ENTRY_ID.test(id)) throw fail("entry_not_found", { reason: "malformed_entry_id" });
  const object = rc.rt.tenantObject(rc.tenant.id);
  const entry = await object.catalogGet(id);
  if (!entry) throw fail("entry_not_found", { facts: { target: id } });
  if (entry.user_hash === null) {
    // Tenant-wide entries are not reachable by a key bound to one user's cache (as if they did not exist).
    if (userBound(rc))
      throw fail("entry_not_found", { reason: "tenant_entry_for_user_bound_key", facts: { target: id } });
    return { entry, sealer: rc.keyring };
  }
  if (userBound(rc)) {
    // A user-bound key reaches the entries of the user it names in x-cache-user, and no other user's.
    const named = rc.request.headers.get("x-cache-user");
    const namedHash =
      named !== null && HEADER_USER_PATTERN.test(named.trim()) ? await rc.keyring.hash("user", named.trim()) : null;
    if (namedHash !== entry.user_hash)
      throw fail("entry_not_found", { reason: "other_users_entry", facts: { target: id } });
  }
  return {
    entry,
    sealer: await readSealer(rc.rt, { tenant: rc.tenant.id, keyring: rc.keyring, userHash: entry.user_hash }),
  };
}
