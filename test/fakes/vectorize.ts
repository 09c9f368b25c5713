// A fake Vectorize (V2) index that follows the platform's documented rules, for testing the Vectorize adapter
// offline. Sources: Vectorize docs "Limits", "Vectorize API", "Metadata filtering", "Insert vectors",
// "Query vectors". What it enforces:
//   - dimensions fixed at creation (≤ 1536); values stored as Float32; cosine scores, best first;
//   - ids and namespaces ≤ 64 bytes; ≤ 1000 vectors per upsert (Workers); ≤ 50,000 namespaces;
//   - metadata keys not empty, without `.` or `"`, not starting with `$`; ≤ 10 KiB of metadata per vector;
//   - topK default 5, ≤ 100, ≤ 20 with `returnValues: true` or `returnMetadata: "all"`;
//   - metadata indexes (≤ 10; string, number, boolean): a property can be filtered on only for vectors written
//     after its index existed, and only when the value has the index's type; string indexes hold the first
//     64 bytes of a value (filters compare those; `returnMetadata: "indexed"` returns them);
//   - filters: a non-empty object under 2048 bytes of JSON; keys not empty, without `"`, not starting with `$`,
//     ≤ 512 characters, `.` addressing nested metadata; operators $eq $ne $in $nin $lt $lte $gt $gte, a bare
//     value meaning $eq; $in/$nin take arrays; range operators take strings (lexicographic) or numbers; one
//     property may combine only an upper bound ($lt/$lte) with a lower bound ($gt/$gte);
//   - eventual visibility: upserts and deletes are queued and applied only on `flush()`, a step the test controls;
//   - approximate scores ("Query vectors", "Control over scoring precision"): without `returnValues: true` a
//     match's score is "an approximation of the real distance/similarity"; here, the cosine with the stored
//     values quantised to steps of 1/16 (the docs give no bound, so the fake's error is plainly visible). With
//     `returnValues: true` the score is the exact cosine.
type Scalar = string | number | boolean;
type IndexType = "string" | "number" | "boolean";
type Meta = Record<string, unknown>;
interface Stored {
  id: string;
  values: number[];
  namespace: string | undefined;
  metadata: Meta;
  indexed: Map<string, Scalar>;
  /** What approximate scoring compares the query with. */
  quantised: number[];
}
type Mutation = { kind: "upsert"; vectors: Stored[] } | { kind: "delete"; ids: string[] };
interface QueryOptions {
  topK?: number;
  namespace?: string;
  returnValues?: boolean;
  returnMetadata?: boolean | "none" | "indexed" | "all";
  filter?: Record<string, unknown>;
}

const bytes = (s: string) => new TextEncoder().encode(s).length;
const OPS = new Set(["$eq", "$ne", "$in", "$nin", "$lt", "$lte", "$gt", "$gte"]);
const err = (kind: string, message: string) => new Error(`VECTOR_${kind}_ERROR: ${message}`);

export class FakeVectorize {
  private readonly visible = new Map<string, Stored>();
  private readonly pending: Mutation[] = [];
  private readonly indexes = new Map<string, IndexType>();
  readonly calls: { method: "upsert" | "query" | "deleteByIds"; args: unknown[] }[] = [];

