//! `netra import redcap` (issue 15, importers): the synthetic REDCap project
//! of `crates/netra-ingest/tests/fixtures/redcap` drafted, dry-run,
//! imported and re-imported through the binary; a refused export writes
//! nothing and names the records file, line and REDCap field.

mod common;

use common::{netra, ok, s};
use std::path::{Path, PathBuf};

#[path = "../../netra-ingest/tests/fake_redcap/mod.rs"]
mod fake_redcap;
#[path = "../../netra-ingest/tests/workbook_gen/mod.rs"]
mod workbook_gen;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../netra-ingest/tests/fixtures/redcap")
}

/// The row of `file` in a summary: (rows, added, changed, unchanged, removed, kept).
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
    assert_eq!(summary_row(&out, "patients.csv"), vec![3, 3, 0, 0, 0, 0]);
    assert_eq!(summary_row(&out, "lesions.csv"), vec![5, 5, 0, 0, 0, 0]);

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
    // The mapping names the source, which created the lesion: the dry run
    // lists its removal, the import removes it with an audit entry.
    let dry = run(&with(&edited, &["--dry-run"]));
    let out = String::from_utf8(dry.stdout).unwrap();
    assert_eq!(summary_row(&out, "lesions.csv"), vec![4, 0, 0, 4, 1, 0]);
    assert!(
        out.contains("0 record(s) would be added, 1 would be changed, 1 would be removed"),
        "{out}"
    );
    assert!(
        out.contains("  would remove lesion (patient 'NET-101', assessment 'A3', lesion 'L1'): no longer in the source, which created it"),
        "{out}"
    );
    let second = run(&with(&edited, &[]));
    let out = String::from_utf8(second.stdout).unwrap();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(summary_row(&out, "patients.csv"), vec![3, 0, 1, 2, 0, 0]);
    assert_eq!(summary_row(&out, "lesions.csv"), vec![4, 0, 0, 4, 1, 0]);
    assert!(out.contains("imported into"), "{out}");
    assert!(out.contains(": 2 change(s), 2 audit entries"), "{out}");
    // With --keep-missing the next removal is only listed.
    let third = tmp.path().join("records3.csv");
    let text = std::fs::read_to_string(&edited).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("101,baseline_arm_1,lesions,2,"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&third, text).unwrap();
    let out = String::from_utf8(run(&with(&third, &["--keep-missing"])).stdout).unwrap();
    assert_eq!(summary_row(&out, "lesions.csv"), vec![3, 0, 0, 3, 0, 1]);
    assert!(
        out.contains("  kept lesion (patient 'NET-101', assessment 'A2', lesion 'L1')"),
        "{out}"
    );
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
        vec![3, 3, 0, 0, 0, 0],
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
        vec![3, 3, 0, 0, 0, 0],
        "{out}"
    );
    assert_eq!(
        summary_row(&out, "treatments.csv"),
        vec![3, 3, 0, 0, 0, 0],
        "{out}"
    );
}

#[test]
fn a_workbook_sheet_is_imported_and_its_problems_name_sheet_and_cell() {
    use workbook_gen::{Cell, Sheet, patients, xlsx};
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("netra.db");
    let db = s(&db);
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("../netra-ingest/tests/fixtures/sheet");
    let mapping = fx.join("mapping.toml");
    ok(&["init", "--db", db]);
    let sheet = |file: &Path, extra: &[&str]| {
        let mut v = vec![
            "import",
            "sheet",
            "--file",
            s(file),
            "--mapping",
            s(&mapping),
            "--db",
            db,
            "--user",
            "dm",
        ];
        v.extend_from_slice(extra);
        netra(&v)
    };
    // A registry rule broken in a cell: death before diagnosis (S2, J3).
    let mut rows = patients();
    rows[2][9] = Cell::Date(2011, 8, 30);
    let bad = tmp.path().join("bad.xlsx");
    std::fs::write(&bad, xlsx(&[Sheet::new("Patients", rows)], false)).unwrap();
    let out = sheet(&bad, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.lines().any(|l| l.starts_with(
            "error: bad.xlsx, sheet Patients, cell J3 (died → patients.csv death_date): "
        )),
        "{err}"
    );
    let out = sheet(&fx.join("patients.xlsx"), &["--sheet", "Nope"]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(
            "patients.xlsx: no sheet named 'Nope' (the workbook's sheets: Patients, Notes)"
        ),
        "{err}"
    );
    let out = sheet(&fx.join("patients.xlsx"), &["--sheet", "Patients"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        summary_row(&out, "treatments.csv"),
        vec![3, 3, 0, 0, 0, 0],
        "{out}"
    );
    // The .ods and the .csv hold the same rows: nothing changes.
    for f in ["patients.ods", "patients.csv"] {
        let out = sheet(&fx.join(f), &["--dry-run"]);
        let out = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            summary_row(&out, "patients.csv"),
            vec![3, 0, 0, 3, 0, 0],
            "{f}: {out}"
        );
        assert_eq!(
            summary_row(&out, "treatments.csv"),
            vec![3, 0, 0, 3, 0, 0],
            "{f}: {out}"
        );
    }
}

#[test]
fn a_redcap_project_is_imported_from_its_api_without_showing_the_token() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("netra.db");
    let db = s(&db);
    ok(&["init", "--db", db]);
    let fake = fake_redcap::start(fake_redcap::Mode::Redcap);
    let token = tmp.path().join("net.token");
    std::fs::write(&token, format!("{}\n", fake_redcap::TOKEN)).unwrap();
    let mapping = fixtures().join("mapping.toml");
    let api = |url: &str, token: &Path, extra: &[&str]| {
        let mut v = vec![
            "import",
            "redcap",
            "--api",
            url,
            "--token-file",
            s(token),
            "--mapping",
            s(&mapping),
            "--db",
            db,
            "--user",
            "dm",
        ];
        v.extend_from_slice(extra);
        netra(&v)
    };
    let out = api(&fake.url, &token, &[]);
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(out.status.success(), "{stderr}");
    assert_eq!(summary_row(&stdout, "patients.csv"), vec![3, 3, 0, 0, 0, 0]);
    assert_eq!(summary_row(&stdout, "lesions.csv"), vec![5, 5, 0, 0, 0, 0]);
    assert!(!stdout.contains(fake_redcap::TOKEN) && !stderr.contains(fake_redcap::TOKEN));
    // The same project from its files: nothing to change.
    let out = ok(&[
        "import",
        "redcap",
        "--dictionary",
        s(&fixtures().join("dictionary.csv")),
        "--records",
        s(&fixtures().join("records.csv")),
        "--mapping",
        s(&mapping),
        "--db",
        db,
        "--user",
        "dm",
        "--dry-run",
    ]);
    assert_eq!(summary_row(&out, "lesions.csv"), vec![5, 0, 0, 5, 0, 0]);
    // A wrong token: REDCap's refusal, the token never shown.
    let wrong = tmp.path().join("wrong.token");
    std::fs::write(&wrong, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF").unwrap();
    let out = api(&fake.url, &wrong, &[]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("the REDCap API refused the token (HTTP 403: You do not have permissions to use the API)"),
        "{err}"
    );
    assert!(!err.contains("FFFFFFFF"), "{err}");
    // Plain http to another machine: refused before any request.
    let out = api("http://192.0.2.1/api/", &token, &[]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("plain http:// would send the API token in clear to 192.0.2.1"),
        "{err}"
    );
    // The token is never an argument.
    let out = netra(&[
        "import",
        "redcap",
        "--api",
        &fake.url,
        "--token",
        "X",
        "--mapping",
        s(&mapping),
    ]);
    assert!(!out.status.success());
}
