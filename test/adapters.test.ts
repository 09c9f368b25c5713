// The production adapters (Workers AI embedder, Vectorize index) against fakes that follow the platform's
// documented rules, and the embedded vector index (the tenant Durable Object) for real.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EmbedderError, WorkersAiEmbedder } from "../src/gateway/ports/embedder-workers-ai";
import { DurableObjectVectorIndex } from "../src/gateway/ports/vector-durable-object";
import type { VectorIndex, VectorRecord } from "../src/gateway/ports/vector-index";
import { VectorizeVectorIndex } from "../src/gateway/ports/vector-vectorize";
import { FakeVectorize } from "./fakes/vectorize";
import { FakeWorkersAi } from "./fakes/workers-ai";

const DIMS = 8;
const unit = (...xs: number[]) => {
  const v = [...xs, ...Array(DIMS - xs.length).fill(0)];
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const future = () => Date.now() + 3600_000;
const rec = (id: string, values: number[], partition = "p1", scope = "s1", expires_at = future()): VectorRecord => ({
  id,
  values,
  metadata: { partition, scope, expires_at },
});
const q = (vector: number[], partition = "p1", scope = "s1", topK = 5) => ({ vector, topK, partition, scope, now: Date.now() });

describe("Workers AI embedder (fake binding)", () => {
  it("embeds in batches of at most 100 texts, in order, as unit vectors", async () => {
    const ai = new FakeWorkersAi();
    const embedder = new WorkersAiEmbedder({ ai, model: "@cf/baai/bge-base-en-v1.5", dimensions: 768 });
    const texts = Array.from({ length: 250 }, (_, i) => `text ${i}`);
    const vectors = await embedder.embed(texts);
    expect(ai.calls.map((c) => c.texts.length)).toEqual([100, 100, 50]);
    expect(vectors).toHaveLength(250);
    expect(Math.hypot(...vectors[0]!)).toBeCloseTo(1, 6);
    expect(vectors[7]).toEqual((await embedder.embed(["text 7"]))[0]);
  });

  it("passes the AI Gateway option when configured", async () => {
    const ai = new FakeWorkersAi();
    await new WorkersAiEmbedder({ ai, model: "@cf/baai/bge-base-en-v1.5", dimensions: 768, gatewayId: "cordon" }).embed(["x"]);
    expect(ai.calls[0]!.options).toEqual({ gateway: { id: "cordon" } });
  });

  it("refuses vectors of another dimension than configured", async () => {
    const ai = new FakeWorkersAi();
    ai.wrongDimensions = 384;
    await expect(new WorkersAiEmbedder({ ai, model: "@cf/baai/bge-base-en-v1.5", dimensions: 768 }).embed(["x"])).rejects.toThrow(EmbedderError);
  });

  it("surfaces a platform error", async () => {
    const ai = new FakeWorkersAi();
    ai.failNext = new Error("AiError: capacity");
    await expect(new WorkersAiEmbedder({ ai, model: "@cf/baai/bge-base-en-v1.5", dimensions: 768 }).embed(["x"])).rejects.toThrow(/capacity/);
  });
});

describe("Vectorize adapter (fake index)", () => {
  function setup() {
    const fake = new FakeVectorize(DIMS);
    fake.createMetadataIndex("partition", "string");
    fake.createMetadataIndex("scope", "string");
    fake.createMetadataIndex("expires_at", "number");
    return { fake, index: new VectorizeVectorIndex(fake) };
  }

  it("writes into the tenant's namespace and queries it with the partition, scope and expiry filter", async () => {
    const { fake, index } = setup();
    await index.upsert("acme", [rec("e1", unit(1, 0))]);
    fake.flush();
    const matches = await index.query("acme", q(unit(1, 0)));
    expect(matches.map((m) => m.id)).toEqual(["e1"]);
    expect(matches[0]!.score).toBeCloseTo(1, 6);
    const query = fake.calls.find((c) => c.method === "query")!.args[1] as Record<string, unknown>;
    expect(query).toMatchObject({ namespace: "acme", returnValues: false, returnMetadata: "indexed" });
    expect(query.filter).toMatchObject({ partition: { $eq: "p1" }, scope: { $eq: "s1" }, expires_at: { $gt: expect.any(Number) } });
  });

  it("surfaces eventual visibility: a vector is not found before the index applies the mutation", async () => {
    const { fake, index } = setup();
    await index.upsert("acme", [rec("late", unit(0, 1))]);
    expect(await index.query("acme", q(unit(0, 1)))).toEqual([]);
    fake.flush();
    expect((await index.query("acme", q(unit(0, 1)))).map((m) => m.id)).toEqual(["late"]);
    await index.delete("acme", ["late"]);
    expect((await index.query("acme", q(unit(0, 1)))).map((m) => m.id)).toEqual(["late"]);
    fake.flush();
    expect(await index.query("acme", q(unit(0, 1)))).toEqual([]);
  });

  it("never returns another namespace's, partition's, scope's or an expired vector", async () => {
    const { fake, index } = setup();
    await index.upsert("acme", [rec("ok", unit(1)), rec("part", unit(1), "p2"), rec("scope", unit(1), "p1", "s2"), rec("old", unit(1), "p1", "s1", Date.now() - 1)]);
    await index.upsert("other", [rec("theirs", unit(1))]);
    fake.flush();
    expect((await index.query("acme", q(unit(1)))).map((m) => m.id)).toEqual(["ok"]);
    expect((await index.query("other", q(unit(1)))).map((m) => m.id)).toEqual(["theirs"]);
  });

  it("finds nothing when the metadata indexes were created after the vectors (documented rule)", async () => {
    const fake = new FakeVectorize(DIMS);
    const index = new VectorizeVectorIndex(fake);
    await index.upsert("acme", [rec("early", unit(1))]);
    fake.createMetadataIndex("partition", "string");
    fake.createMetadataIndex("scope", "string");
    fake.createMetadataIndex("expires_at", "number");
    fake.flush();
    expect(await index.query("acme", q(unit(1)))).toEqual([]);
  });

  it("respects the documented limits", async () => {
    const { index } = setup();
    await expect(index.upsert("x".repeat(65), [rec("a", unit(1))])).rejects.toThrow(/namespace/);
    await expect(index.upsert("acme", [rec("i".repeat(65), unit(1))])).rejects.toThrow(/64 bytes/);
    await expect(index.upsert("acme", [rec("a", [1, 2, 3])])).rejects.toThrow(/dimensions/);
    const { fake: f2, index: i2 } = setup();
    await i2.upsert("acme", Array.from({ length: 1500 }, (_, i) => rec(`v${i}`, unit(1, i))));
    expect(f2.calls.filter((c) => c.method === "upsert").map((c) => (c.args[0] as unknown[]).length)).toEqual([1000, 500]);
    f2.flush();
    expect((await i2.query("acme", q(unit(1), "p1", "s1", 500))).length).toBe(100);
  });
});

describe("embedded vector index (tenant Durable Object)", () => {
  const index: VectorIndex = new DurableObjectVectorIndex(env.TENANT_STORE);

  it("returns the best matches first, filtered by partition, scope and expiry, visible at once", async () => {
    await index.upsert("do-a", [
      rec("near", unit(1, 0.1)),
      rec("exact", unit(1, 0)),
      rec("far", unit(0, 1)),
      rec("other-part", unit(1, 0), "p2"),
      rec("other-scope", unit(1, 0), "p1", "s2"),
      rec("expired", unit(1, 0), "p1", "s1", Date.now() - 1),
    ]);
    const matches = await index.query("do-a", q(unit(1, 0)));
    expect(matches.map((m) => m.id)).toEqual(["exact", "near", "far"]);
    expect(matches[0]!.score).toBeCloseTo(1, 6);
    expect(matches[2]!.score).toBeCloseTo(0, 6);
    expect((await index.query("do-a", q(unit(1, 0), "p1", "s1", 1))).map((m) => m.id)).toEqual(["exact"]);
  });

  it("keeps tenants apart: one namespace never returns another's vectors", async () => {
    await index.upsert("do-b", [rec("b-only", unit(0, 0, 1))]);
    expect((await index.query("do-a", q(unit(0, 0, 1)))).map((m) => m.id)).not.toContain("b-only");
    expect((await index.query("do-b", q(unit(0, 0, 1)))).map((m) => m.id)).toEqual(["b-only"]);
  });

  it("replaces on upsert and removes on delete", async () => {
    await index.upsert("do-c", [rec("v", unit(1))]);
    await index.upsert("do-c", [rec("v", unit(0, 1))]);
    expect((await index.query("do-c", q(unit(0, 1))))[0]!.score).toBeCloseTo(1, 6);
    await index.delete("do-c", ["v"]);
    expect(await index.query("do-c", q(unit(0, 1)))).toEqual([]);
  });

  it("refuses bad input", async () => {
    await expect(index.query("do-a", q(unit(1), "p1", "s1", 0))).rejects.toThrow(/topK/);
    await expect(index.upsert("do-a", [rec("nan", [Number.NaN, ...unit(1).slice(1)])])).rejects.toThrow(/invalid/);
    await expect(index.query("", q(unit(1)))).rejects.toThrow(/tenant/);
  });

  it("deletes a catalog entry together with its vector", async () => {
    const stub = env.TENANT_STORE.get(env.TENANT_STORE.idFromName("do-d"));
    await index.upsert("do-d", [rec("e1", unit(1))]);
    await stub.catalogPut({ id: "e1", scope: "s1", user_hash: null, partition: "p1", prompt_hash: "h", model: "m", exact_key: "do-d:x:h", created_at: 1, expires_at: future() });
    expect(await stub.catalogGet("e1")).toMatchObject({ id: "e1", exact_key: "do-d:x:h" });
    expect(await stub.catalogDelete("e1")).toMatchObject({ id: "e1" });
    expect(await stub.catalogCount()).toBe(0);
    expect(await stub.vectorCount()).toBe(0);
    expect(await stub.catalogDelete("e1")).toBeNull();
  });
});
