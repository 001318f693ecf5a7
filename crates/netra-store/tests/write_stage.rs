//! The write stage of an import (multi-row inserts, audit entries built
//! with their JSON escaped once, `AuditWriter::record_insert_quoted`):
//! every entry's hash is the one the verifier recomputes from the stored
//! fields, every insert's `new_values` is the stored row as JSON, the
//! tables replay from the trail, and SQLite and PostgreSQL store the same
//! entries.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::*;
use netra_store::{AuditQuery, Registry};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

/// The example bundle with texts that JSON must escape (quotes, a
/// backslash, a comma, non-ASCII) in a patient's notes.
fn tricky_bundle(dir: &Path) {
    copy_dir(&example_bundle(), dir);
    let path = dir.join("patients.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(lines[0].ends_with(",notes"), "{}", lines[0]);
    assert!(lines[1].ends_with(','), "{}", lines[1]);
    lines[1].push_str(r#""said ""no"", C:\temp\x — é 中""#);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

/// Rows of an exported CSV file as maps of column → non-empty cell.
fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .zip(rec.unwrap().iter())
                .filter(|(_, v)| !v.is_empty())
                .map(|(h, v)| (h.clone(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Checks the registry after one import of `dir`; returns its entries
/// without times and hashes (which differ between registries).
async fn check_import(reg: &Registry, dir: &Path) -> Vec<(i64, String, String, String, String)> {
    let report = import_dir(reg, dir).await;
    assert!(report.audit_entries > 0);
    assert_eq!(report.audit_entries as usize, report.changes());
    let v = reg.verify_audit().await.unwrap();
    assert!(v.is_intact(), "{:?}", v.problems);
    assert_eq!(v.entries, report.audit_entries);
    let s = reg.verify_state().await.unwrap();
    assert!(s.is_consistent(), "{:?}", s.first);
    assert!(s.records > 0);

    // Every insert's new values are the stored (exported) row.
    let out = tempfile::tempdir().unwrap();
    reg.export_bundle(out.path()).await.unwrap();
    let entries = reg.audit_log(&AuditQuery::default()).await.unwrap();
    assert_eq!(entries.len() as u64, report.audit_entries);
    let mut seen_tricky = false;
    for (file, table) in [("patients.csv", "patient"), ("treatments.csv", "treatment")] {
        let rows = csv_rows(&out.path().join(file));
        assert!(!rows.is_empty());
        let inserts: Vec<HashMap<String, String>> = entries
            .iter()
            .filter(|e| e.table_name == table && e.action == "insert")
            .map(|e| serde_json::from_str(e.new_values.as_deref().unwrap()).unwrap())
            .collect();
        assert_eq!(inserts.len(), rows.len(), "{table}");
        for row in &rows {
            assert!(inserts.contains(row), "{table}: {row:?} not in the trail");
            seen_tricky |= row.get("notes").is_some_and(|n| n.contains(r#""no", C:\"#));
        }
    }
    entries
        .into_iter()
        .map(|e| {
            (
                e.seq,
                e.table_name,
                e.record_key,
                e.new_values.unwrap_or_default(),
                if seen_tricky { "tricky" } else { "plain" }.to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn imported_entries_hash_and_read_back_on_every_backend() {
    let tricky = tempfile::tempdir().unwrap();
    tricky_bundle(tricky.path());
    let synthetic = tempfile::tempdir().unwrap();
    netra_store::synthetic::write_bundle(synthetic.path(), 40, 7).unwrap();
    let mut by_backend = Vec::new();
    for backend in backends() {
        let mut got = Vec::new();
        for dir in [tricky.path(), synthetic.path()] {
            let db = TestDb::new(backend).await;
            got.push(check_import(&db.registry, dir).await);
            db.finish().await;
        }
        assert!(got[0].iter().all(|e| e.4 == "tricky"), "{backend}");
        by_backend.push(got);
    }
    // The same entries on both backends (when PostgreSQL is configured).
    for other in &by_backend[1..] {
        assert_eq!(other, &by_backend[0]);
    }
}

/// The bundled SQLite is built as `.cargo/config.toml` asks
/// (`LIBSQLITE3_FLAGS`): without memory statistics and without the shared
/// page cache of `SQLITE_ENABLE_MEMORY_MANAGEMENT`, each of which takes a
/// process-wide mutex (on every allocation, on every page fetch).
#[tokio::test]
async fn sqlite_is_built_without_global_mutexes() {
    use sqlx::Row;
    let db = TestDb::new("sqlite").await;
    let options: Vec<String> = sqlx::query("PRAGMA compile_options")
        .fetch_all(db.registry.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
    assert!(options.iter().any(|o| o == "ENABLE_FTS5"), "{options:?}");
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "{options:?}"
    );
    assert!(
        !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
        "{options:?}"
    );
    db.finish().await;
}
