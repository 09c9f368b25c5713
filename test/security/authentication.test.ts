// Tenant resolution and authentication: every refusal gets the contract's error, the right status, and
// writes nothing.
import { describe, expect, it, vi } from "vitest";
import { generateApiKey } from "../../src/gateway/auth/api-key-secret";
import {
  call,
  chatBody,
  createKey,
  createTenant,
  expectError,
  hostOf,
  kvSnapshot,
  PLATFORM,
  rootToken,
  settle,
  tenantWithKey,
} from "../helpers";

describe("tenant resolution and authentication", async () => {
  const a = await tenantWithKey("a");
  const b = await tenantWithKey("b");
  await settle();

  const cases: [string, () => Promise<Response>, number, string, string][] = [
    [
      "unknown tenant",
      () => call(hostOf("nosuchtenant"), "/v1/chat/completions", { token: a.key, body: chatBody("hi there") }),
      404,
      "tenant_not_found",
      "invalid_request_error",
    ],
    [
      "invalid tenant label",
      () => call(`x.y.${PLATFORM}`, "/v1/chat/completions", { token: a.key, body: chatBody("q") }),
      404,
      "tenant_not_found",
      "invalid_request_error",
    ],
    [
      "unmapped custom host",
      () => call("llm.unknown.example", "/v1/chat/completions", { token: a.key, body: chatBody("q") }),
      404,
      "tenant_not_found",
      "invalid_request_error",
    ],
    [
      "missing key",
      () => call(a.host, "/v1/chat/completions", { body: chatBody("q") }),
      401,
      "missing_api_key",
      "authentication_error",
    ],
    [
      "not a bearer header",
      () =>
        call(a.host, "/v1/chat/completions", {
          headers: { authorization: `Basic ${btoa("a:b")}` },
          body: chatBody("q"),
        }),
      401,
      "invalid_authorization",
      "authentication_error",
    ],
    [
      "malformed key",
      () => call(a.host, "/v1/chat/completions", { token: "cdn_test_notavalidkey", body: chatBody("q") }),
      401,
      "malformed_api_key",
      "authentication_error",
    ],
    [
      "bad checksum",
      () =>
        call(a.host, "/v1/chat/completions", {
          token: a.key.slice(0, -1) + (a.key.endsWith("a") ? "b" : "a"),
          body: chatBody("q"),
        }),
      401,
      "malformed_api_key",
      "authentication_error",
    ],
    [
      "wrong key (well-formed, unknown)",
      () => call(a.host, "/v1/chat/completions", { token: generateApiKey("test"), body: chatBody("q") }),
      401,
      "invalid_api_key",
      "authentication_error",
    ],
    [
      "key of another environment",
      () => call(a.host, "/v1/chat/completions", { token: generateApiKey("live"), body: chatBody("q") }),
      401,
      "wrong_environment",
      "authentication_error",
    ],
    [
      "random bearer token",
      () => call(a.host, "/v1/chat/completions", { token: "not-a-cordon-key-at-all", body: chatBody("q") }),
      401,
      "invalid_api_key",
      "authentication_error",
    ],
    [
      "a model provider's key sent by mistake",
      () => call(a.host, "/v1/chat/completions", { token: "sk-proj-abcdefghijklmnop", body: chatBody("q") }),
      401,
      "foreign_api_key",
      "authentication_error",
    ],
    [
      "key of tenant A on tenant B",
      () => call(b.host, "/v1/chat/completions", { token: a.key, body: chatBody("q") }),
      403,
      "tenant_mismatch",
      "permission_error",
    ],
    [
      "tenant key on the platform host",
      () => call(PLATFORM, "/v1/admin/tenants", { token: a.key }),
      403,
      "operator_only",
      "permission_error",
    ],
    [
      "root token on a data-plane route",
      () => call(a.host, "/v1/chat/completions", { token: rootToken(), body: chatBody("q") }),
      403,
      "operator_not_allowed",
      "permission_error",
    ],
    [
      "admin route on a tenant host",
      () => call(a.host, "/v1/admin/tenants", { token: rootToken() }),
      404,
      "not_found",
      "invalid_request_error",
    ],
    [
      "plain HTTP outside development",
      () => call(a.host, "/v1/chat/completions", { token: a.key, body: chatBody("q"), scheme: "http" }),
      403,
      "https_required",
      "permission_error",
    ],
  ];

  it.each(cases)("%s → %i %s, and nothing written", async (_name, send, status, code, type) => {
    const before = await kvSnapshot();
    const res = await send();
    await expectError(res, status, code, type);
    await settle();
    expect(await kvSnapshot()).toEqual(before);
  });

  it("a viewer key lacks the completions scope (403 insufficient_scope)", async () => {
    const viewer = await createKey(a.tenant, { role: "viewer" });
    await expectError(
      await call(a.host, "/v1/chat/completions", { token: viewer, body: chatBody("q") }),
      403,
      "insufficient_scope",
      "permission_error",
    );
  });

  it("an expired key is refused", async () => {
    const key = await createKey(a.tenant, { expires_at: new Date(Date.now() + 3600_000).toISOString() });
    // Valid, but a developer cannot manage keys.
    expect((await call(a.host, "/v1/admin/keys", { token: key })).status).toBe(403);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 2 * 3600_000);
      await expectError(
        await call(a.host, "/v1/admin/keys", { token: key }),
        401,
        "expired_api_key",
        "authentication_error",
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it("a custom hostname mapped in KV resolves to its tenant", async () => {
    await createTenant("custom1", { hostnames: ["llm.acme.example"] });
    const key = await createKey("custom1", { role: "owner" });
    const res = await call("llm.acme.example", "/v1/admin/keys", { token: key });
    expect(res.status).toBe(200);
    await expectError(
      await call("llm.acme.example", "/v1/admin/keys", { token: a.key }),
      403,
      "tenant_mismatch",
      "permission_error",
    );
  });

  it("stores API keys only as keyed hashes", async () => {
    const names = await kvSnapshot();
    const values = await Promise.all(
      names
        .filter((n) => n.startsWith("TENANTS/"))
        .map(async (n) => (await (await import("cloudflare:workers")).env.TENANTS.get(n.slice(8))) ?? ""),
    );
    const everything = names.join("\n") + values.join("\n");
    for (const secret of [a.key, b.key]) {
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(secret.slice(9, 41)); // the random part alone
    }
  });

  it("challenges as RFC 6750 §3.1 says: no error code when no credential was sent, invalid_token for a bad one", async () => {
    const none = await call(a.host, "/v1/models");
    await expectError(none, 401, "missing_api_key", "authentication_error");
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="cordon"');
    const wrong = await call(a.host, "/v1/models", { token: generateApiKey("test") });
    await expectError(wrong, 401, "invalid_api_key", "authentication_error");
    expect(wrong.headers.get("www-authenticate")).toBe('Bearer realm="cordon", error="invalid_token"');
  });

  it("regression: a credential without the scope got no challenge (RFC 6750 §3: insufficient_scope)", async () => {
    const viewer = await createKey(a.tenant, { role: "viewer" });
    const res = await call(a.host, "/v1/chat/completions", { token: viewer, body: chatBody("q") });
    await expectError(res, 403, "insufficient_scope", "permission_error");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="cordon", error="insufficient_scope"');
  });

  it("answers every response with a request id and the security headers", async () => {
    const res = await call(hostOf("nosuchtenant"), "/healthz");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    expect(res.headers.get("strict-transport-security")).toContain("max-age=");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});
