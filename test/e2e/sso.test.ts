// Single sign-on end to end: a real OpenID Provider (oidc-provider, in this process) issues RFC 9068 JWT access
// tokens by the client-credentials grant; a tenant points its policy's `oidc` at it through the admin API; and
// those tokens — fetched over HTTP, never made by hand — are presented to the gateway under `wrangler dev`.
// Each provider client stands for a user in some groups (the `groups` claim); the tenant maps two of them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Reply } from "./client";
import { call, cordon, tenantWithKey } from "./cordon";
import { GROUPS_CLAIM, type OpenIdProvider, type OpenIdProviderOptions, startOpenIdProvider } from "./openid-provider";

const AUDIENCE = "https://cordon.e2e.test/api";
const OTHER_AUDIENCE = "https://billing.e2e.test/api";
const ROLE_MAP = { "cordon-admins": "admin", "cordon-viewers": "viewer" } as const;
const CLIENTS = {
  "alice-admin": ["staff", "cordon-admins"],
  "victor-viewer": ["cordon-viewers"],
  "mallory-marketing": ["staff", "marketing"],
  "bob-both": ["cordon-admins", "cordon-viewers"],
  // A directory user in 150 groups, named by GUID as Entra ID names them: a token of about 8 KB.
  "grace-many-groups": [
    ...Array.from({ length: 150 }, (_, i) => `6f1c2a9e-0000-4000-8000-${i.toString(16).padStart(12, "0")}`),
    "cordon-admins",
  ],
};
type Client = keyof typeof CLIENTS;

const CHAT = { model: "gpt-4o-mini", messages: [{ role: "user", content: "What is the capital of France?" }] };
const QUERY = { prompt: "What is the capital of France?", model: "gpt-4o-mini" };

const oidcOf = (op: OpenIdProvider, over: Record<string, unknown> = {}) => ({
  issuer: op.issuer,
  audience: AUDIENCE,
  jwks_uri: op.jwksUri,
  role_claim: GROUPS_CLAIM,
  role_map: ROLE_MAP,
  ...over,
});

/** GET the tenant's policy, PUT it back with `oidc` set (operator token), as a tenant administrator would. */
async function configureSso(host: string, oidc: Record<string, unknown>): Promise<void> {
  const token = cordon().rootToken;
  const got = await call("GET", host, "/v1/admin/policy", { token });
  expect(got.status, got.text).toBe(200);
  const { policy } = got.json<{ policy: Record<string, unknown> }>();
  expect(policy.oidc).toBeNull();
  const put = await call("PUT", host, "/v1/admin/policy", { token, body: { ...policy, oidc } });
  expect(put.status, put.text).toBe(200);
  expect(put.json<{ policy: { oidc: unknown } }>().policy.oidc).toEqual(oidc);
}

const headerOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString());

/** A refusal in the contract's shape that gives nothing of the presented token back. */
function expectRefusal(res: Reply, status: 401 | 403, code: string, token: string): void {
  expect(res.status, res.text).toBe(status);
  const { error } = res.json<{ error: Record<string, string> }>();
  expect(Object.keys(error).sort()).toEqual(["code", "message", "request_id", "type"]);
  expect(error.type).toBe(status === 401 ? "authentication_error" : "permission_error");
  expect(error.code).toBe(code);
  expect(error.request_id).toBe(res.headers["x-request-id"]);
  const everything = `${res.text}\n${JSON.stringify(res.headers)}`;
  for (const segment of token.split(".")) expect(everything).not.toContain(segment);
}

let idp: OpenIdProvider;
let acme: Awaited<ReturnType<typeof tenantWithKey>>;
const providers: OpenIdProvider[] = [];

async function provider(signing: Pick<OpenIdProviderOptions, "alg" | "kidInTokens"> = {}): Promise<OpenIdProvider> {
  const op = await startOpenIdProvider({ clients: CLIENTS, resources: [AUDIENCE, OTHER_AUDIENCE], ...signing });
  providers.push(op);
  return op;
}

