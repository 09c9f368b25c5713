// A fake Vectorize index that follows the platform's documented rules, for testing the Vectorize adapter
// offline: namespaces (≤ 64 bytes), ids (≤ 64 bytes), fixed dimensions, cosine scores, topK ≤ 100 (≤ 20 when
// values or all metadata are returned), metadata filters ($eq $ne $in $nin $lt $lte $gt $gte, a bare value
// meaning $eq) that only work on properties whose metadata index existed when the vector was inserted,
// `returnMetadata` none/indexed/all, and eventual visibility: mutations are applied only on `flush()`.

type Meta = Record<string, string | number | boolean>;
interface Stored {
  id: string;
  values: number[];
  namespace?: string;
  metadata: Meta;
  /** Properties that had a metadata index when this vector was written. */
  indexed: Set<string>;
}
type Mutation = { kind: "upsert"; vectors: Stored[] } | { kind: "delete"; ids: string[] };

const bytes = (s: string) => new TextEncoder().encode(s).length;
const OPS = new Set(["$eq", "$ne", "$in", "$nin", "$lt", "$lte", "$gt", "$gte"]);

export class FakeVectorize {
  private readonly visible = new Map<string, Stored>();
  private readonly pending: Mutation[] = [];
  private readonly indexes = new Map<string, "string" | "number" | "boolean">();
  readonly calls: { method: string; args: unknown[] }[] = [];

  constructor(readonly dimensions: number) {}

  createMetadataIndex(property: string, type: "string" | "number" | "boolean"): void {
    if (this.indexes.size >= 10) throw new Error("VECTOR_INDEX_LIMIT: at most 10 metadata indexes");
    this.indexes.set(property, type);
  }

  /** Applies queued mutations, as Vectorize does a few seconds after accepting them. */
  flush(): void {
    for (const m of this.pending.splice(0)) {
      if (m.kind === "upsert") for (const v of m.vectors) this.visible.set(v.id, v);
      else for (const id of m.ids) this.visible.delete(id);
    }
  }

  async upsert(vectors: { id: string; values: number[]; namespace?: string; metadata?: Meta }[]) {
    this.calls.push({ method: "upsert", args: [vectors] });
    if (vectors.length > 1000) throw new Error("too many vectors in one upsert from a Worker (max 1000)");
    const stored = vectors.map((v) => {
      if (bytes(v.id) > 64) throw new Error("VECTOR_UPSERT_ERROR: id longer than 64 bytes");
      if (v.namespace !== undefined && bytes(v.namespace) > 64) throw new Error("VECTOR_UPSERT_ERROR: namespace longer than 64 bytes");
      if (v.values.length !== this.dimensions) throw new Error(`VECTOR_UPSERT_ERROR: expected ${this.dimensions} dimensions, got ${v.values.length}`);
      return { id: v.id, values: [...v.values], namespace: v.namespace, metadata: { ...(v.metadata ?? {}) }, indexed: new Set(this.indexes.keys()) } as Stored;
    });
    this.pending.push({ kind: "upsert", vectors: stored });
    return { mutationId: crypto.randomUUID() };
  }

  async deleteByIds(ids: string[]) {
    this.calls.push({ method: "deleteByIds", args: [ids] });
    this.pending.push({ kind: "delete", ids: [...ids] });
    return { mutationId: crypto.randomUUID() };
  }

  async query(
    vector: number[],
    options: { topK?: number; namespace?: string; returnValues?: boolean; returnMetadata?: boolean | "none" | "indexed" | "all"; filter?: Record<string, unknown> } = {},
  ) {
    this.calls.push({ method: "query", args: [vector, options] });
    const topK = options.topK ?? 5;
    const heavy = options.returnValues === true || options.returnMetadata === "all" || options.returnMetadata === true;
    const maxTopK = heavy ? 20 : 100;
    if (!Number.isInteger(topK) || topK < 1 || topK > maxTopK) throw new Error(`VECTOR_QUERY_ERROR: topK must be 1–${maxTopK}`);
    if (vector.length !== this.dimensions) throw new Error(`VECTOR_QUERY_ERROR: expected ${this.dimensions} dimensions`);
    if (options.namespace !== undefined && bytes(options.namespace) > 64) throw new Error("VECTOR_QUERY_ERROR: namespace longer than 64 bytes");
    const filter = options.filter ?? {};
    for (const [prop, cond] of Object.entries(filter)) {
      if (cond && typeof cond === "object") for (const op of Object.keys(cond)) if (!OPS.has(op)) throw new Error(`VECTOR_QUERY_ERROR: unsupported operator ${op}`);
      if (!prop) throw new Error("VECTOR_QUERY_ERROR: empty property");
    }
    const candidates = [...this.visible.values()].filter(
      (v) => (options.namespace === undefined || v.namespace === options.namespace) && matchesFilter(v, filter),
    );
    const scored = candidates.map((v) => ({ v, score: cosine(vector, v.values) })).sort((a, b) => b.score - a.score).slice(0, topK);
    const level = options.returnMetadata === true ? "all" : options.returnMetadata || "none";
    return {
      count: scored.length,
      matches: scored.map(({ v, score }) => ({
        id: v.id,
        score,
        ...(v.namespace !== undefined ? { namespace: v.namespace } : {}),
        ...(options.returnValues ? { values: v.values } : {}),
        ...(level === "all" ? { metadata: v.metadata } : level === "indexed" ? { metadata: pick(v.metadata, v.indexed) } : {}),
      })),
    };
  }

  get visibleCount(): number {
    return this.visible.size;
  }
}

function matchesFilter(v: Stored, filter: Record<string, unknown>): boolean {
  for (const [prop, cond] of Object.entries(filter)) {
    // A property not indexed when the vector was written cannot be filtered on for that vector.
    if (!v.indexed.has(prop)) return false;
    const value = v.metadata[prop];
    const ops = cond !== null && typeof cond === "object" ? (cond as Record<string, unknown>) : { $eq: cond };
    for (const [op, arg] of Object.entries(ops)) {
      const ok =
        op === "$eq" ? value === arg
        : op === "$ne" ? value !== arg
        : op === "$in" ? (arg as unknown[]).includes(value)
        : op === "$nin" ? !(arg as unknown[]).includes(value)
        : value === undefined ? false
        : op === "$lt" ? (value as number) < (arg as number)
        : op === "$lte" ? (value as number) <= (arg as number)
        : op === "$gt" ? (value as number) > (arg as number)
        : (value as number) >= (arg as number);
      if (!ok) return false;
    }
  }
  return true;
}

function pick(meta: Meta, keys: Set<string>): Meta {
  return Object.fromEntries(Object.entries(meta).filter(([k]) => keys.has(k)));
}

function cosine(a: number[], b: number[]): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
