//! Kills `netra import` mid-write (SIGKILL, a separate process) and shows
//! that the registry is unchanged and consistent: same export, same audit
//! head, `PRAGMA integrity_check` ok. (SQLite's WAL makes the uncommitted
//! transaction invisible; the next open discards it. A first import writes
//! in place with a rollback journal, which the next open rolls back.)

mod common;

use common::{init_with_example, ok};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Starts `netra import BUNDLE --db DB` as a process of its own.
fn spawn_import(bundle: &Path, db: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_netra"))
        .args([
            "import",
            bundle.to_str().unwrap(),
            "--db",
            db,
            "--user",
            "t",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Kills the import (SIGKILL) once `written` says it has written enough,
/// after `also_check` had its look at the files.
fn kill_once(mut child: Child, written: impl Fn() -> bool, also_check: impl FnOnce()) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the import finished ({status}) before it could be killed; enlarge the bundle");
        }
        if written() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "the import never started writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    also_check();
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed, not finished");
}

/// The registry exports as `before` did and its audit head is `head`.
fn assert_unchanged(tmp: &Path, db: &str, before: &Path, head: &str) {
    let after = tmp.join("after");
    ok(&["export", after.to_str().unwrap(), "--db", db]);
    assert_eq!(files(before), files(&after), "the registry changed");
    assert_eq!(ok(&["audit", "verify", "--db", db]), head);
}

/// What SQLite says of the file once opened again: integrity check,
/// foreign-key violations, journal mode.
fn sqlite_state(db: &str) -> (String, usize, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let reg = netra_store::Registry::open_url(db).await.unwrap();
        let scalar = |q: &'static str| sqlx::query_scalar::<_, String>(q).fetch_one(reg.pool());
        let check = scalar("PRAGMA integrity_check").await.unwrap();
        let fk: Vec<sqlx::any::AnyRow> = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(reg.pool())
            .await
            .unwrap();
        let mode = scalar("PRAGMA journal_mode").await.unwrap();
        reg.close().await;
        (check, fk.len(), mode)
    })
}

#[test]
fn killing_an_import_leaves_the_registry_unchanged_and_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("netra.db");
    let db = db.to_str().unwrap();
    init_with_example(db);
    let before = tmp.path().join("before");
    ok(&["export", before.to_str().unwrap(), "--db", db]);
    let head_before = ok(&["audit", "verify", "--db", db]);

    let big = tmp.path().join("big");
    netra_store::synthetic::write_bundle(&big, 12_000, 5).unwrap();
    // Kill once the transaction has written several megabytes to the WAL.
    let wal = format!("{db}-wal");
    let wal_size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    kill_once(spawn_import(&big, db), || wal_size() > 8 << 20, || ());

    assert_unchanged(tmp.path(), db, &before, &head_before);
    let (check, fk_violations, _) = sqlite_state(db);
    assert_eq!(check, "ok");
    assert_eq!(fk_violations, 0);
}

/// The same for a first import, which runs alone with a rollback journal
/// instead of the WAL (`crates/netra-store/src/lite_tx.rs`): killed once the
/// file has grown by megabytes written in place, the next open rolls the
/// journal back and the registry is the empty one, intact and in WAL mode.
#[test]
fn killing_a_first_import_leaves_the_empty_registry() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("netra.db");
    let db = db.to_str().unwrap();
    ok(&["init", "--db", db]);
    let before = tmp.path().join("before");
    ok(&["export", before.to_str().unwrap(), "--db", db]);
    let head_before = ok(&["audit", "verify", "--db", db]);
    let empty_size = std::fs::metadata(db).unwrap().len();

    let big = tmp.path().join("big");
    netra_store::synthetic::write_bundle(&big, 12_000, 5).unwrap();
    let db_size = || std::fs::metadata(db).map(|m| m.len()).unwrap_or(0);
    let journal_exists = || {
        assert!(
            std::fs::metadata(format!("{db}-journal")).is_ok(),
            "a first import writes in place with a rollback journal"
        )
    };
    kill_once(
        spawn_import(&big, db),
        || db_size() > empty_size + (8 << 20),
        journal_exists,
    );

    assert_unchanged(tmp.path(), db, &before, &head_before);
    let (check, fk_violations, mode) = sqlite_state(db);
    assert_eq!(check, "ok");
    assert_eq!(fk_violations, 0);
    assert_eq!(mode, "wal");
    // And the next first import works.
    ok(&["import", big.to_str().unwrap(), "--db", db, "--user", "t"]);
    assert!(ok(&["audit", "verify", "--db", db]).contains("intact"));
}

