// The tenant Durable Object for real: its cache catalog, what deleting an entry removes, input validation, the
// stored schema and the vector encoding.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_SERVE_STALE_SECONDS } from "../../src/gateway/policy/tenant-policy";
import type { VectorRecord } from "../../src/gateway/ports/vector-index";
import { outsideCopiesOfAll, requeueDeletes } from "../../src/gateway/storage/tenant-object/erasure";
import {
  type CatalogEntry,
  TENANT_OBJECT_SCHEMA_VERSION,
  type TenantObject,
} from "../../src/gateway/storage/tenant-object/index";
import { migrate } from "../../src/gateway/storage/tenant-object/schema";
import { sweep } from "../../src/gateway/storage/tenant-object/sweeper";
import { CodeGroups } from "../../src/gateway/storage/tenant-object/vector-codes";
import { FakeVectorize } from "../fakes/vectorize";
import { createTenant, uniqueTenant } from "../helpers";

const store = () => env.TENANT_OBJECT.get(env.TENANT_OBJECT.idFromName(`ts-${crypto.randomUUID().slice(0, 8)}`));
/** The object of a tenant that exists: the catalog takes entries only for one. */
const tenantStore = async () => {
  const id = uniqueTenant("ts");
  await createTenant(id);
  return env.TENANT_OBJECT.get(env.TENANT_OBJECT.idFromName(id));
};
/** The store ticket of a request asked before any erasure. */
const TICKET = { erasedBefore: 0, userErasures: 0 };
const later = () => Date.now() + 3_600_000;
const entry = (id: string, over: Partial<CatalogEntry> = {}): CatalogEntry => ({
  id,
  scope: "scope-hash",
  user_hash: null,
  partition: "partition-hash",
  prompt_hash: "prompt-hash",
  model: "openai/gpt-4o-mini",
  exact_key: `acme:x:${id}`,
  created_at: Date.now(),
  expires_at: later(),
  ...over,
});
const vector = (id: string, expires_at = later()): VectorRecord => ({
  id,
  values: [3, 4, 0, 0],
  metadata: { partition: "partition-hash", scope: "scope-hash", expires_at },
});

