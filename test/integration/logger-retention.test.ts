// Retention: the logger's cron deletes each tenant's events older than AUDIT_RETENTION_DAYS, leaving an anchor
// so that the remaining chain still verifies; it never deletes rows that do not verify.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { loggerConfig } from "../../src/logger/config";
import logger from "../../src/logger/index";
import { pruneExpired } from "../../src/logger/retention";
import { verifyChain } from "../../src/logger/verify";
import { auditEvent as event } from "../fixtures/audit-event";
import {
  DLQ,
  deliver,
  deliverTo,
  directAuditLog,
  editAndRehash,
  messageId,
  rowsOf,
  run,
  withBatch,
} from "../fixtures/logger";

const DAY = 86_400_000;
let tenantCounter = 0;
const tenantId = (label: string) => `lr-${label}-${++tenantCounter}`;
const auditLog = () => directAuditLog();

/** Runs the cron's handler as the runtime would, at `time`. */
async function cron(time: number, bindings: Partial<Cloudflare.Env> = {}): Promise<void> {
  const controller = createScheduledController({ scheduledTime: time, cron: "17 * * * *" });
  await logger.scheduled(controller, { ...env, ...bindings });
}

/** A tenant with events at the given days (ts = day × 24 h + its index, in that order). */
async function tenantWith(label: string, days: number[]): Promise<string> {
  const tenant = tenantId(label);
  await deliver(days.map((d, i) => event(tenant, { ts: d * DAY + i })));
  return tenant;
}

