//! SQLite imports run their transaction on a `rusqlite` connection of
//! their own (`src/lite_tx.rs`, `src/lite_write.rs`); PostgreSQL and the
//! path before keep the `sqlx` pool (`Registry::import_bundle_through_pool`).
//! Both paths give the same reports, registry, audit entries (field by
//! field, and the same hashes once the change sets' times are made equal),
//! digests and problem messages; a failed import leaves nothing; other
//! connections of the pool read and write alongside without errors.

mod common;

use std::path::Path;

use common::*;
use netra_store::audit::{AuditEntry, GENESIS};
use netra_store::{AuditQuery, Bundle, ImportReport, Registry, StoreError};

/// How a bundle is imported.
#[derive(Clone, Copy, Debug)]
enum Way {
    Whole,
    Blocks,
}

async fn import(
    reg: &Registry,
    dir: &Path,
    way: Way,
    pool: bool,
    o: &netra_store::ImportOptions,
) -> Result<ImportReport, StoreError> {
    match (way, pool) {
        (Way::Whole, false) => reg.import_bundle(&Bundle::read_dir(dir)?, o).await,
        (Way::Whole, true) => {
            reg.import_bundle_through_pool(&Bundle::read_dir(dir)?, o)
                .await
        }
        (Way::Blocks, false) => reg.import_dir(dir, o, budget(400)).await,
        (Way::Blocks, true) => reg.import_dir_through_pool(dir, o, budget(400)).await,
    }
}

async fn trail(reg: &Registry) -> Vec<AuditEntry> {
    reg.audit_log(&AuditQuery::default()).await.unwrap()
}

/// `b`'s trail is `a`'s entry by entry, and `a`'s entries hashed with
/// `b`'s change-set times give `b`'s hashes one by one.
fn same_trail(a: &[AuditEntry], b: &[AuditEntry], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: entries");
    let mut prev = GENESIS.to_string();
    for (x, y) in a.iter().zip(b) {
        let mut x = x.clone();
        x.at = y.at.clone();
        x.hash = x.expected_hash(&prev);
        assert_eq!(&x, y, "{what}: entry {}", y.seq);
        prev = y.hash.clone();
    }
}

