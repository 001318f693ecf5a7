//! Issue 13, end to end: how `netra km|logrank|cox|cuminc` read a CSV. The
//! differential cases run the binary on the CSV text stored in the fixtures
//! of `validation/r/input.R` and compare with what R computed from the same
//! file (`read.csv`, whole-column typing, ICU collation); the other cases are
//! the refusals a user meets.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../validation/fixtures/input")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn write_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("input_{name}"));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn netra(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netra"))
        .args(args)
        .output()
        .unwrap()
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "netra failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stderr(out: &Output) -> String {
    assert!(!out.status.success(), "netra should have refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1e-3)
}

#[test]
fn status_coding_is_decided_on_the_whole_column_as_r() {
    let fx = fixture("whole_column_status");
    let path = write_file("whole_column.csv", fx["csv"].as_str().unwrap().as_bytes());
    let p = path.to_str().unwrap();
    let out = json_of(&netra(&[
        "km", "--data", p, "--time", "time", "--event", "status", "--format", "json",
    ]));
    let curve = &out["curves"][0];
    assert_eq!(curve["n"], fx["n"]);
    assert_eq!(curve["events"].as_f64(), fx["events"].as_f64());
    assert_eq!(out["n_dropped"], fx["n_dropped"]);
    let steps = curve["steps"].as_array().unwrap();
    let last = steps.last().unwrap()["survival"].as_f64().unwrap();
    assert!(close(last, fx["final_survival"].as_f64().unwrap()));
    assert_eq!(out["dropped_by"], serde_json::json!({"time": 1}));
    assert_eq!(
        out["values_read"],
        serde_json::json!([
            {"value": "1", "read_as": "censored", "n": 30},
            {"value": "2", "read_as": "event", "n": 0}
        ])
    );
}

