// An answer is stored after its response (waitUntil: a stream's when it ends), so an erasure, an entry's
// deletion or the tenant's deletion can run between the request and its store. What they removed must stay
// removed: the tenant's object refuses the catalog row (and a user's salt) of a request asked before an erasure,
// and a store whose entry was deleted while it wrote takes its copies back (cache/store.ts). Regressions: each
// of these served, listed or kept what had been erased.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  call,
  chatBody,
  createKey,
  createTenant,
  hostOf,
  objectCounts,
  rootToken,
  settle,
  tenantObjectOf,
  tenantWithKey,
} from "../helpers";
import { callWith, settleAll } from "./gateway-helpers";

const PROMPT = "What is the boiling point of water at sea level?";

/** Looks the prompt up without storing anything. */
async function probe(host: string, key: string, user: string | null) {
  const res = await call(host, "/v1/chat/completions", {
    token: key,
    headers: { "x-cache-control": "no-store", ...(user ? { "x-cache-user": user } : {}) },
    body: chatBody(PROMPT),
  });
  await res.text();
  await settle();
  return res.headers.get("x-cache");
}

/** A streamed miss, unread: its store runs when the stream is read to its end. */
async function openStream(host: string, key: string, user: string | null, headers: Record<string, string> = {}) {
  const res = await call(host, "/v1/chat/completions", {
    token: key,
    headers: { ...(user ? { "x-cache-user": user } : {}), ...headers },
    body: chatBody(PROMPT, { stream: true }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("x-cache")).toBe("MISS");
  return res;
}

/** The gateway's environment with KV puts of keys containing `marker` held until released. */
function holdingPuts(marker: string) {
  let reached!: () => void;
  let release!: () => void;
  const atPut = new Promise<void>((r) => {
    reached = r;
  });
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const CACHE = new Proxy(env.CACHE, {
    get(target, prop) {
      if (prop === "put") {
        return async (key: string, ...rest: unknown[]) => {
          if (key.includes(marker)) {
            reached();
            await gate;
          }
          return (target.put as (...a: unknown[]) => Promise<void>).call(target, key, ...rest);
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as KVNamespace;
  return { env: { ...env, CACHE } as typeof env, atPut, release };
}

describe("an erasure while a store is in flight", () => {
  it("erase {user}: the user's answer asked before it is not stored, and no salt comes back", async () => {
    const t = await tenantWithKey("sr-user");
    const admin = await createKey(t.tenant, { role: "admin" });
    const stream = await openStream(t.host, t.key, "alice");
    const erased = await call(t.host, "/v1/cache/erase", { token: admin, body: { user: "alice" } });
    expect(erased.status).toBe(200);
    await stream.text();
    await settle();
    expect(await objectCounts(t.tenant)).toMatchObject({ entries: 0, vectors: 0, user_salts: 0 });
    expect(await probe(t.host, t.key, "alice")).toBe("MISS");
  });

  it("erase {all}: a tenant-wide answer asked before it is not stored", async () => {
    const t = await tenantWithKey("sr-all");
    const admin = await createKey(t.tenant, { role: "admin" });
    const stream = await openStream(t.host, t.key, null);
    expect((await call(t.host, "/v1/cache/erase", { token: admin, body: { all: true } })).status).toBe(200);
    await stream.text();
    await settle();
    expect(await objectCounts(t.tenant)).toMatchObject({ entries: 0, vectors: 0 });
    expect(await probe(t.host, t.key, null)).toBe("MISS");
  });

  it("erase {all} between the store's body and its catalog row: nothing listed, nothing readable", async () => {
    const t = await tenantWithKey("sr-mid");
    const admin = await createKey(t.tenant, { role: "admin" });
    const held = holdingPuts(":e:");
    const miss = await callWith(held.env, t.host, "/v1/chat/completions", { token: t.key, body: chatBody(PROMPT) });
    await miss.text();
    const id = miss.headers.get("x-cache-entry-id")!;
    await held.atPut;
    expect((await call(t.host, "/v1/cache/erase", { token: admin, body: { all: true } })).status).toBe(200);
    held.release();
    await settleAll();
    expect(
      ((await (await call(t.host, "/v1/cache/entries", { token: admin })).json()) as { data: unknown[] }).data,
    ).toEqual([]);
    expect((await call(t.host, `/v1/cache/entries/${id}`, { token: admin })).status).toBe(404);
    expect(await probe(t.host, t.key, null)).toBe("MISS");
  });
});

describe("an entry deleted while it is stored", () => {
  it("between its catalog row and its exact-tier copy: the copy is taken back, the entry never served", async () => {
    const t = await tenantWithKey("sr-del");
    const admin = await createKey(t.tenant, { role: "admin" });
    const held = holdingPuts(":x:");
    const miss = await callWith(held.env, t.host, "/v1/chat/completions", { token: t.key, body: chatBody(PROMPT) });
    await miss.text();
    const id = miss.headers.get("x-cache-entry-id")!;
    await held.atPut;
    expect((await call(t.host, `/v1/cache/entries/${id}`, { token: admin, method: "DELETE" })).status).toBe(200);
    held.release();
    await settleAll();
    expect((await call(t.host, `/v1/cache/entries/${id}`, { token: admin })).status).toBe(404);
    expect(await objectCounts(t.tenant)).toMatchObject({ entries: 0, vectors: 0 });
    expect(await probe(t.host, t.key, null)).toBe("MISS");
  });
});

describe("an entry deleted where KV's copy of its exact-tier pointer is older", () => {
  it("loses its pointer all the same: the catalog says no other entry uses it", async () => {
    const t = await tenantWithKey("sr-edge");
    const admin = await createKey(t.tenant, { role: "admin" });
    const miss = await call(t.host, "/v1/chat/completions", { token: t.key, body: chatBody(PROMPT) });
    await miss.text();
    await settle();
    const id = miss.headers.get("x-cache-entry-id")!;
    expect(await probe(t.host, t.key, null)).toBe("HIT-EXACT");
    // This location's edge copy of the pointer still names an earlier entry of the prompt.
    const older = new Proxy(env.CACHE, {
      get(target, prop) {
        const value = Reflect.get(target, prop) as unknown;
        if (prop === "get") {
          return async (key: unknown, ...rest: unknown[]) =>
            typeof key === "string" && key.includes(":x:")
              ? "00000000-0000-4000-8000-0000000000aa.stale"
              : (value as (...a: unknown[]) => unknown).call(target, key, ...rest);
        }
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as KVNamespace;
    const res = await callWith({ ...env, CACHE: older }, t.host, `/v1/cache/entries/${id}`, {
      token: admin,
      method: "DELETE",
    });
    expect(res.status).toBe(200);
    await settleAll();
    expect(await probe(t.host, t.key, null)).toBe("MISS");
  });
});

describe("a tenant deleted while a store is in flight", () => {
  it("leaves nothing in a tenant re-created under its id", async () => {
    const t = await tenantWithKey("sr-ten");
    const stream = await openStream(t.host, t.key, null);
    const id = stream.headers.get("x-cache-entry-id");
    const del = await call("cordon.test", `/v1/admin/tenants/${t.tenant}`, { token: rootToken(), method: "DELETE" });
    expect(del.status).toBe(200);
    await stream.text();
    await settle();
    await createTenant(t.tenant);
    const key = await createKey(t.tenant, { role: "admin" });
    const list = (await (await call(hostOf(t.tenant), "/v1/cache/entries", { token: key })).json()) as {
      data: { id: string }[];
    };
    expect(list.data).toEqual([]);
    expect((await call(hostOf(t.tenant), `/v1/cache/entries/${id}`, { token: key })).status).toBe(404);
    expect(await objectCounts(t.tenant)).toMatchObject({ entries: 0, vectors: 0 });
  });

  it("and its object's alarm does not re-arm for what a late write left", async () => {
    const t = await tenantWithKey("sr-alarm");
    const object = tenantObjectOf(t.tenant);
    const del = await call("cordon.test", `/v1/admin/tenants/${t.tenant}`, { token: rootToken(), method: "DELETE" });
    expect(del.status).toBe(200);
    // What a write that slipped past every check would leave: an expired row and its vector.
    await runInDurableObject(object, async (_, state) => {
      state.storage.sql.exec(
        `INSERT INTO entries (id, scope, user_hash, partition, prompt_hash, model, exact_key, created_at, expires_at)
         VALUES ('00000000-0000-4000-8000-000000000001', 's', NULL, 'p', 'h', 'm', 'k', 1, 2)`,
      );
      await state.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(object);
    const after = await runInDurableObject(object, async (_, state) => ({
      alarm: await state.storage.getAlarm(),
      entries: state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM entries`).one().n,
    }));
    expect(after).toEqual({ alarm: null, entries: 0 });
  });
});
