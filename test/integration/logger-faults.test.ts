// Nothing lost, nothing doubled, under faults: 1,200 events over six tenants go through the audit consumer
// while 30% of D1 write batches fail — half before they commit, half after (the write happened, the answer
// was lost). Retried messages are redelivered with their attempt count, some acked messages are delivered
// again (Queues deliver at least once), until every message is acked. Every event must then be in D1 exactly
// once and every tenant's chain must verify.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { verifyChain } from "../../src/logger/verify";
import type { AuditEvent } from "../../src/shared/audit-event";
import { auditEvent, EVENT_TS } from "../fixtures/audit-event";
import { AUDIT_QUEUE, type Delivery, deliverTo, recordingDb, recordingQueue, writes } from "../fixtures/logger";

/** A small deterministic PRNG (mulberry32): the same faults on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EVENTS = 1200;
const TENANTS = Array.from({ length: 6 }, (_, i) => `lf-tenant-${i}`);
const BATCH = 50;

describe("audit consumer under D1 faults", () => {
  // Every injected fault is logged by the consumer; hundreds of lines would bury the test's own output.
  beforeEach(() => {
    vi.spyOn(console, "error").mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("stores every event exactly once and every chain verifies, with 30% of writes failing before or after commit", async () => {
    const random = prng(0xc0d0);
    const faults = { before: 0, after: 0, writes: 0 };
    const db = recordingDb(env.AUDIT_DB, (statements) => {
      if (!writes(statements)) return null;
      faults.writes += 1;
      const r = random();
      if (r < 0.15) {
        faults.before += 1;
        return "before";
      }
      if (r < 0.3) {
        faults.after += 1;
        return "after";
      }
      return null;
    }).db;
    const dlq = recordingQueue();

    const events: AuditEvent[] = Array.from({ length: EVENTS }, (_, i) =>
      auditEvent(TENANTS[Math.floor(random() * TENANTS.length)]!, { ts: EVENT_TS + i, latency_ms: i % 97 }),
    );
    const queue: Delivery[] = events.map((body, i) => ({ id: `msg-${i}`, body, attempts: 1 }));
    const acked = new Set<string>();
    let retries = 0;
    let duplicates = 0;
    let rounds = 0;
    while (queue.length > 0) {
      rounds += 1;
      expect(rounds).toBeLessThan(500);
      const batch = queue.splice(0, BATCH);
      const result = await deliverTo(AUDIT_QUEUE, batch, { AUDIT_DB: db, AUDIT_DLQ: dlq.queue });
      expect(result.ackAll).toBe(false);
      expect(result.acked.length + result.retried.length).toBe(batch.length);
      for (const delivery of batch) {
        if (result.retried.includes(delivery.id)) {
          retries += 1;
          queue.push({ ...delivery, attempts: (delivery.attempts ?? 1) + 1 });
        } else {
          expect(result.acked).toContain(delivery.id);
          acked.add(delivery.id);
          // At-least-once delivery: now and then an acked message comes again.
          if (random() < 0.03) {
            duplicates += 1;
            queue.push({ ...delivery, attempts: 1 });
          }
        }
      }
    }

    // The faults really happened, of both kinds, and were retried.
    expect(faults.before).toBeGreaterThan(20);
    expect(faults.after).toBeGreaterThan(20);
    expect((faults.before + faults.after) / faults.writes).toBeGreaterThan(0.2);
    expect(retries).toBeGreaterThan(0);
    expect(duplicates).toBeGreaterThan(0);
    expect(acked.size).toBe(EVENTS);
    expect(dlq.sent).toEqual([]);

    for (const tenant of TENANTS) {
      const expected = events.filter((e) => e.tenant === tenant).map((e) => e.id);
      const { results } = await env.AUDIT_DB.prepare("SELECT seq, id FROM audit_events WHERE tenant = ? ORDER BY seq")
        .bind(tenant)
        .all<{ seq: number; id: string }>();
      expect(results.map((r) => r.seq)).toEqual(expected.map((_, i) => i + 1));
      expect(new Set(results.map((r) => r.id))).toEqual(new Set(expected));
      expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({
        ok: true,
        complete: true,
        checked: expected.length,
        head: { seq: expected.length },
      });
    }
    const total = await env.AUDIT_DB.prepare(
      `SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids FROM audit_events WHERE tenant LIKE 'lf-tenant-%'`,
    ).first();
    expect(total).toEqual({ n: EVENTS, ids: EVENTS });
  });
});
