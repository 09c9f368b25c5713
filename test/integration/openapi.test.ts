// GET /openapi.json through the Worker: public on every host, not audited, and exactly the document the
// generator builds (test/node/openapi.test.ts validates that one). Then the document against the Worker's real
// answers: a tenant's life through every kind of route, each answer checked with the zod schema the document
// names for its route and status — strict objects, so a field added to an answer and not to its schema fails.
import { describe, expect, it } from "vitest";
import type * as z from "zod";
import { ErrorBodySchema, OAuthErrorBodySchema } from "../../src/gateway/http/respond";
import { buildOpenApi } from "../../src/gateway/routes/openapi";
import { type MediaType, OPERATIONS } from "../../src/gateway/routes/operations";
import type { RouteAction } from "../../src/gateway/routes/table";
import {
  BASE_DOMAIN,
  call,
  chatBody,
  createTenant,
  hostOf,
  PLATFORM,
  policyOf,
  requestToken,
  rootToken,
  settle,
  storedAuditEvents,
  uniqueTenant,
} from "../helpers";

describe("GET /openapi.json", () => {
  it("serves the generated document, without a credential, on tenant and platform hosts", async () => {
    const expected = buildOpenApi({ baseDomain: BASE_DOMAIN });
    for (const host of [hostOf("acme"), PLATFORM]) {
      const res = await call(host, "/openapi.json");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(res.headers.get("x-request-id")).toMatch(/^req_/);
      expect(await res.json()).toEqual(expected);
    }
  });

  it("is not audited", async () => {
    const res = await call(hostOf("acme"), "/openapi.json");
    const id = res.headers.get("x-request-id");
    await res.arrayBuffer();
    // An audited refusal after it: once its event is stored, the document's would have been too.
    const refused = await call(hostOf("acme"), "/v1/models");
    const barrier = refused.headers.get("x-request-id");
    await settle();
    await expect
      .poll(async () => (await storedAuditEvents()).some((e) => e.request_id === barrier), { timeout: 5000 })
      .toBe(true);
    expect((await storedAuditEvents()).some((e) => e.request_id === id)).toBe(false);
  });
});

/** The body of `res`, checked against the schema the document gives for the route's status and media type. */
async function conforms(action: RouteAction, res: Response): Promise<unknown> {
  const text = new TextDecoder().decode(await res.arrayBuffer());
  const doc = OPERATIONS[action].responses[res.status];
  expect(doc, `${action} answered ${res.status}, which it does not document: ${text}`).toBeDefined();
  const type = (res.headers.get("content-type") ?? "").split(";")[0]!;
  const schema = doc?.content?.[type as MediaType];
  expect(schema, `${action}: ${type} documented`).toBeDefined();
  if (type === "application/x-ndjson") {
    const lines = text.split("\n").filter((l) => l !== "");
    for (const line of lines) parsed(action, schema!, JSON.parse(line));
    return lines.map((l) => JSON.parse(l));
  }
  return parsed(action, schema!, JSON.parse(text));
}

function parsed(action: string, schema: z.ZodType, body: unknown): unknown {
  const result = schema.safeParse(body);
  expect(result.success ? [] : result.error.issues, `${action}: ${JSON.stringify(body).slice(0, 400)}`).toEqual([]);
  return body;
}

