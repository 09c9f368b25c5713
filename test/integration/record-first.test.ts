// No administrative change without a record: every route the route table marks recordFirst is called through
// an environment whose audit Queue refuses every message. Each must answer 503 audit_unavailable and change
// nothing (every KV value, and the tenant's keys, virtual keys, policy, cache catalog, the tenant list and the
// dead letters as the admin API and D1 show them); the same request with a working Queue then makes the
// change, so the refusal is the Queue's doing. Cache traffic, by contrast, fails open: a chat request is
// answered and its lost event is counted in the metrics. A recordFirst route added later without a case here
// fails to compile (CASES) and fails the coverage test.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import { ROUTE_TABLE } from "../../src/gateway/routes/table";
import { deadLetterEnvelope } from "../../src/logger/dead-letters";
import { DLQ, deliverTo, messageId } from "../fixtures/logger";
import {
  type CallInit,
  call,
  createTenant,
  expectError,
  hostOf,
  kvContents,
  newKey,
  PLATFORM,
  policyOf,
  rootToken,
  uniqueTenant,
} from "../helpers";
import { ask, callWith, catalogCount, type Env, eventOf, settleAll } from "./gateway-helpers";

/** An audit Queue that refuses every message, counting the attempts. */
const refused = { sends: 0 };
const failingQueue = {
  send: async () => {
    refused.sends += 1;
    throw new Error("Queue send failed: simulated outage");
  },
  sendBatch: async () => {
    refused.sends += 1;
    throw new Error("Queue sendBatch failed: simulated outage");
  },
} as unknown as Queue;

/** The Analytics Engine dataset, as a recorder (the binding exists in production only). */
const points: AnalyticsEngineDataPoint[] = [];
const metrics = { writeDataPoint: (p: AnalyticsEngineDataPoint) => void points.push(p) } as AnalyticsEngineDataset;

const broken: Env = { ...env, AUDIT: failingQueue, METRICS: metrics };

type RecordFirstAction = Extract<(typeof ROUTE_TABLE)[number], { recordFirst: true }>["action"];
const RECORD_FIRST = ROUTE_TABLE.filter((r) => "recordFirst" in r && r.recordFirst === true);

/** The request of a case, on the world's tenant host unless it names another. */
interface Case {
  host?: string;
  path: string;
  init: CallInit;
  /** The status of the change once the Queue works again. */
  ok: number;
  /** The environment to call with, when it must differ from `env` in more than the Queue. */
  with?: Env;
  /** Puts things back after the change (a master-key rotation). */
  undo?: () => Promise<void>;
}

type World = Awaited<ReturnType<typeof world>>;

/** A fresh tenant with an owner key, an entry in its cache, a viewer key and a virtual key to act on. */
async function world() {
  const tenant = uniqueTenant("rf");
  const host = hostOf(tenant);
  await createTenant(tenant);
  const owner = await newKey(tenant, { name: "owner", role: "owner" });
  const target = await newKey(tenant, { name: "target", role: "viewer" });
  const miss = await ask({ host, key: owner.key }, `Which record comes first, number ${tenant}?`);
  expect(miss.cache).toBe("MISS");
  const vk = await call(host, "/v1/admin/virtual-keys", {
    token: rootToken(),
    body: { name: "upstream", provider: "openai", api_key: "sk-record-first-0000" },
  });
  await settleAll();
  // The owner key's use is reported by the failing environment's runtime now, not during the refused call.
  expect((await callWith(broken, host, "/v1/admin/keys", { token: owner.key })).status).toBe(200);
  await settleAll();
  return {
    tenant,
    host,
    owner: owner.key,
    target: target.id,
    entry: miss.res.headers.get("x-cache-entry-id")!,
    vk: ((await vk.json()) as { id: string }).id,
  };
}

async function deadLetter(): Promise<number> {
  const id = messageId("rf-dlq");
  const message = { id: messageId("rf-orig"), attempts: 1, body: { status: 999 } } as Message<unknown>;
  await deliverTo(DLQ, [{ id, body: deadLetterEnvelope(message, "invalid", "status: Too big", null) }]);
  return (await env.AUDIT_DB.prepare("SELECT id FROM audit_dead_letters WHERE dlq_message_id = ?")
    .bind(id)
    .first<{ id: number }>())!.id;
}

