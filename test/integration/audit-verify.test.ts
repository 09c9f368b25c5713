// GET /v1/audit/verify over HTTP, on a trail made by real traffic: rows of audit_events edited, deleted and
// reordered directly in D1 are each reported at the right seq with the right reason, and the chain verifies
// again once they are put back; a rewrite of the whole chain passes on its own but not against a checkpoint
// recorded earlier; bad checkpoint parameters are refused.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { chainHash } from "../../src/logger/chain";
import { call, expectError, newKey, tenantWithKey } from "../helpers";
import { ask, eventOf, settleAll } from "./gateway-helpers";

interface Verification {
  object: string;
  ok: boolean;
  complete: boolean;
  checked: number;
  first_break?: { seq: number; reason: string };
  head: { seq: number; hash: string } | null;
  checkpoint: string | null;
}

type Row = Record<string, string | number | null> & { seq: number; event: string; prev_hash: string; hash: string };

const sql = (query: string, ...args: unknown[]) =>
  env.AUDIT_DB.prepare(query)
    .bind(...args)
    .run();

async function rowsOf(tenant: string): Promise<Row[]> {
  return (
    await env.AUDIT_DB.prepare("SELECT * FROM audit_events WHERE tenant = ? ORDER BY seq").bind(tenant).all<Row>()
  ).results;
}

/** A tenant with a trail of real requests, and an admin key to read it. */
async function trail(prefix: string) {
  const t = await tenantWithKey(prefix);
  const admin = await newKey(t.tenant, { name: "auditor", role: "admin" });
  for (const q of ["Where do puffins nest?", "Where do puffins nest?", "How tall is Ben Nevis?"]) {
    await eventOf((await ask(t, q)).res);
    await settleAll();
  }
  /**
   * Verifies over HTTP, then waits until the verification's own event is chained (nothing is in flight);
   * `rows` is how many events the chain held when it was verified.
   */
  const verify = async (query = ""): Promise<Verification & { rows: number }> => {
    const rows = (await rowsOf(t.tenant)).length;
    const res = await call(t.host, `/v1/audit/verify${query}`, { token: admin.key });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as Verification;
    await settleAll();
    await eventOf(res);
    return { ...body, rows };
  };
  return { ...t, admin, verify };
}

