// The tenant dashboard in real Chromium against the three Workers under `wrangler dev`: sign-in with an API key
// (single sign-on: dashboard-sso.test.ts); every view; a chart drawn; a key created (its secret shown
// once, gone after a reload) and revoked; the policy edited, through the lock-out confirmation; the audit chain
// verified and paged; a cache entry deleted and a user exported and erased; one whole flow by keyboard alone.
// On every page: no console error, no uncaught exception, no CSP violation, no error response not asked for.
import { readFileSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, chromiumFound, launch, screenshot, type WatchedPage, watchedPage } from "./browser";
import { call, cordon, tenantWithKey } from "./cordon";

if (!chromiumFound) {
  console.warn(
    `test/e2e/dashboard.test.ts: SKIPPED — no Chromium at ${CHROMIUM}. Install it (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH.`,
  );
}

const CHAT = (content: string) => ({ model: "gpt-4o-mini", messages: [{ role: "user", content }] });

describe.skipIf(!chromiumFound)("the tenant dashboard in Chromium", () => {
  let browser: Browser;
  let tenant: Awaited<ReturnType<typeof tenantWithKey>>;
  let origin: string;
  let owner: { id: string; key: string };
  const pages: WatchedPage[] = [];

  /** A fresh, watched page (its problems are checked after the test). */
  async function open(): Promise<WatchedPage> {
    const w = await watchedPage(browser, origin);
    pages.push(w);
    return w;
  }

  async function signInWithKey(w: WatchedPage, key = owner.key): Promise<void> {
    await w.page.goto(`${origin}/dashboard`);
    await w.page.getByLabel("API key").fill(key);
    await w.page.getByRole("button", { name: "Sign in" }).click();
    await w.page.getByRole("navigation", { name: "Dashboard" }).waitFor();
  }

  /**
   * Resolves once the page's next call to `path` has been answered: what a test waits for before it ends the session
   * under a view (networkidle speaks of a page load only, not of the calls a view makes after it).
   */
  const answered = (w: WatchedPage, path: string) => w.page.waitForResponse((r) => new URL(r.url()).pathname === path);

  const view = async (w: WatchedPage, link: string, heading: string) => {
    await w.page.getByRole("navigation").getByRole("link", { name: link }).click();
    await w.page.getByRole("heading", { level: 1, name: heading }).waitFor();
  };

  const api = (
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) => call(method, tenant.host, path, opts);

  /** Signs the page in as the owner and opens the policy editor: the editor and the policy it loaded. */
  async function policyEditor(w: WatchedPage) {
    await signInWithKey(w);
    await view(w, "Policy", "Policy");
    const editor = w.page.getByLabel("Policy (JSON)");
    return { editor, loaded: JSON.parse(await editor.inputValue()) as Record<string, unknown> };
  }

  /** Asks each question with the tenant's key in `user`'s cache, each answered. */
  async function askAs(user: string, questions: readonly string[]): Promise<void> {
    for (const q of questions) {
      const res = await api("POST", "/v1/chat/completions", {
        token: tenant.key,
        body: CHAT(q),
        headers: { "x-cache-user": user },
      });
      expect(res.status).toBe(200);
    }
  }

  beforeAll(async () => {
    browser = await launch();
    tenant = await tenantWithKey("dash");
    origin = `http://${tenant.host}:${cordon().port}`;
    const made = await api("POST", "/v1/admin/keys", {
      token: cordon().rootToken,
      body: { name: "dashboard owner", role: "owner" },
    });
    owner = made.json<{ id: string; key: string }>();
    // Traffic for the charts and the audit trail's pages: misses, hits, and one user's entries.
    for (const q of ["What is the capital of France?", "Who wrote Hamlet?"]) {
      for (let i = 0; i < 2; i++)
        expect((await api("POST", "/v1/chat/completions", { token: tenant.key, body: CHAT(q) })).status).toBe(200);
    }
    await askAs("erin", ["What is my favourite colour?", "When is my next appointment?"]);
    for (let i = 0; i < 50; i++) await api("GET", "/v1/models", { token: tenant.key });
    // The trail is written by the logger from a Queue: wait until the events are there.
    const deadline = Date.now() + 20_000;
    const counted = async () =>
      (await api("GET", "/v1/analytics", { token: owner.key })).json<{ totals: { requests: number } }>().totals
        .requests;
    while ((await counted()) < 56) {
      if (Date.now() > deadline) throw new Error("the audit events of the seeded traffic did not arrive");
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 120_000);

  afterEach(async () => {
    const found = pages.flatMap((w) => w.problems());
    await Promise.all(pages.splice(0).map((w) => w.close()));
    expect(found, `problems on the dashboard's pages:\n${found.join("\n")}`).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("signs in with an API key into an HttpOnly cookie, and draws the usage charts", async () => {
    const w = await open();
    await w.page.goto(`${origin}/dashboard`);
    await w.page.getByRole("heading", { name: "Sign in to Cordon" }).waitFor();
    await screenshot(w.page, "sign-in");
    await signInWithKey(w);
    await w.page.getByRole("heading", { level: 1, name: "Usage and savings" }).waitFor();
    const cookies = await w.context.cookies();
    expect(
      cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite })),
    ).toEqual([{ name: "__Host-cordon_session", httpOnly: true, secure: true, sameSite: "Strict" }]);
    expect(await w.page.evaluate(() => document.cookie)).toBe("");

    await w.page.locator(".uplot canvas").first().waitFor();
    expect(await w.page.locator("figure.chart .uplot").count()).toBe(4);
    const painted = await w.page
      .locator(".uplot canvas")
      .first()
      .evaluate((canvas: HTMLCanvasElement) => {
        const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
        return n;
      });
    expect(painted).toBeGreaterThan(500);
    const requests = await w.page.locator(".card", { hasText: "Requests" }).locator("dd").textContent();
    expect(Number(requests?.replace(/,/g, ""))).toBeGreaterThanOrEqual(56);
    await expect
      .poll(() => w.page.locator(".card", { hasText: "Hit rate" }).locator("dd").textContent())
      .not.toBe("0.0 %");
    await screenshot(w.page, "usage");
  });

  it("creates a key whose secret is shown once, rotates one, and revokes it", async () => {
    const w = await open();
    await signInWithKey(w);
    await view(w, "Keys", "API keys");
    await w.page.getByLabel("Name").fill("made in the browser");
    await w.page.getByLabel("Role").selectOption("viewer");
    await w.page.getByRole("button", { name: "Create key" }).click();
    const secret = (await w.page.getByTestId("secret").textContent())!;
    expect(secret).toMatch(/^cdn_dev_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/);
    expect((await api("GET", "/v1/models", { token: secret })).status).toBe(200);
    await screenshot(w.page, "keys");

    await w.page.reload();
    await w.page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    const row = w.page.locator("tr", { hasText: "made in the browser" });
    await row.waitFor();
    expect(await w.page.content()).not.toContain(secret);
    expect(await w.page.getByTestId("secret").count()).toBe(0);

    await row.getByRole("button", { name: "Rotate" }).click();
    const rotated = (await w.page.getByTestId("secret").textContent())!;
    expect(rotated).not.toBe(secret);
    expect((await api("GET", "/v1/models", { token: rotated })).status).toBe(200);
    await w.page.getByRole("button", { name: "Done" }).click();

    await row.getByRole("button", { name: "Revoke" }).click();
    await row.getByRole("button", { name: "Confirm revoke" }).click();
    await row.getByRole("cell", { name: "revoked" }).waitFor();
    expect((await api("GET", "/v1/models", { token: rotated })).status).toBe(401);
    expect((await api("GET", "/v1/models", { token: secret })).status).toBe(401);
  });

  it("edits the policy, and asks before saving one that locks the editor out", async () => {
    const w = await open();
    const { editor, loaded: policy } = await policyEditor(w);
    await editor.fill(JSON.stringify({ ...policy, ttl_seconds: 3600 }, null, 2));
    await w.page.getByRole("button", { name: "Save policy" }).click();
    await w.page.getByText("Policy saved.").waitFor();
    const saved = (await api("GET", "/v1/admin/policy", { token: owner.key })).json<{
      policy: Record<string, unknown>;
    }>().policy;
    expect(saved.ttl_seconds).toBe(3600);
    await screenshot(w.page, "policy");

    await editor.fill(JSON.stringify({ ...saved, ip_allowlist: ["203.0.113.0/24"] }, null, 2));
    w.expectResponse(409, "PUT", "/v1/admin/policy");
    await w.page.getByRole("button", { name: "Save policy" }).click();
    await w.page.getByText("does not allow the address this request comes from").waitFor();
    await w.page.getByRole("button", { name: "Keep editing" }).click();
    expect(
      (await api("GET", "/v1/admin/policy", { token: owner.key })).json<{ policy: { ip_allowlist: string[] } }>().policy
        .ip_allowlist,
    ).toEqual([]);

    w.expectResponse(409, "PUT", "/v1/admin/policy");
    await w.page.getByRole("button", { name: "Save policy" }).click();
    await w.page.getByRole("button", { name: "Save anyway and lock me out" }).click();
    await w.page.getByText("Policy saved.").waitFor();
    const locked = await api("GET", "/v1/admin/policy", { token: cordon().rootToken });
    const lockedPolicy = locked.json<{ policy: Record<string, unknown> }>().policy;
    expect(lockedPolicy.ip_allowlist).toEqual(["203.0.113.0/24"]);
    // The operator lets the tenant back in.
    expect(
      (await api("PUT", "/v1/admin/policy", { token: cordon().rootToken, body: { ...lockedPolicy, ip_allowlist: [] } }))
        .status,
    ).toBe(200);
  });

  it("refuses to save over a change made since the policy was loaded, and offers to reload it", async () => {
    const w = await open();
    const { editor, loaded } = await policyEditor(w);
    // Another administrator changes the TTL while this page holds the policy.
    const ttl = loaded.ttl_seconds === 7200 ? 5400 : 7200;
    const other = await api("PUT", "/v1/admin/policy", { token: owner.key, body: { ...loaded, ttl_seconds: ttl } });
    expect(other.status).toBe(200);
    const piiMode = loaded.pii_mode === "redact" ? "block" : "redact";
    await editor.fill(JSON.stringify({ ...loaded, pii_mode: piiMode }, null, 2));
    w.expectResponse(409, "PUT", "/v1/admin/policy");
    await w.page.getByRole("button", { name: "Save policy" }).click();
    await w.page.getByText("changed by someone else since this page loaded it").waitFor();
    const now = (await api("GET", "/v1/admin/policy", { token: owner.key })).json<{
      policy: Record<string, unknown>;
    }>().policy;
    expect(now).toMatchObject({ ttl_seconds: ttl, pii_mode: loaded.pii_mode });
    await w.page.getByRole("button", { name: "Reload the policy" }).click();
    await expect
      .poll(async () => (JSON.parse(await editor.inputValue()) as { ttl_seconds: number }).ttl_seconds)
      .toBe(ttl);
  });

  // Regression: the editor sent If-Match only when its read had an ETag. A read without one (a proxy dropping
  // the header) made the save unconditional — last writer wins — silently undoing another administrator's change.
  it("saves nothing when the policy it loaded carries no ETag to make the save conditional", async () => {
    const w = await open();
    const puts: (string | null)[] = [];
    w.page.on("request", (req) => {
      if (req.method() === "PUT" && new URL(req.url()).pathname === "/v1/admin/policy") {
        puts.push(req.headers()["if-match"] ?? null);
      }
    });
    await w.page.route("**/v1/admin/policy", async (route) => {
      if (route.request().method() !== "GET") return route.continue();
      // The gateway's own answer (as the owner), passed on without its ETag.
      const res = await api("GET", "/v1/admin/policy", { token: owner.key });
      expect(res.headers.etag).toBeDefined();
      await route.fulfill({ status: res.status, contentType: "application/json", body: res.text });
    });
    const { editor, loaded } = await policyEditor(w);
    const ttl = loaded.ttl_seconds === 1800 ? 2700 : 1800;
    await editor.fill(JSON.stringify({ ...loaded, ttl_seconds: ttl }, null, 2));
    await w.page.getByRole("button", { name: "Save policy" }).click();
    await w.page.getByText("nothing was saved", { exact: false }).waitFor({ timeout: 5000 });
    expect(puts).toEqual([]);
    const now = (await api("GET", "/v1/admin/policy", { token: owner.key })).json<{
      policy: Record<string, unknown>;
    }>().policy;
    expect(now.ttl_seconds).toBe(loaded.ttl_seconds);
  });

  it("pages through the audit trail and verifies its hash chain", async () => {
    const w = await open();
    await signInWithKey(w);
    await view(w, "Audit trail", "Audit trail");
    const rows = w.page.locator("tbody tr");
    await rows.first().waitFor();
    expect(await rows.count()).toBe(50);
    await w.page.getByRole("button", { name: "Older events" }).click();
    await expect.poll(() => rows.count()).toBeGreaterThan(50);
    await w.page.getByRole("button", { name: "Verify chain" }).click();
    const verdict = await w.page.getByText(/^Chain intact: \d+ events checked/).textContent();
    expect(Number(/(\d+) events/.exec(verdict!)![1])).toBeGreaterThan(50);
    await screenshot(w.page, "audit");
    await w.page.getByLabel("Action").fill("dashboard.session.create");
    await w.page.getByRole("button", { name: "Filter" }).click();
    await expect
      .poll(async () => new Set(await w.page.locator("tbody tr td:nth-child(3)").allTextContents()))
      .toEqual(new Set(["dashboard.session.create"]));
    expect(await w.page.locator("tbody tr td:nth-child(2)").first().textContent()).toBe(`key:${owner.id}`);
  });

  it("deletes a cache entry, exports one user's entries and erases them", async () => {
    const w = await open();
    await signInWithKey(w);
    await view(w, "Cache", "Cache entries");
    const rows = w.page.locator("tbody tr");
    await rows.first().waitFor();
    expect(await rows.count()).toBe(4);
    const doomed = (await rows.first().getAttribute("data-entry-id"))!;
    await rows.first().getByRole("button", { name: "Delete" }).click();
    await rows.first().getByRole("button", { name: "Confirm delete" }).click();
    await w.page.getByText(`Entry ${doomed} deleted.`).waitFor();
    await expect.poll(() => rows.count()).toBe(3);
    expect((await api("GET", `/v1/cache/entries/${doomed}`, { token: owner.key })).status).toBe(404);

    await w.page.getByLabel(/^User/).fill("erin");
    await w.page.getByRole("button", { name: "Show entries" }).click();
    await expect.poll(() => rows.count()).toBe(2);
    await screenshot(w.page, "cache");
    const [download] = await Promise.all([
      w.page.waitForEvent("download"),
      w.page.getByRole("button", { name: "Export user's entries" }).click(),
    ]);
    const lines = readFileSync((await download.path())!, "utf8")
      .trim()
      .split("\n");
    expect(lines.map((l) => (JSON.parse(l) as { prompt: string }).prompt).sort()).toEqual([
      "What is my favourite colour?",
      "When is my next appointment?",
    ]);

    await w.page.getByRole("button", { name: "Erase user" }).click();
    await w.page.getByRole("button", { name: "Confirm erasure" }).click();
    await w.page.getByText("Erased 2 entries of erin.").waitFor();
    await expect.poll(() => rows.count()).toBe(0);
    expect(
      (await api("GET", "/v1/cache/entries?user=erin", { token: owner.key })).json<{ data: unknown[] }>().data,
    ).toEqual([]);
  });

  // Regression: "Show entries" listed the trimmed user ("frank"), while export and erasure sent the field as
  // typed (" frank ", as pasted), a different user to the API: the page showed frank's entries, then reported
  // "Erased 0 entries" and left them all in place.
  it("exports and erases the user it lists, whitespace pasted around the name or not", async () => {
    await askAs("frank", ["Where do I live?", "What is my shoe size?"]);
    const listed = async () =>
      (await api("GET", "/v1/cache/entries?user=frank", { token: owner.key })).json<{ data: unknown[] }>().data.length;
    await expect.poll(listed, { timeout: 10_000 }).toBe(2);

    const w = await open();
    await signInWithKey(w);
    await view(w, "Cache", "Cache entries");
    const rows = w.page.locator("tbody tr");
    await w.page.getByLabel(/^User/).fill(" frank ");
    await w.page.getByRole("button", { name: "Show entries" }).click();
    await expect.poll(() => rows.count()).toBe(2);
    const [download] = await Promise.all([
      w.page.waitForEvent("download"),
      w.page.getByRole("button", { name: "Export user's entries" }).click(),
    ]);
    expect(
      readFileSync((await download.path())!, "utf8")
        .trim()
        .split("\n"),
    ).toHaveLength(2);
    await w.page.getByRole("button", { name: "Erase user" }).click();
    await w.page.getByRole("button", { name: "Confirm erasure" }).click();
    await w.page.getByText("Erased 2 entries of frank.").waitFor({ timeout: 10_000 });
    expect(await listed()).toBe(0);
  });

  it("ends a session whose key is revoked, back at sign-in", async () => {
    const w = await open();
    const doomed = (
      await api("POST", "/v1/admin/keys", { token: cordon().rootToken, body: { name: "doomed", role: "admin" } })
    ).json<{
      id: string;
      key: string;
    }>();
    // The overview's own request (analytics) finishes first: otherwise it, not the Keys view's, may be the first to
    // meet the revoked key.
    const overview = answered(w, "/v1/analytics");
    await signInWithKey(w, doomed.key);
    await overview;
    expect((await api("DELETE", `/v1/admin/keys/${doomed.id}`, { token: cordon().rootToken })).status).toBe(200);
    w.expectResponse(401, "GET", "/v1/admin/keys");
    await w.page.getByRole("navigation").getByRole("link", { name: "Keys" }).click();
    await w.page.getByText("Your session has ended: sign in again.").waitFor();
    await w.page.getByRole("heading", { name: "Sign in to Cordon" }).waitFor();
  });

  // Regression: the browser drops the session cookie when its Max-Age runs out, and a sign-out in another tab
  // clears it; the page's next call then carried no credential, and the page stayed signed in, answering every
  // action with "No credential was sent. Send 'Authorization: Bearer <key>'…".
  it("returns to sign-in when the browser no longer holds the session: signed out in another tab, or expired", async () => {
    const w = await open();
    const overview = answered(w, "/v1/analytics");
    await signInWithKey(w);
    await overview;
    const tab = await w.context.newPage();
    await tab.goto(`${origin}/dashboard`);
    await tab.getByRole("button", { name: "Sign out" }).click();
    await tab.getByRole("heading", { name: "Sign in to Cordon" }).waitFor();
    await tab.close();
    w.expectResponse(401, "GET", "/v1/admin/keys");
    await w.page.getByRole("navigation").getByRole("link", { name: "Keys" }).click();
    await w.page.getByText("Your session has ended: sign in again.").waitFor();
    await w.page.getByRole("heading", { name: "Sign in to Cordon" }).waitFor();

    await w.page.getByLabel("API key").fill(owner.key);
    const keys = answered(w, "/v1/admin/keys");
    await w.page.getByRole("button", { name: "Sign in" }).click();
    await w.page.getByRole("navigation", { name: "Dashboard" }).waitFor();
    await keys;
    // What the browser does when the cookie's Max-Age has run out.
    await w.context.clearCookies();
    w.expectResponse(401, "GET", "/v1/audit");
    await w.page.getByRole("navigation").getByRole("link", { name: "Audit trail" }).click();
    await w.page.getByText("Your session has ended: sign in again.").waitFor();
    await w.page.getByRole("heading", { name: "Sign in to Cordon" }).waitFor();
  });

  // Regression: when the gateway would not describe the session (here its address is no longer allowed), the page
  // showed the error alone — no sign-in, no sign-out — and the browser kept the session cookie for up to an hour.
  it("offers to sign out when the gateway refuses to describe the session", async () => {
    const other = await tenantWithKey("daship", { role: "owner" });
    const otherOrigin = `http://${other.host}:${cordon().port}`;
    const w = await watchedPage(browser, otherOrigin);
    pages.push(w);
    await w.page.goto(`${otherOrigin}/dashboard`);
    await w.page.getByLabel("API key").fill(other.key);
    const overview = answered(w, "/v1/analytics");
    await w.page.getByRole("button", { name: "Sign in" }).click();
    await w.page.getByRole("navigation", { name: "Dashboard" }).waitFor();
    await overview;

    const read = await call("GET", other.host, "/v1/admin/policy", { token: cordon().rootToken });
    const { policy } = read.json<{ policy: Record<string, unknown> }>();
    const put = await call("PUT", other.host, "/v1/admin/policy", {
      token: cordon().rootToken,
      body: { ...policy, ip_allowlist: ["203.0.113.0/24"] },
      headers: { "if-match": String(read.headers.etag) },
    });
    expect(put.status, put.text).toBe(200);

    w.expectResponse(403, "GET", "/dashboard/session");
    await w.page.reload();
    await w.page.getByText("Requests from this address are not allowed").waitFor();
    await w.page.getByRole("button", { name: "Sign out" }).click();
    await w.page.getByRole("heading", { name: "Sign in to Cordon" }).waitFor();
    await w.page.getByText("Signed out.").waitFor();
    expect(await w.context.cookies()).toEqual([]);
  });

  // Regression: a page of another site that opened the dashboard kept a handle on its window (window.opener, and
  // window.open's return), and could later send it, signed in, to a look-alike sign-in page of its own.
  it("leaves a page of another site that opened it no hold on its window", async () => {
    const w = await open();
    // Another origin: the gateway's platform host, by IP.
    await w.page.goto(`http://127.0.0.1:${cordon().port}/healthz`);
    const opened = w.context.waitForEvent("page");
    await w.page.evaluate((url) => {
      (window as unknown as { dashboard: Window | null }).dashboard = window.open(url);
    }, `${origin}/dashboard`);
    const dashboard = await opened;
    await dashboard.getByRole("heading", { name: "Sign in to Cordon" }).waitFor();
    expect(await dashboard.evaluate(() => window.opener)).toBeNull();
    expect(await w.page.evaluate(() => (window as unknown as { dashboard: Window }).dashboard.closed)).toBe(true);
    await dashboard.close();
  });

  // Regression: the key field said autocomplete="off", which browsers ignore on a password field: Chromium offered to
  // save the API key typed at sign-in as the site's password.
  it("marks the API key field as no password to save: masked, labelled, autocomplete one-time-code", async () => {
    const w = await open();
    await w.page.goto(`${origin}/dashboard`);
    const field = w.page.getByLabel("API key");
    await field.waitFor();
    expect(await field.getAttribute("type")).toBe("password");
    expect(await field.getAttribute("autocomplete")).toBe("one-time-code");
    // The browser's reading of the attribute: a token it does not know reads as "".
    expect(await field.evaluate((el) => (el as HTMLInputElement).autocomplete)).toBe("one-time-code");
    expect(await field.getAttribute("name")).toBe("api_key");
  });

  it("is usable with the keyboard alone: sign in, open Keys, create a key, sign out", async () => {
    const { focused, tabTo } = await import("./browser");
    const w = await open();
    await w.page.goto(`${origin}/dashboard`);
    await expect.poll(async () => (await focused(w.page)).name).toBe("api_key");
    await w.page.keyboard.type(owner.key);
    await w.page.keyboard.press("Enter");
    await w.page.getByRole("heading", { level: 1, name: "Usage and savings" }).waitFor();
    await tabTo(w.page, "Keys");
    await w.page.keyboard.press("Enter");
    await w.page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    // The heading takes the focus in an effect, after the view is painted: shown first, focused a moment later.
    await expect.poll(async () => (await focused(w.page)).text).toBe("API keys");
    await w.page.keyboard.press("Tab");
    expect(await w.page.evaluate(() => document.activeElement?.closest("label")?.textContent?.trim())).toBe("Name");
    await w.page.keyboard.type("typed, not clicked");
    await w.page.keyboard.press("Enter");
    await w.page.getByTestId("secret").waitFor();
    await expect.poll(async () => (await focused(w.page)).text).toContain("New key “typed, not clicked”");
    await tabTo(w.page, "Done");
    await w.page.keyboard.press("Enter");
    expect(await w.page.getByTestId("secret").count()).toBe(0);
    await tabTo(w.page, "Sign out", { back: true, max: 80 });
    await w.page.keyboard.press("Enter");
    await w.page.getByRole("heading", { name: "Sign in to Cordon" }).waitFor();
    expect(await w.context.cookies()).toEqual([]);
  });
});
