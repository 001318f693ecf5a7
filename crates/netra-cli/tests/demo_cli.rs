//! `netra demo` end to end: it runs from any directory with no files,
//! creates its registry, writes the report of both studies and prints the
//! key numbers; the radionuclide numbers are R's. A small simulated cohort
//! keeps the debug build quick (the README's command uses 1000 patients).
//!
//! Reference values from R 4.2.2 / survival 3.5.3 on
//! examples/radionuclide-2004/survival.csv (the bundle's dates keep the
//! published months up to the day, so the order of times and hence these
//! values are unchanged): `survdiff(Surv(os_months, death) ~ group)$chisq`
//! = 5.46261523348724, p = 0.0194275486914869; `summary(fit, times = 12)$surv`
//! = 0.891640866873065 (A), 0.666666666666667 (B); `quantile(fit, 0.5)`:
//! A NA (lower 22), B 14 (3–NA).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn demo(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_netra"))
        .arg("demo")
        .arg("--out")
        .arg(dir)
        .args(["--patients", "200", "--seed", "11"])
        .args(args)
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run netra demo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Within half a day (in months) of `expected`: the bundle's dates are the
/// published months rounded to the day.
fn within_half_a_day(v: &Value, expected: f64) {
    let x = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!((x - expected).abs() <= 0.5 / 30.4375, "{x} vs {expected}");
}

fn close(v: &Value, expected: f64, tol: f64) {
    let x = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!(
        (x - expected).abs() <= tol * expected.abs().max(1.0),
        "{x} vs {expected}"
    );
}

/// Every file under `dir` except the registry database, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                if !rel.starts_with("registry.db") {
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
    }
    out
}

#[test]
fn demo_writes_the_report_of_both_studies_and_agrees_with_r() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let v: Value = serde_json::from_str(&demo(&dir, &["--format", "json", "--no-png"])).unwrap();
    assert!(dir.join("report.html").is_file());
    assert!(dir.join("registry.db").is_file());
    let studies = v["studies"].as_array().unwrap();
    assert_eq!(studies[0]["name"], "radionuclide");
    assert_eq!(studies[0]["patients"], 31);
    let g = &studies[0]["facts"]["os_by_group"];
    close(&g["logrank"]["chisq"], 5.46261523348724, 1e-9);
    close(&g["logrank"]["p"], 0.0194275486914869, 1e-9);
    let curves = g["curves"].as_array().unwrap();
    assert_eq!(curves[0]["group"], "Group A (treated)");
    assert_eq!(curves[0]["n"], 19);
    assert_eq!(curves[1]["n"], 12);
    assert_eq!(curves[0]["median"], Value::Null);
    within_half_a_day(&curves[0]["median_lower"], 22.0);
    within_half_a_day(&curves[1]["median"], 14.0);
    within_half_a_day(&curves[1]["median_lower"], 3.0);
    close(
        &curves[0]["at_times"][0]["survival"],
        0.891640866873065,
        1e-12,
    );
    close(
        &curves[1]["at_times"][0]["survival"],
        0.666666666666667,
        1e-12,
    );
    // The retrospective study ran on the simulated patients of the same
    // registry (the radionuclide patients belong to another study).
    assert_eq!(studies[1]["name"], "retrospective");
    assert_eq!(studies[1]["patients"], 200);
    let lines = studies[1]["facts"]["lines"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    assert!(
        studies[1]["facts"]["cox_os"]["multivariate_n"]
            .as_u64()
            .unwrap()
            > 50
    );

    // Both studies' outputs are in the report directory, with manifests.
    for (study, table) in [("radionuclide", "table1"), ("retrospective", "lines")] {
        for ext in ["html", "md", "csv", "tex"] {
            assert!(
                dir.join(format!("report/{study}/tables/{table}.{ext}"))
                    .is_file(),
                "{study} {table}.{ext}"
            );
        }
        assert!(dir.join(format!("report/{study}/manifest.json")).is_file());
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("Study 1: Overall survival"));
    assert!(html.contains("Study 2: Lines of therapy"));
    assert!(html.contains("Log-rank test: χ² = 5.46 on 1 df, p = 0.019"));
    let m: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["simulation"]["patients"], 200);
    assert_eq!(m["studies"].as_array().unwrap().len(), 2);
}

#[test]
fn demo_summary_reads_like_the_paper_and_repeats_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let text = demo(&a, &["--no-png"]);
    assert!(text.contains("Radionuclide therapy"), "{text}");
    assert!(
        text.contains("Log-rank test: chi-square = 5.46 on 1 df, p = 0.019"),
        "{text}"
    );
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("Group A (treated)"))
        .expect("row of group A");
    assert!(
        row.contains("19 patients, 5 deaths, median not reached (95% CI 22.0–NR)")
            && row.contains("89.2%"),
        "{row}"
    );
    assert!(
        text.contains(&format!("Report: {}", a.join("report.html").display())),
        "{text}"
    );
    assert!(text.contains("Line 1:"), "{text}");
    // A second run elsewhere writes the same bytes (the registry aside).
    demo(&b, &["--no-png"]);
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{name} differs between two demo runs");
    }
    // And a run in the same directory replaces the registry and the data.
    demo(&a, &["--no-png"]);
    assert_eq!(files(&a), fa);
}