describe("GET /v1/audit/verify reports tampering in D1 where it happened", async () => {
  const t = await trail("audver");
  let rows: Row[] = [];
  beforeAll(async () => {
    rows = await rowsOf(t.tenant);
    expect(rows.length).toBeGreaterThanOrEqual(6);
  });

  /** Tampers, expects the break, restores, expects a sound chain again. */
  async function caught(
    tamper: () => Promise<unknown>,
    restore: () => Promise<unknown>,
    expected: { seq: number; reason: string },
  ) {
    const before = await t.verify();
    expect(before).toMatchObject({ object: "audit.verification", ok: true, complete: true });
    expect(before.checked).toBe(before.rows);
    expect(before.first_break).toBeUndefined();
    await tamper();
    const res = await call(t.host, "/v1/audit/verify", { token: t.admin.key });
    const broken = (await res.json()) as Verification;
    expect(broken).toMatchObject({ ok: false, first_break: expected, checked: expected.seq - 1 });
    // The verification is itself audited, with what it found.
    expect(await eventOf(res)).toMatchObject({ action: "audit.verify", reason: `chain_break:${expected.reason}` });
    await restore();
    const after = await t.verify();
    expect(after.ok).toBe(true);
    expect(after.checked).toBe(after.rows);
  }

  it("an edited event (the hashed JSON) is reported as edited at its seq", async () => {
    const row = rows[2]!;
    await caught(
      () =>
        sql(
          "UPDATE audit_events SET event = ? WHERE tenant = ? AND seq = ?",
          row.event.replace(/"status":\d+/, '"status":299'),
          t.tenant,
          row.seq,
        ),
      () => sql("UPDATE audit_events SET event = ? WHERE tenant = ? AND seq = ?", row.event, t.tenant, row.seq),
      { seq: row.seq, reason: "edited" },
    );
  });

  it("an edited copied column (outcome) is reported as edited, though the JSON is intact", async () => {
    const row = rows[3]!;
    const forged = row.outcome === "allowed" ? "denied" : "allowed";
    await caught(
      () => sql("UPDATE audit_events SET outcome = ? WHERE tenant = ? AND seq = ?", forged, t.tenant, row.seq),
      () => sql("UPDATE audit_events SET outcome = ? WHERE tenant = ? AND seq = ?", row.outcome, t.tenant, row.seq),
      { seq: row.seq, reason: "edited" },
    );
  });

  it("an event edited and re-hashed is reported at its seq: the next row was chained to the original", async () => {
    const row = rows[1]!;
    const edited = row.event.replace(/"latency_ms":\d+/, '"latency_ms":0');
    expect(edited).not.toBe(row.event);
    const forgedHash = await chainHash(row.prev_hash, edited);
    await caught(
      () =>
        sql(
          "UPDATE audit_events SET event = ?, latency_ms = 0, hash = ? WHERE tenant = ? AND seq = ?",
          edited,
          forgedHash,
          t.tenant,
          row.seq,
        ),
      () =>
        sql(
          "UPDATE audit_events SET event = ?, latency_ms = ?, hash = ? WHERE tenant = ? AND seq = ?",
          row.event,
          row.latency_ms,
          row.hash,
          t.tenant,
          row.seq,
        ),
      { seq: row.seq, reason: "edited" },
    );
  });

  it("a deleted row is reported as deleted at the missing seq", async () => {
    const row = rows[2]!;
    const columns = Object.keys(row);
    await caught(
      () => sql("DELETE FROM audit_events WHERE tenant = ? AND seq = ?", t.tenant, row.seq),
      () =>
        sql(
          `INSERT INTO audit_events (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
          ...columns.map((c) => row[c]),
        ),
      { seq: row.seq, reason: "deleted" },
    );
  });

  it("two rows swapped (reordered) are reported as reordered at the first of them", async () => {
    const swap = async (a: number, b: number) => {
      await sql("UPDATE audit_events SET seq = 999999 WHERE tenant = ? AND seq = ?", t.tenant, a);
      await sql("UPDATE audit_events SET seq = ? WHERE tenant = ? AND seq = ?", a, t.tenant, b);
      await sql("UPDATE audit_events SET seq = ? WHERE tenant = ? AND seq = 999999", b, t.tenant);
    };
    await caught(
      () => swap(2, 4),
      () => swap(2, 4),
      { seq: 2, reason: "reordered" },
    );
    await caught(
      () => swap(3, 4),
      () => swap(3, 4),
      { seq: 3, reason: "reordered" },
    );
  });
});

describe("a checkpoint recorded outside D1", async () => {
  const t = await trail("audchk");

  it("matches while the chain only grows, and catches a rewrite of the whole chain that verifies on its own", async () => {
    const first = await t.verify();
    expect(first.ok).toBe(true);
    const head = first.head!;
    expect(head.hash).toMatch(/^[0-9a-f]{64}$/);
    const query = `?checkpoint_seq=${head.seq}&checkpoint_hash=${head.hash}`;
    expect(await t.verify(query)).toMatchObject({ ok: true, checkpoint: "match" });
    expect(await t.verify(`?checkpoint_seq=${head.seq}&checkpoint_hash=${"0".repeat(64)}`)).toMatchObject({
      ok: false,
      checkpoint: "mismatch",
      first_break: { seq: head.seq, reason: "checkpoint_mismatch" },
    });

    // A forger edits seq 2 and re-links every later row and the head: the chain is consistent again...
    const rows = await rowsOf(t.tenant);
    let prev = rows[0]!.hash;
    for (const row of rows.slice(1)) {
      const event = row.seq === 2 ? row.event.replace(/"latency_ms":\d+/, '"latency_ms":0') : row.event;
      const hash = await chainHash(prev, event);
      const latency = row.seq === 2 ? 0 : row.latency_ms;
      await sql(
        "UPDATE audit_events SET event = ?, latency_ms = ?, prev_hash = ?, hash = ? WHERE tenant = ? AND seq = ?",
        event,
        latency,
        prev,
        hash,
        t.tenant,
        row.seq,
      );
      prev = hash;
    }
    await sql("UPDATE audit_chain SET hash = ? WHERE tenant = ?", prev, t.tenant);
    const forged = await t.verify();
    expect(forged.ok).toBe(true);
    // ...but not against the head recorded before.
    expect(await t.verify(query)).toMatchObject({
      ok: false,
      checkpoint: "mismatch",
      first_break: { seq: head.seq, reason: "checkpoint_mismatch" },
    });
  });

  it("continues from from_seq, where an earlier verification said to resume (resume_from_seq)", async () => {
    const whole = await t.verify();
    expect(whole).toMatchObject({ ok: true, complete: true, checked: whole.rows });
    expect(whole).not.toHaveProperty("resume_from_seq");
    const rest = await t.verify("?from_seq=3");
    expect(rest).toMatchObject({ ok: true, complete: true, checked: rest.rows - 2 });
    // Just past the head (the chain has grown by the last verification's own event): nothing left to check.
    const end = await t.verify(`?from_seq=${rest.rows + 2}`);
    expect(end).toMatchObject({ ok: true, complete: true, checked: 0, head: { seq: end.rows } });
  });

  it.each([
    ["from_seq=0", "invalid_field"],
    ["from_seq=abc", "invalid_field"],
    ["from_seq=99999", "invalid_field"],
    ["checkpoint_seq=abc&checkpoint_hash=00", "invalid_field"],
    [`checkpoint_seq=0&checkpoint_hash=${"0".repeat(64)}`, "invalid_field"],
    ["checkpoint_seq=3&checkpoint_hash=not-a-hash", "invalid_field"],
    ["checkpoint_seq=3", "invalid_field"],
    [`checkpoint_hash=${"0".repeat(64)}`, "invalid_field"],
  ])("refuses %s with 400", async (query, code) => {
    const res = await call(t.host, `/v1/audit/verify?${query}`, { token: t.admin.key });
    await expectError(res, 400, code, "invalid_request_error");
  });

  it("is refused to a key without audit:read", async () => {
    await expectError(
      await call(t.host, "/v1/audit/verify", { token: t.key }),
      403,
      "insufficient_scope",
      "permission_error",
    );
  });
});
