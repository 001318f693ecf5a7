CREATE TABLE audit_change_set (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT
);

-- INTEGER PRIMARY KEY: seq is the rowid, entries are appended in seq order.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    change_set INTEGER NOT NULL REFERENCES audit_change_set (id),
    action TEXT NOT NULL,
    table_name TEXT NOT NULL,
    record_key TEXT NOT NULL,
    old_values TEXT,
    new_values TEXT,
    hash TEXT NOT NULL
);

CREATE INDEX audit_log_record ON audit_log (table_name, record_key);

-- The application never updates or deletes audit rows; these triggers make an
-- accidental UPDATE or DELETE fail too. (Whoever can drop a trigger can still
-- tamper: the hash chain is what detects it.)
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_change_set_no_update BEFORE UPDATE ON audit_change_set
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_change_set_no_delete BEFORE DELETE ON audit_change_set
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
