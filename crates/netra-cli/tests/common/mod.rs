//! Runners shared by the `netra` binary's integration tests: run the binary
//! with arguments (never with the caller's `NETRA_DB`), insist on success,
//! parse its JSON and compare two JSON results number by number.
//!
//! Each test file is its own crate and uses part of this module, hence the
//! `dead_code` allowance.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The workspace root (examples, validation fixtures, docs).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A path as the `&str` an argument list needs (test paths are UTF-8).
pub fn s(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// Runs `netra ARGS` without the caller's `NETRA_DB`.
pub fn netra(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netra"))
        .args(args)
        .env_remove("NETRA_DB")
        .output()
        .expect("run netra")
}

/// Runs `netra ARGS`, fails the test with its stderr unless it succeeds, and
/// returns its stdout.
pub fn ok(args: &[&str]) -> String {
    let out = netra(args);
    assert!(
        out.status.success(),
        "netra {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// A new registry at `db` holding the radionuclide-2004 example bundle
/// (imported by user `t`).
pub fn init_with_example(db: &str) {
    let example = repo().join("examples/radionuclide-2004/bundle");
    ok(&["init", "--db", db]);
    ok(&["import", s(&example), "--db", db, "--user", "t"]);
}

/// Runs `netra ARGS` on the registry `db` as user `test`; returns
/// (success, stdout, stderr).
pub fn netra_on(db: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_netra"))
        .env("NETRA_DB", db)
        .env("USER", "test")
        .args(args)
        .output()
        .expect("run netra");
    (
        out.status.success(),
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    )
}

/// The JSON that `netra ARGS` prints on the registry `db`; fails the test
/// when the command fails or prints something else.
pub fn json_on(db: &Path, args: &[&str]) -> Value {
    let (ok, out, err) = netra_on(db, args);
    assert!(ok, "netra {args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON ({e}): {out}"))
}

/// Numbers equal to 1e-12 relative, objects with the same fields,
/// everything else equal; `path` names the place of a difference.
pub fn close(a: &Value, b: &Value, path: &str) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
                "{path}: {x} vs {y}"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                close(p, q, &format!("{path}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            let (kx, ky): (Vec<_>, Vec<_>) = (x.keys().collect(), y.keys().collect());
            assert_eq!(kx, ky, "{path}: fields");
            for (k, v) in x {
                close(v, &y[k], &format!("{path}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}
