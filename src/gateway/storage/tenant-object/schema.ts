// The tenant object's SQLite schema: migrations applied in order from the version recorded in `meta`
// (each step runs once, in the transaction that records its version). docs/storage-schema.md describes every table.

export const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE IF NOT EXISTS entries (id TEXT PRIMARY KEY, scope TEXT NOT NULL, user_hash TEXT,
       partition TEXT NOT NULL, prompt_hash TEXT NOT NULL, model TEXT NOT NULL, exact_key TEXT NOT NULL,
       created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS entries_user ON entries (user_hash)`,
    `CREATE INDEX IF NOT EXISTS entries_created ON entries (created_at)`,
    `CREATE TABLE IF NOT EXISTS vectors (id TEXT PRIMARY KEY, partition TEXT NOT NULL, scope TEXT NOT NULL,
       expires_at INTEGER NOT NULL, dims INTEGER NOT NULL, embedding BLOB NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS vectors_partition_scope ON vectors (partition, scope)`,
  ],
  // v2: the opportunistic purge of expired vectors reads an index instead of scanning the table.
  [`CREATE INDEX IF NOT EXISTS vectors_expires ON vectors (expires_at)`],
  // v3: the tenant's configuration and API keys, authoritative here and projected to KV.
  [
    `CREATE TABLE IF NOT EXISTS tenant (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), record TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, record TEXT NOT NULL, created_at INTEGER NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS key_locations (key_id TEXT NOT NULL, country TEXT NOT NULL, asn INTEGER NOT NULL,
       first_seen INTEGER NOT NULL, PRIMARY KEY (key_id, country, asn))`,
  ],
  // v4: rate-limit buckets (GCRA theoretical arrival times), so a restarted object keeps counting.
  [`CREATE TABLE IF NOT EXISTS rate_buckets (name TEXT PRIMARY KEY, tat REAL NOT NULL)`],
  // v5: per-user salts (crypto-shredding), deletions still to be made outside this object (KV, Vectorize),
  // and the expiry index the sweeping alarm reads.
  [
    `CREATE TABLE IF NOT EXISTS user_salts (user_hash TEXT PRIMARY KEY, salt TEXT NOT NULL, created_at INTEGER NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS pending_deletes (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL
       CHECK (kind IN ('kv', 'vector')), key TEXT NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS entries_expires ON entries (expires_at)`,
    `CREATE INDEX IF NOT EXISTS entries_user_created ON entries (user_hash, created_at, id)`,
    `CREATE INDEX IF NOT EXISTS entries_created_id ON entries (created_at, id)`,
  ],
  // v6: virtual keys (provider credentials, sealed by the gateway under the tenant data key).
  [
    `CREATE TABLE IF NOT EXISTS virtual_keys (id TEXT PRIMARY KEY, provider TEXT NOT NULL, record TEXT NOT NULL,
       created_at INTEGER NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS virtual_keys_provider ON virtual_keys (provider, created_at)`,
  ],
  // v7: the latencies of the tenant's recent misses, a ring of MISS_LATENCY_SLOTS (timing protection).
  [`CREATE TABLE IF NOT EXISTS miss_latencies (slot INTEGER PRIMARY KEY, ms INTEGER NOT NULL)`],
  // v8: one ring per kind of request (chat, embeddings); v7's ring becomes the chat ring.
  [
    `CREATE TABLE IF NOT EXISTS miss_latency_ring (kind TEXT NOT NULL, slot INTEGER NOT NULL, ms INTEGER NOT NULL,
       PRIMARY KEY (kind, slot))`,
    `INSERT OR IGNORE INTO miss_latency_ring (kind, slot, ms) SELECT 'chat', slot, ms FROM miss_latencies`,
    `DROP TABLE miss_latencies`,
    `UPDATE meta SET key = 'miss_latency_next:chat' WHERE key = 'miss_latency_next'`,
  ],
  // v9: each vector's binary sign code, read into memory for the first step of a query (vector-codes.ts);
  // rows written before have none until their group is first read.
  [`ALTER TABLE vectors ADD COLUMN code BLOB`],
  // v10: whether another entry still shares an exact-tier pointer, read when entries are erased or swept.
  [`CREATE INDEX IF NOT EXISTS entries_exact_key ON entries (exact_key)`],
  // v11: two indexes that v5's composite ones begin with (user_hash; created_at) go: every index is one more row
  // written (and billed) per entry stored and swept, and the composite ones answer the same lookups.
  [`DROP INDEX IF EXISTS entries_user`, `DROP INDEX IF EXISTS entries_created`],
  // v12: how many times each erased user was erased, so that an answer asked for before an erasure (and stored
  // after its response, so possibly after the erasure) is refused rather than bringing the user back
  // (erasure.ts, storeRefusal).
  [`CREATE TABLE IF NOT EXISTS user_erasures (user_hash TEXT PRIMARY KEY, erasures INTEGER NOT NULL)`],
  // v13: the ids of the responses the provider stored for this tenant's stateful Responses requests: a request
  // may continue (previous_response_id) only from one of them (provider-responses.ts).
  [
    `CREATE TABLE IF NOT EXISTS provider_responses (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS provider_responses_created ON provider_responses (created_at)`,
  ],
  // v14: whose each stored response is — the tenant's unscoped requests, or one user's (the user's keyed hash) —
  // so that only its owner continues from it. Rows recorded before have '*', any of the tenant's requests.
  [`ALTER TABLE provider_responses ADD COLUMN owner TEXT NOT NULL DEFAULT '*'`],
];

export const TENANT_OBJECT_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the object's database to the current schema, in one transaction. */
export function migrate(storage: DurableObjectStorage): void {
  const sql = storage.sql;
  storage.transactionSync(() => {
    sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    const row = sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`).toArray()[0];
    const from = row ? Number(row.value) : 0;
    for (const step of MIGRATIONS.slice(from)) for (const statement of step) sql.exec(statement);
    sql.exec(
      `INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)`,
      String(Math.max(from, MIGRATIONS.length)),
    );
  });
}
