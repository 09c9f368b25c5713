// GET /dashboard and GET /dashboard/assets/{file}: the dashboard's page, served from the Worker's static assets
// (wrangler.toml [assets], built from dashboard/src by scripts/build-dashboard.mjs). The gateway runs first for
// every request (run_worker_first), so the page gets the same security headers as every response, and a CSP of
// its own: its own origin's script, style, images and API only — nothing inline, no other origin, no string
// reaching an HTML sink (Trusted Types), never framed, and no handle on its window left to the page that opened it
// (Cross-Origin-Opener-Policy).
import type { Handled, RequestContext } from "../context";
import { fail } from "../http/errors";

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

/** What the build writes into assets/: content-hashed names of letters, digits, `-`, `_` and one extension. */
const ASSET_FILE = /^[A-Za-z0-9_-]{1,100}\.(?:js|css|svg)$/;

export async function dashboardPage(rc: RequestContext): Promise<Handled> {
  // The assets' index.html is served at their root ("/"): asking for /index.html would be redirected there.
  return serve(rc, "/");
}

export async function dashboardAsset(rc: RequestContext): Promise<Handled> {
  const file = rc.params.file ?? "";
  if (!ASSET_FILE.test(file)) throw fail("not_found", { reason: "not_an_asset_name" });
  return serve(rc, `/assets/${file}`);
}

async function serve(rc: RequestContext, path: string): Promise<Handled> {
  const assets = rc.rt.env.ASSETS;
  if (!assets) throw fail("dashboard_unavailable", { reason: "no_assets_binding" });
  // Nothing of the browser's request is passed on (no cookie, no conditional headers): only the path.
  const res = await assets.fetch(new Request(new URL(path, rc.url.origin), { method: "GET" }));
  if (res.status === 404) {
    await res.body?.cancel();
    throw fail(path === "/" ? "dashboard_unavailable" : "not_found", { reason: "asset_not_found" });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`static assets answered ${res.status} for ${path}`);
  }
  const headers = new Headers({
    "content-type": res.headers.get("content-type") ?? "application/octet-stream",
    "content-security-policy": DASHBOARD_CSP,
    // A page of another site that opened the dashboard (window.open, a link's target) keeps no hold on its window:
    // it could otherwise send it, signed in and trusted, to a look-alike sign-in page of its own.
    "cross-origin-opener-policy": "same-origin",
  });
  return { response: new Response(res.body, { status: 200, headers }) };
}
