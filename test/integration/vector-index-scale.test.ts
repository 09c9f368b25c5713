// The embedded index beyond the exact-search size: binary codes in memory pick RESCORE candidates, their floats
// are scored exactly. Checked against exact search (queryVectorsExact) over the same rows: near-duplicate
// queries — what a semantic cache asks — find the exact best match; the memory stays coherent with SQLite
// through upserts, deletions, erasures, rows written before codes existed, and stale lookups.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { VectorQuery, VectorRecord } from "../../src/gateway/ports/vector-index";
import type { TenantObject } from "../../src/gateway/storage/tenant-object/index";
import { queryVectorsExact, RESCORE } from "../../src/gateway/storage/tenant-object/vectors";

const DIMS = 96;
const LATER = Date.now() + 3_600_000;

/** A seeded generator (mulberry32) and Gaussian draws, so every run builds the same vectors. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
}

const normalise = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

/** `base` moved by noise of the given size (0.3 → cosine ≈ 0.95 at this dimension). */
const near = (base: number[], noise: number, gauss: () => number) =>
  normalise(base.map((x) => x + (noise * gauss()) / Math.sqrt(DIMS)));

const store = (name: string) => env.TENANT_OBJECT.get(env.TENANT_OBJECT.idFromName(name));
const rec = (id: string, values: number[], partition = "p", expires_at = LATER): VectorRecord => ({
  id,
  values,
  metadata: { partition, scope: "s", expires_at },
});
const ask = (vector: number[], over: Partial<VectorQuery> = {}): VectorQuery => ({
  vector,
  topK: 1,
  partition: "p",
  scope: "s",
  now: Date.now(),
  ...over,
});

async function fill(s: DurableObjectStub<TenantObject>, count: number, seed: number) {
  const gauss = rng(seed);
  const base = Array.from({ length: count }, () => normalise(Array.from({ length: DIMS }, gauss)));
  for (let i = 0; i < count; i += 1000) {
    await s.vectorUpsert(base.slice(i, i + 1000).map((v, j) => rec(`v${i + j}`, v)));
  }
  return { base, gauss };
}

const exact = (s: DurableObjectStub<TenantObject>, q: VectorQuery) =>
  runInDurableObject(s, (_, state) => queryVectorsExact(state.storage.sql, q));

describe("the embedded index at scale", () => {
  it("finds the exact best match of near-duplicate queries among 5,000 vectors", async () => {
    const s = store("scale-5k");
    const { base, gauss } = await fill(s, 5000, 7);
    expect(await s.vectorCount()).toBe(5000);
    let agree = 0;
    const QUERIES = 60;
    for (let i = 0; i < QUERIES; i++) {
      const q = ask(near(base[(i * 83) % base.length]!, 0.3, gauss));
      const [approx] = await s.vectorQuery(q);
      const [truth] = await exact(s, q);
      if (approx?.id === truth?.id) agree++;
      if (approx && truth) expect(approx.score).toBeLessThanOrEqual(truth.score + 1e-6);
    }
    expect(agree).toBe(QUERIES);
  });

  it("searches a group no larger than RESCORE exactly, whatever the query", async () => {
    const s = store("scale-small");
    const { gauss } = await fill(s, RESCORE, 11);
    for (let i = 0; i < 20; i++) {
      const q = ask(normalise(Array.from({ length: DIMS }, gauss)), { topK: 5 });
      expect(await s.vectorQuery(q)).toEqual(await exact(s, q));
    }
  });

  it("reads rows written before codes existed, computing their codes once", async () => {
    const s = store("scale-legacy");
    const { base } = await fill(s, 300, 13);
    await runInDurableObject(s, (instance, state) => {
      state.storage.sql.exec(`UPDATE vectors SET code = NULL`);
      // A fresh object instance would start with no codes in memory: forget them as one would.
      (instance as unknown as { codes: { clear(): void } }).codes.clear();
    });
    const [hit] = await s.vectorQuery(ask(base[42]!));
    expect(hit).toMatchObject({ id: "v42", score: expect.closeTo(1, 5) });
    const missing = await runInDurableObject(
      s,
      (_, state) =>
        state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM vectors WHERE code IS NULL`).one().n,
    );
    expect(missing).toBe(0);
  });

  it("stays coherent with SQLite: replaced, deleted, erased and moved vectors", async () => {
    const s = store("scale-coherent");
    const { base } = await fill(s, 400, 17);
    expect((await s.vectorQuery(ask(base[5]!)))[0]!.id).toBe("v5");
    await s.vectorUpsert([rec("v5", base[6]!)]);
    expect((await s.vectorQuery(ask(base[6]!, { topK: 2 }))).map((m) => m.id).sort()).toEqual(["v5", "v6"]);
    await s.vectorDelete(["v6"]);
    expect((await s.vectorQuery(ask(base[6]!)))[0]!.id).toBe("v5");
    // Moved to another partition: found there, not here.
    await s.vectorUpsert([rec("v5", base[6]!, "q")]);
    expect((await s.vectorQuery(ask(base[6]!)))[0]?.id).not.toBe("v5");
    expect((await s.vectorQuery(ask(base[6]!, { partition: "q" })))[0]!.id).toBe("v5");
    // Deleted behind the index's back (as a bulk erasure does): never returned.
    await runInDurableObject(s, (_, state) => void state.storage.sql.exec(`DELETE FROM vectors WHERE id = 'v7'`));
    expect((await s.vectorQuery(ask(base[7]!)))[0]?.id).not.toBe("v7");
  });

  it("serves an expired vector to a stale lookup until it is swept", async () => {
    const s = store("scale-stale");
    const { base } = await fill(s, 300, 19);
    const expiresAt = Date.now() + 60_000;
    await s.vectorUpsert([rec("soon", base[3]!, "p", expiresAt)]);
    const fresh = (await s.vectorQuery(ask(base[3]!, { now: expiresAt + 1, topK: 2 }))).map((m) => m.id);
    expect(fresh[0]).toBe("v3");
    expect(fresh).not.toContain("soon");
    // A later lookup for a stale answer asks with an earlier `now`: the expired vector is still there.
    const stale = (await s.vectorQuery(ask(base[3]!, { now: expiresAt - 1, topK: 2 }))).map((m) => m.id);
    expect(stale.sort()).toEqual(["soon", "v3"]);
  });
});
