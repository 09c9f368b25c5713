// The vector-index port: the embedded adapter (the tenant Durable Object) for real through the TENANT_OBJECT
// binding, and the Vectorize adapter against a fake that follows Vectorize's documented rules.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TenantObjectVectorIndex } from "../../src/gateway/adapters/vector-tenant-object";
import {
  type VectorizeLike,
  VectorizeLimitError,
  VectorizeVectorIndex,
} from "../../src/gateway/adapters/vector-vectorize";
import type { VectorIndex, VectorQuery, VectorRecord } from "../../src/gateway/ports/vector-index";
import { FakeVectorize } from "../fakes/vectorize";

const DIMS = 8;
const unit = (...xs: number[]) => {
  const v = [...xs, ...Array<number>(DIMS - xs.length).fill(0)];
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const later = () => Date.now() + 3_600_000;
const rec = (id: string, values: number[], partition = "p1", scope = "s1", expires_at = later()): VectorRecord => ({
  id,
  values,
  metadata: { partition, scope, expires_at },
});
const ask = (vector: number[], over: Partial<VectorQuery> = {}): VectorQuery => ({
  vector,
  topK: 5,
  partition: "p1",
  scope: "s1",
  now: Date.now(),
  ...over,
});
const ids = async (index: VectorIndex, ns: string, q: VectorQuery) => (await index.query(ns, q)).map((m) => m.id);
/** A fresh tenant namespace per test, so no test sees another's vectors. */
const tenant = () => `t-${crypto.randomUUID().slice(0, 8)}`;

describe("embedded vector index (tenant Durable Object)", () => {
  const index: VectorIndex = new TenantObjectVectorIndex(env.TENANT_OBJECT);

  it("serves only the query's partition and scope, unexpired, best first, at once", async () => {
    const ns = tenant();
    await index.upsert(ns, [
      rec("close", unit(1, 0.2)),
      rec("same", unit(1, 0)),
      rec("orthogonal", unit(0, 1)),
      rec("opposite", unit(-1, 0)),
      rec("other-partition", unit(1, 0), "p2"),
      rec("other-scope", unit(1, 0), "p1", "s2"),
      rec("expired", unit(1, 0), "p1", "s1", Date.now() - 1),
    ]);
    const matches = await index.query(ns, ask(unit(1, 0)));
    expect(matches.map((m) => m.id)).toEqual(["same", "close", "orthogonal", "opposite"]);
    expect(matches.map((m) => Number(m.score.toFixed(4)))).toEqual([1, 0.9806, 0, -1]);
    expect(matches[0]!.metadata).toEqual({ partition: "p1", scope: "s1", expires_at: expect.any(Number) });
    expect(await ids(index, ns, ask(unit(1, 0), { partition: "p2" }))).toEqual(["other-partition"]);
    expect(await ids(index, ns, ask(unit(1, 0), { scope: "s2" }))).toEqual(["other-scope"]);
  });

  it("cuts at topK and breaks score ties by id", async () => {
    const ns = tenant();
    await index.upsert(
      ns,
      ["d", "b", "a", "c"].map((id) => rec(id, unit(0, 0, 1))),
    );
    expect(await ids(index, ns, ask(unit(0, 0, 1), { topK: 3 }))).toEqual(["a", "b", "c"]);
    expect(await ids(index, ns, ask(unit(0, 0, 1), { topK: 1 }))).toEqual(["a"]);
  });

  it("treats expiry as strictly after now", async () => {
    const ns = tenant();
    const at = Date.now() + 60_000;
    await index.upsert(ns, [rec("edge", unit(1), "p1", "s1", at)]);
    expect(await ids(index, ns, ask(unit(1), { now: at - 1 }))).toEqual(["edge"]);
    expect(await ids(index, ns, ask(unit(1), { now: at }))).toEqual([]);
  });

  it("never returns one tenant's vectors to another tenant's namespace", async () => {
    const [a, b] = [tenant(), tenant()];
    await index.upsert(a, [rec("a-secret", unit(0, 0, 0, 1))]);
    await index.upsert(b, [rec("b-own", unit(0, 0, 0, 0.5, 1))]);
    expect(await ids(index, b, ask(unit(0, 0, 0, 1)))).toEqual(["b-own"]);
    expect(await ids(index, a, ask(unit(0, 0, 0, 1)))).toEqual(["a-secret"]);
    await index.delete(b, ["a-secret"]);
    expect(await ids(index, a, ask(unit(0, 0, 0, 1)))).toEqual(["a-secret"]);
  });

  it("replaces a vector on upsert and forgets it on delete", async () => {
    const ns = tenant();
    await index.upsert(ns, [rec("v", unit(1)), rec("w", unit(1, 1))]);
    await index.upsert(ns, [rec("v", unit(0, 1))]);
    expect((await index.query(ns, ask(unit(0, 1))))[0]).toMatchObject({ id: "v", score: expect.closeTo(1, 6) });
    await index.delete(ns, ["v", "never-stored"]);
    expect(await ids(index, ns, ask(unit(0, 1)))).toEqual(["w"]);
    await index.delete(ns, []);
  });

  it("compares only vectors of the query's dimension", async () => {
    const ns = tenant();
    await index.upsert(ns, [rec("eight", unit(1))]);
    await index.upsert(ns, [rec("four", [1, 0, 0, 0])]);
    expect(await ids(index, ns, ask(unit(1)))).toEqual(["eight"]);
    expect(await ids(index, ns, ask([1, 0, 0, 0]))).toEqual(["four"]);
  });

  it.each([
    ["topK 0", () => ask(unit(1), { topK: 0 }), /topK/],
    ["topK 101", () => ask(unit(1), { topK: 101 }), /topK/],
    ["a NaN in the vector", () => ask([Number.NaN, ...unit(1).slice(1)]), /finite/],
    ["the zero vector", () => ask(Array<number>(DIMS).fill(0)), /zero vector/],
    ["an empty partition", () => ask(unit(1), { partition: "" }), /partition/],
  ])("refuses a query with %s", async (_, q, message) => {
    await expect(index.query(tenant(), q())).rejects.toThrow(message);
  });

  it("refuses bad records as a whole, writing none of them", async () => {
    const ns = tenant();
    await expect(index.upsert(ns, [rec("good", unit(1)), rec("short", [1, 0])])).rejects.toThrow(/same dimension/);
    await expect(index.upsert(ns, [rec("good", unit(1)), rec("inf", [Infinity, ...unit(1).slice(1)])])).rejects.toThrow(
      /finite/,
    );
    await expect(index.upsert(ns, [rec("good", unit(1)), rec("", unit(1))])).rejects.toThrow(/id/);
    await expect(index.upsert(ns, [rec("frac", unit(1), "p1", "s1", 1.5)])).rejects.toThrow(/expires_at/);
    expect(await ids(index, ns, ask(unit(1)))).toEqual([]);
    await expect(index.query("", ask(unit(1)))).rejects.toThrow(/tenant/);
  });
});

describe("Vectorize adapter (fake index)", () => {
  function indexed() {
    const fake = new FakeVectorize(DIMS);
    fake.createMetadataIndex("partition", "string");
    fake.createMetadataIndex("scope", "string");
    fake.createMetadataIndex("expires_at", "number");
    return { fake, index: new VectorizeVectorIndex(fake) };
  }

  it("upserts into the tenant namespace and queries it with the partition, scope and expiry filter", async () => {
    const { fake, index } = indexed();
    await index.upsert("acme", [rec("e1", unit(1, 0))]);
    expect(fake.calls[0]!.args[0]).toEqual([
      {
        id: "e1",
        values: unit(1, 0),
        namespace: "acme",
        metadata: { partition: "p1", scope: "s1", expires_at: expect.any(Number) },
      },
    ]);
    fake.flush();
    const now = Date.now();
    const matches = await index.query("acme", ask(unit(1, 0), { now }));
    expect(matches).toEqual([
      {
        id: "e1",
        score: expect.closeTo(1, 6),
        metadata: { partition: "p1", scope: "s1", expires_at: expect.any(Number) },
      },
    ]);
    expect(fake.calls.at(-1)!.args[1]).toEqual({
      topK: 5,
      namespace: "acme",
      returnValues: true,
      returnMetadata: "indexed",
      filter: { partition: { $eq: "p1" }, scope: { $eq: "s1" }, expires_at: { $gt: now } },
    });
  });

  it("scores a match by its exact cosine, never by Vectorize's approximate score", async () => {
    const { fake, index } = indexed();
    // Cosine 0.897 with the query: below a 0.9 threshold. Vectorize's default (approximate) scoring may put it
    // above — the fake's puts it at 0.902 — and a threshold read on that score would serve it.
    const near = unit(1, 0.45, 0.2);
    await index.upsert("acme", [rec("near", near)]);
    fake.flush();
    const approximate = await fake.query(unit(1), { namespace: "acme", returnMetadata: "indexed" });
    expect(approximate.matches[0]!.score).toBeGreaterThanOrEqual(0.9);
    const [match] = await index.query("acme", ask(unit(1)));
    expect(match!.score).toBeCloseTo(0.8971226, 6);
    expect(match!.score).toBeLessThan(0.9);
  });

  it("misses a fresh vector until Vectorize applies the upsert, serves a deleted one until the delete", async () => {
    const { fake, index } = indexed();
    await index.upsert("acme", [rec("fresh", unit(0, 1))]);
    expect(await ids(index, "acme", ask(unit(0, 1)))).toEqual([]);
    fake.flush();
    expect(await ids(index, "acme", ask(unit(0, 1)))).toEqual(["fresh"]);
    await index.delete("acme", ["fresh"]);
    expect(await ids(index, "acme", ask(unit(0, 1)))).toEqual(["fresh"]);
    fake.flush();
    expect(await ids(index, "acme", ask(unit(0, 1)))).toEqual([]);
  });

  it("keeps namespaces, partitions, scopes and expiry apart", async () => {
    const { fake, index } = indexed();
    await index.upsert("acme", [
      rec("ok", unit(1)),
      rec("p2", unit(1), "p2"),
      rec("s2", unit(1), "p1", "s2"),
      rec("old", unit(1), "p1", "s1", Date.now() - 1),
    ]);
    await index.upsert("umbrella", [rec("theirs", unit(1))]);
    fake.flush();
    expect(await ids(index, "acme", ask(unit(1)))).toEqual(["ok"]);
    expect(await ids(index, "umbrella", ask(unit(1)))).toEqual(["theirs"]);
  });

  it("finds nothing for vectors written before the metadata indexes existed, until written again", async () => {
    const fake = new FakeVectorize(DIMS);
    const index = new VectorizeVectorIndex(fake);
    await index.upsert("acme", [rec("early", unit(1))]);
    for (const [prop, type] of [
      ["partition", "string"],
      ["scope", "string"],
      ["expires_at", "number"],
    ] as const)
      fake.createMetadataIndex(prop, type);
    fake.flush();
    expect(await ids(index, "acme", ask(unit(1)))).toEqual([]);
    await index.upsert("acme", [rec("early", unit(1))]);
    fake.flush();
    expect(await ids(index, "acme", ask(unit(1)))).toEqual(["early"]);
  });

  it("drops matches whose metadata does not fit the query, whatever the binding returns", async () => {
    const careless: VectorizeLike = {
      upsert: async () => ({}),
      deleteByIds: async () => ({}),
      query: async () => ({
        matches: [
          {
            id: "foreign",
            score: 0.99,
            values: unit(1),
            metadata: { partition: "p9", scope: "s1", expires_at: later() },
          },
          { id: "stale", score: 0.98, values: unit(1), metadata: { partition: "p1", scope: "s1", expires_at: 1 } },
          { id: "bare", score: 0.97, values: unit(1) },
          { id: "valueless", score: 0.96, metadata: { partition: "p1", scope: "s1", expires_at: later() } },
          { id: "short", score: 0.95, values: [1], metadata: { partition: "p1", scope: "s1", expires_at: later() } },
          { id: "fine", score: 0.5, values: unit(1), metadata: { partition: "p1", scope: "s1", expires_at: later() } },
        ],
      }),
    };
    expect(await ids(new VectorizeVectorIndex(careless), "acme", ask(unit(1)))).toEqual(["fine"]);
  });

  it("keeps to the documented limits: 64-byte namespaces, ids, indexed strings; 1000 per upsert; topK ≤ 20 with values", async () => {
    const { fake, index } = indexed();
    await expect(index.upsert("n".repeat(65), [rec("a", unit(1))])).rejects.toThrow(VectorizeLimitError);
    await expect(index.upsert("acme", [rec("i".repeat(65), unit(1))])).rejects.toThrow(/64 bytes/);
    await expect(index.upsert("acme", [rec("é".repeat(33), unit(1))])).rejects.toThrow(/64 bytes/);
    await expect(index.upsert("acme", [rec("a", unit(1), "p".repeat(65))])).rejects.toThrow(/partition/);
    await expect(index.query("acme", ask(unit(1), { scope: "s".repeat(65) }))).rejects.toThrow(/scope/);
    await expect(index.query("acme", ask(unit(1), { topK: 0 }))).rejects.toThrow(/topK/);
    await expect(index.upsert("acme", [rec("a", [1, 2, 3])])).rejects.toThrow(/dimensions/);
    fake.calls.length = 0;
    await index.upsert(
      "acme",
      Array.from({ length: 1500 }, (_, i) => rec(`v${i}`, unit(1, i))),
    );
    await index.delete(
      "acme",
      Array.from({ length: 2001 }, (_, i) => `v${i}`),
    );
    expect(fake.calls.filter((c) => c.method === "upsert").map((c) => (c.args[0] as unknown[]).length)).toEqual([
      1000, 500,
    ]);
    expect(fake.calls.filter((c) => c.method === "deleteByIds").map((c) => (c.args[0] as unknown[]).length)).toEqual([
      1000, 1000, 1,
    ]);
    await index.upsert(
      "acme",
      Array.from({ length: 150 }, (_, i) => rec(`w${i}`, unit(1, i))),
    );
    fake.flush();
    expect(await index.query("acme", ask(unit(1), { topK: 500 }))).toHaveLength(20);
  });
});

describe("Vectorize fake follows the documented rules", () => {
  async function seeded() {
    const fake = new FakeVectorize(DIMS);
    fake.createMetadataIndex("kind", "string");
    fake.createMetadataIndex("n", "number");
    await fake.upsert([
      { id: "a", values: unit(1), metadata: { kind: "doc", n: 1 } },
      { id: "b", values: unit(1, 0.1), metadata: { kind: "img", n: 5 } },
      { id: "c", values: unit(1, 0.2), metadata: { kind: "pdf", n: 9, note: "not indexed" } },
    ]);
    fake.flush();
    return fake;
  }
  const found = async (fake: FakeVectorize, filter: Record<string, unknown>) =>
    (await fake.query(unit(1), { filter })).matches.map((m) => m.id);

  it("filters with $eq (also implicit), $ne, $in, $nin and combined lower and upper bounds", async () => {
    const fake = await seeded();
    expect(await found(fake, { kind: "doc" })).toEqual(["a"]);
    expect(await found(fake, { kind: { $eq: "img" } })).toEqual(["b"]);
    expect(await found(fake, { kind: { $ne: "img" } })).toEqual(["a", "c"]);
    expect(await found(fake, { kind: { $in: ["img", "pdf"] } })).toEqual(["b", "c"]);
    expect(await found(fake, { kind: { $nin: ["img", "pdf"] } })).toEqual(["a"]);
    expect(await found(fake, { n: { $gt: 1, $lte: 9 } })).toEqual(["b", "c"]);
    expect(await found(fake, { n: { $gte: 1, $lt: 5 } })).toEqual(["a"]);
    expect(await found(fake, { kind: { $gte: "i", $lt: "j" } })).toEqual(["b"]);
    expect(await found(fake, { note: "not indexed" })).toEqual([]);
  });

  it("rejects filters, topK values and vectors that Vectorize rejects", async () => {
    const fake = await seeded();
    await expect(fake.query(unit(1), { filter: {} })).rejects.toThrow(/non-empty/);
    await expect(fake.query(unit(1), { filter: { n: { $gt: 1, $eq: 3 } } })).rejects.toThrow(/combination/);
    await expect(fake.query(unit(1), { filter: { kind: { $in: "doc" } } })).rejects.toThrow(/array/);
    await expect(fake.query(unit(1), { filter: { kind: { $regex: "d" } } })).rejects.toThrow(/operator/);
    await expect(fake.query(unit(1), { filter: { $kind: "doc" } })).rejects.toThrow(/key/);
    await expect(fake.query(unit(1), { filter: { kind: "x".repeat(2048) } })).rejects.toThrow(/2048/);
    await expect(fake.query(unit(1), { topK: 101 })).rejects.toThrow(/1–100/);
    await expect(fake.query(unit(1), { topK: 21, returnMetadata: "all" })).rejects.toThrow(/1–20/);
    await expect(fake.query(unit(1), { topK: 21, returnValues: true })).rejects.toThrow(/1–20/);
    expect((await fake.query(unit(1), { topK: 100, returnMetadata: "indexed" })).count).toBe(3);
    await expect(fake.query(unit(1, 2, 3).slice(0, 3))).rejects.toThrow(/dimensions/);
    await expect(fake.upsert([{ id: "x", values: unit(1), metadata: { "a.b": 1 } }])).rejects.toThrow(/metadata key/);
    expect(() => fake.createMetadataIndex("kind", "string")).not.toThrow();
    for (let i = 0; i < 8; i++) fake.createMetadataIndex(`p${i}`, "boolean");
    expect(() => fake.createMetadataIndex("eleventh", "string")).toThrow(/10/);
  });

  it("returns indexed metadata only for indexed properties, cut to 64 bytes, and all metadata on request", async () => {
    const fake = new FakeVectorize(DIMS);
    fake.createMetadataIndex("long", "string");
    await fake.upsert([{ id: "l", values: unit(1), metadata: { long: "x".repeat(80), extra: true } }]);
    fake.flush();
    expect((await fake.query(unit(1), { returnMetadata: "indexed" })).matches[0]!.metadata).toEqual({
      long: "x".repeat(64),
    });
    expect((await fake.query(unit(1), { returnMetadata: "all" })).matches[0]!.metadata).toEqual({
      long: "x".repeat(80),
      extra: true,
    });
    expect((await fake.query(unit(1), { filter: { long: "x".repeat(64) } })).count).toBe(1);
  });
});
