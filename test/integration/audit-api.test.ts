// GET /v1/audit over HTTP: real traffic through the gateway, read back by a key holding audit:read — paged
// newest first with no duplicate and no gap, each filter, bad parameters refused as 400 with the error shape,
// other tenants' keys and keys without the scope refused — and no prompt, answer, secret or key hash in any
// stored event or listing.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { AuditPageSchema } from "../../src/gateway/routes/audit";
import type { AuditEvent } from "../../src/shared/audit-event";
import {
  call,
  chatBody,
  expectError,
  kvSnapshot,
  newKey,
  rootToken,
  storedAuditEvents,
  tenantWithKey,
} from "../helpers";
import { ask, eventOf, eventsOf, settleAll, tickPast } from "./gateway-helpers";

type Listed = AuditEvent & { seq: number; hash: string };
interface Page {
  object: string;
  data: Listed[];
  next_cursor: string | null;
}

const PROMPT = "Draft the merger memo for Quillfeather Holdings, codename Bluebottle";

describe("GET /v1/audit", async () => {
  const t = await tenantWithKey("audapi");
  const reader = await newKey(t.tenant, { name: "auditor", role: "admin" });
  const other = await tenantWithKey("audother");
  const otherAdmin = await newKey(other.tenant, { name: "other auditor", role: "admin" });
  const developerId = (await call(t.host, "/v1/admin/keys", { token: rootToken() }).then((r) => r.json())) as {
    data: { id: string; role: string }[];
  };
  const devActor = `key:${developerId.data.find((k) => k.role === "developer")!.id}`;

  const list = async (query: string, token = reader.key) => {
    const res = await call(t.host, `/v1/audit${query}`, { token });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Page;
  };

  /** The tenant's stored events received at or before `to`, newest first by (ts, seq), from D1 itself. */
  const storedUpTo = async (to: number) =>
    (
      await env.AUDIT_DB.prepare(
        "SELECT seq, hash, event FROM audit_events WHERE tenant = ? AND ts <= ? ORDER BY ts DESC, seq DESC",
      )
        .bind(t.tenant, to)
        .all<{ seq: number; hash: string; event: string }>()
    ).results.map((r) => ({ ...(JSON.parse(r.event) as AuditEvent), seq: r.seq, hash: r.hash }));

  let answer = "";
  let until = 0;
  beforeAll(async () => {
    // Traffic of every kind: a miss and an exact hit, a refusal for bad input, one without a credential.
    const responses: Response[] = [];
    for (const content of [PROMPT, PROMPT, "What is the capital of France?", "Name three owls."]) {
      const r = await ask(t, content);
      await settleAll();
      if (content === PROMPT && r.cache === "MISS") answer = JSON.parse(r.text).choices[0].message.content;
      responses.push(r.res);
    }
    responses.push(
      await call(t.host, "/v1/chat/completions", {
        token: t.key,
        rawBody: "{",
        headers: { "content-type": "application/json" },
      }),
      await call(t.host, "/v1/chat/completions", { body: chatBody(PROMPT) }),
      await call(t.host, "/v1/chat/completions", { token: t.key, body: { model: "gpt-4o-mini" } }),
    );
    await settleAll();
    for (const r of responses) await eventOf(r);
    until = Date.now();
    await tickPast(until);
  });

  it("pages newest first, with no duplicate and no gap, exactly as D1 holds the events", async () => {
    const expected = await storedUpTo(until);
    expect(expected.length).toBeGreaterThanOrEqual(10);
    const seen: Listed[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await list(`?to=${until}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(page.object).toBe("list");
      expect(page.data.length).toBeLessThanOrEqual(3);
      if (page.next_cursor !== null) expect(page.data).toHaveLength(3);
      seen.push(...page.data);
      cursor = page.next_cursor;
      pages += 1;
      expect(pages).toBeLessThan(50);
    } while (cursor !== null);
    expect(pages).toBe(Math.ceil(expected.length / 3));
    expect(seen.map((e) => [e.id, e.seq, e.hash])).toEqual(expected.map((e) => [e.id, e.seq, e.hash]));
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    for (let i = 1; i < seen.length; i++) {
      const [newer, older] = [seen[i - 1]!, seen[i]!];
      expect(newer.ts > older.ts || (newer.ts === older.ts && newer.seq > older.seq)).toBe(true);
    }
    // Events read back are the stored events, with their chain position and hash.
    expect(seen).toEqual(expected);
    for (const e of seen) {
      expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(e.request_id).toMatch(/^req_[0-9a-f]{32}$/);
    }
  });

  it("filters by actor, action, outcome and the from/to window, each alone and together", async () => {
    const all = await storedUpTo(until);
    const by = async (query: string, keep: (e: AuditEvent) => boolean) => {
      const page = await list(`?limit=1000&${query.includes("to=") ? "" : `to=${until}&`}${query}`);
      const expected = all.filter(keep);
      expect(expected.length, query).toBeGreaterThan(0);
      expect(
        page.data.map((e) => e.id),
        query,
      ).toEqual(expected.map((e) => e.id));
      expect(page.next_cursor).toBeNull();
      return page.data;
    };
    await by(`actor=${encodeURIComponent(devActor)}`, (e) => e.actor === devActor);
    await by("actor=operator", (e) => e.actor === "operator");
    await by("action=chat.completions", (e) => e.action === "chat.completions");
    await by("action=key.create", (e) => e.action === "key.create");
    const denied = await by("outcome=denied", (e) => e.outcome === "denied");
    expect(denied.map((e) => e.code).sort()).toEqual(["invalid_field", "invalid_json", "missing_api_key"]);
    await by("outcome=allowed", (e) => e.outcome === "allowed");
    await by(
      `outcome=denied&actor=${encodeURIComponent(devActor)}`,
      (e) => e.outcome === "denied" && e.actor === devActor,
    );
    // A window inside the traffic, inclusive at both ends, in milliseconds or ISO 8601.
    const chats = all.filter((e) => e.action === "chat.completions").sort((a, b) => a.ts - b.ts);
    const [from, to] = [chats[1]!.ts, chats.at(-2)!.ts];
    const inWindow = (e: AuditEvent) => e.ts >= from && e.ts <= to;
    await by(`from=${from}&to=${to}`, inWindow);
    const iso = await list(`?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=1000`);
    expect(iso.data.map((e) => e.id)).toEqual(all.filter(inWindow).map((e) => e.id));
    expect((await list(`?to=${all.at(-1)!.ts - 1}`)).data).toEqual([]);
  });

  it("records ids, hashes and reason codes: what happened, never what was said", async () => {
    const events = await eventsOf(t.tenant);
    const chats = events.filter((e) => e.action === "chat.completions" && e.status === 200);
    expect(chats.map((e) => e.cache)).toEqual(expect.arrayContaining(["MISS", "HIT-EXACT"]));
    for (const e of chats) expect(e.prompt_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const hit = chats.find((e) => e.cache === "HIT-EXACT")!;
    expect(hit.entry_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(events.find((e) => e.code === "invalid_json")).toMatchObject({ outcome: "denied", status: 400 });
    expect(events.find((e) => e.code === "missing_api_key")).toMatchObject({ actor: "anonymous", status: 401 });
    // Recorded before the change was made (record-first): who, what, on which key.
    expect(events.find((e) => e.action === "key.create" && e.target === reader.id)).toMatchObject({
      actor: "operator",
      outcome: "allowed",
      route: "/v1/admin/keys",
    });
  });

  it("no stored event and no listing holds a prompt, an answer, a secret, a token or a key hash", async () => {
    expect(answer.length).toBeGreaterThan(20);
    const keyHashes = (await kvSnapshot()).filter((n) => n.startsWith("TENANTS/_key:")).map((n) => n.slice(13));
    expect(keyHashes.length).toBeGreaterThanOrEqual(4);
    const forbidden = {
      prompt: PROMPT,
      "prompt marker": "Quillfeather",
      answer: answer.slice(0, 40),
      "developer secret": t.key,
      "admin secret": reader.key,
      "other tenant's secret": otherAdmin.key,
      "secret body": reader.key.slice(-24),
      "operator token": rootToken(),
      "master key": env.MASTER_KEY,
      ...Object.fromEntries(keyHashes.map((h, i) => [`key hash ${i}`, h])),
    };
    const stored = JSON.stringify(await storedAuditEvents());
    const listed = JSON.stringify((await list("?limit=1000")).data);
    const rows = JSON.stringify((await env.AUDIT_DB.prepare("SELECT * FROM audit_events").all()).results);
    for (const [what, value] of Object.entries(forbidden)) {
      expect(value.length, what).toBeGreaterThanOrEqual(8);
      expect(stored.includes(value), `${what} in a stored event`).toBe(false);
      expect(listed.includes(value), `${what} in GET /v1/audit`).toBe(false);
      expect(rows.includes(value), `${what} in an audit_events row`).toBe(false);
    }
  });

  it.each([
    ["limit=abc", "limit"],
    ["limit=0", "limit"],
    ["limit=-3", "limit"],
    ["from=yesterday", "from"],
    ["to=2026-13-45T00:00:00Z", "to"],
    // Regression: what Date.parse reads but ISO 8601 does not say was read as another window: 2024-02-30 as
    // 1 March, 1/2/2024 as 2 January, a time after a space as local time.
    ["from=2024-02-30", "from"],
    ["from=2024-02-30T00:00:00Z", "from"],
    ["from=1/2/2024", "from"],
    ["to=March%207,%202024", "to"],
    ["to=2024-03-01%2010:00", "to"],
    ["from=2000&to=1000", "range"],
    ["cursor=%25%25%25", "cursor"],
    ["cursor=Zm9v", "cursor"],
    ["outcome=maybe", "outcome"],
    [`action=${"a".repeat(97)}`, "action"],
  ])("refuses %s with 400 invalid_field", async (query) => {
    await expectError(
      await call(t.host, `/v1/audit?${query}`, { token: reader.key }),
      400,
      "invalid_field",
      "invalid_request_error",
    );
  });

  it("answers only keys of this tenant holding audit:read; each tenant sees only its own trail", async () => {
    await expectError(await call(t.host, "/v1/audit", { token: t.key }), 403, "insufficient_scope", "permission_error");
    await expectError(
      await call(t.host, "/v1/audit", { token: otherAdmin.key }),
      403,
      "tenant_mismatch",
      "permission_error",
    );
    await expectError(await call(t.host, "/v1/audit"), 401, "missing_api_key", "authentication_error");
    await expectError(
      await call(t.host, "/v1/audit", { token: rootToken() }),
      403,
      "operator_not_allowed",
      "permission_error",
    );
    const owner = await newKey(t.tenant, { name: "owner", role: "owner" });
    const viewer = await newKey(t.tenant, { name: "viewer", role: "viewer" });
    for (const key of [owner.key, viewer.key]) expect((await list(`?to=${until}`, key)).data.length).toBeGreaterThan(0);

    const theirs = await call(other.host, "/v1/audit?limit=1000", { token: otherAdmin.key });
    const page = (await theirs.json()) as Page;
    expect(page.data.length).toBeGreaterThan(0);
    expect(page.data.every((e) => e.tenant === other.tenant)).toBe(true);
    const mine = new Set((await eventsOf(t.tenant)).map((e) => e.id));
    expect(page.data.some((e) => mine.has(e.id))).toBe(false);
  });
});

describe("GET /v1/audit around a corrupted row (one unreadable event failed every page holding it)", async () => {
  const t = await tenantWithKey("audbad");
  const reader = await newKey(t.tenant, { name: "auditor", role: "admin" });
  type Row = Record<string, string | number | null> & { seq: number; ts: number; event: string; hash: string };
  let rows: Row[] = [];
  let until = 0;

  beforeAll(async () => {
    for (const content of ["Where do gannets dive?", "How deep is Loch Ness?", "Name three owls."]) {
      await eventOf((await ask(t, content)).res);
      await settleAll();
    }
    until = Date.now();
    await tickPast(until);
    const stored = await env.AUDIT_DB.prepare(
      "SELECT * FROM audit_events WHERE tenant = ? AND ts <= ? ORDER BY ts DESC, seq DESC",
    )
      .bind(t.tenant, until)
      .all<Row>();
    rows = stored.results;
    expect(rows.length).toBeGreaterThanOrEqual(6);
  });

  it("serves every page, each corrupted row in its place marked unreadable, and pages on past it", async () => {
    // One event that is not JSON, one that is JSON but no audit event: edited in D1, hash and columns left.
    const [notJson, notEvent] = [rows[1]!, rows[3]!];
    const corrupt = (row: Row, text: string) =>
      env.AUDIT_DB.prepare("UPDATE audit_events SET event = ? WHERE tenant = ? AND seq = ?")
        .bind(text, t.tenant, row.seq)
        .run();
    await corrupt(notJson, '{"v":2,"id":');
    await corrupt(notEvent, JSON.stringify({ v: 2, hello: "world" }));

    const seen: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call(
        t.host,
        `/v1/audit?to=${until}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        { token: reader.key },
      );
      expect(res.status, await res.clone().text()).toBe(200);
      const page = AuditPageSchema.parse(await res.json());
      seen.push(...page.data);
      cursor = page.next_cursor;
      pages += 1;
      expect(pages).toBeLessThan(50);
    } while (cursor !== null);

    const unreadable = (row: Row, why: string) => ({
      v: null,
      unreadable: why,
      seq: row.seq,
      hash: row.hash,
      tenant: t.tenant,
      id: row.id,
      ts: row.ts,
      actor: row.actor,
      action: row.action,
      outcome: row.outcome,
      status: row.status,
      cache: row.cache,
      model: row.model,
      prompt_tokens: row.prompt_tokens,
      completion_tokens: row.completion_tokens,
      cost_saved: row.cost_saved,
      prompt_tokens_saved: row.prompt_tokens_saved,
      latency_ms: row.latency_ms,
    });
    expect(seen).toEqual(
      rows.map((row) => {
        if (row === notJson) return unreadable(row, "not_json");
        if (row === notEvent) return unreadable(row, "invalid_event");
        return { ...(JSON.parse(row.event) as AuditEvent), seq: row.seq, hash: row.hash };
      }),
    );
    // Verification names the lower of the two as the break, as before.
    const verified = await call(t.host, "/v1/audit/verify", { token: reader.key });
    expect(await verified.json()).toMatchObject({
      ok: false,
      first_break: { seq: Math.min(notJson.seq, notEvent.seq), reason: "edited" },
    });
  });
});
