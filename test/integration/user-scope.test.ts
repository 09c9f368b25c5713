// User scope (SPEC §2–3): a key bound to the `user` cache scope must name a user on every request; a user's
// entries are served to that user only, never to another user and never to a tenant-wide request, and a user
// never receives a tenant-wide entry. A request may narrow its scope (x-cache-user, or the OpenAI `user` field),
// never widen it. Every case is checked on both tiers — the exact tier (the same prompt) and the semantic tier
// (the same question reworded) — with a control showing that the entry exists and is served to its owner, and on
// both routes that read the cache.
import { describe, expect, it } from "vitest";
import {
  cacheKvKeys,
  call,
  createKey,
  createTenant,
  expectError,
  hostOf,
  objectCounts,
  settle,
  uniqueTenant,
} from "../helpers";

type Route = "chat" | "query";

interface Caller {
  key: string;
  /** Sent as x-cache-user. */
  header?: string;
  /** Sent as the OpenAI `user` field (chat) or cache/query's `user`. */
  field?: string;
}

/** Pairs the semantic tier answers with one entry (the second is the first reworded). */
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

/** One request; a probe (`store: false`) only looks up, so that what it finds is never its own entry. */
async function ask(host: string, route: Route, who: Caller, prompt: string, probe = false) {
  const headers: Record<string, string> = {
    ...(who.header === undefined ? {} : { "x-cache-user": who.header }),
    ...(probe ? { "x-cache-control": "no-store" } : {}),
  };
  const res =
    route === "chat"
      ? await call(host, "/v1/chat/completions", {
          token: who.key,
          headers,
          body: {
            model: "gpt-4o-mini",
            messages: [{ role: "user", content: prompt }],
            ...(who.field === undefined ? {} : { user: who.field }),
          },
        })
      : await call(host, "/v1/cache/query", {
          token: who.key,
          headers,
          body: { prompt, model: "gpt-4o-mini", ...(who.field === undefined ? {} : { user: who.field }) },
        });
  const text = await res.text();
  await settle();
  const entryId =
    route === "chat"
      ? res.headers.get("x-cache-entry-id")
      : res.status === 200
        ? (JSON.parse(text) as { entry_id: string | null }).entry_id
        : null;
  return { res, status: res.status, cache: res.headers.get("x-cache"), entryId, text };
}

