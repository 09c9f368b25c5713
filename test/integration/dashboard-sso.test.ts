// The dashboard's single sign-on, server side: GET /dashboard/sso/start sends the browser to the tenant's
// provider with PKCE (S256), state and nonce sealed into a short-lived SameSite=Lax cookie; the callback checks
// the state, redeems the code with the verifier (no client secret), verifies the ID token as SSO tokens are
// verified and its nonce, and signs the browser in as the provider's user (a pseudonym in the trail). Every
// failure is a page that says what to do, and sets no session. The provider is a fake that follows RFC 7636
// (test/fakes/openid-provider.ts); the e2e suite does the same against oidc-provider in Chromium.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type FakeOpenIdProvider, type FakeUser, fakeOpenIdProvider } from "../fakes/openid-provider";
import { auditEventOf, call, createTenant, hostOf, rootToken, setPolicy, settle, uniqueTenant } from "../helpers";
import { asPage, cookieAttributes } from "./dashboard-helpers";

const CLIENT_ID = "cordon-dashboard";
const ADMIN: FakeUser = { sub: "alice@example.com", groups: ["staff", "cordon-admins"] };
const VIEWER: FakeUser = { sub: "victor@example.com", groups: ["cordon-viewers"] };
const NOBODY: FakeUser = { sub: "mallory@example.com", groups: ["marketing"] };

const idp: FakeOpenIdProvider = await fakeOpenIdProvider("idp.dashboard-sso.test");

beforeEach(() => {
  idp.discoveryIssuer = idp.issuer;
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    return (await idp.handle(url, init)) ?? real(input, init);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

async function ssoTenant(prefix: string) {
  return ssoTenantOf(idp, prefix);
}

/** Makes the global fetch answer for `provider` too (and tell `seen` each URL asked), beside the file's `idp`. */
function answerAlso(provider: FakeOpenIdProvider, seen: (url: string) => void = () => {}) {
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    seen(url);
    return (await provider.handle(url, init)) ?? (await idp.handle(url, init)) ?? real(input, init);
  });
}

/** A tenant whose single sign-on is `provider`'s. */
async function ssoTenantOf(provider: FakeOpenIdProvider, prefix = "ssoof") {
  const id = uniqueTenant(prefix);
  await createTenant(id);
  await setPolicy(id, {
    oidc: {
      issuer: provider.issuer,
      audience: CLIENT_ID,
      jwks_uri: provider.jwksUri,
      role_claim: "groups",
      role_map: { "cordon-admins": "admin", "cordon-viewers": "viewer" },
    },
  });
  return { id, host: hostOf(id) };
}

/** GET start as a browser: the authorization URL and the attempt's cookie (`name=value`). */
async function start(host: string) {
  const res = await call(host, "/dashboard/sso/start");
  expect(res.status, await res.clone().text()).toBe(302);
  const setCookie = res.headers.get("set-cookie")!;
  return { location: res.headers.get("location")!, setCookie, cookie: setCookie.split(";")[0]! };
}

/** Follows the provider's redirect back to the callback with the attempt's cookie. */
function callback(callbackUrl: string, cookie: string | null) {
  const u = new URL(callbackUrl);
  return call(u.host, `${u.pathname}${u.search}`, cookie ? { headers: { cookie } } : {});
}

async function expectPage(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  const page = await res.text();
  expect(page).toContain(`<code>${code}</code>`);
  expect(page).toContain(`/docs/errors#${code}`);
  expect(page).toContain('<a href="/dashboard">');
  expect(res.headers.getSetCookie().some((c) => c.startsWith("__Host-cordon_session=s."))).toBe(false);
  return page;
}