const tokenOf = (client: Client, resource = AUDIENCE, op = idp) => op.token(client, resource);

beforeAll(async () => {
  idp = await provider();
  acme = await tenantWithKey("sso");
  await configureSso(acme.host, oidcOf(idp));
});

afterAll(async () => {
  await Promise.all(providers.map((op) => op.stop()));
});

describe("single sign-on with a real OpenID Provider: roles", () => {
  it("lets a token of an admin group use the admin API and chat", async () => {
    const token = await tokenOf("alice-admin");
    const keys = await call("GET", acme.host, "/v1/admin/keys", { token });
    expect(keys.status, keys.text).toBe(200);
    expect(keys.json<{ data: { name: string }[] }>().data.map((k) => k.name)).toContain("e2e");
    const chat = await call("POST", acme.host, "/v1/chat/completions", { token, body: CHAT });
    expect(chat.status, chat.text).toBe(200);
  });

  it("holds a token of a viewer group to the viewer's scopes: cache reads, no admin API, no chat", async () => {
    const token = await tokenOf("victor-viewer");
    expectRefusal(await call("GET", acme.host, "/v1/admin/keys", { token }), 403, "insufficient_scope", token);
    expectRefusal(
      await call("POST", acme.host, "/v1/chat/completions", { token, body: CHAT }),
      403,
      "insufficient_scope",
      token,
    );
    // An answer the admin's question stored is there for the viewer to read.
    const admin = await tokenOf("alice-admin");
    const asked = { model: CHAT.model, messages: [{ role: "user", content: "Who wrote Les Misérables?" }] };
    expect((await call("POST", acme.host, "/v1/chat/completions", { token: admin, body: asked })).status).toBe(200);
    const read = async () => {
      const res = await call("POST", acme.host, "/v1/cache/query", {
        token,
        body: { prompt: asked.messages[0]!.content, model: CHAT.model },
      });
      expect(res.status, res.text).toBe(200);
      return res.json<{ cache_hit: boolean }>().cache_hit;
    };
    await expect.poll(read, { timeout: 5000 }).toBe(true);
  });

  it("refuses a token whose groups map to no role", async () => {
    const token = await tokenOf("mallory-marketing");
    expectRefusal(
      await call("POST", acme.host, "/v1/cache/query", { token, body: QUERY }),
      401,
      "invalid_token",
      token,
    );
  });

  it("gives a token in an admin and a viewer group the least privileged role, viewer", async () => {
    const token = await tokenOf("bob-both");
    expectRefusal(await call("GET", acme.host, "/v1/admin/keys", { token }), 403, "insufficient_scope", token);
    const query = await call("POST", acme.host, "/v1/cache/query", { token, body: QUERY });
    expect(query.status, query.text).toBe(200);
  });
});

describe("single sign-on with a real OpenID Provider: tokens shaped unlike Cordon's own", () => {
  it("accepts a token longer than any of Cordon's (a user in many groups)", async () => {
    const token = await tokenOf("grace-many-groups");
    expect(token.length).toBeGreaterThan(4096); // longer than Cordon's own tokens may be
    const res = await call("GET", acme.host, "/v1/admin/keys", { token });
    expect(res.status, res.text).toBe(200);
  });

  it("accepts an ES256 token without kid (a provider with a single key)", async () => {
    const op = await provider({ alg: "ES256", kidInTokens: false });
    const tenant = await tenantWithKey("sso-es256");
    await configureSso(tenant.host, oidcOf(op));
    const token = await tokenOf("alice-admin", AUDIENCE, op);
    expect(headerOf(token)).toEqual({ alg: "ES256", typ: "at+jwt" });
    const res = await call("GET", tenant.host, "/v1/admin/keys", { token });
    expect(res.status, res.text).toBe(200);
  });
});

