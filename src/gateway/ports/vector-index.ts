// Vector index port. Namespace = tenant id; every query filters on the request's partition (hash of all that
// must match exactly), its cache scope, and expiry. Two adapters: Cloudflare Vectorize (production) and the
// tenant's Durable Object with SQLite (local dev, tests).

export interface VectorMetadata {
  /** Hash of everything but the last user message: model, system prompt, earlier turns, tools, sampling… */
  partition: string;
  /** Hash of the cache scope: the tenant as a whole, or one user of it. */
  scope: string;
  /** Milliseconds since the epoch after which the entry must not be served. */
  expires_at: number;
}

export interface VectorRecord {
  id: string;
  values: number[];
  metadata: VectorMetadata;
}

export interface VectorMatch {
  id: string;
  /** Cosine similarity, -1…1. */
  score: number;
  metadata: VectorMetadata;
}

export interface VectorQuery {
  vector: number[];
  topK: number;
  partition: string;
  scope: string;
  /** Entries with expires_at <= now are not returned. */
  now: number;
}

export interface VectorIndex {
  upsert(namespace: string, records: readonly VectorRecord[]): Promise<void>;
  /** Best matches first; only records whose partition and scope equal the query's and that have not expired. */
  query(namespace: string, query: VectorQuery): Promise<VectorMatch[]>;
  delete(namespace: string, ids: readonly string[]): Promise<void>;
}
