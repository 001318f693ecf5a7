//! `netra cuminc` end to end: CSV files built from the cmprsk fixtures
//! (`validation/fixtures/cuminc`), with extra incomplete rows, run through
//! the binary; the JSON must carry cmprsk's numbers, the table a clinician's
//! summary, and bad input one precise error.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const REL: f64 = 1e-9;
const ABS: f64 = 1e-12;

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../validation/fixtures/cuminc")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn tmp_file(name: &str, text: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cuminc_{name}"));
    std::fs::write(&path, text).unwrap();
    path
}

fn netra(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_netra"))
        .args(args)
        .output()
        .expect("netra runs");
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn assert_close(actual: &Value, expected: &Value, what: &str) {
    match (num(actual), num(expected)) {
        (None, None) => {}
        (Some(a), Some(e)) => {
            let d = (a - e).abs();
            assert!(d <= ABS || d <= REL * e.abs(), "{what}: netra {a} vs R {e}");
        }
        (a, e) => panic!("{what}: netra {a:?} vs R {e:?}"),
    }
}

/// Writes the fixture's input as CSV (text status codes), adding rows that
/// miss a used column; returns the path and the number of such rows.
fn fixture_csv(name: &str, fx: &Value) -> (PathBuf, usize) {
    let input = &fx["input"];
    let has_group = !input["group"].is_null();
    let has_strata = !input["strata"].is_null();
    let mut text = String::from("id,time,status,arm,stratum\n");
    let n = input["time"].as_array().unwrap().len();
    for i in 0..n {
        let group = if has_group {
            input["group"][i].as_str().unwrap().to_string()
        } else {
            "x".into()
        };
        let stratum = if has_strata {
            input["strata"][i].as_str().unwrap().to_string()
        } else {
            "s".into()
        };
        text.push_str(&format!(
            "{},{},{},\"{}\",{}\n",
            i + 1,
            input["time"][i].as_f64().unwrap(),
            input["status"][i].as_str().unwrap(),
            group,
            stratum
        ));
    }
    let cens = input["cencode"].as_str().unwrap();
    text.push_str(&format!("900,NA,{cens},a,s\n901,3,,a,s\n"));
    let mut dropped = 2;
    if has_group {
        text.push_str(&format!("902,3,{cens},,s\n"));
        dropped += 1;
    }
    if has_strata {
        text.push_str(&format!("903,3,{cens},a,NaN\n"));
        dropped += 1;
    }
    (tmp_file(&format!("{name}.csv"), &text), dropped)
}

fn check_fixture_through_cli(name: &str) {
    check_fixture_with_flags(name, &[]);
}

/// As [`check_fixture_through_cli`], with `extra` flags on every run.
fn check_fixture_with_flags(name: &str, extra: &[&str]) {
    let fx = fixture(name);
    let input = &fx["input"];
    let (path, dropped) = fixture_csv(name, &fx);
    let times: Vec<String> = input["times"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_f64().unwrap().to_string())
        .collect();
    let times = times.join(",");
    let rho = input["rho"].as_f64().unwrap().to_string();
    let level = input["conf_level"].as_f64().unwrap().to_string();
    let has_group = !input["group"].is_null();
    let has_strata = !input["strata"].is_null();
    for (k, cause) in fx["causes"].as_array().unwrap().iter().enumerate() {
        let cause = cause.as_str().unwrap();
        let mut args = vec![
            "cuminc",
            "--data",
            path.to_str().unwrap(),
            "--time",
            "time",
            "--status",
            "status",
            "--cause",
            cause,
            "--censor-value",
            input["cencode"].as_str().unwrap(),
            "--times",
            &times,
            "--rho",
            &rho,
            "--conf-level",
            &level,
            "--format",
            "json",
        ];
        if has_group {
            args.extend(["--group", "arm"]);
        }
        if has_strata {
            args.extend(["--strata", "stratum"]);
        }
        args.extend(extra);
        let (ok, stdout, stderr) = netra(&args);
        assert!(ok, "{name}: {stderr}");
        let out: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(out["cause"], cause);
        assert_eq!(out["n_dropped"].as_u64().unwrap() as usize, dropped);
        let want_curves: Vec<&Value> = fx["curves"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["cause"] == cause)
            .collect();
        let curves = out["curves"].as_array().unwrap();
        assert_eq!(curves.len(), want_curves.len(), "{name}: curves");
        for want in want_curves {
            let label = if has_group {
                want["group"].as_str().unwrap()
            } else {
                "all"
            };
            let got = curves
                .iter()
                .find(|c| c["group"] == label)
                .unwrap_or_else(|| panic!("{name}: no curve for group {label}"));
            let what = format!("{name} {label} {cause}");
            assert_eq!(got["n"], want["n"], "{what} n");
            assert_eq!(got["events"], want["events"], "{what} events");
            let steps = got["steps"].as_array().unwrap();
            assert_eq!(
                steps.len(),
                want["step_time"].as_array().unwrap().len(),
                "{what}: steps"
            );
            for (i, s) in steps.iter().enumerate() {
                assert_close(&s["time"], &want["step_time"][i], &format!("{what} time"));
                assert_close(&s["estimate"], &want["step_est"][i], &format!("{what} est"));
                assert_close(&s["variance"], &want["step_var"][i], &format!("{what} var"));
                assert_close(
                    &s["lower"],
                    &want["step_lower"][i],
                    &format!("{what} lower"),
                );
                assert_close(
                    &s["upper"],
                    &want["step_upper"][i],
                    &format!("{what} upper"),
                );
            }
            for (i, p) in got["at_times"].as_array().unwrap().iter().enumerate() {
                let w = format!("{what} at {}", p["time"]);
                assert_close(&p["estimate"], &want["tp_est"][i], &format!("{w} est"));
                assert_close(&p["variance"], &want["tp_var"][i], &format!("{w} var"));
                assert_close(&p["lower"], &want["tp_lower"][i], &format!("{w} lower"));
                assert_close(&p["upper"], &want["tp_upper"][i], &format!("{w} upper"));
            }
        }
        let gray = &out["gray_test"];
        if fx["tests"].is_null() {
            assert!(gray.is_null(), "{name}: one group has no test");
        } else {
            let want = &fx["tests"][k];
            assert_eq!(gray["df"].as_f64(), want["df"].as_f64());
            if want["stat"].as_f64() == Some(-1.0) {
                assert!(gray["statistic"].is_null() && gray["p"].is_null());
            } else {
                assert_close(&gray["statistic"], &want["stat"], &format!("{name} stat"));
                assert_close(&gray["p"], &want["pv"], &format!("{name} p"));
            }
        }
    }
}

#[test]
fn data_without_censored_rows_needs_saying_so() {
    check_fixture_with_flags("uncensored", &["--no-censoring"]);
    // Without the flag the absent censoring code is refused, naming the flag
    // (else a mistyped code would turn every censored row into a competing event).
    let e = error_of("t,s\n1,1\n2,2\n", &["--cause", "1"]);
    assert!(
        e.contains("the censoring code '0' does not occur in column 's'")
            && e.contains("--no-censoring"),
        "{e}"
    );
    // With the flag, a censored row contradicts it: refused with its line.
    let e = error_of("t,s\n1,1\n2,0\n", &["--cause", "1", "--no-censoring"]);
    assert!(
        e.contains("line 3, column 2 (s)") && e.contains("no row is censored"),
        "{e}"
    );
}

#[test]
fn mgus2_text_codes_by_sex() {
    check_fixture_through_cli("mgus2_sex");
}

#[test]
fn pbc_numeric_codes_stratified() {
    check_fixture_through_cli("pbc_trt_strata_sex");
}

#[test]
fn three_text_groups_with_rho_and_ties() {
    // Text levels "<60", "60-69", "70+" (R's sort order, and netra's); the
    // curves are matched by label and the statistic does not depend on order.
    check_fixture_through_cli("mgus2_years_age3_rho");
}

#[test]
fn one_group_has_no_test_and_singular_variance_has_no_statistic() {
    check_fixture_through_cli("single_group");
    check_fixture_through_cli("singular");
    check_fixture_through_cli("text_codes");
}

#[test]
fn table_shows_landmark_percentages_and_the_test() {
    let fx = fixture("text_codes");
    let (path, _) = fixture_csv("table_text_codes", &fx);
    let (ok, stdout, stderr) = netra(&[
        "cuminc",
        "--data",
        path.to_str().unwrap(),
        "--time",
        "time",
        "--status",
        "status",
        "--cause",
        "relapse",
        "--censor-value",
        "alive",
        "--group",
        "arm",
        "--times",
        "5,10,20",
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("Cumulative incidence of 'relapse' (competing: death; censored: 'alive')")
    );
    // PRRT at 10: 27.5% with log-log limits from R's est/var.
    let prrt = fx["curves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "PRRT relapse")
        .unwrap();
    let cell = format!(
        "{:.1}% ({:.1}–{:.1})",
        100.0 * prrt["tp_est"][1].as_f64().unwrap(),
        100.0 * prrt["tp_lower"][1].as_f64().unwrap(),
        100.0 * prrt["tp_upper"][1].as_f64().unwrap()
    );
    assert!(cell.starts_with("27.5% ("), "{cell}");
    let line = stdout.lines().find(|l| l.starts_with("PRRT")).unwrap();
    assert!(line.contains(&cell), "{line} lacks {cell}");
    assert!(line.trim_end().ends_with("NA"), "after follow-up: {line}");
    let stat = fx["tests"][1]["stat"].as_f64().unwrap();
    assert!(
        stdout.contains(&format!(
            "Gray's test (rho = 0): chi-square = {stat:.3} on 1 df"
        )),
        "{stdout}"
    );
}

#[test]
fn csv_has_a_row_per_step_and_time() {
    let fx = fixture("group_of_one");
    let (path, _) = fixture_csv("csv_group_of_one", &fx);
    let (ok, stdout, stderr) = netra(&[
        "cuminc",
        "--data",
        path.to_str().unwrap(),
        "--time",
        "time",
        "--status",
        "status",
        "--cause",
        "1",
        "--group",
        "arm",
        "--times",
        "3.5,5",
        "--format",
        "csv",
    ]);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "group,cause,kind,time,estimate,variance,std_err,lower,upper"
    );
    // big: 3 steps + 2 times; solo: 1 step + 2 times.
    assert_eq!(lines.len(), 1 + 5 + 3);
    assert!(lines.contains(&"solo,1,step,3.5,1,1,1,1,1"), "{stdout}");
    assert!(
        lines.contains(&"solo,1,at_time,5,NA,NA,NA,NA,NA"),
        "{stdout}"
    );
}

fn error_of(csv: &str, extra: &[&str]) -> String {
    // Named by the content and flags: tests run in parallel, and two cases
    // of the same length once overwrote each other's file.
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (csv, extra).hash(&mut h);
        h.finish()
    };
    let path = tmp_file(&format!("err_{key:016x}.csv"), csv);
    let mut args = vec![
        "cuminc",
        "--data",
        path.to_str().unwrap(),
        "--time",
        "t",
        "--status",
        "s",
    ];
    args.extend(extra);
    let (ok, _, stderr) = netra(&args);
    assert!(!ok, "expected failure for {csv:?}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

#[test]
fn bad_input_gets_one_precise_error() {
    let e = error_of("t,s\n1,1\n-2,0\n", &["--cause", "1"]);
    assert!(
        e.contains("line 3, column 1 (t): a time cannot be negative (value '-2')"),
        "{e}"
    );
    let e = error_of("t,s\n1,1\nsoon,0\n", &["--cause", "1"]);
    assert!(e.contains("line 3, column 1 (t): not a number"), "{e}");
    let e = error_of("t,s\n1,death\n2,0\n", &["--cause", "relapse"]);
    assert!(
        e.contains("no row of column 's' has the cause 'relapse' (failure codes present: death; censoring code: '0')"),
        "{e}"
    );
    let e = error_of("t,s\n1,0\n2,0\n", &["--cause", "1"]);
    assert!(e.contains("none, every row is censored"), "{e}");
    let e = error_of("t,s\n1,1\n2,0\n", &["--cause", "0.0"]);
    assert!(e.contains("is the censoring code"), "{e}");
    let e = error_of("t,s\n", &["--cause", "1"]);
    assert!(e.contains("no data rows"), "{e}");
    let e = error_of("t,s\n1,1\n", &["--cause", "1", "--times=-1"]);
    assert!(e.contains("--times: -1 is not a time >= 0"), "{e}");
    let e = error_of("t,s\n1,1\n", &["--cause", "1", "--group", "arm"]);
    assert!(e.contains("no column named 'arm'"), "{e}");
    let e = error_of("t,s\nNA,1\n", &["--cause", "1"]);
    assert!(e.contains("no row has all of t, s present"), "{e}");
}
