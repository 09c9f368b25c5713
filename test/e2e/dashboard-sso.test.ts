// Single sign-on to the dashboard in real Chromium: a real OpenID Provider (oidc-provider on loopback, its own
// sign-in and consent pages) registered with the tenant's callback; the tenant's policy pointed at it through the
// admin API; a person signs in there, comes back to the dashboard signed in as an admin under a pseudonym, and
// opens an admin view. No console error, CSP violation or unexpected error response on the dashboard's pages.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, chromiumFound, launch, type WatchedPage, watchedPage } from "./browser";
import { call, cordon, tenantWithKey } from "./cordon";
import { type LoginProvider, startLoginProvider } from "./openid-login-provider";

if (!chromiumFound) {
  console.warn(`test/e2e/dashboard-sso.test.ts: SKIPPED — no Chromium at ${CHROMIUM} (apt-get install -y chromium).`);
}

const CLIENT_ID = "cordon-dashboard-e2e";

describe.skipIf(!chromiumFound)("single sign-on to the dashboard in Chromium", () => {
  let browser: Browser;
  let idp: LoginProvider;
  let origin: string;
  let w: WatchedPage | null = null;

  beforeAll(async () => {
    browser = await launch();
    const tenant = await tenantWithKey("dash-sso");
    origin = `http://${tenant.host}:${cordon().port}`;
    idp = await startLoginProvider({
      clientId: CLIENT_ID,
      redirectUris: [`${origin}/dashboard/sso/callback`],
      users: { alice: ["staff", "cordon-admins"] },
    });
    const token = cordon().rootToken;
    const { policy } = (await call("GET", tenant.host, "/v1/admin/policy", { token })).json<{ policy: object }>();
    const oidc = {
      issuer: idp.issuer,
      audience: CLIENT_ID,
      jwks_uri: idp.jwksUri,
      role_claim: "groups",
      role_map: { "cordon-admins": "admin" },
    };
    const put = await call("PUT", tenant.host, "/v1/admin/policy", { token, body: { ...policy, oidc } });
    expect(put.status, put.text).toBe(200);
  }, 60_000);

  afterAll(async () => {
    const problems = w?.problems() ?? [];
    await w?.close();
    await browser?.close();
    await idp?.stop();
    expect(problems, `problems on the dashboard's pages:\n${problems.join("\n")}`).toEqual([]);
  });

  it("signs a person in at the tenant's OpenID Provider and back into the dashboard", async () => {
    w = await watchedPage(browser, origin);
    const { page, context } = w;
    await page.goto(`${origin}/dashboard`);
    await page.getByRole("link", { name: "Sign in with single sign-on" }).click();
    await page.waitForURL(`${idp.issuer}/**`);
    await page.locator('input[name="login"]').fill("alice");
    await page.locator('input[name="password"]').fill("any password");
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(`${origin}/dashboard`);
    await page.getByRole("navigation", { name: "Dashboard" }).waitFor();
    const who = await page.locator(".who").textContent();
    expect(who).toMatch(/sso:[\w-]{22} · admin/);
    expect(who).not.toContain("alice");
    await page.getByRole("navigation").getByRole("link", { name: "Keys" }).click();
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    const session = (await context.cookies()).find((c) => c.name === "__Host-cordon_session");
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict" });
    expect(session?.value.startsWith("s.")).toBe(true);
    expect(w.problems()).toEqual([]);
  });
});