#[test]
fn cli_end_to_end_on_the_example() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("r.db");
    let db = db.to_str().unwrap();
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/radionuclide-2004/bundle");
    let ex = example.to_str().unwrap();
    assert!(ok(&["validate", ex]).contains("valid (398 rows in 11 files)"));
    let latest = netra_store::migrate::MIGRATIONS.last().unwrap().version;
    let init = ok(&["init", "--db", db]);
    assert!(
        init.contains(&format!("ready (schema version {latest};")),
        "{init}"
    );
    let dry = ok(&["import", ex, "--db", db, "--user", "t", "--dry-run"]);
    assert!(dry.starts_with("dry run: no problem found"));
    let out = ok(&[
        "import", ex, "--db", db, "--user", "ana", "--reason", "example",
    ]);
    assert!(out.contains("398 change(s), 398 audit entries"), "{out}");
    let report = ok(&["patient", "show", "18", "--db", db]);
    for line in [
        "Patient 18 — male, 53 years at study entry",
        "  1998-03      First diagnosis of the neuroendocrine tumour",
        "  2000-01-01   Radionuclide therapy [rnt]: ¹³¹I-MIBG, until 2000-03-01",
        "administrations: #1 2000-01-01 6.83 GBq, #2 2000-02-01 6.83 GBq, #3 2000-03-01 6.84 GBq (total 20.5 GBq)",
        "  2000-04-01   Assessment M3 (other modality, WHO): partial response (investigator), evaluating rnt",
        "  2003-06-02   Last follow-up (alive)",
    ] {
        assert!(report.contains(line), "missing {line:?} in\n{report}");
    }
    // Date order: diagnosis, entry, therapy, response, last follow-up.
    let pos = |s: &str| report.find(s).unwrap();
    assert!(pos("1998-03") < pos("Study entry") && pos("Study entry") < pos("2000-04-01"));
    let log = ok(&[
        "audit", "log", "--db", db, "--table", "patient", "--key", "18",
    ]);
    assert!(
        log.contains("ana insert patient [\"18\"] — example"),
        "{log}"
    );
    let missing = Command::new(env!("CARGO_BIN_EXE_netra"))
        .args(["patient", "show", "99", "--db", db])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no patient '99'"));
    let nodb = Command::new(env!("CARGO_BIN_EXE_netra"))
        .args([
            "patient",
            "show",
            "18",
            "--db",
            tmp.path().join("none.db").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&nodb.stderr).contains("create one with `netra init`"));
}

/// `netra validate` tells what `netra import` would note (issue 13): an
/// adverse-event term outside netra's CTCAE v5.0 table is accepted with a
/// note, with and without a registry.
#[test]
fn validate_notes_terms_outside_the_ctcae_table_as_import_does() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("r.db");
    let db = db.to_str().unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../netra-store/tests/data/base");
    let base = base.to_str().unwrap();
    let note = "note: adverse_events.csv, line 2, column 3 (term): not a CTCAE v5.0 term";
    let alone = ok(&["validate", base]);
    assert!(alone.contains(note), "{alone}");
    assert!(alone.contains("valid ("), "{alone}");
    ok(&["init", "--db", db]);
    let against = ok(&["validate", base, "--db", db]);
    assert!(against.contains(note), "{against}");
}