const root = rootToken();
const CASES: Record<RecordFirstAction, (w: World) => Case | Promise<Case>> = {
  "cache.entry.delete": (w) => ({
    path: `/v1/cache/entries/${w.entry}`,
    init: { method: "DELETE", token: w.owner },
    ok: 200,
  }),
  "cache.erase": (w) => ({ path: "/v1/cache/erase", init: { body: { all: true }, token: w.owner }, ok: 200 }),
  "key.create": () => ({
    path: "/v1/admin/keys",
    init: { body: { name: "new", role: "viewer" }, token: root },
    ok: 201,
  }),
  "key.revoke": (w) => ({ path: `/v1/admin/keys/${w.target}`, init: { method: "DELETE", token: root }, ok: 200 }),
  "key.rotate": (w) => ({ path: `/v1/admin/keys/${w.target}/rotate`, init: { body: {}, token: root }, ok: 200 }),
  "virtual_key.create": () => ({
    path: "/v1/admin/virtual-keys",
    init: { body: { name: "second", provider: "anthropic", api_key: "sk-ant-record-first" }, token: root },
    ok: 201,
  }),
  "virtual_key.delete": (w) => ({
    path: `/v1/admin/virtual-keys/${w.vk}`,
    init: { method: "DELETE", token: root },
    ok: 200,
  }),
  "policy.update": async (w) => ({
    path: "/v1/admin/policy",
    init: { method: "PUT", body: { ...(await policyOf(w.tenant)), similarity_threshold: 0.97 }, token: root },
    ok: 200,
  }),
  "tenant.lockdown": (w) => ({ path: "/v1/admin/lockdown", init: { method: "POST", token: w.owner }, ok: 200 }),
  "tenant.create": () => ({
    host: PLATFORM,
    path: "/v1/admin/tenants",
    init: { body: { id: uniqueTenant("rfnew") }, token: root },
    ok: 201,
  }),
  "tenant.delete": (w) => ({
    host: PLATFORM,
    path: `/v1/admin/tenants/${w.tenant}`,
    init: { method: "DELETE", token: root },
    ok: 200,
  }),
  "master_key.rewrap": () => {
    // A rotation in progress: a new MASTER_KEY, the current one as previous, so that a rewrap has work to do;
    // undone by rewrapping back under the current key.
    const next = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const rewrap = async (e: Env) => {
      const res = await callWith(e, PLATFORM, "/v1/admin/master-key/rewrap?limit=200", { method: "POST", token: root });
      expect(await res.json()).toMatchObject({ next_cursor: null });
    };
    return {
      host: PLATFORM,
      path: "/v1/admin/master-key/rewrap?limit=200",
      init: { method: "POST", token: root },
      ok: 200,
      with: { ...env, MASTER_KEY: next, MASTER_KEY_PREVIOUS: env.MASTER_KEY },
      undo: () => rewrap({ ...env, MASTER_KEY: env.MASTER_KEY, MASTER_KEY_PREVIOUS: next }),
    };
  },
  "audit.dead_letter.replay": async () => ({
    host: PLATFORM,
    path: `/v1/admin/audit/dead-letters/${await deadLetter()}/replay`,
    init: { method: "POST", token: root },
    ok: 200,
  }),
};

/** Everything an administrative action could change, read through the admin API and storage. */
async function state(tenant: string, e: Env = env) {
  const read = async (host: string, path: string) => {
    const res = await callWith(e, host, path, { token: root });
    return { status: res.status, body: await res.text() };
  };
  const host = hostOf(tenant);
  const snapshot = {
    kv: await kvContents(),
    keys: await read(host, "/v1/admin/keys"),
    virtualKeys: await read(host, "/v1/admin/virtual-keys"),
    policy: await read(host, "/v1/admin/policy"),
    tenants: await read(PLATFORM, "/v1/admin/tenants?limit=1000"),
    catalog: await catalogCount(tenant),
    deadLetters: (await env.AUDIT_DB.prepare("SELECT * FROM audit_dead_letters ORDER BY id").all()).results,
  };
  await settleAll();
  return snapshot;
}

