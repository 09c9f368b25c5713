// The key lifecycle through the admin API, as a tenant administrator and an auditor would check it: creation
// with every field, listing, reading, revocation (refused on the very next request), rotation with its grace
// period (default, maximum, none; twice in a row), expiry, last use recorded without a write per request, the
// maximum key age — and no view that ever carries a secret or a hash. Times are moved with a fake clock
// (Date only), never slept through.
import { afterEach, describe, expect, it, vi } from "vitest";
import { REPORT_EVERY_MS } from "../../src/gateway/auth/key-usage";
import { TenantObject } from "../../src/gateway/storage/tenant-object/index";
import {
  accessTokenFor,
  type CallInit,
  call,
  chatBody,
  createTenant,
  expectError,
  expectOAuthError,
  hostOf,
  type KeyView,
  requestToken,
  rootToken,
  setPolicy,
  settle,
  tenantObjectOf,
  uniqueTenant,
} from "../helpers";

const SECRET = /^cdn_test_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/;
const DAY = 86_400_000;

/** Every admin response of this file, for the final scan: which ones may show a secret, and their text. */
const adminResponses: { what: string; showsSecret: boolean; text: string }[] = [];
const tenants: string[] = [];
const secrets: string[] = [];

async function admin(tenant: string, path: string, init: CallInit = {}) {
  const res = await call(hostOf(tenant), path, { token: rootToken(), ...init });
  const text = await res.text();
  const method = init.method ?? (init.body === undefined ? "GET" : "POST");
  const showsSecret = res.status < 300 && method === "POST" && /\/v1\/admin\/keys(\/[^/]+\/rotate)?$/.test(path);
  adminResponses.push({ what: `${method} ${path} → ${res.status}`, showsSecret, text });
  const body = text === "" ? null : (JSON.parse(text) as Record<string, unknown>);
  if (showsSecret) secrets.push(String(body?.key));
  return { status: res.status, body, headers: res.headers };
}

async function freshTenant(prefix: string): Promise<string> {
  const tenant = uniqueTenant(prefix);
  await createTenant(tenant);
  tenants.push(tenant);
  return tenant;
}

