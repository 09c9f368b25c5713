// Master-key rotation, end to end: tenants, API keys, a virtual key and cache entries made under master A; the
// gateway restarted with MASTER_KEY=B and MASTER_KEY_PREVIOUS=A keeps authenticating and serving them (API-key
// hashes come from the platform key, which outlives the master); POST /v1/admin/master-key/rewrap (operator,
// platform host, paged) re-wraps every tenant's data key and the platform key under B; then B alone runs
// everything, and A alone nothing. No entry is ever re-encrypted: every sealed body and key record in KV is
// byte-identical before and after.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { dataKeyLabel, MasterKeyring, PLATFORM_KEY_LABEL } from "../../src/gateway/crypto/master-keyring";
import { UNRESOLVED_TENANT } from "../../src/shared/audit-event";
import {
  auditEventOf,
  call,
  chatBody,
  createKey,
  createTenant,
  expectError,
  hostOf,
  PLATFORM,
  rootToken,
  settle,
  tenantObjectOf,
  uniqueTenant,
} from "../helpers";

const A = env.MASTER_KEY;
const B = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const withEnv = (over: Record<string, string | undefined>) => {
  const e = { ...env, ...over } as Record<string, unknown>;
  for (const [k, v] of Object.entries(over)) if (v === undefined) delete e[k];
  return e as unknown as CordonGateway.Env;
};
const rotating = withEnv({ MASTER_KEY: B, MASTER_KEY_PREVIOUS: A });
const rotated = withEnv({ MASTER_KEY: B, MASTER_KEY_PREVIOUS: undefined });
const oldOnly = withEnv({ MASTER_KEY: A, MASTER_KEY_PREVIOUS: undefined });
const aiGateway = {
  PROVIDER: "ai-gateway",
  AI_GATEWAY_ACCOUNT_ID: "acct0123",
  AI_GATEWAY_ID: "cordon-gw",
  PROVIDER_API_KEY: "deployment-provider-key",
};
const rotatedViaAiGateway = withEnv({ ...aiGateway, MASTER_KEY: B, MASTER_KEY_PREVIOUS: undefined });

const PAIRS: readonly (readonly [string, string])[] = [
  ["What is the boiling point of water at sea level?", "what is the boiling point of water at sea level"],
  ["Who painted the Mona Lisa?", "who painted the mona lisa"],
];

interface Tenant {
  tenant: string;
  host: string;
  key: string;
  entries: string[];
}

/** Everything in both KV namespaces, as raw strings (values included). */
async function kvDump(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [label, ns] of [
    ["TENANTS", env.TENANTS],
    ["CACHE", env.CACHE],
  ] as const) {
    let cursor: string | undefined;
    do {
      const page = await ns.list(cursor ? { cursor } : {});
      for (const k of page.keys) out.set(`${label}/${k.name}`, (await ns.get(k.name)) ?? "");
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
  }
  return out;
}

const wrappedInKv = async (tenant: string) =>
  ((await env.TENANTS.get(`_tenant:${tenant}`, "json")) as { wrapped_data_key: string }).wrapped_data_key;
const wrappedInObject = (tenant: string) =>
  runInDurableObject(tenantObjectOf(tenant), (_, state) => {
    const row = state.storage.sql.exec<{ record: string }>(`SELECT record FROM tenant`).one();
    return (JSON.parse(row.record) as { wrapped_data_key: string }).wrapped_data_key;
  });

async function ask(e: CordonGateway.Env, t: Tenant, prompt: string, user: string | null = null) {
  const res = await call(t.host, "/v1/chat/completions", {
    env: e,
    token: t.key,
    body: chatBody(prompt),
    headers: { "x-cache-control": "no-store", ...(user === null ? {} : { "x-cache-user": user }) },
  });
  const text = await res.text();
  await settle();
  expect(res.status, text).toBe(200);
  return res.headers.get("x-cache");
}

