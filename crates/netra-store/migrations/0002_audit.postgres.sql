CREATE TABLE audit_change_set (
    id BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT
);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    change_set BIGINT NOT NULL REFERENCES audit_change_set (id),
    action TEXT NOT NULL,
    table_name TEXT NOT NULL,
    record_key TEXT NOT NULL,
    old_values TEXT,
    new_values TEXT,
    hash TEXT NOT NULL
);

CREATE INDEX audit_log_record ON audit_log (table_name, record_key);

-- The application never updates or deletes audit rows; these triggers make an
-- UPDATE, DELETE or TRUNCATE fail for every role, the owner included. Least
-- privilege (docs/registry.md): the application role is granted only SELECT and
-- INSERT on both audit tables.
CREATE FUNCTION netra_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION netra_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION netra_audit_append_only();
CREATE TRIGGER audit_change_set_no_update BEFORE UPDATE OR DELETE ON audit_change_set
    FOR EACH ROW EXECUTE FUNCTION netra_audit_append_only();
CREATE TRIGGER audit_change_set_no_truncate BEFORE TRUNCATE ON audit_change_set
    FOR EACH STATEMENT EXECUTE FUNCTION netra_audit_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_change_set FROM PUBLIC;