describe("retention cron", () => {
  it("deletes events older than AUDIT_RETENTION_DAYS and keeps the chain verifiable from an anchor", async () => {
    expect(env.AUDIT_RETENTION_DAYS).toBe("400");
    const a = await tenantWith("a", [1, 2, 3, 450, 451]);
    const b = await tenantWith("b", [5, 460]);
    const rows = await rowsOf(a);
    await cron(420 * DAY); // cutoff: day 20

    expect((await rowsOf(a)).map((r) => r.seq)).toEqual([4, 5]);
    expect((await rowsOf(b)).map((r) => r.seq)).toEqual([2]);
    expect(await verifyChain(env.AUDIT_DB, a)).toMatchObject({
      ok: true,
      checked: 2,
      from_seq: 4,
      anchor: { seq: 3, hash: rows[2]!.hash, ts: 3 * DAY + 2 },
      head: { seq: 5, hash: rows[4]!.hash },
    });
    expect(await verifyChain(env.AUDIT_DB, b)).toMatchObject({ ok: true, anchor: { seq: 1 } });
    // Pruned events are gone from listing and analytics too.
    expect((await auditLog().list(a)).events.map((e) => e.seq)).toEqual([5, 4]);
    expect((await auditLog().stats(a, 0, 1000 * DAY)).totals.requests).toBe(2);
  });

  it("deletes only a prefix: an old event after a recent one waits until everything before it expires", async () => {
    const tenant = await tenantWith("prefix", [1, 450, 2, 3]);
    await cron(420 * DAY);
    expect((await rowsOf(tenant)).map((r) => r.seq)).toEqual([2, 3, 4]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, anchor: { seq: 1 } });
    await cron(851 * DAY); // cutoff: day 451
    expect(await rowsOf(tenant)).toEqual([]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({
      ok: true,
      checked: 0,
      anchor: { seq: 4 },
      head: { seq: 4 },
    });
  });

  it("moves the anchor forward on later runs while the chain keeps growing", async () => {
    const tenant = await tenantWith("grow", [1, 2]);
    await cron(420 * DAY);
    await deliver([event(tenant, { ts: 30 * DAY }), event(tenant, { ts: 600 * DAY })]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, checked: 2, anchor: { seq: 2 } });
    await cron(440 * DAY); // cutoff: day 40
    expect((await rowsOf(tenant)).map((r) => r.seq)).toEqual([4]);
    expect(await verifyChain(env.AUDIT_DB, tenant)).toMatchObject({ ok: true, checked: 1, anchor: { seq: 3 } });
    // Idempotent: nothing more is due.
    const report = await pruneExpired(env.AUDIT_DB, 440 * DAY, 400);
    expect(report.pruned[tenant]).toBeUndefined();
  });

  it("never prunes rows that do not verify: the tenant is left whole for verify to report", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const tampered = await tenantWith("tampered", [1, 2, 3, 450]);
    const sound = await tenantWith("sound", [1, 450]);
    await run(
      `UPDATE audit_events SET event = replace(event, '"status":200', '"status":201') WHERE tenant = ? AND seq = 2`,
      tampered,
    );
    const report = await pruneExpired(env.AUDIT_DB, 420 * DAY, 400);
    expect(report.refused[tampered]).toBe(2);
    // Rows before the bad one verify and are pruned; the bad one and everything after it stay.
    expect(report.pruned[tampered]).toBe(1);
    expect((await rowsOf(tampered)).map((r) => r.seq)).toEqual([2, 3, 4]);
    expect(await verifyChain(env.AUDIT_DB, tampered)).toMatchObject({
      ok: false,
      first_break: { seq: 2, reason: "edited" },
    });
    expect(report.pruned[sound]).toBe(1);
    expect(error).toHaveBeenCalledWith(expect.stringContaining(`${tampered} not pruned`));
    error.mockRestore();
  });

  // Regression: a row edited and re-hashed breaks the next row's link, not its own; retention recorded the break at
  // the next row and deleted the edited one (and made its forged hash the anchor), or, when the edited row was
  // the last expired one, checked no link at all.
  it("never prunes a row edited and re-hashed, in the middle of the expired rows or at their end", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const middle = await tenantWith("rehash-mid", [1, 2, 3, 450]);
    const end = await tenantWith("rehash-end", [1, 2, 450]);
    await editAndRehash(middle, 2);
    await editAndRehash(end, 2);
    for (const t of [middle, end]) {
      expect(await verifyChain(env.AUDIT_DB, t)).toMatchObject({
        ok: false,
        first_break: { seq: 2, reason: "edited" },
      });
    }
    const report = await pruneExpired(env.AUDIT_DB, 420 * DAY, 400);
    for (const t of [middle, end]) {
      expect(report.refused[t], t).toBe(2);
      expect(report.pruned[t], t).toBe(1);
      expect((await rowsOf(t)).map((r) => r.seq)[0], t).toBe(2);
      expect(await verifyChain(env.AUDIT_DB, t)).toMatchObject({
        ok: false,
        first_break: { seq: 2, reason: "edited" },
      });
    }
    error.mockRestore();
  });

  // Regression: the link from the last row a run let go to the row after it was checked only when both were read in
  // one page, and the chain's last row was never compared with the head: a row edited and re-hashed where a page or
  // the run's budget ended, or at the end of the chain, was deleted and its forged hash made the anchor.
  it("never prunes a row edited and re-hashed where the run's budget ends, or at the end of the chain", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    await pruneExpired(env.AUDIT_DB, 420 * DAY, 400); // what earlier tests left due, so that the budget is this test's
    const atBudget = await tenantWith("rehash-budget", [1, 2, 3, 4, 450]);
    await editAndRehash(atBudget, 2);
    const first = await pruneExpired(env.AUDIT_DB, 420 * DAY, 400, 2);
    expect(first.refused[atBudget]).toBe(2);
    expect(first.pruned[atBudget]).toBe(1);
    expect((await rowsOf(atBudget)).map((r) => r.seq)).toEqual([2, 3, 4, 5]);
    expect(await verifyChain(env.AUDIT_DB, atBudget)).toMatchObject({
      ok: false,
      first_break: { seq: 2, reason: "edited" },
    });

    const atEnd = await tenantWith("rehash-last", [1, 2, 3]);
    await editAndRehash(atEnd, 3);
    expect(await verifyChain(env.AUDIT_DB, atEnd)).toMatchObject({ first_break: { seq: 3, reason: "head_mismatch" } });
    const second = await pruneExpired(env.AUDIT_DB, 420 * DAY, 400);
    expect(second.refused[atEnd]).toBe(3);
    expect(second.pruned[atEnd]).toBe(2);
    expect((await rowsOf(atEnd)).map((r) => r.seq)).toEqual([3]);
    expect(await verifyChain(env.AUDIT_DB, atEnd)).toMatchObject({
      ok: false,
      first_break: { seq: 3, reason: "head_mismatch" },
    });
    error.mockRestore();
  });

  // Regression: head and anchor are read in one transaction, the rows page by page; retention committing in between
  // made a sound chain look as if its first rows had been deleted.
  it("a verification that retention overlaps still finds the chain sound", async () => {
    const t = await tenantWith("overlap", [1, 2, 3, 450, 451]);
    const checkpoint = (await verifyChain(env.AUDIT_DB, t)).head!;
    let pruned = false;
    const racing = withBatch(async (statements, call) => {
      const results = await env.AUDIT_DB.batch(statements);
      if (call === 1 && !pruned) {
        pruned = true;
        await pruneExpired(env.AUDIT_DB, 420 * DAY, 400);
      }
      return results;
    });
    const result = await verifyChain(racing, t, { checkpoint });
    expect(pruned).toBe(true);
    expect(result).toMatchObject({ ok: true, first_break: null, checkpoint: "match", anchor: { seq: 3 } });
  });

  // Regression: two runs overlapping (a cron run still working when the next starts, or started by hand) each wrote
  // the anchor it had computed; the slower one moved it back over rows the faster one had deleted, and a chain
  // nobody touched reported them deleted.
  it("two overlapping runs never move the anchor back over rows already deleted", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    await pruneExpired(env.AUDIT_DB, 420 * DAY, 400); // what earlier tests left due: the first write is this tenant's
    const t = await tenantWith("overlap-runs", [1, 2, 3, 4, 5, 450]);
    let raced = false;
    const slow = withBatch(async (statements) => {
      if (!raced) {
        raced = true;
        await pruneExpired(env.AUDIT_DB, 420 * DAY, 400); // the other run, complete, while this one is about to write
      }
      return env.AUDIT_DB.batch(statements);
    });
    const report = await pruneExpired(slow, 420 * DAY, 400, 2);
    expect(raced).toBe(true);
    expect(report.refused[t]).toBeUndefined();
    expect((await rowsOf(t)).map((r) => r.seq)).toEqual([6]);
    expect(await verifyChain(env.AUDIT_DB, t)).toMatchObject({ ok: true, checked: 1, anchor: { seq: 5 } });
    expect(error).not.toHaveBeenCalledWith(expect.stringContaining(`${t} not pruned`));
    error.mockRestore();
  });

  // Regression: with the chain's start pruned, a head row deleted (or moved back before the anchor) let the consumer
  // chain new events from seq 1 again, into the positions retention had freed, instead of retrying them.
  it("a head deleted or moved back before the anchor stops the tenant's chaining: new events are retried, not chained", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const deleted = await tenantWith("head-deleted", [1, 2, 3, 450]);
    const moved = await tenantWith("head-moved", [1, 2, 3, 450]);
    const first = (await rowsOf(moved))[0]!;
    await cron(420 * DAY);
    await run("DELETE FROM audit_chain WHERE tenant = ?", deleted);
    await run("UPDATE audit_chain SET seq = 1, hash = ? WHERE tenant = ?", first.hash, moved);
    for (const tenant of [deleted, moved]) {
      const late = await deliver([event(tenant, { ts: 460 * DAY })]);
      expect(late.acked).toEqual([]);
      expect(late.retried).toEqual(late.ids);
      expect((await rowsOf(tenant)).map((r) => r.seq)).toEqual([4]);
    }
    error.mockRestore();
  });

  it("deletes at most a budget of rows per run and finishes on the next", async () => {
    const tenants = [await tenantWith("budget-a", [1, 2, 3, 4, 450]), await tenantWith("budget-b", [1, 2, 3, 450])];
    const first = await pruneExpired(env.AUDIT_DB, 420 * DAY, 400, 5);
    expect(first.complete).toBe(false);
    expect(tenants.map((t) => first.pruned[t] ?? 0).reduce((x, y) => x + y)).toBe(5);
    const second = await pruneExpired(env.AUDIT_DB, 420 * DAY, 400, 5);
    expect(second.complete).toBe(true);
    for (const t of tenants) {
      expect((await rowsOf(t)).length).toBe(1);
      expect(await verifyChain(env.AUDIT_DB, t)).toMatchObject({ ok: true, checked: 1 });
    }
  });

  it("deletes dead letters kept longer than the retention period", async () => {
    const old = messageId("dl-old");
    await deliverTo(DLQ, [{ id: old, body: { invalid: true } }]);
    await run("UPDATE audit_dead_letters SET received_at = ? WHERE dlq_message_id = ?", 5 * DAY, old);
    const recent = messageId("dl-recent");
    await deliverTo(DLQ, [{ id: recent, body: { invalid: true } }]);
    await cron(420 * DAY);
    const left = await env.AUDIT_DB.prepare(
      "SELECT dlq_message_id FROM audit_dead_letters WHERE dlq_message_id IN (?, ?)",
    )
      .bind(old, recent)
      .all();
    expect(left.results).toEqual([{ dlq_message_id: recent }]);
  });

  it("takes the retention period from AUDIT_RETENTION_DAYS, and refuses a bad value", async () => {
    const tenant = await tenantWith("days", [1, 15]);
    await cron(420 * DAY, { AUDIT_RETENTION_DAYS: "410" }); // cutoff: day 10
    expect((await rowsOf(tenant)).map((r) => r.seq)).toEqual([2]);
    expect(loggerConfig({}).retentionDays).toBe(400);
    for (const bad of ["0", "-1", "1.5", "forever", ""]) {
      expect(() => loggerConfig({ AUDIT_RETENTION_DAYS: bad })).toThrow(/AUDIT_RETENTION_DAYS/);
    }
    await expect(cron(420 * DAY, { AUDIT_RETENTION_DAYS: "soon" })).rejects.toThrow(/AUDIT_RETENTION_DAYS/);
  });
});
