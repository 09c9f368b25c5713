// HEAD is served as GET without the body (RFC 9110 §9.3.2): the same status and headers, Content-Length included,
// on every GET route — public documents, liveness, the dashboard, the API — after the same checks as a GET
// (credential, scope, rate limit) and with the same audit event; a 405 lists HEAD wherever it lists GET.
import { describe, expect, it } from "vitest";
import { auditEventOf, call, createKey, createTenant, hostOf, PLATFORM, settle, uniqueTenant } from "../helpers";

/** A response's headers, less those that differ from one request to the next. */
function stableHeaders(res: Response): Record<string, string> {
  const out = Object.fromEntries(res.headers);
  delete out["x-request-id"];
  delete out["content-length"];
  return out;
}

describe("HEAD requests", async () => {
  const tenant = uniqueTenant("head");
  await createTenant(tenant);
  const host = hostOf(tenant);
  const admin = await createKey(tenant, { role: "admin" });
  const developer = await createKey(tenant, { role: "developer" });

  // Regression: HEAD on a GET route answered 405 method_not_allowed.
  it.each([
    ["/healthz", "platform"],
    ["/openapi.json", "platform"],
    ["/docs/errors", "platform"],
    ["/dashboard", "tenant"],
    ["/dashboard/assets/app-test.js", "tenant"],
    ["/v1/models", "tenant", "with a key"],
    ["/v1/admin/policy", "tenant", "with a key"],
  ] as const)("HEAD %s (%s host) is the GET answer without its body", async (path, where, credential?: string) => {
    const at = where === "platform" ? PLATFORM : host;
    const token = credential ? admin : null;
    const get = await call(at, path, { token });
    const body = new Uint8Array(await get.arrayBuffer());
    const head = await call(at, path, { method: "HEAD", token });
    expect(get.status).toBe(200);
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    expect(head.headers.get("content-length")).toBe(String(body.byteLength));
    const { "x-ratelimit-remaining-requests": _a, ...getHeaders } = stableHeaders(get);
    const { "x-ratelimit-remaining-requests": _b, ...headHeaders } = stableHeaders(head);
    expect(headHeaders).toEqual(getHeaders);
  });

  it("is refused as GET is, without a body: no credential 401, a credential without the scope 403", async () => {
    const anonymous = await call(host, "/v1/models", { method: "HEAD" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toBeNull();
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const unscoped = await call(host, "/v1/admin/policy", { method: "HEAD", token: developer });
    expect(unscoped.status).toBe(403);
    expect(unscoped.body).toBeNull();
    expect(Number(unscoped.headers.get("content-length"))).toBeGreaterThan(0);
  });

  it("counts against the caller's rate limit, and is audited as the GET's action", async () => {
    const limited = await createKey(tenant, { role: "viewer", rate_limit: { requests: 2, window_seconds: 3600 } });
    const first = await call(host, "/v1/models", { method: "HEAD", token: limited });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-remaining-requests")).toBe("1");
    expect((await call(host, "/v1/models", { method: "HEAD", token: limited })).status).toBe(200);
    const refused = await call(host, "/v1/models", { token: limited });
    expect(refused.status).toBe(429);
    await refused.arrayBuffer();
    await settle();
    const event = await auditEventOf(tenant, first.headers.get("x-request-id"));
    expect(event).toMatchObject({ action: "models.list", method: "HEAD", route: "/v1/models", status: 200 });
  });

  it("a 405 lists HEAD wherever it lists GET", async () => {
    const cases = [
      ["PUT", "/healthz", "GET, HEAD"],
      ["POST", "/v1/cache/entries/ent_x", "GET, HEAD, DELETE"],
      ["HEAD", "/v1/chat/completions", "POST"],
    ] as const;
    for (const [method, path, allow] of cases) {
      const res = await call(host, path, { method, token: admin });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get("allow"), `${method} ${path}`).toBe(allow);
      if (method === "HEAD") expect(res.body).toBeNull();
      else expect(((await res.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
    }
  });
});
