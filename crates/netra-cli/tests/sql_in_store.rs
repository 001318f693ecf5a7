//! All SQL lives in `netra-store` (docs/CONVENTIONS.md, issue 12): the
//! other crates call the store's named methods, so that both backends,
//! transactions and the audit trail are kept in one place.
//!
//! The check is deliberately simple, a text search of the library and
//! binary sources (`crates/*/src/**/*.rs`) outside `crates/netra-store`
//! for what writing SQL takes:
//!
//! * `sqlx::` (using the driver at all);
//! * `.pool()` (the store's pool is only for tests, behind its `testing`
//!   feature);
//! * a string literal starting with an SQL statement: `"SELECT `,
//!   `"INSERT `, `"UPDATE `, `"DELETE ` (upper case, as the store writes
//!   them).
//!
//! Tests (`crates/*/tests`) may reach past the store on purpose (tampering
//! with the audit trail, filling the disk) and are not searched. That no
//! crate but the store depends on `sqlx` outside its dev-dependencies is
//! checked with the other dependency rules, in `tests/architecture.rs`.

use std::path::{Path, PathBuf};

/// What SQL written outside the store looks like.
const NEEDLES: &[&str] = &[
    "sqlx::",
    ".pool()",
    "\"SELECT ",
    "\"INSERT ",
    "\"UPDATE ",
    "\"DELETE ",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Every `.rs` file under `dir`, recursively, in path order.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `file:line: needle` for every needle in the sources of `crate_dir/src`.
fn hits(crate_dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&crate_dir.join("src"), &mut files);
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("source is UTF-8");
        for (i, line) in text.lines().enumerate() {
            for n in NEEDLES.iter().filter(|n| line.contains(*n)) {
                out.push(format!("{}:{}: {n}", f.display(), i + 1));
            }
        }
    }
    out
}

fn crate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(workspace().join("crates"))
        .expect("crates/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn no_sql_outside_the_store() {
    let dirs = crate_dirs();
    let store = dirs
        .iter()
        .find(|d| d.ends_with("netra-store"))
        .expect("crates/netra-store");
    // The search finds what it looks for: the store itself holds SQL.
    let in_store = hits(store);
    assert!(
        in_store.iter().any(|h| h.ends_with("\"SELECT "))
            && in_store.iter().any(|h| h.ends_with("sqlx::")),
        "the search no longer finds the store's own SQL: {in_store:?}"
    );
    assert!(dirs.iter().any(|d| d.ends_with("netra-server")));
    let outside: Vec<String> = dirs
        .iter()
        .filter(|d| *d != store)
        .flat_map(|d| hits(d))
        .collect();
    assert!(
        outside.is_empty(),
        "SQL outside crates/netra-store (add a named method to netra_store::Registry \
         instead):\n{}",
        outside.join("\n")
    );
}
