//! The done criterion, end to end through the `netra` binary: on the
//! example data `netra lines` and `netra sequences` print each patient's
//! lines and the cohort's pathways, and `netra endpoints … --from line:1`
//! then `netra km` on its output gives the per-line TTP/PFS table.
//!
//! * The radionuclide example bundle: OS from study entry by arm through the
//!   endpoint CSV gives exactly the log-rank test of the published survival
//!   table (`examples/radionuclide-2004/survival.csv`: same order of times,
//!   same ties) and, through `netra cox`, its hazard ratio; the ADTTE route
//!   gives the same curve as the plain CSV.
//! * A simulated registry (300 patients): `--from line:all` then
//!   `netra km --group line --times 12` gives, for lines 1–3, exactly the
//!   medians, CIs and 12-month rates of `netra sequences --line-endpoint pfs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn netra(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_netra"));
    c.env("NETRA_DB", db).env("USER", "test");
    c
}

fn run(db: &Path, args: &[&str]) -> String {
    let out = netra(db).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "netra {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(db: &Path, args: &[&str]) -> Value {
    let text = run(db, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON ({e}): {text}"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn registry(dir: &Path, bundle: &Path) -> PathBuf {
    let db = dir.join("netra.db");
    run(&db, &["init"]);
    run(
        &db,
        &["import", bundle.to_str().unwrap(), "--reason", "test"],
    );
    db
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

#[test]
fn radionuclide_example_lines_sequences_and_km_on_endpoint_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = registry(
        dir.path(),
        &repo().join("examples/radionuclide-2004/bundle"),
    );

    // Lines: 31 analysed patients (patient 20 is excluded in the study), the
    // 19 of arm A each with one radionuclide line.
    let lines = json(&db, &["lines", "--format", "json"]);
    let patients = lines["patients"].as_array().unwrap();
    assert_eq!(patients.len(), 31);
    let treated: Vec<&Value> = patients
        .iter()
        .filter(|p| !p["lines"].as_array().unwrap().is_empty())
        .collect();
    assert_eq!(treated.len(), 19);
    for p in &treated {
        assert_eq!(p["lines"][0]["class"], "radionuclide");
    }
    let p1 = patients.iter().find(|p| p["patient"] == "1").unwrap();
    assert_eq!(p1["lines"][0]["regimen"], "in111_pentetreotide");
    assert_eq!(p1["lines"][0]["best_response"], "PD");
    assert_eq!(p1["sequence"], "L1 in111_pentetreotide > death");
    let table = run(&db, &["lines"]);
    assert!(
        table.contains("Patient 1: L1 in111_pentetreotide > death"),
        "{table}"
    );

    // Sequences: pathways of the cohort.
    let seq = json(&db, &["sequences", "--format", "json"]);
    assert_eq!(seq["n_patients"], 31);
    assert_eq!(seq["reach"][0]["n"], 19);
    let pathways = seq["pathways"].as_array().unwrap();
    let total: u64 = pathways.iter().filter_map(|p| p["n"].as_u64()).sum();
    assert!(total <= 31);
    assert!(pathways.iter().any(|p| p["steps"][0] == "L1 radionuclide"));
    let text = run(&db, &["sequences"]);
    assert!(text.contains("Pathways"), "{text}");

    // OS from study entry by arm: the published table's log-rank test.
    let os = run(
        &db,
        &[
            "endpoints",
            "--endpoint",
            "os",
            "--from",
            "entry",
            "--format",
            "csv",
        ],
    );
    assert!(os.starts_with(
        "patient,arm,endpoint,from,line,time,event,units,start_date,end_date,description,imputed_dates\n"
    ));
    let os_path = write(dir.path(), "os.csv", &os);
    let ours = json(
        &db,
        &[
            "km", "--data", &os_path, "--time", "time", "--event", "event", "--group", "arm",
            "--format", "json",
        ],
    );
    let published = json(
        &db,
        &[
            "km",
            "--data",
            repo()
                .join("examples/radionuclide-2004/survival.csv")
                .to_str()
                .unwrap(),
            "--time",
            "os_months",
            "--event",
            "death",
            "--group",
            "group",
            "--format",
            "json",
        ],
    );
    let (a, b) = (
        f(&ours["logrank"]["chisq"]).unwrap(),
        f(&published["logrank"]["chisq"]).unwrap(),
    );
    assert!((a - b).abs() < 1e-9 * b, "{a} vs {b}");
    for g in 0..2 {
        assert_eq!(ours["curves"][g]["n"], published["curves"][g]["n"]);
        assert_eq!(
            ours["curves"][g]["events"],
            published["curves"][g]["events"]
        );
    }
    // netra cox runs on the same file: the hazard ratio of the published
    // table (the partial likelihood depends only on the order of times).
    let cox = |data: &str, time: &str, event: &str, term: &str| {
        json(
            &db,
            &[
                "cox",
                "--data",
                data,
                "--time",
                time,
                "--event",
                event,
                "--formula",
                term,
                "--format",
                "json",
            ],
        )
    };
    let c1 = cox(&os_path, "time", "event", "factor(arm)");
    let c2 = cox(
        repo()
            .join("examples/radionuclide-2004/survival.csv")
            .to_str()
            .unwrap(),
        "os_months",
        "death",
        "factor(group)",
    );
    let (x, y) = (
        f(&c1["terms"][0]["coef"]).unwrap(),
        f(&c2["terms"][0]["coef"]).unwrap(),
    );
    assert!((x - y).abs() < 1e-9 * y.abs(), "{x} vs {y}");
    // Arm B's median: published (13 + 15) / 2 = 14 months, S = 0.5 between
    // 13 and the next time, 15; on the calendar 2001-02-01 (397 days) and
    // 2001-04-01 (456 days).
    let m = f(&ours["curves"][1]["median"]).unwrap();
    assert!((m - (397.0 + 456.0) / 2.0 / 30.4375).abs() < 1e-12, "{m}");

    // PFS from the start of line 1, then netra km: the line-1 table, the
    // same through the plain CSV and the ADTTE export.
    let pfs = run(
        &db,
        &[
            "endpoints",
            "--endpoint",
            "pfs",
            "--from",
            "line:1",
            "--format",
            "csv",
        ],
    );
    let n_rows = pfs.lines().count() - 1;
    let n_events = pfs
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(6) == Some("1"))
        .count();
    assert_eq!(n_rows, 19);
    let pfs_path = write(dir.path(), "pfs.csv", &pfs);
    let km_plain = json(
        &db,
        &[
            "km", "--data", &pfs_path, "--time", "time", "--event", "event", "--times", "12",
            "--format", "json",
        ],
    );
    assert_eq!(km_plain["curves"][0]["n"], 19);
    assert_eq!(f(&km_plain["curves"][0]["events"]), Some(n_events as f64));
    let adtte = run(
        &db,
        &[
            "endpoints",
            "--endpoint",
            "pfs",
            "--from",
            "line:1",
            "--format",
            "adtte",
        ],
    );
    assert!(adtte.starts_with("STUDYID,USUBJID,TRT01P,PARAMCD,PARAM,AVAL,AVALU,CNSR,STARTDT,ADT,EVNTDESC,CNSDTDSC,LINE,NIMPDT\n"));
    assert!(
        adtte
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("radionuclide-2004,1,A,PFSL1,")
    );
    let adtte_path = write(dir.path(), "adtte.csv", &adtte);
    let km_adtte = json(
        &db,
        &[
            "km",
            "--data",
            &adtte_path,
            "--time",
            "AVAL",
            "--event",
            "CNSR",
            "--event-value",
            "0",
            "--times",
            "12",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        km_plain["curves"][0]["steps"],
        km_adtte["curves"][0]["steps"]
    );
    assert_eq!(
        km_plain["curves"][0]["median"],
        km_adtte["curves"][0]["median"]
    );
    // The ADTTE file reads back (import) to the same time/event rows.
    let back = run(
        &db,
        &["endpoints", "--import", &adtte_path, "--format", "csv"],
    );
    let times = |text: &str, col: usize| -> Vec<String> {
        text.lines()
            .skip(1)
            .map(|l| l.split(',').nth(col).unwrap().to_string())
            .collect()
    };
    assert_eq!(times(&back, 4), times(&pfs, 5));
    assert_eq!(times(&back, 5), times(&pfs, 6));
    // A broken record is an error naming the cell.
    let bad = adtte.replacen(",MONTHS,0,", ",MONTHS,2,", 1);
    let bad_path = write(dir.path(), "bad.csv", &bad);
    let out = netra(&db)
        .args(["endpoints", "--import", &bad_path])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CNSR") && err.contains("must be 0 (event) or 1 (censored)"),
        "{err}"
    );
}

