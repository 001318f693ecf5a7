-- Which source created a registry record (issue 15). A re-import of a
-- source (a monthly REDCap export, a spreadsheet) removes the records the
-- source no longer has, but only those this source created: records entered
-- by hand, imported from another source, or imported before provenance was
-- recorded are never removed by an import. Not a registry record: not
-- exported and not in the audit chain (each removal is, as a delete entry).
-- record_key is the JSON array of the natural key, as in audit_log; the row
-- goes when the record is deleted. change_set: the import that created it.
CREATE TABLE record_source (
    table_name TEXT NOT NULL,
    record_key TEXT NOT NULL,
    source TEXT NOT NULL,
    change_set BIGINT NOT NULL,
    PRIMARY KEY (table_name, record_key)
);
CREATE INDEX record_source_by_source ON record_source (source);
