// Consent and retention. A tenant's `no_store` default and a request's `x-cache-control: no-store` mean nothing
// about the request is stored: no KV key (either namespace), no catalog row, no vector, no user salt — read from
// raw storage, on every route and form of request. An entry's TTL is absolute: being served does not extend it,
// and past it the entry is served by neither tier. The tenant object's alarm sweeps expired entries from every
// store (catalog, vectors, KV bodies and pointers) — but not the pointer a newer entry of the same prompt owns.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cacheKv } from "../../src/gateway/storage/kv-keys";
import {
  auditEventWhere,
  cacheKvKeys,
  call,
  chatBody,
  kvSnapshot,
  objectCounts,
  setPolicy,
  settle,
  storedAuditEvents,
  tenantObjectOf,
  tenantWithKey,
} from "../helpers";

interface Target {
  host: string;
  key: string;
}

async function chat(t: Target, content: string, headers: Record<string, string> = {}, extra = {}) {
  const res = await call(t.host, "/v1/chat/completions", { token: t.key, body: chatBody(content, extra), headers });
  const text = await res.text();
  await settle();
  expect(res.status, text).toBe(200);
  return { cache: res.headers.get("x-cache"), entryId: res.headers.get("x-cache-entry-id"), text };
}

async function query(t: Target, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await call(t.host, "/v1/cache/query", { token: t.key, body: { model: "gpt-4o-mini", ...body }, headers });
  const json = (await res.json()) as { cache_hit: boolean; entry_id: string | null };
  await settle();
  expect(res.status).toBe(200);
  return { cache: res.headers.get("x-cache"), ...json };
}

/** Every way a request could reach storage, sent with the given headers and body overrides. */
async function everyKindOfRequest(t: Target, headers: Record<string, string>, queryExtra: Record<string, unknown>) {
  const seen: { cache: string | null; entryId: string | null }[] = [];
  for (const user of [null, "alice"]) {
    const h = { ...headers, ...(user === null ? {} : { "x-cache-user": user }) };
    for (let i = 0; i < 2; i++) {
      seen.push(await chat(t, "What is the capital of Australia?", h));
      seen.push(await chat(t, "what is the capital of australia", h));
      seen.push(await chat(t, "Name a prime number above 100.", h, { stream: true }));
      seen.push(await chat(t, "```sql\nSELECT 1;\n```", h));
      const q = await query(t, { prompt: "Which ocean is the deepest?", ...queryExtra }, h);
      seen.push({ cache: q.cache, entryId: q.entry_id });
    }
  }
  return seen;
}

