// The audit logger's Queue consumer and hash chain, against real local D1: per-message ack and retry,
// de-duplication, rejects, per-tenant chains, the concurrent-writer guard and chain verification.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { appendEvent, canonicalJson, readHead } from "../src/logger/chain";
import { capUtf8, retryDelaySeconds } from "../src/logger/consumer";
import logger from "../src/logger/index";
import { verifyChain } from "../src/logger/verify";
import { UNRESOLVED_TENANT } from "../src/shared/audit-event";
import { sha256Hex } from "../src/shared/sha256";
import { EVENT_TS, auditEvent as event } from "./fixtures/audit-event";

const ZERO = "0".repeat(64);
let tenantCounter = 0;
/** Storage is shared by the tests of this file: each test uses its own tenants. */
const tenantId = (label: string) => `lg-${label}-${++tenantCounter}`;

/**
 * Runs the queue handler on one batch. getQueueResult records which messages were retried but not the delay
 * asked for, so each message's retry() is observed (and still called) to report it as `delays`.
 */
async function deliver(bodies: unknown[], opts: { db?: D1Database; attempts?: number } = {}) {
  const messages = bodies.map((body, i) => ({
    id: `m${i}`,
    timestamp: new Date(),
    attempts: opts.attempts ?? 1,
    body,
  }));
  const batch = createMessageBatch("cordon-audit", messages);
  const delays: [string, number | undefined][] = [];
  for (const m of batch.messages) {
    const retry = m.retry.bind(m);
    Object.defineProperty(m, "retry", {
      value: (o?: QueueRetryOptions) => {
        delays.push([m.id, o?.delaySeconds]);
        retry(o);
      },
    });
  }
  const ctx = createExecutionContext();
  await logger.queue(batch, { ...env, AUDIT_DB: opts.db ?? env.AUDIT_DB });
  return { ...(await getQueueResult(batch, ctx)), delays };
}

interface Row {
  seq: number;
  id: string;
  event: string;
  prev_hash: string;
  hash: string;
}

async function rows(tenant: string): Promise<Row[]> {
  const r = await env.AUDIT_DB.prepare(
    "SELECT seq, id, event, prev_hash, hash FROM audit_events WHERE tenant = ? ORDER BY seq",
  )
    .bind(tenant)
    .all<Row>();
  return r.results;
}

/** A D1 wrapper whose batch() is replaced; everything else goes to the real database. */
function withBatch(batch: (statements: D1PreparedStatement[], call: number) => Promise<D1Result[]>): D1Database {
  let calls = 0;
  return {
    prepare: (query: string) => env.AUDIT_DB.prepare(query),
    batch: (statements: D1PreparedStatement[]) => batch(statements, ++calls),
  } as unknown as D1Database;
}

const run = (sql: string, ...args: unknown[]) =>
  env.AUDIT_DB.prepare(sql)
    .bind(...args)
    .run();

