-- The application never updates or deletes audit entries; these triggers make
-- an UPDATE, DELETE or TRUNCATE fail for every role. Least privilege is
-- described in docs/registry.md: the application role is granted SELECT and
-- INSERT on audit_log only.
CREATE FUNCTION netra_audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION netra_audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION netra_audit_log_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
