//! `netra km` end to end: the binary on small CSV files in a temporary
//! directory. Expected numbers come from R (survfit, quantile, summary and
//! survmean on the same data), not from netra.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// A fresh directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netra-km-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `csv` to a file and runs `netra km --data FILE ARGS...`; returns
/// (success, stdout, stderr).
fn run(name: &str, csv: &str, args: &[&str]) -> (bool, String, String) {
    let dir = temp_dir(name);
    let path = dir.join("data.csv");
    std::fs::write(&path, csv).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_netra"))
        .arg("km")
        .arg("--data")
        .arg(&path)
        .args(args)
        .output()
        .expect("run netra");
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(name: &str, csv: &str, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (ok, stdout, stderr) = run(name, csv, &all);
    assert!(ok, "netra failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {stdout}"))
}

fn close(v: &Value, expected: f64) {
    let x = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!(
        (x - expected).abs() <= 1e-9 * expected.abs().max(1e-3),
        "{x} vs {expected}"
    );
}

const TWO_ARMS: &str = "time,status,arm\n1,1,a\n2,1,a\n3,0,a\n4,1,a\n\
                        2,0,b\n5,1,b\n6,0,b\n8,1,b\nNA,1,a\n7,,b\n9,0,\n";

#[test]
fn json_contract_and_values_agree_with_r() {
    let v = json(
        "contract",
        TWO_ARMS,
        &[
            "--time",
            "time",
            "--event",
            "status",
            "--group",
            "arm",
            "--times",
            "5,2",
            "--rmst-tau",
            "6",
        ],
    );
    assert_eq!(v["n_dropped"], 3);
    let curves = v["curves"].as_array().unwrap();
    assert_eq!(curves.len(), 2);
    let a = &curves[0];
    assert_eq!(a["group"], "a");
    assert_eq!(a["n"], 4);
    close(&a["events"], 3.0);
    // quantile(fit, 0.5): a = 3 (flat at 0.5 from 2 to 4), CI 1 to NA.
    close(&a["median"], 3.0);
    close(&a["median_lower"], 1.0);
    assert!(a["median_upper"].is_null());
    let steps = a["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4);
    let keys: Vec<&str> = steps[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper",
    ] {
        assert!(keys.contains(&k), "step field {k} missing");
    }
    close(&steps[0]["survival"], 0.75);
    close(&steps[0]["std_err"], 0.21650635094611);
    close(&steps[0]["lower"], 0.425932268497982);
    close(&steps[2]["n_censor"], 1.0);
    // S = 0 at the last step: std_err NaN and limits NA in R -> null.
    close(&steps[3]["survival"], 0.0);
    assert!(steps[3]["std_err"].is_null());
    assert!(steps[3]["lower"].is_null() && steps[3]["upper"].is_null());

    // --times 5,2 is sorted; 5 is after arm a's last time (4): no
    // estimate, and no row, as summary(fit, times = c(2, 5)) (extend =
    // FALSE); the time is listed in at_times_after_last.
    let at = a["at_times"].as_array().unwrap();
    assert_eq!(at.len(), 1, "{at:?}");
    close(&at[0]["time"], 2.0);
    close(&at[0]["n_risk"], 3.0);
    close(&at[0]["survival"], 0.5);
    close(&at[0]["std_err"], 0.25);
    assert_eq!(a["at_times_after_last"], serde_json::json!([5.0]));

    // survmean(fit, rmean = 6): a 2.75 (se 0.649519052838329), b 5.6667.
    close(&a["rmst"]["tau"], 6.0);
    close(&a["rmst"]["estimate"], 2.75);
    close(&a["rmst"]["std_err"], 0.649519052838329);
    let b = &curves[1];
    assert_eq!(b["group"], "b");
    close(&b["median"], 8.0);
    close(&b["rmst"]["estimate"], 5.66666666666667);
    let b_at = b["at_times"].as_array().unwrap();
    close(&b_at[0]["survival"], 1.0);
    close(&b_at[1]["survival"], 0.666666666666667);
    assert_eq!(b["at_times_after_last"], serde_json::json!([]));

    let d = &v["rmst_difference"];
    assert_eq!(d["groups"], serde_json::json!(["a", "b"]));
    close(&d["estimate"], 2.91666666666667);
    close(&d["std_err"], 0.704236518560401);
    close(&d["p"], 3.44889944691974e-05);
    let z = 1.959963984540054;
    close(&d["lower"], 2.91666666666667 - z * 0.704236518560401);
}

#[test]
fn without_group_the_curve_is_all_and_options_are_optional() {
    let v = json("all", TWO_ARMS, &["--time", "time", "--event", "status"]);
    let curves = v["curves"].as_array().unwrap();
    assert_eq!(curves.len(), 1);
    assert_eq!(curves[0]["group"], "all");
    assert_eq!(curves[0]["n"], 9); // the row missing only 'arm' is kept
    assert_eq!(v["n_dropped"], 2);
    assert!(curves[0]["rmst"].is_null());
    assert_eq!(curves[0]["at_times"], serde_json::json!([]));
    assert!(v.get("rmst_difference").is_none());
}

#[test]
fn all_censored_group_has_null_median() {
    let csv = "t,e,g\n1,0,x\n2,0,x\n3,0,x\n1,1,y\n2,0,y\n";
    let v = json(
        "censored",
        csv,
        &["--time", "t", "--event", "e", "--group", "g"],
    );
    let x = &v["curves"][0];
    assert_eq!(x["group"], "x");
    close(&x["events"], 0.0);
    assert!(x["median"].is_null());
    assert!(x["median_lower"].is_null());
    assert!(x["median_upper"].is_null());
    close(&x["steps"][2]["survival"], 1.0);
}

#[test]
fn event_value_and_conf_options() {
    let csv = "t,outcome\n1,dead\n2,alive\n3,dead\n4,alive\n";
    let v = json(
        "codes",
        csv,
        &[
            "--time",
            "t",
            "--event",
            "outcome",
            "--event-value",
            "dead",
            "--conf-type",
            "plain",
            "--conf-level",
            "0.9",
        ],
    );
    let s = &v["curves"][0]["steps"][0];
    close(&s["survival"], 0.75);
    // plain 90%: 0.75 -/+ qnorm(0.95) * 0.21650635094611, upper clipped at 1.
    close(&s["lower"], 0.75 - 1.6448536269514722 * 0.21650635094611);
    close(&s["upper"], 1.0); // 0.75 + 0.356 clipped at 1
}

fn fails_with(name: &str, csv: &str, args: &[&str], expected: &str) {
    let (ok, stdout, stderr) = run(name, csv, args);
    assert!(!ok, "expected failure, got: {stdout}");
    assert!(
        stderr.contains(expected),
        "stderr should contain {expected:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn negative_time_names_file_line_and_column() {
    fails_with(
        "negative",
        "id,time,status\n1,5,1\n2,-2,0\n",
        &["--time", "time", "--event", "status"],
        "data.csv, line 3, column 2 (time): a time cannot be negative (value '-2')",
    );
}

#[test]
fn non_numeric_time_names_the_cell() {
    fails_with(
        "text",
        "time,status\n5,1\nsoon,0\n",
        &["--time", "time", "--event", "status"],
        "data.csv, line 3, column 1 (time): not a number (value 'soon')",
    );
}

#[test]
fn unknown_event_code_names_the_cell() {
    fails_with(
        "code",
        "time,status\n5,1\n6,3\n",
        &["--time", "time", "--event", "status"],
        "data.csv, line 3, column 2 (status): an event code must be 0/1",
    );
}

#[test]
fn missing_column_lists_the_header() {
    fails_with(
        "column",
        "time,status\n5,1\n",
        &["--time", "time", "--event", "death"],
        "no column named 'death' (columns are: time, status)",
    );
}

#[test]
fn no_complete_row_is_an_error() {
    fails_with(
        "empty",
        "time,status,g\nNA,1,a\n3,,b\n",
        &["--time", "time", "--event", "status"],
        "no row has all of time, status present (2 rows dropped",
    );
}

#[test]
fn negative_weight_names_the_cell() {
    fails_with(
        "weight",
        "time,status,w\n5,1,1\n6,0,-0.5\n",
        &["--time", "time", "--event", "status", "--weights", "w"],
        "data.csv, line 3, column 3 (w): a weight cannot be negative",
    );
}

#[test]
fn invalid_conf_level_is_an_error() {
    fails_with(
        "level",
        TWO_ARMS,
        &["--time", "time", "--event", "status", "--conf-level", "95"],
        "--conf-level 95 must be strictly between 0 and 1",
    );
}

#[test]
fn csv_has_one_row_per_step_with_group() {
    let (ok, stdout, stderr) = run(
        "csv",
        TWO_ARMS,
        &[
            "--time", "time", "--event", "status", "--group", "arm", "--format", "csv",
        ],
    );
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "group,time,n_risk,n_event,n_censor,survival,std_err,lower,upper"
    );
    assert_eq!(lines.len(), 1 + 4 + 4);
    assert!(lines[1].starts_with("a,1,4,1,0,0.75,"), "{}", lines[1]);
    assert!(lines[4].ends_with(",0,NA,NA,NA"), "{}", lines[4]);
    assert!(lines[5].starts_with("b,2,4,0,1,1,0,1,1"), "{}", lines[5]);
}

#[test]
fn table_is_one_labelled_line_per_group() {
    let (ok, stdout, stderr) = run(
        "table",
        TWO_ARMS,
        &[
            "--time",
            "time",
            "--event",
            "status",
            "--group",
            "arm",
            "--times",
            "2",
            "--rmst-tau",
            "6",
        ],
    );
    assert!(ok, "{stderr}");
    let header = stdout
        .lines()
        .find(|l| l.starts_with("group"))
        .expect("header line");
    assert!(header.contains("median (95% CI)"), "{header}");
    assert!(header.contains("survival at 2 (95% CI)"), "{header}");
    assert!(header.contains("RMST to 6 (95% CI)"), "{header}");
    let a = stdout
        .lines()
        .find(|l| l.starts_with("a "))
        .expect("line a");
    assert!(a.contains("3.0 (1.0–NR)"), "{a}");
    assert!(a.contains("50.0% (18.8–100.0)"), "{a}");
    assert!(a.contains("2.8 ("), "{a}");
    let b = stdout
        .lines()
        .find(|l| l.starts_with("b "))
        .expect("line b");
    assert!(b.contains("8.0 (5.0–NR)"), "{b}");
    // Columns line up: the median column starts at the same place.
    assert_eq!(
        header.find("median").unwrap(),
        a.char_indices()
            .position(|(i, _)| a[i..].starts_with("3.0 ("))
            .unwrap()
    );
    assert!(
        stdout.contains("RMST difference to 6 (b − a): 2.9"),
        "{stdout}"
    );
    assert!(
        stdout.contains("rows dropped (missing values): 3"),
        "{stdout}"
    );
}

#[test]
fn grouped_output_carries_the_log_rank_test_of_survdiff() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../validation/fixtures/logrank/veteran_celltype.json");
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let levels = fx["levels"].as_array().unwrap();
    let mut csv = String::from("time,status,celltype\n");
    for i in 0..fx["time"].as_array().unwrap().len() {
        let g = fx["group"][i].as_u64().unwrap() as usize - 1;
        csv.push_str(&format!(
            "{},{},{}\n",
            fx["time"][i],
            fx["status"][i],
            levels[g].as_str().unwrap()
        ));
    }
    let args = ["--time", "time", "--event", "status", "--group", "celltype"];
    let out = json("veteran_celltype", &csv, &args);
    let r = &fx["tests"][0];
    assert_eq!(r["weights"], "logrank");
    close(&out["logrank"]["chisq"], r["chisq"].as_f64().unwrap());
    close(&out["logrank"]["p"], r["p"].as_f64().unwrap());
    assert_eq!(out["logrank"]["df"], r["df"]);
    let (ok, table, _) = run("veteran_celltype_table", &csv, &args);
    assert!(ok);
    assert!(
        table.contains("Log-rank test: chi-square = 25.40 on 3 df, p < 0.001"),
        "{table}"
    );

    // One group: the curve is fitted, the test is null, with the reason.
    let one = "time,status,g\n1,1,a\n2,0,a\n";
    let out = json(
        "one_group_test",
        one,
        &["--time", "time", "--event", "status", "--group", "g"],
    );
    assert_eq!(out["logrank"], Value::Null);
    let (ok, table, _) = run(
        "one_group_table",
        one,
        &["--time", "time", "--event", "status", "--group", "g"],
    );
    assert!(ok);
    assert!(
        table.contains("Log-rank test: needs at least two groups"),
        "{table}"
    );
}

