// One Durable Object per tenant (`idFromName(tenantId)`, SQLite storage), holding:
//   - the tenant's cache catalog: one row per cached entry, the record later deletion, erasure and export
//     work from (hashes and ids only — no prompt or answer text);
//   - the embedded vector index, used when VECTOR_INDEX=durable-object: exact cosine search over the rows of
//     one partition and scope. Vectors are stored L2-normalised as Float32 little-endian BLOBs, so a query is
//     one dot product per row; rows of another dimension (an embedder change) are never compared.
// Every RPC input is validated before anything is written; a bad call throws TenantStoreInputError and changes
// nothing (across RPC the caller receives an Error whose message starts "TenantStoreInputError: invalid …").
// Each write method runs in one transaction.
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

export class TenantStoreInputError extends TypeError {
  override name = "TenantStoreInputError";
}

export const TENANT_STORE_LIMITS = {
  maxTopK: 100,
  maxDims: 4096,
  maxBatch: 1000,
  maxIdLength: 128,
  maxTextLength: 1024,
  purgeBatch: 500,
} as const;
const L = TENANT_STORE_LIMITS;

/** Schema migrations, applied in order from the version recorded in `meta` (idempotent statements only). */
const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE IF NOT EXISTS entries (id TEXT PRIMARY KEY, scope TEXT NOT NULL, user_hash TEXT, partition TEXT NOT NULL,
       prompt_hash TEXT NOT NULL, model TEXT NOT NULL, exact_key TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS entries_user ON entries (user_hash)`,
    `CREATE INDEX IF NOT EXISTS entries_created ON entries (created_at)`,
    `CREATE TABLE IF NOT EXISTS vectors (id TEXT PRIMARY KEY, partition TEXT NOT NULL, scope TEXT NOT NULL,
       expires_at INTEGER NOT NULL, dims INTEGER NOT NULL, embedding BLOB NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS vectors_partition_scope ON vectors (partition, scope)`,
  ],
  // v2: the opportunistic purge of expired vectors reads an index instead of scanning the table.
  [`CREATE INDEX IF NOT EXISTS vectors_expires ON vectors (expires_at)`],
];
export const TENANT_STORE_SCHEMA_VERSION = MIGRATIONS.length;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class TenantStore extends DurableObject<CordonGateway.Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: CordonGateway.Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => this.migrate());
  }

  private migrate(): void {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
      const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`).toArray()[0];
      const from = row ? Number(row.value) : 0;
      for (const step of MIGRATIONS.slice(from)) for (const statement of step) this.sql.exec(statement);
      this.sql.exec(
        `INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)`,
        String(Math.max(from, MIGRATIONS.length)),
      );
    });
  }

  // ── catalog ────────────────────────────────────────────────────────────────────────────────────────

  catalogPut(e: CatalogEntry): void {
    if (!e || typeof e !== "object") fail("catalog entry must be an object");
    checkId(e.id);
    for (const k of ["scope", "partition", "prompt_hash", "model", "exact_key"] as const) checkText(k, e[k]);
    if (e.user_hash !== null) checkText("user_hash", e.user_hash);
    checkTime("created_at", e.created_at);
    checkTime("expires_at", e.expires_at);
    this.sql.exec(
      `INSERT OR REPLACE INTO entries (id, scope, user_hash, partition, prompt_hash, model, exact_key, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      e.id,
      e.scope,
      e.user_hash,
      e.partition,
      e.prompt_hash,
      e.model,
      e.exact_key,
      e.created_at,
      e.expires_at,
    );
  }

  catalogGet(id: string): CatalogEntry | null {
    checkId(id);
    const row = this.sql.exec<Record<string, SqlStorageValue>>(`SELECT * FROM entries WHERE id = ?`, id).toArray()[0];
    return row ? toEntry(row) : null;
  }

  /** Removes the entry and its vector; returns what was removed (null when there was no such entry). */
  catalogDelete(id: string): CatalogEntry | null {
    checkId(id);
    return this.ctx.storage.transactionSync(() => {
      const entry = this.catalogGet(id);
      this.sql.exec(`DELETE FROM entries WHERE id = ?`, id);
      this.sql.exec(`DELETE FROM vectors WHERE id = ?`, id);
      return entry;
    });
  }

  catalogCount(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM entries`).one().n;
  }

  // ── embedded vector index ──────────────────────────────────────────────────────────────────────────

  vectorUpsert(records: VectorRecord[]): void {
    if (!Array.isArray(records) || records.length > L.maxBatch)
      fail(`invalid vector batch: an array of at most ${L.maxBatch} records`);
    const dims = records[0]?.values?.length;
    const rows = records.map((r) => {
      if (!r || typeof r !== "object" || !r.metadata || typeof r.metadata !== "object") fail("invalid vector record");
      checkId(r.id);
      checkText("partition", r.metadata.partition);
      checkText("scope", r.metadata.scope);
      checkTime("expires_at", r.metadata.expires_at);
      if (r.values?.length !== dims)
        fail("invalid vector record: every vector of a batch must have the same dimension");
      return { r, blob: toBlob(unit(r.values, "invalid vector record")) };
    });
    this.ctx.storage.transactionSync(() => {
      for (const { r, blob } of rows) {
        this.sql.exec(
          `INSERT OR REPLACE INTO vectors (id, partition, scope, expires_at, dims, embedding) VALUES (?, ?, ?, ?, ?, ?)`,
          r.id,
          r.metadata.partition,
          r.metadata.scope,
          r.metadata.expires_at,
          r.values.length,
          blob,
        );
      }
      this.sql.exec(
        `DELETE FROM vectors WHERE id IN (SELECT id FROM vectors WHERE expires_at <= ? LIMIT ${L.purgeBatch})`,
        Date.now(),
      );
    });
  }

  /** Exact cosine over the unexpired rows of the query's partition and scope: best first, ties by id. */
  vectorQuery(q: VectorQuery): VectorMatch[] {
    if (!q || typeof q !== "object") fail("invalid vector query");
    if (!Number.isInteger(q.topK) || q.topK < 1 || q.topK > L.maxTopK)
      fail(`invalid vector query: topK must be 1–${L.maxTopK}`);
    checkText("partition", q.partition);
    checkText("scope", q.scope);
    if (typeof q.now !== "number" || !Number.isFinite(q.now)) fail("invalid vector query: now must be a finite number");
    const query = Float32Array.from(unit(q.vector, "invalid vector query"));
    const best: VectorMatch[] = [];
    const rows = this.sql.exec<{ id: string; expires_at: number; embedding: ArrayBuffer }>(
      `SELECT id, expires_at, embedding FROM vectors WHERE partition = ? AND scope = ? AND expires_at > ? AND dims = ?`,
      q.partition,
      q.scope,
      q.now,
      query.length,
    );
    for (const row of rows) {
      if (row.embedding.byteLength !== query.length * 4) continue;
      const v = fromBlob(row.embedding);
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += v[i]! * query[i]!;
      const match = {
        id: row.id,
        score: dot,
        metadata: { partition: q.partition, scope: q.scope, expires_at: row.expires_at },
      };
      if (best.length === q.topK && !ranksBefore(match, best[best.length - 1]!)) continue;
      let at = best.length;
      while (at > 0 && ranksBefore(match, best[at - 1]!)) at--;
      best.splice(at, 0, match);
      if (best.length > q.topK) best.pop();
    }
    return best;
  }

  vectorDelete(ids: string[]): void {
    if (!Array.isArray(ids) || ids.length > 10 * L.maxBatch)
      fail(`invalid id list: an array of at most ${10 * L.maxBatch} ids`);
    ids.forEach(checkId);
    this.ctx.storage.transactionSync(() => {
      for (const id of ids) this.sql.exec(`DELETE FROM vectors WHERE id = ?`, id);
    });
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

function fail(message: string): never {
  throw new TenantStoreInputError(message);
}

function checkId(id: unknown): asserts id is string {
  if (typeof id !== "string" || id.length === 0 || id.length > L.maxIdLength)
    fail(`invalid id: a string of 1–${L.maxIdLength} characters`);
}

function checkText(name: string, value: unknown): void {
  if (typeof value !== "string" || value.length === 0 || value.length > L.maxTextLength)
    fail(`invalid ${name}: a non-empty string`);
}

function checkTime(name: string, value: unknown): void {
  if (!Number.isSafeInteger(value)) fail(`invalid ${name}: an integer number of milliseconds`);
}

/** The vector scaled to unit length; refuses non-arrays, wrong sizes, non-finite values and the zero vector. */
function unit(values: unknown, what: string): number[] {
  if (!Array.isArray(values) || values.length === 0 || values.length > L.maxDims)
    fail(`${what}: 1–${L.maxDims} numbers`);
  let sum = 0;
  for (const x of values) {
    if (typeof x !== "number" || !Number.isFinite(x)) fail(`${what}: values must be finite numbers`);
    sum += x * x;
  }
  if (sum === 0) fail(`${what}: the zero vector has no direction`);
  const norm = Math.sqrt(sum);
  return (values as number[]).map((x) => x / norm);
}

function toBlob(values: number[]): ArrayBuffer {
  if (LITTLE_ENDIAN) return Float32Array.from(values).buffer;
  const view = new DataView(new ArrayBuffer(values.length * 4));
  for (const [i, x] of values.entries()) view.setFloat32(i * 4, x, true);
  return view.buffer;
}

function fromBlob(buf: ArrayBuffer): Float32Array {
  if (LITTLE_ENDIAN) return new Float32Array(buf);
  const view = new DataView(buf);
  return Float32Array.from({ length: buf.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

function ranksBefore(a: VectorMatch, b: VectorMatch): boolean {
  return a.score > b.score || (a.score === b.score && a.id < b.id);
}

function toEntry(row: Record<string, SqlStorageValue>): CatalogEntry {
  return {
    id: String(row.id),
    scope: String(row.scope),
    user_hash: row.user_hash === null ? null : String(row.user_hash),
    partition: String(row.partition),
    prompt_hash: String(row.prompt_hash),
    model: String(row.model),
    exact_key: String(row.exact_key),
    created_at: Number(row.created_at),
    expires_at: Number(row.expires_at),
  };
}