describe("the Worker's answers match the document", () => {
  it("through a tenant's life", async () => {
    const tenant = uniqueTenant("oas");
    const host = hostOf(tenant);
    const root = { token: rootToken() };

    await conforms("health", await call(host, "/healthz"));
    await conforms("docs.openapi", await call(host, "/openapi.json"));
    await conforms(
      "tenant.create",
      await call(PLATFORM, "/v1/admin/tenants", {
        ...root,
        body: { id: tenant, hostnames: [`${tenant}.example.org`] },
      }),
    );
    await conforms("tenant.list", await call(PLATFORM, "/v1/admin/tenants?limit=2", root));

    const owner = (await conforms(
      "key.create",
      await call(host, "/v1/admin/keys", { ...root, body: { name: "owner", role: "owner" } }),
    )) as { id: string; key: string };
    const auth = { token: owner.key };
    const limited = (await conforms(
      "key.create",
      await call(host, "/v1/admin/keys", {
        ...auth,
        body: {
          name: "limited",
          role: "viewer",
          expires_at: new Date(Date.now() + 86_400_000).toISOString(),
          rate_limit: { requests: 100, window_seconds: 60 },
          ip_allowlist: ["10.0.0.0/8"],
        },
      }),
    )) as { id: string };
    await conforms("key.list", await call(host, "/v1/admin/keys", auth));
    await conforms("key.get", await call(host, `/v1/admin/keys/${limited.id}`, auth));
    await conforms("key.rotate", await call(host, `/v1/admin/keys/${limited.id}/rotate`, { ...auth, body: {} }));
    await conforms("key.revoke", await call(host, `/v1/admin/keys/${limited.id}`, { ...auth, method: "DELETE" }));

    const vk = (await conforms(
      "virtual_key.create",
      await call(host, "/v1/admin/virtual-keys", {
        ...auth,
        body: { name: "upstream", provider: "openai", api_key: "sk-openapi-test-0000" },
      }),
    )) as { id: string };
    await conforms("virtual_key.list", await call(host, "/v1/admin/virtual-keys", auth));
    await conforms(
      "virtual_key.delete",
      await call(host, `/v1/admin/virtual-keys/${vk.id}`, { ...auth, method: "DELETE" }),
    );

    await conforms("policy.get", await call(host, "/v1/admin/policy", auth));
    const policy = { ...(await policyOf(tenant)), rate_limit: { requests: 1000, window_seconds: 60 } };
    await conforms("policy.update", await call(host, "/v1/admin/policy", { ...auth, method: "PUT", body: policy }));

    await conforms("models.list", await call(host, "/v1/models", auth));
    await conforms("models.get", await call(host, "/v1/models/gpt-4o-mini", auth));
    const chat = await call(host, "/v1/chat/completions", {
      ...auth,
      body: chatBody("What does the OpenAPI document promise?", { user: "ada" }),
    });
    const entry = chat.headers.get("x-cache-entry-id");
    await conforms("chat.completions", chat);
    await conforms(
      "embeddings.create",
      await call(host, "/v1/embeddings", { ...auth, body: { model: "text-embedding-3-small", input: ["a", "b"] } }),
    );
    await settle();
    await conforms(
      "cache.query",
      await call(host, "/v1/cache/query", {
        ...auth,
        body: { prompt: "What does the OpenAPI document promise?", model: "gpt-4o-mini", user: "ada" },
      }),
    );
    expect(entry).not.toBeNull();
    await conforms("cache.entry.get", await call(host, `/v1/cache/entries/${entry}`, auth));
    const exported = (await conforms("cache.export", await call(host, "/v1/cache/export?user=ada", auth))) as unknown[];
    expect(exported.length).toBeGreaterThan(0);
    await conforms("cache.entry.delete", await call(host, `/v1/cache/entries/${entry}`, { ...auth, method: "DELETE" }));
    await conforms("cache.erase", await call(host, "/v1/cache/erase", { ...auth, body: { user: "ada" } }));
    await conforms("cache.erase", await call(host, "/v1/cache/erase", { ...auth, body: { all: true } }));

    await conforms("oauth.jwks", await call(host, "/.well-known/jwks.json"));
    await conforms("oauth.token", await requestToken(host, owner.id, owner.key));

    await settle();
    await expect
      .poll(async () => (await storedAuditEvents()).filter((e) => e.tenant === tenant).length, { timeout: 5000 })
      .toBeGreaterThan(10);
    await conforms("audit.list", await call(host, "/v1/audit?limit=50", auth));
    await conforms("audit.verify", await call(host, "/v1/audit/verify", auth));
    await conforms("analytics.read", await call(host, "/v1/analytics", auth));
    await conforms("analytics.read", await call(host, "/v1/analytics?group_by=model", auth));

    await conforms(
      "master_key.rewrap",
      await call(PLATFORM, "/v1/admin/master-key/rewrap?limit=1", { ...root, method: "POST" }),
    );
    await conforms("audit.dead_letters", await call(PLATFORM, "/v1/admin/audit/dead-letters", root));
    await conforms("tenant.lockdown", await call(host, "/v1/admin/lockdown", { ...auth, method: "POST" }));
    await conforms("tenant.delete", await call(PLATFORM, `/v1/admin/tenants/${tenant}`, { ...root, method: "DELETE" }));
  });

  it("errors have the contract's shape, and the token endpoint RFC 6749's", async () => {
    const tenant = uniqueTenant("oaserr");
    await createTenant(tenant);
    const refused = await call(hostOf(tenant), "/v1/admin/keys", { token: rootToken(), body: { name: "x" } });
    expect(refused.status).toBe(400);
    parsed("key.create", ErrorBodySchema, await refused.json());
    const token = await requestToken(hostOf(tenant), "key_0000000000000000", "cdn_test_nope");
    expect(token.status).toBe(401);
    parsed("oauth.token", OAuthErrorBodySchema, await token.json());
  });
});
