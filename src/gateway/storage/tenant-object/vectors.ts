// The embedded vector index (VECTOR_INDEX=durable-object): exact cosine search over the rows of one partition
// and scope, in the tenant object's SQLite database. Vectors are stored L2-normalised as Float32
// little-endian BLOBs, so a query is one dot product per row; rows of another dimension (an embedder change)
// are never compared.
import type { VectorMatch, VectorQuery, VectorRecord } from "../../ports/vector-index";
import { checkId, checkText, checkTime, fail, TENANT_OBJECT_LIMITS as L, unit } from "./checks";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function upsertVectors(storage: DurableObjectStorage, records: VectorRecord[], now: number): void {
  if (!Array.isArray(records) || records.length > L.maxBatch) {
    fail(`invalid vector batch: an array of at most ${L.maxBatch} records`);
  }
  const dims = records[0]?.values?.length;
  const rows = records.map((r) => {
    if (!r || typeof r !== "object" || !r.metadata || typeof r.metadata !== "object") fail("invalid vector record");
    checkId(r.id);
    checkText("partition", r.metadata.partition);
    checkText("scope", r.metadata.scope);
    checkTime("expires_at", r.metadata.expires_at);
    if (r.values?.length !== dims) fail("invalid vector record: every vector of a batch must have the same dimension");
    return { r, blob: toBlob(unit(r.values, "invalid vector record")) };
  });
  const sql = storage.sql;
  storage.transactionSync(() => {
    for (const { r, blob } of rows) {
      sql.exec(
        `INSERT OR REPLACE INTO vectors (id, partition, scope, expires_at, dims, embedding) VALUES (?, ?, ?, ?, ?, ?)`,
        r.id,
        r.metadata.partition,
        r.metadata.scope,
        r.metadata.expires_at,
        r.values.length,
        blob,
      );
    }
    sql.exec(
      `DELETE FROM vectors WHERE id IN (SELECT id FROM vectors WHERE expires_at <= ? LIMIT ${L.purgeBatch})`,
      now,
    );
  });
}

/** Exact cosine over the unexpired rows of the query's partition and scope: best first, ties by id. */
export function queryVectors(sql: SqlStorage, q: VectorQuery): VectorMatch[] {
  if (!q || typeof q !== "object") fail("invalid vector query");
  if (!Number.isInteger(q.topK) || q.topK < 1 || q.topK > L.maxTopK) {
    fail(`invalid vector query: topK must be 1–${L.maxTopK}`);
  }
  checkText("partition", q.partition);
  checkText("scope", q.scope);
  if (typeof q.now !== "number" || !Number.isFinite(q.now)) fail("invalid vector query: now must be a finite number");
  const query = Float32Array.from(unit(q.vector, "invalid vector query"));
  const best: VectorMatch[] = [];
  const rows = sql.exec<{ id: string; expires_at: number; embedding: ArrayBuffer }>(
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

export function deleteVectors(storage: DurableObjectStorage, ids: string[]): void {
  if (!Array.isArray(ids) || ids.length > 10 * L.maxBatch) {
    fail(`invalid id list: an array of at most ${10 * L.maxBatch} ids`);
  }
  for (const id of ids) checkId(id);
  storage.transactionSync(() => {
    for (const id of ids) storage.sql.exec(`DELETE FROM vectors WHERE id = ?`, id);
  });
}

export function countVectors(sql: SqlStorage): number {
  return sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM vectors`).one().n;
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
