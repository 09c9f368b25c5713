// The guard around authentication and the alerts it raises, the policy endpoint's validation and its lock-out
// protection, and the lockdown. Bursts of failed authentication are slowed (the refusal is held back) and
// then blocked; the hold is a timer, which these tests run on a fake clock (setTimeout only) so that no test
// waits for it. Alerts are audit events: they travel through the Queue into D1 like every other event.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AUTH_BURST } from "../../src/gateway/policy/auth-burst";
import { fakeOpenIdProvider } from "../fakes/openid-provider";
import {
  accessTokenFor,
  auditEventWhere,
  type CallInit,
  call,
  createTenant,
  expectError,
  expectOAuthError,
  hostOf,
  newKey,
  PLATFORM,
  policyOf,
  requestToken,
  rootToken,
  setPolicy,
  settle,
  storedAuditEvents,
  tenantObjectOf,
  uniqueTenant,
} from "../helpers";

const realSetTimeout = globalThis.setTimeout;
const pause = () => new Promise<void>((resolve) => realSetTimeout(resolve, 2));

async function tenantWithKeys(...roles: string[]) {
  const tenant = uniqueTenant("ga");
  await createTenant(tenant);
  const keys = [];
  for (const role of roles) keys.push(await newKey(tenant, { name: role, role }));
  return { tenant, host: hostOf(tenant), keys };
}

/** A request in flight, watched: whether it has answered yet. */
function watch(sent: Promise<Response>) {
  const w: { done: boolean; res?: Response; error?: unknown } = { done: false };
  sent.then(
    (res) => Object.assign(w, { done: true, res }),
    (error: unknown) => Object.assign(w, { done: true, error }),
  );
  return w;
}

/** Until the request answered or held its answer back on a (fake) timer. */
async function settledOrHeld(w: ReturnType<typeof watch>): Promise<void> {
  while (!w.done && vi.getTimerCount() === 0) await pause();
}

/** Sends, releasing every hold the guard puts on the answer; returns the response. */
async function released(sent: Promise<Response>): Promise<Response> {
  const w = watch(sent);
  while (!w.done) {
    await settledOrHeld(w);
    if (!w.done) await vi.runOnlyPendingTimersAsync();
  }
  if (w.error !== undefined) throw w.error;
  return w.res!;
}

/** Sends, asserting the answer is held back exactly `ms` by the guard (not a millisecond less). */
async function heldFor(ms: number, sent: Promise<Response>): Promise<Response> {
  const w = watch(sent);
  await settledOrHeld(w);
  expect(w.done, "answered without being held").toBe(false);
  expect(vi.getTimerCount()).toBe(1);
  await vi.advanceTimersByTimeAsync(ms - 1);
  expect(w.done, `answered before ${ms} ms`).toBe(false);
  await vi.advanceTimersByTimeAsync(1);
  while (!w.done) await pause();
  return w.res!;
}

const rejectedAuditEvents = async () =>
  (await env.AUDIT_DB.prepare("SELECT COUNT(*) AS n FROM audit_dead_letters").first<{ n: number }>())!.n;

const eventsOf = (events: Record<string, unknown>[], action: string, target: string) =>
  events.filter((e) => e.action === action && e.target === target);

afterEach(() => {
  vi.useRealTimers();
});

