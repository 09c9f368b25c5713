import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { canonicalJson, chainHash } from "../../src/logger/chain";
import { pruneExpired } from "../../src/logger/retention";
import { verifyChain } from "../../src/logger/verify";
import { EVENT_TS, auditEvent as event } from "../fixtures/audit-event";
import { deliver, directAuditLog, editAndRehash, rowsOf, run } from "../fixtures/logger";

let tenantCounter = 0;
const tenantId = (label: string) => `lv-${label}-${++tenantCounter}`;
const DAY = 86_400_000;

async function chainOf(label: string, n: number, ts = (_i: number) => EVENT_TS): Promise<string> {
  const tenant = tenantId(label);
  await deliver(Array.from({ length: n }, (_, i) => event(tenant, { ts: ts(i) })));
  expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, checked: n });
  return tenant;
}

const verify = (tenant: string, options = {}, page?: number) => verifyChain(env.AUDIT_DB, tenant, options, page);

/** Swaps two rows' positions (their seq values), as someone reordering the table would. */
async function swapSeq(tenant: string, a: number, b: number): Promise<void> {
  await run("UPDATE audit_events SET seq = 999999 WHERE tenant = ? AND seq = ?", tenant, a);
  await run("UPDATE audit_events SET seq = ? WHERE tenant = ? AND seq = ?", a, tenant, b);
  await run("UPDATE audit_events SET seq = ? WHERE tenant = ? AND seq = 999999", b, tenant);
}

/** Re-links every row from `seq` on (prev_hash, hash) and the head, as a forger rewriting the chain would. */
async function rechainFrom(tenant: string, seq: number): Promise<void> {
  const rows = await rowsOf(tenant);
  let prev = rows.find((r) => r.seq === seq - 1)?.hash ?? "0".repeat(64);
  for (const row of rows.filter((r) => r.seq >= seq)) {
    const hash = await chainHash(prev, row.event);
    await run(
      "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE tenant = ? AND seq = ?",
      prev,
      hash,
      tenant,
      row.seq,
    );
    prev = hash;
  }
  await run("UPDATE audit_chain SET seq = ?, hash = ? WHERE tenant = ?", rows.at(-1)!.seq, prev, tenant);
}

describe("chain verification: what it reports on a sound chain", () => {
  it("reports an empty chain as ok with no head or anchor", async () => {
    expect(await verify(tenantId("empty"))).toEqual({
      ok: true,
      complete: true,
      checked: 0,
      from_seq: 1,
      next_seq: null,
      first_break: null,
      head: null,
      anchor: null,
      checkpoint: null,
    });
  });

  it("reports the head (seq and hash) of a sound chain", async () => {
    const tenant = await chainOf("sound", 3);
    const last = (await rowsOf(tenant)).at(-1)!;
    expect(await verify(tenant)).toEqual({
      ok: true,
      complete: true,
      checked: 3,
      from_seq: 1,
      next_seq: null,
      first_break: null,
      head: { seq: 3, hash: last.hash },
      anchor: null,
      checkpoint: null,
    });
  });
});