describe("tenant store: catalog", () => {
  it("puts, gets and counts entries exactly as written", async () => {
    const s = await tenantStore();
    const a = entry("e-a", { user_hash: "user-hash" });
    await s.catalogPut(a, TICKET);
    await s.catalogPut(entry("e-b"), TICKET);
    expect(await s.catalogGet("e-a")).toEqual(a);
    expect(await s.catalogGet("e-missing")).toBeNull();
    expect(await s.catalogCount()).toBe(2);
  });

  it("replaces an entry written again under the same id", async () => {
    const s = await tenantStore();
    await s.catalogPut(entry("e-1", { model: "first" }), TICKET);
    await s.catalogPut(entry("e-1", { model: "second" }), TICKET);
    expect(await s.catalogCount()).toBe(1);
    expect((await s.catalogGet("e-1"))?.model).toBe("second");
  });

  it("deletes an entry together with its vector and returns what it removed", async () => {
    const s = await tenantStore();
    const e = entry("e-del");
    await s.catalogPut(e, TICKET);
    await s.catalogPut(entry("e-keep"), TICKET);
    await s.vectorUpsert([vector("e-del"), vector("e-keep")]);
    expect(await s.catalogDelete("e-del")).toEqual({ ...e, exact_key_shared: false });
    expect(await s.catalogCount()).toBe(1);
    expect(await s.vectorCount()).toBe(1);
    expect(await s.catalogGet("e-del")).toBeNull();
    expect(await s.catalogDelete("e-del")).toBeNull();
  });

  it.each([
    ["an empty id", entry("")],
    ["a missing model", { ...entry("e-x"), model: undefined as unknown as string }],
    ["a fractional created_at", entry("e-x", { created_at: 1.5 })],
    ["a numeric user hash", entry("e-x", { user_hash: 7 as unknown as string })],
  ])("refuses a catalog entry with %s and writes nothing", async (_, bad) => {
    const s = await tenantStore();
    // Inside the object (an RPC caller receives the same error as "TenantObjectInputError: invalid …").
    const failure = await runInDurableObject(s, (object) => (object as TenantObject).catalogPut(bad, TICKET)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe("TenantObjectInputError");
    expect((failure as Error).message).toMatch(/^invalid/);
    expect(await s.catalogCount()).toBe(0);
  });
});

describe("tenant store: storage", () => {
  it("records its schema version and creates its tables and indexes", async () => {
    const s = store();
    await s.catalogCount();
    const { version, indexes } = await runInDurableObject(s, (_, state) => ({
      version: state.storage.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`).one()
        .value,
      indexes: state.storage.sql
        .exec<{ name: string }>(
          `SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
        )
        .toArray()
        .map((r) => r.name),
    }));
    expect(Number(version)).toBe(TENANT_OBJECT_SCHEMA_VERSION);
    expect(indexes).toEqual([
      "entries_created_id",
      "entries_exact_key",
      "entries_expires",
      "entries_user_created",
      "provider_responses_created",
      "vectors_expires",
      "vectors_partition_scope",
      "virtual_keys_provider",
    ]);
  });

  it("keeps no index that another begins with, so a catalog row writes 6 rows and a vector 4", async () => {
    const s = store();
    await s.catalogCount();
    const { columns, written } = await runInDurableObject(s, (_, state) => {
      const sql = state.storage.sql;
      const columns: Record<string, string> = {};
      for (const table of ["entries", "vectors"]) {
        for (const { name } of sql.exec<{ name: string }>(`SELECT name FROM pragma_index_list(?)`, table)) {
          const cols = sql
            .exec<{ name: string }>(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`, name)
            .toArray()
            .map((c) => c.name);
          columns[`${table}.${name}`] = cols.join(",");
        }
      }
      // Each index is one more row written (and billed) per row stored, and again when it is deleted.
      const written = {
        entry: sql.exec(
          `INSERT INTO entries (id, scope, user_hash, partition, prompt_hash, model, exact_key, created_at, expires_at)
           VALUES ('e-cost', 's', 'u', 'p', 'h', 'm', 'k', 1, 2)`,
        ).rowsWritten,
        vector: sql.exec(
          `INSERT INTO vectors (id, partition, scope, expires_at, dims, embedding, code) VALUES ('v-cost', 'p', 's', 2, 1, ?, ?)`,
          new Float32Array([1]).buffer,
          new Uint32Array([1]).buffer,
        ).rowsWritten,
      };
      return { columns, written };
    });
    const all = Object.entries(columns);
    expect(all.length).toBeGreaterThanOrEqual(6);
    for (const [name, cols] of all) {
      for (const [other, longer] of all) {
        if (other !== name && other.split(".")[0] === name.split(".")[0]) {
          expect(`${longer},`.startsWith(`${cols},`), `${other} (${longer}) begins with ${name} (${cols})`).toBe(false);
        }
      }
    }
    expect(written).toEqual({ entry: 6, vector: 4 });
  });

  it("keeps a stored response's owner; one recorded before owners were stays the whole tenant's", async () => {
    const s = store();
    await s.catalogCount();
    await s.recordProviderResponse("resp_user", Date.now(), ["msg_user"], "user-hash-a");
    expect(await s.unknownProviderIds(["resp_user", "msg_user"], "user-hash-a")).toEqual([]);
    expect(await s.unknownProviderIds(["resp_user", "msg_user"], "user-hash-b")).toEqual(["resp_user", "msg_user"]);
    expect(await s.unknownProviderIds(["resp_user"], "tenant")).toEqual(["resp_user"]);
    const legacy = await runInDurableObject(s, (instance, state) => {
      const object = instance as TenantObject;
      expect(() => object.recordProviderResponse("resp_any", Date.now(), [], "*")).toThrow(/owner/);
      // The table as schema v13 made it, with a row in it, brought to the current schema.
      const sql = state.storage.sql;
      sql.exec(`DROP TABLE provider_responses`);
      sql.exec(`CREATE TABLE provider_responses (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL)`);
      sql.exec(`INSERT INTO provider_responses (id, created_at) VALUES ('resp_old', ?)`, Date.now());
      sql.exec(`UPDATE meta SET value = '13' WHERE key = 'schema_version'`);
      migrate(state.storage);
      return ["user-hash-a", "tenant"].map((owner) => object.unknownProviderIds(["resp_old"], owner));
    });
    expect(legacy).toEqual([[], []]);
  });

  it("stores vectors L2-normalised as little-endian Float32 bytes", async () => {
    const s = store();
    await s.vectorUpsert([vector("v-1")]);
    const row = await runInDurableObject(s, (_, state) =>
      state.storage.sql
        .exec<{ dims: number; embedding: ArrayBuffer }>(`SELECT dims, embedding FROM vectors WHERE id = 'v-1'`)
        .one(),
    );
    expect(row.dims).toBe(4);
    expect(row.embedding.byteLength).toBe(16);
    const view = new DataView(row.embedding);
    expect([0, 1, 2, 3].map((i) => view.getFloat32(i * 4, true))).toEqual([Math.fround(0.6), Math.fround(0.8), 0, 0]);
  });

  it("purges vectors past the longest stale window when new ones are written, keeping those within it", async () => {
    const s = store();
    const longAgo = Date.now() - MAX_SERVE_STALE_SECONDS * 1000 - 1000;
    await s.vectorUpsert([vector("old-1", longAgo), vector("old-2", longAgo)]);
    expect(await s.vectorCount()).toBe(0);
    // Expired a second ago: a tenant serving stale answers may still want it (the sweeper decides per tenant).
    await s.vectorUpsert([vector("recent", Date.now() - 1000)]);
    expect(await s.vectorCount()).toBe(1);
    await runInDurableObject(s, (_, state) => void state.storage.sql.exec(`DELETE FROM vectors`));
    await runInDurableObject(s, (_, state) => {
      state.storage.sql.exec(
        `INSERT INTO vectors (id, partition, scope, expires_at, dims, embedding) VALUES ('stale', 'p', 's', 1, 1, ?)`,
        new Float32Array([1]).buffer,
      );
    });
    expect(await s.vectorCount()).toBe(1);
    await s.vectorUpsert([vector("fresh")]);
    expect(await s.vectorCount()).toBe(1);
  });

  it("empties every table on tenant deletion, and takes no late entry afterwards", async () => {
    const s = await tenantStore();
    expect(await s.catalogPut(entry("e-gone"), TICKET)).toBeNull();
    await s.vectorUpsert([vector("e-gone")]);
    expect(await s.deleteTenant()).not.toBeNull();
    expect(await s.catalogCount()).toBe(0);
    expect(await s.vectorCount()).toBe(0);
    // A store that was in flight when the tenant went: refused, not written into the emptied object.
    expect(await s.catalogPut(entry("e-new"), TICKET)).toBe("no_tenant");
    expect(await s.catalogCount()).toBe(0);
  });

  // Regression: a deleted tenant's vectors stayed in Vectorize for good (and its KV copies until their TTL): the
  // sweeper of its emptied object deleted vectors only for a tenant that existed.
  it("on Vectorize, a deleted tenant's vectors and KV copies are queued and swept from the emptied object", async () => {
    const id = uniqueTenant("ts");
    await createTenant(id);
    const s = env.TENANT_OBJECT.get(env.TENANT_OBJECT.idFromName(id));
    await s.catalogPut(entry("e-1", { exact_key: `${id}:x:one` }), TICKET);
    await s.catalogPut(entry("e-2", { exact_key: `${id}:x:two` }), TICKET);
    const fake = new FakeVectorize(4);
    const swept = await runInDurableObject(s, async (_, state) => {
      // What deleteTenant does on Vectorize: queue every copy, empty the object, queue them again.
      const copies = outsideCopiesOfAll(state.storage, id, true);
      await state.storage.deleteAll();
      migrate(state.storage);
      requeueDeletes(state.storage, copies);
      const deleted: string[] = [];
      const cache = { delete: async (key: string) => void deleted.push(key) } as unknown as KVNamespace;
      const next = await sweep(
        state.storage,
        { CACHE: cache, VECTORIZE: fake as unknown as VectorizeIndex, VECTOR_INDEX: "vectorize" },
        new CodeGroups(),
        null,
        Date.now(),
      );
      return { deleted, next, pending: state.storage.sql.exec(`SELECT COUNT(*) AS n FROM pending_deletes`).one().n };
    });
    expect(swept.deleted.sort()).toEqual([`${id}:e:e-1`, `${id}:e:e-2`, `${id}:x:one`, `${id}:x:two`]);
    expect(fake.calls.filter((c) => c.method === "deleteByIds").map((c) => c.args[0])).toEqual([["e-1", "e-2"]]);
    expect(swept.pending).toBe(0);
    expect(swept.next).toBeNull();
  });
});