describe("bursts of failed authentication", () => {
  it("from one client address: slowed after 10 failures, blocked at 30 — valid keys included — with an alert", async () => {
    const { tenant, host, keys } = await tenantWithKeys("admin");
    const valid = keys[0]!.key;
    const ip = "192.0.2.10";
    // Well-formed but wrong (bad checksum), each with its own key prefix: only the address is counted 30 times.
    const guess = (i: number) =>
      call(host, "/v1/admin/policy", { token: `cdn_test_${String(i).padStart(8, "0")}${"0".repeat(24)}_AAAAAA`, ip });
    vi.useFakeTimers({ toFake: ["setTimeout"] });

    for (let i = 1; i < AUTH_BURST.SLOW_AFTER; i++) {
      const w = watch(guess(i));
      await settledOrHeld(w);
      expect(w.done, `failure ${i} is answered at once`).toBe(true);
      await expectError(w.res!, 401, "malformed_api_key", "authentication_error");
    }
    // The 10th failure is held 200 ms, the 11th 400 ms, growing to at most 2 s.
    await expectError(await heldFor(200, guess(10)), 401, "malformed_api_key", "authentication_error");
    await expectError(await heldFor(400, guess(11)), 401, "malformed_api_key", "authentication_error");
    for (let i = 12; i < 20; i++) await (await released(guess(i))).text();
    await expectError(
      await heldFor(AUTH_BURST.MAX_DELAY_MS, guess(20)),
      401,
      "malformed_api_key",
      "authentication_error",
    );
    for (let i = 21; i < AUTH_BURST.BLOCK_AFTER; i++) await (await released(guess(i))).text();

    const blocking = watch(guess(AUTH_BURST.BLOCK_AFTER));
    await settledOrHeld(blocking);
    expect(blocking.done, "the blocking failure is answered at once").toBe(true);
    expect(blocking.res!.headers.get("retry-after")).toBe(String(AUTH_BURST.BLOCK_MS / 1000));
    await expectError(blocking.res!, 429, "auth_blocked", "rate_limit_error");

    // Blocked: a valid key from that address too; the same key from elsewhere is served.
    const validFromThere = await call(host, "/v1/admin/policy", { token: valid, ip });
    expect(Number(validFromThere.headers.get("retry-after"))).toBeGreaterThan(0);
    await expectError(validFromThere, 429, "auth_blocked", "rate_limit_error");
    expect((await call(host, "/v1/admin/policy", { token: valid, ip: "192.0.2.11" })).status).toBe(200);
    await expectOAuthError(await requestToken(host, keys[0]!.id, valid, { ip }), 429, "auth_blocked");
    // The block is checked before the credential is looked at: further guesses are not even counted.
    await expectError(await guess(99), 429, "auth_blocked", "rate_limit_error");

    vi.useRealTimers();
    await settle();
    const alert = await auditEventWhere((e) => e.action === "alert.auth_burst" && e.target === ip);
    expect(alert).toMatchObject({ tenant, reason: "ip_blocked", client_ip: ip, outcome: "allowed" });
    expect(eventsOf(await storedAuditEvents(), "alert.auth_burst", ip)).toHaveLength(1);
  });

  // Regression: failures were counted per exact address, so a client guessing from a new address of its IPv6 /64
  // each time was never slowed nor blocked (the operator token has no other counter).
  it("from one IPv6 /64, whatever address in it: counted together, and blocked at 30", async () => {
    const { host, keys } = await tenantWithKeys("admin");
    const valid = keys[0]!.key;
    const from = (i: number) => `2001:db8:1:2::${(i + 1).toString(16)}`;
    const guess = (i: number) =>
      call(host, "/v1/admin/policy", {
        token: `cdn_test_${String(i).padStart(8, "0")}${"1".repeat(24)}_AAAAAA`,
        ip: from(i),
      });
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    for (let i = 1; i < AUTH_BURST.BLOCK_AFTER; i++) await (await released(guess(i))).text();
    await expectError(await released(guess(AUTH_BURST.BLOCK_AFTER)), 429, "auth_blocked", "rate_limit_error");
    // Another address of the same /64, with a valid key: blocked too; one of another /64 is served.
    await expectError(
      await call(host, "/v1/admin/policy", { token: valid, ip: "2001:db8:1:2:ffff::1" }),
      429,
      "auth_blocked",
      "rate_limit_error",
    );
    expect((await call(host, "/v1/admin/policy", { token: valid, ip: "2001:db8:1:3::1" })).status).toBe(200);
    vi.useRealTimers();
    await settle();
  });

  it("against one key prefix, from many addresses: blocked, and so is the valid key with that prefix", async () => {
    const { tenant, host, keys } = await tenantWithKeys("admin", "admin");
    const [target, bystander] = [keys[0]!.key, keys[1]!.key];
    const prefix = target.slice(0, 17);
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    let last: Response | undefined;
    for (let i = 0; i < AUTH_BURST.BLOCK_AFTER; i++) {
      // Same prefix, wrong secret (its checksum no longer matches), a new address each time.
      const wrong = `${target.slice(0, -6)}${target.endsWith("000000") ? "111111" : "000000"}`;
      last = await released(call(host, "/v1/admin/policy", { token: wrong, ip: `192.0.2.${100 + i}` }));
      if (i < AUTH_BURST.BLOCK_AFTER - 1) await expectError(last, 401, "malformed_api_key", "authentication_error");
    }
    await expectError(last!, 429, "auth_blocked", "rate_limit_error");
    await expectError(
      await call(host, "/v1/admin/policy", { token: target, ip: "192.0.2.200" }),
      429,
      "auth_blocked",
      "rate_limit_error",
    );
    expect((await call(host, "/v1/admin/policy", { token: bystander, ip: "192.0.2.200" })).status).toBe(200);

    vi.useRealTimers();
    await settle();
    expect(await auditEventWhere((e) => e.action === "alert.auth_burst" && e.target === prefix)).toMatchObject({
      tenant,
      reason: "prefix_blocked",
    });
  });

  it("regression: a burst of malformed keys with a prefix no key can have raised an alert the logger refused", async () => {
    const { host } = await tenantWithKeys("admin");
    const rejectsBefore = await rejectedAuditEvents();
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    for (let i = 0; i < AUTH_BURST.BLOCK_AFTER + 2; i++) {
      // Printable, so a well-formed credential, but `cdn_test_ab/cd+ef` names no key (keys are base62).
      const res = await released(
        call(host, "/v1/admin/policy", { token: `cdn_test_ab/cd+ef${i}`, ip: `192.0.2.${150 + i}` }),
      );
      await expectError(res, 401, "malformed_api_key", "authentication_error");
    }
    for (let i = 0; i < AUTH_BURST.BLOCK_AFTER + 2; i++) {
      const res = await released(
        requestToken(host, "key_AAAAAAAAAAAAAAAA", "not/a:key", { ip: `192.0.2.${190 + (i % 10)}` }),
      );
      await expectOAuthError(res, 401, "invalid_client");
    }
    vi.useRealTimers();
    await settle();
    const events = await storedAuditEvents();
    expect(events.filter((e) => e.action === "alert.auth_burst" && String(e.target).includes("/"))).toEqual([]);
    expect(await rejectedAuditEvents()).toBe(rejectsBefore);
  });

  it("failed client authentication at the token endpoint counts too, alerting in the tenant's trail", async () => {
    const { tenant, host, keys } = await tenantWithKeys("developer");
    const ip = "192.0.2.50";
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    for (let i = 0; i < AUTH_BURST.BLOCK_AFTER; i++) {
      const res = await released(requestToken(host, keys[0]!.id, "hunter2", { ip }));
      await expectOAuthError(res, 401, "invalid_client");
    }
    await expectOAuthError(await requestToken(host, keys[0]!.id, keys[0]!.key, { ip }), 429, "auth_blocked");
    await expectError(
      await call(host, "/v1/chat/completions", { token: keys[0]!.key, ip, body: {} }),
      429,
      "auth_blocked",
      "rate_limit_error",
    );
    vi.useRealTimers();
    await settle();
    expect(await auditEventWhere((e) => e.action === "alert.auth_burst" && e.target === ip)).toMatchObject({
      tenant,
      reason: "ip_blocked",
    });
  });

  // Regression: a tenant's OpenID Provider that could not be reached (its key set down, or in its 5 s backoff)
  // refused each SSO token as a failed guess, so an office of single sign-on users behind one address was blocked
  // for 15 minutes — its valid API keys included — by the provider's outage, not by anyone's guessing.
  it("an SSO token refused because the provider's key set is unreachable is not a guess", async () => {
    const { tenant, host, keys } = await tenantWithKeys("admin");
    await setPolicy(tenant, {
      oidc: {
        issuer: "https://idp-down.example",
        audience: "cordon",
        jwks_uri: "https://idp-down.example/.well-known/jwks.json",
        role_claim: "groups",
        role_map: { staff: "developer" },
      },
    });
    const real = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url.startsWith("https://idp-down.example/")) return new Response("unavailable", { status: 503 });
      return real(input, init);
    });
    const part = (v: unknown) => btoa(JSON.stringify(v)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const ssoToken = `${part({ alg: "RS256", kid: "idp-1", typ: "JWT" })}.${part({ sub: "u", groups: ["staff"] })}.c2ln`;
    const ip = "192.0.2.70";
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    try {
      for (let i = 0; i < AUTH_BURST.BLOCK_AFTER + 5; i++) {
        const res = await released(call(host, "/v1/admin/keys", { token: ssoToken, ip }));
        await expectError(res, 401, "invalid_token", "authentication_error");
      }
      expect((await call(host, "/v1/admin/policy", { token: keys[0]!.key, ip })).status).toBe(200);
    } finally {
      vi.useRealTimers();
      vi.restoreAllMocks();
    }
    await settle();
  });

  // Regression: a genuine credential refused here — another tenant's access token, an SSO token for another
  // application of the provider, or for a user the role map gives no role — counted as a failed guess (another
  // tenant's API key never did). A developer pointing a client at the wrong tenant, or users without a group
  // behind one office address, had that address blocked for 15 minutes on every tenant, valid keys included.
  it("a genuine credential refused here is not a guess: another tenant's token, an SSO user without a role", async () => {
    const idp = await fakeOpenIdProvider("idp.guard.test");
    const real = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(
      async (input, init) =>
        (await idp.handle(input instanceof Request ? input.url : String(input), init)) ?? real(input, init),
    );
    const sso = { issuer: idp.issuer, audience: "cordon", jwks_uri: idp.jwksUri, role_claim: "groups" };
    const here = await tenantWithKeys("admin");
    await setPolicy(here.tenant, { oidc: { ...sso, role_map: { staff: "developer" } } });
    const elsewhere = await tenantWithKeys("developer");
    const theirs = await accessTokenFor(elsewhere.host, elsewhere.keys[0]!.id, elsewhere.keys[0]!.key);
    const plain = await tenantWithKeys("admin");
    const refused = [
      { host: here.host, token: theirs, reason: "token:wrong_audience" },
      { host: plain.host, token: theirs, reason: "token:wrong_audience" },
      {
        host: here.host,
        token: await idp.idToken({ sub: "nina", groups: ["marketing"] }, "cordon"),
        reason: "sso:no_role",
      },
      {
        host: here.host,
        token: await idp.idToken({ sub: "nina", groups: ["staff"] }, "wiki"),
        reason: "sso:wrong_audience",
      },
    ];
    const ip = "192.0.2.71";
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    try {
      for (let i = 0; i < AUTH_BURST.BLOCK_AFTER + 5; i++) {
        const { host, token } = refused[i % refused.length]!;
        const res = await released(call(host, "/v1/admin/keys", { token, ip }));
        await expectError(res, 401, "invalid_token", "authentication_error");
      }
      expect((await call(here.host, "/v1/admin/policy", { token: here.keys[0]!.key, ip })).status).toBe(200);
    } finally {
      vi.useRealTimers();
      vi.restoreAllMocks();
    }
    await settle();
    for (const { host, reason } of refused) {
      const tenant = host === here.host ? here.tenant : plain.tenant;
      await auditEventWhere((e) => e.tenant === tenant && e.reason === reason);
    }
  });

  it("regression: another tenant's genuine API key at the token endpoint was counted as a failed guess", async () => {
    const here = await tenantWithKeys("developer");
    const elsewhere = await tenantWithKeys("developer");
    const theirs = elsewhere.keys[0]!;
    const ip = "192.0.2.72";
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    for (let i = 0; i < AUTH_BURST.BLOCK_AFTER + 5; i++) {
      const res = await released(requestToken(here.host, theirs.id, theirs.key, { ip }));
      await expectOAuthError(res, 401, "invalid_client");
    }
    vi.useRealTimers();
    // Neither the address nor the key's prefix is blocked: the key, sent where it belongs, works.
    expect((await requestToken(elsewhere.host, theirs.id, theirs.key, { ip })).status).toBe(200);
    expect((await call(here.host, "/v1/models", { token: here.keys[0]!.key, ip })).status).toBe(200);
  });

  it("honest mistakes are not counted: no credential, a provider's key, a malformed header", async () => {
    const { host, keys } = await tenantWithKeys("admin");
    const ip = "192.0.2.60";
    for (let i = 0; i < AUTH_BURST.BLOCK_AFTER + 5; i++) {
      const init: CallInit = [{}, { token: "sk-proj-abcdefghijklmnop" }, { headers: { authorization: "Token x" } }][
        i % 3
      ]!;
      const res = await call(host, "/v1/admin/policy", { ...init, ip });
      expect(res.status).toBe(401);
      await res.text();
    }
    expect((await call(host, "/v1/admin/policy", { token: keys[0]!.key, ip })).status).toBe(200);
  });
  it("regression: at the token endpoint, no client authentication or a malformed Basic header was counted", async () => {
    const { host, keys } = await tenantWithKeys("developer");
    const ip = "192.0.2.61";
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const mistakes: Record<string, string>[] = [
      form,
      { ...form, authorization: "Basic !!not-base64!!" },
      { ...form, authorization: `Bearer ${keys[0]!.key}` },
    ];
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    for (let i = 0; i < AUTH_BURST.BLOCK_AFTER + 5; i++) {
      const res = await released(
        call(host, "/oauth/token", {
          method: "POST",
          headers: mistakes[i % mistakes.length]!,
          rawBody: "grant_type=client_credentials",
          ip,
        }),
      );
      await expectOAuthError(res, 401, "invalid_client");
    }
    vi.useRealTimers();
    expect((await requestToken(host, keys[0]!.id, keys[0]!.key, { ip })).status).toBe(200);
    expect((await call(host, "/v1/models", { token: keys[0]!.key, ip })).status).toBe(200);
  });
});

