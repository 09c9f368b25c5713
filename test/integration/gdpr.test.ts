// GDPR, as a data-protection officer and an attacker try it: erasure (POST /v1/cache/erase by user, by date, or
// all) returns counts, leaves nothing servable on either tier and is audited; the tenant's object alarm then
// deletes every KV body and pointer, in batches, until none is left (checked on raw KV). A user's entries are
// sealed under a key derived from the user's salt, which erasure destroys: a copy of a body that lingers anywhere
// can no longer be opened or served. Portability (GET /v1/cache/export?user=) streams exactly that user's
// entries, decrypted, as NDJSON. A tenant of more than 5,000 entries shows that erasure and export page through
// the catalog and the alarm drains in SWEEP_BATCH steps.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { cacheAddress } from "../../src/gateway/cache/address";
import { resolveControls } from "../../src/gateway/cache/controls";
import { openEntry } from "../../src/gateway/cache/entries";
import { planChat } from "../../src/gateway/cache/plan";
import { storeEntry } from "../../src/gateway/cache/store";
import { fromBase64Url } from "../../src/gateway/crypto/encoding";
import type { Principal } from "../../src/gateway/policy/principal";
import { getRuntime } from "../../src/gateway/runtime";
import { cacheKv } from "../../src/gateway/storage/kv-keys";
import { SWEEP_BATCH } from "../../src/gateway/storage/tenant-object/erasure";
import {
  auditEventOf,
  cacheKvKeys,
  call,
  createKey,
  expectError,
  objectCounts,
  settle,
  tenantObjectOf,
  tenantWithKey,
} from "../helpers";

/** Questions and the same questions reworded (the semantic tier answers the second with the first's entry). */
const PAIRS: readonly (readonly [string, string])[] = [
  ["What is the boiling point of water at sea level?", "what is the boiling point of water at sea level"],
  ["Who painted the Mona Lisa?", "who painted the mona lisa"],
  ["How many bones are in the human body?", "HOW MANY BONES ARE IN THE HUMAN BODY"],
  ["What is the capital of Australia?", "what is the capital of australia"],
  ["How does HTTPS work?", "how does https work"],
  ["Explain the CAP theorem.", "explain the cap theorem"],
  ["What is Kubernetes?", "what is kubernetes"],
  ["Summarize the French Revolution", "summarize the french revolution."],
];
/** A user id that is itself personal data: it must reach no storage and no audit event in clear. */
const ALICE = "alice.lee@acme-corp.io";
const BOB = "bob";

interface Fixture {
  tenant: string;
  host: string;
  key: string;
  admin: string;
}

async function fixture(prefix: string): Promise<Fixture> {
  const t = await tenantWithKey(prefix);
  return { ...t, admin: await createKey(t.tenant, { role: "admin" }) };
}

/** Asks through chat completions; `probe` only looks up (no-store), so it never creates what it checks for. */
async function ask(f: Fixture, prompt: string, user: string | null, probe = false) {
  const headers: Record<string, string> = {
    ...(user === null ? {} : { "x-cache-user": user }),
    ...(probe ? { "x-cache-control": "no-store" } : {}),
  };
  const res = await call(f.host, "/v1/chat/completions", {
    token: f.key,
    headers,
    body: { model: "gpt-4o-mini", messages: [{ role: "user", content: prompt }] },
  });
  const text = await res.text();
  await settle();
  expect(res.status, text).toBe(200);
  return { cache: res.headers.get("x-cache"), entryId: res.headers.get("x-cache-entry-id"), text };
}

/** Stores each pair's question for the user and checks both tiers serve it; returns the entry ids. */
async function seed(f: Fixture, user: string | null, pairs: readonly (readonly [string, string])[]) {
  const ids: string[] = [];
  for (const [p, reworded] of pairs) {
    const miss = await ask(f, p, user);
    expect(miss.cache).toBe("MISS");
    ids.push(miss.entryId!);
    expect((await ask(f, p, user, true)).cache).toBe("HIT-EXACT");
    expect((await ask(f, reworded, user, true)).cache).toBe("HIT-SEMANTIC");
  }
  return ids;
}