describe.each<Route>(["chat", "query"])("user scope through %s", async (route) => {
  const tenant = uniqueTenant(`us${route[0]}`);
  const host = hostOf(tenant);
  await createTenant(tenant);
  const tenantKey = await createKey(tenant, { role: "developer" });
  const userKey = await createKey(tenant, { role: "developer", cache_scope: "user" });
  const alice: Caller = { key: userKey, header: "alice" };
  const bob: Caller = { key: userKey, header: "bob" };
  const wide: Caller = { key: tenantKey };
  let next = 0;
  /** A fresh pair for each case, so that no case sees another's entries. */
  const pair = () => PAIRS[next++]!;
  const q = (who: Caller, prompt: string) => ask(host, route, who, prompt);
  const probe = async (who: Caller, prompt: string) => (await ask(host, route, who, prompt, true)).cache;

  it("a key bound to the user scope without a user is refused with cache_user_required, writing nothing", async () => {
    const before = await cacheKvKeys(tenant);
    const entriesBefore = (await objectCounts(tenant)).entries;
    for (const body of [{}, { stream: true }]) {
      const res =
        route === "chat"
          ? await call(host, "/v1/chat/completions", {
              token: userKey,
              body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Is anyone there?" }], ...body },
            })
          : await call(host, "/v1/cache/query", {
              token: userKey,
              body: { prompt: "Is anyone there?", model: "gpt-4o-mini" },
            });
      await expectError(res, 400, "cache_user_required", "invalid_request_error");
    }
    // An empty or blank user is no user: refused, not read as "tenant-wide".
    for (const header of ["", "   "]) {
      const res = await call(host, route === "chat" ? "/v1/chat/completions" : "/v1/cache/query", {
        token: userKey,
        headers: { "x-cache-user": header },
        body:
          route === "chat"
            ? { model: "gpt-4o-mini", messages: [{ role: "user", content: "Is anyone there?" }] }
            : { prompt: "Is anyone there?", model: "gpt-4o-mini" },
      });
      await expectError(res, 400, "invalid_cache_user", "invalid_request_error");
    }
    await settle();
    expect(await cacheKvKeys(tenant)).toEqual(before);
    expect((await objectCounts(tenant)).entries).toBe(entriesBefore);
  });

  it("user A never receives user B's entry, on either tier (and gets its own on both)", async () => {
    const [p, reworded] = pair();
    const stored = await q(alice, p);
    expect(stored.cache).toBe("MISS");
    expect(stored.entryId).not.toBeNull();
    // Control: the owner is served on both tiers.
    expect((await q(alice, p)).cache).toBe("HIT-EXACT");
    expect((await q(alice, reworded)).cache).toBe("HIT-SEMANTIC");
    expect(await probe(bob, p)).toBe("MISS");
    expect(await probe(bob, reworded)).toBe("MISS");
    // Once B has an entry of its own for the question, B is served that one, never A's.
    const bobs = await q(bob, p);
    expect(bobs.cache).toBe("MISS");
    expect(bobs.entryId).not.toBe(stored.entryId);
    expect((await q(alice, p)).cache).toBe("HIT-EXACT");
  });

  it("the same holds when the user is named by the OpenAI `user` field instead of the header", async () => {
    const [p, reworded] = pair();
    const carol: Caller = { key: userKey, field: "carol" };
    const dave: Caller = { key: userKey, field: "dave" };
    expect((await q(carol, p)).cache).toBe("MISS");
    expect((await q(carol, p)).cache).toBe("HIT-EXACT");
    expect((await q(carol, reworded)).cache).toBe("HIT-SEMANTIC");
    // The header and the field name the same user: the same entries.
    expect((await q({ key: userKey, header: "carol" }, reworded)).cache).toBe("HIT-SEMANTIC");
    expect(await probe(dave, p)).toBe("MISS");
    expect(await probe(dave, reworded)).toBe("MISS");
  });

  it("a user never receives a tenant-wide entry, on either tier", async () => {
    const [p, reworded] = pair();
    expect((await q(wide, p)).cache).toBe("MISS");
    expect((await q(wide, p)).cache).toBe("HIT-EXACT");
    expect((await q(wide, reworded)).cache).toBe("HIT-SEMANTIC");
    expect(await probe(alice, p)).toBe("MISS");
    expect(await probe(alice, reworded)).toBe("MISS");
    // A tenant-wide key that narrows to a user is that user: no tenant-wide entry either.
    for (const who of [
      { key: tenantKey, header: "frank" },
      { key: tenantKey, field: "grace" },
    ]) {
      expect(await probe(who, p)).toBe("MISS");
      expect(await probe(who, reworded)).toBe("MISS");
    }
  });

  it("a tenant-wide request never receives a user's entry, on either tier", async () => {
    const [p, reworded] = pair();
    expect((await q(alice, p)).cache).toBe("MISS");
    expect((await q(alice, reworded)).cache).toBe("HIT-SEMANTIC");
    expect(await probe(wide, p)).toBe("MISS");
    expect(await probe(wide, reworded)).toBe("MISS");
  });

  it("a tenant-wide key narrows with x-cache-user or `user`: its entries are that user's and no one else's", async () => {
    const [p, reworded] = pair();
    const viaHeader = await q({ key: tenantKey, header: "heidi" }, p);
    expect(viaHeader.cache).toBe("MISS");
    // The entry is a user's entry: the user-bound key reaches it for heidi, on both tiers.
    expect((await q({ key: userKey, header: "heidi" }, p)).cache).toBe("HIT-EXACT");
    expect((await q({ key: userKey, field: "heidi" }, reworded)).cache).toBe("HIT-SEMANTIC");
    const got = await call(host, `/v1/cache/entries/${viaHeader.entryId}`, { token: tenantKey });
    expect(((await got.json()) as { scope: string }).scope).toBe("user");
    // Tenant-wide, and for any other user, it does not exist.
    expect(await probe(wide, p)).toBe("MISS");
    expect(await probe(wide, reworded)).toBe("MISS");
    expect(await probe({ key: tenantKey, header: "ivan" }, p)).toBe("MISS");
  });

  it("a user-bound key never widens: a user named 'tenant', '*' or a tenant-looking scope is just another user", async () => {
    const [p, reworded] = pair();
    expect((await q(wide, p)).cache).toBe("MISS");
    for (const name of ["tenant", "*", "user:*", "%", "alice,bob", " tenant "]) {
      expect(await probe({ key: userKey, header: name }, p), name).toBe("MISS");
      expect(await probe({ key: userKey, header: name }, reworded), name).toBe("MISS");
      expect(await probe({ key: userKey, field: name.trim() }, reworded), name).toBe("MISS");
    }
  });

  it("header and field naming two different users is refused, never resolved to either", async () => {
    const res =
      route === "chat"
        ? await call(host, "/v1/chat/completions", {
            token: tenantKey,
            headers: { "x-cache-user": "alice" },
            body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Whose is this?" }], user: "bob" },
          })
        : await call(host, "/v1/cache/query", {
            token: tenantKey,
            headers: { "x-cache-user": "alice" },
            body: { prompt: "Whose is this?", model: "gpt-4o-mini", user: "bob" },
          });
    await expectError(res, 400, "conflicting_cache_user", "invalid_request_error");
  });
});

describe("tenant policy cache_scope: user", async () => {
  const tenant = uniqueTenant("usp");
  const host = hostOf(tenant);
  await createTenant(tenant, { policy: { cache_scope: "user" } });
  const tenantKey = await createKey(tenant, { role: "developer" });

  it("binds every key: a request without a user is refused; with one, users stay apart on both tiers", async () => {
    const res = await call(host, "/v1/chat/completions", {
      token: tenantKey,
      body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Who won the 1998 World Cup?" }] },
    });
    await expectError(res, 400, "cache_user_required", "invalid_request_error");
    expect(await cacheKvKeys(tenant)).toEqual([]);

    const [p, reworded] = PAIRS[0]!;
    const ivan: Caller = { key: tenantKey, header: "ivan" };
    const judy: Caller = { key: tenantKey, field: "judy" };
    expect((await ask(host, "chat", ivan, p)).cache).toBe("MISS");
    expect((await ask(host, "chat", ivan, reworded)).cache).toBe("HIT-SEMANTIC");
    expect((await ask(host, "chat", judy, reworded, true)).cache).toBe("MISS");
    expect((await ask(host, "query", judy, p, true)).cache).toBe("MISS");
  });
});