#[test]
fn accented_levels_and_whole_column_typing_match_r_in_cox_and_logrank() {
    let fx = fixture("levels_and_typing");
    let path = write_file("levels.csv", fx["csv"].as_str().unwrap().as_bytes());
    let p = path.to_str().unwrap();
    let out = json_of(&netra(&[
        "cox",
        "--data",
        p,
        "--time",
        "time",
        "--event",
        "status",
        "--formula",
        fx["formula"].as_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(out["n"], fx["n"]);
    assert_eq!(out["events"], fx["events"]);
    assert_eq!(out["n_dropped"], fx["n_dropped"]);
    let terms = out["terms"].as_array().unwrap();
    // R keeps factor(grade)'s level "G3" of the dropped row and reports its
    // coefficient as NA; netra leaves the unused level out. The others agree.
    let r_terms: Vec<usize> = (0..fx["names"].as_array().unwrap().len())
        .filter(|&k| !fx["coef"][k].is_null())
        .collect();
    assert_eq!(terms.len(), r_terms.len());
    // R: riskfaible, factor(grade)10, factor(grade)2 — the level ends the name.
    for (term, &k) in terms.iter().zip(&r_terms) {
        let r_name = &fx["names"][k];
        let level = r_name
            .as_str()
            .unwrap()
            .trim_start_matches("factor(grade)")
            .trim_start_matches("risk");
        let name = term["name"].as_str().unwrap();
        assert!(name.ends_with(level), "term {k}: {name} vs R {r_name}");
        assert!(close(
            term["coef"].as_f64().unwrap(),
            fx["coef"][k].as_f64().unwrap()
        ));
        assert!(close(
            term["se"].as_f64().unwrap(),
            fx["se"][k].as_f64().unwrap()
        ));
    }
    assert!(close(
        out["loglik"].as_f64().unwrap(),
        fx["loglik"][1].as_f64().unwrap()
    ));

    let lr = json_of(&netra(&[
        "logrank", "--data", p, "--time", "time", "--event", "status", "--group", "risk",
        "--format", "json",
    ]));
    let groups: Vec<&str> = lr["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    let r_levels: Vec<&str> = fx["risk_levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(groups, r_levels);
    assert!(close(
        lr["chisq"].as_f64().unwrap(),
        fx["logrank_chisq"].as_f64().unwrap()
    ));
    for (g, o) in lr["groups"]
        .as_array()
        .unwrap()
        .iter()
        .zip(fx["logrank_observed"].as_array().unwrap())
    {
        assert!(close(g["observed"].as_f64().unwrap(), o.as_f64().unwrap()));
    }

    // A plain term over the column R reads as text is refused at the text cell.
    let err = stderr(&netra(&[
        "cox",
        "--data",
        p,
        "--time",
        "time",
        "--event",
        "status",
        "--formula",
        "risk + grade",
    ]));
    assert!(
        err.contains("(grade)") && err.contains("value 'G3'"),
        "{err}"
    );
}

#[test]
fn event_codes_are_exact_and_must_occur() {
    let path = write_file(
        "codes.csv",
        b"time,status\n1,dead\n2,Dead\n3,alive\n4,dead\n",
    );
    let p = path.to_str().unwrap();
    let err = stderr(&netra(&[
        "km",
        "--data",
        p,
        "--time",
        "time",
        "--event",
        "status",
        "--event-value",
        "dead",
    ]));
    assert!(
        err.contains("line 3") && err.contains("only when case is ignored"),
        "{err}"
    );
    assert!(err.contains("'alive' (1)"), "{err}");

    let path = write_file("codes9.csv", b"time,status\n1,1\n2,0\n3,2\n");
    let p = path.to_str().unwrap();
    let err = stderr(&netra(&[
        "cuminc",
        "--data",
        p,
        "--time",
        "time",
        "--status",
        "status",
        "--cause",
        "1",
        "--censor-value",
        "9",
    ]));
    assert!(err.contains("'9' does not occur"), "{err}");
    assert!(err.contains("'0' (1)"), "{err}");
}

#[test]
fn table_output_says_how_values_were_read() {
    let path = write_file("table.csv", b"time,status\n1,1\n2,0\nNA,1\n4,1\n");
    let out = netra(&[
        "km",
        "--data",
        path.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("status read as: '1' event (n = 2), '0' censored (n = 1)"),
        "{text}"
    );
    assert!(
        text.contains("rows dropped (missing values): 1 (first missing: time 1)"),
        "{text}"
    );
}

#[test]
fn files_that_are_not_comma_separated_are_refused_with_the_fix() {
    let semi = write_file("semi.csv", "time;status\n1,5;1\n2;0\n".as_bytes());
    let err = stderr(&netra(&[
        "km",
        "--data",
        semi.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
    ]));
    assert!(
        err.contains("semi.csv") && err.contains("semicolons"),
        "{err}"
    );
    let xlsx = write_file("sheet.xlsx", b"PK\x03\x04\x14\x00\x06\x00");
    let err = stderr(&netra(&[
        "km",
        "--data",
        xlsx.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
    ]));
    assert!(
        err.contains("sheet.xlsx") && err.contains("spreadsheet"),
        "{err}"
    );
    let dup = write_file("dup.csv", b"time,status,time\n1,1,2\n");
    let err = stderr(&netra(&[
        "km",
        "--data",
        dup.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
    ]));
    assert!(err.contains("columns 1 and 3"), "{err}");
    let crlf = write_file("crlf.csv", b"time,status\r\n1,1\r\nx,0\r\n");
    let err = stderr(&netra(&[
        "km",
        "--data",
        crlf.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
    ]));
    assert!(err.contains("line 3"), "{err}");
}

#[test]
fn a_cox_factor_with_too_many_levels_is_refused() {
    let mut text = String::from("time,status,id\n");
    for i in 0..150 {
        text.push_str(&format!("{},{},p{i}\n", i + 1, i % 2));
    }
    let path = write_file("levels150.csv", text.as_bytes());
    let err = stderr(&netra(&[
        "cox",
        "--data",
        path.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--formula",
        "id",
    ]));
    assert!(err.contains("more than 100 distinct values"), "{err}");
}

#[test]
fn robust_on_start_stop_data_needs_a_cluster_as_in_r() {
    let path = write_file(
        "startstop.csv",
        b"start,stop,ev,x\n0,5,0,1\n0,3,1,0\n5,9,1,1\n0,4,0,0\n2,8,1,1\n0,7,1,0\n",
    );
    let err = stderr(&netra(&[
        "cox",
        "--data",
        path.to_str().unwrap(),
        "--start",
        "start",
        "--time",
        "stop",
        "--event",
        "ev",
        "--formula",
        "x",
        "--robust",
    ]));
    assert!(err.contains("one of cluster or id is needed"), "{err}");
}

/// `netra cox --format json` on a fixture's CSV.
fn cox_json(name: &str, fx: &Value) -> Value {
    let path = write_file(name, fx["csv"].as_str().unwrap().as_bytes());
    json_of(&netra(&[
        "cox",
        "--data",
        path.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--formula",
        fx["formula"].as_str().unwrap(),
        "--format",
        "json",
    ]))
}

/// Every coefficient (R's NA as null), se, the log-likelihoods and the three
/// tests with R's degrees of freedom. R prints the Wald statistic rounded to
/// two decimals; `wald_chisq` is the unrounded one.
fn assert_cox_matches_r(out: &Value, fx: &Value) {
    let terms = out["terms"].as_array().unwrap();
    assert_eq!(terms.len(), fx["names"].as_array().unwrap().len());
    let near = |a: &Value, b: &Value, what: &str| match (a.as_f64(), b.as_f64()) {
        (None, None) => {}
        (Some(x), Some(y)) => assert!(
            (x - y).abs() <= 1e-7 * y.abs().max(1e-3),
            "{what}: netra {x} vs R {y}"
        ),
        _ => panic!("{what}: netra {a} vs R {b}"),
    };
    for (k, t) in terms.iter().enumerate() {
        near(&t["coef"], &fx["coef"][k], &format!("coef {k}"));
        near(&t["se"], &fx["se"][k], &format!("se {k}"));
    }
    near(&out["loglik"], &fx["loglik"][1], "loglik");
    near(&out["loglik_null"], &fx["loglik"][0], "loglik_null");
    for (ours, r) in [("lr_test", "lr_test"), ("score_test", "score_test")] {
        near(&out[ours]["chisq"], &fx[r][0], ours);
        assert_eq!(out[ours]["df"], fx[r][1], "{ours} df");
        near(&out[ours]["p"], &fx[r][2], ours);
    }
    near(&out["wald_test"]["chisq"], &fx["wald_chisq"], "wald chisq");
    assert_eq!(out["wald_test"]["df"], fx["wald_test"][1], "wald df");
    near(&out["wald_test"]["p"], &fx["wald_test"][2], "wald p");
    assert_eq!(out["iterations"], fx["iterations"]);
}

/// Issue 13: degenerate Cox fits through the CSV, as R reports them.
#[test]
fn degenerate_cox_fits_from_a_csv_match_r_with_warnings() {
    // Out of iterations: the constant column is 0 (not null) and the tests
    // keep 3 df; R's warning and `converged: false` are in the JSON.
    let fx = fixture("cox_not_converged_constant");
    let out = cox_json("not_converged.csv", &fx);
    assert_cox_matches_r(&out, &fx);
    assert_eq!(out["terms"][2]["coef"], serde_json::json!(0.0));
    assert_eq!(out["lr_test"]["df"], 3);
    assert_eq!(out["converged"], false);
    let warnings = out["warnings"].as_array().unwrap();
    assert!(warnings.contains(&Value::from("Ran out of iterations and did not converge")));

    // Age in days: R's numbers (Wald p 0.47 against LR p 0.015) and a
    // warning that says to rescale age.
    let fx = fixture("cox_scale_age_days");
    let out = cox_json("scale_days.csv", &fx);
    assert_cox_matches_r(&out, &fx);
    assert_eq!(out["converged"], true);
    let warnings: Vec<&str> = out["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("Loglik converged before variable 2 (site=other)")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("Wald test: variable 1 (age_days)") && w.contains("rescale")),
        "{warnings:?}"
    );
    let path = write_file(
        "scale_days_text.csv",
        fx["csv"].as_str().unwrap().as_bytes(),
    );
    let text = netra(&[
        "cox",
        "--data",
        path.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--formula",
        "age_days + site",
    ]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("warning: Wald test: variable 1 (age_days)"),
        "{text}"
    );

    // A collinear column: null (R's NA) and 3 df, not 4.
    let fx = fixture("cox_collinear_age_months");
    let out = cox_json("collinear.csv", &fx);
    assert_cox_matches_r(&out, &fx);
    assert!(out["terms"][3]["coef"].is_null());
    assert_eq!(out["wald_test"]["df"], 3);
}

/// Issue 13: cells are trimmed, so "Male" and "Male " are one group where
/// R's read.csv makes two; and an empty text cell is missing where R makes a
/// group "". Both are said, in the table and in JSON.
#[test]
fn labels_merged_by_trimming_and_empty_labels_are_noted() {
    let csv = "time,status,sex\n5,1,Male\n8,0,Male \n3,1,Female\n9,1, Female\n4,0,\n7,1,Female\n";
    let path = write_file("trim.csv", csv.as_bytes());
    let p = path.to_str().unwrap();
    let args = [
        "logrank", "--data", p, "--time", "time", "--event", "status", "--group", "sex",
    ];
    let out = json_of(&netra(&[&args[..], &["--format", "json"]].concat()));
    assert_eq!(
        out["merged_labels"],
        serde_json::json!([
            {"column": "sex", "label": "Female", "variants": [" Female", "Female"], "rows": 3},
            {"column": "sex", "label": "Male", "variants": ["Male", "Male "], "rows": 2}
        ])
    );
    assert_eq!(out["empty_labels"], serde_json::json!({"sex": 1}));
    let text = netra(&args);
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("note: column 'sex': 'Male' and 'Male ' were read as one group 'Male'"),
        "{text}"
    );
    assert!(text.contains("1 empty cell read as missing"), "{text}");

    // A file without padding says nothing.
    let clean = write_file(
        "clean.csv",
        b"time,status,sex\n5,1,Male\n8,0,Female\n3,1,Male\n",
    );
    let out = json_of(&netra(&[
        "km",
        "--data",
        clean.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--group",
        "sex",
        "--format",
        "json",
    ]));
    assert_eq!(out["merged_labels"], serde_json::json!([]));
    assert_eq!(out["empty_labels"], serde_json::json!({}));
}
