//! The prognostic-factor and figure sections of the paper-layout study
//! (`examples/studies/paper.toml`): the Cox table prints each factor's
//! overall p (the layer's likelihood-ratio test, itself checked against R's
//! `drop1`), the subgroup forest plot draws the `subgroups` analysis of the
//! same file (one marker per estimable row, the interaction p on each
//! heading, equal to `analyses/ID.json`), the Kaplan–Meier figure of time
//! to progression by line draws one curve per line, and every LaTeX table
//! is plain ASCII (pdfLaTeX reads it without Unicode definitions) with no
//! Markdown backtick in the report.

mod common;

use std::path::{Path, PathBuf};

use netra_study::run;
use serde_json::Value;

fn study() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/studies/paper.toml")
}

#[test]
fn cox_overall_p_subgroup_forest_and_ttp_by_line() {
    let out = tempfile::tempdir().unwrap();
    let opts = netra_study::RunOptions {
        png: false,
        ..common::opts()
    };
    run(&study(), out.path(), &opts).unwrap();
    let read = |p: &str| std::fs::read_to_string(out.path().join(p)).unwrap();
    let summary: Value = serde_json::from_str(&read("summary.json")).unwrap();

    // Cox table: the grade heading carries its overall p, as summary.json has it.
    let cox = read("tables/cox_os.csv");
    let grade = summary["cox_os"]["terms"]["grade_group"].clone();
    let p_uni = grade["univariate"]["overall_lr_p"]
        .as_f64()
        .expect("overall p");
    assert!(grade["multivariate"]["overall_wald_p"].as_f64().is_some());
    let heading = cox
        .lines()
        .find(|l| l.starts_with("Grade"))
        .unwrap_or_else(|| panic!("{cox}"));
    let cells: Vec<&str> = heading.split(',').collect();
    assert_eq!(
        cells[2],
        netra_report::format::PStyle::default().format(Some(p_uni)),
        "{heading}"
    );
    let md = read("tables/cox_os.md");
    assert!(
        md.contains("likelihood-ratio test of all its levels"),
        "{md}"
    );

    // Subgroup forest: the analysis' JSON and the figure agree.
    let json: Value = serde_json::from_str(&read("analyses/os_subgroups.json")).unwrap();
    let svg = read("figures/os_subgroups_forest.svg");
    assert!(svg.contains("p for interaction"), "{svg}");
    let estimable = std::iter::once(&json["overall"])
        .chain(
            json["subgroups"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|v| v["levels"].as_array().unwrap()),
        )
        .filter(|e| e["hr"].is_number())
        .count();
    assert_eq!(svg.matches("class=\"estimate\"").count(), estimable);
    assert_eq!(json["subgroups"].as_array().unwrap().len(), 3);
    for v in json["subgroups"].as_array().unwrap() {
        let p = v["interaction"]["lr"]["p"].as_f64().unwrap();
        let printed = netra_report::format::PStyle::default().format(Some(p));
        assert!(
            svg.contains(&format!(">{printed}<")),
            "interaction p {printed}"
        );
    }
    let hr = json["overall"]["hr"].as_f64().unwrap();
    assert_eq!(
        summary["os_subgroups_forest"]["overall_hr"].as_f64(),
        Some(hr)
    );

    // Time to progression by line: one curve per line, no test.
    let km = read("figures/ttp_by_line.svg");
    for k in 1..=3 {
        assert!(km.contains(&format!("Line {k}")), "line {k}");
    }
    assert_eq!(km.matches("class=\"curve\"").count(), 3);
    assert!(!km.contains("Log-rank"));

    // pdfLaTeX reads every table; the report has no Markdown backtick.
    for entry in std::fs::read_dir(out.path().join("tables")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tex") {
            let tex = std::fs::read_to_string(&path).unwrap();
            assert!(tex.is_ascii(), "{} is not ASCII", path.display());
        }
    }
    let html = read("report.html");
    let body = &html[html.find("<body").unwrap()..];
    assert!(!body.contains('`'), "a Markdown backtick in the report");
}
