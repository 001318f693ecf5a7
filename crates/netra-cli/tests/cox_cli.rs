//! `netra cox` end to end: CSV in, JSON/table/CSV out, compared with R
//! (fixtures of `validation/r/cox.R`), plus its error messages.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const REL: f64 = 1e-7;

fn fixture(rel: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../validation/fixtures/cox")
        .join(rel);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netra-cox-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Writes fixture columns as a CSV (nulls as NA), with `extra` raw lines.
fn write_csv(path: &Path, columns: &serde_json::Map<String, Value>, extra: &[&str]) {
    let names: Vec<&String> = columns.keys().collect();
    let n = columns.values().next().unwrap().as_array().unwrap().len();
    let mut s = names
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    for i in 0..n {
        let row: Vec<String> = names
            .iter()
            .map(|c| match &columns[c.as_str()][i] {
                Value::Null => "NA".to_string(),
                Value::String(t) => t.clone(),
                v => v.to_string(),
            })
            .collect();
        s.push_str(&row.join(","));
        s.push('\n');
    }
    for e in extra {
        s.push_str(e);
        s.push('\n');
    }
    std::fs::write(path, s).unwrap();
}

fn netra(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_netra"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn close(a: &Value, e: &Value, what: &str) {
    match (a, e) {
        (Value::Null, Value::Null) => {}
        (a, e) => {
            let (a, e) = (a.as_f64().unwrap(), e.as_f64().unwrap());
            assert!(
                (a - e).abs() <= REL * e.abs() || (a - e).abs() < 1e-12,
                "{what}: netra {a} vs R {e}"
            );
        }
    }
}

fn compare_terms(actual: &Value, expected: &Value, fields: &[&str], what: &str) {
    let a = actual.as_array().unwrap();
    let e = expected.as_array().unwrap();
    assert_eq!(a.len(), e.len(), "{what}: number of terms");
    for (x, y) in a.iter().zip(e) {
        assert_eq!(x["name"], y["name"], "{what}: names");
        for f in fields {
            close(&x[*f], &y[*f], &format!("{what} {} {f}", y["name"]));
        }
    }
}

#[test]
fn json_matches_r_with_dropped_rows_and_zph() {
    let fx = fixture("lung_efron.json");
    let csv = tmp("lung.csv");
    // Two extra rows, each missing a used column: dropped and counted.
    let cols = fx["input"]["columns"].as_object().unwrap();
    let header: Vec<&str> = cols.keys().map(String::as_str).collect();
    let blank = |missing: &str| {
        header
            .iter()
            .map(|h| if *h == missing { "NA" } else { "1" })
            .collect::<Vec<_>>()
            .join(",")
    };
    let extra = [blank("age"), blank("ph.ecog")];
    write_csv(&csv, cols, &[&extra[0], &extra[1]]);
    let (ok, out, err) = netra(&[
        "cox",
        "--data",
        csv.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "dead",
        "--formula",
        "age + factor(sex) + ph.ecog",
        "--zph",
        "--schoenfeld",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let got: Value = serde_json::from_str(&out).unwrap();
    let exp = &fx["expected"];
    assert_eq!(got["n"], exp["n"]);
    assert_eq!(got["events"], exp["events"]);
    assert_eq!(got["n_dropped"], 2);
    compare_terms(
        &got["terms"],
        &exp["terms"],
        &[
            "coef",
            "se",
            "robust_se",
            "hr",
            "hr_lower",
            "hr_upper",
            "z",
            "p",
        ],
        "lung",
    );
    for f in ["loglik_null", "loglik"] {
        close(&got[f], &exp[f], f);
    }
    for t in ["lr_test", "wald_test", "score_test"] {
        close(&got[t]["chisq"], &exp[t]["chisq"], t);
        assert_eq!(got[t]["df"], exp[t]["df"], "{t} df");
        close(&got[t]["p"], &exp[t]["p"], t);
    }
    close(&got["concordance"]["c"], &exp["concordance"]["c"], "C");
    close(
        &got["concordance"]["std_err"],
        &exp["concordance"]["std_err"],
        "se(C)",
    );
    assert_eq!(got["iterations"], exp["iterations"]);
    assert_eq!(got["warnings"], Value::Array(vec![]));
    let zph = &exp["zph"][0];
    assert_eq!(zph["transform"], "km");
    let gz = &got["zph"];
    for (a, e) in gz["terms"]
        .as_array()
        .unwrap()
        .iter()
        .zip(zph["terms"].as_array().unwrap())
    {
        assert_eq!(a["name"], e["name"]);
        close(&a["chisq"], &e["chisq"], "zph chisq");
        close(&a["p"], &e["p"], "zph p");
    }
    close(
        &gz["global"]["chisq"],
        &zph["global"]["chisq"],
        "zph global",
    );
    let sch = &got["schoenfeld"];
    assert_eq!(
        sch["time"].as_array().unwrap().len(),
        exp["events"].as_u64().unwrap() as usize
    );
    for (a, e) in sch["terms"][1]["residuals"]
        .as_array()
        .unwrap()
        .iter()
        .zip(zph["schoenfeld"]["residuals"][1].as_array().unwrap())
    {
        close(a, e, "scaled Schoenfeld residual");
    }
    // Without --schoenfeld the field is absent; without --zph, zph is null.
    let (ok, out, _) = netra(&[
        "cox",
        "--data",
        csv.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "dead",
        "--formula",
        "age",
        "--format",
        "json",
    ]);
    assert!(ok);
    let got: Value = serde_json::from_str(&out).unwrap();
    assert!(got["zph"].is_null());
    assert!(got.get("schoenfeld").is_none());
}

#[test]
fn table_reads_like_r_summary() {
    let fx = fixture("lung_efron.json");
    let csv = tmp("lung_table.csv");
    write_csv(&csv, fx["input"]["columns"].as_object().unwrap(), &[]);
    let (ok, out, err) = netra(&[
        "cox",
        "--data",
        csv.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "dead",
        "--formula",
        "age + factor(sex) + ph.ecog",
    ]);
    assert!(ok, "{err}");
    // Values as R's summary(coxph(Surv(time, status) ~ age + factor(sex) + ph.ecog, lung)).
    assert!(out.contains("n = 227, number of events = 164"), "{out}");
    assert!(
        out.contains("sex=2    -0.552612   0.575445  0.167739  -3.294  0.000986  ***"),
        "{out}"
    );
    assert!(
        out.contains("sex=2       0.5754      1.7378     0.4142     0.7994"),
        "{out}"
    );
    assert!(out.contains("Concordance = 0.637  (se = 0.025)"), "{out}");
    assert!(
        out.contains("Likelihood ratio test= 30.5  on 3 df"),
        "{out}"
    );
    assert!(
        out.contains("Wald test            = 29.93  on 3 df"),
        "{out}"
    );
}

#[test]
fn univariate_screening_matches_r() {
    let fx = fixture("cli/univariate_lung.json");
    let csv = tmp("lung_raw.csv");
    write_csv(&csv, fx["columns"].as_object().unwrap(), &[]);
    let (ok, out, err) = netra(&[
        "cox",
        "--data",
        csv.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--univariate",
        fx["formula"].as_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let got: Value = serde_json::from_str(&out).unwrap();
    let uni = got["univariate"].as_array().unwrap();
    let exp = fx["univariate"].as_array().unwrap();
    assert_eq!(uni.len(), exp.len());
    for (a, e) in uni.iter().zip(exp) {
        assert_eq!(a["term"], e["term"]);
        assert_eq!(a["n"], e["n"], "{} n", e["term"]);
        assert_eq!(a["events"], e["events"]);
        compare_terms(
            &a["terms"],
            &e["terms"],
            &["coef", "se", "hr", "hr_lower", "hr_upper", "p"],
            e["term"].as_str().unwrap(),
        );
        close(&a["lr_test"]["chisq"], &e["lr_test"]["chisq"], "LR");
        close(&a["lr_test"]["p"], &e["lr_test"]["p"], "LR p");
    }
    let m = &got["multivariate"];
    let e = &fx["multivariate"];
    assert_eq!(m["n"], e["n"]);
    assert_eq!(m["n_dropped"], 228 - e["n"].as_u64().unwrap());
    compare_terms(
        &m["terms"],
        &e["terms"],
        &["coef", "se", "hr", "hr_lower", "hr_upper", "p"],
        "multivariate",
    );
    close(&m["concordance"]["c"], &e["concordance"]["c"], "C");

    // CSV: one row per term, model first.
    let (ok, out, _) = netra(&[
        "cox",
        "--data",
        csv.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--univariate",
        "age + factor(sex)",
        "--format",
        "csv",
    ]);
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "model,name,coef,se,robust_se,hr,hr_lower,hr_upper,z,p"
    );
    assert!(lines[1].starts_with("age,age,0.0187"));
    assert!(lines[2].starts_with("factor(sex),sex=2,-0.531"));
    assert!(lines[3].starts_with("multivariate,age,"));
    assert_eq!(lines.len(), 5);
}

#[test]
fn errors_name_file_line_and_column() {
    let csv = tmp("bad.csv");
    std::fs::write(
        &csv,
        "time,status,age,grp\n5,1,50,a\n8,0,61,b\n3,1,abc,a\n9,1,70,b\n",
    )
    .unwrap();
    let f = csv.to_str().unwrap();
    let run = |formula: &str, more: &[&str]| {
        let mut a = vec![
            "cox",
            "--data",
            f,
            "--time",
            "time",
            "--event",
            "status",
            "--formula",
            formula,
        ];
        a.extend_from_slice(more);
        netra(&a)
    };
    let (ok, _, err) = run("age", &[]);
    assert!(!ok);
    assert!(
        err.contains("bad.csv, line 4, column 3 (age): not a number") && err.contains("'abc'"),
        "{err}"
    );
    let (ok, _, err) = run("grp", &["--ref", "grp=z"]);
    assert!(!ok);
    assert!(
        err.contains("reference level 'z' does not occur in 'grp'"),
        "{err}"
    );
    let (ok, _, err) = run("age", &["--ref", "grp=a"]);
    assert!(!ok);
    assert!(err.contains("does not use the column 'grp'"), "{err}");
    let (ok, _, err) = run("nope", &[]);
    assert!(!ok);
    assert!(err.contains("no column named 'nope'"), "{err}");
    let (ok, _, err) = run("age +", &[]);
    assert!(!ok);
    assert!(err.contains("formula"), "{err}");
    std::fs::write(&csv, "time,status,x\n5,0,1\n8,0,2\n").unwrap();
    let (ok, _, err) = run("x", &[]);
    assert!(!ok);
    assert!(err.contains("no events"), "{err}");
    std::fs::write(&csv, "time,status,x,w\n5,1,1,1\n8,0,2,0\n").unwrap();
    let (ok, _, err) = run("x", &["--weights", "w"]);
    assert!(!ok);
    assert!(
        err.contains("line 3, column 4 (w): a weight must be > 0"),
        "{err}"
    );
    std::fs::write(&csv, "time,status,x,t0\n5,1,1,0\n8,0,2,9\n").unwrap();
    let (ok, _, err) = run("x", &["--start", "t0"]);
    assert!(!ok);
    assert!(err.contains("line 3, column 4 (t0)"), "{err}");
}

#[test]
fn fine_gray_matches_r() {
    check_fine_gray("finegray_mgus2_pcm", &[]);
}

/// Data with no censored row: R's censoring weights are all 1. The absent
/// censoring code is accepted only when the flag says so.
#[test]
fn fine_gray_without_censored_rows_matches_r() {
    check_fine_gray("finegray_mgus2_uncensored", &["--no-censoring"]);
    let fx = fixture("finegray_mgus2_uncensored.json");
    let csv = tmp("finegray_mgus2_uncensored_noflag.csv");
    write_csv(&csv, fx["input"]["columns"].as_object().unwrap(), &[]);
    let (ok, _, err) = netra(&[
        "cox",
        "--data",
        csv.to_str().unwrap(),
        "--time",
        "etime",
        "--fine-gray",
        "--status",
        "event",
        "--cause",
        "1",
        "--formula",
        "age + sex",
    ]);
    assert!(
        !ok && err.contains("does not occur") && err.contains("--no-censoring"),
        "{err}"
    );
}

/// `netra cox --fine-gray` on fixture `name` (mgus2 columns etime, event,
/// age, sex; cause 1) against R's finegray + weighted coxph.
fn check_fine_gray(name: &str, extra: &[&str]) {
    let fx = fixture(&format!("{name}.json"));
    let csv = tmp(&format!("{name}.csv"));
    write_csv(&csv, fx["input"]["columns"].as_object().unwrap(), &[]);
    let mut args = vec![
        "cox",
        "--data",
        csv.to_str().unwrap(),
        "--time",
        "etime",
        "--fine-gray",
        "--status",
        "event",
        "--cause",
        "1",
        "--formula",
        "age + sex",
        "--format",
        "json",
    ];
    args.extend(extra);
    let (ok, out, err) = netra(&args);
    assert!(ok, "{name}: {err}");
    let got: Value = serde_json::from_str(&out).unwrap();
    let exp = &fx["expected"];
    assert_eq!(got["fine_gray"]["expanded_rows"], exp["expanded_rows"]);
    compare_terms(
        &got["terms"],
        &exp["terms"],
        &[
            "coef",
            "se",
            "robust_se",
            "hr",
            "hr_lower",
            "hr_upper",
            "z",
            "p",
        ],
        "fine-gray",
    );
    close(&got["loglik"], &exp["loglik"], "loglik");
    close(
        &got["robust_score_test"]["chisq"],
        &exp["robust_score_test"]["chisq"],
        "robust score",
    );
}

/// A formula written as R users write it — `Surv()` on the left, computed
/// terms, `relevel()`, `cluster()` — fits the model R fits
/// (fixtures lung_transforms, lung_cluster) and names its columns as the
/// flags would.
#[test]
fn r_style_formulas_match_r() {
    let fx = fixture("lung_transforms.json");
    let csv = tmp("lung_transforms.csv");
    write_csv(&csv, fx["input"]["columns"].as_object().unwrap(), &[]);
    let (ok, out, err) = netra(&[
        "cox",
        "--data",
        csv.to_str().unwrap(),
        "--formula",
        "Surv(time, dead) ~ I(age/10) + log(meal.cal) + I((age - 60)^2/100) + factor(sex)",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let got: Value = serde_json::from_str(&out).unwrap();
    compare_terms(
        &got["terms"],
        &fx["expected"]["terms"],
        &["coef", "se", "hr", "hr_lower", "hr_upper", "z", "p"],
        "transforms",
    );

    let fx = fixture("lung_cluster.json");
    let csv = tmp("lung_cluster_formula.csv");
    write_csv(&csv, fx["input"]["columns"].as_object().unwrap(), &[]);
    let (ok, out, err) = netra(&[
        "cox",
        "--data",
        csv.to_str().unwrap(),
        "--formula",
        "Surv(time, dead) ~ age + factor(sex) + ph.ecog + cluster(inst)",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let got: Value = serde_json::from_str(&out).unwrap();
    compare_terms(
        &got["terms"],
        &fx["expected"]["terms"],
        &["coef", "se", "robust_se", "z", "p"],
        "cluster()",
    );

    // The same column named two ways must agree.
    let (ok, _, err) = netra(&[
        "cox",
        "--data",
        csv.to_str().unwrap(),
        "--time",
        "age",
        "--formula",
        "Surv(time, dead) ~ ph.ecog",
    ]);
    assert!(!ok);
    assert!(
        err.contains("the formula names 'time' and the time column is 'age'"),
        "{err}"
    );
    // Neither way: the message says both.
    let (ok, _, err) = netra(&["cox", "--data", csv.to_str().unwrap(), "--formula", "age"]);
    assert!(!ok);
    assert!(err.contains("Surv(time, status) ~"), "{err}");
}
