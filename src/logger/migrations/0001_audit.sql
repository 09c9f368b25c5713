-- Audit trail: one row per gateway decision, hash-chained per tenant.
CREATE TABLE audit_events (
  tenant     TEXT    NOT NULL,           -- tenant id, or '_unresolved' when the Host named no tenant
  seq        INTEGER NOT NULL,           -- 1, 2, 3… per tenant
  id         TEXT    NOT NULL UNIQUE,    -- event id (de-duplication: Queues deliver at least once)
  ts         INTEGER NOT NULL,           -- ms since epoch, when the gateway received the request
  actor      TEXT    NOT NULL,
  action     TEXT    NOT NULL,
  outcome    TEXT    NOT NULL,
  status     INTEGER NOT NULL,
  cache      TEXT,
  event      TEXT    NOT NULL,           -- canonical JSON of the event, exactly what was hashed
  prev_hash  TEXT    NOT NULL,           -- hash of the tenant's previous event (64 zeros for the first)
  hash       TEXT    NOT NULL,           -- hex SHA-256(prev_hash || "\n" || event)
  PRIMARY KEY (tenant, seq)
);
CREATE INDEX audit_events_tenant_ts ON audit_events (tenant, ts);
CREATE INDEX audit_events_tenant_actor_ts ON audit_events (tenant, actor, ts);
CREATE INDEX audit_events_tenant_action_ts ON audit_events (tenant, action, ts);

-- The head of each tenant's chain, updated in the same batch as the event it points to.
CREATE TABLE audit_chain (
  tenant TEXT PRIMARY KEY,
  seq    INTEGER NOT NULL,
  hash   TEXT    NOT NULL
);

-- Messages that failed validation: kept (capped) with the reason, never silently dropped.
CREATE TABLE audit_rejects (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at INTEGER NOT NULL,
  reason      TEXT    NOT NULL,
  body        TEXT    NOT NULL
);
