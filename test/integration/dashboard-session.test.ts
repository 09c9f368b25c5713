// The tenant dashboard's sessions: sign-in with an API key into an HttpOnly, Secure, SameSite=Strict, host-only
// cookie; the cookie accepted as a credential only without an Authorization header, only with the session's CSRF
// token, and for changes only from the page's own origin;
// sessions that end with their key, a lockdown, their hour, or sign-out (GET /dashboard/session then says the
// page is signed out, and why); the audit trail naming the key.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  accessTokenFor,
  auditEventOf,
  call,
  createTenant,
  expectError,
  hostOf,
  newKey,
  policyOf,
  rootToken,
  setPolicy,
  settle,
  uniqueTenant,
} from "../helpers";
import { asPage, cookieAttributes, originOf, signIn } from "./dashboard-helpers";

async function tenant(prefix: string) {
  const id = uniqueTenant(prefix);
  await createTenant(id);
  const owner = await newKey(id, { name: "owner", role: "owner" });
  return { id, host: hostOf(id), owner };
}

/** What GET /dashboard/session says of a Cookie header: who is signed in, or that no one is, and why. */
async function sessionState(host: string, cookie: string | null): Promise<Record<string, unknown>> {
  const res = await call(host, "/dashboard/session", cookie === null ? {} : { headers: { cookie } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

const ended = (why: string | null) => ({ object: "dashboard.session", signed_in: false, ended: why });

afterEach(() => {
  vi.useRealTimers();
});

describe("signing in with an API key", async () => {
  const t = await tenant("ds");

  it("sets a host-only, HttpOnly, Secure, SameSite=Strict session cookie of at most an hour", async () => {
    const s = await signIn(t.host, t.owner.key);
    expect(s.cookie).toMatch(/^__Host-cordon_session=k\.[\w-]+\.[\w-]+\.[\w-]+$/);
    const attributes = cookieAttributes(s.setCookie);
    expect(attributes).toMatchObject({ path: "/", httponly: "", secure: "", samesite: "Strict" });
    expect(attributes.domain).toBeUndefined();
    expect(Number(attributes["max-age"])).toBeGreaterThan(3500);
    expect(Number(attributes["max-age"])).toBeLessThanOrEqual(3600);
    expect(s.body).toMatchObject({ tenant: t.id, actor: `key:${t.owner.id}`, role: "owner", kind: "api_key" });
    expect(s.csrf).toMatch(/^[\w-]{43}$/);
    expect(JSON.stringify(s.body)).not.toContain(t.owner.key);
  });

  it("is audited with the key as the actor", async () => {
    const res = await call(t.host, "/dashboard/session", {
      body: { api_key: t.owner.key },
      headers: { origin: originOf(t.host) },
    });
    expect(res.status).toBe(200);
    await settle();
    const event = await auditEventOf(t.id, res.headers.get("x-request-id"));
    expect(event).toMatchObject({ action: "dashboard.session.create", actor: `key:${t.owner.id}`, outcome: "allowed" });
  });

  // Regression: a sign-in refused once its key was known (rate limit, network, a revoked or rotated-out secret) was
  // recorded as anonymous, where the same refusal of an API request names the key.
  it("is audited with the key as the actor when refused once the key is known", async () => {
    const limited = await newKey(t.id, {
      name: "limited",
      role: "viewer",
      rate_limit: { requests: 1, window_seconds: 60 },
    });
    const attempt = () =>
      call(t.host, "/dashboard/session", { body: { api_key: limited.key }, headers: { origin: originOf(t.host) } });
    expect((await attempt()).status).toBe(200);
    const refused = await attempt();
    await expectError(refused, 429, "rate_limited", "rate_limit_error");
    await settle();
    const event = await auditEventOf(t.id, refused.headers.get("x-request-id"));
    expect(event).toMatchObject({
      action: "dashboard.session.create",
      actor: `key:${limited.id}`,
      outcome: "denied",
      status: 429,
    });
  });

  it("ends no sooner than its key: a key expiring in ten minutes gets a ten-minute session", async () => {
    const soon = await newKey(t.id, {
      name: "soon",
      role: "viewer",
      expires_at: new Date(Date.now() + 600_000).toISOString(),
    });
    const s = await signIn(t.host, soon.key);
    expect(Number(cookieAttributes(s.setCookie)["max-age"])).toBeLessThanOrEqual(600);
  });

  it.each([
    ["another site", { origin: "https://evil.example" }],
    ["a cross-site fetch", { origin: "https://evil.example", "sec-fetch-site": "cross-site" }],
    ["a request that says no origin", {}],
  ])("refuses a sign-in from %s, and sets nothing", async (_what, headers) => {
    const res = await call(t.host, "/dashboard/session", { body: { api_key: t.owner.key }, headers });
    expect(res.headers.get("set-cookie")).toBeNull();
    await expectError(res, 403, "cross_origin_request", "permission_error");
  });

  it("refuses what is not a valid key of this tenant, and never opens an operator session", async () => {
    const other = await tenant("dsother");
    const revoked = await newKey(t.id, { name: "revoked", role: "admin" });
    expect((await call(t.host, `/v1/admin/keys/${revoked.id}`, { method: "DELETE", token: rootToken() })).status).toBe(
      200,
    );
    const cases: [string, number, string][] = [
      [rootToken(), 401, "malformed_api_key"],
      ["sk-proj-0123456789abcdef0123456789abcdef", 401, "malformed_api_key"],
      [`${t.owner.key.slice(0, -6)}AAAAAA`, 401, "malformed_api_key"],
      [other.owner.key, 403, "tenant_mismatch"],
      [revoked.key, 401, "invalid_api_key"],
    ];
    for (const [key, status, code] of cases) {
      const res = await call(t.host, "/dashboard/session", {
        body: { api_key: key },
        headers: { origin: originOf(t.host) },
      });
      expect(res.headers.get("set-cookie"), code).toBeNull();
      await expectError(res, status, code, status === 401 ? "authentication_error" : "permission_error");
    }
  });

  it.each([
    [
      "a form body",
      { rawBody: "api_key=x", headers: { "content-type": "application/x-www-form-urlencoded" } },
      415,
      "unsupported_media_type",
    ],
    ["broken JSON", { rawBody: "{", headers: { "content-type": "application/json" } }, 400, "invalid_json"],
    ["an unknown field", { body: { api_key: "cdn_x", remember: true } }, 400, "unknown_field"],
    ["a number for the key", { body: { api_key: 42 } }, 400, "invalid_field"],
    ["a 4 KB key", { body: { api_key: `cdn_${"a".repeat(4096)}` } }, 413, "payload_too_large"],
    [
      "a __proto__ key",
      { rawBody: '{"__proto__":{"api_key":"x"}}', headers: { "content-type": "application/json" } },
      400,
      "invalid_json",
    ],
  ])("refuses %s", async (_what, init, status, code) => {
    const headers = { origin: originOf(t.host), ...("headers" in init ? init.headers : {}) };
    const res = await call(t.host, "/dashboard/session", { ...init, headers });
    expect(res.headers.get("set-cookie")).toBeNull();
    await expectError(res, status, code, "invalid_request_error");
  });
});

describe("the session cookie as a credential", async () => {
  const t = await tenant("dc");
  const viewer = await newKey(t.id, { name: "viewer", role: "viewer" });
  const owner = await signIn(t.host, t.owner.key);

  it("acts as its key, with the session's CSRF token, and the trail names the key", async () => {
    const res = await asPage(owner, "/v1/admin/keys");
    expect(res.status, await res.clone().text()).toBe(200);
    await settle();
    const event = await auditEventOf(t.id, res.headers.get("x-request-id"));
    expect(event).toMatchObject({ action: "key.list", actor: `key:${t.owner.id}`, outcome: "allowed" });
  });

  it("is held to its key's scopes", async () => {
    const s = await signIn(t.host, viewer.key);
    await expectError(await asPage(s, "/v1/admin/keys"), 403, "insufficient_scope", "permission_error");
  });

  it("is refused without the CSRF token, or with another session's", async () => {
    const other = await signIn(t.host, viewer.key);
    for (const csrf of [undefined, "", other.csrf, `${owner.csrf}x`, "a".repeat(10_000)]) {
      const headers: Record<string, string> = { cookie: owner.cookie, origin: originOf(t.host) };
      if (csrf !== undefined) headers["x-cordon-csrf"] = csrf;
      await expectError(
        await call(t.host, "/v1/admin/keys", { headers }),
        403,
        "csrf_token_invalid",
        "permission_error",
      );
    }
  });

  it("is ignored when an Authorization header is sent: the header's credential decides", async () => {
    await expectError(
      await asPage(owner, "/v1/admin/keys", { token: viewer.key }),
      403,
      "insufficient_scope",
      "permission_error",
    );
    await expectError(
      await asPage(owner, "/v1/admin/keys", { token: "cdn_test_notakeyatall" }),
      401,
      "malformed_api_key",
      "authentication_error",
    );
  });

  it("changes nothing from another origin", async () => {
    const before = await policyOf(t.id);
    const put = (headers: Record<string, string>) =>
      call(t.host, "/v1/admin/policy", {
        method: "PUT",
        body: { ...before, ttl_seconds: 60 },
        headers: { cookie: owner.cookie, "x-cordon-csrf": owner.csrf, ...headers },
      });
    const refused: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { origin: originOf(t.host), "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      {},
    ];
    for (const headers of refused) {
      await expectError(await put(headers), 403, "cross_origin_request", "permission_error");
    }
    expect(await policyOf(t.id)).toEqual(before);
    const same = await put({ origin: originOf(t.host), "sec-fetch-site": "same-origin" });
    expect(same.status, await same.text()).toBe(200);
    expect((await policyOf(t.id)).ttl_seconds).toBe(60);
  });

  it("is no bearer token, and no bearer token is a session", async () => {
    const token = owner.cookie.slice("__Host-cordon_session=k.".length);
    await expectError(await call(t.host, "/v1/admin/keys", { token }), 401, "invalid_token", "authentication_error");
    const oauth = await accessTokenFor(t.host, t.owner.id, t.owner.key);
    expect(await sessionState(t.host, `__Host-cordon_session=k.${oauth}`)).toEqual(ended("invalid_session"));
  });

  it("is refused when altered, repeated, malformed, or at another tenant's host", async () => {
    const other = await tenant("dcother");
    const flipped = owner.cookie.slice(0, -2) + (owner.cookie.endsWith("A") ? "BB" : "AA");
    const cases: [string, string][] = [
      [t.host, flipped],
      [t.host, `${owner.cookie}; ${owner.cookie}`],
      [t.host, "__Host-cordon_session=x.abc"],
      [t.host, `__Host-cordon_session=s.${"a".repeat(5000)}.b.c`],
      [other.host, owner.cookie],
    ];
    for (const [host, cookie] of cases) expect(await sessionState(host, cookie)).toEqual(ended("invalid_session"));
  });

  it("ends at once when its key is revoked, or the tenant is locked down", async () => {
    const doomed = await newKey(t.id, { name: "doomed", role: "admin" });
    const s = await signIn(t.host, doomed.key);
    expect((await asPage(s, "/v1/admin/keys")).status).toBe(200);
    expect((await call(t.host, `/v1/admin/keys/${doomed.id}`, { method: "DELETE", token: rootToken() })).status).toBe(
      200,
    );
    await expectError(await asPage(s, "/v1/admin/keys"), 401, "invalid_session", "authentication_error");

    const locked = await tenant("dclock");
    const before = await signIn(locked.host, locked.owner.key);
    expect((await call(locked.host, "/v1/admin/lockdown", { method: "POST", token: rootToken() })).status).toBe(200);
    await expectError(await asPage(before, "/v1/admin/policy"), 401, "invalid_session", "authentication_error");
  });

  it("expires after its hour", async () => {
    const s = await signIn(t.host, t.owner.key);
    // An hour, and the 30 s of clock skew every token check allows.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 3631_000);
    await expectError(await asPage(s, "/v1/admin/keys"), 401, "session_expired", "authentication_error");
    expect(await sessionState(t.host, s.cookie)).toEqual(ended("session_expired"));
  });
});

describe("GET /dashboard/session", async () => {
  const t = await tenant("dg");
  const s = await signIn(t.host, t.owner.key);

  it("tells the page who it is and hands back the session's CSRF token", async () => {
    const res = await call(t.host, "/dashboard/session", {
      headers: { cookie: s.cookie, "sec-fetch-site": "same-origin" },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ csrf_token: s.csrf, actor: `key:${t.owner.id}`, key_name: "owner", signed_in: true });
  });

  it("answers no other site's fetch, and says when there is no session", async () => {
    for (const site of ["cross-site", "same-site"]) {
      const res = await call(t.host, "/dashboard/session", { headers: { cookie: s.cookie, "sec-fetch-site": site } });
      await expectError(res, 403, "cross_origin_request", "permission_error");
    }
    expect(await sessionState(t.host, null)).toEqual(ended(null));
  });

  // Regression: the answer said the session had ended but left its cookie in the browser, which sent it with every
  // later load of the page, each time counted by the guard as a failed guess from the client's address.
  it("clears the cookie of a session that has ended, so that the browser stops sending it", async () => {
    const doomed = await newKey(t.id, { name: "doomed", role: "viewer" });
    const revoked = await signIn(t.host, doomed.key);
    const expiring = await signIn(t.host, t.owner.key);
    expect((await call(t.host, `/v1/admin/keys/${doomed.id}`, { method: "DELETE", token: rootToken() })).status).toBe(
      200,
    );
    const ask = (cookie: string) =>
      call(t.host, "/dashboard/session", { headers: { cookie, "sec-fetch-site": "same-origin" } });
    const cleared = (res: Response) => {
      const setCookie = res.headers.get("set-cookie") ?? "";
      return setCookie.startsWith("__Host-cordon_session=;") && setCookie.includes("Max-Age=0");
    };

    const afterRevocation = await ask(revoked.cookie);
    expect(await afterRevocation.json()).toEqual(ended("invalid_session"));
    expect(cleared(afterRevocation)).toBe(true);
    expect(cookieAttributes(afterRevocation.headers.get("set-cookie")!)).toMatchObject({
      path: "/",
      secure: "",
      httponly: "",
      samesite: "Strict",
    });

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 3631_000);
    const afterItsHour = await ask(expiring.cookie);
    expect(await afterItsHour.json()).toEqual(ended("session_expired"));
    expect(cleared(afterItsHour)).toBe(true);
    vi.useRealTimers();

    // A live session, and no session at all, are left alone.
    const live = await ask(s.cookie);
    expect(((await live.json()) as { signed_in: boolean }).signed_in).toBe(true);
    expect(live.headers.get("set-cookie")).toBeNull();
    expect((await call(t.host, "/dashboard/session")).headers.get("set-cookie")).toBeNull();
  });
});

// Regression: the sign-in and the session's description were counted against the rate limits like any request
// but did not say so, so the page could not tell how much of the limit was left before a 429.
describe("the rate headers of the dashboard's own calls", async () => {
  const t = await tenant("dr");
  await setPolicy(t.id, { rate_limit: { requests: 50, window_seconds: 60 } });

  it("are sent with the sign-in and with the session's description, each counted", async () => {
    const signedIn = await call(t.host, "/dashboard/session", {
      body: { api_key: t.owner.key },
      headers: { origin: originOf(t.host), "sec-fetch-site": "same-origin" },
    });
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get("x-ratelimit-limit-requests")).toBe("50");
    const left = Number(signedIn.headers.get("x-ratelimit-remaining-requests"));
    expect(left).toBeLessThan(50);
    expect(signedIn.headers.get("x-ratelimit-reset-requests")).toMatch(/^[\d.hm]+s$/);

    const cookie = signedIn.headers.get("set-cookie")!.split(";")[0]!;
    const described = await call(t.host, "/dashboard/session", {
      headers: { cookie, "sec-fetch-site": "same-origin" },
    });
    expect(described.status).toBe(200);
    expect(described.headers.get("x-ratelimit-limit-requests")).toBe("50");
    expect(Number(described.headers.get("x-ratelimit-remaining-requests"))).toBe(left - 1);
  });
});

describe("signing out", async () => {
  const t = await tenant("do");

  it("clears the cookie, and the trail names who signed out", async () => {
    const s = await signIn(t.host, t.owner.key);
    const res = await call(t.host, "/dashboard/logout", {
      method: "POST",
      headers: { cookie: s.cookie, origin: originOf(t.host) },
    });
    expect(res.status).toBe(200);
    const cleared = res.headers.get("set-cookie")!;
    expect(cleared.startsWith("__Host-cordon_session=;")).toBe(true);
    expect(cookieAttributes(cleared)).toMatchObject({ "max-age": "0", path: "/", secure: "", httponly: "" });
    await settle();
    const event = await auditEventOf(t.id, res.headers.get("x-request-id"));
    expect(event).toMatchObject({ action: "dashboard.session.delete", actor: `key:${t.owner.id}` });
  });

  // Regression: a failing read of the tenant's object while checking the session ended the sign-out in a 500
  // with no clearing cookie, and the page said "Signed out." all the same.
  it("clears the cookie even when the session cannot be read (storage failing)", async () => {
    const s = await signIn(t.host, t.owner.key);
    const objects = env.TENANT_OBJECT;
    const failing = {
      idFromName: (name: string) => objects.idFromName(name),
      get: (id: DurableObjectId) =>
        new Proxy(objects.get(id), {
          get(target, prop) {
            if (prop === "getKey") return () => Promise.reject(new Error("Durable Object reset"));
            const value = Reflect.get(target, prop) as unknown;
            return typeof value === "function" ? value.bind(target) : value;
          },
        }),
    };
    const res = await call(t.host, "/dashboard/logout", {
      method: "POST",
      headers: { cookie: s.cookie, origin: originOf(t.host) },
      env: { ...env, TENANT_OBJECT: failing } as unknown as CordonGateway.Env,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")!.startsWith("__Host-cordon_session=;")).toBe(true);
  });

  it("clears a cookie that is no longer valid too, but only for the page's own origin", async () => {
    const ok = await call(t.host, "/dashboard/logout", {
      method: "POST",
      headers: { cookie: "__Host-cordon_session=k.a.b.c", origin: originOf(t.host) },
    });
    expect(ok.status).toBe(200);
    const res = await call(t.host, "/dashboard/logout", {
      method: "POST",
      headers: { origin: "https://evil.example" },
    });
    expect(res.headers.get("set-cookie")).toBeNull();
    await expectError(res, 403, "cross_origin_request", "permission_error");
  });
});