describe("audit consumer: storing", () => {
  it("stores valid events with seq 1..n, acks each, and the chain verifies", async () => {
    const tenant = tenantId("store");
    const events = [event(tenant), event(tenant, { ts: EVENT_TS + 500 }), event(tenant, { cache: "HIT-EXACT" })];
    const result = await deliver(events);
    expect(result.explicitAcks).toEqual(["m0", "m1", "m2"]);
    expect(result.retryMessages).toEqual([]);
    expect(result.ackAll).toBe(false);

    const stored = await rows(tenant);
    expect(stored.map((r) => [r.seq, r.id])).toEqual(events.map((e, i) => [i + 1, e.id]));
    let prev = ZERO;
    for (const [i, row] of stored.entries()) {
      const e = events[i]!;
      // Canonical JSON of a flat event: keys sorted, no whitespace.
      expect(row.event).toBe(JSON.stringify(e, Object.keys(e).sort()));
      expect(row.prev_hash).toBe(prev);
      expect(row.hash).toBe(await sha256Hex(`${prev}\n${row.event}`));
      prev = row.hash;
    }
    expect(await verifyChain(env.AUDIT_DB, tenant)).toEqual({ ok: true, count: 3, head: prev, first_bad_seq: null });
  });

  it("keeps two tenants' chains independent when their events interleave in one batch", async () => {
    const a = tenantId("ind-a");
    const b = tenantId("ind-b");
    await deliver([event(a), event(b), event(a), event(b), event(a)]);
    expect((await rows(a)).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect((await rows(b)).map((r) => r.seq)).toEqual([1, 2]);
    expect((await rows(b))[0]!.prev_hash).toBe(ZERO);
    expect(await verifyChain(env.AUDIT_DB, a)).toMatchObject({ ok: true, count: 3 });
    expect(await verifyChain(env.AUDIT_DB, b)).toMatchObject({ ok: true, count: 2 });
  });

  it("continues a chain across batches from the stored head", async () => {
    const tenant = tenantId("cont");
    await deliver([event(tenant), event(tenant)]);
    await deliver([event(tenant)]);
    expect((await rows(tenant)).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, count: 3 });
  });

  it("chains events without a tenant under the unresolved pseudo-tenant", async () => {
    const before = (await readHead(env.AUDIT_DB, UNRESOLVED_TENANT)).seq;
    const e = event(null, { outcome: "denied", status: 404, code: "tenant_not_found", actor: "anonymous" });
    await deliver([e]);
    const row = await env.AUDIT_DB.prepare("SELECT tenant, seq FROM audit_events WHERE id = ?").bind(e.id).first();
    expect(row).toEqual({ tenant: UNRESOLVED_TENANT, seq: before + 1 });
    expect(await verifyChain(env.AUDIT_DB, UNRESOLVED_TENANT)).toMatchObject({ ok: true });
  });

  it("acks a redelivered event without a second row, in one batch and across batches", async () => {
    const tenant = tenantId("dup");
    const e = event(tenant);
    expect((await deliver([e, e])).explicitAcks).toEqual(["m0", "m1"]);
    expect((await deliver([e])).explicitAcks).toEqual(["m0"]);
    expect((await rows(tenant)).map((r) => r.id)).toEqual([e.id]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, count: 1 });
  });

  it("rejects an id reused with different content, keeping the stored event", async () => {
    const tenant = tenantId("reuse");
    const e = event(tenant);
    await deliver([e]);
    const forged = { ...e, outcome: "denied", status: 403 };
    expect((await deliver([forged])).explicitAcks).toEqual(["m0"]);
    expect(JSON.parse((await rows(tenant))[0]!.event)).toMatchObject({ status: 200 });
    const reject = await env.AUDIT_DB.prepare("SELECT reason FROM audit_rejects WHERE body = ?")
      .bind(JSON.stringify(forged))
      .first();
    expect(reject).toEqual({ reason: "duplicate id with different content" });
  });
});

describe("audit consumer: invalid messages", () => {
  it("acks an invalid body and keeps it with the reason in audit_rejects", async () => {
    const tenant = tenantId("inv");
    const bad = { ...event(tenant), status: 999, prompt: "leaked?" };
    const result = await deliver(["not an event", bad]);
    expect(result.explicitAcks).toEqual(["m0", "m1"]);
    expect(result.retryMessages).toEqual([]);
    expect(await rows(tenant)).toEqual([]);
    const stored = await env.AUDIT_DB.prepare(
      "SELECT message_id, reason, body, body_bytes FROM audit_rejects WHERE body = ?",
    )
      .bind(JSON.stringify(bad))
      .first<{ message_id: string; reason: string; body: string; body_bytes: number }>();
    expect(stored).toMatchObject({ message_id: "m1", body_bytes: JSON.stringify(bad).length });
    expect(stored!.reason).toMatch(/status: /);
    expect(stored!.reason).toMatch(/prompt/);
    const text = await env.AUDIT_DB.prepare("SELECT reason FROM audit_rejects WHERE body = ?")
      .bind('"not an event"')
      .first<{ reason: string }>();
    expect(text!.reason).toMatch(/^\(root\): /);
  });

  it("caps a rejected body at 8 KiB of UTF-8 without splitting a character", async () => {
    const marker = crypto.randomUUID();
    const huge = { marker, filler: "é".repeat(10_000) };
    expect((await deliver([huge])).explicitAcks).toEqual(["m0"]);
    const stored = await env.AUDIT_DB.prepare("SELECT body, body_bytes FROM audit_rejects WHERE body LIKE ?")
      .bind(`%${marker}%`)
      .first<{ body: string; body_bytes: number }>();
    const bytes = new TextEncoder().encode(stored!.body).length;
    expect(bytes).toBeLessThanOrEqual(8192);
    expect(bytes).toBeGreaterThan(8190);
    expect(stored!.body.endsWith("é")).toBe(true);
    expect(stored!.body_bytes).toBe(new TextEncoder().encode(JSON.stringify(huge)).length);
  });

  it("capUtf8 leaves short text alone and never cuts inside a character", () => {
    expect(capUtf8("abc", 8)).toEqual({ text: "abc", bytes: 3 });
    expect(capUtf8("aé€😀", 5)).toEqual({ text: "aé", bytes: 10 });
    expect(capUtf8("😀😀", 4)).toEqual({ text: "😀", bytes: 8 });
  });
});

