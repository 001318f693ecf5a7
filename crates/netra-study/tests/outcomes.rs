//! Issue 16's response outcomes on the radionuclide study
//! (examples/studies/radionuclide.toml over examples/radionuclide-2004):
//! the composite "therapy beneficial" against the paper's count, the
//! duration of stable disease against R's `survfit` on the published
//! durations, and the marker response of the published percent changes.
//! Fixtures: validation/r/response_outcomes.R.

mod common;

use std::path::{Path, PathBuf};

use netra_study::run;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> Value {
    let p = repo().join(format!("validation/fixtures/response_outcomes/{name}.json"));
    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
}

fn close(got: &Value, want: &Value, tol: f64) {
    let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
    assert!((g - w).abs() <= tol * w.abs().max(1.0), "{g} vs {w}");
}

/// The CSV record whose first cell starts with `starts`.
fn csv_row(text: &str, starts: &str) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    r.records()
        .map(|x| x.unwrap())
        .find(|x| x[0].trim_start().starts_with(starts))
        .unwrap_or_else(|| panic!("no row '{starts}' in\n{text}"))
        .iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn radionuclide_composite_outcome_durations_and_markers_agree_with_the_paper_and_r() {
    let out = tempfile::tempdir().unwrap();
    let study = repo().join("examples/studies/radionuclide.toml");
    run(&study, out.path(), &common::opts()).unwrap();
    let read = |p: &str| std::fs::read_to_string(out.path().join(p)).unwrap();

    // The composite outcome: 14 of the 19 analysed patients of group A, as
    // published ("Beneficial" in the paper's per-patient table).
    let b = fixture("beneficial");
    assert_eq!(b["analysed"], 19);
    assert_eq!(b["beneficial"], 14);
    let table = read("tables/benefit.csv");
    let row = csv_row(&table, "Beneficial");
    assert_eq!(row[1], "14 (73.7%)", "{row:?}");
    let row = csv_row(&table, "Not beneficial");
    assert_eq!(row[1], "5 (26.3%)", "{row:?}");

    // Duration of stable disease: R's survfit median and log interval.
    let d = fixture("durations");
    let out_d: Value = serde_json::from_str(&read("analyses/durations.json")).unwrap();
    let sd = &out_d["stable_disease"];
    assert_eq!(sd["n"], d["n"]);
    assert_eq!(sd["events"], d["events"]);
    let g = &sd["summary"]["groups"][0];
    close(&g["median"], &d["median"], 1e-9);
    close(&g["median_lower"], &d["lower"], 1e-9);
    assert_eq!(g["median_upper"], Value::Null);
    assert_eq!(d["upper"], Value::Null);
    // Duration of response: patient 18's partial response, from the
    // 3-month assessment (2000-04-01, day 91) to its end after 18 months
    // (day 548): 457 days.
    let r = &out_d["response"];
    assert_eq!(r["n"], 1);
    assert_eq!(r["events"], 1);
    close(
        &r["summary"]["groups"][0]["median"],
        &Value::from(457.0 / 30.4375),
        1e-12,
    );

    // The published biologic responses: NSE -37% (patient 2), 5-HIAA -48%
    // and -58% (patients 11, 12).
    let m: Value = serde_json::from_str(&read("analyses/markers.json")).unwrap();
    let by: Vec<(&str, &Value)> = m["markers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["marker"].as_str().unwrap(), &x["overall"]))
        .collect();
    assert_eq!(by.len(), 2, "{m}");
    let hiaa = by.iter().find(|(k, _)| *k == "urinary_5hiaa").unwrap().1;
    assert_eq!(hiaa["evaluable"], 2);
    assert_eq!(hiaa["falls"][0]["rate"]["count"], 2);
    assert_eq!(hiaa["falls"][1]["rate"]["count"], 1);
    close(&hiaa["median_change"], &Value::from(-53.0), 1e-12);
    let nse = by.iter().find(|(k, _)| *k == "nse").unwrap().1;
    assert_eq!(nse["falls"][0]["rate"]["count"], 1);
    assert_eq!(nse["falls"][1]["rate"]["count"], 0);
}

const LESION_STUDY: &str = r#"[study]
title = "Lesions"

[data]
simulate = { patients = 300, seed = 5 }
study = "sim"

[[analysis]]
name = "lesions"
id = "lesions"
request = { roles = ["target"] }

[[figure]]
name = "wf"
type = "waterfall"
analysis = "lesions"
title = "Best change of each target lesion, by site"
"#;

#[test]
fn lesion_waterfall_by_site_draws_one_bar_per_followed_lesion_coloured_by_site() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("lesions.toml");
    std::fs::write(&study, LESION_STUDY).unwrap();
    let out = dir.path().join("out");
    run(&study, &out, &common::opts()).unwrap();
    let a: Value =
        serde_json::from_slice(&std::fs::read(out.join("analyses/lesions.json")).unwrap()).unwrap();
    let followed: Vec<&Value> = a["lesions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| !l["best_change"].is_null())
        .collect();
    assert!(followed.len() > 20, "{}", followed.len());
    let sites = a["sites"].as_array().unwrap();
    assert!(sites.len() >= 2, "{a}");
    assert_eq!(
        sites
            .iter()
            .map(|s| s["followed"].as_u64().unwrap())
            .sum::<u64>(),
        followed.len() as u64
    );
    let svg = std::fs::read_to_string(out.join("figures/wf.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let bars: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("bar"))
        .collect();
    assert_eq!(bars.len(), followed.len());
    // One colour per site, and each bar's class is its lesion's site.
    let mut fills: Vec<&str> = bars.iter().map(|b| b.attribute("fill").unwrap()).collect();
    fills.sort_unstable();
    fills.dedup();
    let with_bars = sites
        .iter()
        .filter(|s| s["followed"].as_u64() > Some(0))
        .count();
    assert_eq!(fills.len(), with_bars);
    let labels: Vec<&str> = sites.iter().map(|s| s["label"].as_str().unwrap()).collect();
    for b in &bars {
        assert!(labels.contains(&b.attribute("data-response").unwrap()));
    }
    // Waterfall order: the largest change first.
    let changes: Vec<f64> = bars
        .iter()
        .map(|b| b.attribute("data-change").unwrap().parse().unwrap())
        .collect();
    assert!(changes.windows(2).all(|w| w[0] >= w[1]));
}
