// One cache entry at a time, for the people responsible for it: a miss names the entry it stored
// (x-cache-entry-id, or cache/query's entry_id); GET /v1/cache/entries/{id} shows its metadata and decrypted
// answer; DELETE removes it from every store at once — the vector, the sealed body, the exact-tier value (the
// entry's id and a sealed copy of its body) and the catalog row, each checked on raw storage — after which the question misses on both tiers. Keys bound to the
// user scope reach only the entries of the user they name; ids that are malformed, unknown or another tenant's
// are all the same 404.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type * as z from "zod";
import type { CacheEntrySchema } from "../../src/gateway/routes/cache-entries";
import { cacheKv } from "../../src/gateway/storage/kv-keys";
import {
  call,
  chatBody,
  createKey,
  expectError,
  objectCounts,
  settle,
  tenantObjectOf,
  tenantWithKey,
} from "../helpers";
import { callWith, settleAll } from "./gateway-helpers";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An entry as the route's own schema says, with chat's usage fields (the entries here are chat answers). */
type EntryView = Omit<z.infer<typeof CacheEntrySchema>, "usage"> & {
  usage: { prompt_tokens: number; completion_tokens: number } | null;
};

/** Where an entry lives, read from raw storage: catalog row, vector row, sealed body and exact-tier pointer. */
async function rawEntry(tenant: string, id: string) {
  const rows = await runInDurableObject(tenantObjectOf(tenant), (_, state) => ({
    catalog: state.storage.sql.exec<{ exact_key: string }>(`SELECT exact_key FROM entries WHERE id = ?`, id).toArray(),
    vectors: state.storage.sql.exec(`SELECT id FROM vectors WHERE id = ?`, id).toArray().length,
  }));
  const body = await env.CACHE.get(cacheKv.entry(tenant, id));
  return { catalog: rows.catalog.length, vectors: rows.vectors, body, exactKey: rows.catalog[0]?.exact_key ?? null };
}