describe("chain verification: tampering, each at the right seq with the right reason", () => {
  it("edited: an event changed in place", async () => {
    const tenant = await chainOf("ev", 4);
    await run(
      `UPDATE audit_events SET event = replace(event, '"status":200', '"status":201') WHERE tenant = ? AND seq = 3`,
      tenant,
    );
    expect(await verify(tenant)).toMatchObject({ ok: false, checked: 2, first_break: { seq: 3, reason: "edited" } });
  });

  it("edited: a hash changed in place", async () => {
    const tenant = await chainOf("hash", 4);
    await run("UPDATE audit_events SET hash = ? WHERE tenant = ? AND seq = 2", "a".repeat(64), tenant);
    expect(await verify(tenant)).toMatchObject({ ok: false, checked: 1, first_break: { seq: 2, reason: "edited" } });
  });

  it("edited: an event changed and its own hash recomputed (the next row's link gives it away)", async () => {
    const tenant = await chainOf("rehash", 4);
    await editAndRehash(tenant, 2);
    expect(await verify(tenant)).toMatchObject({ ok: false, checked: 1, first_break: { seq: 2, reason: "edited" } });
  });

  it("edited: a copied column that the hash does not cover (actor, model, tokens)", async () => {
    for (const [column, value] of [
      ["actor", "operator"],
      ["model", "gpt-4o"],
      ["prompt_tokens", 11],
      ["cost_saved", 0.5],
    ] as const) {
      const tenant = await chainOf(`col-${column.replace("_", "")}`, 3);
      await run(`UPDATE audit_events SET ${column} = ? WHERE tenant = ? AND seq = 2`, value, tenant);
      expect(await verify(tenant)).toMatchObject({ ok: false, checked: 1, first_break: { seq: 2, reason: "edited" } });
    }
  });

  it("edited: an event rewritten as non-canonical JSON with the same content and a matching hash", async () => {
    const tenant = await chainOf("noncanon", 2);
    const row = (await rowsOf(tenant))[1]!;
    const spaced = JSON.stringify(JSON.parse(row.event), null, 1);
    await run(
      "UPDATE audit_events SET event = ?, hash = ? WHERE tenant = ? AND seq = 2",
      spaced,
      await chainHash(row.prev_hash, spaced),
      tenant,
    );
    expect(await verify(tenant)).toMatchObject({ first_break: { seq: 2, reason: "edited" } });
  });

  it("deleted: a row in the middle", async () => {
    const tenant = await chainOf("gap", 4);
    await run("DELETE FROM audit_events WHERE tenant = ? AND seq = 2", tenant);
    expect(await verify(tenant)).toMatchObject({ ok: false, checked: 1, first_break: { seq: 2, reason: "deleted" } });
  });

  it("deleted: the last rows (the head is beyond them)", async () => {
    const tenant = await chainOf("tail", 4);
    await run("DELETE FROM audit_events WHERE tenant = ? AND seq >= 3", tenant);
    expect(await verify(tenant)).toMatchObject({ ok: false, checked: 2, first_break: { seq: 3, reason: "deleted" } });
  });

  it("reordered: two rows' seq swapped, adjacent or not", async () => {
    const far = await chainOf("swap-far", 5);
    await swapSeq(far, 2, 4);
    expect(await verify(far)).toMatchObject({ ok: false, checked: 1, first_break: { seq: 2, reason: "reordered" } });
    const near = await chainOf("swap-near", 5);
    await swapSeq(near, 3, 4);
    expect(await verify(near)).toMatchObject({ ok: false, checked: 2, first_break: { seq: 3, reason: "reordered" } });
  });

  it("inserted: a well-formed row slipped in between two rows, later rows renumbered and the head moved", async () => {
    const tenant = await chainOf("insert", 4);
    const rows = await rowsOf(tenant);
    await run("UPDATE audit_events SET seq = seq + 1000 WHERE tenant = ? AND seq >= 3", tenant);
    await run("UPDATE audit_events SET seq = seq - 999 WHERE tenant = ? AND seq > 1000", tenant);
    const forged = canonicalJson(event(tenant));
    const parsed = JSON.parse(forged);
    await run(
      `INSERT INTO audit_events (tenant, seq, id, ts, actor, action, outcome, status, cache, model, prompt_tokens,
         completion_tokens, cost_saved, latency_ms, event, prev_hash, hash)
       VALUES (?, 3, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      tenant,
      parsed.id,
      parsed.ts,
      parsed.actor,
      parsed.action,
      parsed.outcome,
      parsed.status,
      parsed.cache,
      parsed.model,
      parsed.prompt_tokens,
      parsed.completion_tokens,
      parsed.cost_saved,
      parsed.latency_ms,
      forged,
      rows[1]!.hash,
      await chainHash(rows[1]!.hash, forged),
    );
    await run("UPDATE audit_chain SET seq = 5 WHERE tenant = ?", tenant);
    expect(await verify(tenant)).toMatchObject({ ok: false, checked: 2, first_break: { seq: 3, reason: "inserted" } });
  });

  it("inserted: rows beyond the head (the head moved back to an earlier row)", async () => {
    const tenant = await chainOf("beyond", 4);
    const second = (await rowsOf(tenant))[1]!;
    await run("UPDATE audit_chain SET seq = 2, hash = ? WHERE tenant = ?", second.hash, tenant);
    expect(await verify(tenant)).toMatchObject({
      ok: false,
      checked: 2,
      head: { seq: 2 },
      first_break: { seq: 3, reason: "inserted" },
    });
  });

  it("head_mismatch: a head edited, or deleted", async () => {
    const tenant = await chainOf("head", 3);
    await run("UPDATE audit_chain SET hash = ? WHERE tenant = ?", "f".repeat(64), tenant);
    expect(await verify(tenant)).toMatchObject({
      ok: false,
      checked: 2,
      head: { seq: 3, hash: "f".repeat(64) },
      first_break: { seq: 3, reason: "head_mismatch" },
    });
    await run("DELETE FROM audit_chain WHERE tenant = ?", tenant);
    expect(await verify(tenant)).toMatchObject({
      ok: false,
      head: null,
      first_break: { seq: 3, reason: "head_mismatch" },
    });
  });

  it("head_mismatch: the last event edited and re-hashed", async () => {
    const tenant = await chainOf("last", 3);
    await editAndRehash(tenant, 3);
    expect(await verify(tenant)).toMatchObject({ ok: false, first_break: { seq: 3, reason: "head_mismatch" } });
  });
});

describe("chain verification: after retention, from the anchor", () => {
  /** A chain whose first `old` events are expired and pruned. */
  async function pruned(label: string, old: number, recent: number) {
    const tenant = await chainOf(label, old + recent, (i) => (i < old ? 10 * DAY + i : 500 * DAY));
    const report = await pruneExpired(env.AUDIT_DB, 420 * DAY, 400);
    expect(report.pruned[tenant]).toBe(old);
    return tenant;
  }

  it("verifies from the anchor, which holds the last pruned event's seq and hash", async () => {
    const tenant = await chainOf("anchor", 5, (i) => (i < 2 ? 10 * DAY + i : 500 * DAY));
    const second = (await rowsOf(tenant))[1]!;
    await pruneExpired(env.AUDIT_DB, 420 * DAY, 400);
    expect(await verify(tenant)).toMatchObject({
      ok: true,
      checked: 3,
      from_seq: 3,
      anchor: { seq: 2, hash: second.hash, ts: 10 * DAY + 1 },
      head: { seq: 5 },
    });
  });

  it("anchor_mismatch: an anchor whose hash was edited", async () => {
    const tenant = await pruned("anchor-edit", 2, 3);
    await run("UPDATE audit_anchors SET hash = ? WHERE tenant = ?", "b".repeat(64), tenant);
    expect(await verify(tenant)).toMatchObject({ ok: false, first_break: { seq: 3, reason: "anchor_mismatch" } });
  });

  it("deleted: the first kept row deleted after pruning", async () => {
    const tenant = await pruned("anchor-del", 2, 3);
    await run("DELETE FROM audit_events WHERE tenant = ? AND seq = 3", tenant);
    expect(await verify(tenant)).toMatchObject({ ok: false, first_break: { seq: 3, reason: "deleted" } });
  });

  it("inserted: a row at or below the anchor", async () => {
    const tenant = await pruned("anchor-ins", 2, 3);
    await run(
      `INSERT INTO audit_events SELECT tenant, 1, 'x-' || id, ts, actor, action, outcome, status, cache, prompt_tokens,
              completion_tokens, cost_saved, latency_ms, event, prev_hash, hash, model,
              prompt_tokens_saved
         FROM audit_events WHERE tenant = ? AND seq = 3`,
      tenant,
    );
    expect(await verify(tenant)).toMatchObject({ ok: false, checked: 0, first_break: { seq: 1, reason: "inserted" } });
  });
});

describe("chain verification: a checkpoint recorded outside D1", () => {
  it("matches while the chain grows, and catches a rewrite that is consistent inside D1", async () => {
    const tenant = await chainOf("ckpt", 4);
    const recorded = (await verify(tenant)).head!;
    await deliver([event(tenant), event(tenant)]);
    expect(await verify(tenant, { checkpoint: recorded })).toMatchObject({ ok: true, checkpoint: "match" });

    // Someone edits event 2 and re-links everything after it, head included: the chain is consistent again.
    await run(
      `UPDATE audit_events SET event = replace(event, '"status":200', '"status":201'), status = 201
        WHERE tenant = ? AND seq = 2`,
      tenant,
    );
    await rechainFrom(tenant, 2);
    expect(await verify(tenant)).toMatchObject({ ok: true });
    expect(await verify(tenant, { checkpoint: recorded })).toMatchObject({
      ok: false,
      checkpoint: "mismatch",
      first_break: { seq: 4, reason: "checkpoint_mismatch" },
    });
  });

  it("catches a chain cut back below a recorded head, and says when a checkpoint was pruned", async () => {
    const tenant = await chainOf("ckpt-cut", 4);
    const recorded = (await verify(tenant)).head!;
    await run("DELETE FROM audit_events WHERE tenant = ? AND seq = 4", tenant);
    const third = (await rowsOf(tenant))[2]!;
    await run("UPDATE audit_chain SET seq = 3, hash = ? WHERE tenant = ?", third.hash, tenant);
    expect(await verify(tenant)).toMatchObject({ ok: true });
    expect(await verify(tenant, { checkpoint: recorded })).toMatchObject({
      ok: false,
      checkpoint: "mismatch",
      first_break: { seq: 4, reason: "checkpoint_mismatch" },
    });

    const old = await chainOf("ckpt-pruned", 4, (i) => (i < 3 ? 10 * DAY : 500 * DAY));
    const early = { seq: 1, hash: (await rowsOf(old))[0]!.hash };
    const atAnchor = { seq: 3, hash: (await rowsOf(old))[2]!.hash };
    await pruneExpired(env.AUDIT_DB, 420 * DAY, 400);
    expect(await verify(old, { checkpoint: early })).toMatchObject({ ok: true, checkpoint: "pruned" });
    expect(await verify(old, { checkpoint: atAnchor })).toMatchObject({ ok: true, checkpoint: "match" });
  });
});

describe("chain verification: in windows", () => {
  it("verifies page by page, across page boundaries, and finds a break at any page size", async () => {
    const tenant = await chainOf("paged", 7);
    for (const size of [1, 2, 3, 7, 500])
      expect(await verify(tenant, {}, size)).toMatchObject({ ok: true, checked: 7 });
    await run(
      "UPDATE audit_events SET event = replace(event, '\"latency_ms\":15', '\"latency_ms\":16'), latency_ms = 16 WHERE tenant = ? AND seq = 5",
      tenant,
    );
    for (const size of [2, 4, 5, 500]) {
      expect(await verify(tenant, {}, size)).toMatchObject({ ok: false, checked: 4, first_break: { seq: 5 } });
    }
  });

  it("stops after max_rows and continues from next_seq, each window checking its link to the one before", async () => {
    const tenant = await chainOf("window", 7);
    const first = await verify(tenant, { max_rows: 3 });
    expect(first).toMatchObject({ ok: true, complete: false, checked: 3, from_seq: 1, next_seq: 4 });
    const second = await verify(tenant, { from_seq: 4, max_rows: 3 });
    expect(second).toMatchObject({ ok: true, complete: false, checked: 3, from_seq: 4, next_seq: 7 });
    const third = await verify(tenant, { from_seq: 7, max_rows: 3 });
    expect(third).toMatchObject({ ok: true, complete: true, checked: 1, next_seq: null, head: { seq: 7 } });
    // Right after the head: nothing left to check, the head still is.
    expect(await verify(tenant, { from_seq: 8 })).toMatchObject({ ok: true, complete: true, checked: 0 });

    await swapSeq(tenant, 4, 5);
    expect(await verify(tenant, { from_seq: 4, max_rows: 3 })).toMatchObject({
      ok: false,
      first_break: { seq: 4, reason: "reordered" },
    });
  });

  it("refuses bad options with a stable code", async () => {
    const log = directAuditLog();
    const tenant = tenantId("bad");
    await expect(log.verify(tenant, { from_seq: 0 })).rejects.toThrow(new RangeError("invalid_from_seq"));
    await expect(log.verify(tenant, { from_seq: 2 })).rejects.toThrow("invalid_from_seq"); // beyond an empty chain
    await expect(log.verify(tenant, { max_rows: -1 })).rejects.toThrow("invalid_max_rows");
    await expect(log.verify(tenant, { checkpoint: { seq: 1, hash: "zz" } })).rejects.toThrow("invalid_checkpoint");
    await expect(log.verify(tenant, { everything: true } as never)).rejects.toThrow("invalid_query");
    await expect(log.verify("../x")).rejects.toThrow("invalid_tenant");
  });
});