/// The follow-up cases of `validation/r/followup.R` (lung, veteran, …).
fn followup_cases() -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../validation/fixtures/followup/cases.json");
    serde_json::from_str::<Value>(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn follow_up_and_spss_median_agree_with_r() {
    for c in followup_cases() {
        let name = c["name"].as_str().unwrap();
        let mut csv = String::from("time,status\n");
        for (t, s) in c["time"]
            .as_array()
            .unwrap()
            .iter()
            .zip(c["status"].as_array().unwrap())
        {
            csv.push_str(&format!("{t},{s}\n"));
        }
        let v = json(
            name,
            &csv,
            &["--time", "time", "--event", "status", "--median-ci-spss"],
        );
        let (f, r) = (&v["follow_up"], &c["follow_up"]);
        for k in ["median", "lower", "upper", "min", "max", "censored"] {
            match r[k].as_f64() {
                Some(x) => close(&f[k], x),
                None => assert!(f[k].is_null(), "{name} {k}: {f}"),
            }
        }
        let (m, r) = (&v["curves"][0]["median_spss"], &c["spss_median"]);
        if r.get("std_err").is_some() {
            for k in ["estimate", "std_err", "lower", "upper"] {
                close(&m[k], r[k].as_f64().unwrap());
            }
        } else {
            assert!(m.is_null(), "{name}: {m}");
        }
    }
    // The table prints the follow-up line; without the flag no SPSS field.
    let (ok, stdout, _) = run(
        "fu-table",
        TWO_ARMS,
        &["--time", "time", "--event", "status"],
    );
    assert!(ok);
    assert!(
        stdout.contains("Median follow-up (reverse Kaplan–Meier): "),
        "{stdout}"
    );
    let v = json(
        "fu-json",
        TWO_ARMS,
        &["--time", "time", "--event", "status"],
    );
    assert!(v["curves"][0].get("median_spss").is_none());
}

/// Every Kaplan–Meier fixture of `validation/r/km.R` (timefix on, requested
/// times ≥ 0) as a CSV file, with its `--times`.
fn km_fixtures_with_times() -> Vec<(String, Value, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../validation/fixtures/km");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let f: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let times: Vec<f64> = f["times"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_f64().unwrap())
            .collect();
        if f["options"]["timefix"] == false || times.is_empty() || times.iter().any(|&t| t < 0.0) {
            continue;
        }
        let input = &f["input"];
        let levels = input["levels"].as_array();
        let weights = input["weights"].as_array();
        let mut csv = String::from("time,status,group,w\n");
        for (i, t) in input["time"].as_array().unwrap().iter().enumerate() {
            let event = u8::from(input["event"][i].as_bool().unwrap());
            let group = levels.map_or(String::new(), |l| {
                l[input["group"][i].as_u64().unwrap() as usize]
                    .as_str()
                    .unwrap()
                    .to_string()
            });
            let w = weights.map_or(String::new(), |w| w[i].as_f64().unwrap().to_string());
            csv.push_str(&format!("{},{event},{group},{w}\n", t.as_f64().unwrap()));
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        out.push((name, f, csv));
    }
    out
}

/// One curve's `at_times` rows against R's columns (`summary(fit, times)`).
fn same_rows(what: &str, got: &Value, r: &Value) {
    let rows = got.as_array().unwrap_or_else(|| panic!("{what}: {got}"));
    let n = r["time"].as_array().unwrap().len();
    assert_eq!(rows.len(), n, "{what}: rows {got} vs R {r}");
    for (j, row) in rows.iter().enumerate() {
        for k in ["time", "n_risk", "survival", "std_err", "lower", "upper"] {
            match r[k][j].as_f64() {
                Some(x) => {
                    let y = row[k]
                        .as_f64()
                        .unwrap_or_else(|| panic!("{what} row {j} {k}: {row} vs R {x}"));
                    assert!(
                        (x - y).abs() <= 1e-9 * x.abs().max(1e-3),
                        "{what} row {j} {k}: {y} vs R {x}"
                    );
                }
                None => assert!(row[k].is_null(), "{what} row {j} {k}: {row} vs R NA"),
            }
        }
    }
}

/// Issue 13: `at_times` are the rows of R's `summary(fit, times)`: a time
/// after a group's last time has no row (extend = FALSE, R's default) and
/// is listed in `at_times_after_last`; with `--extend` every time has a row
/// with R's `extend = TRUE` values (the last estimate, 0 at risk). Checked
/// on every KM fixture of `validation/r/km.R` that requests such times.
#[test]
fn at_times_are_the_rows_of_r_summary_with_and_without_extend() {
    let mut past_the_end = 0;
    let mut fixtures = 0;
    for (name, f, csv) in km_fixtures_with_times() {
        let times: Vec<String> = f["times"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_f64().unwrap().to_string())
            .collect();
        let times = times.join(",");
        let level = f["options"]["conf_level"].as_f64().unwrap().to_string();
        let mut args = vec![
            "--time",
            "time",
            "--event",
            "status",
            "--times",
            &times,
            "--conf-type",
            f["options"]["conf_type"].as_str().unwrap(),
            "--conf-level",
            &level,
        ];
        if !f["input"]["levels"].is_null() {
            args.extend(["--group", "group"]);
        }
        if !f["input"]["weights"].is_null() {
            args.extend(["--weights", "w"]);
        }
        let plain = json(&format!("{name}-at"), &csv, &args);
        args.push("--extend");
        let extended = json(&format!("{name}-extend"), &csv, &args);
        for r in f["curves"].as_array().unwrap() {
            let group = r["group"].as_str().unwrap();
            let pick = |v: &Value| {
                v["curves"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|c| c["group"] == group)
                    .cloned()
                    .unwrap_or_else(|| panic!("{name}: no curve {group} in {v}"))
            };
            let (p, e) = (pick(&plain), pick(&extended));
            same_rows(&format!("{name} {group}"), &p["at_times"], &r["at_times"]);
            same_rows(
                &format!("{name} {group} --extend"),
                &e["at_times"],
                &r["at_times_extend"],
            );
            // The times R leaves out are listed, in order; none with --extend.
            let kept = r["at_times"]["time"].as_array().unwrap();
            let left_out: Vec<f64> = r["at_times_extend"]["time"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| !kept.contains(t))
                .map(|t| t.as_f64().unwrap())
                .collect();
            assert_eq!(
                p["at_times_after_last"],
                serde_json::json!(left_out),
                "{name} {group}"
            );
            assert_eq!(e["at_times_after_last"], serde_json::json!([]), "{name}");
            past_the_end += left_out.len();
        }
        fixtures += 1;
    }
    // The fixtures do request times after a group's end (lung, veteran,
    // colon, pbc...): the test is not vacuous.
    assert!(fixtures >= 20, "{fixtures} fixtures");
    assert!(past_the_end >= 10, "{past_the_end} times after the last");
}

/// `--extend` is R's option of `summary(fit, times)`: it needs `--times`.
#[test]
fn extend_needs_times() {
    let (ok, _, stderr) = run(
        "extend-alone",
        TWO_ARMS,
        &["--time", "time", "--event", "status", "--extend"],
    );
    assert!(!ok);
    assert!(stderr.contains("--times"), "{stderr}");
}