/// The example bundle with a patient's notes that JSON must escape.
fn tricky_bundle(dir: &Path) {
    copy_dir(&example_bundle(), dir);
    edit_file(dir, "patients.csv", |l| {
        assert!(l[1].ends_with(','), "{}", l[1]);
        l[1].push_str(r#""said ""no"", C:\temp\x — é 中""#);
    });
}

/// Makes the audit trail refuse entries past `seq` (a trigger; a full
/// disk alike), so that an import fails in the middle of its inserts.
async fn fill_trail_after(reg: &Registry, seq: u64) {
    sqlx::query(&format!(
        "CREATE TRIGGER full_trail BEFORE INSERT ON audit_log \
         WHEN NEW.seq > {seq} BEGIN SELECT RAISE(ABORT, 'no room'); END"
    ))
    .execute(reg.pool())
    .await
    .unwrap();
}

/// Undoes [`fill_trail_after`].
async fn make_room(reg: &Registry) {
    sqlx::query("DROP TRIGGER full_trail")
        .execute(reg.pool())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn rusqlite_imports_store_what_the_pool_stores() {
    let tmp = tempfile::tempdir().unwrap();
    let tricky = tmp.path().join("tricky");
    tricky_bundle(&tricky);
    let full = tmp.path().join("full");
    netra_store::synthetic::write_bundle(&full, 30, 5).unwrap();
    // A re-import with a changed cell (an update), an added record and one
    // the bundle no longer has.
    let changed = tmp.path().join("changed");
    copy_dir(&full, &changed);
    edit_file(&changed, "clinical_status.csv", |l| {
        l.pop();
    });
    edit_file(&changed, "patients.csv", |l| {
        let last = l.len() - 1;
        l[last] = l[last].replace(",male,", ",female,");
    });
    edit_file(&changed, "biomarkers.csv", |l| {
        let mut extra: Vec<String> = l[1].split(',').map(str::to_string).collect();
        extra[1] = if extra[1] == "gastrin" {
            "insulin"
        } else {
            "gastrin"
        }
        .into();
        l.push(extra.join(","));
    });
    for way in [Way::Whole, Way::Blocks] {
        let a = TestDb::new("sqlite").await;
        let b = TestDb::new("sqlite").await;
        for (dir, what) in [
            (&full, "fresh"),
            (&full, "again"),
            (&changed, "changed"),
            (&full, "back"),
            (&tricky, "tricky"),
        ] {
            let what = format!("{way:?}, {what}");
            let o = opts("tester");
            let ra = import(&a.registry, dir, way, true, &o).await.unwrap();
            let rb = import(&b.registry, dir, way, false, &o).await.unwrap();
            assert_eq!(outcome(&ra), outcome(&rb), "{what}");
            assert_eq!(
                snapshot(&a.registry).await.0,
                snapshot(&b.registry).await.0,
                "{what}: same registry"
            );
            same_trail(&trail(&a.registry).await, &trail(&b.registry).await, &what);
            assert!(b.registry.verify_audit().await.unwrap().is_intact());
            let state = b.registry.verify_state().await.unwrap();
            assert!(state.is_consistent(), "{what}: {:?}", state.first);
            if what.ends_with("again") {
                assert_eq!(rb.changes(), 0);
                assert_eq!(
                    rb.equal_by_digest.len(),
                    13,
                    "{what}: every table by digest"
                );
            }
            if what.ends_with("changed") {
                assert!(rb.entities.iter().any(|e| e.updated > 0), "{what}");
            }
        }
        // The digests kept by the rusqlite path are those of the pool's:
        // a re-import through the pool uses them alike.
        let ra = import(&a.registry, &tricky, way, true, &opts("tester"))
            .await
            .unwrap();
        let rb = import(&b.registry, &tricky, way, true, &opts("tester"))
            .await
            .unwrap();
        assert_eq!(rb.changes(), 0);
        assert_eq!(outcome(&ra), outcome(&rb), "{way:?}: digests of rusqlite");
        // A dry run counts the same and writes nothing.
        let dry = netra_store::ImportOptions {
            dry_run: true,
            ..opts("tester")
        };
        let before = snapshot(&b.registry).await;
        let ra = import(&a.registry, &changed, way, true, &dry)
            .await
            .unwrap();
        let rb = import(&b.registry, &changed, way, false, &dry)
            .await
            .unwrap();
        assert_eq!(outcome(&ra), outcome(&rb), "{way:?}, dry run");
        assert_eq!(snapshot(&b.registry).await, before);
        a.finish().await;
        b.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_rusqlite_import_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    netra_store::synthetic::write_bundle(&full, 20, 3).unwrap();
    // Problems found by the checks: the same messages as through the pool.
    let bad = tmp.path().join("bad");
    copy_dir(&full, &bad);
    edit_file(&bad, "patients.csv", |l| {
        let first = l[1].clone();
        l.push(first);
    });
    for way in [Way::Whole, Way::Blocks] {
        let a = TestDb::new("sqlite").await;
        let b = TestDb::new("sqlite").await;
        let o = opts("tester");
        let ea = import(&a.registry, &bad, way, true, &o).await.unwrap_err();
        let eb = import(&b.registry, &bad, way, false, &o).await.unwrap_err();
        assert_eq!(messages(ea), messages(eb), "{way:?}");
        assert_eq!(snapshot(&b.registry).await, snapshot(&a.registry).await);
        assert_eq!(snapshot(&b.registry).await.2, 0, "{way:?}: no entry");
        a.finish().await;
        b.finish().await;
    }
    // A failure in the middle of the inserts (here a trigger; a full disk
    // alike): the error, and nothing of the import in the registry; the
    // next import works.
    let db = TestDb::new("sqlite").await;
    let reg = &db.registry;
    import(reg, &full, Way::Whole, false, &opts("first"))
        .await
        .unwrap();
    let before = snapshot(reg).await;
    // The same 20 patients (same seed) and 20 more.
    let more = tmp.path().join("more");
    netra_store::synthetic::write_bundle(&more, 40, 3).unwrap();
    // The trail is full ten entries after the head.
    fill_trail_after(reg, before.2 + 10).await;
    for way in [Way::Whole, Way::Blocks] {
        let e = import(reg, &more, way, false, &opts("second"))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no room"), "{way:?}: {e}");
        assert_eq!(snapshot(reg).await, before, "{way:?}: nothing written");
    }
    make_room(reg).await;
    let r = import(reg, &more, Way::Whole, false, &opts("third"))
        .await
        .unwrap();
    assert!(r.changes() > 0);
    assert!(reg.verify_audit().await.unwrap().is_intact());
    db.finish().await;
}

/// While a rusqlite import holds the write lock, the pool's connections
/// read (the snapshot before it) and a pool writer waits for it and then
/// writes: no "database is locked" error on either side.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pool_readers_and_writers_run_alongside_a_rusqlite_import() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big");
    netra_store::synthetic::write_bundle(&big, 400, 9).unwrap();
    let db = TestDb::new("sqlite").await;
    let reg = db.registry.clone();
    // A registry with a trail: a first import would run alone, holding
    // the file (tests below).
    let first = tmp.path().join("first");
    netra_store::synthetic::write_bundle(&first, 5, 9).unwrap();
    let first = reg
        .import_bundle(&Bundle::read_dir(&first).unwrap(), &opts("first"))
        .await
        .unwrap();
    let importing = {
        let reg = reg.clone();
        let big = big.clone();
        tokio::spawn(async move {
            let b = Bundle::read_dir(&big).unwrap();
            reg.import_bundle(&b, &opts("importer")).await
        })
    };
    let reading = {
        let reg = reg.clone();
        tokio::spawn(async move {
            let mut reads = 0;
            let mut seen = Vec::new();
            for _ in 0..50 {
                let counts = reg.counts().await?;
                seen.push(counts.iter().map(|c| c.1).sum::<i64>());
                reads += 1;
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            Ok::<_, StoreError>((reads, seen))
        })
    };
    // A writer through the pool, started while the import runs.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let example = Bundle::read_dir(&example_bundle()).unwrap();
    let written = reg
        .import_bundle_through_pool(&example, &opts("other"))
        .await
        .unwrap();
    assert!(written.changes() > 0);
    let imported = importing.await.unwrap().unwrap();
    assert!(imported.changes() > 0);
    let (reads, seen) = reading.await.unwrap().unwrap();
    assert_eq!(reads, 50);
    // Each read saw a committed state: records only come, whole imports
    // at a time.
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    let v = reg.verify_audit().await.unwrap();
    assert!(v.is_intact(), "{:?}", v.problems);
    assert_eq!(
        v.entries,
        first.audit_entries + imported.audit_entries + written.audit_entries
    );
    db.finish().await;
}

/// The schema as `sqlite_schema` lists it (by name: a first import drops
/// and creates its indexes again, so their rows come later).
async fn schema(reg: &Registry) -> Vec<(String, String, String, Option<String>)> {
    sqlx::query_as("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")
        .fetch_all(reg.pool())
        .await
        .unwrap()
}

async fn file_state(reg: &Registry) -> (String, String) {
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(reg.pool())
        .await
        .unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(reg.pool())
        .await
        .unwrap();
    (mode, check)
}

/// A first import into an empty registry runs alone with a rollback
/// journal and creates its tables' indexes after the inserts
/// (`src/lite_tx.rs`): the same registry, trail and schema as through the
/// pool, the file intact and in WAL mode again; a first import that fails
/// in the middle of its inserts leaves the empty registry, indexes
/// included, and the next one works.
#[tokio::test(flavor = "multi_thread")]
async fn a_first_import_alone_leaves_what_the_pool_leaves() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    netra_store::synthetic::write_bundle(&full, 30, 5).unwrap();
    let wal = || ("wal".to_string(), "ok".to_string());
    for way in [Way::Whole, Way::Blocks] {
        let a = TestDb::new("sqlite").await;
        let b = TestDb::new("sqlite").await;
        let o = opts("tester");
        let ra = import(&a.registry, &full, way, true, &o).await.unwrap();
        let rb = import(&b.registry, &full, way, false, &o).await.unwrap();
        assert_eq!(outcome(&ra), outcome(&rb), "{way:?}");
        assert_eq!(
            snapshot(&a.registry).await.0,
            snapshot(&b.registry).await.0,
            "{way:?}: same registry"
        );
        same_trail(
            &trail(&a.registry).await,
            &trail(&b.registry).await,
            "first",
        );
        assert_eq!(schema(&a.registry).await, schema(&b.registry).await);
        assert_eq!(file_state(&b.registry).await, wal(), "{way:?}");
        assert!(b.registry.verify_audit().await.unwrap().is_intact());
        // The next import (not a first one) uses the indexes built.
        let again = import(&b.registry, &full, way, false, &o).await.unwrap();
        assert_eq!(again.changes(), 0);
        a.finish().await;
        b.finish().await;
    }
    let db = TestDb::new("sqlite").await;
    let reg = &db.registry;
    let before = (snapshot(reg).await, schema(reg).await);
    fill_trail_after(reg, 10).await;
    for way in [Way::Whole, Way::Blocks] {
        let e = import(reg, &full, way, false, &opts("first"))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no room"), "{way:?}: {e}");
        make_room(reg).await;
        assert_eq!((snapshot(reg).await, schema(reg).await), before, "{way:?}");
        assert_eq!(file_state(reg).await, wal(), "{way:?}");
        fill_trail_after(reg, 10).await;
    }
    make_room(reg).await;
    let r = import(reg, &full, Way::Whole, false, &opts("third"))
        .await
        .unwrap();
    assert!(r.changes() > 0);
    assert!(reg.verify_audit().await.unwrap().is_intact());
    assert_eq!(file_state(reg).await, wal());
    db.finish().await;
}
