// Keys minted by keys: never more than the minting key holds, in scopes, cache scope or life; and never
// usable on a tenant re-created under the id of one that was deleted.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  call,
  chatBody,
  createKey,
  createTenant,
  expectError,
  hostOf,
  PLATFORM,
  rootToken,
  settle,
  uniqueTenant,
} from "../helpers";

const inDays = (d: number) => new Date(Date.now() + d * 86400_000).toISOString();

async function mint(tenant: string, token: string, body: Record<string, unknown>) {
  return call(hostOf(tenant), "/v1/admin/keys", { token, body: { name: "minted", ...body } });
}

describe("key minting never exceeds the minting key", async () => {
  const tenant = uniqueTenant("mint");
  await createTenant(tenant);
  const userBoundSoon = await createKey(tenant, {
    role: "admin",
    cache_scope: "user",
    expires_at: inDays(2),
  });
  await settle();

  it("regression: a user-bound key expiring soon cannot create a tenant-scoped key", async () => {
    await expectError(
      await mint(tenant, userBoundSoon, { role: "developer", cache_scope: "tenant" }),
      403,
      "scope_escalation",
      "permission_error",
    );
  });

  it("regression: nor a key that outlives it", async () => {
    await expectError(
      await mint(tenant, userBoundSoon, { role: "developer", expires_at: inDays(30) }),
      403,
      "scope_escalation",
      "permission_error",
    );
  });

  it("a key minted without expiry or cache scope inherits the minter's bounds", async () => {
    const res = await mint(tenant, userBoundSoon, { role: "developer" });
    expect(res.status).toBe(201);
    const key = (await res.json()) as { cache_scope: string; expires_at: string | null };
    expect(key.cache_scope).toBe("user");
    expect(key.expires_at).not.toBeNull();
    expect(Date.parse(key.expires_at!)).toBeLessThanOrEqual(Date.parse(inDays(2)) + 1000);
  });

  it("scopes the minter lacks are refused; narrower ones are granted", async () => {
    const narrow = await createKey(tenant, { role: "admin", scopes: ["keys:manage", "completions"] });
    await expectError(await mint(tenant, narrow, { role: "developer" }), 403, "scope_escalation", "permission_error");
    const ok = await mint(tenant, narrow, { role: "developer", scopes: ["completions"] });
    expect(ok.status).toBe(201);
  });
});

describe("a rotated-out secret, in its grace", () => {
  it("regression: created keys and rotated its own key past its grace, taking the key over from the new secret", async () => {
    const tenant = uniqueTenant("mint");
    await createTenant(tenant);
    const res = await call(hostOf(tenant), "/v1/admin/keys", {
      token: rootToken(),
      body: { name: "a", role: "admin" },
    });
    const { id, key: old } = (await res.json()) as { id: string; key: string };
    const rotated = await call(hostOf(tenant), `/v1/admin/keys/${id}/rotate`, {
      token: rootToken(),
      body: { grace_seconds: 3600 },
    });
    const { key: fresh, previous_secret_expires_at } = (await rotated.json()) as {
      key: string;
      previous_secret_expires_at: string;
    };
    const graceEnds = Date.parse(previous_secret_expires_at);

    // Whatever the old secret makes ends with its grace, as its tokens and sessions do.
    const inherits = await mint(tenant, old, { role: "developer" });
    expect(inherits.status).toBe(201);
    expect(Date.parse(((await inherits.json()) as { expires_at: string }).expires_at)).toBe(graceEnds);
    await expectError(
      await mint(tenant, old, { role: "developer", expires_at: inDays(30) }),
      403,
      "scope_escalation",
      "permission_error",
    );
    const within = await mint(tenant, old, { role: "developer", expires_at: new Date(graceEnds).toISOString() });
    expect(within.status).toBe(201);
    // Nor may it rotate its key, which would hand it a secret of the key's full life and drop the new one.
    await expectError(
      await call(hostOf(tenant), `/v1/admin/keys/${id}/rotate`, { token: old, body: { grace_seconds: 0 } }),
      403,
      "scope_escalation",
      "permission_error",
    );
    expect((await call(hostOf(tenant), "/v1/admin/keys", { token: fresh })).status).toBe(200);
    const byFresh = await mint(tenant, fresh, { role: "developer" });
    expect(((await byFresh.json()) as { expires_at: string | null }).expires_at).toBeNull();
  });
});

describe("keys are bound to one tenant generation", () => {
  it("regression: a key that survived its tenant's deletion never works on a tenant re-created with its id", async () => {
    const tenant = uniqueTenant("regen");
    await createTenant(tenant);
    const key = await createKey(tenant);
    await settle();
    // KV listing is eventually consistent in production: keep the key's records as a missed deletion would.
    const saved: [string, string][] = [];
    for (const k of (await env.TENANTS.list({ prefix: "_key:" })).keys) {
      const v = await env.TENANTS.get(k.name);
      if (v?.includes(`"tenant":"${tenant}"`)) saved.push([k.name, v]);
    }
    expect(saved.length).toBe(1);
    const del = await call(PLATFORM, `/v1/admin/tenants/${tenant}`, { method: "DELETE", token: rootToken() });
    expect(del.status).toBe(200);
    for (const [k, v] of saved) await env.TENANTS.put(k, v);
    await createTenant(tenant);
    await settle();
    const res = await call(hostOf(tenant), "/v1/chat/completions", { token: key, body: chatBody("hello there") });
    await expectError(res, 401, "invalid_api_key", "authentication_error");
  });
});