  constructor(
    readonly dimensions: number,
    readonly maxNamespaces = 50_000,
  ) {
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 1536)
      throw new Error("dimensions must be 1–1536");
  }

  createMetadataIndex(property: string, type: IndexType): void {
    if (!this.indexes.has(property) && this.indexes.size >= 10)
      throw new Error("at most 10 metadata indexes per index");
    this.indexes.set(property, type);
  }

  /** Applies the queued mutations, as Vectorize does a few seconds after accepting them. */
  flush(): void {
    for (const m of this.pending.splice(0)) {
      if (m.kind === "upsert") for (const v of m.vectors) this.visible.set(v.id, v);
      else for (const id of m.ids) this.visible.delete(id);
    }
  }

  get visibleCount(): number {
    return this.visible.size;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  async upsert(vectors: { id: string; values: number[]; namespace?: string; metadata?: Meta }[]) {
    this.calls.push({ method: "upsert", args: [vectors] });
    if (vectors.length > 1000) throw err("UPSERT", "at most 1000 vectors per upsert from a Worker");
    const namespaces = new Set<string>();
    for (const v of this.visible.values()) if (v.namespace !== undefined) namespaces.add(v.namespace);
    const stored = vectors.map((v): Stored => {
      if (!v.id || bytes(v.id) > 64) throw err("UPSERT", "vector id must be 1–64 bytes");
      if (v.namespace !== undefined && bytes(v.namespace) > 64) throw err("UPSERT", "namespace longer than 64 bytes");
      if (v.values.length !== this.dimensions)
        throw err("UPSERT", `expected ${this.dimensions} dimensions, got ${v.values.length}`);
      const metadata = v.metadata ?? {};
      for (const key of Object.keys(metadata))
        if (!key || /[."]/.test(key) || key.startsWith("$"))
          throw err("UPSERT", `invalid metadata key ${JSON.stringify(key)}`);
      if (bytes(JSON.stringify(metadata)) > 10 * 1024) throw err("UPSERT", "more than 10 KiB of metadata");
      if (v.namespace !== undefined) namespaces.add(v.namespace);
      const indexed = new Map<string, Scalar>();
      for (const [prop, type] of this.indexes) {
        const value = lookup(metadata, prop);
        if (typeof value === type)
          indexed.set(prop, type === "string" ? truncate64(value as string) : (value as Scalar));
      }
      return {
        id: v.id,
        values: v.values.map(Math.fround),
        namespace: v.namespace,
        metadata: structuredClone(metadata),
        indexed,
        quantised: v.values.map((x) => Math.round(x * 16) / 16),
      };
    });
    if (namespaces.size > this.maxNamespaces) throw err("UPSERT", `more than ${this.maxNamespaces} namespaces`);
    this.pending.push({ kind: "upsert", vectors: stored });
    return { mutationId: crypto.randomUUID() };
  }

  async deleteByIds(ids: string[]) {
    this.calls.push({ method: "deleteByIds", args: [ids] });
    this.pending.push({ kind: "delete", ids: [...ids] });
    return { mutationId: crypto.randomUUID() };
  }

  async query(vector: number[], options: QueryOptions = {}) {
    this.calls.push({ method: "query", args: [vector, options] });
    const topK = options.topK ?? 5;
    const level = options.returnMetadata === true ? "all" : options.returnMetadata || "none";
    const maxTopK = options.returnValues === true || level === "all" ? 20 : 100;
    if (!Number.isInteger(topK) || topK < 1 || topK > maxTopK) throw err("QUERY", `topK must be 1–${maxTopK}`);
    if (vector.length !== this.dimensions)
      throw err("QUERY", `expected ${this.dimensions} dimensions, got ${vector.length}`);
    if (options.namespace !== undefined && bytes(options.namespace) > 64)
      throw err("QUERY", "namespace longer than 64 bytes");
    const conditions = options.filter === undefined ? [] : parseFilter(options.filter);
    const scored = [...this.visible.values()]
      // The namespace narrows the search first, then the metadata filter; topK is taken from what is left.
      .filter(
        (v) => (options.namespace === undefined || v.namespace === options.namespace) && conditions.every((c) => c(v)),
      )
      .map((v) => ({ v, score: cosine(vector, options.returnValues === true ? v.values : v.quantised) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, topK);
    return {
      count: scored.length,
      matches: scored.map(({ v, score }) => ({
        id: v.id,
        score,
        ...(v.namespace !== undefined ? { namespace: v.namespace } : {}),
        ...(options.returnValues ? { values: [...v.values] } : {}),
        ...(level === "all"
          ? { metadata: structuredClone(v.metadata) }
          : level === "indexed"
            ? { metadata: Object.fromEntries(v.indexed) }
            : {}),
      })),
    };
  }
}

type Condition = (v: Stored) => boolean;

function parseFilter(filter: Record<string, unknown>): Condition[] {
  if (!filter || typeof filter !== "object" || Object.keys(filter).length === 0)
    throw err("QUERY", "filter must be a non-empty object");
  if (bytes(JSON.stringify(filter)) >= 2048) throw err("QUERY", "filter JSON must be under 2048 bytes");
  return Object.entries(filter).map(([prop, cond]) => {
    if (!prop || prop.includes('"') || prop.startsWith("$") || prop.length > 512)
      throw err("QUERY", `invalid filter key ${JSON.stringify(prop)}`);
    const ops =
      cond !== null && typeof cond === "object" && !Array.isArray(cond)
        ? (cond as Record<string, unknown>)
        : { $eq: cond };
    const names = Object.keys(ops);
    for (const op of names) if (!OPS.has(op)) throw err("QUERY", `unsupported operator ${op}`);
    const upper = names.filter((o) => o === "$lt" || o === "$lte").length;
    const lower = names.filter((o) => o === "$gt" || o === "$gte").length;
    if (names.length === 0 || (names.length > 1 && !(names.length === 2 && upper === 1 && lower === 1))) {
      throw err("QUERY", `invalid operator combination on ${prop}`);
    }
    for (const [op, arg] of Object.entries(ops)) {
      const scalarOk = (x: unknown) => x === null || ["string", "number", "boolean"].includes(typeof x);
      if ((op === "$in" || op === "$nin") && !(Array.isArray(arg) && arg.every(scalarOk)))
        throw err("QUERY", `${op} takes an array`);
      if (
        op === "$eq" || op === "$ne"
          ? !scalarOk(arg)
          : op.startsWith("$l") || op.startsWith("$g")
            ? !["string", "number"].includes(typeof arg)
            : false
      ) {
        throw err("QUERY", `invalid value for ${op}`);
      }
    }
    return (v: Stored) => {
      // A property without a metadata index at write time (or of another type) is not filterable for that vector.
      if (!v.indexed.has(prop)) return false;
      const value = v.indexed.get(prop)!;
      const norm = (x: unknown) => (typeof x === "string" ? truncate64(x) : x);
      return Object.entries(ops).every(([op, raw]) => {
        const arg = Array.isArray(raw) ? raw.map(norm) : norm(raw);
        if (op === "$eq") return value === arg;
        if (op === "$ne") return value !== arg;
        if (op === "$in") return (arg as unknown[]).includes(value);
        if (op === "$nin") return !(arg as unknown[]).includes(value);
        if (typeof value !== typeof arg) return false;
        const [a, b] = [value as string | number, arg as string | number];
        return op === "$lt" ? a < b : op === "$lte" ? a <= b : op === "$gt" ? a > b : a >= b;
      });
    };
  });
}

function lookup(meta: Meta, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((o, k) => (o !== null && typeof o === "object" ? (o as Meta)[k] : undefined), meta);
}

/** The first 64 bytes of a string, cut on a UTF-8 character boundary. */
function truncate64(s: string): string {
  let out = "";
  for (const ch of s) {
    if (bytes(out + ch) > 64) break;
    out += ch;
  }
  return out;
}

function cosine(a: number[], b: number[]): number {
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
