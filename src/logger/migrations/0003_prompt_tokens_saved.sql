-- Cordon audit trail, migration 3: the prompt tokens an answer served in part from the cache saved (the cached
-- inputs of an embeddings batch), copied out like the other indexed columns for analytics; verification checks
-- it against the hashed event. See docs/storage-schema.md.

-- No back-fill: no stored event carries the field, which the logger refused as unknown before this migration.
-- Rows stored before it, and events without the field, keep NULL, which analytics count as 0.
ALTER TABLE audit_events ADD COLUMN prompt_tokens_saved INTEGER;
