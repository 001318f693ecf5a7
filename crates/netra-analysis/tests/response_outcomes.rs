//! Issue 16's response outcomes on hand-built courses: the biochemical
//! response (variables `marker_*` and the `markers` analysis) against R
//! (validation/r/response_outcomes.R: the changes, normalisation and the
//! binom.test intervals computed there from the raw values), per-lesion
//! changes by site worked out by hand, and the outcome variables that
//! composite outcomes are built from.

use netra_analysis::analyses::run_json;
use netra_analysis::variables::Column;
use netra_analysis::{Cohort, CohortSpec, Settings};
use netra_clinical::registry::date::Day;
use netra_clinical::registry::model::{
    Assessment, Biomarker, Lesion, Patient, PatientCourse, Tumour,
};
use netra_clinical::registry::schema::{Entity, Value as Cell};
use serde_json::{Value, json};

fn row(entity: Entity, cells: &[(&str, &str)]) -> Vec<Cell> {
    let spec = entity.spec();
    let mut r = vec![Cell::Null; spec.columns.len()];
    for (name, text) in cells {
        let i = spec.position(name).unwrap();
        r[i] = spec.columns[i].kind.parse(text).unwrap();
    }
    r
}

/// The date `days` after 2000-01-01 (time zero: study entry).
fn date(days: i64) -> String {
    let d = Day::from_ymd(2000, 1, 1).unwrap().plus_days(days as i32);
    d.to_partial().to_string()
}

fn patient(code: &str) -> PatientCourse {
    PatientCourse::new(
        Patient::from_row(&row(
            Entity::Patient,
            &[
                ("patient", code),
                ("site", "s"),
                ("sex", "female"),
                ("vital_status", "alive"),
                ("entry_date", "2000-01-01"),
            ],
        ))
        .unwrap(),
    )
}

fn fixture(name: &str) -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../../validation/fixtures/response_outcomes/{name}.json"
    ));
    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
}

fn close(got: &Value, want: &Value) {
    let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
    assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{g} vs {w}");
}

/// The fixture's marker samples as courses (chromogranin A), in patient
/// order m1 … m12.
fn marker_courses() -> Vec<PatientCourse> {
    let f = fixture("markers");
    let s = &f["samples"];
    let n = s.as_array().unwrap().len();
    let mut out: Vec<PatientCourse> = Vec::new();
    for i in 0..n {
        let r = &s[i];
        let code = r["patient"].as_str().unwrap();
        if out.last().is_none_or(|c| c.patient.code != code) {
            out.push(patient(code));
        }
        let value = r["value"].as_f64().unwrap().to_string();
        let uln = r["uln"].as_f64().map(|u| u.to_string());
        let day = date(r["day"].as_i64().unwrap());
        let mut cells = vec![
            ("patient", code),
            ("marker", "chromogranin_a"),
            ("date", day.as_str()),
            ("value", value.as_str()),
            ("unit", "ug/L"),
        ];
        if let Some(u) = &uln {
            cells.push(("upper_limit", u.as_str()));
        }
        out.last_mut()
            .unwrap()
            .biomarkers
            .push(Biomarker::from_row(&row(Entity::Biomarker, &cells)).unwrap());
    }
    out
}

