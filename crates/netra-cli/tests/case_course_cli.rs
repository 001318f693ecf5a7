//! Issue 15, "Done when": the complete course of a gastrinoma of the kind
//! the issue describes (resection, octreotide LAR i.m., interferon-alpha
//! s.c., TACE, radiofrequency and microwave ablation, ¹²⁵I seeds over five
//! years) is recorded without notes-only workarounds
//! (`examples/case-gastrinoma`, one invented patient), shows every concept
//! in `netra patient show`, derives its lines and endpoints (dates known as
//! ranges imputed within their bounds), and goes through an OMOP CDM export
//! into a fresh registry unchanged.

mod common;

use std::path::{Path, PathBuf};

use common::{ok, repo, s};
use serde_json::Value;

fn bundle() -> PathBuf {
    repo().join("examples/case-gastrinoma/bundle")
}

/// A fresh registry holding the case (imported into `db`).
fn registry(db: &Path) {
    ok(&["init", "--db", s(db)]);
    let out = ok(&["import", s(&bundle()), "--db", s(db), "--user", "test"]);
    assert!(out.contains("127 change(s)"), "{out}");
}

#[test]
fn no_concept_of_the_case_is_kept_in_a_notes_column() {
    for entry in std::fs::read_dir(bundle()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let header = text.lines().next().unwrap_or_default();
        assert!(
            !header.split(',').any(|c| c == "notes"),
            "{}: {header}",
            path.display()
        );
    }
}

#[test]
fn the_case_report_shows_every_concept_of_the_course() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("case.db");
    registry(&db);
    let report = ok(&["patient", "show", "G1", "--db", s(&db)]);
    for shown in [
        // grading as reported, with its system, beside the derived WHO 2019 grade
        "3 mitoses/10 HPF, WHO 2010 (digestive) G2 (reported)",
        "WHO 2019 NET G2",
        // immunohistochemistry and genetics
        "somatostatin receptor 2 (SSTR2A) positive (80% of cells, Volante score (0–3) 3)",
        "synaptophysin positive",
        "germline MEN1: no pathogenic variant",
        "somatic (tumour) MEN1: pathogenic variant c.1546dupC (tumour 1)",
        "MGMT: promoter unmethylated",
        // qualitative and routine laboratory results with reference ranges
        "Marker: CEA normal (within the reference range)",
        "Marker: creatinine 72 umol/L (reference 45–90)",
        "Marker: platelets 245 10*9/L (reference 150–400)",
        // route, formulation and dose units; local treatments and their targets
        "octreotide long-acting release (LAR) 30 mg intramuscular every 28 days",
        "interferon-alpha 3 MIU subcutaneous every 2 days",
        "doxorubicin 50 mg intra-arterial + embolic particles intra-arterial",
        "aimed at liver lesions L1, L2",
        "Radiofrequency ablation [T7]; aimed at liver lesion L3",
        "Microwave ablation [T8]; aimed at liver lesion L2",
        "¹²⁵I seeds 0.8 mCi intratumoural; aimed at liver lesion L1; started (date between \
         2013-06-03 and 2013-06-21)",
        // dates known as ranges
        "died 2014-04 (date between 2014-04-08 and 2014-04-20)",
        // adverse events (CTCAE v5), quality of life, comorbidities
        "Adverse event AE1: Flu like symptoms grade 2, definite relation to T4",
        "Adverse event AE2: Fatigue grade 3",
        "EORTC QLQ-C30: 30 items answered",
        "summary score 86.9",
        "EORTC QLQ-GI.NET21: 21 items answered",
        "peptic ulcer disease since 2008 (Charlson index 2)",
    ] {
        assert!(report.contains(shown), "missing «{shown}» in:\n{report}");
    }
}

#[test]
fn lines_and_endpoints_of_the_case_are_derived_with_ranges_imputed_within_their_bounds() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("case.db");
    registry(&db);
    let lines: Value =
        serde_json::from_str(&ok(&["lines", "--db", s(&db), "--format", "json"])).unwrap();
    let patient = &lines["patients"][0];
    let summary: Vec<(String, String, String)> = patient["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["regimen"].as_str().unwrap().to_string(),
                l["best_response"].as_str().unwrap_or("-").to_string(),
                l["ttp"]["end_date"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Interferon added to octreotide makes line 2; both progress at the new
    // liver lesion of 2012-09-10.
    assert_eq!(
        summary,
        [
            ("octreotide".into(), "SD".into(), "2012-09-10".into()),
            ("interferon_alpha".into(), "PR".into(), "2012-09-10".into()),
        ]
    );
    let local: Vec<(&str, &str)> = patient["local"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["type"].as_str().unwrap(),
                t["start_date"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        local,
        [
            ("surgery", "2009-04-02"),
            ("tace", "2011-05-10"),
            ("tace", "2011-08-16"),
            ("rfa", "2012-02-07"),
            ("microwave_ablation", "2012-10-09"),
            // "2013-06", between the 3rd and the 21st: the middle of the bounds
            ("seed_implantation", "2013-06-12"),
        ]
    );
    // Death "2014-04", between the 8th and the 20th: the 14th.
    let os = ok(&[
        "endpoints",
        "--endpoint",
        "os",
        "--from",
        "diagnosis",
        "--units",
        "days",
        "--format",
        "csv",
        "--db",
        s(&db),
    ]);
    assert!(
        os.contains("G1,NA,os,diagnosis,NA,1861,1,days,2009-03-10,2014-04-14,death,1"),
        "{os}"
    );
}

#[test]
fn the_case_goes_through_omop_into_a_fresh_registry_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a.db"), tmp.path().join("b.db"));
    let omop = tmp.path().join("omop");
    registry(&a);
    ok(&["export", "--omop", s(&omop), "--db", s(&a)]);
    ok(&["init", "--db", s(&b)]);
    ok(&[
        "import",
        "omop",
        s(&omop),
        "--db",
        s(&b),
        "--user",
        "test",
        "--reason",
        "OMOP",
    ]);
    // Every line of the case report but the study's (an OMOP extract names
    // no study): agents' routes of a TACE, target lesions, date ranges,
    // stains, genes, laboratory results, AEs, questionnaires.
    let report = |db: &Path| -> Vec<String> {
        ok(&["patient", "show", "G1", "--db", s(db)])
            .lines()
            .filter(|l| !l.starts_with("Site "))
            .map(str::to_owned)
            .collect()
    };
    let (ra, rb) = (report(&a), report(&b));
    assert!(ra.len() > 60, "{ra:?}");
    assert_eq!(ra, rb);
    let lines = |db: &Path| ok(&["lines", "--db", s(db), "--format", "json"]);
    assert_eq!(lines(&a), lines(&b));
    for endpoint in ["os", "pfs", "ttp"] {
        let from = if endpoint == "os" {
            "diagnosis"
        } else {
            "line:all"
        };
        let rows = |db: &Path| {
            ok(&[
                "endpoints",
                "--endpoint",
                endpoint,
                "--from",
                from,
                "--units",
                "days",
                "--format",
                "csv",
                "--db",
                s(db),
            ])
        };
        assert_eq!(rows(&a), rows(&b), "{endpoint}");
    }
}
