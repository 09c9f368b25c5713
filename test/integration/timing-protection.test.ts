// Timing protection (tenant policy `timing_protection: true`), as a prober would try to beat it: a hit and a miss
// of the same answer must not be told apart by status, header names, header values (but the request id), body
// size or the ids inside; no response carries an x-cache* header, errors included; a hit is held back at least
// to a latency drawn from the tenant's recorded misses (the only timing asserted: never earlier than that);
// streamed events, hit or miss, are padded to multiples of 256 bytes with an `obfuscation` field and carry fresh
// chunk ids. The same requests to an unprotected tenant do show the cache headers, so the checks can fail.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { openEntry } from "../../src/gateway/cache/entries";
import { PAD_TO } from "../../src/gateway/chat/timing";
import { getRuntime } from "../../src/gateway/runtime";
import { cacheKv } from "../../src/gateway/storage/kv-keys";
import { call, chatBody, createKey, setPolicy, settle, tenantObjectOf, tenantWithKey } from "../helpers";

interface Seen {
  status: number;
  headers: Map<string, string>;
  text: string;
}

async function send(
  host: string,
  token: string,
  body: unknown,
  headers: Record<string, string> = {},
  path = "/v1/chat/completions",
): Promise<Seen> {
  const res = await call(host, path, { token, body, headers });
  const text = await res.text();
  await settle();
  return { status: res.status, headers: new Map(res.headers), text };
}

const cacheHeaders = (s: Seen) => [...s.headers.keys()].filter((k) => k.startsWith("x-cache"));
const completionOf = (s: Seen) => JSON.parse(s.text) as { id: string; created: number } & Record<string, unknown>;
/** The `data:` events of an SSE body, each with its exact bytes. */
const eventsOf = (text: string) =>
  text
    .split(/(?<=\n\n)/)
    .filter((e) => e.startsWith("data: "))
    .map((raw) => ({ raw, bytes: new TextEncoder().encode(raw).length, data: raw.slice(6).trimEnd() }));

/** Replaces the tenant's recorded miss latencies with one value, so that the hit's delay is known. */
function recordOnly(tenant: string, ms: number): Promise<void> {
  return runInDurableObject(tenantObjectOf(tenant), (_, state) => {
    state.storage.sql.exec(`DELETE FROM miss_latency_ring WHERE kind = 'chat'`);
    state.storage.sql.exec(`INSERT INTO miss_latency_ring (kind, slot, ms) VALUES ('chat', 0, ?)`, ms);
  });
}

const latencies = (tenant: string) =>
  runInDurableObject(tenantObjectOf(tenant), (_, state) =>
    state.storage.sql
      .exec<{ ms: number }>(`SELECT ms FROM miss_latency_ring WHERE kind = 'chat' ORDER BY slot`)
      .toArray()
      .map((r) => r.ms),
  );

/** The provider's own completion id, from the stored entry (decrypted with the tenant's key). */
async function storedCompletionId(tenant: string, entryId: string): Promise<string> {
  const rt = await getRuntime(env);
  const keyring = await rt.tenantKeyring((await rt.tenantDirectory.get(tenant))!);
  const key = cacheKv.entry(tenant, entryId);
  const body = await openEntry(keyring, key, (await env.CACHE.get(key))!);
  if (body?.v !== 1) throw new Error(`entry ${entryId} is not a stored chat completion`);
  return body.completion.id!;
}

