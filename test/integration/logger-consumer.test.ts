// The audit logger's Queue consumer against real local D1: per-message ack and retry, de-duplication, refused
// messages sent to the dead-letter queue, per-tenant chains written one D1 batch per tenant, and the one-by-one
// fallback that keeps one failing message from holding back the others.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { appendOne, chainItem } from "../../src/logger/chain";
import { DEAD_LETTER_BODY_MAX_BYTES, type DeadLetterEnvelope } from "../../src/logger/dead-letters";
import { capUtf8, retryDelaySeconds } from "../../src/logger/queue-messages";
import { verifyChain } from "../../src/logger/verify";
import { UNRESOLVED_TENANT } from "../../src/shared/audit-event";
import { sha256Hex } from "../../src/shared/sha256";
import { EVENT_TS, auditEvent as event, largestAuditEvent } from "../fixtures/audit-event";
import {
  argsOf,
  deliver,
  deliverTo,
  isWrite,
  messageId,
  recordingDb,
  recordingQueue,
  rowsOf,
  withBatch,
  writes,
} from "../fixtures/logger";

const ZERO = "0".repeat(64);
let tenantCounter = 0;
/** Storage is shared by the tests of this file: each test uses its own tenants. */
const tenantId = (label: string) => `lc-${label}-${++tenantCounter}`;

describe("audit consumer: storing", () => {
  it("stores valid events with seq 1..n, acks each, and the chain verifies", async () => {
    const tenant = tenantId("store");
    const events = [event(tenant), event(tenant, { ts: EVENT_TS + 500 }), event(tenant, { cache: "HIT-EXACT" })];
    const result = await deliver(events);
    expect(result.acked).toEqual(result.ids);
    expect(result.retried).toEqual([]);
    expect(result.ackAll).toBe(false);

    const stored = await rowsOf(tenant);
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
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({
      ok: true,
      complete: true,
      checked: 3,
      first_break: null,
      head: { seq: 3, hash: prev },
    });
  });

  it("copies the model (and the other indexed fields) into columns", async () => {
    const tenant = tenantId("cols");
    const e = event(tenant, { model: "openai/gpt-4o", actor: "sso:u_1", outcome: "denied", status: 403 });
    await deliver([e]);
    const row = await env.AUDIT_DB.prepare("SELECT model, actor, outcome, status FROM audit_events WHERE id = ?")
      .bind(e.id)
      .first();
    expect(row).toEqual({ model: "openai/gpt-4o", actor: "sso:u_1", outcome: "denied", status: 403 });
  });

  it("keeps two tenants' chains independent when their events interleave in one batch", async () => {
    const a = tenantId("ind-a");
    const b = tenantId("ind-b");
    const events = [event(a), event(b), event(a), event(b), event(a)];
    await deliver(events);
    expect((await rowsOf(a)).map((r) => r.id)).toEqual([events[0]!.id, events[2]!.id, events[4]!.id]);
    expect((await rowsOf(b)).map((r) => r.seq)).toEqual([1, 2]);
    expect((await rowsOf(b))[0]!.prev_hash).toBe(ZERO);
    expect(await verifyChain(env.AUDIT_DB, a)).toMatchObject({ ok: true, checked: 3 });
    expect(await verifyChain(env.AUDIT_DB, b)).toMatchObject({ ok: true, checked: 2 });
  });

  it("continues a chain across batches from the stored head", async () => {
    const tenant = tenantId("cont");
    await deliver([event(tenant), event(tenant)]);
    await deliver([event(tenant)]);
    expect((await rowsOf(tenant)).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, checked: 3 });
  });

  it("chains events without a tenant under the unresolved pseudo-tenant", async () => {
    const before = (await verifyChain(env.AUDIT_DB, UNRESOLVED_TENANT)).head?.seq ?? 0;
    const e = event(null, { outcome: "denied", status: 404, code: "tenant_not_found", actor: "anonymous" });
    await deliver([e]);
    const row = await env.AUDIT_DB.prepare("SELECT tenant, seq FROM audit_events WHERE id = ?").bind(e.id).first();
    expect(row).toEqual({ tenant: UNRESOLVED_TENANT, seq: before + 1 });
    expect(await verifyChain(env.AUDIT_DB, UNRESOLVED_TENANT)).toMatchObject({ ok: true });
  });

  it("acks a redelivered event without a second row, in one batch and across batches", async () => {
    const tenant = tenantId("dup");
    const e = event(tenant);
    const first = await deliver([e, e]);
    expect(first.acked).toEqual(first.ids);
    const again = await deliver([e]);
    expect(again.acked).toEqual(again.ids);
    expect((await rowsOf(tenant)).map((r) => r.id)).toEqual([e.id]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, checked: 1 });
  });

  it("accepts the largest event the schema allows, whole", async () => {
    const tenant = tenantId("large").padEnd(32, "0"); // the longest tenant id
    const e = largestAuditEvent(tenant);
    expect((await deliver([e])).retried).toEqual([]);
    expect((await rowsOf(tenant))[0]!.event).toBe(chainItem(e).canonical);
  });
});

