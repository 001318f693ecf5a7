//! `netra logrank` end to end: CSV in, JSON/table/CSV out, checked against
//! the R fixtures of `validation/r/logrank.R`, plus the errors a user meets.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../validation/fixtures/logrank")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Writes `text` to a file in Cargo's scratch directory for tests.
fn write_csv(name: &str, text: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("logrank_{name}.csv"));
    std::fs::write(&path, text).unwrap();
    path
}

/// The fixture's data as a CSV with group and stratum labels, plus `extra`
/// lines appended.
fn fixture_csv(name: &str, extra: &str) -> (Value, PathBuf) {
    let fx = fixture(name);
    let levels = fx["levels"].as_array().unwrap();
    let n = fx["time"].as_array().unwrap().len();
    let mut text = String::from("time,status,grp,stratum\n");
    for i in 0..n {
        let g = fx["group"][i].as_u64().unwrap() as usize - 1;
        let s = match &fx["strata"] {
            Value::Null => "all".to_string(),
            v => {
                let code = v[i].as_u64().unwrap() as usize - 1;
                fx["strata_levels"][code].as_str().unwrap().to_string()
            }
        };
        text.push_str(&format!(
            "{},{},{},{}\n",
            fx["time"][i],
            fx["status"][i],
            levels[g].as_str().unwrap(),
            s
        ));
    }
    text.push_str(extra);
    let path = write_csv(name, &text);
    (fx, path)
}

fn netra(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netra"))
        .arg("logrank")
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
    assert!(!out.status.success(), "expected a failure");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn close(a: &Value, b: &Value, what: &str) {
    let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
    assert!(
        (a - b).abs() <= 1e-9 * b.abs() || (a - b).abs() <= 1e-12,
        "{what}: netra {a} vs R {b}"
    );
}

/// The fixture's test with the given weights.
fn r_test<'a>(fx: &'a Value, weights: &str, rho: f64, gamma: f64) -> &'a Value {
    fx["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["weights"] == weights && t["rho"] == rho && t["gamma"] == gamma)
        .unwrap()
}

