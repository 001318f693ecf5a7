//! The paper-layout study (`examples/studies/paper.toml`) runs on the
//! simulated registry, and its treatment tables agree with counts made
//! here independently, straight from the simulated courses: treatment
//! modality after the metastatic diagnosis, whole-course counts and
//! metastasectomies (the patterns table), the same modality groups in
//! the survival table, and the adverse-event table's layout.

mod common;

use std::path::{Path, PathBuf};

use netra_clinical::registry::date::Imputation;
use netra_clinical::registry::model::{PatientCourse, Treatment};
use netra_clinical::registry::vocab::{SurgeryType, TreatmentClass, TreatmentType};
use netra_study::run;

fn study() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/studies/paper.toml")
}

/// The registry the study simulates: 1000 patients, seed 2009, one site.
fn courses() -> Vec<PatientCourse> {
    let cfg = netra_sim::SimConfig {
        patients: 1000,
        seed: 2009,
        study: "sim".into(),
        sites: 1,
        threads: 1,
    };
    (0..cfg.patients)
        .map(|i| netra_sim::generate(netra_sim::Model::published(), &cfg, i))
        .collect()
}

fn day(t: &Treatment) -> Option<i32> {
    t.start_date
        .as_ref()
        .map(|d| d.impute(Imputation::MidPoint).day.0)
}

fn systemic(t: &Treatment) -> bool {
    t.kind.is_systemic()
}

fn local(t: &Treatment) -> bool {
    t.kind.class() == TreatmentClass::Local
}

/// Independent counts: [local only, systemic only, both, neither] after
/// the metastatic diagnosis, and the patients left out as undated.
fn modality(courses: &[PatientCourse]) -> ([u64; 4], u64) {
    let mut n = [0u64; 4];
    let mut undated = 0;
    for c in courses {
        let Some(m) = c.patient.metastatic_date.as_ref() else {
            continue;
        };
        let m = m.impute(Imputation::MidPoint).day.0;
        let counted: Vec<&Treatment> = c
            .treatments
            .iter()
            .filter(|t| systemic(t) || local(t))
            .collect();
        if counted.iter().any(|t| day(t).is_none()) {
            undated += 1;
            continue;
        }
        let after = |f: fn(&Treatment) -> bool| {
            counted
                .iter()
                .any(|t| f(t) && day(t).is_some_and(|d| d >= m))
        };
        let k = match (after(local), after(systemic)) {
            (true, false) => 0,
            (false, true) => 1,
            (true, true) => 2,
            (false, false) => 3,
        };
        n[k] += 1;
    }
    (n, undated)
}

/// The first number of the CSV cell in the row whose first cell starts
/// with `label` (indentation trimmed), column `col`.
fn count(csv: &str, label: &str, col: usize) -> u64 {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_bytes());
    let row = r
        .records()
        .map(|x| x.unwrap())
        .find(|x| x[0].trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no row '{label}' in\n{csv}"));
    row[col]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no count in '{}' ({label})", &row[col]))
}

#[test]
fn the_paper_study_reproduces_independent_treatment_counts() {
    let out = tempfile::tempdir().unwrap();
    let result = run(&study(), out.path(), &common::opts()).unwrap();
    assert_eq!(result.patients, 1000);
    let read = |p: &str| std::fs::read_to_string(out.path().join(p)).unwrap();
    for t in [
        "table1",
        "patterns",
        "os_by_modality",
        "os_by_treatment",
        "adverse_events",
    ] {
        for ext in ["html", "md", "csv", "tex"] {
            assert!(
                out.path().join(format!("tables/{t}.{ext}")).exists(),
                "{t}.{ext}"
            );
        }
    }
    let svg = read("figures/os_modality.svg");
    assert!(svg.contains("Local only") && svg.contains("class=\"at-risk\""));

    let courses = courses();
    let (m, undated) = modality(&courses);
    let patterns = read("tables/patterns.csv");
    assert_eq!(count(&patterns, "Local only", 1), m[0], "{patterns}");
    assert_eq!(count(&patterns, "Systemic only", 1), m[1]);
    assert_eq!(count(&patterns, "Local and systemic", 1), m[2]);
    assert_eq!(count(&patterns, "Neither", 1), m[3]);
    let placed: u64 = m.iter().sum();
    assert!(
        patterns.contains(&format!(
            "Treatment modality after metastatic diagnosis (n = {placed})"
        )),
        "{patterns}"
    );
    assert_eq!(undated > 0, patterns.contains("undated"));
    // Every group is populated in the simulated registry.
    assert!(m.iter().all(|&n| n > 0), "{m:?}");

    let any = |f: fn(&Treatment) -> bool| {
        courses
            .iter()
            .filter(|c| c.treatments.iter().any(f))
            .count() as u64
    };
    assert_eq!(
        count(&patterns, "Any systemic treatment", 1),
        any(systemic),
        "{patterns}"
    );
    assert_eq!(count(&patterns, "Any local treatment", 1), any(local));
    let both = courses
        .iter()
        .filter(|c| c.treatments.iter().any(systemic) && c.treatments.iter().any(local))
        .count() as u64;
    assert_eq!(count(&patterns, "Both systemic and local", 1), both);
    let met = |t: &Treatment| {
        t.kind == TreatmentType::Surgery && t.surgery_type == Some(SurgeryType::Metastasectomy)
    };
    assert_eq!(
        count(&patterns, "Metastasectomy", 1),
        courses
            .iter()
            .filter(|c| c.treatments.iter().any(met))
            .count() as u64
    );

    // The survival table groups by the same modality.
    let km = read("tables/os_by_modality.csv");
    assert_eq!(count(&km, "Local only", 1), m[0], "{km}");
    assert_eq!(count(&km, "Neither", 1), m[3], "{km}");

    // The adverse-event table: grade columns per first-line group.
    let ae = read("tables/adverse_events.csv");
    assert!(
        ae.contains("Grade 3\u{2013}4") && ae.contains("Any adverse event"),
        "{ae}"
    );
    let aes = courses
        .iter()
        .filter(|c| c.adverse_events.iter().any(|e| (1..=5).contains(&e.grade)))
        .count();
    assert!(aes > 0, "the simulated registry records adverse events");
}
