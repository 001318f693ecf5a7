//! The radionuclide study (examples/studies/radionuclide.toml, with a Cox
//! table added) against R on the published per-patient table:
//! validation/r/study.R → validation/fixtures/study/radionuclide.json.
//!
//! The study reads the registry bundle; its dates keep the order of the
//! published times (see the R script), so every p-value, Kaplan–Meier rate,
//! the log-rank test and the Cox model must agree with R to 1e-9.

use std::path::{Path, PathBuf};

use netra_study::{RunOptions, run};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture() -> Value {
    let text = std::fs::read_to_string(repo().join("validation/fixtures/study/radionuclide.json"))
        .expect("fixture");
    serde_json::from_str(&text).unwrap()
}

fn agree(what: &str, ours: &Value, r: &Value) {
    match (ours.as_f64(), r.as_f64()) {
        (Some(x), Some(y)) => assert!(
            (x - y).abs() <= 1e-9 * y.abs().max(1.0),
            "{what}: netra {x} vs R {y}"
        ),
        _ => assert!(
            ours.is_null() && r.is_null(),
            "{what}: netra {ours} vs R {r}"
        ),
    }
}

const COX: &str = r#"
[[table]]
name = "cox"
type = "cox"
endpoint = "os"
title = "Cox regression of overall survival"
univariate = ["arm", "age60", "sex"]
reference = { arm = "A" }
"#;

#[test]
fn radionuclide_study_agrees_with_r() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("examples/studies/radionuclide.toml"))
        .unwrap()
        .replace(
            "bundle = \"../radionuclide-2004/bundle\"",
            &format!(
                "bundle = {:?}",
                repo()
                    .join("examples/radionuclide-2004/bundle")
                    .display()
                    .to_string()
            ),
        );
    let study = tmp.path().join("study.toml");
    std::fs::write(&study, format!("{text}{COX}")).unwrap();
    let opts = RunOptions {
        png: false,
        ..RunOptions::default()
    };
    let result = run(&study, &tmp.path().join("out"), &opts).unwrap();
    let f = &result.facts;
    let r = fixture();

    // Table 1: every p-value R computes from the published table.
    let rows = &f["table1"]["rows"];
    let expected = r["table1_p"].as_object().unwrap();
    assert_eq!(expected.len(), 13);
    for (var, p) in expected {
        // R's `age` is the recorded age at entry (the variable's name since
        // "age" was split into age_at_entry and age_at_diagnosis).
        let row = if var == "age" {
            "age_at_entry"
        } else {
            var.as_str()
        };
        agree(&format!("table 1, {var}"), &rows[row]["p"], p);
    }
    assert_eq!(rows["age_at_entry"]["test"], "t-test");
    assert_eq!(rows["sex"]["test"], "χ² test (Yates)");
    // A 4 × 2 table: R applies no correction, and the name says so.
    assert_eq!(rows["primary_group"]["test"], "χ² test");

    // Overall survival by group.
    let os = &f["os_by_group"];
    agree(
        "log-rank chi-square",
        &os["logrank"]["chisq"],
        &r["os"]["logrank"]["chisq"],
    );
    agree("log-rank p", &os["logrank"]["p"], &r["os"]["logrank"]["p"]);
    assert_eq!(os["logrank"]["df"], r["os"]["logrank"]["df"]);
    for (k, curve) in r["os"]["curves"].as_array().unwrap().iter().enumerate() {
        let ours = &os["curves"][k];
        assert_eq!(ours["n"], curve["n"]);
        agree("events", &ours["events"], &curve["events"]);
        for (j, s) in curve["survival"].as_array().unwrap().iter().enumerate() {
            agree(
                &format!("group {} at landmark {j}", curve["group"]),
                &ours["at_times"][j]["survival"],
                s,
            );
        }
    }

    // Cox: univariate and multivariate, every estimate.
    let names = [
        ("groupB", "arm=B"),
        ("age60ge60", "age60=≥ 60 years"),
        ("sexF", "sex=Female"),
    ];
    for model in ["univariate", "multivariate"] {
        for t in r["cox"][model].as_array().unwrap() {
            let ours_name = names
                .iter()
                .find(|(rn, _)| t["name"] == *rn)
                .map(|(_, n)| *n)
                .unwrap();
            let ours = &f["cox"]["terms"][ours_name][model];
            for field in ["hr", "lower", "upper", "p"] {
                agree(
                    &format!("{model} {ours_name} {field}"),
                    &ours[field],
                    &t[field],
                );
            }
        }
    }
    assert_eq!(f["cox"]["multivariate_n"], 31);
    assert_eq!(f["cox"]["multivariate_events"], 10);
}