describe("timing protection", async () => {
  const t = await tenantWithKey("tp");
  await setPolicy(t.tenant, { timing_protection: true });
  const open = await tenantWithKey("tpopen");

  it("a hit and a miss of the same answer: same status, header names and values, body size; fresh ids", async () => {
    const body = chatBody("What is the tallest mountain in Africa?");
    const miss = await send(t.host, t.key, body);
    const hit = await send(t.host, t.key, body);
    const [controlMiss, controlHit] = [await send(open.host, open.key, body), await send(open.host, open.key, body)];
    expect(controlMiss.headers.get("x-cache")).toBe("MISS");
    expect(controlHit.headers.get("x-cache")).toBe("HIT-EXACT");

    expect(hit.status).toBe(miss.status);
    expect([...hit.headers.keys()].sort()).toEqual([...miss.headers.keys()].sort());
    for (const [name, value] of miss.headers) {
      if (name === "x-request-id") continue;
      expect(hit.headers.get(name), name).toBe(value);
    }
    expect(cacheHeaders(miss)).toEqual([]);
    expect(cacheHeaders(hit)).toEqual([]);
    expect(hit.text.length).toBe(miss.text.length);

    // The bodies differ only in what every fresh answer changes: the id (new each time) and the time.
    const [m, h] = [completionOf(miss), completionOf(hit)];
    expect(m.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(h.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(h.id).not.toBe(m.id);
    expect({ ...h, id: "", created: 0 }).toEqual({ ...m, id: "", created: 0 });
    // The provider's id, kept in the stored entry, is shown to nobody.
    const entryIdOfOpen = controlMiss.headers.get("x-cache-entry-id")!;
    expect(await storedCompletionId(open.tenant, entryIdOfOpen)).toBe(completionOf(controlMiss).id);
    const entries = await runInDurableObject(tenantObjectOf(t.tenant), (_, state) =>
      state.storage.sql.exec<{ id: string }>(`SELECT id FROM entries`).toArray(),
    );
    const providerId = await storedCompletionId(t.tenant, entries[0]!.id);
    expect(miss.text).not.toContain(providerId);
    expect(hit.text).not.toContain(providerId);
  });

  // Regression: a hit was served as the schema's output, which puts the fields it declares first, while a miss
  // passes the provider's order on: the same Responses answer differed, byte for byte, between hit and miss.
  it("a hit and a miss have the same bytes but for ids and times, chat and Responses alike", async () => {
    const masked = (text: string) =>
      text
        .replace(/"(id|previous_response_id)":"[^"]*"/g, '"$1":""')
        .replace(/"(created|created_at|completed_at)":\d+/g, '"$1":0');
    for (const [path, body] of [
      ["/v1/chat/completions", chatBody("Which river flows through Budapest?")],
      ["/v1/responses", { model: "gpt-4o-mini", input: "Which river flows through Prague?", store: false }],
    ] as const) {
      const miss = await send(t.host, t.key, body, {}, path);
      const hit = await send(t.host, t.key, body, {}, path);
      expect(miss.status, path).toBe(200);
      expect(masked(hit.text), path).toBe(masked(miss.text));
    }
  });

  it("no x-cache* header on any response: semantic hits, no-cache, cache/query, entry routes, errors", async () => {
    const reader = await createKey(t.tenant, { role: "viewer" });
    const seen: [string, Seen][] = [
      ["semantic hit", await send(t.host, t.key, chatBody("what is the tallest mountain in africa"))],
      ["no-cache", await send(t.host, t.key, chatBody("Name a noble gas."), { "x-cache-control": "no-cache" })],
      ["no-store", await send(t.host, t.key, chatBody("Name a noble gas."), { "x-cache-control": "no-store" })],
      [
        "only-if-cached miss (504)",
        await send(t.host, t.key, chatBody("Never asked before, surely?"), { "x-cache-control": "only-if-cached" }),
      ],
      ["provider failure (502)", await send(t.host, t.key, chatBody("Fail, please.", { model: "error-503" }))],
      ["bad threshold (400)", await send(t.host, t.key, chatBody("Name a metal."), { "x-cache-threshold": "2" })],
      [
        "cache/query",
        await send(
          t.host,
          t.key,
          { prompt: "What is the tallest mountain in Africa?", model: "gpt-4o-mini" },
          {},
          "/v1/cache/query",
        ),
      ],
      [
        "cache/query, lookup only",
        await send(t.host, reader, { prompt: "Something nobody asked?", model: "gpt-4o-mini" }, {}, "/v1/cache/query"),
      ],
      ["streamed miss", await send(t.host, t.key, chatBody("Name a planet.", { stream: true }))],
      ["streamed hit", await send(t.host, t.key, chatBody("Name a planet.", { stream: true }))],
    ];
    for (const [what, s] of seen) expect(cacheHeaders(s), what).toEqual([]);
    expect(seen.map(([, s]) => s.status)).toEqual([200, 200, 200, 504, 502, 400, 200, 200, 200, 200]);

    // The same requests to an unprotected tenant carry them: the check above can fail.
    const control = await send(open.host, open.key, chatBody("Never asked before, surely?"), {
      "x-cache-control": "only-if-cached",
    });
    expect(control.headers.get("x-cache")).toBe("MISS");
    const failed = await send(open.host, open.key, chatBody("Fail, please.", { model: "error-503" }));
    expect(failed.headers.get("x-cache")).toBe("MISS");
  });

  it("a miss records its latency; a hit returns no earlier than the latency sampled from the record", async () => {
    const before = (await latencies(t.tenant)).length;
    await send(t.host, t.key, chatBody("How many strings does a violin have?"));
    const after = await latencies(t.tenant);
    expect(after.length).toBe(before + 1);
    for (const ms of after) expect(ms).toBeGreaterThanOrEqual(0);

    const SAMPLE = 300;
    await recordOnly(t.tenant, SAMPLE);
    expect(await tenantObjectOf(t.tenant).sampleMissLatency()).toBe(SAMPLE);
    for (const stream of [false, true]) {
      const started = Date.now();
      const hit = await send(t.host, t.key, chatBody("How many strings does a violin have?", { stream }));
      const elapsed = Date.now() - started;
      expect(hit.status).toBe(200);
      expect(elapsed, `stream: ${stream}`).toBeGreaterThanOrEqual(SAMPLE);
    }
    // The unprotected tenant records nothing.
    await send(open.host, open.key, chatBody("How many strings does a violin have?"));
    expect(await latencies(open.tenant)).toEqual([]);
    await recordOnly(t.tenant, 0);
  });

  it("streamed events of a miss and of a hit are padded to 256 bytes with obfuscation, under fresh chunk ids", async () => {
    expect(PAD_TO).toBe(256);
    const body = chatBody("Explain the CAP theorem in one paragraph.", {
      stream: true,
      stream_options: { include_usage: true },
    });
    const miss = await send(t.host, t.key, body);
    const refresh = await send(t.host, t.key, body, { "x-cache-control": "no-cache" });
    const hit = await send(t.host, t.key, body);
    const ids: string[] = [];
    for (const [what, s] of [
      ["miss", miss],
      ["refreshed miss", refresh],
      ["hit", hit],
    ] as const) {
      expect(s.headers.get("content-type"), what).toMatch(/^text\/event-stream/);
      const events = eventsOf(s.text);
      expect(events.at(-1)!.data, what).toBe("[DONE]");
      const chunks = events.slice(0, -1);
      expect(chunks.length, what).toBeGreaterThan(2);
      const chunkIds = new Set<string>();
      for (const e of chunks) {
        expect(e.bytes % PAD_TO, `${what}: ${e.raw.slice(0, 60)}`).toBe(0);
        const chunk = JSON.parse(e.data) as { id: string; object: string; obfuscation: unknown; created: number };
        expect(chunk.object).toBe("chat.completion.chunk");
        expect(typeof chunk.obfuscation).toBe("string");
        chunkIds.add(chunk.id);
      }
      // One fresh id for all chunks of one answer, as a model streams it.
      expect(chunkIds.size, what).toBe(1);
      const [id] = chunkIds;
      expect(id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
      ids.push(id!);
    }
    expect(new Set(ids).size).toBe(3);
    // The provider's chunk id (kept in the stored entry) never reaches the client.
    const entries = await runInDurableObject(tenantObjectOf(t.tenant), (_, state) =>
      state.storage.sql.exec<{ id: string }>(`SELECT id FROM entries ORDER BY created_at DESC`).toArray(),
    );
    const providerId = await storedCompletionId(t.tenant, entries[0]!.id);
    for (const s of [miss, refresh, hit]) expect(s.text).not.toContain(providerId);
  });
});