/** The tenant's old entries are all served, on both tiers, tenant-wide and for its user. */
async function expectServed(e: CordonGateway.Env, t: Tenant) {
  const [[p, reworded], [userPrompt, userReworded]] = PAIRS as [[string, string], [string, string]];
  expect(await ask(e, t, p)).toBe("HIT-EXACT");
  expect(await ask(e, t, reworded)).toBe("HIT-SEMANTIC");
  expect(await ask(e, t, userPrompt, "alice")).toBe("HIT-EXACT");
  expect(await ask(e, t, userReworded, "alice")).toBe("HIT-SEMANTIC");
  for (const id of t.entries) {
    const got = await call(t.host, `/v1/cache/entries/${id}`, { env: e, token: t.key });
    expect(got.status).toBe(200);
    expect(((await got.json()) as { response: string }).response).toMatch(/^Local answer/);
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("master-key rotation", async () => {
  // Three tenants, so that the rewrap pages (limit=1) over more than one page.
  const tenants: Tenant[] = [];
  for (let i = 0; i < 3; i++) {
    const tenant = uniqueTenant("mk");
    await createTenant(tenant);
    const t: Tenant = { tenant, host: hostOf(tenant), key: await createKey(tenant), entries: [] };
    for (const [j, user] of [null, "alice"].entries()) {
      const res = await call(t.host, "/v1/chat/completions", {
        token: t.key,
        body: chatBody(PAIRS[j]![0]),
        headers: user === null ? {} : { "x-cache-user": user },
      });
      await res.text();
      t.entries.push(res.headers.get("x-cache-entry-id")!);
    }
    tenants.push(t);
  }
  const [first] = tenants as [Tenant];
  const vkSecret = `sk-rotation-${crypto.randomUUID()}`;
  const vk = await call(first.host, "/v1/admin/virtual-keys", {
    token: rootToken(),
    body: { name: "openai", provider: "openai", api_key: vkSecret },
  });
  expect(vk.status).toBe(201);
  await settle();

  const ringA = await MasterKeyring.fromSecrets(A);
  const ringB = await MasterKeyring.fromSecrets(B);
  const before = await kvDump();
  const wrappedBefore = await Promise.all(tenants.map((t) => wrappedInKv(t.tenant)));
  const platformBefore = before.get("TENANTS/_platform:key")!;

  it("starts with everything wrapped under A", async () => {
    for (const w of [...wrappedBefore, platformBefore]) expect(w.startsWith(`k2.${ringA.currentId}.`)).toBe(true);
    expect(ringA.currentId).not.toBe(ringB.currentId);
    for (const t of tenants) await expectServed(env, t);
  });

  it("with B current and A previous, keys still authenticate and old entries are still served", async () => {
    for (const t of tenants) await expectServed(rotating, t);
    // New entries work too (sealed under the same tenant data keys).
    const res = await call(first.host, "/v1/chat/completions", {
      env: rotating,
      token: first.key,
      body: chatBody("Name a prime number above 100."),
    });
    expect(res.status).toBe(200);
    await res.text();
    await settle();
    first.entries.push(res.headers.get("x-cache-entry-id")!);
    // Nothing was re-wrapped by merely running under B.
    expect(await Promise.all(tenants.map((t) => wrappedInKv(t.tenant)))).toEqual(wrappedBefore);
  });

  it("rewrap is the operator's, on the platform host only", async () => {
    await expectError(
      await call(first.host, "/v1/admin/master-key/rewrap", { env: rotating, method: "POST", token: rootToken() }),
      404,
      "not_found",
      "invalid_request_error",
    );
    const withKey = await call(PLATFORM, "/v1/admin/master-key/rewrap", {
      env: rotating,
      method: "POST",
      token: first.key,
    });
    expect([401, 403]).toContain(withKey.status);
    await withKey.text();
    await expectError(
      await call(PLATFORM, "/v1/admin/master-key/rewrap?limit=0", {
        env: rotating,
        method: "POST",
        token: rootToken(),
      }),
      400,
      "invalid_limit",
      "invalid_request_error",
    );
    await settle();
    expect(await Promise.all(tenants.map((t) => wrappedInKv(t.tenant)))).toEqual(wrappedBefore);
    expect(await env.TENANTS.get("_platform:key")).toBe(platformBefore);
  });

  it("rewrap pages over every tenant and re-wraps each data key and the platform key under B, keys unchanged", async () => {
    // Regression: the re-wrap read each data key from KV, whose copy may be older than the tenant's object's; the
    // object then refused the swap and the tenant was counted nowhere, its key left under A. Here one tenant's
    // KV copy is another wrapping of the same key (as a location's older copy would be).
    const stale = tenants[1]!;
    const record = (await env.TENANTS.get(`_tenant:${stale.tenant}`, "json")) as Record<string, unknown>;
    const label = dataKeyLabel(stale.tenant);
    const rewrappedUnderA = await ringA.wrap(label, (await ringA.unwrap(label, wrappedBefore[1]!)).raw);
    expect(rewrappedUnderA).not.toBe(wrappedBefore[1]);
    await env.TENANTS.put(`_tenant:${stale.tenant}`, JSON.stringify({ ...record, wrapped_data_key: rewrappedUnderA }));
    let cursor: string | null = null;
    let pages = 0;
    let rewrapped = 0;
    let requestId: string | null = null;
    do {
      const res = await call(
        PLATFORM,
        `/v1/admin/master-key/rewrap?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        { env: rotating, method: "POST", token: rootToken() },
      );
      expect(res.status).toBe(200);
      requestId ??= res.headers.get("x-request-id");
      const body = (await res.json()) as {
        object: string;
        master_key: string;
        platform_key: string | null;
        tenants_rewrapped: number;
        tenants_current: number;
        next_cursor: string | null;
      };
      expect(body.object).toBe("master_key.rewrap");
      expect(body.master_key).toBe(ringB.currentId);
      expect(body.platform_key).toBe(pages === 0 ? "rewrapped" : null);
      expect(body.tenants_rewrapped + body.tenants_current).toBe(1);
      rewrapped += body.tenants_rewrapped;
      cursor = body.next_cursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(rewrapped).toBe(3);
    await settle();
    expect(await auditEventOf(UNRESOLVED_TENANT, requestId)).toMatchObject({
      action: "master_key.rewrap",
      actor: "operator",
      status: 200,
    });

    // Raw storage: the KV projection and the object agree, both under B; the key inside is the same.
    for (const [i, t] of tenants.entries()) {
      const kv = await wrappedInKv(t.tenant);
      expect(kv.startsWith(`k2.${ringB.currentId}.`)).toBe(true);
      expect(await wrappedInObject(t.tenant)).toBe(kv);
      const label = dataKeyLabel(t.tenant);
      expect((await ringB.unwrap(label, kv)).raw).toEqual((await ringA.unwrap(label, wrappedBefore[i]!)).raw);
      await expect(ringA.unwrap(label, kv)).rejects.toThrow();
    }
    const platformAfter = (await env.TENANTS.get("_platform:key"))!;
    expect(platformAfter.startsWith(`k2.${ringB.currentId}.`)).toBe(true);
    expect((await ringB.unwrap(PLATFORM_KEY_LABEL, platformAfter)).raw).toEqual(
      (await ringA.unwrap(PLATFORM_KEY_LABEL, platformBefore)).raw,
    );

    // A second pass finds nothing left to do.
    const again = await call(PLATFORM, "/v1/admin/master-key/rewrap", {
      env: rotating,
      method: "POST",
      token: rootToken(),
    });
    expect(await again.json()).toMatchObject({ platform_key: "current", tenants_rewrapped: 0, tenants_current: 3 });
  });

  // Regression: a script's first call with an empty cursor (`?cursor=` before it has one) listed the tenants from the
  // start, as no cursor does, but skipped the platform key and answered `platform_key: null`, which means there is
  // none: the run ended with every tenant `current`, and a platform key still under the old master would have been
  // lost with it. An empty cursor is now the first page, platform key included.
  it("rewrap with an empty cursor is the first page: the platform key is re-wrapped or reported, never skipped", async () => {
    const res = await call(PLATFORM, "/v1/admin/master-key/rewrap?limit=200&cursor=", {
      env: rotating,
      method: "POST",
      token: rootToken(),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ platform_key: "current", tenants_rewrapped: 0, tenants_current: 3 });
  });

  it("with B alone everything still works, and no entry was re-encrypted: sealed bodies are byte-identical", async () => {
    for (const t of tenants) await expectServed(rotated, t);
    // The virtual key (sealed under the tenant data key) still opens for the upstream call.
    const upstream = vi.spyOn(globalThis, "fetch").mockImplementation(async () =>
      Response.json({
        object: "chat.completion",
        model: "openai/gpt-4o-mini",
        choices: [{ index: 0, message: { role: "assistant", content: "Paris." }, finish_reason: "stop" }],
      }),
    );
    const viaVk = await call(first.host, "/v1/chat/completions", {
      env: rotatedViaAiGateway,
      token: first.key,
      body: chatBody("Capital of France?", { model: "openai/gpt-4o-mini" }),
    });
    expect(viaVk.status).toBe(200);
    await viaVk.text();
    await settle();
    expect(new Headers((upstream.mock.calls[0]![1] as RequestInit).headers).get("authorization")).toBe(
      `Bearer ${vkSecret}`,
    );

    const after = await kvDump();
    let bodies = 0;
    for (const [key, value] of before) {
      if (key === "TENANTS/_platform:key" || /^TENANTS\/_tenant:/.test(key)) continue;
      // Every sealed body, exact-tier pointer, API-key record and hostname: unchanged, byte for byte.
      expect(after.get(key), key).toBe(value);
      if (key.includes(":e:")) bodies++;
    }
    expect(bodies).toBe(6);
  });

  it("A alone no longer opens anything: the gateway refuses to start, saying nothing of why", async () => {
    const res = await call(first.host, "/v1/chat/completions", {
      env: oldOnly,
      token: first.key,
      body: chatBody(PAIRS[0]![0]),
    });
    const text = await res.clone().text();
    await expectError(res, 500, "internal_error", "internal_error");
    expect(text).not.toMatch(/master|wrap|MASTER_KEY/i);
  });
});
