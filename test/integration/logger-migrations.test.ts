// The logger's migrations apply to a database that already holds data: 0001 first, rows written as the logger
// of that time wrote them (version 1 events, rejects), then 0002. Nothing is lost and the old chain verifies.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { listEvents } from "../../src/logger/audit-log";
import { chainHash, GENESIS } from "../../src/logger/chain";
import { listDeadLetters } from "../../src/logger/dead-letters";
import { statsFor } from "../../src/logger/stats";
import { verifyChain } from "../../src/logger/verify";
import { type AuditEventV1, AuditEventV1Schema } from "../../src/shared/audit-event";
import { canonicalJson } from "../../src/shared/canonical-json";
import { auditEvent, EVENT_TS } from "../fixtures/audit-event";
import { deliver } from "../fixtures/logger";

const db = (env as unknown as { MIGRATION_TEST_DB: D1Database }).MIGRATION_TEST_DB;

function v1Event(tenant: string, i: number): AuditEventV1 {
  return AuditEventV1Schema.parse({
    v: 1,
    id: crypto.randomUUID(),
    ts: EVENT_TS + i,
    request_id: `req-${i}`,
    tenant,
    actor: i === 0 ? "root" : "key:key_1",
    action: "chat.completions",
    outcome: i === 2 ? "denied" : "allowed",
    status: i === 2 ? 403 : 200,
    code: i === 2 ? "forbidden" : null,
    detail: i === 2 ? "scope missing: cache:read (free text in version 1)" : null,
    method: "POST",
    route: "/v1/chat/completions",
    cache: i === 1 ? "HIT-EXACT" : "MISS",
    model: "gpt-4o-mini",
    prompt_hash: "p".repeat(43),
    entry_id: null,
    similarity: null,
    prompt_tokens: 10,
    completion_tokens: 20,
    cost_saved: i === 1 ? 0.25 : null,
    latency_ms: 10 + i,
  });
}

describe("logger migrations on an existing database", () => {
  it("0002 applies over version 1 rows and rejects: the old chain still verifies and keeps growing", async () => {
    await applyD1Migrations(
      db,
      env.TEST_MIGRATIONS.filter((m) => m.name.startsWith("0001")),
    );
    const tenant = "legacy";
    let prev = GENESIS;
    const events = [0, 1, 2].map((i) => v1Event(tenant, i));
    for (const [i, e] of events.entries()) {
      const event = canonicalJson(e);
      const hash = await chainHash(prev, event);
      await db
        .prepare(
          `INSERT INTO audit_events (tenant, seq, id, ts, actor, action, outcome, status, cache, prompt_tokens,
             completion_tokens, cost_saved, latency_ms, event, prev_hash, hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .bind(
          tenant,
          i + 1,
          e.id,
          e.ts,
          e.actor,
          e.action,
          e.outcome,
          e.status,
          e.cache,
          e.prompt_tokens,
          e.completion_tokens,
          e.cost_saved,
          e.latency_ms,
          event,
          prev,
          hash,
        )
        .run();
      prev = hash;
    }
    await db.prepare("INSERT INTO audit_chain (tenant, seq, hash) VALUES (?, 3, ?)").bind(tenant, prev).run();
    await db
      .prepare(
        `INSERT INTO audit_rejects (received_at, message_id, reason, body, body_bytes) VALUES
           (1, 'old-1', 'status: Too big', '{"status":999}', 14),
           (2, 'old-2', 'duplicate id with different content', '{"v":1}', 7)`,
      )
      .run();

    await applyD1Migrations(db, env.TEST_MIGRATIONS);

    const models = await db.prepare("SELECT model FROM audit_events WHERE tenant = ?").bind(tenant).all();
    expect(models.results).toEqual(events.map(() => ({ model: "gpt-4o-mini" })));
    expect(await verifyChain(db, tenant)).toMatchObject({ ok: true, checked: 3, head: { seq: 3, hash: prev } });
    const listed = await listEvents(db, tenant, {});
    expect(listed.events.map((e) => [e.v, e.seq])).toEqual([
      [1, 3],
      [1, 2],
      [1, 1],
    ]);
    expect(listed.events[0]).toMatchObject({ detail: events[2]!.detail });
    expect((await statsFor(db, tenant, EVENT_TS, EVENT_TS + 10, "model")).groups).toEqual([
      expect.objectContaining({ group: "gpt-4o-mini", requests: 3 }),
    ]);
    const kept = await listDeadLetters(db, {});
    expect(kept.dead_letters.map((d) => [d.message_id, d.reason, d.detail, d.body])).toEqual([
      ["old-2", "id_conflict", "duplicate id with different content", '{"v":1}'],
      ["old-1", "invalid", "status: Too big", '{"status":999}'],
    ]);
    const tables = await db.prepare("SELECT name FROM sqlite_master WHERE name = 'audit_rejects'").all();
    expect(tables.results).toEqual([]);

    // Version 2 events chain on after the version 1 rows.
    const next = auditEvent(tenant);
    const result = await deliver([next], { AUDIT_DB: db });
    expect(result.acked).toEqual(result.ids);
    expect(await verifyChain(db, tenant)).toMatchObject({ ok: true, checked: 4, head: { seq: 4 } });
  });
});