describe("audit consumer: failures", () => {
  it("retries with a backoff delay and acks nothing when the D1 batch fails", async () => {
    const tenant = tenantId("fail");
    const failing = withBatch(() => Promise.reject(new Error("D1_ERROR: simulated outage")));
    const result = await deliver([event(tenant), event(tenant)], { db: failing, attempts: 3 });
    expect(result.explicitAcks).toEqual([]);
    expect(result.ackAll).toBe(false);
    expect(result.retryMessages).toEqual([{ msgId: "m0" }, { msgId: "m1" }]);
    expect(result.delays).toEqual([
      ["m0", 8],
      ["m1", 8],
    ]);
    expect(await rows(tenant)).toEqual([]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toEqual({ ok: true, count: 0, head: null, first_bad_seq: null });
  });

  it("retries an invalid message when audit_rejects cannot be written (never acks on error)", async () => {
    const down = {
      prepare: () => {
        throw new Error("D1_ERROR: simulated outage");
      },
    } as unknown as D1Database;
    const result = await deliver([{ nonsense: true }], { db: down });
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([{ msgId: "m0" }]);
    expect(result.delays).toEqual([["m0", 2]]);
  });

  it("re-reads the head after a failure, so later events of the batch still chain", async () => {
    const tenant = tenantId("mid");
    const events = [event(tenant), event(tenant), event(tenant)];
    const flaky = withBatch((s, call) =>
      call === 2 ? Promise.reject(new Error("D1_ERROR: blip")) : env.AUDIT_DB.batch(s),
    );
    const result = await deliver(events, { db: flaky });
    expect(result.explicitAcks).toEqual(["m0", "m2"]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["m1"]);
    // The redelivery takes the next position; the chain has no hole.
    await deliver([events[1]], { attempts: 2 });
    expect((await rows(tenant)).map((r) => r.id)).toEqual([events[0]!.id, events[2]!.id, events[1]!.id]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, count: 3 });
  });

  it("never forks a chain: a concurrent writer taking the same seq makes this write fail and retry", async () => {
    const tenant = tenantId("race");
    await deliver([event(tenant)]);
    const rival = event(tenant);
    // Another consumer appends between our head read and our batch.
    const racing = withBatch(async (s, call) => {
      if (call === 1)
        await appendEvent(env.AUDIT_DB, rival, canonicalJson(rival), await readHead(env.AUDIT_DB, tenant));
      return env.AUDIT_DB.batch(s);
    });
    const mine = event(tenant);
    const result = await deliver([mine], { db: racing });
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["m0"]);
    expect((await rows(tenant)).map((r) => [r.seq, r.id])).toEqual([
      [1, expect.any(String)],
      [2, rival.id],
    ]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, count: 2 });

    await deliver([mine], { attempts: 2 });
    expect((await rows(tenant)).map((r) => r.id).slice(1)).toEqual([rival.id, mine.id]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, count: 3 });
  });

  it("backs off exponentially from the attempt count, capped at five minutes", () => {
    expect([0, 1, 2, 3, 8, 9, 10, 1000].map(retryDelaySeconds)).toEqual([2, 2, 4, 8, 256, 300, 300, 300]);
  });
});

