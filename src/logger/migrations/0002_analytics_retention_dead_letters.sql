-- Cordon audit trail, migration 2: the model as a column (analytics by model), listing by outcome, retention
-- anchors and dead letters. Applies to a database at migration 1, empty or not; see docs/storage-schema.md.

-- The event's model, copied out like the other indexed columns (verification checks it against the hashed
-- event). Rows stored before this migration get it from their event; both event versions carry `model`.
ALTER TABLE audit_events ADD COLUMN model TEXT;
UPDATE audit_events SET model = json_extract(event, '$.model');

-- Listing filtered by outcome (every refusal, every error) reads only the matching rows.
CREATE INDEX audit_events_tenant_outcome_ts ON audit_events (tenant, outcome, ts, seq);

-- Retention: where each tenant's remaining chain starts once older events are pruned. Written in the same
-- batch (one transaction) as the DELETE of the events it replaces; verification starts from it.
CREATE TABLE audit_anchors (
  tenant    TEXT    PRIMARY KEY,
  seq       INTEGER NOT NULL CHECK (seq >= 1),  -- seq of the last pruned event
  hash      TEXT    NOT NULL,                   -- its hash: the prev_hash of the first kept event
  ts        INTEGER NOT NULL,                   -- its ts (ms)
  pruned_at INTEGER NOT NULL                    -- ms since epoch, when it was pruned
);

-- Messages the consumer could not chain, kept by the consumer of the dead-letter queue `cordon-audit-dlq`:
-- invalid bodies, event ids reused with other content, and messages that exhausted their retries. Replaces
-- audit_rejects (its rows are carried over below). Bodies are unvalidated input: platform-operator access only.
CREATE TABLE audit_dead_letters (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at    INTEGER NOT NULL,                -- ms since epoch, when the logger kept it
  dlq_message_id TEXT,                            -- message id on the dead-letter queue (redeliveries kept once)
  message_id     TEXT    NOT NULL,                -- message id on cordon-audit, when known; else dlq_message_id
  attempts       INTEGER,                         -- deliveries on cordon-audit before it was dead-lettered, when known
  reason         TEXT    NOT NULL,                -- invalid | id_conflict | undelivered | already_stored
  detail         TEXT    NOT NULL,                -- validation issues or a short explanation, ≤ 1024 chars
  event_id       TEXT,                            -- the event id, when the body is a valid event
  tenant         TEXT,                            -- its chain (tenant id or '_unresolved'), when valid
  body           TEXT    NOT NULL,                -- JSON.stringify(body), cut to 16 KiB of UTF-8
  body_bytes     INTEGER NOT NULL,                -- UTF-8 length before the cut
  replayed_at    INTEGER,                         -- ms since epoch, last replayDeadLetter
  replay_result  TEXT                             -- chained | already_stored | invalid | id_conflict | truncated
);
CREATE UNIQUE INDEX audit_dead_letters_dlq_message_id ON audit_dead_letters (dlq_message_id);
CREATE INDEX audit_dead_letters_received_at ON audit_dead_letters (received_at);

INSERT INTO audit_dead_letters (received_at, message_id, reason, detail, body, body_bytes)
SELECT received_at,
       message_id,
       CASE WHEN reason = 'duplicate id with different content' THEN 'id_conflict' ELSE 'invalid' END,
       reason,
       body,
       body_bytes
  FROM audit_rejects
 ORDER BY id;
DROP TABLE audit_rejects;