#[test]
fn marker_response_rates_and_variables_equal_r() {
    let f = fixture("markers");
    let courses = marker_courses();
    let codes: Vec<String> = courses.iter().map(|c| c.patient.code.clone()).collect();
    let cohort = Cohort::new(courses, &CohortSpec::default(), Settings::default()).unwrap();
    let out = run_json(&cohort, "markers", json!({})).unwrap();
    let markers = out["markers"].as_array().unwrap();
    assert_eq!(markers.len(), 1, "only chromogranin A was measured");
    let m = &markers[0];
    assert_eq!(m["marker"], "chromogranin_a");
    assert_eq!(m["with_baseline"], f["with_baseline"]);
    let o = &m["overall"];
    assert_eq!(o["evaluable"], f["evaluable"]);
    for (k, name) in [(0, "fall_20"), (1, "fall_50")] {
        let got = &o["falls"][k]["rate"];
        assert_eq!(got["count"], f[name]["count"], "{name}");
        for x in ["estimate", "lower", "upper"] {
            close(&got[x], &f[name][x]);
        }
    }
    assert_eq!(o["above_uln"], f["normalised"]["n"]);
    for x in ["estimate", "lower", "upper"] {
        close(&o["normalised"][x], &f["normalised"][x]);
    }
    assert_eq!(o["normalised"]["count"], f["normalised"]["count"]);
    close(&o["median_change"], &f["median_change"]);

    // The per-patient variable: R's change for each evaluable patient,
    // missing for the others (m6: one sample; m12: first sample 45 days
    // after entry, no baseline).
    let Column::Num(change) = &cohort
        .variable("marker_change.chromogranin_a")
        .unwrap()
        .column
    else {
        panic!("a number")
    };
    for (code, c) in codes.iter().zip(change) {
        match f["changes"].get(code) {
            Some(w) => close(&Value::from(c.unwrap()), w),
            None => assert_eq!(*c, None, "{code}"),
        }
    }
    let level = |name: &str, code: &str| -> Option<String> {
        let i = codes.iter().position(|c| c == code).unwrap();
        match &cohort.variable(name).unwrap().column {
            Column::Cat { levels, codes } => codes[i].map(|k| levels[k].code.clone()),
            Column::Num(_) => panic!("{name} is categorical"),
        }
    };
    // m1 -77.5%, m9 -25%, m2 -12.5%, m11 +0.4%.
    assert_eq!(
        level("marker_response.chromogranin_a", "m1").as_deref(),
        Some("fall_50")
    );
    assert_eq!(
        level("marker_response.chromogranin_a", "m9").as_deref(),
        Some("fall_20")
    );
    assert_eq!(
        level("marker_response.chromogranin_a", "m2").as_deref(),
        Some("none")
    );
    assert_eq!(
        level("marker_response.chromogranin_a", "m11").as_deref(),
        Some("none")
    );
    assert_eq!(
        level("marker_response.best", "m9").as_deref(),
        Some("fall_20")
    );
    // Normalised: m1 (400 → 90, limit 100); not m3 (300 → 290); m2 never
    // above its limit; m7 without limits.
    assert_eq!(
        level("marker_normalised.chromogranin_a", "m1").as_deref(),
        Some("yes")
    );
    assert_eq!(
        level("marker_normalised.chromogranin_a", "m3").as_deref(),
        Some("no")
    );
    assert_eq!(level("marker_normalised.chromogranin_a", "m2"), None);
    assert_eq!(level("marker_normalised.chromogranin_a", "m7"), None);

    // As a grouping (the response tables' `by`) and with other thresholds.
    let by = run_json(
        &cohort,
        "markers",
        json!({"thresholds": [30], "by": "marker_normalised.chromogranin_a"}),
    )
    .unwrap();
    let g = &by["markers"][0]["groups"];
    assert_eq!(g[0]["label"], "No");
    assert_eq!(g[1]["label"], "Yes");
    assert_eq!(g[1]["evaluable"], 3);
    assert_eq!(g[1]["falls"][0]["rate"]["count"], 3);
    // Bad requests name the field.
    let e = run_json(&cohort, "markers", json!({"thresholds": [120]}))
        .unwrap_err()
        .to_string();
    assert!(e.contains("thresholds"), "{e}");
    let e = run_json(&cohort, "markers", json!({"markers": ["creatinine"]}))
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a tumour marker"), "{e}");
}

fn assessment(c: &mut PatientCourse, id: &str, day: i64, lesions: &[(&str, &str, &str, f64)]) {
    let code = c.patient.code.clone();
    let d = date(day);
    let mut a = Assessment::from_row(&row(
        Entity::Assessment,
        &[
            ("patient", code.as_str()),
            ("assessment", id),
            ("date", d.as_str()),
            ("modality", "ct"),
        ],
    ))
    .unwrap();
    for (lesion, organ, role, mm) in lesions {
        let mm = mm.to_string();
        let size = if *organ == "lymph_node" {
            "short_axis_mm"
        } else {
            "longest_mm"
        };
        a.lesions.push(
            Lesion::from_row(&row(
                Entity::Lesion,
                &[
                    ("patient", code.as_str()),
                    ("assessment", id),
                    ("lesion", lesion),
                    ("organ", organ),
                    ("role", role),
                    (size, mm.as_str()),
                ],
            ))
            .unwrap(),
        );
    }
    c.assessments.push(a);
}