describe("consent: nothing stored", () => {
  it("a tenant with no_store writes nothing anywhere, for any request", async () => {
    const t = await tenantWithKey("cns");
    await setPolicy(t.tenant, { no_store: true });
    const before = await kvSnapshot();
    const seen = await everyKindOfRequest(t, {}, {});
    // Looked up (and missed) every time, stored never.
    expect(new Set(seen.map((s) => s.cache))).toEqual(new Set(["MISS"]));
    expect(seen.every((s) => s.entryId === null)).toBe(true);
    expect(await kvSnapshot()).toEqual(before);
    expect(await cacheKvKeys(t.tenant)).toEqual([]);
    expect(await objectCounts(t.tenant)).toEqual({ entries: 0, vectors: 0, user_salts: 0, pending_deletes: 0 });
    // Nor anything derived from a prompt in the audit trail: the events carry no prompt hash.
    await auditEventWhere((e) => e.tenant === t.tenant && e.action === "chat.completions");
    const events = (await storedAuditEvents()).filter((e) => e.tenant === t.tenant && e.action === "chat.completions");
    expect(events.length).toBeGreaterThan(0);
    expect(events.map((e) => e.prompt_hash)).toEqual(events.map(() => null));
  });

  it("a request with x-cache-control: no-store (or cache/query's store: false) writes nothing anywhere", async () => {
    const t = await tenantWithKey("cnr");
    const before = await kvSnapshot();
    for (const [headers, extra] of [
      [{ "x-cache-control": "no-store" }, {}],
      [{ "x-cache-control": "NO-STORE, no-cache" }, {}],
      [{}, { store: false }],
    ] as const) {
      if ("store" in extra) {
        // store:false is cache/query's own; chat completions have only the header.
        const q = await query(t, { prompt: "Which ocean is the deepest?", ...extra });
        expect(q.entry_id).toBeNull();
        continue;
      }
      const seen = await everyKindOfRequest(t, headers, {});
      expect(seen.every((s) => s.entryId === null)).toBe(true);
    }
    for (const [path, body] of [
      ["/v1/embeddings", { model: "text-embedding-3-small", input: "Which ocean is the deepest?" }],
      ["/v1/responses", { model: "gpt-4o-mini", input: "Which ocean is the deepest?", store: false }],
    ] as const) {
      const res = await call(t.host, path, { token: t.key, body, headers: { "x-cache-control": "no-store" } });
      expect(res.status, await res.text()).toBe(200);
    }
    await settle();
    expect(await kvSnapshot()).toEqual(before);
    expect(await objectCounts(t.tenant)).toEqual({ entries: 0, vectors: 0, user_salts: 0, pending_deletes: 0 });
    // Nor a prompt hash in the trail, on any route: a request's no-store leaves it out as the tenant's does.
    const actions = ["chat.completions", "cache.query", "embeddings.create", "responses.create"];
    await auditEventWhere((e) => e.tenant === t.tenant && e.action === "responses.create");
    const events = (await storedAuditEvents()).filter((e) => e.tenant === t.tenant && actions.includes(`${e.action}`));
    expect(new Set(events.map((e) => e.action))).toEqual(new Set(actions));
    expect(events.map((e) => e.prompt_hash)).toEqual(events.map(() => null));
  });

  it("no-store still reads: an existing entry is served, and serving it writes nothing", async () => {
    const t = await tenantWithKey("cnh");
    const stored = await chat(t, "Who wrote Don Quixote?");
    expect(stored.cache).toBe("MISS");
    const before = await kvSnapshot();
    const countsBefore = await objectCounts(t.tenant);
    expect((await chat(t, "Who wrote Don Quixote?", { "x-cache-control": "no-store" })).cache).toBe("HIT-EXACT");
    expect((await chat(t, "who wrote don quixote", { "x-cache-control": "no-store" })).cache).toBe("HIT-SEMANTIC");
    expect(await kvSnapshot()).toEqual(before);
    expect(await objectCounts(t.tenant)).toEqual(countsBefore);
  });
});