describe("single sign-on with a real OpenID Provider: whose tokens", () => {
  it("refuses the provider's token for another audience", async () => {
    const token = await tokenOf("alice-admin", OTHER_AUDIENCE);
    expectRefusal(await call("GET", acme.host, "/v1/admin/keys", { token }), 401, "invalid_token", token);
  });

  it("refuses the provider's token at a tenant whose policy names another issuer", async () => {
    const other = await tenantWithKey("sso-other");
    // Same keys, same audience: only the issuer differs, so only the issuer check can refuse.
    await configureSso(other.host, oidcOf(idp, { issuer: "https://login.other-idp.example" }));
    const token = await tokenOf("alice-admin");
    expectRefusal(await call("GET", other.host, "/v1/admin/keys", { token }), 401, "invalid_token", token);
  });

  it("refuses the provider's token at a tenant without single sign-on", async () => {
    const plain = await tenantWithKey("sso-none");
    const token = await tokenOf("alice-admin");
    expectRefusal(await call("GET", plain.host, "/v1/admin/keys", { token }), 401, "invalid_token", token);
  });
});

// Stateful, in this order: the provider's keys change under the gateway's cached key set, then it goes down.
describe("single sign-on with a real OpenID Provider: key rotation and outage", () => {
  let beforeRotation: string;

  it("refetches the key set for a token signed with a key rotated in since it was fetched", async () => {
    beforeRotation = await tokenOf("alice-admin");
    expect((await call("GET", acme.host, "/v1/admin/keys", { token: beforeRotation })).status).toBe(200);
    const kid = idp.rotateKeys();
    const rotated = await tokenOf("alice-admin");
    expect(headerOf(rotated).kid).toBe(kid);
    const res = await call("GET", acme.host, "/v1/admin/keys", { token: rotated });
    expect(res.status, res.text).toBe(200);
    // The old key is still published, so tokens it signed still verify.
    expect((await call("GET", acme.host, "/v1/admin/keys", { token: beforeRotation })).status).toBe(200);
  });

  it("fails closed for a key it has never seen while the provider is down", async () => {
    const kid = idp.rotateKeys();
    const unseen = await tokenOf("alice-admin");
    expect(headerOf(unseen).kid).toBe(kid);
    await idp.stop();
    // No key to check it with: the provider does not answer (and the refetch an unknown kid may cause per 30 s
    // was spent on the rotation above).
    expectRefusal(await call("GET", acme.host, "/v1/admin/keys", { token: unseen }), 401, "invalid_token", unseen);
    // A key fetched before the outage still verifies, within the key set's lifetime (10 minutes).
    expect((await call("GET", acme.host, "/v1/admin/keys", { token: beforeRotation })).status).toBe(200);
  });

  it("fails closed when the provider is down before its key set was ever fetched", async () => {
    const op = await provider();
    const tenant = await tenantWithKey("sso-down");
    await configureSso(tenant.host, oidcOf(op));
    const token = await tokenOf("alice-admin", AUDIENCE, op);
    await op.stop();
    expectRefusal(await call("GET", tenant.host, "/v1/admin/keys", { token }), 401, "invalid_token", token);
  });
});

describe("single sign-on with a real OpenID Provider: lockdown", () => {
  it("refuses a token issued before the tenant's lockdown", async () => {
    const op = await provider();
    const tenant = await tenantWithKey("sso-lock");
    await configureSso(tenant.host, oidcOf(op));
    const token = await tokenOf("alice-admin", AUDIENCE, op);
    expect((await call("GET", tenant.host, "/v1/admin/keys", { token })).status).toBe(200);
    const lock = await call("POST", tenant.host, "/v1/admin/lockdown", { token: cordon().rootToken });
    expect(lock.status, lock.text).toBe(200);
    expectRefusal(await call("GET", tenant.host, "/v1/admin/keys", { token }), 401, "invalid_token", token);
  });
});
