// The embedded vector index (VECTOR_INDEX=durable-object), in the tenant object's SQLite database: each vector
// L2-normalised as a Float32 little-endian BLOB, with its binary sign code (vector-codes.ts). A query is
// answered in two steps, so that it stays fast at 100,000 entries: the codes of the query's partition and
// scope, held in memory, give the RESCORE nearest candidates by Hamming distance; their floats are read from
// SQLite and scored exactly (cosine). A group of at most RESCORE vectors is searched exactly. Rows of another
// dimension (an embedder change) are never compared.
import { MAX_SERVE_STALE_SECONDS } from "../../policy/tenant-policy";
import type { VectorMatch, VectorQuery, VectorRecord } from "../../ports/vector-index";
import { checkId, checkText, checkTime, fail, TENANT_OBJECT_LIMITS as L, unit } from "./checks";
import { CodeGroup, type CodeGroups, groupKey, signCode, wordsFor } from "./vector-codes";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Candidates re-scored exactly per query (recall against exact search: BENCHMARKS.md, vector index). */
export const RESCORE = 64;

export function upsertVectors(
  storage: DurableObjectStorage,
  groups: CodeGroups,
  records: VectorRecord[],
  now: number,
): void {
  const rows = checkVectorBatch(records).map(({ r, values }) => ({ r, blob: toBlob(values), code: signCode(values) }));
  const sql = storage.sql;
  const purged = storage.transactionSync(() => {
    for (const { r, blob, code } of rows) {
      sql.exec(
        `INSERT OR REPLACE INTO vectors (id, partition, scope, expires_at, dims, embedding, code)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        r.id,
        r.metadata.partition,
        r.metadata.scope,
        r.metadata.expires_at,
        r.values.length,
        blob,
        code.buffer,
      );
    }
    return sql
      .exec<{ id: string }>(
        `DELETE FROM vectors WHERE id IN (SELECT id FROM vectors WHERE expires_at <= ? LIMIT ${L.purgeBatch})
         RETURNING id`,
        // Past any tenant's stale window: a vector is served stale until then (the sweeper is exact per tenant).
        now - MAX_SERVE_STALE_SECONDS * 1000,
      )
      .toArray();
  });
  for (const { r, code } of rows) {
    groups.put(groupKey(r.metadata.partition, r.metadata.scope, r.values.length), r.id, code, r.metadata.expires_at);
  }
  groups.forget(purged.map((p) => p.id));
}

/**
 * Checks a batch as upsertVectors stores it (TenantObjectInputError otherwise), returning each record with its
 * unit vector. The adapter checks a batch before it calls the object too, so a bad one never crosses RPC.
 */
export function checkVectorBatch(records: unknown): { r: VectorRecord; values: number[] }[] {
  if (!Array.isArray(records) || records.length > L.maxBatch) {
    fail(`invalid vector batch: an array of at most ${L.maxBatch} records`);
  }
  const dims = (records[0] as VectorRecord | undefined)?.values?.length;
  return (records as VectorRecord[]).map((r) => {
    if (!r || typeof r !== "object" || !r.metadata || typeof r.metadata !== "object") fail("invalid vector record");
    checkId(r.id);
    checkText("partition", r.metadata.partition);
    checkText("scope", r.metadata.scope);
    checkTime("expires_at", r.metadata.expires_at);
    if (r.values?.length !== dims) fail("invalid vector record: every vector of a batch must have the same dimension");
    return { r, values: unit(r.values, "invalid vector record") };
  });
}

/** The best unexpired matches in the query's partition and scope: best first, ties by id. */
export function queryVectors(storage: DurableObjectStorage, groups: CodeGroups, q: VectorQuery): VectorMatch[] {
  const query = checkQuery(q);
  const key = groupKey(q.partition, q.scope, query.length);
  const group = groups.get(key) ?? loadGroup(storage, groups, key, q, query.length);
  const ids = group.nearest(signCode(query), Math.max(RESCORE, q.topK), q.now);
  if (ids.length === 0) return [];
  const rows = storage.sql
    .exec<{ id: string; expires_at: number; embedding: ArrayBuffer }>(
      // CROSS JOIN keeps the candidate list the outer loop: one primary-key lookup per candidate, never a scan
      // of the partition's rows (which the partition index would otherwise invite).
      `SELECT v.id AS id, v.expires_at AS expires_at, v.embedding AS embedding
       FROM json_each(?) AS c CROSS JOIN vectors AS v ON v.id = c.value
       WHERE v.partition = ? AND v.scope = ? AND v.dims = ? AND v.expires_at > ?`,
      JSON.stringify(ids),
      q.partition,
      q.scope,
      query.length,
      q.now,
    )
    .toArray();
  if (rows.length < ids.length) {
    // Candidates SQLite no longer holds (erased, purged): forgotten now.
    const found = new Set(rows.map((r) => r.id));
    groups.forget(ids.filter((id) => !found.has(id)));
  }
  return best(rows, query, q);
}

/** Exact cosine over every unexpired row of the query's partition and scope (the reference for recall). */
export function queryVectorsExact(sql: SqlStorage, q: VectorQuery): VectorMatch[] {
  const query = checkQuery(q);
  const rows = sql.exec<{ id: string; expires_at: number; embedding: ArrayBuffer }>(
    `SELECT id, expires_at, embedding FROM vectors WHERE partition = ? AND scope = ? AND expires_at > ? AND dims = ?`,
    q.partition,
    q.scope,
    q.now,
    query.length,
  );
  return best(rows, query, q);
}

/** Checks a query (TenantObjectInputError otherwise) and returns its unit vector; the adapter checks first too. */
export function checkQuery(q: VectorQuery): Float32Array {
  if (!q || typeof q !== "object") fail("invalid vector query");
  if (!Number.isInteger(q.topK) || q.topK < 1 || q.topK > L.maxTopK) {
    fail(`invalid vector query: topK must be 1–${L.maxTopK}`);
  }
  checkText("partition", q.partition);
  checkText("scope", q.scope);
  if (typeof q.now !== "number" || !Number.isFinite(q.now)) fail("invalid vector query: now must be a finite number");
  return Float32Array.from(unit(q.vector, "invalid vector query"));
}

/**
 * Reads a group's codes from SQLite into memory, computing (and storing) those of rows written without one.
 * Expired rows are read too: a stale lookup (an earlier `now`) may want them until the sweeper removes them.
 */
function loadGroup(
  storage: DurableObjectStorage,
  groups: CodeGroups,
  key: string,
  q: VectorQuery,
  dims: number,
): CodeGroup {
  const group = new CodeGroup(wordsFor(dims));
  const missing: { id: string; code: Uint32Array }[] = [];
  const rows = storage.sql.exec<{
    id: string;
    expires_at: number;
    code: ArrayBuffer | null;
    embedding: ArrayBuffer | null;
  }>(
    `SELECT id, expires_at, code, CASE WHEN code IS NULL THEN embedding END AS embedding FROM vectors
     WHERE partition = ? AND scope = ? AND dims = ?`,
    q.partition,
    q.scope,
    dims,
  );
  for (const row of rows) {
    let code: Uint32Array;
    if (row.code !== null && row.code.byteLength === group.words * 4) {
      code = new Uint32Array(row.code.slice(0));
    } else if (row.embedding !== null && row.embedding.byteLength === dims * 4) {
      code = signCode(fromBlob(row.embedding));
      missing.push({ id: row.id, code });
    } else {
      continue;
    }
    group.put(row.id, code, row.expires_at);
  }
  if (missing.length) {
    storage.transactionSync(() => {
      for (const m of missing) storage.sql.exec(`UPDATE vectors SET code = ? WHERE id = ?`, m.code.buffer, m.id);
    });
  }
  groups.add(key, group);
  return group;
}

/** The topK rows by cosine with the query, best first, ties by id. */
function best(
  rows: Iterable<{ id: string; expires_at: number; embedding: ArrayBuffer }>,
  query: Float32Array,
  q: VectorQuery,
): VectorMatch[] {
  const out: VectorMatch[] = [];
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
    if (out.length === q.topK && !ranksBefore(match, out[out.length - 1]!)) continue;
    let at = out.length;
    while (at > 0 && ranksBefore(match, out[at - 1]!)) at--;
    out.splice(at, 0, match);
    if (out.length > q.topK) out.pop();
  }
  return out;
}

export function deleteVectors(storage: DurableObjectStorage, groups: CodeGroups, ids: string[]): void {
  if (!Array.isArray(ids) || ids.length > 10 * L.maxBatch) {
    fail(`invalid id list: an array of at most ${10 * L.maxBatch} ids`);
  }
  for (const id of ids) checkId(id);
  storage.transactionSync(() => {
    for (const id of ids) storage.sql.exec(`DELETE FROM vectors WHERE id = ?`, id);
  });
  groups.forget(ids);
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
