// Tenant and key lifecycle through the operator's ROOT_TOKEN and keys:manage keys.
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  call,
  chatBody,
  createKey,
  createTenant,
  expectError,
  hostOf,
  objectCounts,
  PLATFORM,
  rootToken,
  settle,
  uniqueTenant,
} from "../helpers";

const root = () => ({ token: rootToken() });

describe("tenants (operator)", () => {
  it("creates a tenant with default policy, never showing its data key", async () => {
    const id = uniqueTenant("adm");
    const res = await call(PLATFORM, "/v1/admin/tenants", { ...root(), body: { id, name: "Acme" } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      id,
      name: "Acme",
      hostnames: [],
      policy: { similarity_threshold: 0.9, ttl_seconds: 86400, cache_scope: "tenant" },
    });
    expect(JSON.stringify(body)).not.toMatch(/wrapped|data_key/);
    const stored = (await env.TENANTS.get(`_tenant:${id}`, "json")) as { wrapped_data_key: string };
    expect(stored.wrapped_data_key).toMatch(/^k2\.[0-9a-f]{16}\./);
  });

  it("refuses a duplicate id, a taken hostname and a hostname under the base domain", async () => {
    const id = uniqueTenant("dup");
    await createTenant(id, { hostnames: ["chat.dup.example"] });
    await expectError(
      await call(PLATFORM, "/v1/admin/tenants", { ...root(), body: { id } }),
      409,
      "tenant_exists",
      "invalid_request_error",
    );
    await expectError(
      await call(PLATFORM, "/v1/admin/tenants", {
        ...root(),
        body: { id: uniqueTenant("x"), hostnames: ["chat.dup.example"] },
      }),
      409,
      "hostname_taken",
      "invalid_request_error",
    );
    await expectError(
      await call(PLATFORM, "/v1/admin/tenants", {
        ...root(),
        body: { id: uniqueTenant("x"), hostnames: [`evil.${PLATFORM}`] },
      }),
      400,
      "invalid_hostname",
      "invalid_request_error",
    );
  });

  // Regression: an IPv4 address was accepted as a custom hostname (its labels are digits, as a DNS name's may be),
  // and the tenant listed it as mapped; but a request whose Host is an IP literal names no tenant, so the
  // mapping never served anything. It is now refused, and nothing is stored.
  it("refuses an IP address as a custom hostname: a Host that is an address never names a tenant", async () => {
    const id = uniqueTenant("ip");
    for (const hostname of ["203.0.113.7", "10.0.0.1"]) {
      const res = await call(PLATFORM, "/v1/admin/tenants", { ...root(), body: { id, hostnames: [hostname] } });
      expect((await res.clone().json()) as unknown).toMatchObject({
        error: { message: expect.stringContaining("IP address") },
      });
      await expectError(res, 400, "invalid_hostname", "invalid_request_error");
    }
    const listed = await call(PLATFORM, "/v1/admin/tenants?limit=1000", root());
    expect(((await listed.json()) as { data: { id: string }[] }).data.map((t) => t.id)).not.toContain(id);
    // A name that only starts with digits is a DNS name like any other.
    await createTenant(id, { hostnames: ["1.example"] });
  });

  it("a tenant's initial policy is held to the policy's own rules: invalid allowlists and SSO settings stored nothing", async () => {
    const oidc = { issuer: "https://idp.example", audience: "cordon", role_claim: "groups", role_map: { a: "admin" } };
    for (const [policy, field] of [
      [{ ip_allowlist: ["not-an-address"] }, "policy.ip_allowlist"],
      [{ ip_allowlist: ["10.0.0.0/33"] }, "policy.ip_allowlist"],
      [{ oidc: { ...oidc, jwks_uri: "http://169.254.169.254/keys" } }, "policy.oidc.jwks_uri"],
      [{ oidc: { ...oidc, jwks_uri: "ftp://idp.example/keys" } }, "policy.oidc.jwks_uri"],
      [{ fallbacks: ["openai/gpt-4o", "gpt-4o"] }, "policy.fallbacks.1"],
    ] as const) {
      const id = uniqueTenant("pol");
      const res = await call(PLATFORM, "/v1/admin/tenants", { ...root(), body: { id, policy } });
      const message = ((await res.clone().json()) as { error: { message: string } }).error.message;
      expect(message).toContain(`"${field}"`);
      await expectError(res, 400, "invalid_field", "invalid_request_error");
      expect(await env.TENANTS.get(`_tenant:${id}`)).toBeNull();
    }
    // Allowed entries are stored as PUT /v1/admin/policy stores them: canonical, without duplicates.
    const id = uniqueTenant("pol");
    const res = await call(PLATFORM, "/v1/admin/tenants", {
      ...root(),
      body: { id, policy: { ip_allowlist: ["10.1.2.3/8", "10.0.0.0/8", "::ffff:192.0.2.1"] } },
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { policy: { ip_allowlist: string[] } }).policy.ip_allowlist).toEqual([
      "10.0.0.0/8",
      "192.0.2.1/32",
    ]);
    const stored = (await env.TENANTS.get(`_tenant:${id}`, "json")) as { policy: { ip_allowlist: string[] } };
    expect(stored.policy.ip_allowlist).toEqual(["10.0.0.0/8", "192.0.2.1/32"]);
  });

  it("lists tenants with paging", async () => {
    const ids = [uniqueTenant("lst"), uniqueTenant("lst"), uniqueTenant("lst")];
    for (const id of ids) await createTenant(id);
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(
        PLATFORM,
        `/v1/admin/tenants?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        root(),
      );
      const page = (await res.json()) as { data: { id: string }[]; next_cursor: string | null };
      expect(page.data.length).toBeLessThanOrEqual(2);
      all.push(...page.data.map((t) => t.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(all).toEqual(expect.arrayContaining(ids));
    await expectError(
      await call(PLATFORM, "/v1/admin/tenants?limit=0", root()),
      400,
      "invalid_limit",
      "invalid_request_error",
    );
  });

  it("requires the operator token on the platform host", async () => {
    await expectError(await call(PLATFORM, "/v1/admin/tenants", {}), 401, "missing_api_key", "authentication_error");
    await expectError(
      await call(PLATFORM, "/v1/admin/tenants", { token: "x".repeat(40) }),
      401,
      "invalid_api_key",
      "authentication_error",
    );
  });

  it("deleting a tenant crypto-shreds it: keys, hostnames, cache and vectors are gone, then their copies", async () => {
    const id = uniqueTenant("del");
    await createTenant(id, { hostnames: ["del.example"] });
    const key = await createKey(id);
    const ask = () =>
      call(hostOf(id), "/v1/chat/completions", { token: key, body: chatBody("What will be forgotten?") });
    expect((await ask()).status).toBe(200);
    await settle();
    const stub = env.TENANT_OBJECT.get(env.TENANT_OBJECT.idFromName(id));
    expect(await stub.catalogCount()).toBe(1);
    // The entry's sealed body and its exact-tier pointer.
    expect((await env.CACHE.list({ prefix: `${id}:` })).keys).toHaveLength(2);

    const res = await call(PLATFORM, `/v1/admin/tenants/${id}`, { ...root(), method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id, deleted: true, keys_revoked: 1 });
    expect(await env.TENANTS.get(`_tenant:${id}`)).toBeNull();
    expect(await env.TENANTS.get("_host:del.example")).toBeNull();
    expect((await env.TENANTS.list({ prefix: `${id}:` })).keys).toEqual([]);
    expect(await stub.catalogCount()).toBe(0);
    expect(await stub.vectorCount()).toBe(0);
    // Regression: the copies outside the object were left to their KV TTL (Vectorize vectors: for good). The
    // emptied object's sweeper deletes them.
    for (let runs = 0; (await objectCounts(id)).pending_deletes > 0; runs++) {
      if (!(await runDurableObjectAlarm(stub))) await new Promise((r) => setTimeout(r, 20));
      expect(runs).toBeLessThan(100);
    }
    expect((await env.CACHE.list({ prefix: `${id}:` })).keys).toEqual([]);
    await expectError(await ask(), 404, "tenant_not_found", "invalid_request_error");
    await expectError(
      await call(PLATFORM, `/v1/admin/tenants/${id}`, { ...root(), method: "DELETE" }),
      404,
      "tenant_not_found",
      "invalid_request_error",
    );
  });
});

describe("keys", () => {
  it("creates a key whose secret is shown once and listed never", async () => {
    const id = uniqueTenant("key");
    await createTenant(id);
    const res = await call(hostOf(id), "/v1/admin/keys", {
      ...root(),
      body: { name: "ci", role: "service", cache_scope: "user" },
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Record<string, unknown>;
    expect(created).toMatchObject({
      name: "ci",
      role: "service",
      environment: "test",
      cache_scope: "user",
      scopes: ["completions", "cache:read", "cache:write"],
    });
    expect(created.key).toMatch(/^cdn_test_/);
    const list = await call(hostOf(id), "/v1/admin/keys", root());
    const text = await list.text();
    expect(JSON.parse(text).data).toHaveLength(1);
    expect(text).not.toContain(created.key as string);
    expect(text).not.toMatch(/"hash"/);
  });

  it("lets a keys:manage key grant only scopes it holds", async () => {
    const id = uniqueTenant("esc");
    await createTenant(id);
    const limited = await createKey(id, { role: "admin", scopes: ["keys:manage", "completions"] });
    const ok = await call(hostOf(id), "/v1/admin/keys", {
      token: limited,
      body: { name: "w", role: "developer", scopes: ["completions"] },
    });
    expect(ok.status).toBe(201);
    await expectError(
      await call(hostOf(id), "/v1/admin/keys", { token: limited, body: { name: "w", role: "developer" } }),
      403,
      "scope_escalation",
      "permission_error",
    );
    const developer = await createKey(id);
    await expectError(
      await call(hostOf(id), "/v1/admin/keys", { token: developer, body: { name: "w", role: "viewer" } }),
      403,
      "insufficient_scope",
      "permission_error",
    );
  });

  it("a user-bound key must name a user", async () => {
    const id = uniqueTenant("ub");
    await createTenant(id);
    const key = await createKey(id, { cache_scope: "user" });
    await expectError(
      await call(hostOf(id), "/v1/chat/completions", { token: key, body: chatBody("Whose question?") }),
      400,
      "cache_user_required",
      "invalid_request_error",
    );
    const res = await call(hostOf(id), "/v1/chat/completions", {
      token: key,
      body: chatBody("Whose question?", { user: "u1" }),
    });
    expect(res.status).toBe(200);
  });

  // Regression: a name was any string of 1–64 characters. An admin could create a key named with terminal escape
  // sequences (cursor up, erase line) that hid its own row from `cordon keys list`, or with a newline that forged
  // rows, or with a right-to-left override that showed another name in the dashboard.
  it("a key, virtual key or tenant name with control characters or only white space is refused, and nothing is stored", async () => {
    const id = uniqueTenant("nm");
    await createTenant(id);
    const hidden = "\u001b[1A\u001b[2Kbackdoor";
    for (const name of [hidden, "ci\nkey_AAAAAAAAAAAAAAAA  ci  owner", "tol\u202ekcab", "a\u0000b", "   "]) {
      await expectError(
        await call(hostOf(id), "/v1/admin/keys", { ...root(), body: { name, role: "viewer" } }),
        400,
        "invalid_field",
        "invalid_request_error",
      );
      await expectError(
        await call(hostOf(id), "/v1/admin/virtual-keys", {
          ...root(),
          body: { name, provider: "openai", api_key: "sk-test-0123456789" },
        }),
        400,
        "invalid_field",
        "invalid_request_error",
      );
      await expectError(
        await call(PLATFORM, "/v1/admin/tenants", { ...root(), body: { id: uniqueTenant("nm"), name } }),
        400,
        "invalid_field",
        "invalid_request_error",
      );
    }
    const keys = (await (await call(hostOf(id), "/v1/admin/keys", root())).json()) as { data: unknown[] };
    expect(keys.data).toEqual([]);
    const vks = (await (await call(hostOf(id), "/v1/admin/virtual-keys", root())).json()) as { data: unknown[] };
    expect(vks.data).toEqual([]);
    // Names in any script, with spaces and emoji, are still names.
    const ok = await call(hostOf(id), "/v1/admin/keys", {
      ...root(),
      body: { name: "Équipe données 🚀", role: "viewer" },
    });
    expect(ok.status).toBe(201);
  });
});
