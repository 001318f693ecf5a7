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
