//! `type = "cuminc"` tables and figures on a simulated registry: the run
//! writes them, the summary holds the analysis layer's output (whose
//! numbers `netra-analysis` checks against `netra_stats::cuminc`, itself
//! checked against R's cmprsk), and the table prints those numbers.

mod common;

use netra_study::run;
use serde_json::Value;

const STUDY: &str = r#"
[study]
title = "Progression with death as a competing risk"
landmarks = [12, 36]

[data]
simulate = { patients = 400, seed = 11 }
study = "sim"

[groups]
variable = "sex"

[[endpoint]]
name = "ttp1"
type = "ttp"
from = "line:1"

[[table]]
name = "cif"
type = "cuminc"
title = "Cumulative incidence of progression and death from line 1"
endpoint = "ttp1"

[[figure]]
name = "cif_fig"
type = "cuminc"
endpoint = "ttp1"
ci = true
"#;

fn write(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let p = dir.join("study.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn cuminc_table_and_figure_come_from_the_layer() {
    let tmp = tempfile::tempdir().unwrap();
    let study = write(tmp.path(), STUDY);
    let out = tmp.path().join("out");
    run(&study, &out, &common::opts()).unwrap();
    let s: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let cif = &s["cif"];
    let groups = cif["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{groups:?}");
    let n: u64 = groups.iter().map(|g| g["n"].as_u64().unwrap()).sum();
    assert_eq!(n, cif["analysed"].as_u64().unwrap());
    for g in groups {
        let ev: u64 = g["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_u64().unwrap())
            .sum();
        assert_eq!(
            ev + g["censored"].as_u64().unwrap(),
            g["n"].as_u64().unwrap()
        );
    }
    // Gray's test for both causes, with its p printed in the table.
    let gray = cif["gray"].as_array().unwrap();
    assert_eq!(gray.len(), 2, "{gray:?}");
    let p = gray[0]["p"].as_f64().unwrap();
    assert!(p > 0.0 && p <= 1.0);
    let csv = std::fs::read_to_string(out.join("tables/cif.csv")).unwrap();
    assert!(csv.contains("Progression"), "{csv}");
    assert!(csv.contains("Death without progression"), "{csv}");
    // The 12-month incidence of progression in the first group, as a percent.
    let first = &cif["curves"][0];
    assert_eq!(first["cause_code"], 1);
    let f12 = first["at_times"][0]["estimate"].as_f64().unwrap();
    assert!(
        csv.contains(&format!("{:.1} (", 100.0 * f12)),
        "{f12} in\n{csv}"
    );
    let svg = std::fs::read_to_string(out.join("figures/cif_fig.svg")).unwrap();
    assert!(svg.contains("Cumulative incidence"));
    assert!(svg.contains("class=\"at-risk\""));
    assert!(svg.contains("Gray"));
}

#[test]
fn cuminc_needs_a_progression_endpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let text = STUDY
        .replace("type = \"ttp\"", "type = \"os\"")
        .replace("from = \"line:1\"", "from = \"metastatic\"");
    let study = write(tmp.path(), &text);
    let e = netra_study::Study::read(&study).unwrap_err().to_string();
    assert!(e.contains("not a ttp or pfs endpoint"), "{e}");
    let text = STUDY.replace("ci = true", "median = true");
    let study = write(tmp.path(), &text);
    let e = netra_study::Study::read(&study).unwrap_err().to_string();
    assert!(e.contains("median"), "{e}");
}
