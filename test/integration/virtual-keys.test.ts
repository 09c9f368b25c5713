// Virtual keys: a tenant's provider credentials. Created, listed and deleted through /v1/admin/virtual-keys; the
// secret is never returned (every response of this file is scanned; a preview shows at most its last four
// characters), never stored in clear (the tenant object's every table, both KV namespaces and the audit database
// are scanned), and used for exactly one thing: the upstream call. With the production provider (AI Gateway,
// fetch replaced by a spy) the upstream Authorization carries the virtual key for models of its provider,
// x-cordon-virtual-key selects one, and every upstream request turns AI Gateway's own cache off and names its
// tenant, so that AI Gateway can never serve one tenant's answer to another. The tenant record lists the
// providers the tenant holds keys for, and a miss asks the tenant's object only for those.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { aadOf } from "../../src/gateway/chat/upstream-credential";
import { getRuntime } from "../../src/gateway/runtime";
import type { TenantRecord } from "../../src/gateway/storage/records";
import { upstreamCompletion } from "../fixtures/upstream";
import {
  aiGatewayEnv,
  auditEvents,
  type CallInit,
  call,
  chatBody,
  createKey,
  expectError,
  setPolicy,
  settle,
  tenantObjectOf,
  tenantWithKey,
} from "../helpers";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** A made-up provider credential: a recognisable prefix and 40 random characters. */
const newSecret = (prefix: string) =>
  `${prefix}-${Array.from(crypto.getRandomValues(new Uint8Array(40)), (b) => ALPHABET[b % 62]).join("")}`;

const aiGateway = aiGatewayEnv({
  PROVIDER_API_KEY: "deployment-provider-key",
  AI_GATEWAY_TOKEN: "gateway-token-value",
});

const completion = upstreamCompletion;

/** Every secret made in this file, and every response text the gateway sent. */
const secrets: string[] = [];
const responses: string[] = [];

