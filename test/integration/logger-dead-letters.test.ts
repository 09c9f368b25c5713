import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { chainItem } from "../../src/logger/chain";
import { DEAD_LETTER_BODY_MAX_BYTES, type DeadLetterEnvelope, deadLetterEnvelope } from "../../src/logger/dead-letters";
import { pruneExpired } from "../../src/logger/retention";
import { verifyChain } from "../../src/logger/verify";
import { auditEvent as event, largestAuditEvent } from "../fixtures/audit-event";
import {
  argsOf,
  DLQ,
  deliver,
  deliverTo,
  directAuditLog,
  messageId,
  recordingDb,
  rowsOf,
  writes,
} from "../fixtures/logger";

const DAY = 86_400_000;
let tenantCounter = 0;
const tenantId = (label: string) => `ld-${label}-${++tenantCounter}`;
const auditLog = () => directAuditLog();

interface KeptRow {
  id: number;
  message_id: string;
  attempts: number | null;
  reason: string;
  detail: string;
  event_id: string | null;
  tenant: string | null;
  body: string;
  body_bytes: number;
  received_at: number;
}

const kept = (dlqMessageId: string) =>
  env.AUDIT_DB.prepare("SELECT * FROM audit_dead_letters WHERE dlq_message_id = ?").bind(dlqMessageId).first<KeptRow>();

/** The envelope the audit consumer would send for a message with this body. */
function envelopeFor(body: unknown, reason: "invalid" | "id_conflict" = "invalid"): DeadLetterEnvelope {
  const message = { id: messageId("orig"), attempts: 1, body } as Message<unknown>;
  return deadLetterEnvelope(message, reason, "status: Too big", null);
}

describe("dead-letter queue consumer", () => {
  it("keeps an envelope from the audit consumer as one row, acked, and a redelivery once", async () => {
    const envelope = envelopeFor({ status: 999 });
    const id = messageId("dlq");
    const result = await deliverTo(DLQ, [{ id, body: envelope }]);
    expect(result.acked).toEqual([id]);
    expect(await kept(id)).toMatchObject({
      message_id: envelope.message_id,
      attempts: 1,
      reason: "invalid",
      detail: "status: Too big",
      body: '{"status":999}',
      body_bytes: 14,
      event_id: null,
    });
    expect((await deliverTo(DLQ, [{ id, body: envelope }], {})).acked).toEqual([id]);
    const count = await env.AUDIT_DB.prepare("SELECT COUNT(*) AS n FROM audit_dead_letters WHERE dlq_message_id = ?")
      .bind(id)
      .first();
    expect(count).toEqual({ n: 1 });
  });

  it("classifies raw bodies moved there by the platform: invalid, undelivered, already stored, id conflict", async () => {
    const tenant = tenantId("raw");
    const stored = event(tenant);
    await deliver([stored]);
    const notStored = event(tenant);
    const ids = [messageId("raw"), messageId("raw"), messageId("raw"), messageId("raw")];
    const result = await deliverTo(DLQ, [
      { id: ids[0]!, body: { nonsense: true } },
      { id: ids[1]!, body: notStored },
      { id: ids[2]!, body: stored },
      { id: ids[3]!, body: { ...stored, status: 500, outcome: "error" } },
    ]);
    expect(result.acked).toEqual(ids);
    const rows = await Promise.all(ids.map(kept));
    expect(rows.map((r) => [r?.message_id, r?.reason, r?.event_id, r?.tenant, r?.attempts])).toEqual([
      [ids[0], "invalid", null, null, null],
      [ids[1], "undelivered", notStored.id, tenant, null],
      [ids[2], "already_stored", stored.id, tenant, null],
      [ids[3], "id_conflict", stored.id, tenant, null],
    ]);
    expect(rows[0]!.detail).toMatch(/^v: Invalid input/);
    expect(JSON.parse(rows[1]!.body)).toEqual(notStored);
  });

  it("retries with backoff when D1 fails, and one message that cannot be written does not hold back the others", async () => {
    const [a, b, c] = [messageId("f"), messageId("f"), messageId("f")];
    const poisoned = envelopeFor({ poisoned: true });
    const db = recordingDb(env.AUDIT_DB, (s) =>
      writes(s) && argsOf(s).includes(poisoned.message_id) ? "before" : null,
    ).db;
    const result = await deliverTo(
      DLQ,
      [
        { id: a, body: envelopeFor({ n: 1 }) },
        { id: b, body: poisoned, attempts: 4 },
        { id: c, body: envelopeFor({ n: 3 }) },
      ],
      { AUDIT_DB: db },
    );
    expect(result.acked).toEqual([a, c]);
    expect(result.retried).toEqual([b]);
    expect(result.delays).toEqual([[b, 16]]);
    expect(await kept(b)).toBeNull();
    expect(await kept(c)).toMatchObject({ body: '{"n":3}' });
  });

  it("keeps every message the audit consumer refuses, through the real queues", async () => {
    const tenant = tenantId("e2e");
    const result = await deliver([{ ...event(tenant), prompt: "x" }]);
    expect(result.acked).toEqual(result.ids);
    await vi.waitFor(
      async () => {
        const row = await env.AUDIT_DB.prepare("SELECT reason, detail FROM audit_dead_letters WHERE message_id = ?")
          .bind(result.ids[0])
          .first<{ reason: string; detail: string }>();
        expect(row?.reason).toBe("invalid");
        expect(row?.detail).toMatch(/prompt/);
      },
      { timeout: 5000, interval: 25 },
    );
  });

  it("keeps the largest valid event whole, so that every valid dead letter stays replayable", () => {
    const e = largestAuditEvent("l".repeat(32));
    const bytes = new TextEncoder().encode(JSON.stringify(e)).length;
    expect(bytes).toBeGreaterThan(8 * 1024);
    expect(bytes).toBeLessThanOrEqual(DEAD_LETTER_BODY_MAX_BYTES);
    expect(chainItem(e).canonical.length).toBe(bytes);
  });
});