/** The assistant's message of a chat completion's JSON text. */
const answerOf = (text: string): string =>
  (JSON.parse(text) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;

/** The entry id an exact-tier value names (`{id}.{sealed copy}`), or null when there is none. */
async function pointedId(exactKey: string): Promise<string | null> {
  const value = await env.CACHE.get(exactKey);
  return value === null ? null : value.split(".")[0]!;
}

describe("cache entries", async () => {
  const t = await tenantWithKey("ce");
  const admin = await createKey(t.tenant, { role: "admin" });
  const userAdmin = await createKey(t.tenant, { role: "admin", cache_scope: "user" });
  const other = await tenantWithKey("ceother");
  const otherAdmin = await createKey(other.tenant, { role: "admin" });

  async function chat(content: string, opts: { stream?: boolean; user?: string; token?: string } = {}) {
    const res = await call(t.host, "/v1/chat/completions", {
      token: opts.token ?? t.key,
      body: chatBody(content, opts.stream ? { stream: true } : {}),
      headers: opts.user ? { "x-cache-user": opts.user } : {},
    });
    const text = await res.text();
    await settle();
    return { res, text, cache: res.headers.get("x-cache"), entryId: res.headers.get("x-cache-entry-id") };
  }
  const getEntry = (id: string, token = t.key, headers: Record<string, string> = {}) =>
    call(t.host, `/v1/cache/entries/${id}`, { token, headers });
  const deleteEntry = (id: string, token = admin, headers: Record<string, string> = {}) =>
    call(t.host, `/v1/cache/entries/${id}`, { method: "DELETE", token, headers });

  it("a miss names its entry; GET shows metadata and the decrypted answer", async () => {
    const miss = await chat("What is the tallest mountain in Africa?");
    expect(miss.cache).toBe("MISS");
    expect(miss.entryId).toMatch(UUID);
    const answer = JSON.parse(miss.text).choices[0].message.content as string;

    const res = await getEntry(miss.entryId!);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const view = (await res.json()) as EntryView;
    expect(view).toMatchObject({
      id: miss.entryId,
      object: "cache.entry",
      model: "gpt-4o-mini",
      scope: "tenant",
      expired: false,
      response: answer,
    });
    expect(view.prompt_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(view.usage?.completion_tokens).toBeGreaterThan(0);
    expect(Date.parse(view.expires_at) - Date.parse(view.created_at)).toBe(86_400_000);
    // The metadata holds the prompt's keyed hash, never its text (the answer restates it, as the model wrote it).
    expect(JSON.stringify({ ...view, response: null })).not.toContain("tallest mountain");
    // Hits do not say which entry answered on chat completions; the entry is the same one.
    expect((await chat("What is the tallest mountain in Africa?")).cache).toBe("HIT-EXACT");
  });

  it("a streamed miss names the entry it stores once the stream completes; cache/query returns entry_id", async () => {
    const streamed = await chat("Name the longest river in South America.", { stream: true });
    expect(streamed.cache).toBe("MISS");
    expect(streamed.entryId).toMatch(UUID);
    const view = (await (await getEntry(streamed.entryId!)).json()) as EntryView;
    expect(view.response).toMatch(/^Local answer [0-9a-f]{8}: you asked "Name the longest river in South America\."/);

    const q = await call(t.host, "/v1/cache/query", {
      token: t.key,
      body: { prompt: "Which ocean is the deepest?", model: "gpt-4o-mini" },
    });
    const body = (await q.json()) as { entry_id: string; response: string };
    await settle();
    expect(body.entry_id).toMatch(UUID);
    expect(((await (await getEntry(body.entry_id)).json()) as EntryView).response).toBe(body.response);
  });

  it("DELETE removes the vector, the body, the exact-tier pointer and the catalog row; the question then misses", async () => {
    const prompt = "What is the boiling point of water at sea level?";
    const reworded = "what is the boiling point of water at sea level";
    const miss = await chat(prompt);
    const id = miss.entryId!;
    expect((await chat(reworded)).cache).toBe("HIT-SEMANTIC");

    const before = await rawEntry(t.tenant, id);
    expect(before).toMatchObject({ catalog: 1, vectors: 1 });
    expect(before.body).not.toBeNull();
    expect(before.exactKey).toMatch(new RegExp(`^${t.tenant}:x:`));
    expect(await pointedId(before.exactKey!)).toBe(id);

    // Without cache:delete, nothing is removed.
    await expectError(await deleteEntry(id, t.key), 403, "insufficient_scope", "permission_error");
    expect(await rawEntry(t.tenant, id)).toEqual(before);

    const res = await deleteEntry(id);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id, object: "cache.entry", deleted: true });
    expect(await rawEntry(t.tenant, id)).toEqual({ catalog: 0, vectors: 0, body: null, exactKey: null });
    expect(await env.CACHE.get(before.exactKey!)).toBeNull();

    expect((await chat(reworded, { token: t.key })).cache).toBe("MISS");
    await expectError(await getEntry(id), 404, "entry_not_found", "invalid_request_error");
    await expectError(await deleteEntry(id), 404, "entry_not_found", "invalid_request_error");
  });

  // Regression: the copies outside the catalog were deleted by the request alone. When those deletions failed
  // (a 500), the catalog row was already gone, so a retried DELETE found nothing (404) and the body, the
  // exact-tier value and a Vectorize vector were left for good. They are now queued for the sweeper too.
  it("regression: a DELETE whose deletions in KV fail leaves them to the tenant object's sweeper", async () => {
    const miss = await chat("At what temperature does lead melt, in degrees Celsius?");
    const id = miss.entryId!;
    const before = await rawEntry(t.tenant, id);
    expect(before.body).not.toBeNull();
    const cache = env.CACHE;
    const failingDeletes = new Proxy(cache, {
      get(target, prop) {
        if (prop === "delete") return async () => Promise.reject(new Error("KV delete failed: simulated outage"));
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const res = await callWith({ ...env, CACHE: failingDeletes }, t.host, `/v1/cache/entries/${id}`, {
      method: "DELETE",
      token: admin,
    });
    expect(res.status).toBe(500);
    await settleAll();
    expect(await rawEntry(t.tenant, id)).toMatchObject({ catalog: 0, vectors: 0 });
    await runDurableObjectAlarm(tenantObjectOf(t.tenant));
    expect(await rawEntry(t.tenant, id)).toEqual({ catalog: 0, vectors: 0, body: null, exactKey: null });
    expect(await env.CACHE.get(before.exactKey!)).toBeNull();
  });

  it("an exact hit reads one KV value: the entry's id and its body sealed to that key, no prompt or answer in clear", async () => {
    const prompt = "```python\nprint('one read')\n```";
    const miss = await chat(prompt);
    const { exactKey } = await rawEntry(t.tenant, miss.entryId!);
    const value = (await env.CACHE.get(exactKey!))!;
    expect(value.startsWith(`${miss.entryId}.`)).toBe(true);
    expect(value).not.toContain("one read");
    expect(value).not.toContain(answerOf(miss.text));
    // The entry's own body gone from KV, the exact tier still answers: from the copy, in one read.
    await env.CACHE.delete(cacheKv.entry(t.tenant, miss.entryId!));
    const hit = await chat(prompt);
    expect(hit.cache).toBe("HIT-EXACT");
    expect(answerOf(hit.text)).toBe(answerOf(miss.text));
  });

  it("an exact-tier value holding the entry id alone (written before copies) still leads to the body", async () => {
    const prompt = "```python\nprint('id only')\n```";
    const miss = await chat(prompt);
    const { exactKey } = await rawEntry(t.tenant, miss.entryId!);
    await env.CACHE.put(exactKey!, miss.entryId!);
    const hit = await chat(prompt);
    expect(hit.cache).toBe("HIT-EXACT");
    expect(answerOf(hit.text)).toBe(answerOf(miss.text));
  });

  it("regression: an exact-tier value moved to another prompt's key (a KV write) serves nothing", async () => {
    // Prompts that are only code: the exact tier alone answers them.
    const a = await chat("```python\nprint('pointer a')\n```");
    const b = await chat("```python\nprint('pointer b')\n```");
    expect([a.cache, b.cache]).toEqual(["MISS", "MISS"]);
    const aKey = (await rawEntry(t.tenant, a.entryId!)).exactKey!;
    const bKey = (await rawEntry(t.tenant, b.entryId!)).exactKey!;
    const bValue = (await env.CACHE.get(bKey))!;
    const aValue = (await env.CACHE.get(aKey))!;
    const askA = () => chat("```python\nprint('pointer a')\n```");
    // b's id alone (the older form), b's whole value (its copy is sealed to b's key), and a's copy under b's id:
    // each is refused, and a is asked of the provider again.
    for (const moved of [b.entryId!, bValue, `${b.entryId}.${aValue.slice(aValue.indexOf(".") + 1)}`]) {
      await env.CACHE.put(aKey, moved);
      const again = await askA();
      expect(again.cache).toBe("MISS");
      expect(again.text).not.toBe(b.text);
      await env.CACHE.put(aKey, aValue);
    }
    expect((await askA()).cache).toBe("HIT-EXACT");
  });

  it("the exact tier misses too once its entry is deleted (a prompt that is only code has no vector)", async () => {
    const code = "```python\nprint(sum(range(10)))\n```";
    const miss = await chat(code);
    expect(miss.cache).toBe("MISS");
    expect((await rawEntry(t.tenant, miss.entryId!)).vectors).toBe(0);
    expect((await chat(code)).cache).toBe("HIT-EXACT");
    expect((await deleteEntry(miss.entryId!)).status).toBe(200);
    expect((await chat(code)).cache).toBe("MISS");
  });

  it("regression: deleting an older entry of a prompt keeps the exact-tier pointer a newer entry now owns", async () => {
    // A refresh (no-cache) stores a second entry of the same prompt; the pointer then names the newer one.
    const code = "```js\nconsole.log([1, 2, 3].map((n) => n * 2));\n```";
    const older = await chat(code);
    const refresh = await call(t.host, "/v1/chat/completions", {
      token: t.key,
      body: chatBody(code),
      headers: { "x-cache-control": "no-cache" },
    });
    await refresh.text();
    await settle();
    const newer = refresh.headers.get("x-cache-entry-id")!;
    expect(newer).toMatch(UUID);
    const pointer = (await rawEntry(t.tenant, newer)).exactKey!;
    expect(await pointedId(pointer)).toBe(newer);

    expect((await deleteEntry(older.entryId!)).status).toBe(200);
    expect(await rawEntry(t.tenant, older.entryId!)).toEqual({ catalog: 0, vectors: 0, body: null, exactKey: null });
    expect(await pointedId(pointer)).toBe(newer);
    expect((await chat(code)).cache).toBe("HIT-EXACT");

    // Deleting the newer one removes the pointer too: nothing answers the prompt any more.
    expect((await deleteEntry(newer)).status).toBe(200);
    expect(await env.CACHE.get(pointer)).toBeNull();
    expect((await chat(code)).cache).toBe("MISS");
  });

  it("a key bound to the user scope reaches the entries of the user it names, and nothing else", async () => {
    const tenantWide = await chat("Which element has the symbol Fe?");
    const alices = await chat("Which element has the symbol Au?", { user: "alice" });
    expect(alices.cache).toBe("MISS");
    const id = alices.entryId!;

    const asAlice = await getEntry(id, userAdmin, { "x-cache-user": "alice" });
    expect(asAlice.status).toBe(200);
    expect(((await asAlice.json()) as EntryView).scope).toBe("user");
    // Another user, no user, a blank user: as if the entry did not exist. Tenant-wide entries never exist for it.
    const others: Record<string, string>[] = [
      { "x-cache-user": "bob" },
      {},
      { "x-cache-user": " " },
      { "x-cache-user": "Alice" },
    ];
    for (const headers of others) {
      await expectError(await getEntry(id, userAdmin, headers), 404, "entry_not_found", "invalid_request_error");
      await expectError(await deleteEntry(id, userAdmin, headers), 404, "entry_not_found", "invalid_request_error");
    }
    for (const headers of [{ "x-cache-user": "alice" }, {}] as Record<string, string>[]) {
      const where = tenantWide.entryId!;
      await expectError(await getEntry(where, userAdmin, headers), 404, "entry_not_found", "invalid_request_error");
      await expectError(await deleteEntry(where, userAdmin, headers), 404, "entry_not_found", "invalid_request_error");
    }
    expect((await rawEntry(t.tenant, id)).catalog).toBe(1);
    expect((await rawEntry(t.tenant, tenantWide.entryId!)).catalog).toBe(1);

    // The tenant's administrator sees a user's entry (decrypted with the user's key) and may delete it.
    const asTenant = (await (await getEntry(id, admin)).json()) as EntryView;
    expect(asTenant.response).toMatch(/Which element has the symbol Au\?/);
    expect((await deleteEntry(id, userAdmin, { "x-cache-user": "alice" })).status).toBe(200);
    expect(await rawEntry(t.tenant, id)).toEqual({ catalog: 0, vectors: 0, body: null, exactKey: null });
  });

  it("malformed, unknown and other tenants' ids are the same 404, and nothing is touched", async () => {
    const mine = await chat("How many moons does Mars have?");
    const theirs = await call(other.host, "/v1/chat/completions", {
      token: other.key,
      body: chatBody("How many moons does Jupiter have?"),
    });
    await theirs.text();
    await settle();
    const theirId = theirs.headers.get("x-cache-entry-id")!;
    expect(theirId).toMatch(UUID);
    const countsBefore = await objectCounts(t.tenant);

    const ids = [
      "not-an-id",
      mine.entryId!.toUpperCase(),
      `${mine.entryId}0`,
      `${mine.entryId}%00`,
      ` ${mine.entryId}`.replace(" ", "%20"),
      "..%2F..%2Fv1%2Fadmin%2Fkeys",
      "%2e%2e",
      "x".repeat(2000),
      crypto.randomUUID(),
      theirId,
    ];
    for (const id of ids) {
      for (const res of [await getEntry(id, admin), await deleteEntry(id, admin)]) {
        expect(res.status, id).toBe(404);
        const { error } = (await res.json()) as { error: { code: string; type: string } };
        // A path that resolves elsewhere (`..`) matches no route at all: the route table's 404.
        expect(error.code, id).toBe(id.includes("%2e") ? "not_found" : "entry_not_found");
        expect(error.type).toBe("invalid_request_error");
      }
    }
    expect(await objectCounts(t.tenant)).toEqual(countsBefore);
    // The other tenant's entry is intact and still served to it; its key cannot reach this tenant's entry.
    expect((await rawEntry(other.tenant, theirId)).catalog).toBe(1);
    const again = await call(other.host, "/v1/chat/completions", {
      token: other.key,
      body: chatBody("How many moons does Jupiter have?"),
    });
    expect(again.headers.get("x-cache")).toBe("HIT-EXACT");
    const cross = await call(t.host, `/v1/cache/entries/${mine.entryId}`, { token: otherAdmin });
    await expectError(cross, 403, "tenant_mismatch", "permission_error");
    const crossHost = await call(other.host, `/v1/cache/entries/${mine.entryId}`, { token: otherAdmin });
    await expectError(crossHost, 404, "entry_not_found", "invalid_request_error");
    expect((await rawEntry(t.tenant, mine.entryId!)).catalog).toBe(1);
  });

  it("the entry routes need their scopes: cache:read to GET, cache:delete to DELETE", async () => {
    const miss = await chat("What is the speed of sound in air?");
    const noRead = await createKey(t.tenant, { role: "developer", scopes: ["completions"] });
    await expectError(await getEntry(miss.entryId!, noRead), 403, "insufficient_scope", "permission_error");
    const viewer = await createKey(t.tenant, { role: "viewer" });
    expect((await getEntry(miss.entryId!, viewer)).status).toBe(200);
    await expectError(await deleteEntry(miss.entryId!, viewer), 403, "insufficient_scope", "permission_error");
    expect((await rawEntry(t.tenant, miss.entryId!)).catalog).toBe(1);
  });
});
