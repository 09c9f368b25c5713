// The tenant record's list of virtual-key providers: the tenant's object projects, with the record the request
// path reads, the providers it holds virtual keys for, so that a miss of a tenant without a key for the model's
// provider sends the deployment's credential without a round trip to the object. The list is kept current by
// every change (created, deleted, the last of a provider deleted, any other change of the record); a record
// that does not list the provider is trusted, one that lists it, or predates the list, or a named key, sends the
// request to the object, which alone decides what is sent: a deleted key never is, whatever the record says.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tenantsKv } from "../../src/gateway/storage/kv-keys";
import { call, chatBody, createKey, setPolicy, settle, tenantWithKey } from "../helpers";

const aiGatewayEnv = {
  ...env,
  PROVIDER: "ai-gateway",
  AI_GATEWAY_ACCOUNT_ID: "acct0123",
  AI_GATEWAY_ID: "cordon-gw",
  PROVIDER_API_KEY: "deployment-provider-key",
} as CordonGateway.Env;

/** Replaces fetch (AI Gateway) and records the Authorization of every upstream request. */
function spyUpstream(): string[] {
  const sent: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
    sent.push(new Headers((init as RequestInit).headers).get("authorization") ?? "");
    return Response.json({
      id: "chatcmpl-upstream",
      object: "chat.completion",
      created: 1,
      model: "openai/gpt-4o-mini",
      choices: [{ index: 0, message: { role: "assistant", content: "An answer." }, finish_reason: "stop" }],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    });
  });
  return sent;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the tenant record lists its virtual-key providers", async () => {
  const t = await tenantWithKey("vkp");
  const admin = await createKey(t.tenant, { role: "admin" });
  const recordKey = tenantsKv.tenant(t.tenant);
  const listed = async () =>
    ((await env.TENANTS.get<Record<string, unknown>>(recordKey, "json"))?.virtual_key_providers ?? null) as
      | string[]
      | null;

  async function createVk(provider: string): Promise<{ id: string; secret: string }> {
    const secret = `sk-${provider}-${crypto.randomUUID()}`;
    const res = await call(t.host, "/v1/admin/virtual-keys", {
      token: admin,
      body: { name: provider, provider, api_key: secret },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    await settle();
    return { id: ((await res.json()) as { id: string }).id, secret };
  }
  async function deleteVk(id: string) {
    const res = await call(t.host, `/v1/admin/virtual-keys/${id}`, { method: "DELETE", token: admin });
    expect(res.status).toBe(200);
    await settle();
  }
  /** A miss for `openai/gpt-4o-mini`; returns the Authorization it was sent upstream with. */
  async function missWith(headers: Record<string, string> = {}): Promise<string> {
    const sent = spyUpstream();
    const res = await call(t.host, "/v1/chat/completions", {
      env: aiGatewayEnv,
      token: t.key,
      headers,
      body: chatBody(`A question never asked before, ${crypto.randomUUID()}?`, { model: "openai/gpt-4o-mini" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-cache")).toBe("MISS");
    await settle();
    vi.restoreAllMocks();
    expect(sent).toHaveLength(1);
    return sent[0]!;
  }
  /** Rewrites the projected record as a location might still hold it (KV's edge cache, an older projection). */
  async function projectAs(providers: string[] | undefined) {
    const record = (await env.TENANTS.get<Record<string, unknown>>(recordKey, "json"))!;
    const { virtual_key_providers: _, ...rest } = record;
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