describe("AuditLog.deadLetters", () => {
  it("lists dead letters newest first, page by page, with an opaque cursor", async () => {
    const ids = Array.from({ length: 5 }, () => messageId("list"));
    for (const id of ids) await deliverTo(DLQ, [{ id, body: envelopeFor({ id }) }]);
    const log = auditLog();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await log.deadLetters({ limit: 2, cursor });
      expect(page.dead_letters.length).toBeLessThanOrEqual(2);
      seen.push(...page.dead_letters.map((d) => JSON.parse(d.body).id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    // Newest first; other tests' dead letters are older or newer but these keep their order.
    expect(seen.filter((id) => ids.includes(id))).toEqual([...ids].reverse());
    const [newest] = (await log.deadLetters({ limit: 1 })).dead_letters;
    expect(newest).toMatchObject({ reason: "invalid", truncated: false, replayed_at: null, replay_result: null });
    expect(typeof newest!.received_at).toBe("number");
  });

  it("marks a body cut at 16 KiB as truncated", async () => {
    const id = messageId("trunc");
    await deliverTo(DLQ, [{ id, body: { filler: "x".repeat(20_000) } }]);
    const row = await kept(id);
    const page = await auditLog().deadLetters({ cursor: undefined, limit: 100 });
    expect(page.dead_letters.find((d) => d.id === row!.id)).toMatchObject({ truncated: true, body_bytes: 20_013 });
  });

  it("refuses bad arguments with a stable code", async () => {
    const log = auditLog();
    await expect(log.deadLetters({ limit: 0 })).rejects.toThrow(new RangeError("invalid_limit"));
    await expect(log.deadLetters({ cursor: "nope" })).rejects.toThrow("invalid_cursor");
    await expect(log.deadLetters({ cursor: btoa("12.3") })).rejects.toThrow("invalid_cursor");
    await expect(log.deadLetters({ tenant: "x" } as never)).rejects.toThrow("invalid_query");
    expect((await log.deadLetters({ limit: 10_000 })).dead_letters.length).toBeLessThanOrEqual(100);
  });
});

describe("AuditLog.replayDeadLetter", () => {
  async function keep(body: unknown): Promise<number> {
    const id = messageId("replay");
    await deliverTo(DLQ, [{ id, body }]);
    return (await kept(id))!.id;
  }

  it("chains an undelivered valid event, and replaying again finds it stored", async () => {
    const tenant = tenantId("replay");
    await deliver([event(tenant, { ts: Date.now() })]);
    const lost = event(tenant, { ts: Date.now() });
    const id = await keep(lost);
    const log = auditLog();
    expect(await log.replayDeadLetter(id)).toEqual({
      id,
      result: "chained",
      event_id: lost.id,
      tenant,
      seq: 2,
      detail: null,
    });
    expect((await rowsOf(tenant)).map((r) => r.id).at(-1)).toBe(lost.id);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, checked: 2 });
    expect(await log.replayDeadLetter(id)).toMatchObject({ result: "already_stored", seq: null });
    const row = await env.AUDIT_DB.prepare("SELECT replayed_at, replay_result FROM audit_dead_letters WHERE id = ?")
      .bind(id)
      .first<{ replayed_at: number; replay_result: string }>();
    expect(row!.replay_result).toBe("already_stored");
    expect(row!.replayed_at).toBeGreaterThan(0);
  });

  it("re-validates: an invalid body is reported, never chained", async () => {
    const id = await keep(envelopeFor({ v: 2, tenant: "x" }));
    const result = await auditLog().replayDeadLetter(id);
    expect(result).toMatchObject({ id, result: "invalid", event_id: null, seq: null });
    expect(result.detail).toMatch(/id/);
  });

  it("does not chain an event whose id is stored with other content", async () => {
    const tenant = tenantId("replay-conflict");
    const e = event(tenant, { ts: Date.now() });
    await deliver([e]);
    const id = await keep(envelopeFor({ ...e, status: 500 }, "id_conflict"));
    expect(await auditLog().replayDeadLetter(id)).toMatchObject({ result: "id_conflict", event_id: e.id });
    expect(await rowsOf(tenant)).toHaveLength(1);
  });

  it("regression: a replay after retention chained again an event it had deleted, or the copy that lost an id conflict", async () => {
    const tenant = tenantId("replay-pruned");
    const now = Date.now();
    const [expired, older, recent] = [now - 401 * DAY, now - 395 * DAY, now - DAY].map((ts) => event(tenant, { ts }));
    await deliver([expired!, older!, recent!]);
    const stored = await keep(expired!);
    const conflicting = await keep(envelopeFor({ ...older!, status: 500 }, "id_conflict"));
    const undelivered = await keep(event(tenant, { ts: now - 396 * DAY }));
    // Retention run ten days ahead (its cutoff 390 days back): the first two events go, the anchor is the second.
    await pruneExpired(env.AUDIT_DB, now + 10 * DAY, 400);
    expect((await rowsOf(tenant)).map((r) => r.id)).toEqual([recent!.id]);

    const log = auditLog();
    for (const id of [stored, conflicting, undelivered]) {
      expect(await log.replayDeadLetter(id)).toMatchObject({ id, result: "expired", tenant, seq: null });
    }
    expect((await rowsOf(tenant)).map((r) => r.id)).toEqual([recent!.id]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, checked: 1, head: { seq: 3 } });
    // Within the retention period and after the anchor, an undelivered event still chains.
    const late = event(tenant, { ts: now - 2 * DAY });
    expect(await log.replayDeadLetter(await keep(late))).toMatchObject({ result: "chained", seq: 4 });
  });

  it("cannot replay a truncated body", async () => {
    const id = await keep({ filler: "y".repeat(20_000) });
    expect(await auditLog().replayDeadLetter(id)).toMatchObject({ result: "truncated" });
  });

  it("refuses an unknown or malformed id with a stable code", async () => {
    const log = auditLog();
    await expect(log.replayDeadLetter(0)).rejects.toThrow(new RangeError("invalid_dead_letter_id"));
    await expect(log.replayDeadLetter(1.5)).rejects.toThrow("invalid_dead_letter_id");
    await expect(log.replayDeadLetter("1" as never)).rejects.toThrow("invalid_dead_letter_id");
    await expect(log.replayDeadLetter(Number.MAX_SAFE_INTEGER)).rejects.toThrow("dead_letter_not_found");
  });
});
