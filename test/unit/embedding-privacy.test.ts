// Embedding privacy: every vector is mapped by the tenant's secret orthogonal transform before the index sees it.
// Two claims, both measured: it costs no hit quality — over the labelled pairs of test/fixtures/semantic-pairs.ts
// the cosine of the transformed lexical embeddings equals the untransformed one (to 1e-6, also as the index stores
// them, in float32), so every threshold decision is the same; and what the index holds is not the prompt's
// embedding — a vector read back from a real store is nowhere near the raw lexical embedding of its prompt (nor the
// same prompt's vector in another tenant), yet the reworded question still hits.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { cosine, LexicalEmbedder } from "../../src/gateway/adapters/embedder-lexical";
import { proseOf } from "../../src/gateway/cache/plan";
import { OrthogonalTransform } from "../../src/gateway/crypto/orthogonal-transform";
import { DEFAULT_POLICY } from "../../src/gateway/policy/tenant-policy";
import { getRuntime } from "../../src/gateway/runtime";
import { semanticText } from "../../src/gateway/text/semantic-text";
import { MUST_NOT_HIT, SHOULD_HIT } from "../fixtures/semantic-pairs";
import { call, settle, tenantObjectOf, tenantWithKey } from "../helpers";

const DIMENSIONS = 768;
const lexical = new LexicalEmbedder(DIMENSIONS);
/** What the gateway embeds for a prompt: the prose, normalised for the semantic tier. */
const embed = (prompt: string) => lexical.embedOne(semanticText(proseOf(prompt)));
const float32 = (v: readonly number[]) => Array.from(Float32Array.from(v));
const THRESHOLD = DEFAULT_POLICY.similarity_threshold;

const PAIRS = [...Object.values(SHOULD_HIT), ...Object.values(MUST_NOT_HIT)].flat();

describe("the embedding transform preserves hit quality", async () => {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const q = await OrthogonalTransform.fromSeed(seed, DIMENSIONS);

  it(`keeps the cosine of every labelled pair (${PAIRS.length}) to 1e-6, stored as float32 too`, () => {
    expect(PAIRS.length).toBeGreaterThan(200);
    let worst = 0;
    let worstStored = 0;
    for (const [a, b] of PAIRS) {
      const [va, vb] = [embed(a), embed(b)];
      const raw = cosine(va, vb);
      const [ta, tb] = [q.apply(va), q.apply(vb)];
      worst = Math.max(worst, Math.abs(cosine(ta, tb) - raw));
      worstStored = Math.max(worstStored, Math.abs(cosine(float32(ta), float32(tb)) - raw));
    }
    expect(worst).toBeLessThan(1e-6);
    expect(worstStored).toBeLessThan(1e-6);
  });

  it("so every hit and miss at the tenant's threshold is the same with and without it", () => {
    let hits = 0;
    for (const [a, b] of PAIRS) {
      const [va, vb] = [embed(a), embed(b)];
      const raw = cosine(va, vb);
      const stored = cosine(float32(q.apply(va)), float32(q.apply(vb)));
      expect(stored >= THRESHOLD, `${a} | ${b}: ${raw}`).toBe(raw >= THRESHOLD);
      if (raw >= THRESHOLD) hits++;
    }
    // Both outcomes occur, so the comparison means something.
    expect(hits).toBeGreaterThan(0);
    expect(hits).toBeLessThan(PAIRS.length);
  });

  it("moves each embedding far from itself: what the map produces is no longer the prompt's vector", () => {
    let worst = 0;
    for (const [a] of PAIRS) {
      const v = embed(a);
      worst = Math.max(worst, Math.abs(cosine(v, q.apply(v))));
    }
    expect(worst).toBeLessThan(0.25);
  });
});

describe("stored vectors", async () => {
  const t = await tenantWithKey("emb");
  const other = await tenantWithKey("embo");
  const prompt = "What is the boiling point of water at sea level?";
  const reworded = "what is the boiling point of water at sea level";

  async function store(target: { host: string; key: string }) {
    const res = await call(target.host, "/v1/cache/query", {
      token: target.key,
      body: { prompt, model: "gpt-4o-mini" },
    });
    const body = (await res.json()) as { entry_id: string };
    await settle();
    return body.entry_id;
  }

  /** The vector the index holds for an entry, read from the tenant object's `vectors` table. */
  function storedVector(tenant: string, id: string): Promise<number[]> {
    return runInDurableObject(tenantObjectOf(tenant), (_, state) => {
      const row = state.storage.sql
        .exec<{ dims: number; embedding: ArrayBuffer }>(`SELECT dims, embedding FROM vectors WHERE id = ?`, id)
        .one();
      const view = new DataView(row.embedding);
      return Array.from({ length: row.dims }, (_, i) => view.getFloat32(i * 4, true));
    });
  }

  it("are far from the raw embedding of their prompt, and from the same prompt's vector in another tenant", async () => {
    const id = await store(t);
    const stored = await storedVector(t.tenant, id);
    expect(stored).toHaveLength(DIMENSIONS);
    const raw = embed(prompt);
    expect(Math.abs(cosine(stored, raw))).toBeLessThan(0.25);

    const elsewhere = await storedVector(other.tenant, await store(other));
    expect(Math.abs(cosine(stored, elsewhere))).toBeLessThan(0.25);

    // What is stored is exactly the tenant's map of the raw embedding (its inverse gives the embedding back).
    const rt = await getRuntime(env);
    const tenant = (await rt.tenantDirectory.get(t.tenant))!;
    const map = await rt.embeddingTransform(tenant, await rt.tenantKeyring(tenant));
    expect(cosine(map.invert(stored), raw)).toBeGreaterThan(1 - 1e-6);
  });

  it("yet the reworded question still hits semantically, with the untransformed similarity", async () => {
    const res = await call(t.host, "/v1/cache/query", {
      token: t.key,
      body: { prompt: reworded, model: "gpt-4o-mini" },
    });
    const body = (await res.json()) as { cache_hit: boolean; similarity_score: number };
    expect(res.headers.get("x-cache")).toBe("HIT-SEMANTIC");
    expect(body.cache_hit).toBe(true);
    expect(body.similarity_score).toBeCloseTo(cosine(embed(prompt), embed(reworded)), 4);
  });
});
