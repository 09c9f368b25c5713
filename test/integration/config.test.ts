// Configuration is parsed once and a bad one fails loudly — and the client learns nothing of it.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { ConfigError, parseConfig } from "../../src/gateway/config";
import gateway from "../../src/gateway/index";
import { call, chatBody, tenantWithKey } from "../helpers";

describe("configuration", () => {
  it("parses the test configuration into a frozen object", () => {
    const c = parseConfig(env);
    expect(Object.isFrozen(c)).toBe(true);
    expect(c).toMatchObject({
      environment: "test",
      baseDomain: "cordon.test",
      apiKeyEnv: "test",
      vectorIndex: "durable-object",
      maxBodyBytes: 65536,
    });
    expect(c.provider.kind).toBe("local");
  });

  it.each<[string, Partial<CordonGateway.Env>, RegExp]>([
    ["a short root token", { ROOT_TOKEN: "short" }, /ROOT_TOKEN/],
    ["a master key of the wrong size", { MASTER_KEY: btoa("16 bytes only!!!") }, /MASTER_KEY/],
    // These used to start: a value typed by hand, not drawn at random, or one secret doing two jobs.
    ["a root token of one repeated character", { ROOT_TOKEN: "x".repeat(44) }, /ROOT_TOKEN: must hold at least 12/],
    ["a master key of 32 zero bytes", { MASTER_KEY: btoa("\0".repeat(32)) }, /MASTER_KEY: must hold at least 12/],
    ["the master key as root token", { ROOT_TOKEN: env.MASTER_KEY }, /ROOT_TOKEN and MASTER_KEY must be different/],
    ["an unknown embedder", { EMBEDDER: "magic" }, /EMBEDDER/],
    ["a non-numeric body limit", { MAX_BODY_BYTES: "lots" }, /MAX_BODY_BYTES/],
    ["Vectorize without its binding", { VECTOR_INDEX: "vectorize" }, /VECTORIZE binding/],
    ["Workers AI without its binding", { EMBEDDER: "workers-ai" }, /AI binding/],
    ["AI Gateway without account and id", { PROVIDER: "ai-gateway" }, /AI_GATEWAY_ACCOUNT_ID/],
    ["production with test keys", { ENVIRONMENT: "production" }, /API_KEY_ENV=live/],
    // It used to start whenever PROVIDER_SERVICE was bound, answering (and caching) the local provider's made-up text.
    ["production with the local provider", { ENVIRONMENT: "production", API_KEY_ENV: "live" }, /PROVIDER=ai-gateway/],
    // It used to start: an audit event the Queue refused was then counted nowhere an alert could see it.
    [
      "production without the metrics dataset",
      {
        ENVIRONMENT: "production",
        API_KEY_ENV: "live",
        PROVIDER: "ai-gateway",
        AI_GATEWAY_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
        AI_GATEWAY_ID: "cordon",
      },
      /production needs the METRICS binding/,
    ],
    // It used to start: every caller was then 127.0.0.1 (one caller's guesses blocked all), and an OpenID
    // Provider could be set at an http or private address.
    [
      "development on a real domain",
      { ENVIRONMENT: "development", API_KEY_ENV: "live", BASE_DOMAIN: "cordon.example.com" },
      /ENVIRONMENT=development serves localhost only/,
    ],
    [
      "development on a look-alike of localhost",
      { ENVIRONMENT: "development", BASE_DOMAIN: "evillocalhost" },
      /localhost only/,
    ],
  ])("refuses %s", (_name, override, message) => {
    expect(() => parseConfig({ ...env, ...override } as CordonGateway.Env)).toThrow(ConfigError);
    expect(() => parseConfig({ ...env, ...override } as CordonGateway.Env)).toThrow(message);
  });

  it.each(["localhost", "dev.localhost"])("runs development on %s", (domain) => {
    const c = parseConfig({ ...env, ENVIRONMENT: "development", BASE_DOMAIN: domain } as CordonGateway.Env);
    expect(c).toMatchObject({ environment: "development", baseDomain: domain, allowLocalHttp: true });
  });

  it.each(["TENANTS", "CACHE", "TENANT_OBJECT", "AUTH_GUARD", "UPSTREAM_CIRCUIT", "AUDIT", "AUDIT_LOG"])(
    "refuses to start without the %s binding",
    (binding) => {
      const missing = { ...env, [binding]: undefined } as unknown as CordonGateway.Env;
      expect(() => parseConfig(missing)).toThrow(ConfigError);
      expect(() => parseConfig(missing)).toThrow(`the ${binding} binding is missing`);
    },
  );

  it("serves no request without the audit Queue (it used to answer unaudited)", async () => {
    const { host, key } = await tenantWithKey();
    const noQueue = { ...env, AUDIT: undefined } as unknown as CordonGateway.Env;
    const res = await call(host, "/v1/chat/completions", { token: key, body: chatBody("unaudited?"), env: noQueue });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).error).toMatchObject({ type: "internal_error", code: "internal_error" });
    expect(text).not.toMatch(/AUDIT|binding/);
  });

  it("builds the AI Gateway endpoint URLs", () => {
    const c = parseConfig({
      ...env,
      PROVIDER: "ai-gateway",
      AI_GATEWAY_ACCOUNT_ID: "acc123",
      AI_GATEWAY_ID: "cordon",
    } as CordonGateway.Env);
    expect(c.provider.urls).toEqual({
      "chat/completions": "https://gateway.ai.cloudflare.com/v1/acc123/cordon/compat/chat/completions",
      embeddings: "https://gateway.ai.cloudflare.com/v1/acc123/cordon/compat/embeddings",
      responses: "https://gateway.ai.cloudflare.com/v1/acc123/cordon/openai/responses",
    });
  });

  it("answers 500 internal_error without details when misconfigured", async () => {
    const bad = { ...env, MASTER_KEY: "not base64 at all" } as CordonGateway.Env;
    const ctx = createExecutionContext();
    const res = await gateway.fetch(new Request("https://x.cordon.test/healthz"), bad, ctx);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).error).toMatchObject({ type: "internal_error", code: "internal_error" });
    expect(text).not.toMatch(/MASTER_KEY|base64/);
    // Even then the request is audited.
    await waitOnExecutionContext(ctx);
    const requestId = res.headers.get("x-request-id");
    await vi.waitFor(
      async () => {
        const row = await env.AUDIT_DB.prepare(
          "SELECT event FROM audit_events WHERE tenant = '_unresolved' AND event LIKE ?",
        )
          .bind(`%${requestId}%`)
          .first<{ event: string }>();
        expect(JSON.parse(row!.event)).toMatchObject({
          status: 500,
          code: "internal_error",
          reason: "configuration_invalid",
          action: "gateway.start",
        });
      },
      { timeout: 5000, interval: 25 },
    );
  });
});
