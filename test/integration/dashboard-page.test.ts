// The tenant dashboard's page (GET /dashboard and its assets, from the Worker's static assets — a fixture here):
// served under a CSP of its own that allows this origin's script and style only, nothing inline, no other
// origin; the same page at every host; nothing but asset names served from its folder.
import { describe, expect, it } from "vitest";
import { call, createTenant, expectError, hostOf, uniqueTenant } from "../helpers";

describe("the dashboard page", async () => {
  const id = uniqueTenant("dp");
  await createTenant(id);
  const t = { id, host: hostOf(id) };

  it("is served with a CSP that allows only its own origin's script and style, nothing inline", async () => {
    const res = await call(t.host, "/dashboard");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await res.text()).toContain("<title>Cordon dashboard (test fixture)</title>");
    const csp = res.headers.get("content-security-policy")!;
    const directives = new Map(csp.split("; ").map((d) => [d.split(" ")[0], d.split(" ").slice(1).join(" ")]));
    expect(directives.get("default-src")).toBe("'none'");
    expect(directives.get("script-src")).toBe("'self'");
    expect(directives.get("style-src")).toBe("'self'");
    expect(directives.get("connect-src")).toBe("'self'");
    expect(directives.get("frame-ancestors")).toBe("'none'");
    expect(directives.get("require-trusted-types-for")).toBe("'script'");
    expect(csp).not.toMatch(/unsafe-|https?:|data:|\*/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  // Regression: a page of another site that opened the dashboard kept a handle on its window, and could later send
  // it, signed in, to a look-alike sign-in page (reverse tabnabbing); the browser suite shows the handle severed.
  it("leaves the page that opened it no hold on its window (Cross-Origin-Opener-Policy)", async () => {
    const res = await call(t.host, "/dashboard");
    expect(res.status).toBe(200);
    await res.text();
    expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
  });

  it("serves its assets, and nothing that is not one", async () => {
    const js = await call(t.host, "/dashboard/assets/app-test.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    await js.arrayBuffer();
    for (const path of [
      "/dashboard/assets/missing.js",
      "/dashboard/assets/%2e%2e%2findex.html",
      "/dashboard/assets/a.html",
    ]) {
      await expectError(await call(t.host, path), 404, "not_found", "invalid_request_error");
    }
  });

  it("is the same page at a host that names no tenant (it tells no one which tenants exist)", async () => {
    const here = await (await call(t.host, "/dashboard")).text();
    const nowhere = await call(hostOf(uniqueTenant("nobody")), "/dashboard");
    expect(nowhere.status).toBe(200);
    expect(await nowhere.text()).toBe(here);
  });
});
