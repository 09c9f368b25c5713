// Production vector index: Cloudflare Vectorize, one namespace per tenant. Every query names the namespace
// and filters on the indexed metadata `partition`, `scope` (string) and `expires_at` (number): those three
// metadata indexes must exist before the first insert (README, "Deploying"). Vectorize's documented limits
// are respected here: namespace and id at most 64 bytes, topK at most 100 when neither values nor all
// metadata are returned (20 otherwise), at most 1000 vectors per upsert call from a Worker.
import type { VectorIndex, VectorMatch, VectorMetadata, VectorQuery, VectorRecord } from "./vector-index";

export const VECTORIZE_LIMITS = {
  namespaceBytes: 64,
  idBytes: 64,
  topK: 100,
  topKWithValuesOrAllMetadata: 20,
  upsertBatch: 1000,
} as const;

const bytes = (s: string) => new TextEncoder().encode(s).length;

/** The slice of the Vectorize binding this adapter uses (the fake in tests implements the same). */
export interface VectorizeLike {
  upsert(vectors: VectorizeVector[]): Promise<unknown>;
  query(vector: number[], options: VectorizeQueryOptions): Promise<{ matches: { id: string; score: number; metadata?: Record<string, unknown> }[] }>;
  deleteByIds(ids: string[]): Promise<unknown>;
}

export class VectorizeVectorIndex implements VectorIndex {
  private readonly index: VectorizeLike;

  constructor(index: VectorizeIndex | VectorizeLike) {
    this.index = index as unknown as VectorizeLike;
  }

  async upsert(namespace: string, records: readonly VectorRecord[]): Promise<void> {
    checkNamespace(namespace);
    for (const r of records) {
      if (bytes(r.id) > VECTORIZE_LIMITS.idBytes) throw new RangeError("vector id longer than 64 bytes");
    }
    for (let i = 0; i < records.length; i += VECTORIZE_LIMITS.upsertBatch) {
      await this.index.upsert(
        records.slice(i, i + VECTORIZE_LIMITS.upsertBatch).map((r) => ({
          id: r.id,
          values: r.values,
          namespace,
          metadata: { partition: r.metadata.partition, scope: r.metadata.scope, expires_at: r.metadata.expires_at },
        })),
      );
    }
  }

  async query(namespace: string, q: VectorQuery): Promise<VectorMatch[]> {
    checkNamespace(namespace);
    const result = await this.index.query(q.vector, {
      topK: Math.min(q.topK, VECTORIZE_LIMITS.topK),
      namespace,
      returnValues: false,
      returnMetadata: "indexed",
      filter: { partition: { $eq: q.partition }, scope: { $eq: q.scope }, expires_at: { $gt: q.now } },
    });
    const matches: VectorMatch[] = [];
    for (const m of result.matches) {
      const md = m.metadata as Partial<VectorMetadata> | undefined;
      // Defence in depth: never trust that the filter was applied.
      if (md?.partition !== q.partition || md.scope !== q.scope || typeof md.expires_at !== "number" || md.expires_at <= q.now) continue;
      matches.push({ id: m.id, score: m.score, metadata: { partition: md.partition, scope: md.scope, expires_at: md.expires_at } });
    }
    return matches;
  }

  async delete(namespace: string, ids: readonly string[]): Promise<void> {
    checkNamespace(namespace);
    if (ids.length) await this.index.deleteByIds([...ids]);
  }
}

function checkNamespace(namespace: string): void {
  if (!namespace || bytes(namespace) > VECTORIZE_LIMITS.namespaceBytes) throw new RangeError("invalid Vectorize namespace");
}
