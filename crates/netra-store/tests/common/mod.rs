//! Test databases: every registry test runs against a fresh SQLite file and,
//! when `NETRA_TEST_POSTGRES_URL` is set (scripts/test.sh starts a throwaway
//! cluster and sets it), against a fresh PostgreSQL database created for the
//! test and dropped after it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use netra_store::{
    Actor, Bundle, ImportBudget, ImportOptions, ImportReport, Location, Registry, StoreError,
};
use sqlx::Executor;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh registry for one test.
pub struct TestDb {
    pub registry: Registry,
    pub location: Location,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

/// The backends to test: always SQLite, PostgreSQL when configured.
pub fn backends() -> Vec<&'static str> {
    let mut v = vec!["sqlite"];
    if std::env::var("NETRA_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        v.push("postgres");
    }
    v
}

fn with_database(url: &str, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("URL with scheme");
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let host = before_query.split('/').next().unwrap_or(before_query);
    let mut out = format!("{scheme}://{host}/{db}");
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl TestDb {
    /// A fresh, initialised registry on `backend`.
    pub async fn new(backend: &str) -> TestDb {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        match backend {
            "sqlite" => {
                let dir = tempfile::tempdir().unwrap();
                let location = Location::Sqlite(dir.path().join("netra.db"));
                let (registry, _) = Registry::init(&location).await.unwrap();
                TestDb {
                    registry,
                    location,
                    _dir: Some(dir),
                    pg: None,
                }
            }
            "postgres" => {
                let admin = std::env::var("NETRA_TEST_POSTGRES_URL").unwrap();
                let name = format!("netra_t_{}_{n}", std::process::id());
                sqlx::any::install_default_drivers();
                let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
                pool.execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
                    .await
                    .unwrap();
                pool.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .unwrap();
                pool.close().await;
                let location = Location::Postgres(with_database(&admin, &name));
                let (registry, _) = Registry::init(&location).await.unwrap();
                TestDb {
                    registry,
                    location,
                    _dir: None,
                    pg: Some((admin, name)),
                }
            }
            other => panic!("unknown backend {other}"),
        }
    }

    /// Closes the registry and drops the PostgreSQL database.
    pub async fn finish(self) {
        self.registry.close().await;
        if let Some((admin, name)) = self.pg {
            let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
            let _ = pool
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await;
            pool.close().await;
        }
    }
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn example_bundle() -> PathBuf {
    repo().join("examples/radionuclide-2004/bundle")
}

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn actor(user: &str, reason: &str) -> Actor {
    Actor {
        user: user.into(),
        reason: Some(reason.into()),
    }
}

pub fn opts(user: &str) -> ImportOptions {
    ImportOptions {
        actor: actor(user, "test"),
        dry_run: false,
    }
}

pub async fn import_dir(reg: &Registry, dir: &Path) -> netra_store::ImportReport {
    let b = Bundle::read_dir(dir).unwrap();
    reg.import_bundle(&b, &opts("tester")).await.unwrap()
}

/// Every bundle file of a directory, by name.
pub fn read_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
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

/// A fingerprint of everything the registry holds: the exported bundle and
/// the audit head.
pub async fn snapshot(reg: &Registry) -> (Vec<(String, Vec<u8>)>, Option<(i64, String)>, u64) {
    let dir = tempfile::tempdir().unwrap();
    reg.export_bundle(dir.path()).await.unwrap();
    let v = reg.verify_audit().await.unwrap();
    (read_files(dir.path()), v.head, v.entries)
}

/// `dir`'s bundle file `file` edited by `edit` (lines without the final
/// newline, header first).
pub fn edit_file(dir: &Path, file: &str, edit: impl FnOnce(&mut Vec<String>)) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    edit(&mut lines);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

/// Copies the files of `from` into `to` (created).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

/// A budget of `csv_bytes` of CSV per block (imports block by block).
pub fn budget(csv_bytes: u64) -> ImportBudget {
    ImportBudget {
        bytes: csv_bytes * netra_store::blocks::BYTES_PER_CSV_BYTE,
    }
}

/// The parts of a report two import paths must agree on (not the timings).
pub fn outcome(r: &ImportReport) -> impl PartialEq + std::fmt::Debug {
    (
        r.entities.clone(),
        r.audit_entries,
        r.dry_run,
        r.flags.clone(),
        r.equal_by_digest.clone(),
    )
}

/// The problems of a refused import, and how many more there were.
pub fn messages(e: StoreError) -> Vec<String> {
    match e {
        StoreError::Invalid(p) => {
            let mut v: Vec<String> = p.list.iter().map(|p| p.to_string()).collect();
            v.push(format!("more: {}", p.more));
            v
        }
        other => panic!("not a refusal: {other}"),
    }
}