describe("a key used from a new place", () => {
  it("raises alert.key_new_place when a key (or its token) is used from a country and network it never was", async () => {
    const { tenant, host, keys } = await tenantWithKeys("admin");
    const key = keys[0]!;
    const use = async (token: string, cf: { country: string; asn: number }) => {
      const res = await call(host, "/v1/admin/policy", { token, cf, ip: "198.51.100.20" });
      expect(res.status).toBe(200);
      await res.text();
      return res.headers.get("x-request-id")!;
    };
    await use(key.key, { country: "DE", asn: 3320 }); // where the key lives: no alert
    await use(key.key, { country: "DE", asn: 3320 });
    const us = await use(key.key, { country: "US", asn: 7922 });
    await use(key.key, { country: "US", asn: 7922 });
    await use(key.key, { country: "DE", asn: 3320 });
    const token = await accessTokenFor(host, key.id, key.key);
    const last = await use(token, { country: "JP", asn: 2516 });
    await settle();

    const atUs = await auditEventWhere((e) => e.action === "alert.key_new_place" && e.request_id === us);
    expect(atUs).toMatchObject({
      tenant,
      target: key.id,
      reason: "new_place:us:7922",
      client_country: "US",
      client_asn: 7922,
      actor: `key:${key.id}`,
    });
    await auditEventWhere((e) => e.action === "alert.key_new_place" && e.request_id === last);
    await auditEventWhere((e) => e.action === "policy.get" && e.request_id === last);
    const alerts = eventsOf(await storedAuditEvents(), "alert.key_new_place", key.id);
    expect(alerts.map((e) => e.reason).sort()).toEqual(["new_place:jp:2516", "new_place:us:7922"]);
  });
});

