// GET /v1/cache/entries: the tenant's entries as metadata only (id, model, scope, creation, expiry — never a
// prompt, an answer or a hash of either), oldest first, paged by an opaque cursor; one user's entries on
// request; a key bound to the user cache scope must name its user and sees only that user's entries; never
// another tenant's.
import { describe, expect, it } from "vitest";
import type * as z from "zod";
import { EntryListSchema } from "../../src/gateway/routes/cache-entry-list";
import { call, chatBody, createKey, expectError, settle, tenantWithKey } from "../helpers";

/** A page, checked against the route's own schema (strict: a field the schema does not name fails). */
type ListPage = z.infer<typeof EntryListSchema>;

describe("listing cache entries", async () => {
  const t = await tenantWithKey("cl");
  const admin = await createKey(t.tenant, { role: "admin" });
  const userBound = await createKey(t.tenant, { role: "admin", cache_scope: "user" });
  const other = await tenantWithKey("clother");

  /** A miss that stores an entry; returns its id. */
  async function stored(host: string, key: string, content: string, user?: string): Promise<string> {
    const res = await call(host, "/v1/chat/completions", {
      token: key,
      body: chatBody(content),
      headers: user ? { "x-cache-user": user } : {},
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await res.arrayBuffer();
    await settle();
    return res.headers.get("x-cache-entry-id")!;
  }

  const list = async (query: string, token = admin, headers: Record<string, string> = {}) => {
    const res = await call(t.host, `/v1/cache/entries${query}`, { token, headers });
    expect(res.status, await res.clone().text()).toBe(200);
    return EntryListSchema.parse(await res.json());
  };

  const prompts = ["Which river runs through Paris?", "How tall is Mont Blanc?", "Who painted the Night Watch?"];
  const shared: string[] = [];
  for (const p of prompts) shared.push(await stored(t.host, t.key, p));
  const alice = [
    await stored(t.host, t.key, "What is my favourite colour?", "alice"),
    await stored(t.host, t.key, "When is my dentist appointment?", "alice"),
  ];
  const bob = await stored(t.host, t.key, "Where did I park the car?", "bob");
  const foreign = await stored(other.host, other.key, "Which river runs through Paris?");

  it("lists every entry of the tenant, oldest first, as metadata only", async () => {
    const page = await list("");
    expect(page.object).toBe("list");
    expect(page.data.map((e) => e.id)).toEqual([...shared, ...alice, bob]);
    expect(page.data.map((e) => e.scope)).toEqual(["tenant", "tenant", "tenant", "user", "user", "user"]);
    expect(page.next_cursor).toBeNull();
    for (const e of page.data) {
      expect(Object.keys(e).sort()).toEqual(["created_at", "expired", "expires_at", "id", "model", "object", "scope"]);
      expect(e).toMatchObject({ object: "cache.entry", model: "gpt-4o-mini", expired: false });
    }
    const text = JSON.stringify(page);
    for (const p of [...prompts, "favourite colour", "park the car", "alice", "bob"]) expect(text).not.toContain(p);
    expect(text).not.toContain(foreign);
  });

  it("pages through them with the cursor, each entry once", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: ListPage = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((e) => e.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual([...shared, ...alice, bob]);
  });

  it("lists one user's entries when asked", async () => {
    expect((await list("?user=alice")).data.map((e) => e.id)).toEqual(alice);
    expect((await list("", admin, { "x-cache-user": "bob" })).data.map((e) => e.id)).toEqual([bob]);
    expect((await list("?user=carol")).data).toEqual([]);
  });

  it("holds a user-bound key to the user it names", async () => {
    await expectError(
      await call(t.host, "/v1/cache/entries", { token: userBound }),
      400,
      "cache_user_required",
      "invalid_request_error",
    );
    expect((await list("?user=alice", userBound)).data.map((e) => e.id)).toEqual(alice);
    expect((await list("", userBound, { "x-cache-user": "bob" })).data.map((e) => e.id)).toEqual([bob]);
  });

  it("never lists another tenant's entries", async () => {
    const res = await call(other.host, "/v1/cache/entries", {
      token: await createKey(other.tenant, { role: "admin" }),
    });
    const page = EntryListSchema.parse(await res.json());
    expect(page.data.map((e) => e.id)).toEqual([foreign]);
  });

  it.each([
    ["limit=0", "invalid_limit"],
    ["limit=1001", "invalid_limit"],
    ["limit=ten", "invalid_limit"],
    ["limit=-1", "invalid_limit"],
    ["cursor=not-a-cursor", "invalid_field"],
    [`cursor=${btoa("1.0 OR 1=1").replace(/=+$/, "")}`, "invalid_field"],
    ["cursor=%00%ff", "invalid_field"],
    [`user=${"u".repeat(300)}`, "invalid_cache_user"],
    ["user=%0Aalice", "invalid_cache_user"],
  ])("refuses %s", async (query, code) => {
    await expectError(
      await call(t.host, `/v1/cache/entries?${query}`, { token: admin }),
      400,
      code,
      "invalid_request_error",
    );
  });

  it("refuses a user in the query and another in x-cache-user", async () => {
    const res = await call(t.host, "/v1/cache/entries?user=alice", {
      token: admin,
      headers: { "x-cache-user": "bob" },
    });
    await expectError(res, 400, "conflicting_cache_user", "invalid_request_error");
  });
});