describe("single sign-on to the dashboard", async () => {
  const t = await ssoTenant("sso");

  it("sends the browser to the provider with PKCE, state and nonce, kept in a short-lived Lax cookie", async () => {
    const s = await start(t.host);
    const u = new URL(s.location);
    expect(`${u.origin}${u.pathname}`).toBe(`${idp.issuer}/authorize`);
    expect(Object.fromEntries(u.searchParams)).toMatchObject({
      response_type: "code",
      client_id: CLIENT_ID,
      redirect_uri: `https://${t.host}/dashboard/sso/callback`,
      scope: "openid",
      code_challenge_method: "S256",
    });
    for (const p of ["state", "nonce", "code_challenge"]) expect(u.searchParams.get(p)).toMatch(/^[\w-]{43}$/);
    expect(s.cookie).toMatch(/^__Host-cordon_sso=[\w-]+$/);
    expect(cookieAttributes(s.setCookie)).toMatchObject({
      path: "/",
      httponly: "",
      secure: "",
      samesite: "Lax",
      "max-age": "600",
    });
    // The attempt is sealed: none of its secrets is readable in the cookie.
    for (const p of ["state", "nonce"]) expect(s.cookie).not.toContain(u.searchParams.get(p));
  });

  it("signs the user in: a session cookie, back to /dashboard, the trail naming a pseudonym", async () => {
    const s = await start(t.host);
    const res = await callback(idp.authorize(s.location, ADMIN), s.cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard");
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith("__Host-cordon_session=s."))!;
    expect(cookieAttributes(session)).toMatchObject({ httponly: "", secure: "", samesite: "Strict", path: "/" });
    expect(Number(cookieAttributes(session)["max-age"])).toBeLessThanOrEqual(3600);
    expect(cookies.some((c) => c.startsWith("__Host-cordon_sso=;") && c.includes("Max-Age=0"))).toBe(true);

    // The code was redeemed with the verifier, by the public client, for the same redirect URI.
    const exchange = idp.tokenRequests.at(-1)!;
    expect(exchange).toMatchObject({ grant_type: "authorization_code", client_id: CLIENT_ID });
    expect(exchange.code_verifier).toMatch(/^[\w-]{43}$/);
    expect(exchange.client_secret).toBeUndefined();

    const cookie = session.split(";")[0]!;
    const who = await call(t.host, "/dashboard/session", { headers: { cookie } });
    const body = (await who.json()) as { actor: string; role: string; kind: string; csrf_token: string };
    expect(body).toMatchObject({ kind: "sso", role: "admin" });
    expect(body.actor).toMatch(/^sso:[\w-]{22}$/);
    expect(body.actor).not.toContain("alice");

    const keys = await asPage({ host: t.host, cookie, csrf: body.csrf_token }, "/v1/admin/keys");
    expect(keys.status, await keys.clone().text()).toBe(200);
    await settle();
    expect(await auditEventOf(t.id, res.headers.get("x-request-id"))).toMatchObject({
      action: "dashboard.sso.callback",
      actor: body.actor,
      outcome: "allowed",
    });
    expect(await auditEventOf(t.id, keys.headers.get("x-request-id"))).toMatchObject({ actor: body.actor });
  });

  it("lets a signed-in admin make a service key that outlives the sign-in", async () => {
    const s = await start(t.host);
    const res = await callback(idp.authorize(s.location, ADMIN), s.cookie);
    const cookie = res.headers.getSetCookie()[0]!.split(";")[0]!;
    const { csrf_token: csrf, actor } = (await (
      await call(t.host, "/dashboard/session", { headers: { cookie } })
    ).json()) as {
      csrf_token: string;
      actor: string;
    };
    const made = await asPage({ host: t.host, cookie, csrf }, "/v1/admin/keys", {
      body: { name: "batch", role: "service" },
    });
    expect(made.status, await made.clone().text()).toBe(201);
    expect(await made.json()).toMatchObject({ expires_at: null, created_by: actor });
  });

  // Regression: the sign-in was counted against the tenant's rate limit without saying so.
  it("sends the rate headers with the sign-in when a limit counted it", async () => {
    const limited = await ssoTenantOf(idp, "ssorl");
    await setPolicy(limited.id, { rate_limit: { requests: 40, window_seconds: 60 } });
    const s = await start(limited.host);
    const res = await callback(idp.authorize(s.location, ADMIN), s.cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("40");
    expect(Number(res.headers.get("x-ratelimit-remaining-requests"))).toBeLessThan(40);
  });

  // Regression: a sign-in refused once the user was authenticated (a rate limit, the network) was recorded as
  // anonymous, where the same refusal of the user's other requests names them.
  it("audits a sign-in refused by a limit with the user's pseudonym as the actor", async () => {
    const limited = await ssoTenantOf(idp, "ssorl1");
    await setPolicy(limited.id, { rate_limit: { requests: 1, window_seconds: 60 } });
    const first = await start(limited.host);
    const signedIn = await callback(idp.authorize(first.location, ADMIN), first.cookie);
    expect(signedIn.status).toBe(303);
    const again = await start(limited.host);
    const refused = await callback(idp.authorize(again.location, ADMIN), again.cookie);
    await expectPage(refused, 429, "rate_limited");
    await settle();
    const { actor } = await auditEventOf(limited.id, signedIn.headers.get("x-request-id"));
    expect(actor).toMatch(/^sso:[\w-]{22}$/);
    expect(await auditEventOf(limited.id, refused.headers.get("x-request-id"))).toMatchObject({
      action: "dashboard.sso.callback",
      actor,
      status: 429,
    });
  });

  it("gives a viewer the viewer's scopes", async () => {
    const s = await start(t.host);
    const res = await callback(idp.authorize(s.location, VIEWER), s.cookie);
    const cookie = res.headers.getSetCookie()[0]!.split(";")[0]!;
    const body = (await (await call(t.host, "/dashboard/session", { headers: { cookie } })).json()) as {
      role: string;
      scopes: string[];
    };
    expect(body.role).toBe("viewer");
    expect(body.scopes).not.toContain("keys:manage");
  });

  it("ends the session when the tenant is locked down", async () => {
    const locked = await ssoTenant("ssolock");
    const s = await start(locked.host);
    const res = await callback(idp.authorize(s.location, ADMIN), s.cookie);
    const cookie = res.headers.getSetCookie()[0]!.split(";")[0]!;
    expect((await call(locked.host, "/dashboard/session", { headers: { cookie } })).status).toBe(200);
    await call(locked.host, "/v1/admin/lockdown", { method: "POST", token: rootToken() });
    const after = await call(locked.host, "/dashboard/session", { headers: { cookie } });
    expect(await after.json()).toMatchObject({ signed_in: false, ended: "invalid_session" });
  });
});

describe("single sign-on failures", async () => {
  const t = await ssoTenant("ssofail");
  const elsewhere = await ssoTenant("ssoelse");

  it("refuses a callback whose state is not this browser's attempt", async () => {
    const s = await start(t.host);
    const back = new URL(idp.authorize(s.location, ADMIN));
    back.searchParams.set("state", "A".repeat(43));
    await expectPage(await callback(back.href, s.cookie), 400, "sso_state_invalid");
    // …or that comes back to a browser that never started one, or started it at another tenant.
    await expectPage(await callback(idp.authorize(s.location, ADMIN), null), 400, "sso_state_invalid");
    const other = await start(elsewhere.host);
    await expectPage(await callback(idp.authorize(s.location, ADMIN), other.cookie), 400, "sso_state_invalid");
  });

  it("refuses an attempt older than ten minutes", async () => {
    const s = await start(t.host);
    const back = idp.authorize(s.location, ADMIN);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 601_000);
    await expectPage(await callback(back, s.cookie), 400, "sso_state_invalid");
  });

  it("says when the provider refused to sign the user in", async () => {
    const s = await start(t.host);
    const back = new URL(`https://${t.host}/dashboard/sso/callback`);
    back.searchParams.set("state", new URL(s.location).searchParams.get("state")!);
    back.searchParams.set("error", "access_denied");
    const page = await expectPage(await callback(back.href, s.cookie), 401, "sso_denied");
    expect(page).toContain("(access_denied)");
  });

  it("refuses a redirect that names another provider as its issuer (RFC 9207)", async () => {
    const s = await start(t.host);
    const back = new URL(idp.authorize(s.location, ADMIN));
    back.searchParams.set("iss", "https://impostor.example");
    await expectPage(await callback(back.href, s.cookie), 401, "sso_denied");
    back.searchParams.set("iss", idp.issuer);
    expect((await callback(back.href, s.cookie)).status).toBe(303);
  });

  it("refuses an ID token for another sign-in (its nonce)", async () => {
    const s = await start(t.host);
    await expectPage(
      await callback(idp.authorize(s.location, ADMIN, { nonce: "n".repeat(43) }), s.cookie),
      401,
      "sso_denied",
    );
  });

  it("refuses a user in no group the role map names, and says so", async () => {
    const s = await start(t.host);
    const page = await expectPage(await callback(idp.authorize(s.location, NOBODY), s.cookie), 401, "sso_denied");
    expect(page).toContain("role_map");
  });

  it("refuses an ID token too large for a cookie rather than losing it silently", async () => {
    const s = await start(t.host);
    const many = {
      sub: "grace",
      groups: [...Array.from({ length: 200 }, (_, i) => `group-${i}-${"x".repeat(20)}`), "cordon-admins"],
    };
    const page = await expectPage(await callback(idp.authorize(s.location, many), s.cookie), 401, "sso_denied");
    expect(page).toContain("too large");
  });

  it("reports a code the provider will not redeem, or a provider that names another issuer", async () => {
    const s = await start(t.host);
    const back = new URL(idp.authorize(s.location, ADMIN));
    back.searchParams.set("code", "forged");
    await expectPage(await callback(back.href, s.cookie), 502, "sso_provider_error");
    // A provider this isolate has not discovered yet (a known one's endpoints are kept for 10 minutes).
    const other = await fakeOpenIdProvider("idp-impostor.dashboard-sso.test");
    other.discoveryIssuer = "https://impostor.example";
    const asked: string[] = [];
    answerAlso(other, (url) => asked.push(url));
    const tenant = await ssoTenantOf(other);
    await expectPage(await call(tenant.host, "/dashboard/sso/start"), 502, "sso_provider_error");
    // Reached, and refused for what it said: not unreachable.
    expect(asked).toContain(`${other.issuer}/.well-known/openid-configuration`);
  });

  // Regression: starting a sign-in needs no credential, and each start fetched the provider's discovery document:
  // anyone could make the gateway send the tenant's provider a request per request of theirs.
  it("asks the provider for its endpoints once per 10 minutes, and after a failure not again for 5 s", async () => {
    const own = await fakeOpenIdProvider("idp-counted.dashboard-sso.test");
    const tenant = await ssoTenantOf(own);
    let discoveries = 0;
    own.discoveryIssuer = "https://impostor.example";
    answerAlso(own, (url) => {
      if (url === `${own.issuer}/.well-known/openid-configuration`) discoveries++;
    });
    const starts = () => Promise.all(Array.from({ length: 5 }, () => call(tenant.host, "/dashboard/sso/start")));
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    for (const res of await starts()) await expectPage(res, 502, "sso_provider_error");
    expect(discoveries).toBe(1);
    own.discoveryIssuer = own.issuer;
    vi.advanceTimersByTime(4_000);
    for (const res of await starts()) await expectPage(res, 502, "sso_provider_error");
    expect(discoveries).toBe(1);
    vi.advanceTimersByTime(2_000);
    for (const res of await starts()) expect(res.status).toBe(302);
    expect(discoveries).toBe(2);
    vi.advanceTimersByTime(9 * 60_000);
    for (const res of await starts()) expect(res.status).toBe(302);
    expect(discoveries).toBe(2);
    vi.advanceTimersByTime(2 * 60_000);
    expect((await call(tenant.host, "/dashboard/sso/start")).status).toBe(302);
    expect(discoveries).toBe(3);
  });

  it("says single sign-on is not configured, the same for a tenant without it and a host of no tenant", async () => {
    const plain = uniqueTenant("ssonone");
    await createTenant(plain);
    for (const host of [hostOf(plain), hostOf(uniqueTenant("nobody"))]) {
      await expectPage(await call(host, "/dashboard/sso/start"), 404, "sso_not_configured");
      await expectPage(await call(host, "/dashboard/sso/callback?state=a&code=b"), 404, "sso_not_configured");
    }
  });

  it("escapes what it echoes", async () => {
    const s = await start(t.host);
    const back = new URL(`https://${t.host}/dashboard/sso/callback`);
    back.searchParams.set("state", new URL(s.location).searchParams.get("state")!);
    back.searchParams.set("error", "<script>alert(1)</script>");
    const page = await expectPage(await callback(back.href, s.cookie), 401, "sso_denied");
    expect(page).not.toContain("<script>");
  });
});