describe("retention", async () => {
  const t = await tenantWithKey("ret");
  const prose = "What is the boiling point of water at sea level?";
  const reworded = "what is the boiling point of water at sea level";
  const code = "```python\nprint('retention')\n```";
  const short: { prose?: string; code?: string } = {};
  const probe = (content: string) => chat(t, content, { "x-cache-control": "no-store" });
  const rawOf = (id: string) =>
    runInDurableObject(tenantObjectOf(t.tenant), (_, state) => ({
      catalog: state.storage.sql.exec(`SELECT id FROM entries WHERE id = ?`, id).toArray().length,
      vectors: state.storage.sql.exec(`SELECT id FROM vectors WHERE id = ?`, id).toArray().length,
      exactKey:
        state.storage.sql.exec<{ k: string }>(`SELECT exact_key AS k FROM entries WHERE id = ?`, id).toArray()[0]?.k ??
        null,
    }));

  it("a request may shorten the TTL, never lengthen it", async () => {
    const longer = await chat(t, "How long is a marathon?", { "x-cache-ttl": "999999999" });
    const got = (await (await call(t.host, `/v1/cache/entries/${longer.entryId}`, { token: t.key })).json()) as {
      created_at: string;
      expires_at: string;
    };
    expect(Date.parse(got.expires_at) - Date.parse(got.created_at)).toBe(86_400_000);
    const viaQuery = await query(t, { prompt: "How long is a half marathon?", ttl: 30 });
    const q = (await (await call(t.host, `/v1/cache/entries/${viaQuery.entry_id}`, { token: t.key })).json()) as {
      created_at: string;
      expires_at: string;
    };
    expect(Date.parse(q.expires_at) - Date.parse(q.created_at)).toBe(30_000);
  });

  it("TTL is absolute: an entry served just before it expires is not served after (both tiers)", async () => {
    const p = await chat(t, prose, { "x-cache-ttl": "1" });
    const c = await chat(t, code, { "x-cache-ttl": "1" });
    short.prose = p.entryId!;
    short.code = c.entryId!;
    // Keep the platform from sweeping on its own: this test runs the sweep itself.
    await runInDurableObject(tenantObjectOf(t.tenant), async (_, state) => {
      await state.storage.setAlarm(Date.now() + 3_600_000);
    });
    const started = Date.now();
    expect((await probe(prose)).cache).toBe("HIT-EXACT");
    expect((await probe(code)).cache).toBe("HIT-EXACT");
    await new Promise((r) => setTimeout(r, 600 - (Date.now() - started)));
    // Served again at 0.6 s; a sliding TTL would now last until 1.6 s.
    expect((await probe(reworded)).cache).toBe("HIT-SEMANTIC");
    expect((await probe(code)).cache).toBe("HIT-EXACT");
    await new Promise((r) => setTimeout(r, 1100 - (Date.now() - started)));
    expect((await probe(prose)).cache).toBe("MISS");
    expect((await probe(reworded)).cache).toBe("MISS");
    expect((await probe(code)).cache).toBe("MISS");
    // Expired, not yet swept: the copies are still in KV (KV keeps at least 60 s) but never served.
    expect(
      await call(t.host, `/v1/cache/entries/${short.prose}`, { token: t.key }).then((r) => r.json()),
    ).toMatchObject({
      expired: true,
    });
  });

  it("the alarm sweeps expired entries from the catalog, the vectors and KV, keeping a newer entry's pointer", async () => {
    const { prose: proseId, code: codeId } = short as { prose: string; code: string };
    const proseRaw = await rawOf(proseId);
    const codeRaw = await rawOf(codeId);
    expect(proseRaw).toMatchObject({ catalog: 1, vectors: 1 });
    expect(await cacheKvKeys(t.tenant)).toEqual(
      expect.arrayContaining([cacheKv.entry(t.tenant, proseId), proseRaw.exactKey, cacheKv.entry(t.tenant, codeId)]),
    );
    // The code prompt is asked again: a fresh entry, whose pointer replaces the expired one's.
    const fresh = await chat(t, code);
    expect(fresh.cache).toBe("MISS");
    const countsBefore = await objectCounts(t.tenant);

    expect(await runDurableObjectAlarm(tenantObjectOf(t.tenant))).toBe(true);
    expect(await rawOf(proseId)).toEqual({ catalog: 0, vectors: 0, exactKey: null });
    expect(await rawOf(codeId)).toEqual({ catalog: 0, vectors: 0, exactKey: null });
    const counts = await objectCounts(t.tenant);
    expect(counts).toMatchObject({ entries: countsBefore.entries - 2, pending_deletes: 0 });
    const kv = await cacheKvKeys(t.tenant);
    for (const key of [cacheKv.entry(t.tenant, proseId), proseRaw.exactKey!, cacheKv.entry(t.tenant, codeId)]) {
      expect(kv).not.toContain(key);
    }
    // regression: the expired code entry's pointer is the fresh entry's now; it stays, and still answers.
    expect(kv).toContain(codeRaw.exactKey);
    expect((await probe(code)).cache).toBe("HIT-EXACT");
    // Every KV key left belongs to an entry still in the catalog.
    const live = await runInDurableObject(tenantObjectOf(t.tenant), (_, state) =>
      state.storage.sql.exec<{ id: string; k: string }>(`SELECT id, exact_key AS k FROM entries`).toArray(),
    );
    expect(kv.sort()).toEqual(live.flatMap((e) => [cacheKv.entry(t.tenant, e.id), e.k]).sort());
  });
});