async function expectGone(f: Fixture, user: string | null, pairs: readonly (readonly [string, string])[]) {
  for (const [p, reworded] of pairs) {
    expect((await ask(f, p, user, true)).cache, p).toBe("MISS");
    expect((await ask(f, reworded, user, true)).cache, reworded).toBe("MISS");
  }
}

async function expectServed(f: Fixture, user: string | null, pairs: readonly (readonly [string, string])[]) {
  for (const [p, reworded] of pairs) {
    expect((await ask(f, p, user, true)).cache, p).toBe("HIT-EXACT");
    expect((await ask(f, reworded, user, true)).cache, reworded).toBe("HIT-SEMANTIC");
  }
}

async function erase(f: Fixture, body: unknown, token = f.admin) {
  const res = await call(f.host, "/v1/cache/erase", { token, body });
  const json = (await res.json()) as Record<string, unknown>;
  await settle();
  return { res, json, requestId: res.headers.get("x-request-id") };
}

/**
 * Runs the tenant's alarm until no deletion is pending; returns how many runs this took. The alarm also fires by
 * itself (erasure arms it for now, each run re-arms it a second later), so some runs may be the platform's.
 */
async function drain(tenant: string): Promise<number> {
  let runs = 0;
  while ((await objectCounts(tenant)).pending_deletes > 0) {
    if (await runDurableObjectAlarm(tenantObjectOf(tenant))) runs++;
    else await new Promise((r) => setTimeout(r, 20));
    expect(runs).toBeLessThan(1000);
  }
  return runs;
}

/** Moves the tenant's alarm an hour away, so that the next run is the test's own (runDurableObjectAlarm). */
function holdAlarm(tenant: string): Promise<void> {
  return runInDurableObject(tenantObjectOf(tenant), async (_, state) => {
    await state.storage.setAlarm(Date.now() + 3_600_000);
  });
}

const entryKeys = (tenant: string, ids: readonly string[]) => ids.map((id) => cacheKv.entry(tenant, id));

/** The catalog's exact-tier pointers of the given entries (read before they are erased). */
function pointersOf(tenant: string, ids: readonly string[]): Promise<string[]> {
  return runInDurableObject(tenantObjectOf(tenant), (_, state) =>
    ids.map(
      (id) => state.storage.sql.exec<{ k: string }>(`SELECT exact_key AS k FROM entries WHERE id = ?`, id).one().k,
    ),
  );
}

async function exportOf(f: Fixture, user: string, token = f.key) {
  const res = await call(f.host, `/v1/cache/export?user=${encodeURIComponent(user)}`, { token });
  const text = new TextDecoder().decode(await res.arrayBuffer()); // NDJSON: read as bytes, decoded as UTF-8
  await settle();
  const lines = text === "" ? [] : text.trimEnd().split("\n");
  return { res, text, lines: lines.map((l) => JSON.parse(l) as Record<string, string>) };
}

