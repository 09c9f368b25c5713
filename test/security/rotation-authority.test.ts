// Where the tenant's object is the authority, it decides by what it holds now, not by a cache. Regressions:
// - a secret a rotation dropped (grace 0), still in another isolate's key cache, minted OAuth tokens, opened
//   dashboard sessions and passed rate-limited requests, which docs/security.md says refuse it at once;
// - a dashboard session opened with a rotated-out secret outlived that secret's grace;
// - an admin whose request read an older tenant record (KV's 30 s edge cache) could put back single sign-on the
//   owner had just removed, as "unchanged";
// - an admin could revoke the owner's keys, locking the owner out;
// - GET /v1/admin/policy answered from an older tenant record, so a PUT of what it returned (as `cordon policy
//   set` sends) undid a change just made, an ip_allowlist say;
// - a key revoked (by a lockdown) elsewhere, still cached in an isolate, created and rotated keys there that
//   outlived the lockdown.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tenantsKv } from "../../src/gateway/storage/kv-keys";
import { fakeOpenIdProvider } from "../fakes/openid-provider";
import {
  accessTokenFor,
  call,
  createTenant,
  expectError,
  hostOf,
  newKey,
  requestToken,
  rootToken,
  setPolicy,
  tenantObjectOf,
  uniqueTenant,
} from "../helpers";
import { asPage, signIn } from "../integration/dashboard-helpers";

/** Another isolate: a Runtime of its own (its own 10 s key cache), as a request served elsewhere. */
const elsewhere = { ...env } as CordonGateway.Env;

const OIDC = {
  issuer: "https://idp.example",
  audience: "cordon",
  jwks_uri: "https://idp.example/jwks.json",
  role_claim: "groups",
  role_map: { "idp-admins": "owner" },
};

afterEach(() => {
  vi.useRealTimers();
});

/** A tenant of its own for one test, and its host. */
async function newTenant(): Promise<{ tenant: string; host: string }> {
  const tenant = uniqueTenant("rauth");
  await createTenant(tenant);
  return { tenant, host: hostOf(tenant) };
}

/** A key this isolate has just used (its record is cached here), rotated elsewhere with `grace` seconds. */
async function rotatedElsewhere(grace: number, policy: Record<string, unknown> = {}) {
  const { tenant, host } = await newTenant();
  if (Object.keys(policy).length) await setPolicy(tenant, policy);
  const k = await newKey(tenant, { role: "admin" });
  expect((await call(host, "/v1/models", { token: k.key })).status).toBe(200);
  const rotated = await call(host, `/v1/admin/keys/${k.id}/rotate`, {
    token: rootToken(),
    body: { grace_seconds: grace },
    env: elsewhere,
  });
  expect(rotated.status).toBe(200);
  const fresh = ((await rotated.json()) as { key: string }).key;
  return { tenant, host, id: k.id, old: k.key, fresh };
}

