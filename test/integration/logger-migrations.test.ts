// The logger's migrations apply to a database that already holds data: 0001 first, rows written as the logger
// of that time wrote them (version 1 events, rejects), then 0002; version 2 rows written before 0003, then 0003.
// Nothing is lost and the old chain verifies.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { listEvents } from "../../src/logger/audit-log";
import { chainHash, GENESIS } from "../../src/logger/chain";
import { listDeadLetters } from "../../src/logger/dead-letters";
import { statsFor } from "../../src/logger/stats";
import { verifyChain } from "../../src/logger/verify";
import { type AuditEvent, type AuditEventV1, AuditEventV1Schema } from "../../src/shared/audit-event";
import { canonicalJson } from "../../src/shared/canonical-json";
import { auditEvent, EVENT_TS } from "../fixtures/audit-event";
import { deliver } from "../fixtures/logger";

const databases = env as unknown as { MIGRATION_TEST_DB: D1Database; MIGRATION_0003_TEST_DB: D1Database };
const db = databases.MIGRATION_TEST_DB;

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

/** The event fields 0001's audit_events copied out of each event; 0002 added `model`, 0003 `prompt_tokens_saved`. */
const COPIED_BY_0001 = [
  "ts",
  "actor",
  "action",
  "outcome",
  "status",
  "cache",
  "prompt_tokens",
  "completion_tokens",
  "cost_saved",
  "latency_ms",
] as const;

/**
 * Events chained into `db` for `tenant` as a logger of an earlier migration wrote them: the `copied` event fields in
 * their columns, the canonical event and its hashes, and the chain's head. Returns the head's hash.
 */
async function storeAsThen(
  db: D1Database,
  tenant: string,
  events: readonly (AuditEvent | AuditEventV1)[],
  copied: readonly string[],
): Promise<string> {
  let prev = GENESIS;
  for (const [i, e] of events.entries()) {
    const event = canonicalJson(e);
    const hash = await chainHash(prev, event);
    const values = copied.map((column) => (e as Record<string, unknown>)[column] ?? null);
    await db
      .prepare(
        `INSERT INTO audit_events (tenant, seq, id, ${copied.join(", ")}, event, prev_hash, hash)
         VALUES (${Array.from({ length: copied.length + 6 }, () => "?").join(", ")})`,
      )
      .bind(tenant, i + 1, e.id, ...values, event, prev, hash)
      .run();
    prev = hash;
  }
  await db
    .prepare("INSERT INTO audit_chain (tenant, seq, hash) VALUES (?, ?, ?)")
    .bind(tenant, events.length, prev)
    .run();
  return prev;
}

describe("logger migrations on an existing database", () => {
  it("0002 applies over version 1 rows and rejects: the old chain still verifies and keeps growing", async () => {
    await applyD1Migrations(
      db,
      env.TEST_MIGRATIONS.filter((m) => m.name.startsWith("0001")),
    );
    const tenant = "legacy";
    const events = [0, 1, 2].map((i) => v1Event(tenant, i));
    const prev = await storeAsThen(db, tenant, events, COPIED_BY_0001);
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

  it("0003 applies over version 2 rows stored without prompt_tokens_saved: they verify, count 0, and chain on", async () => {
    const db = databases.MIGRATION_0003_TEST_DB;
    await applyD1Migrations(
      db,
      env.TEST_MIGRATIONS.filter((m) => !m.name.startsWith("0003")),
    );
    const columns = async () =>
      (await db.prepare("SELECT name FROM pragma_table_info('audit_events')").all<{ name: string }>()).results.map(
        (c) => c.name,
      );
    expect(await columns()).not.toContain("prompt_tokens_saved");
    const tenant = "before-0003";
    const embeddings = { action: "embeddings.create", route: "/v1/embeddings", model: "text-embedding-3-small" };
    const old = [
      auditEvent(tenant, { ts: EVENT_TS + 1 }),
      auditEvent(tenant, { ts: EVENT_TS + 2, cache: "HIT-EXACT", cost_saved: 0.25 }),
      // A partly cached embeddings batch as it was recorded then: its cost saved, not its tokens.
      auditEvent(tenant, {
        ts: EVENT_TS + 3,
        ...embeddings,
        prompt_tokens: 9,
        completion_tokens: null,
        cost_saved: 1e-7,
      }),
    ];
    const head = await storeAsThen(db, tenant, old, [...COPIED_BY_0001, "model"]);

    await applyD1Migrations(db, env.TEST_MIGRATIONS);
    expect(await columns()).toContain("prompt_tokens_saved");

    // Nothing was rewritten: the old rows hash as they did, read as before, and count no tokens they did not.
    expect(await verifyChain(db, tenant)).toMatchObject({ ok: true, checked: 3, head: { seq: 3, hash: head } });
    const column = await db.prepare("SELECT prompt_tokens_saved FROM audit_events WHERE tenant = ?").bind(tenant).all();
    expect(column.results).toEqual(old.map(() => ({ prompt_tokens_saved: null })));
    const before = await statsFor(db, tenant, EVENT_TS, EVENT_TS + 10);
    expect(before.totals).toMatchObject({ tokens_saved: { prompt: 10, completion: 20 }, cost_saved: 0.2500001 });
    expect((await listEvents(db, tenant, {})).events.some((e) => "prompt_tokens_saved" in e)).toBe(false);

    // An event without the field is still accepted; one with it chains on and is counted.
    const without = auditEvent(tenant, { ts: EVENT_TS + 4 });
    const partial = auditEvent(tenant, {
      ts: EVENT_TS + 5,
      ...embeddings,
      prompt_tokens: 9,
      completion_tokens: null,
      cost_saved: 1.2e-7,
      prompt_tokens_saved: 6,
    });
    const result = await deliver([without, partial], { AUDIT_DB: db });
    expect(result.acked).toEqual(result.ids);
    expect(await verifyChain(db, tenant)).toMatchObject({ ok: true, checked: 5, head: { seq: 5 } });
    const listed = await listEvents(db, tenant, {});
    expect(listed.events.map((e) => [e.seq, "prompt_tokens_saved" in e ? e.prompt_tokens_saved : "absent"])).toEqual([
      [5, 6],
      [4, "absent"],
      [3, "absent"],
      [2, "absent"],
      [1, "absent"],
    ]);
    const after = await statsFor(db, tenant, EVENT_TS, EVENT_TS + 10);
    expect(after.totals).toMatchObject({ tokens_saved: { prompt: 16, completion: 20 }, cost_saved: 0.25000022 });

    // The copied column is checked against the hashed event, on old rows as on new ones.
    for (const [seq, value, back] of [
      [5, 60, 6],
      [3, 9, null],
    ] as const) {
      const edit = (v: number | null) =>
        db.prepare("UPDATE audit_events SET prompt_tokens_saved = ? WHERE tenant = ? AND seq = ?").bind(v, tenant, seq);
      await edit(value).run();
      expect(await verifyChain(db, tenant)).toMatchObject({ ok: false, first_break: { seq, reason: "edited" } });
      await edit(back).run();
    }
    expect(await verifyChain(db, tenant)).toMatchObject({ ok: true, checked: 5 });
  });
});