describe("GDPR erasure", async () => {
  it("by user: counts returned, the user's entries gone on both tiers, others untouched, audited", async () => {
    const f = await fixture("gdu");
    const alices = await seed(f, ALICE, PAIRS.slice(0, 3));
    const bobs = await seed(f, BOB, PAIRS.slice(3, 5));
    const tenants = await seed(f, null, PAIRS.slice(5, 7));
    const alicePointers = await pointersOf(f.tenant, alices);
    expect(await objectCounts(f.tenant)).toMatchObject({ entries: 7, vectors: 7, user_salts: 2 });

    const { res, json, requestId } = await erase(f, { user: ALICE });
    expect(res.status).toBe(200);
    expect(json).toEqual({ object: "cache.erasure", user: ALICE, erased_entries: 3, keys_destroyed: 1 });

    // At once: the catalog rows, vectors and the user's salt are gone; nothing of Alice's is servable.
    const counts = await objectCounts(f.tenant);
    expect(counts).toMatchObject({ entries: 4, vectors: 4, user_salts: 1 });
    await expectGone(f, ALICE, PAIRS.slice(0, 3));
    await expectServed(f, BOB, PAIRS.slice(3, 5));
    await expectServed(f, null, PAIRS.slice(5, 7));

    // Then the alarm deletes the bodies and pointers from KV (it may have run by itself already).
    expect([0, 6]).toContain(counts.pending_deletes);
    await drain(f.tenant);
    const kv = await cacheKvKeys(f.tenant);
    for (const key of [...entryKeys(f.tenant, alices), ...alicePointers]) expect(kv).not.toContain(key);
    for (const key of entryKeys(f.tenant, [...bobs, ...tenants])) expect(kv).toContain(key);
    expect(kv).toHaveLength(8);

    const event = await auditEventOf(f.tenant, requestId);
    expect(event).toMatchObject({ action: "cache.erase", outcome: "allowed", status: 200, reason: "erase:user" });
    expect(event.target).toMatch(/^user:[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(event)).not.toContain("alice");
  });

  it("regression: erasing and exporting a user whose keyed hash starts with '-' or '_' are audited", {
    timeout: 20_000,
  }, async () => {
    // The audit event names the user by keyed hash (base64url); the trail's identifiers start with a letter or
    // digit, so such events were refused by the logger and never chained.
    const f = await fixture("gdh");
    const rt = await getRuntime(env);
    const keyring = await rt.tenantKeyring((await rt.tenantDirectory.get(f.tenant))!);
    let user = "";
    for (let i = 0; user === ""; i++) {
      if (/^[-_]/.test(await keyring.hash("user", `user-${i}`))) user = `user-${i}`;
    }
    await seed(f, user, PAIRS.slice(0, 1));
    const exported = await exportOf(f, user);
    expect(exported.lines).toHaveLength(1);
    const erased = await erase(f, { user });
    expect(erased.json).toMatchObject({ erased_entries: 1, keys_destroyed: 1 });
    for (const requestId of [exported.res.headers.get("x-request-id"), erased.requestId]) {
      const event = await auditEventOf(f.tenant, requestId);
      expect(event.target).toMatch(/^user:[-_]/);
      expect(event.status).toBe(200);
    }
    const dead = await env.AUDIT_DB.prepare("SELECT COUNT(*) AS n FROM audit_dead_letters").first<{ n: number }>();
    expect(dead?.n).toBe(0);
  });

  it("crypto-shredding: a copy of the user's sealed body kept from before erasure can never be opened or served", async () => {
    const f = await fixture("gdc");
    const [id] = await seed(f, ALICE, PAIRS.slice(0, 1));
    const bodyKey = cacheKv.entry(f.tenant, id!);
    const [pointerKey] = await pointersOf(f.tenant, [id!]);
    // The attacker's copy, taken from raw KV before erasure (a backup, an edge cache).
    const sealedCopy = (await env.CACHE.get(bodyKey))!;
    const pointerCopy = (await env.CACHE.get(pointerKey!))!;
    expect(sealedCopy).not.toContain("boiling");
    const rt = await getRuntime(env);
    const keyring = await rt.tenantKeyring((await rt.tenantDirectory.get(f.tenant))!);
    const salts = () =>
      runInDurableObject(tenantObjectOf(f.tenant), (_, state) =>
        state.storage.sql.exec<{ salt: string }>(`SELECT salt FROM user_salts`).toArray(),
      );
    const [before] = await salts();
    expect(await openEntry(await keyring.userSealer(fromBase64Url(before!.salt)), bodyKey, sealedCopy)).not.toBeNull();

    expect((await erase(f, { user: ALICE })).json).toMatchObject({ erased_entries: 1, keys_destroyed: 1 });
    await drain(f.tenant);
    expect(await env.CACHE.get(bodyKey)).toBeNull();
    expect(await salts()).toEqual([]);

    // The copy comes back, with its pointer.
    await env.CACHE.put(bodyKey, sealedCopy);
    await env.CACHE.put(pointerKey!, pointerCopy);
    await expectGone(f, ALICE, PAIRS.slice(0, 1));
    await expect(call(f.host, `/v1/cache/entries/${id}`, { token: f.admin })).resolves.toHaveProperty("status", 404);

    // Alice asks again for real: a fresh entry under a fresh salt; the lingering copy is still not served…
    const fresh = await ask(f, PAIRS[0]![0], ALICE);
    expect(fresh.cache).toBe("MISS");
    expect(fresh.entryId).not.toBe(id);
    // …and opens under no key the tenant holds: not the tenant's, not the user's new one.
    expect(await openEntry(keyring, bodyKey, sealedCopy)).toBeNull();
    const [after] = await salts();
    expect(after!.salt).not.toBe(before!.salt);
    expect(await openEntry(await keyring.userSealer(fromBase64Url(after!.salt)), bodyKey, sealedCopy)).toBeNull();
    // Her export lists the fresh entry only.
    expect((await exportOf(f, ALICE)).lines.map((l) => l.id)).toEqual([fresh.entryId]);
  });

  it("by date: entries created before the time go, later ones stay; the watermark keeps copies from being served", async () => {
    const f = await fixture("gdb");
    const early = await seed(f, null, PAIRS.slice(0, 2));
    const earlyUser = await seed(f, ALICE, PAIRS.slice(2, 3));
    await new Promise((r) => setTimeout(r, 5));
    const late = await seed(f, null, PAIRS.slice(3, 5));
    const cut = (
      (await (await call(f.host, `/v1/cache/entries/${late[0]}`, { token: f.key })).json()) as {
        created_at: string;
      }
    ).created_at;
    const earlyPointers = await pointersOf(f.tenant, [...early, ...earlyUser]);
    // A copy of an early tenant-wide body, taken before erasure.
    const copyKey = cacheKv.entry(f.tenant, early[0]!);
    const copy = (await env.CACHE.get(copyKey))!;

    const { json, requestId } = await erase(f, { before: cut });
    expect(json).toEqual({ object: "cache.erasure", before: cut, erased_entries: 3, keys_destroyed: 0 });
    await expectGone(f, null, PAIRS.slice(0, 2));
    await expectGone(f, ALICE, PAIRS.slice(2, 3));
    await expectServed(f, null, PAIRS.slice(3, 5));

    await drain(f.tenant);
    const kv = await cacheKvKeys(f.tenant);
    for (const key of [...entryKeys(f.tenant, [...early, ...earlyUser]), ...earlyPointers]) {
      expect(kv).not.toContain(key);
    }
    expect(kv.filter((k) => k.includes(":e:"))).toEqual(entryKeys(f.tenant, late).sort());

    // Tenant-wide bodies are sealed under the tenant's key, which erasure keeps: what refuses a lingering copy is
    // the tenant's erasure watermark. Put the copy and its pointer back: still a miss on both tiers.
    await env.CACHE.put(copyKey, copy);
    await env.CACHE.put(earlyPointers[0]!, early[0]!);
    await expectGone(f, null, PAIRS.slice(0, 1));
    const event = await auditEventOf(f.tenant, requestId);
    expect(event).toMatchObject({ action: "cache.erase", target: f.tenant, reason: "erase:before" });
  });

  it("all: every entry and every user key goes; the alarm leaves no KV key of the tenant", async () => {
    const f = await fixture("gda");
    const tenantWide = await seed(f, null, PAIRS.slice(0, 2));
    await seed(f, ALICE, PAIRS.slice(2, 4));
    await seed(f, BOB, PAIRS.slice(4, 5));
    expect((await cacheKvKeys(f.tenant)).length).toBe(10);

    const [copyPointer] = await pointersOf(f.tenant, [tenantWide[0]!]);
    const copy = (await env.CACHE.get(cacheKv.entry(f.tenant, tenantWide[0]!)))!;

    const { json, requestId } = await erase(f, { all: true });
    expect(json).toEqual({ object: "cache.erasure", all: true, erased_entries: 5, keys_destroyed: 2 });
    expect(await objectCounts(f.tenant)).toMatchObject({ entries: 0, vectors: 0, user_salts: 0 });
    await expectGone(f, null, PAIRS.slice(0, 2));
    await expectGone(f, ALICE, PAIRS.slice(2, 4));
    await expectGone(f, BOB, PAIRS.slice(4, 5));
    await drain(f.tenant);
    expect(await cacheKvKeys(f.tenant)).toEqual([]);
    expect(await auditEventOf(f.tenant, requestId)).toMatchObject({ target: f.tenant, reason: "erase:all" });
    // A lingering copy of a tenant-wide body, pointer included, is past the erasure watermark: never served.
    await env.CACHE.put(cacheKv.entry(f.tenant, tenantWide[0]!), copy);
    await env.CACHE.put(copyPointer!, tenantWide[0]!);
    await expectGone(f, null, PAIRS.slice(0, 1));
    await env.CACHE.delete(cacheKv.entry(f.tenant, tenantWide[0]!));
    await env.CACHE.delete(copyPointer!);

    // The cache works again afterwards, for new entries only.
    await seed(f, null, PAIRS.slice(5, 6));
  });

  it("refuses malformed erasures and tenant-wide erasure by a user-bound key, erasing nothing", async () => {
    const f = await fixture("gdr");
    await seed(f, null, PAIRS.slice(0, 1));
    await seed(f, ALICE, PAIRS.slice(1, 2));
    const userBound = await createKey(f.tenant, { role: "admin", cache_scope: "user" });
    const before = await objectCounts(f.tenant);
    for (const body of [{}, { all: false }, { user: ALICE, all: true }, { user: "" }, { before: "yesterday" }, []]) {
      const { res } = await erase(f, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    for (const body of [{ all: true }, { before: new Date().toISOString() }]) {
      const { res, json } = await erase(f, body, userBound);
      expect(res.status).toBe(403);
      expect((json.error as { code: string }).code).toBe("insufficient_scope");
    }
    await expectError(
      await call(f.host, "/v1/cache/erase", { token: f.key, body: { all: true } }),
      403,
      "insufficient_scope",
      "permission_error",
    );
    expect(await objectCounts(f.tenant)).toEqual(before);
    await expectServed(f, null, PAIRS.slice(0, 1));
    await expectServed(f, ALICE, PAIRS.slice(1, 2));
  });
});

describe("GDPR export", async () => {
  const f = await fixture("gde");
  const alices = await seed(f, ALICE, PAIRS.slice(0, 3));
  const bobs = await seed(f, BOB, PAIRS.slice(3, 5));
  await seed(f, null, PAIRS.slice(5, 7));

  it("streams NDJSON of exactly that user's entries, decrypted, and nothing of anyone else's", async () => {
    const { res, text, lines } = await exportOf(f, ALICE);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(text.endsWith("\n")).toBe(true);
    expect(lines.map((l) => l.id).sort()).toEqual([...alices].sort());
    for (const [i, line] of lines.entries()) {
      expect(Object.keys(line).sort()).toEqual([
        "api",
        "created_at",
        "expires_at",
        "id",
        "model",
        "prompt",
        "response",
      ]);
      expect(line.prompt).toBe(PAIRS[i]![0]);
      expect(line.response).toContain(`you asked "${PAIRS[i]![0]}"`);
    }
    for (const [p] of PAIRS.slice(3)) expect(text).not.toContain(p);
    for (const id of bobs) expect(text).not.toContain(id);

    const bobsExport = await exportOf(f, BOB);
    expect(bobsExport.lines.map((l) => l.id).sort()).toEqual([...bobs].sort());
  });

  // Deliberate (docs/security.md, HEAD): the export is read and counted as the download would be, and sent to no one.
  it("answers HEAD with the download's length and no entry, and records what it counted as a HEAD", async () => {
    const download = await exportOf(f, ALICE);
    const head = await call(f.host, `/v1/cache/export?user=${encodeURIComponent(ALICE)}`, {
      method: "HEAD",
      token: f.key,
    });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    expect(head.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    expect(head.headers.get("content-length")).toBe(String(new TextEncoder().encode(download.text).byteLength));
    await settle();
    const event = await auditEventOf(f.tenant, head.headers.get("x-request-id"));
    expect(event).toMatchObject({ action: "cache.export", method: "HEAD", status: 200, reason: "export:3" });
  });

  it("an unknown user exports nothing; the user parameter is required and checked", async () => {
    const unknown = await exportOf(f, "nobody");
    expect(unknown.res.status).toBe(200);
    expect(unknown.text).toBe("");
    // A different user id that differs only by case is another user.
    expect((await exportOf(f, ALICE.toUpperCase())).text).toBe("");
    for (const q of ["", "?user=", "?user=%20%20", "?user=%0Aalice", `?user=${"a".repeat(300)}`]) {
      const res = await call(f.host, `/v1/cache/export${q}`, { token: f.key });
      await expectError(res, 400, "invalid_field", "invalid_request_error");
    }
    const noRead = await createKey(f.tenant, { role: "developer", scopes: ["completions"] });
    await expectError(
      await call(f.host, `/v1/cache/export?user=${encodeURIComponent(ALICE)}`, { token: noRead }),
      403,
      "insufficient_scope",
      "permission_error",
    );
  });

  // Regression: the user was held to printable ASCII, where OpenAI's `user` takes any text: "José" could not use
  // its own cache, nor be exported or erased.
  it("takes any user OpenAI takes, one user however its name is composed (NFC), for caching, export and erasure", async () => {
    const g = await fixture("gdu");
    const composed = "Jos\u00e9 Garc\u00eda";
    const decomposed = composed.normalize("NFD");
    expect(decomposed).not.toBe(composed);
    // Named in the body, as OpenAI clients do (a header cannot carry it).
    const store = async (user: string, prompt: string) => {
      const res = await call(g.host, "/v1/chat/completions", {
        token: g.key,
        body: { model: "gpt-4o-mini", messages: [{ role: "user", content: prompt }], user },
      });
      expect(res.status, await res.clone().text()).toBe(200);
      await res.text();
      await settle();
      return { cache: res.headers.get("x-cache"), id: res.headers.get("x-cache-entry-id") };
    };
    const first = await store(composed, PAIRS[0]![0]);
    expect(first.cache).toBe("MISS");
    expect((await store(decomposed, PAIRS[0]![0])).cache).toBe("HIT-EXACT");
    expect((await store("someone else", PAIRS[0]![0])).cache).toBe("MISS");
    const ids = [first.id!];
    const spaced = [(await store("user 1 ", PAIRS[1]![0])).id!];
    const { lines } = await exportOf(g, decomposed);
    expect(lines.map((l) => l.id)).toEqual(ids);
    expect((await exportOf(g, "user 1 ")).lines.map((l) => l.id)).toEqual(spaced);
    const { res, json } = await erase(g, { user: decomposed });
    expect(res.status).toBe(200);
    expect(json.erased_entries).toBe(1);
    expect((await exportOf(g, composed)).lines).toEqual([]);
    // 256 characters, counted as OpenAI counts them (code points): 256 emoji are 512 UTF-16 units.
    const emoji = "\u{1F600}".repeat(256);
    const own = await store(emoji, PAIRS[2]![0]);
    expect(own.cache).toBe("MISS");
    expect((await exportOf(g, emoji)).lines.map((l) => l.id)).toEqual([own.id]);
    const tooLong = await call(g.host, "/v1/chat/completions", {
      token: g.key,
      body: { model: "gpt-4o-mini", messages: [{ role: "user", content: PAIRS[2]![0] }], user: `${emoji}x` },
    });
    expect(tooLong.status).toBe(400);
  });

  it("is audited with the count and a keyed target, never the user's id", async () => {
    const { res, lines } = await exportOf(f, ALICE);
    const event = await auditEventOf(f.tenant, res.headers.get("x-request-id"));
    expect(event).toMatchObject({ action: "cache.export", status: 200, reason: `export:${lines.length}` });
    expect(event.target).toMatch(/^user:[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(event)).not.toContain("alice");
  });
});

describe("a large tenant", async () => {
  const f = await fixture("gdl");
  const rt = await getRuntime(env);
  const LARGE = 5_000;
  const principal: Principal = {
    kind: "api_key",
    keyId: "key_seed",
    generation: "seed",
    role: "service",
    secretIssuedAt: Date.now(),
    secretHash: null,
    tenant: f.tenant,
    scopes: new Set(["completions", "cache:read", "cache:write"]),
    cacheScope: "tenant",
    ipAllowlist: [],
    rateLimit: null,
    expiresAt: null,
  };

  /**
   * Seeds Alice's entries with the gateway's own store function (the one a miss calls after the response), on the
   * real runtime: the tenant's keys and embedding transform, sealing, catalog, exact pointer and vector, exactly
   * as a miss writes them. Not through HTTP, measured on this machine (2 cores): through /v1/cache/query the local
   * provider sits behind a service binding to the test Worker itself, whose calls slow down linearly with their
   * number in this test runtime (4 ms each at first, over 400 ms after 600 calls) — 5,000 misses would take many
   * minutes; through the same route with a stubbed upstream (no service binding) a miss costs 15–24 ms and
   * rising, over 100 s for 5,000. storeEntry costs about 9 ms an entry with 4 in flight (KV writes of sealed
   * bodies dominate), under a minute.
   */
  async function seedDirect(user: string, count: number): Promise<number> {
    const tenant = (await rt.tenantDirectory.get(f.tenant))!;
    const keyring = await rt.tenantKeyring(tenant);
    const transform = await rt.embeddingTransform(tenant, keyring);
    const controls = resolveControls({ headers: new Headers({ "x-cache-user": user }) }, tenant.policy, principal);
    const userHash = await keyring.hash("user", user);
    const { erasures } = await rt.tenantObject(tenant.id).userState(userHash);
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const prompt = `Question ${i} for the archive: what happened in year ${1000 + i}?`;
        const plan = planChat({ model: "gpt-4o-mini", messages: [{ role: "user", content: prompt }] });
        if (!plan.cacheable) throw new Error(`not cacheable: ${prompt}`);
        const addr = await cacheAddress({
          tenant: tenant.id,
          keyring,
          model: "gpt-4o-mini",
          prompt: plan.prompt,
          prose: plan.prose,
          partition: plan.partition,
          controls,
          erasedBefore: tenant.erased_before,
          staleSeconds: tenant.policy.serve_stale_seconds,
          transform,
          vectorSpace: rt.vectorSpace,
        });
        await storeEntry(
          rt,
          { ...addr, ticket: { erasedBefore: tenant.erased_before, userErasures: erasures } },
          crypto.randomUUID(),
          {
            kind: "chat",
            completion: {
              id: `chatcmpl-seed${i}`,
              object: "chat.completion",
              created: Math.floor(Date.now() / 1000),
              model: "gpt-4o-mini",
              choices: [
                {
                  index: 0,
                  message: { role: "assistant", content: `Seeded answer ${i}: you asked "${prompt}".` },
                  finish_reason: "stop",
                },
              ],
              usage: { prompt_tokens: 16, completion_tokens: 24, total_tokens: 40 },
            },
          },
          null,
        );
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    return Date.now() - started;
  }

  it(`${LARGE} entries: export pages through all of them, erasure counts them, the alarm drains in SWEEP_BATCH runs`, {
    timeout: 300_000,
  }, async () => {
    const bobs = await seed(f, BOB, PAIRS.slice(0, 1));
    const tenantWide = await seed(f, null, PAIRS.slice(1, 2));
    const seedMs = await seedDirect(ALICE, LARGE);
    console.info(`seeded ${LARGE} entries with storeEntry in ${seedMs} ms`);
    expect(await objectCounts(f.tenant)).toMatchObject({ entries: LARGE + 2, vectors: LARGE + 2 });
    // A seeded entry is served like any other: the user's own question hits.
    expect((await ask(f, "Question 4321 for the archive: what happened in year 5321?", ALICE, true)).cache).toBe(
      "HIT-EXACT",
    );

    let started = Date.now();
    const exported = await exportOf(f, ALICE);
    const exportMs = Date.now() - started;
    console.info(`exported ${exported.lines.length} lines (${exported.text.length} bytes) in ${exportMs} ms`);
    expect(exported.lines).toHaveLength(LARGE);
    expect(new Set(exported.lines.map((l) => l.id)).size).toBe(LARGE);
    expect(new Set(exported.lines.map((l) => l.prompt)).size).toBe(LARGE);
    expect(exported.text).not.toContain(PAIRS[0]![0]);
    expect(exported.text).not.toContain(bobs[0]!);

    started = Date.now();
    const erased = await erase(f, { user: ALICE });
    const eraseMs = Date.now() - started;
    expect(erased.json).toEqual({ object: "cache.erasure", user: ALICE, erased_entries: LARGE, keys_destroyed: 1 });
    await holdAlarm(f.tenant);
    const pending = (await objectCounts(f.tenant)).pending_deletes;
    // Each entry's body and pointer (5,000 distinct prompts); the alarm, armed for now by the erasure, may
    // already have run by itself, a whole batch each time.
    expect(pending).toBeGreaterThan(0);
    expect((2 * LARGE - pending) % SWEEP_BATCH).toBe(0);

    started = Date.now();
    const steps: number[] = [];
    let left = pending;
    while (left > 0) {
      await holdAlarm(f.tenant);
      expect(await runDurableObjectAlarm(tenantObjectOf(f.tenant))).toBe(true);
      const now = (await objectCounts(f.tenant)).pending_deletes;
      steps.push(left - now);
      left = now;
    }
    const drainMs = Date.now() - started;
    console.info(
      `erased ${LARGE} entries in ${eraseMs} ms; the alarm deleted ${pending} KV keys in ${steps.length} runs, ${drainMs} ms`,
    );
    // Each run takes one batch of SWEEP_BATCH (the last, what is left). The run the erasure armed may still be in
    // flight when the count is first read, and then shows as part of a step: every step is whole batches.
    const batches = Math.ceil(pending / SWEEP_BATCH);
    for (const step of steps.slice(0, -1)) expect(step % SWEEP_BATCH).toBe(0);
    expect(steps.reduce((n, step) => n + Math.ceil(step / SWEEP_BATCH), 0)).toBe(batches);
    expect(steps.length).toBeGreaterThanOrEqual(batches - 1);

    expect(await objectCounts(f.tenant)).toEqual({ entries: 2, vectors: 2, user_salts: 1, pending_deletes: 0 });
    const kv = await cacheKvKeys(f.tenant);
    expect(kv.filter((k) => k.includes(":e:")).sort()).toEqual(entryKeys(f.tenant, [...bobs, ...tenantWide]).sort());
    expect(kv).toHaveLength(4);
    expect((await exportOf(f, ALICE)).text).toBe("");
    await expectServed(f, BOB, PAIRS.slice(0, 1));
  });
});
