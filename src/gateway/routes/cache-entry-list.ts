// GET /v1/cache/entries?user=&cursor=&limit=   cache:read
// The tenant's cache entries, oldest first, paged over the tenant object's catalog: metadata only (id, model,
// scope, creation and expiry) — never a prompt, an answer or a hash of either. `user` (or x-cache-user) lists
// one user's entries. A key bound to the user cache scope must name its user, and sees that user's entries only.
import * as z from "zod";
import { HEADER_USER_PATTERN, USER_ID_RULE, userIdOf } from "../cache/controls";
import type { AuthedContext, Handled } from "../context";
import { fromBase64Url, toBase64Url, utf8 } from "../crypto/encoding";
import { fail } from "../http/errors";
import { json } from "../http/respond";
import type { CatalogEntry } from "../storage/tenant-object/index";
import { ENTRY_ID, EntryMetadataSchema, entryMetadata } from "./cache-entries";

const LIMIT_DEFAULT = 50;
const LIMIT_MAX = 1000;

/** One page of the listing: entries' metadata, never their content. */
export const EntryListSchema = z.strictObject({
  object: z.literal("list"),
  data: z.array(EntryMetadataSchema),
  next_cursor: z.string().nullable(),
});
type EntryList = z.infer<typeof EntryListSchema>;

export async function listEntries(rc: AuthedContext): Promise<Handled> {
  const q = rc.url.searchParams;
  const limit = limitParam(q.get("limit"));
  const after = cursorParam(q.get("cursor"));
  const user = userParam(q.get("user"), rc.request.headers.get("x-cache-user"));
  const bound = rc.principal.kind !== "operator" && rc.principal.cacheScope === "user";
  if (bound && user === null) {
    throw fail("cache_user_required", {
      message: "This key is bound to the user cache scope: name the user whose entries to list.",
      reason: "user_bound_list_without_user",
    });
  }
  const userHash = user === null ? null : await rc.keyring.hash("user", user);
  const page = await rc.rt.tenantObject(rc.tenant.id).catalogPage({ userHash, after, limit });
  const now = Date.now();
  const last = page[page.length - 1];
  return {
    response: json({
      object: "list",
      data: page.map((e) => entryMetadata(e, now)),
      next_cursor: page.length === limit && last ? cursorOf(last) : null,
    } satisfies EntryList),
    facts: userHash === null ? {} : { target: `user:${userHash}` },
  };
}

/** The position after an entry: base64url of `{created_at}.{id}` (opaque to the client). */
const cursorOf = (e: CatalogEntry) => toBase64Url(utf8(`${e.created_at}.${e.id}`));

function cursorParam(value: string | null): { createdAt: number; id: string } | null {
  if (value === null) return null;
  const invalid = () =>
    fail("invalid_field", { message: 'Invalid value for "cursor": pass the next_cursor of the previous page.' });
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(value)) throw invalid();
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64Url(value));
  } catch {
    throw invalid();
  }
  const m = /^(\d{1,15})\.(.+)$/.exec(text);
  if (!m || !ENTRY_ID.test(m[2]!)) throw invalid();
  return { createdAt: Number(m[1]), id: m[2]! };
}

function limitParam(value: string | null): number {
  if (value === null) return LIMIT_DEFAULT;
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > LIMIT_MAX) throw fail("invalid_limit");
  return Number(value);
}

/** The user named by `user=` or x-cache-user (the same one if both), or null. */
function userParam(param: string | null, header: string | null): string | null {
  const fromHeader = header === null ? null : header.trim();
  const fromParam = param === null ? null : userIdOf(param);
  if (param !== null && fromParam === null) {
    throw fail("invalid_cache_user", { message: `'user' must be ${USER_ID_RULE}.` });
  }
  if (fromHeader !== null && !HEADER_USER_PATTERN.test(fromHeader)) {
    throw fail("invalid_cache_user", { message: "x-cache-user must be 1–256 printable ASCII characters." });
  }
  if (fromParam !== null && fromHeader !== null && fromParam !== fromHeader) throw fail("conflicting_cache_user");
  return fromParam ?? fromHeader;
}