async function created(tenant: string, body: Record<string, unknown>) {
  const r = await admin(tenant, "/v1/admin/keys", { body: { name: "k", role: "developer", ...body } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as unknown as KeyView & { key: string };
}

async function rotated(tenant: string, id: string, body?: Record<string, unknown>) {
  const r = await admin(tenant, `/v1/admin/keys/${id}/rotate`, body === undefined ? { method: "POST" } : { body });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as unknown as KeyView & { key: string };
}

async function view(tenant: string, id: string) {
  const r = await admin(tenant, `/v1/admin/keys/${id}`);
  expect(r.status).toBe(200);
  return r.body as unknown as KeyView;
}

/** A request only an admin or owner key passes (and that never calls the provider). */
const use = (tenant: string, secret: string, init: CallInit = {}) =>
  call(hostOf(tenant), "/v1/admin/policy", { token: secret, ...init });

const useStatus = async (tenant: string, secret: string) => {
  const res = await use(tenant, secret);
  await res.text();
  return res.status;
};

/** The fake clock: Date only, so that every other timer keeps running. */
function clockAt(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(ms);
}

afterEach(() => {
  vi.useRealTimers();
});

describe("creating, listing and reading keys", () => {
  it("creates a key with every field, the allowlist canonicalised, the secret shown once", async () => {
    const tenant = await freshTenant("kc");
    const expires = new Date(Date.now() + 30 * DAY);
    const key = await created(tenant, {
      name: "ci-runner",
      role: "developer",
      scopes: ["cache:read", "completions"],
      cache_scope: "user",
      // Given with an offset: stored and shown in UTC.
      expires_at: expires.toISOString().replace("Z", "+00:00"),
      ip_allowlist: ["10.1.2.3/8", " 2001:DB8::1/32 ", "::ffff:198.51.100.7", "10.0.0.0/8", "::ffff:192.0.2.0/120"],
      rate_limit: { requests: 50, window_seconds: 60 },
    });
    expect(key.key).toMatch(SECRET);
    const { key: _secret, ...view } = key;
    expect(view).toEqual({
      id: expect.stringMatching(/^key_[0-9A-Za-z]{16}$/),
      name: "ci-runner",
      role: "developer",
      scopes: ["completions", "cache:read"],
      environment: "test",
      cache_scope: "user",
      ip_allowlist: ["10.0.0.0/8", "2001:db8::/32", "198.51.100.7/32", "192.0.2.0/24"],
      rate_limit: { requests: 50, window_seconds: 60 },
      status: "active",
      created_at: expect.any(String),
      created_by: "operator",
      expires_at: expires.toISOString(),
      last_used_at: null,
      rotated_at: null,
      previous_secret_expires_at: null,
      revoked_at: null,
    });
    expect(Date.now() - Date.parse(view.created_at)).toBeLessThan(60_000);

    const got = await admin(tenant, `/v1/admin/keys/${key.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(view);
    const list = await admin(tenant, "/v1/admin/keys");
    expect(list.body).toEqual({ data: [view] });
  });

  it("gives a key its role's scopes, the tenant cache scope and no limits when the fields are left out", async () => {
    const tenant = await freshTenant("kd");
    const key = await created(tenant, { name: "svc", role: "service" });
    expect(key).toMatchObject({
      scopes: ["completions", "cache:read", "cache:write"],
      cache_scope: "tenant",
      ip_allowlist: [],
      rate_limit: null,
      expires_at: null,
    });
    const explicitNull = await created(tenant, { name: "svc2", role: "viewer", rate_limit: null, ip_allowlist: [] });
    expect(explicitNull).toMatchObject({
      rate_limit: null,
      ip_allowlist: [],
      scopes: ["cache:read", "analytics:read", "audit:read"],
    });
  });

  it("lists only the Host's tenant's keys, and reads another tenant's key as no key at all", async () => {
    const a = await freshTenant("la");
    const b = await freshTenant("lb");
    const ka = [await created(a, { name: "a1" }), await created(a, { name: "a2" })];
    const kb = await created(b, { name: "b1" });
    const list = (await admin(a, "/v1/admin/keys")).body as { data: KeyView[] };
    expect(list.data.map((k) => k.id)).toEqual(ka.map((k) => k.id));
    const cross = await call(hostOf(a), `/v1/admin/keys/${kb.id}`, { token: rootToken() });
    await expectError(cross, 404, "key_not_found", "invalid_request_error");
  });
});

describe("revocation", () => {
  it("refuses the key on the very next request, and removes its secret from KV", async () => {
    const tenant = await freshTenant("rv");
    const key = await created(tenant, { role: "admin" });
    expect(await useStatus(tenant, key.key)).toBe(200); // now cached in this isolate
    expect(await useStatus(tenant, key.key)).toBe(200);

    const revoked = await admin(tenant, `/v1/admin/keys/${key.id}`, { method: "DELETE" });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: key.id, status: "revoked", revoked_at: expect.any(String) });
    await expectError(await use(tenant, key.key), 401, "invalid_api_key", "authentication_error");

    const records = (await tenantObjectOf(tenant).listKeys()) as { id: string; hash: string }[];
    const { env } = await import("cloudflare:workers");
    expect(await env.TENANTS.get(`_key:${records.find((k) => k.id === key.id)!.hash}`)).toBeNull();

    // Revoking again changes nothing: the key stays revoked with its first revocation time.
    const again = await admin(tenant, `/v1/admin/keys/${key.id}`, { method: "DELETE" });
    expect(again.body).toEqual(revoked.body);
    expect((await view(tenant, key.id)).status).toBe("revoked");
  });

  it("revoking a key in its grace period refuses both of its secrets", async () => {
    const tenant = await freshTenant("rg");
    const key = await created(tenant, { role: "admin" });
    const next = await rotated(tenant, key.id, { grace_seconds: 3600 });
    expect(await useStatus(tenant, key.key)).toBe(200);
    expect(await useStatus(tenant, next.key)).toBe(200);
    expect((await admin(tenant, `/v1/admin/keys/${key.id}`, { method: "DELETE" })).status).toBe(200);
    await expectError(await use(tenant, key.key), 401, "invalid_api_key", "authentication_error");
    await expectError(await use(tenant, next.key), 401, "invalid_api_key", "authentication_error");
  });

  it("unknown and malformed key ids are 404 key_not_found", async () => {
    const tenant = await freshTenant("ru");
    for (const id of ["key_AAAAAAAAAAAAAAAA", "key_short", "nokey", "key_AAAAAAAAAAAAAAAA%00"]) {
      const res = await call(hostOf(tenant), `/v1/admin/keys/${id}`, { method: "DELETE", token: rootToken() });
      await expectError(res, 404, "key_not_found", "invalid_request_error");
    }
  });
});

describe("rotation", () => {
  it("keeps the old secret for the default grace of 86400 s; both work right after rotating", async () => {
    const tenant = await freshTenant("ro");
    const key = await created(tenant, { role: "admin" });
    const next = await rotated(tenant, key.id);
    expect(next.key).toMatch(SECRET);
    expect(next.key).not.toBe(key.key);
    expect(next).toMatchObject({ id: key.id, status: "rotating", created_at: key.created_at });
    expect(Date.parse(next.previous_secret_expires_at!) - Date.parse(next.rotated_at!)).toBe(86_400 * 1000);
    expect(await useStatus(tenant, key.key)).toBe(200);
    expect(await useStatus(tenant, next.key)).toBe(200);
  });

  it("accepts a grace of at most 604800 s, and refuses anything else", async () => {
    const tenant = await freshTenant("rm");
    const key = await created(tenant, { role: "admin" });
    const next = await rotated(tenant, key.id, { grace_seconds: 604_800 });
    expect(Date.parse(next.previous_secret_expires_at!) - Date.parse(next.rotated_at!)).toBe(604_800 * 1000);
    for (const grace_seconds of [604_801, -1, 1.5, "60", null]) {
      const res = await call(hostOf(tenant), `/v1/admin/keys/${key.id}/rotate`, {
        token: rootToken(),
        body: { grace_seconds },
      });
      await expectError(res, 400, "invalid_field", "invalid_request_error");
    }
    const unknown = await call(hostOf(tenant), `/v1/admin/keys/${key.id}/rotate`, {
      token: rootToken(),
      body: { grace: 60 },
    });
    await expectError(unknown, 400, "unknown_field", "invalid_request_error");
    // None of the refused rotations changed the key.
    expect(await view(tenant, key.id)).toEqual((({ key: _k, ...v }) => v)(next as KeyView & { key: string }));
  });

  it("with grace_seconds 0 the old secret is refused at once", async () => {
    const tenant = await freshTenant("r0");
    const key = await created(tenant, { role: "admin" });
    expect(await useStatus(tenant, key.key)).toBe(200);
    const next = await rotated(tenant, key.id, { grace_seconds: 0 });
    expect(next).toMatchObject({ status: "active", previous_secret_expires_at: null });
    await expectError(await use(tenant, key.key), 401, "invalid_api_key", "authentication_error");
    expect(await useStatus(tenant, next.key)).toBe(200);
  });

  it("the old secret works until the last millisecond of its grace, and never after", async () => {
    const tenant = await freshTenant("re");
    const key = await created(tenant, { role: "admin" });
    const next = await rotated(tenant, key.id, { grace_seconds: 120 });
    const graceEnd = Date.parse(next.previous_secret_expires_at!);

    clockAt(graceEnd - 1);
    expect(await useStatus(tenant, key.key)).toBe(200);
    expect(await useStatus(tenant, next.key)).toBe(200);
    clockAt(graceEnd);
    await expectError(await use(tenant, key.key), 401, "invalid_api_key", "authentication_error");
    expect(await useStatus(tenant, next.key)).toBe(200);
    expect(await view(tenant, key.id)).toMatchObject({ status: "active", previous_secret_expires_at: null });
  });

  it("rotating twice drops the oldest secret at once", async () => {
    const tenant = await freshTenant("r2");
    const first = await created(tenant, { role: "admin" });
    const second = await rotated(tenant, first.id, { grace_seconds: 3600 });
    expect(await useStatus(tenant, first.key)).toBe(200);
    const third = await rotated(tenant, first.id, { grace_seconds: 3600 });
    await expectError(await use(tenant, first.key), 401, "invalid_api_key", "authentication_error");
    expect(await useStatus(tenant, second.key)).toBe(200);
    expect(await useStatus(tenant, third.key)).toBe(200);
    expect(new Set([first.key, second.key, third.key]).size).toBe(3);
  });

  it("a key with keys:manage rotates itself, and keys within its own access, but never a key with more", async () => {
    const tenant = await freshTenant("rs");
    const bounds = { ip_allowlist: ["10.0.0.0/8"], rate_limit: { requests: 100, window_seconds: 60 } };
    const self = await created(tenant, { role: "admin", scopes: ["keys:manage", "completions"], ...bounds });
    const within = await created(tenant, { role: "developer", scopes: ["completions"], ...bounds });
    const wider = await created(tenant, { role: "developer", scopes: ["completions"] });
    const rotate = (id: string, token: string) =>
      call(hostOf(tenant), `/v1/admin/keys/${id}/rotate`, { token, ip: "10.0.0.9", body: { grace_seconds: 0 } });
    const renewed = (await (await rotate(self.id, self.key)).json()) as { key: string };
    expect(renewed.key).toMatch(SECRET);
    expect((await rotate(within.id, renewed.key)).status).toBe(200);
    await expectError(await rotate(wider.id, renewed.key), 403, "scope_escalation", "permission_error");
    // The refused rotation left the key as it was: its secret still works.
    const res = await call(hostOf(tenant), "/v1/chat/completions", {
      token: wider.key,
      body: chatBody("Is this key still mine?"),
    });
    expect(res.status).toBe(200);
    await res.text();
  });

  it("a revoked or expired key cannot be rotated (409 key_not_rotatable)", async () => {
    const tenant = await freshTenant("rn");
    const revokedKey = await created(tenant, {});
    await admin(tenant, `/v1/admin/keys/${revokedKey.id}`, { method: "DELETE" });
    const expiring = await created(tenant, { expires_at: new Date(Date.now() + 1000).toISOString() });

    const rotate = (id: string) =>
      call(hostOf(tenant), `/v1/admin/keys/${id}/rotate`, { token: rootToken(), method: "POST" });
    await expectError(await rotate(revokedKey.id), 409, "key_not_rotatable", "invalid_request_error");
    clockAt(Date.parse(expiring.expires_at!));
    await expectError(await rotate(expiring.id), 409, "key_not_rotatable", "invalid_request_error");
    vi.useRealTimers();
    expect((await view(tenant, revokedKey.id)).status).toBe("revoked");
  });
});

describe("expiry", () => {
  it("a key works until its expires_at and is refused from then on, by bearer and by the token endpoint", async () => {
    const tenant = await freshTenant("ex");
    const key = await created(tenant, { role: "admin", expires_at: new Date(Date.now() + 1000).toISOString() });
    const end = Date.parse(key.expires_at!);
    clockAt(end - 1);
    expect(await useStatus(tenant, key.key)).toBe(200);
    clockAt(end);
    await expectError(await use(tenant, key.key), 401, "expired_api_key", "authentication_error");
    await expectOAuthError(await requestToken(hostOf(tenant), key.id, key.key), 401, "invalid_client");
    expect((await view(tenant, key.id)).status).toBe("expired");
  });
});

describe("last use", () => {
  it("records last_used_at on first use, then at most once a minute per key in this isolate", async () => {
    const tenant = await freshTenant("lu");
    const key = await created(tenant, { role: "admin" });
    const touches = vi.spyOn(TenantObject.prototype, "touchKey");
    const reportsOf = () => touches.mock.calls.filter(([id]) => id === key.id).length;
    try {
      const t0 = Date.now();
      clockAt(t0);
      expect(await useStatus(tenant, key.key)).toBe(200);
      await settle();
      expect(reportsOf()).toBe(1);
      expect((await view(tenant, key.id)).last_used_at).toBe(new Date(t0).toISOString());

      // Five more requests within the minute: no write, last_used_at unchanged.
      for (const offset of [1, 1000, 30_000, 59_000, REPORT_EVERY_MS - 1]) {
        clockAt(t0 + offset);
        expect(await useStatus(tenant, key.key)).toBe(200);
      }
      await settle();
      expect(reportsOf()).toBe(1);
      expect((await view(tenant, key.id)).last_used_at).toBe(new Date(t0).toISOString());

      // A minute on: one write.
      clockAt(t0 + REPORT_EVERY_MS);
      expect(await useStatus(tenant, key.key)).toBe(200);
      await settle();
      expect(reportsOf()).toBe(2);
      expect((await view(tenant, key.id)).last_used_at).toBe(new Date(t0 + REPORT_EVERY_MS).toISOString());

      // Used from a place this isolate has not reported: reported at once, inside the minute.
      clockAt(t0 + REPORT_EVERY_MS + 5);
      const res = await use(tenant, key.key, { cf: { country: "NL", asn: 1136 } });
      expect(res.status).toBe(200);
      await res.text();
      await settle();
      expect(reportsOf()).toBe(3);
      expect((await view(tenant, key.id)).last_used_at).toBe(new Date(t0 + REPORT_EVERY_MS + 5).toISOString());
    } finally {
      touches.mockRestore();
    }
  });

  it("an access token's use counts as its key's use", async () => {
    const tenant = await freshTenant("lt");
    const key = await created(tenant, { role: "admin" });
    const token = await accessTokenFor(hostOf(tenant), key.id, key.key);
    expect((await view(tenant, key.id)).last_used_at).toBeNull();
    expect(await useStatus(tenant, token)).toBe(200);
    await settle();
    expect((await view(tenant, key.id)).last_used_at).not.toBeNull();
  });
});

describe("maximum key age", () => {
  it("warns with x-cordon-warning from max_key_age_days on, and refuses when enforced; rotation renews the age", async () => {
    const tenant = await freshTenant("age");
    const key = await created(tenant, { role: "admin" });
    const born = Date.parse(key.created_at);
    await setPolicy(tenant, { max_key_age_days: 30, enforce_max_key_age: false });

    clockAt(born + 30 * DAY - 1);
    let res = await use(tenant, key.key);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-cordon-warning")).toBeNull();

    clockAt(born + 30 * DAY);
    res = await use(tenant, key.key);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-cordon-warning")).toBe(
      "key_age: this key is 30 days old; the tenant's maximum is 30. Rotate it.",
    );

    await setPolicy(tenant, { max_key_age_days: 30, enforce_max_key_age: true });
    res = await use(tenant, key.key);
    await expectError(res, 401, "key_too_old", "authentication_error");
    await expectOAuthError(await requestToken(hostOf(tenant), key.id, key.key), 401, "key_too_old");

    // Rotating is what the refusal asks for: the new secret is young, the old one stays refused.
    const next = await rotated(tenant, key.id, { grace_seconds: 3600 });
    res = await use(tenant, next.key);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-cordon-warning")).toBeNull();
    await expectError(await use(tenant, key.key), 401, "key_too_old", "authentication_error");
    expect((await requestToken(hostOf(tenant), key.id, next.key)).status).toBe(200);

    // And the new secret ages in turn.
    clockAt(Date.parse(next.rotated_at!) + 30 * DAY);
    await expectError(await use(tenant, next.key), 401, "key_too_old", "authentication_error");
  });
});

describe("no view carries a secret or a hash", () => {
  it("scans every admin response of this file", async () => {
    const hashes = new Set<string>();
    for (const tenant of tenants) {
      for (const k of (await tenantObjectOf(tenant).listKeys()) as {
        hash: string;
        previous: { hash: string } | null;
      }[]) {
        hashes.add(k.hash);
        if (k.previous) hashes.add(k.previous.hash);
      }
    }
    expect(hashes.size).toBeGreaterThan(10);
    expect(adminResponses.length).toBeGreaterThan(40);
    for (const r of adminResponses) {
      expect(r.text, r.what).not.toMatch(/"hash"|"secret"|"previous"/);
      for (const hex of r.text.match(/[0-9a-f]{64}/g) ?? []) expect(hashes.has(hex), r.what).toBe(false);
      const shown = secrets.filter((s) => r.text.includes(s));
      // A secret appears only in the response that created it (creation or rotation), and only that one.
      expect(shown.length, r.what).toBe(r.showsSecret ? 1 : 0);
    }
  });
});