// Each refused send is logged (by event and request id, never by content); here that is hundreds of lines.
let logged: MockInstance<typeof console.error>;
beforeEach(() => {
  logged = vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("administrative changes are refused when the audit trail cannot record them", () => {
  it("has a case for every recordFirst route of the table", () => {
    expect(RECORD_FIRST.map((r) => r.action).sort()).toEqual(Object.keys(CASES).sort());
    expect(RECORD_FIRST.length).toBeGreaterThanOrEqual(13);
  });

  it.each(RECORD_FIRST.map((r) => [`${r.method} ${r.path}`, r] as const))(
    "%s → 503 audit_unavailable, nothing changed; made once the Queue works",
    async (_label, route) => {
      const w = await world();
      const c = await CASES[route.action as RecordFirstAction](w);
      const host = c.host ?? w.host;
      const before = await state(w.tenant, c.with);
      const [sends, lost] = [refused.sends, points.length];
      const failing = c.with ? { ...c.with, AUDIT: failingQueue, METRICS: metrics } : broken;
      const res = await callWith(failing, host, c.path, c.init);
      await expectError(res, 503, "audit_unavailable", "internal_error");
      expect(refused.sends, "the event was offered to the Queue").toBeGreaterThan(sends);
      await settleAll();
      expect(await state(w.tenant, c.with)).toEqual(before);
      // The refusal's own event could not be sent either: the metrics count it.
      expect(points.slice(lost).map((p) => [p.blobs?.[0], p.blobs?.[2]])).toContainEqual([
        "audit_event_lost",
        route.action,
      ]);

      const made = await callWith(c.with ?? env, host, c.path, c.init);
      expect(made.status, await made.clone().text()).toBe(c.ok);
      await made.arrayBuffer();
      await settleAll();
      expect(await eventOf(made)).toMatchObject({ action: route.action, outcome: "allowed", status: c.ok });
      expect(await state(w.tenant, c.with)).not.toEqual(before);
      await c.undo?.();
    },
  );
});

describe("a recorded change that fails", () => {
  it("has its outcome enqueued before the answer, after the change's own record", async () => {
    const w = await world();
    const sent: { request_id: string; status: number; outcome: string; action: string }[] = [];
    // A Queue that takes a moment to accept: a message counts as sent once its send has resolved.
    const accepted = () => new Promise((resolve) => setTimeout(resolve, 50));
    const recording = {
      send: async (event: (typeof sent)[number]) => {
        await accepted();
        sent.push(event);
      },
      sendBatch: async (batch: { body: (typeof sent)[number] }[]) => {
        await accepted();
        sent.push(...batch.map((m) => m.body));
      },
    } as unknown as Queue;
    // Rotating a revoked key: known and allowed to the caller, so recorded, then refused by the tenant's object.
    expect((await call(w.host, `/v1/admin/keys/${w.target}`, { method: "DELETE", token: root })).status).toBe(200);
    const res = await callWith({ ...env, AUDIT: recording }, w.host, `/v1/admin/keys/${w.target}/rotate`, {
      method: "POST",
      token: root,
    });
    expect(res.status).toBe(409);
    const id = res.headers.get("x-request-id");
    // Before waiting for anything the Worker does after answering: both are already in the Queue.
    expect(sent.filter((e) => e.request_id === id).map((e) => [e.action, e.status, e.outcome])).toEqual([
      ["key.rotate", 200, "allowed"],
      ["key.rotate", 409, "denied"],
    ]);
    await settleAll();
    expect(sent.filter((e) => e.request_id === id)).toHaveLength(2);
  });
});

describe("cache traffic fails open", () => {
  // Regression: a request answered while the gateway could not start (its configuration refused) sent its event
  // without the metrics, so that event, when the Queue refused it too, was lost without a data point.
  it("counts a lost event of a gateway that cannot start", async () => {
    const lost = points.length;
    const res = await callWith({ ...broken, MASTER_KEY: "not base64 at all" }, hostOf("anyone"), "/v1/models");
    expect(res.status).toBe(500);
    await settleAll();
    expect(points.slice(lost)).toContainEqual({
      indexes: ["_none"],
      blobs: ["audit_event_lost", "", "gateway.start"],
      doubles: [1],
    });
  });

  it("answers a chat request whose event cannot be sent, counts the lost event, and still caches", async () => {
    const w = await world();
    const lost = points.length;
    const t = { host: w.host, key: w.owner };
    const prompt = "Is the audit trail down right now?";
    const first = await ask(t, prompt, {}, {}, broken);
    expect(first.status).toBe(200);
    expect(first.cache).toBe("MISS");
    await settleAll();
    const written = points.slice(lost);
    expect(written).toContainEqual({
      indexes: [w.tenant],
      blobs: ["audit_event_lost", w.tenant, "chat.completions"],
      doubles: [1],
    });
    expect(written).toContainEqual(
      expect.objectContaining({ blobs: ["request", w.tenant, "chat.completions", "200", "MISS", "gpt-4o-mini"] }),
    );
    // The operator's log names the lost event by its ids, never by what was asked.
    const lines = logged.mock.calls.map((args) => args.join(" "));
    expect(lines.some((line) => line.includes(first.id) && line.includes("not sent"))).toBe(true);
    expect(lines.some((line) => line.includes("audit trail down"))).toBe(false);
    // The event is lost, not stored later; the answer was cached all the same.
    const stored = await env.AUDIT_DB.prepare(
      "SELECT COUNT(*) AS n FROM audit_events WHERE json_extract(event, '$.request_id') = ?",
    )
      .bind(first.id)
      .first<{ n: number }>();
    expect(stored?.n).toBe(0);
    expect((await ask(t, prompt)).cache).toBe("HIT-EXACT");
  });
});
