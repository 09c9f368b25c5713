import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { pruneExpired } from "../../src/logger/retention";
import { verifyChain } from "../../src/logger/verify";
import { EVENT_TS, auditEvent as event } from "../fixtures/audit-event";
import {
  DLQ,
  deliver,
  deliverTo,
  directAuditLog,
  messageId,
  recordingDb,
  recordingQueue,
  run,
} from "../fixtures/logger";

const DAY = 86_400_000;

/** Full scans allowed, each for a reason. */
const ALLOWED_SCANS: Record<string, string> = {
  // Retention enumerates the chain heads, one row per tenant, to find the tenants with expired events.
  "SCAN c ": "retention reads every head (one row per tenant)",
};

describe("query plans", () => {
  it("reads every table through an index in the consumer, the RPC methods, dead letters and retention", async () => {
    const recorder = recordingDb();
    const db = recorder.db;
    const tenant = "li-plans";
    const log = directAuditLog({ ...env, AUDIT_DB: db } as never);

    // Consumer: new events, a redelivery, an id conflict.
    const first = event(tenant, { ts: 5 * DAY });
    await deliver([first, event(tenant), event(tenant)], { AUDIT_DB: db });
    await deliver([first, { ...first, status: 500 }], { AUDIT_DB: db, AUDIT_DLQ: recordingQueue().queue });
    // Dead letters: an envelope-less body (looked up by id), listing, replay.
    const id = messageId("plan");
    await deliverTo(DLQ, [{ id, body: event(tenant, { ts: Date.now() }) }], { AUDIT_DB: db });
    const page = await log.deadLetters({ limit: 1 });
    await log.deadLetters({ limit: 1, cursor: page.next_cursor ?? undefined });
    await log.replayDeadLetter(page.dead_letters[0]!.id);
    // Listing, each filter.
    const listed = await log.list(tenant, { limit: 1 });
    for (const q of [
      { actor: "key:key_1" },
      { action: "chat.completions" },
      { outcome: "allowed" as const },
      { from: EVENT_TS, to: EVENT_TS + 1 },
      { cursor: listed.next_cursor! },
      { actor: "key:key_1", outcome: "denied" as const, from: 1 },
    ]) {
      await log.list(tenant, q);
    }
    // Analytics, each grouping.
    for (const by of [undefined, "day", "model", "key"] as const) await log.stats(tenant, 0, EVENT_TS * 2, by);
    // Verification: whole, windowed, with a checkpoint, and on a break (the reorder lookup).
    const head = (await log.verify(tenant)).head!;
    await log.verify(tenant, { from_seq: 2, max_rows: 1, checkpoint: head });
    await run("UPDATE audit_events SET seq = 999 WHERE tenant = ? AND seq = 2", tenant);
    await run("UPDATE audit_events SET seq = 2 WHERE tenant = ? AND seq = 3", tenant);
    await run("UPDATE audit_events SET seq = 3 WHERE tenant = ? AND seq = 999", tenant);
    expect(await verifyChain(db, tenant)).toMatchObject({ first_break: { reason: "reordered" } });
    // Retention.
    await pruneExpired(db, 420 * DAY, 400);

    const unique = new Map(recorder.statements.map((s) => [`${s.sql}\u0000${JSON.stringify(s.args)}`, s]));
    const plans: { sql: string; plan: string[] }[] = [];
    for (const s of unique.values()) {
      const { results } = await env.AUDIT_DB.prepare(`EXPLAIN QUERY PLAN ${s.sql}`)
        .bind(...s.args)
        .all<{ detail: string }>();
      plans.push({ sql: s.sql.replace(/\s+/g, " ").trim(), plan: results.map((r) => r.detail) });
    }
    const tables = ["audit_events", "audit_chain", "audit_anchors", "audit_dead_letters"];
    const scans = plans.flatMap(({ sql, plan }) =>
      plan
        // Scans of a JSON list, a subquery's rows or a VALUES list read no table.
        .filter((d) => /^SCAN /.test(d) && !/^SCAN (json_each|\(subquery-\d+\)|CONSTANT ROW|\d+-ROW VALUES)/.test(d))
        .filter((d) => !Object.keys(ALLOWED_SCANS).some((allowed) => d.startsWith(allowed)))
        .map((d) => ({ sql, scan: d })),
    );
    expect(scans).toEqual([]);
    // Every table was read, and through one of its indexes.
    for (const table of tables) {
      expect(plans.some(({ plan }) => plan.some((d) => d.startsWith(`SEARCH ${table} USING`)))).toBe(true);
    }
  });
});

describe("what an event costs to write", () => {
  it("7 D1 rows per event (the row, its key, its id, 4 indexes) and the chain head once per batch", async () => {
    // D1 bills each index entry as a row written: docs/cost.md counts from here.
    let written = 0;
    const db = {
      prepare: (sql: string) => env.AUDIT_DB.prepare(sql),
      batch: async (list: D1PreparedStatement[]) => {
        const results = await env.AUDIT_DB.batch(list);
        for (const r of results) written += r.meta.rows_written ?? 0;
        return results;
      },
    } as unknown as D1Database;
    const tenant = "li-cost";
    await deliver([event(tenant)], { AUDIT_DB: db });
    // A new head is a row and its primary key; later batches update it in place.
    expect(written).toBe(7 + 2);
    written = 0;
    await deliver(
      Array.from({ length: 10 }, () => event(tenant)),
      { AUDIT_DB: db },
    );
    expect(written).toBe(10 * 7 + 1);
    // No index begins with another's columns (each would be a row written per event for nothing).
    const { results: indexes } = await env.AUDIT_DB.prepare("SELECT name FROM pragma_index_list('audit_events')").all<{
      name: string;
    }>();
    const columns: string[] = [];
    for (const { name } of indexes) {
      const { results } = await env.AUDIT_DB.prepare("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
        .bind(name)
        .all<{ name: string }>();
      columns.push(results.map((c) => c.name).join(","));
    }
    expect(columns).toHaveLength(6);
    for (const a of columns) {
      for (const b of columns) if (a !== b) expect(`${b},`.startsWith(`${a},`), `${b} begins with ${a}`).toBe(false);
    }
  });
});
