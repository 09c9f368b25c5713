-- Cordon audit trail (D1, binding AUDIT_DB): one row per gateway decision, hash-chained per tenant.
-- See docs/storage-schema.md, "D1 database `cordon-audit`". Rows are append-only: the logger never updates
-- or deletes them.

CREATE TABLE audit_events (
  tenant            TEXT    NOT NULL,             -- tenant id, or '_unresolved' when the Host named no tenant
  seq               INTEGER NOT NULL CHECK (seq >= 1), -- 1, 2, 3… per tenant, no gaps
  id                TEXT    NOT NULL UNIQUE,      -- event id (de-duplication: Queues deliver at least once)
  -- Copies of event fields for filtering and analytics. Not hashed themselves: verification checks that
  -- they equal the hashed `event` below.
  ts                INTEGER NOT NULL,             -- ms since epoch, when the gateway received the request
  actor             TEXT    NOT NULL,
  action            TEXT    NOT NULL,
  outcome           TEXT    NOT NULL,
  status            INTEGER NOT NULL,
  cache             TEXT,                         -- HIT-EXACT | HIT-SEMANTIC | MISS | BYPASS | NULL
  prompt_tokens     INTEGER,
  completion_tokens INTEGER,
  cost_saved        REAL,
  latency_ms        INTEGER NOT NULL,
  -- The chain.
  event             TEXT    NOT NULL,             -- canonical JSON of the event, exactly what was hashed
  prev_hash         TEXT    NOT NULL,             -- hash of the tenant's previous event (64 zeros for seq 1)
  hash              TEXT    NOT NULL,             -- hex SHA-256(prev_hash || "\n" || event)
  -- UNIQUE (tenant, seq): a second writer extending the same chain position fails its whole batch.
  PRIMARY KEY (tenant, seq)
);

-- Listing is newest first by (ts, seq); each index ends in seq so that order and cursor come from the index.
CREATE INDEX audit_events_tenant_ts ON audit_events (tenant, ts, seq);
CREATE INDEX audit_events_tenant_actor_ts ON audit_events (tenant, actor, ts, seq);
CREATE INDEX audit_events_tenant_action_ts ON audit_events (tenant, action, ts, seq);

-- The head of each tenant's chain, written in the same batch as the event it points to.
CREATE TABLE audit_chain (
  tenant TEXT    PRIMARY KEY,
  seq    INTEGER NOT NULL CHECK (seq >= 1),
  hash   TEXT    NOT NULL
);

-- Messages that failed validation (or reused an id with other content): kept, capped, never retried.
CREATE TABLE audit_rejects (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at INTEGER NOT NULL,                   -- ms since epoch, when the logger rejected it
  message_id  TEXT    NOT NULL,                   -- the Queue message id
  reason      TEXT    NOT NULL,                   -- validation issues (paths and messages, ≤ 1024 chars)
  body        TEXT    NOT NULL,                   -- JSON.stringify(body), cut to 8 KiB of UTF-8
  body_bytes  INTEGER NOT NULL                    -- UTF-8 length before the cut
);
CREATE INDEX audit_rejects_received_at ON audit_rejects (received_at);