describe("chain verification", () => {
  async function chainOf(label: string, n: number): Promise<string> {
    const tenant = tenantId(label);
    await deliver(Array.from({ length: n }, () => event(tenant)));
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, count: n });
    return tenant;
  }

  it("reports an empty chain as ok with no head", async () => {
    expect(await verifyChain(env.AUDIT_DB, tenantId("empty"))).toEqual({
      ok: true,
      count: 0,
      head: null,
      first_bad_seq: null,
    });
  });

  it("finds an edited event", async () => {
    const tenant = await chainOf("tamper", 4);
    await run(
      `UPDATE audit_events SET event = replace(event, '"status":200', '"status":201') WHERE tenant = ? AND seq = 3`,
      tenant,
    );
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: false, count: 2, first_bad_seq: 3 });
  });

  it("finds an event re-hashed after editing (the next link breaks)", async () => {
    const tenant = await chainOf("rehash", 3);
    const row = (await rows(tenant))[1]!;
    const edited = row.event.replace('"status":200', '"status":201');
    await run(
      "UPDATE audit_events SET event = ?, status = 201, hash = ? WHERE tenant = ? AND seq = 2",
      edited,
      await sha256Hex(`${row.prev_hash}\n${edited}`),
      tenant,
    );
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: false, first_bad_seq: 3 });
  });

  it("finds an edited copy column that the hash does not cover", async () => {
    const tenant = await chainOf("column", 3);
    await run("UPDATE audit_events SET actor = 'root' WHERE tenant = ? AND seq = 1", tenant);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: false, count: 0, first_bad_seq: 1 });
  });

  it("finds a deleted event in the middle (seq gap)", async () => {
    const tenant = await chainOf("gap", 4);
    await run("DELETE FROM audit_events WHERE tenant = ? AND seq = 2", tenant);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: false, count: 1, first_bad_seq: 2 });
  });

  it("finds a deleted last event (head beyond the rows)", async () => {
    const tenant = await chainOf("tail", 3);
    await run("DELETE FROM audit_events WHERE tenant = ? AND seq = 3", tenant);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: false, count: 2, first_bad_seq: 3 });
  });

  it("finds a head that does not match the last event", async () => {
    const tenant = await chainOf("head", 2);
    await run("UPDATE audit_chain SET hash = ? WHERE tenant = ?", "f".repeat(64), tenant);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toEqual({
      ok: false,
      count: 2,
      head: "f".repeat(64),
      first_bad_seq: 2,
    });
  });

  it("finds events appended beyond the head, and a deleted head", async () => {
    const tenant = await chainOf("beyond", 3);
    await run(
      "UPDATE audit_chain SET seq = 2, hash = (SELECT hash FROM audit_events WHERE tenant = ?1 AND seq = 2) WHERE tenant = ?1",
      tenant,
    );
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: false, count: 2, first_bad_seq: 3 });
    await run("DELETE FROM audit_chain WHERE tenant = ?", tenant);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toEqual({ ok: false, count: 0, head: null, first_bad_seq: 1 });
  });

  it("verifies page by page, across page boundaries", async () => {
    const tenant = await chainOf("paged", 7);
    for (const size of [1, 2, 3, 7, 500]) {
      expect(await verifyChain(env.AUDIT_DB, tenant, size)).toMatchObject({ ok: true, count: 7 });
    }
    await run(
      "UPDATE audit_events SET event = replace(event, '\"latency_ms\":15', '\"latency_ms\":16'), latency_ms = 16 WHERE tenant = ? AND seq = 5",
      tenant,
    );
    for (const size of [2, 4, 5, 500]) {
      expect(await verifyChain(env.AUDIT_DB, tenant, size)).toMatchObject({ ok: false, count: 4, first_bad_seq: 5 });
    }
  });
});
