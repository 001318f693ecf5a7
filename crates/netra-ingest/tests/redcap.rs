//! The synthetic REDCap NET project (tests/fixtures/redcap: dictionary,
//! records with events, repeating instruments and a checkbox, mapping)
//! converted and imported into a fresh SQLite registry through the store's
//! one import path; malformed variants refused with the precise message and
//! nothing written; an edited export re-imported.
//!
//! Hand-computed endpoints (days between the imputation-free dates):
//! * NET-101: OS from diagnosis 2015-03-10 to last follow-up 2019-06-30,
//!   alive: 1573 days, censored. Line 1 = lanreotide from 2015-04-01 (the
//!   surgery-free course); the lesion L1 grows 38 → 52 mm (+37 %, +14 mm)
//!   and the investigator says PD on 2017-02-10: PFS = TTP = 681 days,
//!   event.
//! * NET-102: OS from 2012-06-15 to death on 2014-08-30: 806 days, event.
//!   Line 1 = octreotide from 2013-02-01 (the 2012 resection is local, not
//!   a line); no progression, death on 2014-08-30: PFS 575 days, event; TTP
//!   censored at the last adequate scan 2013-09-01: 212 days.
//! * NET-103: OS from 2018-05-02 to 2020-01-15, alive: 623 days; no
//!   treatment, so no line-1 row.

use std::path::PathBuf;

use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero, derive_cohort};
use netra_clinical::lines::LineRules;
use netra_clinical::registry::schema::Entity;
use netra_ingest::redcap::{Input, convert};
use netra_ingest::{Converted, Issues};
use netra_store::{Actor, AuditQuery, Bundle, CourseFilter, ImportOptions, Location, Registry};

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/redcap")
        .join(name);
    std::fs::read_to_string(&p).unwrap()
}

/// Converts the fixture with `edit` applied to the records and `edit_map`
/// to the mapping.
fn convert_with(
    edit: impl Fn(String) -> String,
    edit_map: impl Fn(String) -> String,
) -> Result<Converted, Issues> {
    let dict = fixture("dictionary.csv");
    let records = edit(fixture("records.csv"));
    let mapping = edit_map(fixture("mapping.toml"));
    convert(
        Input {
            name: "dictionary.csv",
            bytes: dict.as_bytes(),
        },
        Input {
            name: "records.csv",
            bytes: records.as_bytes(),
        },
        Input {
            name: "mapping.toml",
            bytes: mapping.as_bytes(),
        },
    )
}

fn bundle_of(c: &Converted) -> Bundle {
    let mut b = Bundle::new();
    for t in c.tables.iter().filter(|t| !t.rows.is_empty()) {
        b.add_converted(
            t.entity,
            &c.table_name(t.entity),
            &t.to_csv(),
            t.lines.clone(),
        )
        .unwrap();
    }
    b
}