#[test]
fn per_lesion_changes_by_site_in_waterfall_order() {
    // P1: pancreatic primary 40 mm → 30 → 34 (best -25%, last -15%); liver
    // L1 20 → 10 → 12 (best -50%); node N1 short axis 15 → 9 (-40%).
    // P2: liver L1 50 → 60 (+20%); a non-target lesion not followed by
    // default; a lesion seen once (no follow-up).
    let mut p1 = patient("P1");
    p1.tumours.push(
        Tumour::from_row(&row(
            Entity::Tumour,
            &[
                ("patient", "P1"),
                ("tumour", "1"),
                ("primary_site", "pancreas"),
            ],
        ))
        .unwrap(),
    );
    assessment(
        &mut p1,
        "B",
        -10,
        &[
            ("T1", "pancreas", "target", 40.0),
            ("L1", "liver", "target", 20.0),
            ("N1", "lymph_node", "target", 15.0),
        ],
    );
    assessment(
        &mut p1,
        "F1",
        80,
        &[
            ("T1", "pancreas", "target", 30.0),
            ("L1", "liver", "target", 10.0),
            ("N1", "lymph_node", "target", 9.0),
        ],
    );
    assessment(
        &mut p1,
        "F2",
        172,
        &[
            ("T1", "pancreas", "target", 34.0),
            ("L1", "liver", "target", 12.0),
        ],
    );
    let mut p2 = patient("P2");
    assessment(
        &mut p2,
        "B",
        0,
        &[
            ("L1", "liver", "target", 50.0),
            ("X", "bone", "non_target", 30.0),
            ("Y", "lung", "target", 8.0),
        ],
    );
    assessment(
        &mut p2,
        "F1",
        91,
        &[
            ("L1", "liver", "target", 60.0),
            ("X", "bone", "non_target", 10.0),
        ],
    );
    let cohort = Cohort::new(vec![p1, p2], &CohortSpec::default(), Settings::default()).unwrap();
    let out = run_json(&cohort, "lesions", json!({})).unwrap();
    let lesions = out["lesions"].as_array().unwrap();
    let order: Vec<(String, String)> = lesions
        .iter()
        .map(|l| {
            (
                l["patient"].as_str().unwrap().to_string(),
                l["lesion"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    // Largest best change first; the lesion without follow-up last.
    assert_eq!(
        order,
        pairs(&[
            ("P2", "L1"),
            ("P1", "T1"),
            ("P1", "N1"),
            ("P1", "L1"),
            ("P2", "Y")
        ])
    );
    let t1 = &lesions[1];
    assert_eq!(t1["site"], "primary");
    assert_eq!(t1["best_change"], -25.0);
    assert_eq!(t1["last_change"], -15.0);
    assert_eq!(t1["follow_up"].as_array().unwrap().len(), 2);
    assert_eq!(t1["follow_up"][0]["months"], 90.0 / 30.4375);
    assert_eq!(lesions[2]["best_change"], -40.0);
    assert_eq!(lesions[4]["best_change"], Value::Null);
    let sites: Vec<&str> = out["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["site"].as_str().unwrap())
        .collect();
    assert_eq!(sites, ["primary", "liver", "lymph_node", "lung"]);
    let liver = &out["sites"][1];
    assert_eq!(liver["n"], 2);
    assert_eq!(liver["patients"], 2);
    assert_eq!(liver["shrunk"], 1);
    assert_eq!(liver["grew"], 1);
    assert_eq!(liver["median_best_change"], -15.0);
    assert_eq!(out["patients"], 2);
    // All roles: the bone lesion (30 → 10, -66.7%) joins; `primary = false`
    // files the primary's lesion under its organ.
    let all = run_json(&cohort, "lesions", json!({"roles": [], "primary": false})).unwrap();
    assert_eq!(all["lesions"].as_array().unwrap().len(), 6);
    assert!(
        all["sites"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["site"] == "pancreas")
    );
    let only = run_json(&cohort, "lesions", json!({"sites": ["liver"]})).unwrap();
    assert_eq!(only["lesions"].as_array().unwrap().len(), 2);
    let e = run_json(&cohort, "lesions", json!({"roles": ["main"]}))
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a lesion role"), "{e}");
}

#[test]
fn durations_without_lines_are_empty_and_bad_requests_name_their_field() {
    let cohort = Cohort::new(
        marker_courses(),
        &CohortSpec::default(),
        Settings::default(),
    )
    .unwrap();
    let out = run_json(&cohort, "durations", json!({})).unwrap();
    assert_eq!(out["stable_disease"]["n"], 0);
    assert_eq!(out["response"]["n"], 0);
    assert_eq!(out["stable_disease"]["summary"]["groups"][0]["n"], 0);
    assert_eq!(out["censoring"], "last_assessment");
    for (field, request) in [
        ("end", json!({"end": "os"})),
        ("units", json!({"units": "weeks"})),
        ("censoring", json!({"censoring": "never"})),
        ("line", json!({"line": 0})),
    ] {
        let e = run_json(&cohort, "durations", request)
            .unwrap_err()
            .to_string();
        assert!(e.contains(field), "{field}: {e}");
    }
    // The outcome variables exist on every cohort (missing without data).
    let Column::Cat { codes, .. } = &cohort.variable("best_response.line1").unwrap().column else {
        panic!("categorical")
    };
    assert!(codes.iter().all(Option::is_none));
    let Column::Num(n) = &cohort
        .variable("radionuclide_administrations")
        .unwrap()
        .column
    else {
        panic!("a number")
    };
    assert!(n.iter().all(|x| *x == Some(0.0)));
}
