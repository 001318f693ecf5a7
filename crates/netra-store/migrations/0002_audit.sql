-- The audit trail: one row per insert, update or delete of a registry record,
-- written in the same transaction as the change. Each entry carries the SHA-256
-- of the previous entry's hash and its own canonical content (see
-- docs/registry.md), so any edit, deletion or reordering breaks the chain and
-- `netra audit verify` names the first entry affected.
CREATE TABLE audit_log (
    seq BIGINT NOT NULL PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT,
    action TEXT NOT NULL,
    table_name TEXT NOT NULL,
    record_key TEXT NOT NULL,
    old_values TEXT,
    new_values TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE INDEX audit_log_record ON audit_log (table_name, record_key);