describe("PUT /v1/admin/policy", async () => {
  // An owner's key: the allowlist, the rate limit and the key-age limit are the owner's to change.
  const { tenant, host, keys } = await tenantWithKeys("owner");
  const owner = keys[0]!.key;
  const caller = "198.51.100.30";
  const base = await policyOf(tenant);
  const put = (body: unknown, init: CallInit = {}) =>
    call(host, "/v1/admin/policy", { method: "PUT", token: owner, ip: caller, body, ...init });
  const record = () => env.TENANTS.get(`_tenant:${tenant}`);

  const invalid: [string, unknown][] = [
    ["similarity_threshold", 1.5],
    ["similarity_threshold", "0.9"],
    ["ttl_seconds", 0],
    ["ttl_seconds", 1.5],
    ["cache_scope", "global"],
    ["ip_allowlist", ["not-an-address"]],
    ["ip_allowlist", ["10.0.0.0/33"]],
    ["ip_allowlist", Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`)],
    ["ip_allowlist", "10.0.0.0/8"],
    ["pii_mode", "maybe"],
    ["no_store", "yes"],
    ["timing_protection", 1],
    ["rate_limit", { requests: 0, window_seconds: 60 }],
    ["rate_limit", { requests: 10, window_seconds: 86_401 }],
    ["rate_limit", { requests: 10 }],
    ["max_key_age_days", 0],
    ["max_key_age_days", 3651],
    ["enforce_max_key_age", "true"],
    ["oidc", "https://idp.example"],
    ["fallbacks", Array.from({ length: 6 }, (_, i) => `openai/m${i}`)],
    ["fallbacks", ["has space"]],
    // Regression: a fallback that names no provider was stored. Behind AI Gateway it is refused (400), which ends
    // the fallbacks: a provider outage reached clients as that 400, and the fallbacks after it were never tried.
    ["fallbacks", ["gpt-4o"]],
    ["fallbacks", ["openai/gpt-4o", "openai/"]],
    ["fallbacks", ["/gpt-4o"]],
    ["serve_stale_seconds", -1],
  ];

  it.each(invalid)("refuses an invalid %s (%j), naming the field and changing nothing", async (field, value) => {
    const before = await record();
    const res = await put({ ...base, [field]: value });
    const { error } = (await res.clone().json()) as { error: { message: string } };
    await expectError(res, 400, "invalid_field", "invalid_request_error");
    expect(error.message).toMatch(new RegExp(`^Invalid value for "${field}(\\.[a-z_0-9]+)?":`));
    expect(await record()).toBe(before);
  });

  it("refuses a missing field, an unknown field and a body that is not an object", async () => {
    const before = await record();
    const { fallbacks: _f, ...missing } = base;
    await expectError(await put(missing), 400, "invalid_field", "invalid_request_error");
    await expectError(await put({ ...base, admin: true }), 400, "unknown_field", "invalid_request_error");
    await expectError(
      await put({ ...base, oidc: { ...oidc(), extra: 1 } }),
      400,
      "unknown_field",
      "invalid_request_error",
    );
    await expectError(await put([base]), 400, "invalid_request", "invalid_request_error");
    expect(await record()).toBe(before);
  });

  function oidc(jwks_uri = "https://idp.example/.well-known/jwks.json") {
    return {
      issuer: "https://idp.example",
      audience: "cordon",
      jwks_uri,
      role_claim: "groups",
      role_map: { "cordon-admins": "admin" },
    };
  }

  it.each([
    "http://idp.example/jwks",
    "https://localhost/jwks",
    "https://idp.localhost/jwks",
    "https://10.0.0.1/jwks",
    "https://[::1]/jwks",
    "https://user:pass@idp.example/jwks",
    "ftp://idp.example/jwks",
    "not a url",
  ])("refuses the SSO key set at %s outside development", async (uri) => {
    const before = await record();
    const res = await put({ ...base, oidc: oidc(uri) });
    const { error } = (await res.clone().json()) as { error: { message: string } };
    await expectError(res, 400, "invalid_field", "invalid_request_error");
    expect(error.message).toContain('"oidc.jwks_uri"');
    expect(await record()).toBe(before);
  });

  it("stores what it accepts, the allowlist canonical, and returns it", async () => {
    const res = await put({
      ...base,
      ttl_seconds: 600,
      ip_allowlist: ["198.51.100.77/24", " 2001:DB8::1/32 ", "198.51.100.0/24", "::ffff:192.0.2.1"],
    });
    expect(res.status).toBe(200);
    const { policy } = (await res.json()) as { policy: Record<string, unknown> };
    expect(policy).toEqual({
      ...base,
      ttl_seconds: 600,
      ip_allowlist: ["198.51.100.0/24", "2001:db8::/32", "192.0.2.1/32"],
    });
    expect(await policyOf(tenant)).toEqual(policy);
  });

  it("regression: an admin key could set single sign-on mapping its own provider's users to owners", async () => {
    const { tenant: t, host: h, keys: k } = await tenantWithKeys("owner", "admin");
    const [owner, adminKey] = [k[0]!.key, k[1]!.key];
    const current = await policyOf(t);
    const putAs = (token: string, body: unknown) => call(h, "/v1/admin/policy", { method: "PUT", token, body });
    const before = await env.TENANTS.get(`_tenant:${t}`);
    // Single sign-on decides who may sign in and with which role: only an owner or the operator may change it.
    for (const role_map of [{ staff: "owner" }, { staff: "admin" }, { staff: "viewer" }]) {
      await expectError(
        await putAs(adminKey, { ...current, oidc: { ...oidc(), role_map } }),
        403,
        "owner_only",
        "permission_error",
      );
    }
    expect(await env.TENANTS.get(`_tenant:${t}`)).toBe(before);
    const set = await putAs(owner, { ...current, oidc: oidc() });
    expect(set.status).toBe(200);
    // An admin still manages the rest of the policy while leaving single sign-on as it is…
    expect((await putAs(adminKey, { ...current, oidc: oidc(), ttl_seconds: 60 })).status).toBe(200);
    // …but may neither change nor remove it.
    await expectError(await putAs(adminKey, { ...current, oidc: null }), 403, "owner_only", "permission_error");
    await expectError(
      await putAs(adminKey, { ...current, oidc: { ...oidc(), audience: "other" } }),
      403,
      "owner_only",
      "permission_error",
    );
    expect((await putAs(rootToken(), { ...current, oidc: null })).status).toBe(200);
  });

  // Regression: an admin key could lock the owner out through the policy — an allowlist of the admin's own address,
  // a tenant rate limit of one request a day, or a short key-age limit enforced — which only the owner's own
  // lockdown may do.
  it("regression: an admin key could lock the owner out through the allowlist, the rate limit or the key age", async () => {
    const { tenant: t, host: h, keys: k } = await tenantWithKeys("owner", "admin");
    const [ownerKey, adminKey] = [k[0]!.key, k[1]!.key];
    const current = await policyOf(t);
    const putAs = (token: string, body: unknown) =>
      call(h, "/v1/admin/policy?confirm=true", { method: "PUT", token, body, ip: "198.51.100.40" });
    const before = await env.TENANTS.get(`_tenant:${t}`);
    for (const change of [
      { ip_allowlist: ["198.51.100.40/32"] },
      { rate_limit: { requests: 1, window_seconds: 86400 } },
      { enforce_max_key_age: true },
      { max_key_age_days: 1 },
    ]) {
      const refused = await putAs(adminKey, { ...current, ...change });
      await expectError(refused.clone(), 403, "owner_only", "permission_error");
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
        Object.keys(change)[0],
      );
    }
    expect(await env.TENANTS.get(`_tenant:${t}`)).toBe(before);
    // The owner still reaches the tenant, and may make those changes.
    expect((await call(h, "/v1/admin/policy", { token: ownerKey, ip: "203.0.113.9" })).status).toBe(200);
    const limited = await putAs(ownerKey, { ...current, rate_limit: { requests: 1000, window_seconds: 60 } });
    expect(limited.status).toBe(200);
    const stored = ((await limited.json()) as { policy: typeof current }).policy;
    // An admin manages the rest of the policy, sending those fields back as they are…
    expect((await putAs(adminKey, { ...stored, ttl_seconds: 120, pii_mode: "redact" })).status).toBe(200);
    // …and, where its copy of the tenant record is older than the owner's change, the tenant's object refuses
    // what would undo it.
    await env.TENANTS.put(`_tenant:${t}`, before!);
    await expectError(await putAs(adminKey, { ...current, ttl_seconds: 120 }), 403, "owner_only", "permission_error");
    expect((await policyOf(t)).rate_limit).toEqual({ requests: 1000, window_seconds: 60 });
  });

  it("refuses (409) an allowlist that would lock its caller out, unless ?confirm=true", async () => {
    expect((await call(host, "/v1/admin/policy", { method: "PUT", token: rootToken(), body: base })).status).toBe(200);
    const before = await record();
    const outside = { ...base, ip_allowlist: ["203.0.113.0/24"] };
    await expectError(await put(outside), 409, "policy_locks_out_caller", "invalid_request_error");
    await expectError(
      await put(outside, { ip: "2001:db8::30" }),
      409,
      "policy_locks_out_caller",
      "invalid_request_error",
    );
    const unknownAddress = await call(host, "/v1/admin/policy", { method: "PUT", token: owner, body: outside });
    await expectError(unknownAddress, 409, "policy_locks_out_caller", "invalid_request_error");
    await expectError(
      await put(outside, { headers: { "x-forwarded-for": "203.0.113.1" } }),
      409,
      "policy_locks_out_caller",
      "invalid_request_error",
    );
    expect(await record()).toBe(before);

    const confirmed = await call(host, "/v1/admin/policy?confirm=true", {
      method: "PUT",
      token: owner,
      ip: caller,
      body: outside,
    });
    expect(confirmed.status).toBe(200);
    await expectError(
      await call(host, "/v1/admin/policy", { token: owner, ip: caller }),
      403,
      "ip_not_allowed",
      "permission_error",
    );
    // The operator is not held to a tenant's allowlist, and can undo it.
    const undo = await call(host, "/v1/admin/policy", { method: "PUT", token: rootToken(), body: base });
    expect(undo.status).toBe(200);
    expect((await call(host, "/v1/admin/policy", { token: owner, ip: caller })).status).toBe(200);
    await settle();
    expect(
      await auditEventWhere(
        (e) => e.action === "policy.update" && e.request_id === confirmed.headers.get("x-request-id"),
      ),
    ).toMatchObject({ reason: "confirmed", status: 200 });
  });
});

describe("lockdown", () => {
  it("is refused to admins, other roles and access tokens (owner or operator only), changing nothing", async () => {
    const { tenant, host, keys } = await tenantWithKeys("owner", "admin", "developer");
    const [owner, admin, developer] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0]];
    const ownerToken = await accessTokenFor(host, owner.id, owner.key);
    const lockdown = (token: string) => call(host, "/v1/admin/lockdown", { method: "POST", token });
    await expectError(await lockdown(admin.key), 403, "owner_only", "permission_error");
    await expectError(await lockdown(developer.key), 403, "insufficient_scope", "permission_error");
    await expectError(await lockdown(ownerToken), 403, "owner_only", "permission_error");
    await expectError(
      await call(PLATFORM, "/v1/admin/lockdown", { method: "POST", token: rootToken() }),
      404,
      "not_found",
      "invalid_request_error",
    );
    const listed = (await tenantObjectOf(tenant).listKeys()) as { revoked_at: number | null }[];
    expect(listed.every((k) => k.revoked_at === null)).toBe(true);
    expect((await tenantObjectOf(tenant).getTenant())?.tokens_not_before).toBe(0);
  });

  it("by the owner: revokes every key at once — the owner's own, in use a moment ago, included — and every token", async () => {
    const { tenant, host, keys } = await tenantWithKeys("owner", "admin", "service");
    const other = await tenantWithKeys("admin");
    const tokens = [];
    for (const k of keys) tokens.push(await accessTokenFor(host, k.id, k.key));
    // Every key and token in use just before, so that this isolate has them at hand.
    for (const credential of [...keys.map((k) => k.key), ...tokens]) {
      expect(
        (await call(host, "/v1/cache/query", { token: credential, body: { prompt: "hi", model: "gpt-4o-mini" } }))
          .status,
      ).toBe(200);
    }
    const res = await call(host, "/v1/admin/lockdown", { method: "POST", token: keys[0]!.key });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ tenant, keys_revoked: 3, tokens_not_before: expect.any(String) });

    for (const k of keys) {
      await expectError(
        await call(host, "/v1/cache/query", { token: k.key, body: { prompt: "hi", model: "gpt-4o-mini" } }),
        401,
        "invalid_api_key",
        "authentication_error",
      );
    }
    for (const t of tokens) {
      await expectError(
        await call(host, "/v1/cache/query", { token: t, body: { prompt: "hi", model: "gpt-4o-mini" } }),
        401,
        "invalid_token",
        "authentication_error",
      );
    }
    const listed = (await tenantObjectOf(tenant).listKeys()) as { revoked_at: number | null; hash: string }[];
    expect(listed.every((k) => k.revoked_at !== null)).toBe(true);
    for (const k of listed) expect(await env.TENANTS.get(`_key:${k.hash}`)).toBeNull();
    // Another tenant is untouched.
    expect((await call(other.host, "/v1/admin/policy", { token: other.keys[0]!.key })).status).toBe(200);
  });

  it("by the operator, on the tenant's host", async () => {
    const { host, keys } = await tenantWithKeys("admin");
    expect((await call(host, "/v1/admin/policy", { token: keys[0]!.key })).status).toBe(200);
    const res = await call(host, "/v1/admin/lockdown", { method: "POST", token: rootToken() });
    expect(res.status).toBe(200);
    await expectError(
      await call(host, "/v1/admin/policy", { token: keys[0]!.key }),
      401,
      "invalid_api_key",
      "authentication_error",
    );
  });
});