#[test]
fn simulated_registry_per_line_table_and_response_from_the_registry() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let db0 = dir.path().join("unused.db");
    run(
        &db0,
        &[
            "simulate",
            "--patients",
            "300",
            "--seed",
            "5",
            "--quiet",
            "--out",
            bundle.to_str().unwrap(),
        ],
    );
    let db = registry(dir.path(), &bundle);

    let rows = run(
        &db,
        &[
            "endpoints",
            "--endpoint",
            "pfs",
            "--from",
            "line:all",
            "--format",
            "csv",
        ],
    );
    let path = write(dir.path(), "pfs_lines.csv", &rows);
    let km = json(
        &db,
        &[
            "km", "--data", &path, "--time", "time", "--event", "event", "--group", "line",
            "--times", "12", "--format", "json",
        ],
    );
    let seq = json(
        &db,
        &[
            "sequences",
            "--line-endpoint",
            "pfs",
            "--min-cell",
            "0",
            "--format",
            "json",
        ],
    );
    for k in 0..3 {
        let curve = &km["curves"][k];
        let line = &seq["per_line"][k];
        assert_eq!(curve["group"], (k + 1).to_string());
        assert_eq!(curve["n"], line["n"]);
        assert_eq!(f(&curve["events"]), f(&line["events"]));
        for (a, b) in [
            ("median", "median"),
            ("median_lower", "median_lower"),
            ("median_upper", "median_upper"),
        ] {
            match (f(&curve[a]), f(&line[b])) {
                (Some(x), Some(y)) => {
                    assert!((x - y).abs() < 1e-12, "line {} {a}: {x} vs {y}", k + 1)
                }
                (x, y) => assert_eq!(x, y, "line {} {a}", k + 1),
            }
        }
        let at = &curve["at_times"][0];
        assert_eq!(f(&at["survival"]), f(&line["landmark_rate"]));
    }
    // Lines CSV: one row per line, as many as the sequences' reach.
    let lines_csv = run(&db, &["lines", "--format", "csv"]);
    let reach: u64 = seq["reach"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["n"].as_u64())
        .sum();
    assert_eq!(lines_csv.lines().count() as u64 - 1, reach);

    // netra response --db: line 1 of every patient with lesions at its
    // baseline, the same best response as netra lines reports.
    let resp = json(
        &db,
        &[
            "response",
            "--db",
            db.to_str().unwrap(),
            "--line",
            "1",
            "--format",
            "json",
        ],
    );
    let lines = json(&db, &["lines", "--format", "json"]);
    let mut checked = 0;
    for p in resp["patients"].as_array().unwrap() {
        let code = p["patient"].as_str().unwrap();
        let l = lines["patients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["patient"] == code)
            .unwrap();
        let line1 = &l["lines"][0];
        if line1["response_source"] == "lesions" && !p["timepoints"].as_array().unwrap().is_empty()
        {
            assert_eq!(p["best_overall_response"], line1["best_response"], "{code}");
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}

/// `--settings FILE` reads a study file's `[settings]` table (the analysis
/// layer's names): the same lines as the equivalent flags; flags and a file
/// together are refused; a file's `min_cell` raises `netra sequences`'s.
#[test]
fn a_settings_file_gives_the_rules_of_its_flags() {
    let dir = tempfile::tempdir().unwrap();
    let db = registry(
        dir.path(),
        &repo().join("examples/radionuclide-2004/bundle"),
    );
    let file = write(
        dir.path(),
        "study.toml",
        "[study]\ntitle = \"x\"\n\n[settings]\ngap_days = 30\nregimen_window_days = 7\ncriteria = \"who\"\nprogression = \"lesions\"\nmin_cell = 10\n",
    );
    let flags = json(
        &db,
        &[
            "lines",
            "--format",
            "json",
            "--gap",
            "30",
            "--regimen-window",
            "7",
            "--criteria",
            "who",
            "--progression",
            "lesions",
        ],
    );
    let from_file = json(&db, &["lines", "--format", "json", "--settings", &file]);
    assert_eq!(flags, from_file);
    let defaults = json(&db, &["lines", "--format", "json"]);
    assert_ne!(
        defaults["rules"], from_file["rules"],
        "{}",
        from_file["rules"]
    );
    let both = netra(&db)
        .args(["lines", "--settings", &file, "--gap", "10"])
        .output()
        .unwrap();
    assert!(!both.status.success());
    assert!(String::from_utf8_lossy(&both.stderr).contains("not both"));
    let seq = json(&db, &["sequences", "--format", "json", "--settings", &file]);
    assert_eq!(seq["min_cell"], 10);
    // A file with only the table works too.
    let bare = write(
        dir.path(),
        "rules.toml",
        "gap_days = 30\nregimen_window_days = 7\ncriteria = \"who\"\nprogression = \"lesions\"\n",
    );
    let from_bare = json(&db, &["lines", "--format", "json", "--settings", &bare]);
    assert_eq!(flags, from_bare);
}
