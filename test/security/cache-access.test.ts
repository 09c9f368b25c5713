// The one cache rule on every route that touches the cache: calling the provider needs `completions`, being
// answered from the cache needs `cache:read`, storing an answer needs `cache:write` (policy/access.ts). Each
// route is called with keys holding each combination; a route's own scope only admits the caller.
import { describe, expect, it } from "vitest";
import { call, chatBody, createKey, createTenant, hostOf, settle, uniqueTenant } from "../helpers";

const tenant = uniqueTenant("access");
const host = hostOf(tenant);

async function chat(key: string, q: string) {
  const res = await call(host, "/v1/chat/completions", { token: key, body: chatBody(q) });
  await res.text();
  await settle();
  return { status: res.status, cache: res.headers.get("x-cache") };
}

async function query(key: string, q: string) {
  const res = await call(host, "/v1/cache/query", { token: key, body: { prompt: q, model: "gpt-4o-mini" } });
  const body = (await res.json()) as { cache_hit?: boolean; response?: string | null };
  await settle();
  return { status: res.status, cache: res.headers.get("x-cache"), hit: body.cache_hit, answered: !!body.response };
}

describe("one cache rule on every route", async () => {
  await createTenant(tenant);
  const all = await createKey(tenant, { role: "developer", scopes: ["completions", "cache:read", "cache:write"] });
  const completionsOnly = await createKey(tenant, { role: "developer", scopes: ["completions"] });
  const readOnly = await createKey(tenant, { role: "developer", scopes: ["completions", "cache:read"] });
  const writeOnly = await createKey(tenant, { role: "developer", scopes: ["completions", "cache:write"] });
  const lookupOnly = await createKey(tenant, { role: "viewer", scopes: ["cache:read"] });
  await settle();

  it("chat completions: a completions-only key is answered but neither reads nor writes the cache", async () => {
    expect(await chat(all, "Which planet is largest?")).toEqual({ status: 200, cache: "MISS" });
    expect(await chat(all, "Which planet is largest?")).toEqual({ status: 200, cache: "HIT-EXACT" });
    expect(await chat(completionsOnly, "Which planet is largest?")).toEqual({ status: 200, cache: "BYPASS" });
    expect(await chat(completionsOnly, "How far is the moon?")).toEqual({ status: 200, cache: "BYPASS" });
    expect(await chat(all, "How far is the moon?")).toEqual({ status: 200, cache: "MISS" });
  });

  it("chat completions: cache:read without cache:write reads but never stores", async () => {
    expect(await chat(readOnly, "Which planet is largest?")).toEqual({ status: 200, cache: "HIT-EXACT" });
    expect(await chat(readOnly, "What is a nebula?")).toEqual({ status: 200, cache: "MISS" });
    expect(await chat(all, "What is a nebula?")).toEqual({ status: 200, cache: "MISS" });
  });

  it("chat completions: cache:write without cache:read stores but is never answered from the cache", async () => {
    expect(await chat(writeOnly, "What is a quasar?")).toEqual({ status: 200, cache: "BYPASS" });
    expect(await chat(all, "What is a quasar?")).toEqual({ status: 200, cache: "HIT-EXACT" });
  });

  it("chat completions: without completions the route refuses", async () => {
    const res = await call(host, "/v1/chat/completions", {
      token: lookupOnly,
      body: chatBody("Which planet is largest?"),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("insufficient_scope");
  });

  it("cache query: the same rule — a cache:read-only key looks up but never calls the provider", async () => {
    expect(await query(lookupOnly, "Which planet is largest?")).toMatchObject({ status: 200, hit: true });
    expect(await query(lookupOnly, "What is dark matter?")).toMatchObject({ status: 200, hit: false, answered: false });
    expect(await query(readOnly, "What is dark matter?")).toMatchObject({ status: 200, hit: false, answered: true });
    // readOnly could not store it: still a miss for everyone.
    expect(await query(all, "What is dark matter?")).toMatchObject({ status: 200, hit: false, cache: "MISS" });
    expect(await query(all, "What is dark matter?")).toMatchObject({ status: 200, hit: true });
  });

  it("cache query: without cache:read the route refuses", async () => {
    const res = await call(host, "/v1/cache/query", {
      token: completionsOnly,
      body: { prompt: "Which planet is largest?", model: "gpt-4o-mini" },
    });
    expect(res.status).toBe(403);
  });
});
