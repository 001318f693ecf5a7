//! Corrupted bundles (crates/netra-store/tests/data/<kind>/), one kind of
//! problem each: the import must report exactly the problems listed in the
//! directory's `expected.txt` (file, line, column, reason, value) and leave
//! the registry exactly as it was (same export, same audit head).
//!
//! Each corrupted bundle is imported into a registry holding `data/base/`,
//! so references to its patients resolve against the database.

mod common;

use common::*;
use netra_store::{Bundle, StoreError};

const KINDS: &[&str] = &[
    "unknown_code",
    "death_before_diagnosis",
    "negative_size",
    "duplicate_patient",
    "dangling_reference",
    "malformed_csv",
    "bad_header",
    "bad_dates",
    "bad_ranges",
    "model_v2_rules",
    "model_v3_rules",
    "after_death",
    "not_radionuclide",
    "lesion_organ",
    "grade_mismatch",
    "conflicts_with_registry",
    "invisible_identifier",
    "lesion_case",
    "future_date",
    "outside_follow_up",
    "ctcae_grade",
    "same_day_lesion",
    "date_moves_onto_lesion",
];

fn problems_of(result: Result<netra_store::ImportReport, StoreError>) -> Vec<String> {
    match result {
        Err(StoreError::Invalid(p)) => {
            let mut v: Vec<String> = p.list.iter().map(|p| p.to_string()).collect();
            if p.more > 0 {
                v.push(format!("… and {} more", p.more));
            }
            v
        }
        other => panic!("expected problems, got {other:?}"),
    }
}

#[tokio::test]
async fn each_corruption_is_reported_precisely_and_changes_nothing() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        import_dir(reg, &data("base")).await;
        let before = snapshot(reg).await;
        for kind in KINDS {
            let dir = data(kind);
            let result = match Bundle::read_dir(&dir) {
                Ok(b) => reg.import_bundle(&b, &opts("tester")).await,
                Err(e) => Err(e),
            };
            let got = problems_of(result);
            let expected_path = dir.join("expected.txt");
            if std::env::var_os("NETRA_BLESS").is_some() && backend == "sqlite" {
                std::fs::write(&expected_path, got.join("\n") + "\n").unwrap();
            }
            let expected = std::fs::read_to_string(&expected_path).unwrap();
            let expected: Vec<&str> = expected.lines().collect();
            assert_eq!(got, expected, "{backend}: {kind}");
            assert_eq!(
                snapshot(reg).await,
                before,
                "{backend}: {kind} changed the registry"
            );
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn problems_are_collected_up_to_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("patient,site,sex,vital_status\n");
    for i in 0..1500 {
        text.push_str(&format!("Q{i},s1,X,alive\n"));
    }
    std::fs::write(dir.path().join("patients.csv"), text).unwrap();
    let b = Bundle::read_dir(dir.path()).unwrap();
    let p = netra_store::validate_bundle(&b);
    // 1500 unknown sex codes and 1500 unknown sites: 1000 kept, 2000 more counted.
    assert_eq!(p.list.len(), 1000);
    assert_eq!(p.more, 2000);
    assert_eq!(p.len(), 3000);
    assert!(p.list[0].to_string().starts_with(
        "patients.csv, line 2, column 3 (sex): unknown code for sex (allowed: male, female, other, unknown) (value 'X')"
    ));
    assert!(
        p.to_string()
            .ends_with("… and 2000 more problem(s) not shown\n")
    );
}

#[tokio::test]
async fn the_documented_example_is_a_valid_bundle() {
    // The "minimal example" of docs/bundle-format.md, file by file.
    let doc = std::fs::read_to_string(repo().join("docs/bundle-format.md")).unwrap();
    let start = doc.find("## A minimal example").unwrap();
    let block = &doc[start..];
    let block = &block[block.find("```\n").unwrap() + 4..];
    let block = &block[..block.find("```").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    for part in block.split("\n\n") {
        let (name, body) = part.split_once('\n').unwrap();
        std::fs::write(
            dir.path().join(name.trim()),
            format!("{}\n", body.trim_end()),
        )
        .unwrap();
    }
    let b = Bundle::read_dir(dir.path()).unwrap();
    assert_eq!(b.counts().len(), 11);
    let p = netra_store::validate_bundle(&b);
    assert!(p.is_empty(), "{p}");
}

/// Issue 13: an adverse-event term that is not in netra's CTCAE v5.0 table
/// (here "Hand-foot syndrome", CTCAE's "Palmar-plantar erythrodysesthesia
/// syndrome") is imported but flagged, with its place in the file.
#[tokio::test]
async fn terms_outside_the_ctcae_table_are_imported_and_flagged() {
    let db = TestDb::new("sqlite").await;
    let report = import_dir(&db.registry, &data("base")).await;
    let flags: Vec<String> = report.flags.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        flags,
        vec![
            "adverse_events.csv, line 2, column 3 (term): not a CTCAE v5.0 term: kept, but its \
             grade is not checked (CTCAE v5.0 records it as 'Palmar-plantar erythrodysesthesia \
             syndrome') (value 'Hand-foot syndrome')"
        ]
    );
    assert_eq!(
        report
            .entities
            .iter()
            .find(|e| e.entity == netra_clinical::registry::Entity::AdverseEvent)
            .map(|e| e.inserted),
        Some(1)
    );
    db.finish().await;
}
