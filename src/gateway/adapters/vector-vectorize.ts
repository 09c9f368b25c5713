// Production vector index: Cloudflare Vectorize, one namespace per tenant. Documented rules this adapter is
// built on (Vectorize docs: "Limits", "Vectorize API", "Metadata filtering", "Insert vectors"):
//   - namespace ≤ 64 bytes, vector id ≤ 64 bytes, ≤ 1000 vectors per upsert from a Worker;
//   - topK ≤ 100, but ≤ 20 when `returnValues: true` or `returnMetadata: "all"`: queries here ask for
//     `returnMetadata: "indexed"` (no latency overhead) and the values, so at most 20 results;
//   - without `returnValues: true` a query's scores are approximations of the similarity ("Query vectors",
//     "Control over scoring precision"): the threshold must see the true cosine, so every match is scored here
//     from its returned values, and a match without them is dropped;
//   - filtering on a metadata property needs a metadata index for it, created BEFORE the vectors are written
//     (vectors written earlier are not in the index and never match). `partition` and `scope` (string) and
//     `expires_at` (number) must be indexed before the first insert — README, "Deploying";
//   - string metadata indexes hold only the first 64 bytes of a value, so `partition` and `scope` must fit in
//     64 bytes (they are base64url HMACs, 43 bytes) or two of them could become indistinguishable;
//   - upserts and deletes are asynchronous: they become visible to queries a few seconds later. A fresh entry
//     is served from the exact tier meanwhile; a deleted entry's body is deleted too, so a stale match finds
//     no body and is a miss.
// deleteByIds has no documented batch limit; ids are sent 1000 at a time like upserts, to be safe.
import type { VectorIndex, VectorMatch, VectorMetadata, VectorQuery, VectorRecord } from "../ports/vector-index";

export const VECTORIZE_LIMITS = {
  namespaceBytes: 64,
  idBytes: 64,
  indexedStringBytes: 64,
  topK: 100,
  topKWithValuesOrAllMetadata: 20,
  upsertBatch: 1000,
  deleteBatch: 1000,
} as const;

/** A call that Vectorize would refuse (or silently mishandle), refused before it is sent. */
export class VectorizeLimitError extends RangeError {
  override name = "VectorizeLimitError";
}

const bytes = (s: string) => new TextEncoder().encode(s).length;

type MetadataValue = string | number | boolean;
type Filter = Record<
  string,
  MetadataValue | Partial<Record<"$eq" | "$ne" | "$lt" | "$lte" | "$gt" | "$gte", MetadataValue>>
>;

/** The slice of the Vectorize binding this adapter uses (the fake in tests implements the same). */
export interface VectorizeLike {
  upsert(
    vectors: { id: string; values: number[]; namespace?: string; metadata?: Record<string, MetadataValue> }[],
  ): Promise<unknown>;
  query(
    vector: number[],
    options: {
      topK?: number;
      namespace?: string;
      returnValues?: boolean;
      returnMetadata?: "none" | "indexed" | "all";
      filter?: Filter;
    },
  ): Promise<{
    matches: { id: string; score: number; values?: ArrayLike<number>; metadata?: Record<string, unknown> }[];
  }>;
  deleteByIds(ids: string[]): Promise<unknown>;
}

export class VectorizeVectorIndex implements VectorIndex {
  private readonly index: VectorizeLike;

  constructor(index: VectorizeIndex | Vectorize | VectorizeLike) {
    this.index = index as unknown as VectorizeLike;
  }

  async upsert(namespace: string, records: readonly VectorRecord[]): Promise<void> {
    checkNamespace(namespace);
    for (const r of records) {
      if (!r.id || bytes(r.id) > VECTORIZE_LIMITS.idBytes)
        throw new VectorizeLimitError("vector id must be 1–64 bytes");
      checkIndexedString("partition", r.metadata.partition);
      checkIndexedString("scope", r.metadata.scope);
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
    checkIndexedString("partition", q.partition);
    checkIndexedString("scope", q.scope);
    if (!Number.isInteger(q.topK) || q.topK < 1) throw new VectorizeLimitError("topK must be a positive integer");
    const result = await this.index.query(q.vector, {
      // More than Vectorize returns is never asked for: the port's topK is an upper bound.
      topK: Math.min(q.topK, VECTORIZE_LIMITS.topKWithValuesOrAllMetadata),
      namespace,
      // The values, for exact scores: Vectorize's own are approximate without them.
      returnValues: true,
      returnMetadata: "indexed",
      filter: { partition: { $eq: q.partition }, scope: { $eq: q.scope }, expires_at: { $gt: q.now } },
    });
    const matches: VectorMatch[] = [];
    for (const m of result.matches) {
      const md = m.metadata as Partial<VectorMetadata> | undefined;
      // Defence in depth: never trust that the filter was applied.
      if (
        md?.partition !== q.partition ||
        md.scope !== q.scope ||
        typeof md.expires_at !== "number" ||
        md.expires_at <= q.now
      )
        continue;
      const score = cosine(q.vector, m.values);
      if (score === null) continue;
      matches.push({
        id: m.id,
        score,
        metadata: { partition: md.partition, scope: md.scope, expires_at: md.expires_at },
      });
    }
    return matches.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async delete(namespace: string, ids: readonly string[]): Promise<void> {
    checkNamespace(namespace);
    for (let i = 0; i < ids.length; i += VECTORIZE_LIMITS.deleteBatch) {
      await this.index.deleteByIds(ids.slice(i, i + VECTORIZE_LIMITS.deleteBatch));
    }
  }
}

/** The cosine of the query and a match's returned values; null when the values are missing or unusable. */
function cosine(query: readonly number[], values: ArrayLike<number> | undefined): number | null {
  if (!values || values.length !== query.length) return null;
  let dot = 0;
  let qq = 0;
  let vv = 0;
  for (let i = 0; i < query.length; i++) {
    const a = query[i]!;
    const b = values[i]!;
    dot += a * b;
    qq += a * a;
    vv += b * b;
  }
  const score = dot / Math.sqrt(qq * vv);
  return Number.isFinite(score) ? Math.max(-1, Math.min(1, score)) : null;
}

function checkNamespace(namespace: string): void {
  if (!namespace || bytes(namespace) > VECTORIZE_LIMITS.namespaceBytes)
    throw new VectorizeLimitError("Vectorize namespace must be 1–64 bytes");
}

function checkIndexedString(name: string, value: string): void {
  if (typeof value !== "string" || !value || bytes(value) > VECTORIZE_LIMITS.indexedStringBytes) {
    throw new VectorizeLimitError(
      `metadata ${name} must be 1–64 bytes (Vectorize indexes only the first 64 bytes of a string)`,
    );
  }
}
