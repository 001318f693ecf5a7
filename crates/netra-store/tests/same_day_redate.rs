//! Issue 13: an assessment re-dated onto the day of another assessment of
//! the same patient, whose lesions it shares, would put two measurements of
//! one lesion on one day (evaluation would have to pick one). The first
//! import and a save with the lesion rows refuse that; these tests hold the
//! paths where the lesion rows are *not* sent with the new date:
//!
//! - a whole re-export re-imported with only the date changed (its
//!   `lesions.csv` equals the stored table, so the import skips loading the
//!   stored lesions by digest and must check the bundle's own rows);
//! - the web's write path, an assessment row saved alone
//!   (`Registry::save_records` / `check_records`);
//! - a bundle of `assessments.csv` alone (also the corrupt bundle
//!   `date_moves_onto_lesion` of `corrupt.rs`).
//!
//! Each is refused naming both assessments, and writes nothing.

mod common;

use common::*;
use netra_clinical::registry::schema::{Entity, Value};
use netra_store::{Bundle, Registry, StoreError};

/// The problems of a refused write, as text.
fn refused(result: Result<netra_store::ImportReport, StoreError>, what: &str) -> Vec<String> {
    match result {
        Err(StoreError::Invalid(p)) => p.list.iter().map(|x| x.to_string()).collect(),
        other => panic!("{what}: expected a refusal, got {other:?}"),
    }
}

/// True when some problem names both assessments and says why.
fn names_both(problems: &[String]) -> bool {
    problems.iter().any(|p| {
        p.contains("'A1'") && p.contains("'A2'") && p.contains("lesion is measured once per day")
    })
}

/// The base registry's assessment A2 of patient P1 with a new date.
fn a2_dated(date: &str) -> Vec<Value> {
    let spec = Entity::Assessment.spec();
    let cells = [
        ("patient", "P1"),
        ("assessment", "A2"),
        ("date", date),
        ("modality", "ct"),
        ("criteria", "recist_1_1"),
        ("treatment", "T2"),
        ("investigator_response", "pr"),
    ];
    spec.columns
        .iter()
        .map(|c| {
            cells
                .iter()
                .find(|(k, _)| *k == c.name)
                .map_or(Value::Null, |(_, v)| Value::Text(v.to_string()))
        })
        .collect()
}

async fn base(backend: &str) -> TestDb {
    let db = TestDb::new(backend).await;
    import_dir(&db.registry, &data("base")).await;
    db
}

/// What `common::snapshot` fingerprints: the export, the audit head and
/// the number of audit entries.
type Snapshot = (Vec<(String, Vec<u8>)>, Option<(i64, String)>, u64);

async fn unchanged(reg: &Registry, before: &Snapshot) {
    assert_eq!(
        &snapshot(reg).await,
        before,
        "the refused write changed the registry"
    );
}

#[tokio::test]
async fn a_reexport_with_one_assessment_redated_onto_another_is_refused() {
    for backend in backends() {
        let db = base(backend).await;
        let reg = &db.registry;
        let dir = tempfile::tempdir().unwrap();
        reg.export_bundle(dir.path()).await.unwrap();
        let path = dir.path().join("assessments.csv");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("2017-06-12"), "{text}");
        // A2 (2017-06-12) moved onto A1's day; lesions.csv is left as
        // exported, so its digest equals the stored table's.
        std::fs::write(&path, text.replace("2017-06-12", "2017-02-10")).unwrap();
        let before = snapshot(reg).await;
        let bundle = Bundle::read_dir(dir.path()).unwrap();
        let problems = refused(reg.import_bundle(&bundle, &opts("tester")).await, backend);
        assert!(names_both(&problems), "{backend}: {problems:#?}");
        unchanged(reg, &before).await;
        // The export itself, re-imported unchanged, is accepted: the
        // refusal is the new date's, not the re-import's.
        let same = tempfile::tempdir().unwrap();
        reg.export_bundle(same.path()).await.unwrap();
        let report = reg
            .import_bundle(&Bundle::read_dir(same.path()).unwrap(), &opts("tester"))
            .await
            .unwrap();
        assert_eq!(report.changes(), 0, "{backend}");
        db.finish().await;
    }
}

#[tokio::test]
async fn an_assessment_saved_alone_with_a_date_onto_another_is_refused() {
    for backend in backends() {
        let db = base(backend).await;
        let reg = &db.registry;
        let who = actor("dm", "date corrected");
        let before = snapshot(reg).await;
        // Month-only: can be A1's day (2017-02-10), whatever the imputation.
        for date in ["2017-02-10", "2017-02"] {
            let rows = [a2_dated(date)];
            let checked = refused(
                reg.check_records(Entity::Assessment, &rows, &[], &who)
                    .await,
                backend,
            );
            assert!(names_both(&checked), "{backend} {date}: {checked:#?}");
            let saved = refused(
                reg.save_records(Entity::Assessment, &rows, &[], &who).await,
                backend,
            );
            assert_eq!(saved, checked, "{backend} {date}");
            assert!(
                saved.iter().any(|p| p.contains("in the registry")),
                "{backend}: the stored measurement is named: {saved:#?}"
            );
            unchanged(reg, &before).await;
        }
        // A date that cannot be A1's day is saved.
        let report = reg
            .save_records(Entity::Assessment, &[a2_dated("2017-05-30")], &[], &who)
            .await
            .unwrap();
        assert_eq!(report.changes(), 1, "{backend}");
        db.finish().await;
    }
}

#[tokio::test]
async fn a_bundle_of_assessments_alone_redating_both_onto_one_day_is_refused() {
    for backend in backends() {
        let db = base(backend).await;
        let reg = &db.registry;
        let dir = tempfile::tempdir().unwrap();
        // Both assessments re-dated, neither with its lesions: A1 later,
        // A2 earlier, onto one month.
        std::fs::write(
            dir.path().join("assessments.csv"),
            "patient,assessment,date,modality,criteria,treatment,investigator_response\n\
             P1,A1,2017-04,ct,recist_1_1,,\n\
             P1,A2,2017-04-20,ct,recist_1_1,T2,pr\n",
        )
        .unwrap();
        let before = snapshot(reg).await;
        let bundle = Bundle::read_dir(dir.path()).unwrap();
        let problems = refused(reg.import_bundle(&bundle, &opts("tester")).await, backend);
        assert!(names_both(&problems), "{backend}: {problems:#?}");
        assert!(
            problems.iter().all(|p| p.starts_with("assessments.csv")),
            "{backend}: {problems:#?}"
        );
        unchanged(reg, &before).await;
        db.finish().await;
    }
}