fn common_args(path: &Path) -> Vec<String> {
    [
        "--data",
        path.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--group",
        "grp",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn run(path: &Path, extra: &[&str]) -> Output {
    let mut args = common_args(path);
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    netra(&refs)
}

#[test]
fn json_contract_matches_r_and_counts_dropped_rows() {
    // Two rows with a missing time or group are dropped and counted.
    let (fx, path) = fixture_csv("lung_sex", "NA,1,1,all\n100,1,,all\n");
    let out = json_of(&run(&path, &["--format", "json"]));
    let r = r_test(&fx, "logrank", 0.0, 0.0);
    close(&out["chisq"], &r["chisq"], "chisq");
    close(&out["p"], &r["p"], "p");
    assert_eq!(out["df"], 1);
    assert_eq!(out["n_dropped"], 2);
    assert_eq!(out["test"], "Log-rank");
    assert_eq!(out["rho"], 0.0);
    let groups = out["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    for (g, group) in groups.iter().enumerate() {
        assert_eq!(group["group"], fx["levels"][g]);
        assert_eq!(group["n"], r["n"][g]);
        close(&group["observed"], &r["observed"][g], "observed");
        close(&group["expected"], &r["expected"][g], "expected");
    }
    assert!(out.get("trend").is_none() && out.get("pairwise").is_none());
}

#[test]
fn stratified_weighted_trend_and_pairwise_match_r() {
    let (fx, path) = fixture_csv("lung_ecog_strata_sex", "");
    let out = json_of(&run(
        &path,
        &[
            "--strata",
            "stratum",
            "--rho",
            "1",
            "--trend",
            "--pairwise",
            "holm",
            "--format",
            "json",
        ],
    ));
    let r = r_test(&fx, "fleming-harrington", 1.0, 0.0);
    assert_eq!(out["test"], "Fleming-Harrington G(1, 0)");
    close(&out["chisq"], &r["chisq"], "chisq");
    close(&out["p"], &r["p"], "p");
    assert_eq!(out["df"], r["df"]);
    assert_eq!(out["strata"]["n"], 2);
    for g in 0..4 {
        close(&out["groups"][g]["observed"], &r["observed"][g], "observed");
        for h in 0..4 {
            close(&out["variance"][g][h], &r["var"][g][h], "variance");
        }
    }
    // ph.ecog is numeric: its values 0..3 are the trend scores.
    assert_eq!(
        out["trend"]["scores"],
        serde_json::json!([0.0, 1.0, 2.0, 3.0])
    );
    close(&out["trend"]["chisq"], &r["trend"]["chisq"], "trend chisq");
    close(&out["trend"]["p"], &r["trend"]["p"], "trend p");
    assert_eq!(out["adjust"], "holm");
    let pairs = out["pairwise"].as_array().unwrap();
    assert_eq!(pairs.len(), 6);
    for (i, pair) in pairs.iter().enumerate() {
        let rp = &r["pairwise"][i];
        assert_eq!(pair["group1"], rp["group1"]);
        assert_eq!(pair["group2"], rp["group2"]);
        close(&pair["chisq"], &rp["chisq"], "pair chisq");
        close(&pair["p"], &rp["p"], "pair p");
        close(
            &pair["p_adjusted"],
            &r["p_adjust"]["holm"][i],
            "pair p holm",
        );
    }
}

#[test]
fn gehan_breslow_tarone_ware_and_gamma_match_r() {
    let (fx, path) = fixture_csv("colon_rx", "");
    for (flags, weights, rho, gamma) in [
        (
            vec!["--weighting", "gehan-breslow"],
            "gehan-breslow",
            0.0,
            0.0,
        ),
        (vec!["--weighting", "tarone-ware"], "tarone-ware", 0.0, 0.0),
        (
            vec!["--rho", "0.5", "--gamma", "2"],
            "fleming-harrington",
            0.5,
            2.0,
        ),
    ] {
        let mut args = flags.clone();
        args.extend(["--format", "json", "--pairwise", "bonferroni"]);
        let out = json_of(&run(&path, &args));
        let r = r_test(&fx, weights, rho, gamma);
        close(&out["chisq"], &r["chisq"], weights);
        close(&out["p"], &r["p"], weights);
        // Text groups in R's sorted order.
        assert_eq!(out["groups"][0]["group"], "Lev");
        assert_eq!(out["groups"][2]["group"], "Obs");
        for i in 0..3 {
            close(
                &out["pairwise"][i]["p_adjusted"],
                &r["p_adjust"]["bonferroni"][i],
                "bonferroni",
            );
        }
    }
}

#[test]
fn pair_without_events_has_null_p() {
    let (_, path) = fixture_csv("edge_two_no_event_groups", "");
    let out = json_of(&run(&path, &["--pairwise", "holm", "--format", "json"]));
    let last = &out["pairwise"][2];
    assert_eq!(
        (last["group1"].as_str(), last["group2"].as_str()),
        (Some("b"), Some("c"))
    );
    assert!(last["p"].is_null() && last["p_adjusted"].is_null());
    assert_eq!(last["chisq"], 0.0);
}

#[test]
fn table_is_readable_and_csv_has_a_row_per_group() {
    let (_, path) = fixture_csv("lung_sex", "");
    let out = run(&path, &[]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // R: chisq 10.3267, p 0.00131.
    assert!(
        text.contains("Log-rank chi-square = 10.33 on 1 df, p = 0.001"),
        "{text}"
    );
    let header = text.lines().find(|l| l.starts_with("group")).unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["group", "n", "events", "observed", "expected", "O/E"]
    );
    // Group 1: 138 subjects, 112 events, E = 91.58.
    let row = text.lines().find(|l| l.starts_with("1 ")).unwrap();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        ["1", "138", "112", "112.00", "91.58", "1.22"]
    );
    // Columns are aligned: every line of the group table has one width.
    let widths: Vec<usize> = text
        .lines()
        .skip_while(|l| !l.starts_with("group"))
        .take(3)
        .map(str::len)
        .collect();
    assert_eq!(widths, [widths[0]; 3]);

    let out = run(&path, &["--format", "csv"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("group,n,events,observed,expected"));
    assert!(lines[1].starts_with("1,138,112,112,91.58"), "{}", lines[1]);
}

#[test]
fn one_group_is_a_clear_error() {
    let path = write_csv("one_group", "time,status,grp\n1,1,A\n2,0,A\n3,1,A\n");
    let err = stderr(&run(&path, &[]));
    assert!(err.contains("single group ('A')"), "{err}");
    assert!(err.contains("column 'grp'"), "{err}");
}

#[test]
fn missing_column_is_named() {
    let path = write_csv("no_group", "time,status,arm\n1,1,A\n2,0,B\n");
    let err = stderr(&run(&path, &[]));
    assert!(err.contains("no column named 'grp'"), "{err}");
    assert!(err.contains("time, status, arm"), "{err}");
}

#[test]
fn bad_event_code_names_line_and_column() {
    let path = write_csv("bad_event", "time,status,grp\n1,1,A\n2,5,B\n3,0,B\n");
    let err = stderr(&run(&path, &[]));
    assert!(err.contains("line 3, column 2 (status)"), "{err}");
    assert!(err.contains("value '5'"), "{err}");
}

#[test]
fn no_events_and_conflicting_flags_are_errors() {
    let path = write_csv("no_events", "time,status,grp\n1,0,A\n2,0,B\n");
    let err = stderr(&run(&path, &[]));
    assert!(err.contains("no events"), "{err}");
    let path = write_csv("conflict", "time,status,grp\n1,1,A\n2,0,B\n");
    let err = stderr(&run(&path, &["--weighting", "tarone-ware", "--rho", "1"]));
    assert!(err.contains("--rho/--gamma"), "{err}");
    let err = stderr(&run(&path, &["--gamma", "-1"]));
    assert!(err.contains("gamma must be"), "{err}");
}

#[test]
fn numeric_groups_are_ordered_and_scored_by_value() {
    let (fx, path) = fixture_csv("edge_unequal_scores", "");
    let out = json_of(&run(&path, &["--trend", "--format", "json"]));
    let names: Vec<&str> = out["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["1", "2", "5"]);
    let r = r_test(&fx, "logrank", 0.0, 0.0);
    assert_eq!(out["trend"]["scores"], serde_json::json!([1.0, 2.0, 5.0]));
    close(&out["trend"]["chisq"], &r["trend"]["chisq"], "trend chisq");
}