describe("audit consumer: batched chain work", () => {
  it("takes two round trips per batch: one read of ids and heads, one write of every tenant's events and head", async () => {
    const tenants = [tenantId("rt-a"), tenantId("rt-b"), tenantId("rt-c")];
    await deliver([event(tenants[0]!)]); // one chain with history, two new ones
    const recorder = recordingDb();
    const events = Array.from({ length: 30 }, (_, i) => event(tenants[i % 3]!));
    const result = await deliver(events, { AUDIT_DB: recorder.db });
    expect(result.acked).toHaveLength(30);

    expect(recorder.batches).toHaveLength(2);
    const [reads, write] = recorder.batches;
    expect(reads!.every((sql) => !isWrite(sql))).toBe(true);
    expect(write!.every(isWrite)).toBe(true);
    // Each tenant's head is moved in the same transaction as its rows.
    expect(write!.filter((sql) => sql.includes("audit_chain"))).toHaveLength(3);
    // Nothing outside those batches.
    expect(recorder.statements).toHaveLength(reads!.length + write!.length);
    expect((await rowsOf(tenants[0]!)).map((r) => r.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    for (const t of tenants) expect(await verifyChain(env.AUDIT_DB, t)).toMatchObject({ ok: true });
  });
});

describe("audit consumer: refused messages go to the dead-letter queue", () => {
  it("acks an invalid body once it is sent to the dead-letter queue, with the reason, and stores nothing", async () => {
    const tenant = tenantId("inv");
    const dlq = recordingQueue();
    const bad = { ...event(tenant), status: 999, prompt: "leaked?" };
    const good = event(tenant);
    const result = await deliver(["not an event", bad, good], { AUDIT_DLQ: dlq.queue }, 2);
    expect(result.acked).toEqual(result.ids);
    expect(result.retried).toEqual([]);
    expect((await rowsOf(tenant)).map((r) => r.id)).toEqual([good.id]);

    const [text, invalid] = dlq.sent as DeadLetterEnvelope[];
    expect(dlq.sent).toHaveLength(2);
    expect(text).toMatchObject({
      cordon_dead_letter: 1,
      message_id: result.ids[0],
      attempts: 2,
      reason: "invalid",
      body: '"not an event"',
      body_bytes: 14,
      event_id: null,
      tenant: null,
    });
    expect(text!.detail).toMatch(/^\(root\): /);
    expect(invalid).toMatchObject({ message_id: result.ids[1], reason: "invalid", body: JSON.stringify(bad) });
    expect(invalid!.detail).toMatch(/status: /);
    expect(invalid!.detail).toMatch(/prompt/);
  });

  it("refuses an event id already stored with different content, keeping the stored event", async () => {
    const tenant = tenantId("reuse");
    const e = event(tenant);
    await deliver([e]);
    const dlq = recordingQueue();
    const forged = { ...e, outcome: "denied", status: 403 };
    const result = await deliver([forged], { AUDIT_DLQ: dlq.queue });
    expect(result.acked).toEqual(result.ids);
    expect(JSON.parse((await rowsOf(tenant))[0]!.event)).toMatchObject({ status: 200 });
    expect(dlq.sent).toEqual([
      expect.objectContaining({ reason: "id_conflict", event_id: e.id, tenant, body: JSON.stringify(forged) }),
    ]);
  });

  it("chains the first of two different events sharing an id in one batch and refuses the second", async () => {
    const tenant = tenantId("reuse-batch");
    const e = event(tenant);
    const other = { ...e, status: 500, outcome: "error" as const };
    const dlq = recordingQueue();
    const result = await deliver([e, other, e], { AUDIT_DLQ: dlq.queue });
    expect(result.acked).toEqual(result.ids);
    expect((await rowsOf(tenant)).map((r) => r.id)).toEqual([e.id]);
    expect(dlq.sent).toEqual([expect.objectContaining({ reason: "id_conflict", message_id: result.ids[1] })]);
  });

  it("caps a refused body at 16 KiB of UTF-8 without splitting a character", async () => {
    const dlq = recordingQueue();
    const huge = { filler: "é".repeat(10_000) };
    await deliver([huge], { AUDIT_DLQ: dlq.queue });
    const [sent] = dlq.sent as DeadLetterEnvelope[];
    const bytes = new TextEncoder().encode(sent!.body).length;
    expect(bytes).toBeLessThanOrEqual(DEAD_LETTER_BODY_MAX_BYTES);
    expect(bytes).toBeGreaterThan(DEAD_LETTER_BODY_MAX_BYTES - 2);
    expect(sent!.body.endsWith("é")).toBe(true);
    expect(sent!.body_bytes).toBe(new TextEncoder().encode(JSON.stringify(huge)).length);
  });

  it("sends many large refusals in several sendBatch calls within the platform's size limit", async () => {
    const sizes: number[] = [];
    const queue = {
      sendBatch: async (messages: Iterable<{ body: unknown }>) => {
        const list = [...messages];
        sizes.push(new TextEncoder().encode(JSON.stringify(list.map((m) => m.body))).length);
        expect(list.length).toBeLessThanOrEqual(100);
      },
    } as unknown as Queue;
    const result = await deliver(
      Array.from({ length: 30 }, () => ({ filler: "x".repeat(20_000) })),
      { AUDIT_DLQ: queue },
    );
    expect(result.acked).toHaveLength(30);
    expect(sizes.length).toBeGreaterThan(1);
    for (const s of sizes) expect(s).toBeLessThan(256 * 1024);
  });

  it("retries a refused message when the dead-letter queue cannot be reached, and still stores the valid ones", async () => {
    const tenant = tenantId("dlq-down");
    const good = event(tenant);
    const result = await deliver([{ nonsense: true }, good], { AUDIT_DLQ: recordingQueue({ fail: true }).queue });
    expect(result.acked).toEqual([result.ids[1]]);
    expect(result.retried).toEqual([result.ids[0]]);
    expect(result.delays).toEqual([[result.ids[0], 2]]);
    expect((await rowsOf(tenant)).map((r) => r.id)).toEqual([good.id]);
  });

  it("capUtf8 leaves short text alone and never cuts inside a character", () => {
    expect(capUtf8("abc", 8)).toEqual({ text: "abc", bytes: 3 });
    expect(capUtf8("aé€😀", 5)).toEqual({ text: "aé", bytes: 10 });
    expect(capUtf8("😀😀", 4)).toEqual({ text: "😀", bytes: 8 });
  });
});

describe("audit consumer: failures", () => {
  it("retries every event with a backoff delay and acks none when the read fails", async () => {
    const tenant = tenantId("fail");
    const failing = withBatch(() => Promise.reject(new Error("D1_ERROR: simulated outage")));
    const result = await deliver([event(tenant), event(tenant)], { AUDIT_DB: failing }, 3);
    expect(result.acked).toEqual([]);
    expect(result.ackAll).toBe(false);
    expect(result.retried).toEqual(result.ids);
    expect(result.delays).toEqual(result.ids.map((id) => [id, 8]));
    expect(await rowsOf(tenant)).toEqual([]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, checked: 0, head: null });
  });

  it("falls back to one event at a time when the batch fails, retrying only the event that fails", async () => {
    const a = tenantId("fb-a");
    const b = tenantId("fb-b");
    const events = [event(a), event(b), event(a), event(a)];
    // Every write that holds the third event fails: the batch's, then that event's own write in the fallback.
    const flaky = recordingDb(env.AUDIT_DB, (s) =>
      writes(s) && argsOf(s).includes(events[2]!.id) ? "before" : null,
    ).db;
    const result = await deliver(events, { AUDIT_DB: flaky });
    expect(result.retried).toEqual([result.ids[2]]);
    expect(result.acked).toEqual([result.ids[0], result.ids[1], result.ids[3]]);
    expect((await rowsOf(b)).map((r) => r.id)).toEqual([events[1]!.id]);
    // The redelivery takes the next position; the chain has no hole.
    await deliver([events[2]], {}, 2);
    expect((await rowsOf(a)).map((r) => r.id)).toEqual([events[0]!.id, events[3]!.id, events[2]!.id]);
    expect(await verifyChain(env.AUDIT_DB, a)).toMatchObject({ ok: true, checked: 3 });
  });

  it("acks, without a second row, events whose batch committed but whose acknowledgement was lost", async () => {
    const tenant = tenantId("lost-ack");
    const events = [event(tenant), event(tenant), event(tenant)];
    let lostOnce = false;
    const lost = recordingDb(env.AUDIT_DB, (s) => {
      if (!writes(s) || lostOnce) return null;
      lostOnce = true;
      return "after";
    }).db;
    const result = await deliver(events, { AUDIT_DB: lost });
    expect(result.acked).toEqual(result.ids);
    expect((await rowsOf(tenant)).map((r) => r.id)).toEqual(events.map((e) => e.id));
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, checked: 3 });
  });

  it("never forks a chain: a concurrent writer taking the same seq sends the batch down the fallback", async () => {
    const tenant = tenantId("race");
    await deliver([event(tenant)]);
    const rival = event(tenant);
    // Another writer appends between our read and our write.
    const racing = withBatch(async (s, call) => {
      if (call === 2) await appendOne(env.AUDIT_DB, chainItem(rival));
      return env.AUDIT_DB.batch(s);
    });
    const mine = [event(tenant), event(tenant)];
    const result = await deliver(mine, { AUDIT_DB: racing });
    expect(result.acked).toEqual(result.ids);
    expect((await rowsOf(tenant)).map((r) => [r.seq, r.id])).toEqual([
      [1, expect.any(String)],
      [2, rival.id],
      [3, mine[0]!.id],
      [4, mine[1]!.id],
    ]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, checked: 4 });
  });

  it("leaves messages of a queue it does not know for retry", async () => {
    const result = await deliverTo("some-other-queue", [{ id: messageId(), body: event(tenantId("q")) }]);
    expect(result.acked).toEqual([]);
    expect(result.retried).toHaveLength(1);
  });

  it("backs off exponentially from the attempt count, capped at five minutes", () => {
    expect([0, 1, 2, 3, 8, 9, 10, 1000].map(retryDelaySeconds)).toEqual([2, 2, 4, 8, 256, 300, 300, 300]);
  });
});