/** Calls the gateway and keeps the whole response (status line, headers, body) for the final scan. */
async function send(host: string, path: string, init: CallInit = {}) {
  const res = await call(host, path, init);
  const text = await res.text();
  await settle();
  responses.push(`${res.status}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n${text}`);
  return { res, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

/**
 * No secret in `text`: not even 8 consecutive characters of a secret's random part (its last 40; a preview shows
 * 4; 8 random characters turn up by chance in this file's kilobytes of hashes and ciphertext less than once in a million runs).
 */
function expectNoSecret(text: string, what: string) {
  for (const s of secrets) {
    const random = s.slice(-40);
    for (let i = 0; i + 8 <= random.length; i++) {
      expect(text.includes(random.slice(i, i + 8)), `${what} holds part of a secret`).toBe(false);
    }
  }
}

interface Upstream {
  url: string;
  headers: Headers;
  body: Record<string, unknown>;
}

/** An answer as the provider sends it: whole, or as a stream when the request asked for one. */
function answerTo(body: Record<string, unknown>, content: string): Response {
  if (body.stream !== true) return Response.json(completion(content));
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "openai/gpt-4o-mini", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  return new Response(`${chunk({ role: "assistant", content }, null)}${chunk({}, "stop")}data: [DONE]\n\n`, {
    headers: { "content-type": "text/event-stream" },
  });
}

/** Replaces fetch (AI Gateway) and records every upstream request. */
function spyUpstream(answer: (body: Record<string, unknown>) => Response = (body) => answerTo(body, "Paris.")) {
  const seen: Upstream[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const i = init as RequestInit;
    const body = JSON.parse(i.body as string) as Record<string, unknown>;
    seen.push({ url: String(input), headers: new Headers(i.headers), body });
    return answer(body);
  });
  return seen;
}

afterEach(() => {
  vi.restoreAllMocks();
});

// The tenant record lists the providers its object holds virtual keys for, so that a miss of a tenant without a
// key for the model's provider sends the deployment's credential without a round trip to the object. The list is
// kept current by every change; a record that does not list the provider is trusted, one that lists it or
// predates the list, or a named key, sends the request to the object, which alone decides: a deleted key is never
// sent, whatever the record says. (Before "virtual keys", so that its last test scans these responses too.)
describe("the tenant record lists its virtual-key providers", async () => {
  const t = await tenantWithKey("vkp");
  const admin = await createKey(t.tenant, { role: "admin" });
  const recordKey = `_tenant:${t.tenant}`;
  const listed = async () => (await env.TENANTS.get<TenantRecord>(recordKey, "json"))?.virtual_key_providers;

  async function createVk(provider: string): Promise<{ id: string; secret: string }> {
    const secret = newSecret(`sk-${provider}`);
    secrets.push(secret);
    const r = await send(t.host, "/v1/admin/virtual-keys", {
      token: admin,
      body: { name: provider, provider, api_key: secret },
    });
    expect(r.res.status, r.text).toBe(201);
    return { id: r.json().id as string, secret };
  }
  async function deleteVk(id: string) {
    expect((await send(t.host, `/v1/admin/virtual-keys/${id}`, { method: "DELETE", token: admin })).res.status).toBe(
      200,
    );
  }
  /** A miss for `openai/gpt-4o-mini`; returns the Authorization it was sent upstream with. */
  async function missWith(headers: Record<string, string> = {}): Promise<string | null> {
    const seen = spyUpstream();
    const r = await send(t.host, "/v1/chat/completions", {
      env: aiGateway,
      token: t.key,
      headers,
      body: chatBody(`A question never asked before, ${crypto.randomUUID()}?`, { model: "openai/gpt-4o-mini" }),
    });
    vi.restoreAllMocks();
    expect(r.res.headers.get("x-cache"), r.text).toBe("MISS");
    expect(seen).toHaveLength(1);
    return seen[0]!.headers.get("authorization");
  }
  /** Rewrites the projected record as a location might still hold it (KV's edge cache, an older projection). */
  async function projectAs(providers: string[] | undefined) {
    const { virtual_key_providers: _, ...rest } = (await env.TENANTS.get<TenantRecord>(recordKey, "json"))!;
    await env.TENANTS.put(recordKey, JSON.stringify(providers ? { ...rest, virtual_key_providers: providers } : rest));
  }

  it("kept current by every change: created, deleted, the last of a provider deleted, a policy change", async () => {
    expect(await listed()).toEqual([]);
    const first = await createVk("openai");
    const second = await createVk("openai");
    const anthropic = await createVk("anthropic");
    expect(await listed()).toEqual(["anthropic", "openai"]);
    await deleteVk(first.id);
    expect(await listed()).toEqual(["anthropic", "openai"]);
    await deleteVk(anthropic.id);
    expect(await listed()).toEqual(["openai"]);
    await setPolicy(t.tenant, { ttl_seconds: 600 });
    expect(await listed()).toEqual(["openai"]);
    await deleteVk(second.id);
    expect(await listed()).toEqual([]);
  });

  it("a provider the record does not list gets the deployment's credential, without asking the object", async () => {
    const held = await createVk("openai");
    try {
      expect(await missWith()).toBe(`Bearer ${held.secret}`);
      // The object holds a key, but the record read here does not list its provider yet: not asked, not used.
      await projectAs([]);
      expect(await missWith()).toBe("Bearer deployment-provider-key");
      // Naming the key asks the object whatever the record says.
      expect(await missWith({ "x-cordon-virtual-key": held.id })).toBe(`Bearer ${held.secret}`);
      // A record projected before the list existed: the object is asked.
      await projectAs(undefined);
      expect(await missWith()).toBe(`Bearer ${held.secret}`);
    } finally {
      await deleteVk(held.id);
    }
  });

  it("a deleted key is never sent, even while a record still lists its provider", async () => {
    const gone = await createVk("openai");
    await deleteVk(gone.id);
    await projectAs(["openai"]);
    expect(await missWith()).toBe("Bearer deployment-provider-key");
  });
});

describe("virtual keys", async () => {
  const a = await tenantWithKey("vka");
  const aAdmin = await createKey(a.tenant, { role: "admin" });
  const b = await tenantWithKey("vkb");
  const bAdmin = await createKey(b.tenant, { role: "admin" });
  const created: Record<string, { id: string; secret: string }> = {};

  async function createVk(host: string, token: string, name: string, provider: string) {
    const secret = newSecret(`sk-${name}`);
    secrets.push(secret);
    const r = await send(host, "/v1/admin/virtual-keys", { token, body: { name, provider, api_key: secret } });
    expect(r.res.status, r.text).toBe(201);
    return { id: r.json().id as string, secret, view: r.json() };
  }

  it("create, list and delete; the view shows at most the last four characters", async () => {
    const made = await createVk(a.host, aAdmin, "primary", "openai");
    expect(made.view).toEqual({
      id: made.id,
      object: "virtual_key",
      name: "primary",
      provider: "openai",
      preview: `…${made.secret.slice(-4)}`,
      created_at: expect.any(String),
      created_by: expect.stringMatching(/^key:key_/),
    });
    expect(made.id).toMatch(/^vk_[0-9A-Za-z]{16}$/);

    const list = await send(a.host, "/v1/admin/virtual-keys", { token: aAdmin });
    expect(list.res.status).toBe(200);
    expect((list.json().data as { id: string }[]).map((k) => k.id)).toEqual([made.id]);

    const deleted = await send(a.host, `/v1/admin/virtual-keys/${made.id}`, { method: "DELETE", token: aAdmin });
    expect(deleted.json()).toEqual({ id: made.id, object: "virtual_key", deleted: true });
    expect((await send(a.host, "/v1/admin/virtual-keys", { token: aAdmin })).json().data).toEqual([]);
    for (const id of [made.id, "vk_0000000000000000", "not-a-key", "vk_../../x"]) {
      const again = await send(a.host, `/v1/admin/virtual-keys/${encodeURIComponent(id)}`, {
        method: "DELETE",
        token: aAdmin,
      });
      expect(again.res.status).toBe(404);
    }
  });

  it("the operator manages them too; a key without virtual_keys:manage cannot, and nothing is created", async () => {
    const byOperator = await createVk(a.host, env.ROOT_TOKEN, "operator-made", "anthropic");
    expect(byOperator.view.created_by).toBe("operator");
    expect(
      (await send(a.host, `/v1/admin/virtual-keys/${byOperator.id}`, { method: "DELETE", token: env.ROOT_TOKEN })).res
        .status,
    ).toBe(200);

    const secret = newSecret("sk-denied");
    secrets.push(secret);
    const denied = await call(a.host, "/v1/admin/virtual-keys", {
      token: a.key,
      body: { name: "denied", provider: "openai", api_key: secret },
    });
    const deniedText = await denied.clone().text();
    responses.push(deniedText);
    await expectError(denied, 403, "insufficient_scope", "permission_error");
    expect((await send(a.host, "/v1/admin/virtual-keys", { token: aAdmin })).json().data).toEqual([]);
  });

  it("refuses malformed credentials without echoing them", async () => {
    for (const body of [
      { name: "x", provider: "openai", api_key: `sk-with space-${newSecret("sp")}` },
      { name: "x", provider: "OpenAI", api_key: newSecret("sk-case") },
      { name: "x", provider: "openai", api_key: newSecret("sk-extra"), scope: "all" },
      { name: "", provider: "openai", api_key: newSecret("sk-noname") },
    ]) {
      secrets.push(body.api_key.replace("sk-with space-", ""));
      const r = await send(a.host, "/v1/admin/virtual-keys", { token: aAdmin, body });
      expect(r.res.status, JSON.stringify(body)).toBe(400);
      expect((r.json().error as { type: string }).type).toBe("invalid_request_error");
    }
    expect((await send(a.host, "/v1/admin/virtual-keys", { token: aAdmin })).json().data).toEqual([]);
  });

  it("is stored sealed: the tenant object holds no plaintext in any table; the sealed value opens only as itself", async () => {
    const made = await createVk(a.host, aAdmin, "sealed", "openai");
    created.sealed = made;
    const dump = await runInDurableObject(tenantObjectOf(a.tenant), (_, state) => {
      const tables = state.storage.sql
        .exec<{ name: string }>(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'`,
        )
        .toArray()
        .map((r) => r.name);
      return Object.fromEntries(tables.map((t) => [t, state.storage.sql.exec(`SELECT * FROM "${t}"`).toArray()]));
    });
    expect(Object.keys(dump)).toContain("virtual_keys");
    expect(dump.virtual_keys).toHaveLength(1);
    const text = JSON.stringify(dump, (_, v) => (v instanceof ArrayBuffer ? [...new Uint8Array(v)] : v));
    expect(text).not.toContain(made.secret);
    expectNoSecret(text.replace(`"preview":"${made.secret.slice(-4)}"`, ""), "the tenant object");

    // The sealed value is the credential under the tenant's data key, bound to this tenant and this id.
    const record = JSON.parse(String((dump.virtual_keys![0] as { record: string }).record)) as { sealed: string };
    const rt = await getRuntime(env);
    const keyringA = await rt.tenantKeyring((await rt.tenantDirectory.get(a.tenant))!);
    const keyringB = await rt.tenantKeyring((await rt.tenantDirectory.get(b.tenant))!);
    expect(await keyringA.openSecret(record.sealed, aadOf(a.tenant, made.id))).toBe(made.secret);
    await expect(keyringA.openSecret(record.sealed, aadOf(b.tenant, made.id))).rejects.toThrow();
    await expect(keyringA.openSecret(record.sealed, aadOf(a.tenant, "vk_0000000000000000"))).rejects.toThrow();
    await expect(keyringB.openSecret(record.sealed, aadOf(a.tenant, made.id))).rejects.toThrow();
  });

  it("is used upstream for models of its provider; the deployment's key for other providers", async () => {
    const seen = spyUpstream();
    const older = created.sealed!;
    const newer = await createVk(a.host, aAdmin, "newer", "openai");
    created.newer = newer;
    const ask = (model: string, content: string, headers: Record<string, string> = {}) =>
      send(a.host, "/v1/chat/completions", {
        env: aiGateway,
        token: a.key,
        headers,
        body: { model, messages: [{ role: "user", content }] },
      });

    expect((await ask("openai/gpt-4o-mini", "Capital of France?")).res.status).toBe(200);
    expect(
      (await ask("openai/gpt-4o-mini", "Capital of Italy?", { "x-cordon-virtual-key": older.id })).res.status,
    ).toBe(200);
    expect((await ask("anthropic/claude-3-5-haiku", "Capital of Spain?")).res.status).toBe(200);
    expect(seen.map((u) => u.headers.get("authorization"))).toEqual([
      `Bearer ${newer.secret}`,
      `Bearer ${older.secret}`,
      "Bearer deployment-provider-key",
    ]);
    for (const u of seen) {
      expect(u.url).toBe("https://gateway.ai.cloudflare.com/v1/acct0123/cordon-gw/compat/chat/completions");
      expect(u.headers.get("cf-aig-authorization")).toBe("Bearer gateway-token-value");
      // The request's own headers never go upstream.
      expect(u.headers.get("x-cordon-virtual-key")).toBeNull();
      expect(JSON.stringify(u.body)).not.toContain("sk-");
    }
    // A hit calls nobody.
    expect((await ask("openai/gpt-4o-mini", "Capital of France?")).res.headers.get("x-cache")).toBe("HIT-EXACT");
    expect(seen).toHaveLength(3);
  });

  it("a named key must exist in this tenant: malformed, unknown, deleted or another tenant's ids are 404, no call", async () => {
    const seen = spyUpstream();
    const bKey = await createVk(b.host, bAdmin, "b-openai", "openai");
    const gone = await createVk(a.host, aAdmin, "to-delete", "openai");
    await send(a.host, `/v1/admin/virtual-keys/${gone.id}`, { method: "DELETE", token: aAdmin });
    for (const named of ["vk_short", "VK_0000000000000000", " ", "vk_0000000000000000", gone.id, bKey.id]) {
      const r = await send(a.host, "/v1/chat/completions", {
        env: aiGateway,
        token: a.key,
        headers: { "x-cordon-virtual-key": named },
        body: chatBody(`Capital of Portugal, asked with ${named}?`, { model: "openai/gpt-4o-mini" }),
      });
      expect(r.res.status, named).toBe(404);
      expect((r.json().error as { code: string }).code).toBe("virtual_key_not_found");
    }
    expect(seen).toHaveLength(0);
  });

  it("regression: a key named for a model of another provider is refused, never sent to that provider", async () => {
    const seen = spyUpstream();
    const anthropic = await createVk(a.host, aAdmin, "anthropic", "anthropic");
    const r = await send(a.host, "/v1/chat/completions", {
      env: aiGateway,
      token: a.key,
      headers: { "x-cordon-virtual-key": anthropic.id },
      body: chatBody("Capital of Greece?", { model: "openai/gpt-4o-mini" }),
    });
    expect(r.res.status).toBe(404);
    expect((r.json().error as { code: string }).code).toBe("virtual_key_not_found");
    expect(seen).toHaveLength(0);
    await send(a.host, `/v1/admin/virtual-keys/${anthropic.id}`, { method: "DELETE", token: aAdmin });
  });

  it("after deletion the deployment's key is used again", async () => {
    const seen = spyUpstream();
    for (const k of [created.sealed!, created.newer!]) {
      expect(
        (await send(a.host, `/v1/admin/virtual-keys/${k.id}`, { method: "DELETE", token: aAdmin })).res.status,
      ).toBe(200);
    }
    await send(a.host, "/v1/chat/completions", {
      env: aiGateway,
      token: a.key,
      body: chatBody("Capital of Austria?", { model: "openai/gpt-4o-mini" }),
    });
    expect(seen.map((u) => u.headers.get("authorization"))).toEqual(["Bearer deployment-provider-key"]);
  });

  it("an upstream error that echoes the credential is not passed through", async () => {
    const made = await createVk(a.host, aAdmin, "echoed", "openai");
    spyUpstream(
      () =>
        new Response(JSON.stringify({ error: { message: `Incorrect API key provided: ${made.secret}` } }), {
          status: 401,
        }),
    );
    const r = await send(a.host, "/v1/chat/completions", {
      env: aiGateway,
      token: a.key,
      body: chatBody("Capital of Norway?", { model: "openai/gpt-4o-mini" }),
    });
    // A provider refusing the credential is Cordon's configuration problem, said in Cordon's words.
    expect(r.res.status).toBe(502);
    expect((r.json().error as { code: string }).code).toBe("provider_auth_failed");
    expect(JSON.stringify(r.json())).not.toContain(made.secret);
  });

  it("AI Gateway's cache never mixes tenants: every upstream request skips it and names its tenant", async () => {
    let calls = 0;
    const seen = spyUpstream((sent) =>
      // The first attempt of each request fails once, so that retries are checked too.
      ++calls % 2 === 1 ? new Response("busy", { status: 503 }) : answerTo(sent, "Vienna."),
    );
    const body = { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Capital of Austria, again?" }] };
    for (const t of [a, b]) {
      const r = await send(t.host, "/v1/chat/completions", { env: aiGateway, token: t.key, body });
      expect(r.res.status).toBe(200);
      expect(r.res.headers.get("x-cache")).toBe("MISS");
    }
    const streamed = await send(b.host, "/v1/chat/completions", {
      env: aiGateway,
      token: b.key,
      headers: { "x-cache-control": "no-cache" },
      body: { ...body, stream: true },
    });
    expect(streamed.res.status).toBe(200);

    expect(seen).toHaveLength(6);
    for (const u of seen) expect(u.headers.get("cf-aig-skip-cache")).toBe("true");
    expect(seen.map((u) => JSON.parse(u.headers.get("cf-aig-metadata")!))).toEqual([
      { tenant: a.tenant },
      { tenant: a.tenant },
      { tenant: b.tenant },
      { tenant: b.tenant },
      { tenant: b.tenant },
      { tenant: b.tenant },
    ]);
  });

  it("no response of this file, no KV value and no audit row holds a secret", async () => {
    for (const text of responses) expectNoSecret(text, "a response");
    for (const ns of [env.TENANTS, env.CACHE]) {
      let cursor: string | undefined;
      do {
        const page = await ns.list(cursor ? { cursor } : {});
        for (const k of page.keys) expectNoSecret((await ns.get(k.name)) ?? "", `KV ${k.name}`);
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
    }
    for (const t of [a.tenant, b.tenant]) {
      for (const { raw } of await auditEvents(t)) expectNoSecret(raw, "an audit row");
    }
    expect(responses.length).toBeGreaterThan(20);
  });
});

describe("a virtual key created around its tenant's deletion", () => {
  it("regression: never lands in a tenant created again under the same id, whose data key is another", async () => {
    const id = `vkre-${Math.random().toString(36).slice(2, 8)}`;
    const root = { token: env.ROOT_TOKEN };
    expect((await call("cordon.test", "/v1/admin/tenants", { ...root, body: { id } })).status).toBe(201);
    const before = await env.TENANTS.get(`_tenant:${id}`);
    expect((await call("cordon.test", `/v1/admin/tenants/${id}`, { ...root, method: "DELETE" })).status).toBe(200);
    expect((await call("cordon.test", "/v1/admin/tenants", { ...root, body: { id } })).status).toBe(201);

    // A request that read the tenant record before the deletion (KV's edge cache) seals under the destroyed key.
    const staleTenants = new Proxy(env.TENANTS, {
      get(target, prop) {
        const value = Reflect.get(target, prop) as unknown;
        if (prop === "get") {
          return (key: string, opts?: unknown) =>
            key === `_tenant:${id}`
              ? Promise.resolve(JSON.parse(before!))
              : (value as (k: string, o?: unknown) => unknown).call(target, key, opts);
        }
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as KVNamespace;
    const stale = { ...env, TENANTS: staleTenants } as CordonGateway.Env;
    const res = await call(`${id}.cordon.test`, "/v1/admin/virtual-keys", {
      ...root,
      body: { name: "old", provider: "openai", api_key: `sk-${"x".repeat(24)}` },
      env: stale,
    });
    await expectError(res, 404, "tenant_not_found", "invalid_request_error");
    expect(await tenantObjectOf(id).listVirtualKeys()).toEqual([]);
  });
});
