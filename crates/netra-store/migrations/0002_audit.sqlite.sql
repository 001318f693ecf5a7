-- The application never updates or deletes audit entries; these triggers make
-- an accidental UPDATE or DELETE fail too. (Whoever can drop a trigger can
-- still tamper: the hash chain is what detects it.)
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
