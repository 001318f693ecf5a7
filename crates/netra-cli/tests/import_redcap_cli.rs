//! `netra import redcap` (issue 15, importers): the synthetic REDCap project
//! of `crates/netra-ingest/tests/fixtures/redcap` drafted, dry-run,
//! imported and re-imported through the binary; a refused export writes
//! nothing and names the records file, line and REDCap field.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn netra(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netra"))
        .args(args)
        .env_remove("NETRA_DB")
        .output()
        .expect("run netra")
}

fn ok(args: &[&str]) -> String {
    let out = netra(args);
    assert!(
        out.status.success(),
        "netra {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../netra-ingest/tests/fixtures/redcap")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The row of `file` in a summary: (rows, added, changed, unchanged, not in source).
fn summary_row(out: &str, file: &str) -> Vec<usize> {
    let line = out
        .lines()
        .find(|l| l.starts_with(file))
        .unwrap_or_else(|| panic!("no row {file} in\n{out}"));
    line.split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect()
}

#[test]
fn a_redcap_project_is_drafted_checked_imported_and_reimported() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("netra.db");
    let db = s(&db);
    let fx = fixtures();
    let dict = fx.join("dictionary.csv");
    let records = fx.join("records.csv");
    let mapping = fx.join("mapping.toml");
    ok(&["init", "--db", db]);

    let draft = tmp.path().join("draft.toml");
    let out = ok(&[
        "import",
        "redcap",
        "--dictionary",
        s(&dict),
        "--suggest-mapping",
        s(&draft),
    ]);
    assert!(out.starts_with("wrote a draft mapping to"), "{out}");
    let text = std::fs::read_to_string(&draft).unwrap();
    assert!(text.contains("\"1\" = \"pancreas\"   # Pancreas"), "{text}");
    // never overwritten
    let again = netra(&[
        "import",
        "redcap",
        "--dictionary",
        s(&dict),
        "--suggest-mapping",
        s(&draft),
    ]);
    assert!(!again.status.success());

    let base = [
        "import",
        "redcap",
        "--dictionary",
        s(&dict),
        "--db",
        db,
        "--user",
        "dm",
    ];
    let with = |r: &Path, extra: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = base.iter().map(|x| x.to_string()).collect();
        v.extend([
            "--records".into(),
            s(r).into(),
            "--mapping".into(),
            s(&mapping).into(),
        ]);
        v.extend(extra.iter().map(|x| x.to_string()));
        v
    };
    let run = |v: &[String]| netra(&v.iter().map(String::as_str).collect::<Vec<_>>());

    let dry = run(&with(&records, &["--dry-run"]));
    let out = String::from_utf8(dry.stdout).unwrap();
    assert!(out.starts_with("dry run: no problem found"), "{out}");
    assert_eq!(summary_row(&out, "patients.csv"), vec![3, 3, 0, 0, 0]);
    assert_eq!(summary_row(&out, "lesions.csv"), vec![5, 5, 0, 0, 0]);

    let first = run(&with(&records, &[]));
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );

    // the next export: lesion instance 3 of record 101 deleted in REDCap
    // (and its assessment kept), a follow-up date changed
    let edited = tmp.path().join("records2.csv");
    let text = std::fs::read_to_string(&records).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("101,baseline_arm_1,lesions,3,"))
        .map(|l| format!("{}\n", l.replace("2019-06-30,0", "2019-12-31,0")))
        .collect();
    std::fs::write(&edited, text).unwrap();
    let second = run(&with(&edited, &[]));
    let out = String::from_utf8(second.stdout).unwrap();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(summary_row(&out, "patients.csv"), vec![3, 0, 1, 2, 0]);
    assert_eq!(summary_row(&out, "lesions.csv"), vec![4, 0, 0, 4, 1]);
    assert!(out.contains("imported into"), "{out}");
    assert!(out.contains(": 1 change(s), 1 audit entry"), "{out}");
}

#[test]
fn a_refused_export_names_file_line_and_field_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("netra.db");
    let db = s(&db);
    let fx = fixtures();
    ok(&["init", "--db", db]);
    // death before diagnosis: a registry rule, reported at the export's line
    let bad = tmp.path().join("records.csv");
    let text = std::fs::read_to_string(fx.join("records.csv")).unwrap();
    std::fs::write(
        &bad,
        text.replace("2014-08-30,1,2014-08-30", "2014-08-30,1,2011-08-30"),
    )
    .unwrap();
    let out = netra(&[
        "import",
        "redcap",
        "--dictionary",
        s(&fx.join("dictionary.csv")),
        "--records",
        s(&bad),
        "--mapping",
        s(&fx.join("mapping.toml")),
        "--db",
        db,
        "--user",
        "dm",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.lines().any(|l| l.starts_with(
            "error: records.csv, line 12, column 41 (dod → patients.csv death_date): "
        )),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    let counts = ok(&[
        "import",
        "redcap",
        "--dictionary",
        s(&fx.join("dictionary.csv")),
        "--records",
        s(&fx.join("records.csv")),
        "--mapping",
        s(&fx.join("mapping.toml")),
        "--db",
        db,
        "--user",
        "dm",
        "--dry-run",
    ]);
    assert_eq!(
        summary_row(&counts, "patients.csv"),
        vec![3, 3, 0, 0, 0],
        "nothing was written before"
    );
}

#[test]
fn a_per_patient_sheet_is_imported_through_its_mapping() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("netra.db");
    let db = s(&db);
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("../netra-ingest/tests/fixtures/sheet");
    ok(&["init", "--db", db]);
    let out = ok(&[
        "import",
        "sheet",
        "--file",
        s(&fx.join("patients.csv")),
        "--mapping",
        s(&fx.join("mapping.toml")),
        "--db",
        db,
        "--user",
        "dm",
    ]);
    assert_eq!(
        summary_row(&out, "patients.csv"),
        vec![3, 3, 0, 0, 0],
        "{out}"
    );
    assert_eq!(
        summary_row(&out, "treatments.csv"),
        vec![3, 3, 0, 0, 0],
        "{out}"
    );
}
