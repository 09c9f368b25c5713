// One Durable Object per tenant (SQLite storage), holding:
//   - the tenant's cache catalog: one row per cached entry, the record later deletion, erasure and export
//     work from (hashes and ids only — no prompt or answer text);
//   - the embedded vector index, used when VECTOR_INDEX=durable-object: exact cosine search over the rows of
//     one partition and scope.
import { DurableObject } from "cloudflare:workers";
import type { VectorMatch, VectorQuery, VectorRecord } from "./ports/vector-index";

export interface CatalogEntry {
  id: string;
  /** Scope hash (tenant-wide or one user's). */
  scope: string;
  user_hash: string | null;
  partition: string;
  prompt_hash: string;
  model: string;
  /** The exact tier's KV key that points at this entry. */
  exact_key: string;
  created_at: number;
  expires_at: number;
}

const SCHEMA_VERSION = 1;
const MAX_TOP_K = 100;
const PURGE_BATCH = 500;

export class TenantStore extends DurableObject<CordonGateway.Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: CordonGateway.Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => this.migrate());
  }

  private migrate(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS entries (
      id TEXT PRIMARY KEY, scope TEXT NOT NULL, user_hash TEXT, partition TEXT NOT NULL, prompt_hash TEXT NOT NULL,
      model TEXT NOT NULL, exact_key TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)`);
    this.sql.exec(`CREATE INDEX IF NOT EXISTS entries_user ON entries (user_hash)`);
    this.sql.exec(`CREATE INDEX IF NOT EXISTS entries_created ON entries (created_at)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS vectors (
      id TEXT PRIMARY KEY, partition TEXT NOT NULL, scope TEXT NOT NULL, expires_at INTEGER NOT NULL,
      dims INTEGER NOT NULL, embedding BLOB NOT NULL)`);
    this.sql.exec(`CREATE INDEX IF NOT EXISTS vectors_partition_scope ON vectors (partition, scope)`);
    this.sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)`, String(SCHEMA_VERSION));
  }

  // ── catalog ────────────────────────────────────────────────────────────────────────────────────────

  catalogPut(e: CatalogEntry): void {
    if (!e.id || !Number.isFinite(e.created_at) || !Number.isFinite(e.expires_at)) throw new TypeError("invalid catalog entry");
    this.sql.exec(
      `INSERT OR REPLACE INTO entries (id, scope, user_hash, partition, prompt_hash, model, exact_key, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      e.id, e.scope, e.user_hash, e.partition, e.prompt_hash, e.model, e.exact_key, e.created_at, e.expires_at,
    );
  }

  catalogGet(id: string): CatalogEntry | null {
    const rows = this.sql.exec<Record<string, SqlStorageValue>>(`SELECT * FROM entries WHERE id = ?`, id).toArray();
    return rows[0] ? (rows[0] as unknown as CatalogEntry) : null;
  }

  /** Removes the entry and its vector; returns what was removed. */
  catalogDelete(id: string): CatalogEntry | null {
    const entry = this.catalogGet(id);
    this.sql.exec(`DELETE FROM entries WHERE id = ?`, id);
    this.sql.exec(`DELETE FROM vectors WHERE id = ?`, id);
    return entry;
  }

  catalogCount(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM entries`).one().n;
  }

  // ── embedded vector index ──────────────────────────────────────────────────────────────────────────

  vectorUpsert(records: VectorRecord[]): void {
    for (const r of records) {
      if (!r.id || r.values.length === 0 || !r.values.every(Number.isFinite)) throw new TypeError("invalid vector record");
      this.sql.exec(
        `INSERT OR REPLACE INTO vectors (id, partition, scope, expires_at, dims, embedding) VALUES (?, ?, ?, ?, ?, ?)`,
        r.id, r.metadata.partition, r.metadata.scope, r.metadata.expires_at, r.values.length, new Float32Array(r.values).buffer,
      );
    }
    this.sql.exec(
      `DELETE FROM vectors WHERE id IN (SELECT id FROM vectors WHERE expires_at <= ? LIMIT ${PURGE_BATCH})`,
      Date.now(),
    );
  }

  vectorQuery(q: VectorQuery): VectorMatch[] {
    if (!Number.isInteger(q.topK) || q.topK < 1 || q.topK > MAX_TOP_K) throw new RangeError(`topK must be 1–${MAX_TOP_K}`);
    if (!q.vector.every(Number.isFinite)) throw new TypeError("query vector must be finite");
    const query = Float32Array.from(q.vector);
    const qNorm = Math.hypot(...query);
    const matches: VectorMatch[] = [];
    const rows = this.sql.exec<{ id: string; expires_at: number; dims: number; embedding: ArrayBuffer }>(
      `SELECT id, expires_at, dims, embedding FROM vectors WHERE partition = ? AND scope = ? AND expires_at > ?`,
      q.partition, q.scope, q.now,
    );
    for (const row of rows) {
      if (row.dims !== query.length) continue;
      const v = new Float32Array(row.embedding);
      let dot = 0;
      let norm = 0;
      for (let i = 0; i < v.length; i++) {
        dot += v[i]! * query[i]!;
        norm += v[i]! * v[i]!;
      }
      const score = norm === 0 || qNorm === 0 ? 0 : dot / (Math.sqrt(norm) * qNorm);
      matches.push({ id: row.id, score, metadata: { partition: q.partition, scope: q.scope, expires_at: row.expires_at } });
    }
    matches.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    return matches.slice(0, q.topK);
  }

  vectorDelete(ids: string[]): void {
    for (const id of ids) this.sql.exec(`DELETE FROM vectors WHERE id = ?`, id);
  }

  vectorCount(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM vectors`).one().n;
  }

  /** Deletes everything this tenant's object holds (tenant deletion), leaving empty tables behind. */
  async destroy(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.migrate();
  }
}