/** The environment of a location whose KV edge cache still holds this tenant record (JSON text) for the tenant. */
function withStaleTenant(tenant: string, record: string): CordonGateway.Env {
  const staleTenants = new Proxy(env.TENANTS, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (prop === "get") {
        return (key: string, opts?: unknown) =>
          key === tenantsKv.tenant(tenant)
            ? Promise.resolve(JSON.parse(record))
            : (value as (k: string, o?: unknown) => unknown).call(target, key, opts);
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as KVNamespace;
  return { ...env, TENANTS: staleTenants } as CordonGateway.Env;
}

describe("a secret a rotation dropped, still cached in this isolate", () => {
  it("mints no OAuth token; the new secret does", async () => {
    const s = await rotatedElsewhere(0);
    const res = await requestToken(s.host, s.id, s.old);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_client");
    expect((await requestToken(s.host, s.id, s.fresh)).status).toBe(200);
  });

  it("opens no dashboard session; the new secret does", async () => {
    const s = await rotatedElsewhere(0);
    const res = await call(s.host, "/dashboard/session", {
      body: { api_key: s.old },
      headers: { origin: `https://${s.host}`, "sec-fetch-site": "same-origin" },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    await signIn(s.host, s.fresh);
  });

  it("is refused by a tenant with a rate limit on its next request; the new secret is not", async () => {
    const s = await rotatedElsewhere(0, { rate_limit: { requests: 1000, window_seconds: 60 } });
    const res = await call(s.host, "/v1/models", { token: s.old });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    expect((await call(s.host, "/v1/models", { token: s.fresh })).status).toBe(200);
  });
});

describe("a grace shorter than the caches, in an isolate that read the key before the rotation", () => {
  it("ends with that isolate's record (10 s), as a revocation does; at once where the tenant's object is read", async () => {
    const s = await rotatedElsewhere(2);
    const limited = await rotatedElsewhere(2, { rate_limit: { requests: 1000, window_seconds: 60 } });
    const graceEnds = Date.now() + 2000;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(graceEnds + 1000);
    // This isolate's record predates the rotation: it knows no grace, and the old secret still works here.
    expect((await call(s.host, "/v1/models", { token: s.old })).status).toBe(200);
    await expectError(
      await call(limited.host, "/v1/models", { token: limited.old }),
      401,
      "invalid_api_key",
      "authentication_error",
    );
    expect((await requestToken(s.host, s.id, s.old)).status).toBe(401);
    vi.setSystemTime(graceEnds + 10_000);
    await expectError(
      await call(s.host, "/v1/models", { token: s.old }),
      401,
      "invalid_api_key",
      "authentication_error",
    );
  });
});

describe("a dashboard session", () => {
  it("opened with a rotated-out secret in its grace ends with the grace", async () => {
    const s = await rotatedElsewhere(120);
    const page = await signIn(s.host, s.old);
    expect(Date.parse(page.body.expires_at as string)).toBeLessThanOrEqual(Date.now() + 121_000);
    expect((await asPage(page, "/v1/admin/keys")).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 121_000);
    expect((await asPage(page, "/v1/admin/keys")).status).toBe(401);
  });

  it("ends at once when a rotation elsewhere drops the secret it was opened with", async () => {
    const { tenant, host } = await newTenant();
    const k = await newKey(tenant, { role: "admin" });
    const page = await signIn(host, k.key);
    expect((await asPage(page, "/v1/admin/keys")).status).toBe(200);
    const rotated = await call(host, `/v1/admin/keys/${k.id}/rotate`, {
      token: rootToken(),
      body: { grace_seconds: 0 },
      env: elsewhere,
    });
    expect(rotated.status).toBe(200);
    const after = await asPage(page, "/v1/admin/keys");
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe("invalid_session");
  });

  it("opened with the current secret survives a rotation with grace, until the grace ends", async () => {
    const { tenant, host } = await newTenant();
    const k = await newKey(tenant, { role: "admin" });
    const page = await signIn(host, k.key);
    await call(host, `/v1/admin/keys/${k.id}/rotate`, { token: rootToken(), body: { grace_seconds: 120 } });
    expect((await asPage(page, "/v1/admin/keys")).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 121_000);
    expect((await asPage(page, "/v1/admin/keys")).status).toBe(401);
  });
});

describe("single sign-on, changed only by the owner, by what the tenant's object holds", () => {
  it("an admin reading an older tenant record cannot put back the SSO the owner removed", async () => {
    const { tenant, host } = await newTenant();
    const owner = await newKey(tenant, { role: "owner" });
    const admin = await newKey(tenant, { role: "admin" });
    const policyOf = async () =>
      (
        (await (await call(host, "/v1/admin/policy", { token: owner.key })).json()) as {
          policy: Record<string, unknown>;
        }
      ).policy;
    const base = await policyOf();
    expect(
      (await call(host, "/v1/admin/policy", { method: "PUT", token: owner.key, body: { ...base, oidc: OIDC } })).status,
    ).toBe(200);
    const withSso = await env.TENANTS.get(tenantsKv.tenant(tenant));
    expect(
      (await call(host, "/v1/admin/policy", { method: "PUT", token: owner.key, body: { ...base, oidc: null } })).status,
    ).toBe(200);

    // A location whose edge cache still holds the record with SSO.
    const stale = withStaleTenant(tenant, withSso!);
    for (const e of [env, stale]) {
      const res = await call(host, "/v1/admin/policy", {
        method: "PUT",
        token: admin.key,
        body: { ...base, oidc: OIDC },
        env: e,
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("owner_only");
    }
    expect((await policyOf()).oidc).toBeNull();
    // Changing something else still works for the admin, and leaves SSO as the owner set it.
    const ttl = await call(host, "/v1/admin/policy", {
      method: "PUT",
      token: admin.key,
      body: { ...base, ttl_seconds: 600 },
    });
    expect(ttl.status).toBe(200);
    expect(await policyOf()).toMatchObject({ oidc: null, ttl_seconds: 600 });
  });
});

describe("the policy an administrator reads and sends back", () => {
  it("is the stored one, not an older tenant record's: sending it back undoes no change just made", async () => {
    const { tenant, host } = await newTenant();
    const before = await env.TENANTS.get(tenantsKv.tenant(tenant));
    await setPolicy(tenant, { ip_allowlist: ["203.0.113.0/24"], pii_mode: "block" });

    // A location whose edge cache still holds the record from before that change.
    const stale = withStaleTenant(tenant, before!);
    const read = await call(host, "/v1/admin/policy", { token: rootToken(), env: stale });
    const { policy } = (await read.json()) as { policy: Record<string, unknown> };
    expect(policy).toMatchObject({ ip_allowlist: ["203.0.113.0/24"], pii_mode: "block" });
    const put = await call(host, "/v1/admin/policy", {
      method: "PUT",
      token: rootToken(),
      body: { ...policy, ttl_seconds: 600 },
      env: stale,
    });
    expect(put.status).toBe(200);
    expect((await tenantObjectOf(tenant).getTenant())?.policy).toMatchObject({
      ip_allowlist: ["203.0.113.0/24"],
      pii_mode: "block",
      ttl_seconds: 600,
    });
  });
});

describe("two administrators changing the policy at once", () => {
  it("with If-Match, one change applies and the other is refused (409 policy_changed), never silently undone", async () => {
    const { tenant, host } = await newTenant();
    const read = await call(host, "/v1/admin/policy", { token: rootToken() });
    const tag = read.headers.get("etag");
    expect(tag).toMatch(/^"[0-9a-f]{32}"$/);
    const { policy } = (await read.json()) as { policy: Record<string, unknown> };
    const put = (fields: Record<string, unknown>) =>
      call(host, "/v1/admin/policy", {
        method: "PUT",
        token: rootToken(),
        headers: { "if-match": tag! },
        body: { ...policy, ...fields },
      });
    const [allowlist, pii] = await Promise.all([put({ ip_allowlist: ["203.0.113.0/24"] }), put({ pii_mode: "block" })]);
    expect([allowlist.status, pii.status].sort()).toEqual([200, 409]);
    const [won, lost] = allowlist.status === 200 ? [allowlist, pii] : [pii, allowlist];
    await expectError(lost, 409, "policy_changed", "invalid_request_error");
    const stored = (await tenantObjectOf(tenant).getTenant())?.policy;
    expect(stored).toEqual(((await won.json()) as { policy: unknown }).policy);
    expect(won.headers.get("etag")).not.toBe(tag);
    // Read again, the refused change applies on top of the other.
    const again = await call(host, "/v1/admin/policy", { token: rootToken() });
    const current = ((await again.json()) as { policy: Record<string, unknown> }).policy;
    const retry = await call(host, "/v1/admin/policy", {
      method: "PUT",
      token: rootToken(),
      headers: { "if-match": again.headers.get("etag")! },
      body: { ...current, ip_allowlist: ["203.0.113.0/24"], pii_mode: "block" },
    });
    expect(retry.status).toBe(200);
    expect((await tenantObjectOf(tenant).getTenant())?.policy).toMatchObject({
      ip_allowlist: ["203.0.113.0/24"],
      pii_mode: "block",
    });
  });
});

describe("If-Match on PUT /v1/admin/policy (RFC 9110 §13.1.1)", () => {
  // Regression: the field was compared whole with the tag, so a list naming the current tag (`"a", "b"`, or two
  // If-Match fields, which arrive joined) was refused 409 policy_changed, however often the client read again.
  // Regression: a weak tag never matched, but Cloudflare's edge turns a strong ETag weak when it compresses a
  // response: the dashboard and the CLI, sending back the tag they read, would have been refused on every save.
  it("applies a PUT whose If-Match lists the current tag among others, weak or not; refuses stale tags", async () => {
    const { tenant, host } = await newTenant();
    const read = await call(host, "/v1/admin/policy", { token: rootToken() });
    const tag = read.headers.get("etag")!;
    const { policy } = (await read.json()) as { policy: Record<string, unknown> };
    const put = (ifMatch: string, fields: Record<string, unknown>) =>
      call(host, "/v1/admin/policy", {
        method: "PUT",
        token: rootToken(),
        headers: { "if-match": ifMatch },
        body: { ...policy, ...fields },
      });
    for (const refused of [`W/"0123"`, `"0123", W/"4567"`, `${tag.slice(0, -1)}`, `${tag} ${tag}`, `w/${tag}`]) {
      await expectError(await put(refused, { ttl_seconds: 600 }), 409, "policy_changed", "invalid_request_error");
    }
    expect((await tenantObjectOf(tenant).getTenant())?.policy.ttl_seconds).toBe(86400);
    const listed = await put(`"0123456789abcdef0123456789abcdef", ${tag}`, { ttl_seconds: 600 });
    expect(listed.status).toBe(200);
    const next = listed.headers.get("etag")!;
    const joined = await put(`W/"x",${next} ,"y"`, { ttl_seconds: 700 });
    expect(joined.status).toBe(200);
    expect((await tenantObjectOf(tenant).getTenant())?.policy.ttl_seconds).toBe(700);
    // The tag as it arrives through Cloudflare's compression: weak.
    const weakened = await put(`W/${joined.headers.get("etag")!}`, { ttl_seconds: 800 });
    expect(weakened.status).toBe(200);
    expect((await tenantObjectOf(tenant).getTenant())?.policy.ttl_seconds).toBe(800);
  });
});

describe("If-None-Match on GET /v1/admin/policy (RFC 9110 §13.1.2)", () => {
  // Regression: If-None-Match was ignored, so a client holding the current policy was sent it whole every time.
  it("answers 304 Not Modified, without a body, while the field names the current tag, weak, listed or *", async () => {
    const { tenant, host } = await newTenant();
    const read = await call(host, "/v1/admin/policy", { token: rootToken() });
    const tag = read.headers.get("etag")!;
    await read.arrayBuffer();
    const get = (ifNoneMatch: string, method = "GET") =>
      call(host, "/v1/admin/policy", { method, token: rootToken(), headers: { "if-none-match": ifNoneMatch } });
    for (const held of [tag, `W/${tag}`, `"0123", ${tag}`, `W/"x",${tag} ,"y"`, "*"]) {
      const res = await get(held);
      expect(res.status, held).toBe(304);
      expect(res.body, held).toBeNull();
      expect(res.headers.get("etag")).toBe(tag);
      expect(res.headers.get("cache-control")).toBe(read.headers.get("cache-control"));
      expect(res.headers.get("content-length")).toBeNull();
    }
    const head = await get(tag, "HEAD");
    expect(head.status).toBe(304);
    expect(head.body).toBeNull();
    // A tag it does not name, or a field that is no list of tags: the whole policy.
    for (const other of [`"0123"`, `${tag.slice(0, -1)}`, `${tag} ${tag}`, `w/${tag}`]) {
      const res = await get(other);
      expect(res.status, other).toBe(200);
      expect(res.headers.get("etag")).toBe(tag);
      expect(await res.json()).toEqual(await (await call(host, "/v1/admin/policy", { token: rootToken() })).json());
    }
    // Once the policy changed, the old tag gets the new policy and its tag.
    await setPolicy(tenant, { ttl_seconds: 600 });
    const changed = await get(tag);
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(tag);
    expect(((await changed.json()) as { policy: { ttl_seconds: number } }).policy.ttl_seconds).toBe(600);
  });

  it("tells nothing to a caller the GET would refuse: 401 without a credential, 403 without policy:manage", async () => {
    const { tenant, host } = await newTenant();
    const developer = await newKey(tenant, { role: "developer" });
    const read = await call(host, "/v1/admin/policy", { token: rootToken() });
    const tag = read.headers.get("etag")!;
    await read.arrayBuffer();
    for (const held of [tag, "*"]) {
      const headers = { "if-none-match": held };
      await expectError(
        await call(host, "/v1/admin/policy", { headers }),
        401,
        "missing_api_key",
        "authentication_error",
      );
      await expectError(
        await call(host, "/v1/admin/policy", { token: developer.key, headers }),
        403,
        "insufficient_scope",
        "permission_error",
      );
    }
  });
});

describe("an owner's key", () => {
  it("is revoked only by an owner or the operator", async () => {
    const { tenant, host } = await newTenant();
    const owner = await newKey(tenant, { role: "owner" });
    const second = await newKey(tenant, { role: "owner" });
    const admin = await newKey(tenant, { role: "admin" });
    const developer = await newKey(tenant, { role: "admin" });
    const refused = await call(host, `/v1/admin/keys/${owner.id}`, { method: "DELETE", token: admin.key });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("owner_only");
    expect((await call(host, "/v1/models", { token: owner.key })).status).toBe(200);
    // An admin still revokes other keys; an owner revokes an owner's; the operator any.
    expect((await call(host, `/v1/admin/keys/${developer.id}`, { method: "DELETE", token: admin.key })).status).toBe(
      200,
    );
    expect((await call(host, `/v1/admin/keys/${second.id}`, { method: "DELETE", token: owner.key })).status).toBe(200);
    expect((await call(host, `/v1/admin/keys/${owner.id}`, { method: "DELETE", token: rootToken() })).status).toBe(200);
  });
});

/**
 * `token`, at a location whose tenant record is `stale`, creates no key, changes no policy (to `piiMode`) and adds
 * no virtual key: each refused with 401 `invalid_token`, the tenant's object unchanged.
 */
async function expectNoLastingChange(
  tenant: string,
  host: string,
  token: string,
  stale: CordonGateway.Env,
  piiMode: "skip" | "block",
) {
  const keys = await tenantObjectOf(tenant).listKeys();
  const policy = (await tenantObjectOf(tenant).getTenant())!.policy;
  const attempts = [
    () => call(host, "/v1/admin/keys", { token, body: { name: "persist", role: "admin" }, env: stale }),
    () => call(host, "/v1/admin/policy", { method: "PUT", token, body: { ...policy, pii_mode: piiMode }, env: stale }),
    () =>
      call(host, "/v1/admin/virtual-keys", {
        token,
        body: { name: "mine", provider: "openai", api_key: "sk-rotation-authority-mallory" },
        env: stale,
      }),
  ];
  for (const attempt of attempts) await expectError(await attempt(), 401, "invalid_token", "authentication_error");
  expect(await tenantObjectOf(tenant).listKeys()).toEqual(keys);
  expect((await tenantObjectOf(tenant).getTenant())!.policy).toEqual(policy);
  expect(await tenantObjectOf(tenant).listVirtualKeys()).toEqual([]);
}

/**
 * A new tenant trusting a fake OpenID Provider at `idpHost` (fetch answers for it until the mocks are restored),
 * its `admins` group mapped to admin; an admin's token, used once; and the tenant record as it then was.
 */
async function ssoAdmin(idpHost: string) {
  const idp = await fakeOpenIdProvider(idpHost);
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(
    async (input, init) =>
      (await idp.handle(input instanceof Request ? input.url : String(input), init)) ?? real(input, init),
  );
  const { tenant, host } = await newTenant();
  const sso = { issuer: idp.issuer, audience: "cordon", jwks_uri: idp.jwksUri, role_claim: "groups" };
  await setPolicy(tenant, { oidc: { ...sso, role_map: { admins: "admin" } } });
  const token = await idp.idToken({ sub: "mallory", groups: ["admins"] }, "cordon");
  expect((await call(host, "/v1/admin/keys", { token })).status).toBe(200);
  const before = (await env.TENANTS.get(tenantsKv.tenant(tenant)))!;
  return { idp, tenant, host, sso, token, before };
}

describe("a single sign-on token issued before a lockdown, where the tenant record predates it", () => {
  it("regression: created a key, changed the policy and added a virtual key that outlived the lockdown", async () => {
    try {
      const { idp, tenant, host, token, before } = await ssoAdmin("idp.rotation-authority.test");
      // The lockdown's cutoff is after the token's issue (whole seconds).
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(Date.now() + 1000);
      expect((await call(host, "/v1/admin/lockdown", { method: "POST", token: rootToken() })).status).toBe(200);
      const stale = withStaleTenant(tenant, before);
      await expectNoLastingChange(tenant, host, token, stale, "block");
      // A token issued after the lockdown works, wherever the record is older.
      vi.setSystemTime(Date.now() + 2000);
      const fresh = await idp.idToken({ sub: "nina", groups: ["admins"] }, "cordon");
      expect((await call(host, "/v1/admin/keys", { token: fresh, env: stale })).status).toBe(200);
    } finally {
      vi.restoreAllMocks();
    }
  });
});

describe("a single sign-on user whose role the owner changed, where the tenant record predates the change", () => {
  // Regression: only a lockdown was checked against the tenant's object for a single sign-on token, so where a
  // request read a tenant record older than the owner's change (30 s of KV's edge cache, plus propagation), a user
  // demoted in role_map, or a provider no longer trusted, still created keys, changed the policy and added virtual
  // keys that outlived the change.
  it("regression: created a key, changed the policy and added a virtual key after being demoted", async () => {
    try {
      const { tenant, host, sso, token, before } = await ssoAdmin("idp.rotation-authority-roles.test");
      const stale = withStaleTenant(tenant, before);

      // A change that leaves this user's role as it was changes nothing for them, wherever the record is older.
      await setPolicy(tenant, { oidc: { ...sso, role_map: { admins: "admin", auditors: "viewer" } } });
      expect(
        (await call(host, "/v1/admin/keys", { token, body: { name: "still-admin", role: "developer" }, env: stale }))
          .status,
      ).toBe(201);

      for (const oidc of [{ ...sso, role_map: { admins: "viewer" } }, null]) {
        await setPolicy(tenant, { oidc });
        await expectNoLastingChange(tenant, host, token, stale, "skip");
      }
    } finally {
      vi.restoreAllMocks();
    }
  });
});

describe("a key revoked elsewhere, still cached in this isolate", () => {
  it("creates and rotates no key after a lockdown: nothing it mints outlives the lockdown", async () => {
    const { tenant, host } = await newTenant();
    const admin = await newKey(tenant, { role: "admin" });
    const other = await newKey(tenant, { role: "developer" });
    const token = await accessTokenFor(host, admin.id, admin.key);
    // This isolate has used the key (its record is cached here); the lockdown runs elsewhere.
    expect((await call(host, "/v1/admin/keys", { token: admin.key })).status).toBe(200);
    expect(
      (await call(host, "/v1/admin/lockdown", { method: "POST", token: rootToken(), env: elsewhere })).status,
    ).toBe(200);
    const before = await tenantObjectOf(tenant).listKeys();

    await expectError(
      await call(host, "/v1/admin/keys", { token: admin.key, body: { name: "after", role: "admin" } }),
      401,
      "invalid_api_key",
      "authentication_error",
    );
    await expectError(
      await call(host, `/v1/admin/keys/${other.id}/rotate`, { token: admin.key, body: {} }),
      401,
      "invalid_api_key",
      "authentication_error",
    );
    // The key's access token, issued before the lockdown, read with a tenant record from before it too.
    const res = await call(host, "/v1/admin/keys", { token, body: { name: "after", role: "admin" } });
    expect([401]).toContain(res.status);
    expect(await tenantObjectOf(tenant).listKeys()).toEqual(before);
  });

  it("changes no policy and adds no virtual key after a lockdown", async () => {
    const { tenant, host } = await newTenant();
    const policy = await setPolicy(tenant, { pii_mode: "block" });
    const admin = await newKey(tenant, { role: "admin" });
    expect((await call(host, "/v1/admin/keys", { token: admin.key })).status).toBe(200);
    expect(
      (await call(host, "/v1/admin/lockdown", { method: "POST", token: rootToken(), env: elsewhere })).status,
    ).toBe(200);

    await expectError(
      await call(host, "/v1/admin/policy", { method: "PUT", token: admin.key, body: { ...policy, pii_mode: "skip" } }),
      401,
      "invalid_api_key",
      "authentication_error",
    );
    expect((await tenantObjectOf(tenant).getTenant())?.policy.pii_mode).toBe("block");
    // Nor does it route the tenant's traffic to a provider account of its own.
    await expectError(
      await call(host, "/v1/admin/virtual-keys", {
        token: admin.key,
        body: { name: "mine", provider: "openai", api_key: "sk-after-the-lockdown-0000" },
      }),
      401,
      "invalid_api_key",
      "authentication_error",
    );
    expect(await tenantObjectOf(tenant).listVirtualKeys()).toEqual([]);
  });
  it("removes nothing and locks nothing down once revoked: no key, virtual key or cached answer", async () => {
    const { tenant, host } = await newTenant();
    const owner = await newKey(tenant, { role: "owner" });
    const other = await newKey(tenant, { role: "developer" });
    const vk = await call(host, "/v1/admin/virtual-keys", {
      token: rootToken(),
      body: { name: "team", provider: "openai", api_key: "sk-the-teams-own-0000" },
    });
    expect(vk.status).toBe(201);
    const vkId = ((await vk.json()) as { id: string }).id;
    // This isolate has used the key (its record is cached here); its revocation runs elsewhere.
    expect((await call(host, "/v1/admin/keys", { token: owner.key })).status).toBe(200);
    const revoked = await call(host, `/v1/admin/keys/${owner.id}`, {
      method: "DELETE",
      token: rootToken(),
      env: elsewhere,
    });
    expect(revoked.status).toBe(200);
    const keysBefore = await tenantObjectOf(tenant).listKeys();
    const notBefore = (await tenantObjectOf(tenant).getTenant())?.tokens_not_before;

    const refusals = [
      call(host, `/v1/admin/keys/${other.id}`, { method: "DELETE", token: owner.key }),
      call(host, `/v1/admin/virtual-keys/${vkId}`, { method: "DELETE", token: owner.key }),
      call(host, "/v1/admin/lockdown", { method: "POST", token: owner.key }),
      call(host, "/v1/cache/erase", { token: owner.key, body: { all: true } }),
      call(host, "/v1/cache/entries/00000000-0000-4000-8000-000000000000", { method: "DELETE", token: owner.key }),
    ];
    for (const res of await Promise.all(refusals)) {
      await expectError(res, 401, "invalid_api_key", "authentication_error");
    }
    expect(await tenantObjectOf(tenant).listKeys()).toEqual(keysBefore);
    expect((await tenantObjectOf(tenant).listVirtualKeys()).map((k) => k.id)).toEqual([vkId]);
    expect((await tenantObjectOf(tenant).getTenant())?.tokens_not_before).toBe(notBefore);
    // The developer's key still works: the revoked owner did not revoke it, nor lock the tenant down.
    expect((await call(host, "/v1/models", { token: other.key })).status).toBe(200);
  });

  it("a lockdown refuses a token minted from a key read after its request began, before its step", async () => {
    const { tenant, host } = await newTenant();
    const dev = await newKey(tenant, { role: "developer" });
    const began = Date.now() - 3000;
    // The token endpoint read the key while the lockdown's request was on its way to the object.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(began + 2000);
    const token = await accessTokenFor(host, dev.id, dev.key);
    vi.useRealTimers();
    const result = await tenantObjectOf(tenant).lockdown(began);
    expect(result?.notBefore).toBeGreaterThanOrEqual(began + 2000);
    await expectError(await call(host, "/v1/models", { token }), 401, "invalid_token", "authentication_error");
  });
});