fn opts(dry_run: bool) -> ImportOptions {
    ImportOptions {
        actor: Actor {
            user: "test".into(),
            reason: Some("REDCap import".into()),
        },
        dry_run,
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn fresh() -> (Registry, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = Registry::init(&Location::Sqlite(dir.path().join("netra.db")))
        .await
        .unwrap();
    (r, dir)
}

fn count(r: &netra_store::ImportReport, e: Entity) -> (usize, usize, usize) {
    let c = r.entities.iter().find(|c| c.entity == e).unwrap();
    (c.inserted, c.updated, c.unchanged)
}

fn endpoint(
    courses: &[netra_clinical::registry::model::PatientCourse],
    e: Endpoint,
    from: TimeZero,
) -> Vec<(String, i32, bool)> {
    derive_cohort(courses, &EndpointSpec::new(e, from), &LineRules::default())
        .rows
        .into_iter()
        .map(|r| (r.patient, r.days, r.event))
        .collect()
}

#[test]
fn the_synthetic_project_imports_with_hand_computed_endpoints() {
    let c = convert_with(|s| s, |s| s).unwrap();
    rt().block_on(async {
        let (reg, _dir) = fresh().await;
        let report = reg
            .import_bundle(&bundle_of(&c), &opts(false))
            .await
            .unwrap();
        assert_eq!(count(&report, Entity::Patient), (3, 0, 0));
        assert_eq!(count(&report, Entity::Tumour), (3, 0, 0));
        // the checkbox: liver + nodes (101), liver (102), nothing (103)
        assert_eq!(count(&report, Entity::Metastasis), (3, 0, 0));
        assert_eq!(count(&report, Entity::Treatment), (4, 0, 0));
        // the resection has no agent
        assert_eq!(count(&report, Entity::TreatmentAgent), (3, 0, 0));
        assert_eq!(count(&report, Entity::Assessment), (5, 0, 0));
        assert_eq!(count(&report, Entity::Lesion), (5, 0, 0));
        let courses = reg.courses(&CourseFilter::default()).await.unwrap();
        let p = courses
            .iter()
            .find(|c| c.patient.code == "NET-102")
            .unwrap();
        assert_eq!(
            p.patient.notes.as_deref(),
            Some("Died at home, \"peacefully\"")
        );
        assert_eq!(
            endpoint(&courses, Endpoint::Os, TimeZero::Diagnosis),
            vec![
                ("NET-101".into(), 1573, false),
                ("NET-102".into(), 806, true),
                ("NET-103".into(), 623, false)
            ]
        );
        assert_eq!(
            endpoint(&courses, Endpoint::Pfs, TimeZero::Line(1)),
            vec![("NET-101".into(), 681, true), ("NET-102".into(), 575, true)]
        );
        assert_eq!(
            endpoint(&courses, Endpoint::Ttp, TimeZero::Line(1)),
            vec![
                ("NET-101".into(), 681, true),
                ("NET-102".into(), 212, false)
            ]
        );
        // importing the same export again changes nothing
        let again = reg
            .import_bundle(&bundle_of(&c), &opts(false))
            .await
            .unwrap();
        assert_eq!(again.audit_entries, 0);
        assert_eq!(count(&again, Entity::Lesion), (0, 0, 5));
        reg.close().await;
    });
}

/// The messages of a refused conversion.
fn refused(edit: impl Fn(String) -> String, edit_map: impl Fn(String) -> String) -> Vec<String> {
    match convert_with(edit, edit_map) {
        Ok(_) => panic!("the variant was accepted"),
        Err(is) => is.list.iter().map(|i| i.to_string()).collect(),
    }
}

#[test]
fn an_unknown_choice_code_is_refused_with_file_line_and_field() {
    // record 103's primary site coded 7, which the dictionary does not have
    let m = refused(
        |s| s.replace("2018-05-02,,,2,4,1,1,1", "2018-05-02,,,2,7,1,1,1"),
        |s| s,
    );
    assert_eq!(
        m,
        vec![
            "records.csv, line 20, column 11 (prim_site): unknown choice code of prim_site (the dictionary's codes: 1, 2, 3, 4, 9) (value '7')"
        ]
    );
    // a code of the dictionary the mapping does not translate
    let m = refused(
        |s| s.replace("2018-05-02,,,2,4,1,1,1", "2018-05-02,,,2,9,1,1,1"),
        |s| s.replace(", \"9\" = \"unknown\"", ""),
    );
    assert_eq!(
        m,
        vec![
            "records.csv, line 20, column 11 (prim_site): choice '9' (Unknown) of prim_site has no registry code in the mapping (add it to choices, or map it to \"\" for not recorded) (value '9')"
        ]
    );
}

#[test]
fn repeating_instance_gaps_and_duplicates_are_refused() {
    let gap = refused(
        |s| {
            s.replace(
                "101,baseline_arm_1,treatments,2,",
                "101,baseline_arm_1,treatments,3,",
            )
        },
        |s| s,
    );
    assert_eq!(
        gap,
        vec![
            "records.csv, line 4, column 4 (redcap_repeat_instance): instance 2 of treatments for record 101, event baseline_arm_1 missing before this one (instances are numbered 1, 2, … without a gap) (value '3')"
        ]
    );
    let dup = refused(
        |s| {
            s.replace(
                "101,baseline_arm_1,assessments,3,",
                "101,baseline_arm_1,assessments,2,",
            )
        },
        |s| s,
    );
    assert_eq!(
        dup,
        vec![
            "records.csv, line 7, column 4 (redcap_repeat_instance): instance 2 of assessments for record 101, event baseline_arm_1 appears twice (first on line 6) (value '2')"
        ]
    );
}

#[test]
fn a_date_in_the_wrong_format_is_refused_and_repeats_are_collapsed() {
    let m = refused(
        |s| {
            s.replace("2015-03-20", "20/03/2015")
                .replace("2013-01-25", "25/01/2013")
        },
        |s| s,
    );
    assert_eq!(
        m,
        vec![
            "records.csv, line 5, column 28 (asmt_date): not a date in the export's format YYYY-MM-DD ([source] date_format = \"ymd\") (value '20/03/2015')",
            "records.csv, line 15, column 28 (asmt_date): not a date in the export's format YYYY-MM-DD ([source] date_format = \"ymd\") (value '25/01/2013')"
        ]
    );
    // the same wrong code in several rows: one message with a count
    let m = refused(|s| s.replace(",L1,1,1,", ",L1,7,1,"), |s| s);
    assert_eq!(
        m,
        vec![
            "records.csv, line 8, column 35 (les_organ): unknown choice code of les_organ (the dictionary's codes: 1, 2, 3, 4) (and 4 more rows with the same value, the last on line 18) (value '7')"
        ]
    );
}

#[test]
fn an_unmapped_required_column_is_refused() {
    let m = refused(
        |s| s,
        |s| {
            s.replace(
                "primary_site = { field = \"prim_site\"",
                "# primary_site = { field = \"prim_site\"",
            )
        },
    );
    assert_eq!(
        m,
        vec![
            "mapping.toml, table 2 (tumours), column primary_site: the required column 'primary_site' of tumours.csv is not mapped"
        ]
    );
    let m = refused(
        |s| s,
        |s| s.replace("ki67_percent = \"ki67\"", "ki67_percent = \"ki_67\""),
    );
    assert_eq!(
        m,
        vec![
            "mapping.toml, table 2 (tumours), column ki67_percent: 'ki_67' is not a field of the data dictionary"
        ]
    );
}

#[test]
fn a_registry_rule_broken_in_the_export_is_refused_at_the_source_line_and_nothing_is_written() {
    // death before diagnosis: converted fine, refused by the store's checks
    let c = convert_with(
        |s| s.replace("2014-08-30,1,2014-08-30", "2014-08-30,1,2011-08-30"),
        |s| s,
    )
    .unwrap();
    rt().block_on(async {
        let (reg, _dir) = fresh().await;
        let err = reg
            .import_bundle(&bundle_of(&c), &opts(false))
            .await
            .unwrap_err();
        let netra_store::StoreError::Invalid(ps) = err else {
            panic!("{err}")
        };
        let p = ps
            .list
            .iter()
            .find(|p| p.column.as_deref() == Some("death_date"))
            .unwrap();
        assert_eq!(p.line, Some(12), "{p}");
        let at = c.locate(&p.file, p.column.as_deref()).unwrap();
        assert_eq!(at.file, "records.csv");
        assert_eq!(at.origin, Some((41, "dod".to_string())));
        assert!(reg.counts().await.unwrap().iter().all(|(_, n)| *n == 0));
        reg.close().await;
    });
}

#[test]
fn an_edited_export_updates_only_what_changed() {
    let first = convert_with(|s| s, |s| s).unwrap();
    let edited = convert_with(
        |s| {
            // a later follow-up (changed), a third treatment (added), a
            // lesion re-measured (changed)
            s.replace("2019-06-30,0", "2020-01-31,0")
                .replace(
                    "101,followup_arm_1",
                    &format!(
                        "101,baseline_arm_1,treatments,3{}3,4,10,mg,2018-01-10,,,1{}\n101,followup_arm_1",
                        ",".repeat(16),
                        ",".repeat(17)
                    ),
                )
                .replace(",3,L1,1,1,52,", ",3,L1,1,1,53,")
        },
        |s| s,
    )
    .unwrap();
    rt().block_on(async {
        let (reg, _dir) = fresh().await;
        let one = reg
            .import_bundle(&bundle_of(&first), &opts(false))
            .await
            .unwrap();
        let dry = reg
            .import_bundle(&bundle_of(&edited), &opts(true))
            .await
            .unwrap();
        assert_eq!(count(&dry, Entity::Patient), (0, 1, 2));
        assert_eq!(count(&dry, Entity::Treatment), (1, 0, 4));
        assert_eq!(count(&dry, Entity::TreatmentAgent), (1, 0, 3));
        assert_eq!(count(&dry, Entity::Lesion), (0, 1, 4));
        let two = reg
            .import_bundle(&bundle_of(&edited), &opts(false))
            .await
            .unwrap();
        assert_eq!(two.audit_entries, 4, "one audit entry per change");
        let log = reg.audit_log(&AuditQuery::default()).await.unwrap();
        assert_eq!(log.len() as u64, one.audit_entries + 4);
        reg.close().await;
    });
}

#[test]
fn a_suggested_mapping_parses_and_lists_what_it_could_not_match() {
    let dict = fixture("dictionary.csv");
    let d = netra_ingest::dictionary::Dictionary::parse("dictionary.csv", dict.as_bytes()).unwrap();
    let text = netra_ingest::suggest::suggest(&d);
    std::fs::write(std::env::temp_dir().join("netra-suggest.toml"), &text).unwrap();
    netra_ingest::mapping::Mapping::parse("draft.toml", &text).unwrap();
    for line in [
        "\"1\" = \"pancreas\"   # Pancreas",
        "# \"2\" = \"\"   # unmapped choice: Small intestine (jejunum/ileum) (no registry code found)",
        "birth_date = \"dob\"   # Date of birth",
        "\"8\" = \"lost_to_follow_up\"   # Lost to follow-up",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
}
