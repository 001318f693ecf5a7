//! Re-imports of a named source (issue 15): the records the source created
//! and no longer has are removed in the import's transaction, one audit
//! entry each, children first; records it did not create are kept; a kept
//! record referring to one that would go refuses the whole import. On
//! SQLite, and on PostgreSQL when `NETRA_TEST_POSTGRES_URL` is set.

mod common;

use common::{TestDb, actor, backends, opts};
use netra_clinical::registry::schema::{Entity, Value};
use netra_store::{
    AuditQuery, Bundle, ImportOptions, Registry, SourceReport, SourceSync, StoreError,
};

const STUDY: &str = "study,title\nt,Test registry\n";
const SITES: &str = "site,study,name,country\ns1,t,Centre 1,FR\n";
const PATIENTS: &str = "patient,site,sex,birth_date,diagnosis_date,vital_status,last_followup_date\n\
P1,s1,female,1956,2015-03-10,alive,2019-06-30\n\
P2,s1,male,1948-07,2009-11-02,alive,2012-03-01\n";
const TREATMENTS: &str = "patient,treatment,type,start_date,end_date\n\
P1,T1,somatostatin_analogue,2015-04-01,2017-02-15\n\
P1,T2,radionuclide,2017-03-01,2017-09-20\n\
P2,T1,targeted,2010-03-01,2011-01-10\n";
const AGENTS: &str = "patient,treatment,agent\n\
P1,T1,lanreotide\n\
P1,T2,lu177_dotatate\n\
P2,T1,everolimus\n";

/// A source's bundle of these tables (lines are the rows' own).
fn bundle(tables: &[(Entity, &str)]) -> Bundle {
    let mut b = Bundle::new();
    for (e, text) in tables {
        let n = text.lines().count() as u64 - 1;
        b.add_converted(*e, e.spec().file, text, (2..2 + n).collect())
            .unwrap();
    }
    b
}

/// A record of `entity` with the given texts, other columns empty.
fn row(entity: Entity, cells: &[(&str, &str)]) -> Vec<Value> {
    let spec = entity.spec();
    let mut v = vec![Value::Null; spec.columns.len()];
    for (c, t) in cells {
        v[spec.position(c).unwrap()] = Value::Text((*t).into());
    }
    v
}

/// A biomarker's value of 310.
fn with_value(mut v: Vec<Value>) -> Vec<Value> {
    v[Entity::Biomarker.spec().position("value").unwrap()] = Value::Real(310.0);
    v
}

fn without(text: &str, prefix: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with(prefix))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn sync(source: &str) -> SourceSync {
    SourceSync {
        source: source.into(),
        file: "export.csv".into(),
        remove_missing: true,
        removals_checked: None,
    }
}

async fn run(reg: &Registry, b: &Bundle, s: &SourceSync, dry: bool) -> SourceReport {
    let o = ImportOptions {
        dry_run: dry,
        ..opts("dm")
    };
    reg.import_from_source(b, &o, s).await.unwrap()
}

fn described(r: &SourceReport) -> Vec<String> {
    r.removed.iter().map(|x| x.description.clone()).collect()
}

fn full(treatments: &str, agents: &str) -> Bundle {
    bundle(&[
        (Entity::Study, STUDY),
        (Entity::Site, SITES),
        (Entity::Patient, PATIENTS),
        (Entity::Treatment, treatments),
        (Entity::TreatmentAgent, agents),
    ])
}

#[tokio::test]
async fn records_the_source_created_and_no_longer_has_are_removed_with_an_audit_entry_each() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        let first = run(reg, &full(TREATMENTS, AGENTS), &sync("redcap-net"), false).await;
        assert!(first.removed.is_empty());
        // A record entered by hand for P1 (no source): never removed.
        reg.upsert_records(
            Entity::Biomarker,
            &[with_value(row(
                Entity::Biomarker,
                &[
                    ("patient", "P1"),
                    ("marker", "chromogranin_a"),
                    ("date", "2016-01-10"),
                    ("unit", "ug/L"),
                ],
            ))],
            &actor("dm", "by hand"),
        )
        .await
        .unwrap();

        // The next export: P1's T2 deleted in the source.
        let next = full(&without(TREATMENTS, "P1,T2"), &without(AGENTS, "P1,T2"));
        let dry = run(reg, &next, &sync("redcap-net"), true).await;
        assert_eq!(
            described(&dry),
            vec![
                "treatment agent (patient 'P1', treatment 'T2', agent 'lu177_dotatate')",
                "treatment (patient 'P1', treatment 'T2')",
            ],
            "{backend}: children first"
        );
        assert_eq!(dry.import.audit_entries, 0);
        assert_eq!(
            dry.not_created,
            vec![(Entity::Biomarker, 1)],
            "{backend}: the hand-entered biomarker is kept and counted"
        );
        let head = reg.audit_head().await.unwrap();
        // Another source with the same rows removes nothing of this one's.
        let other = run(reg, &next, &sync("sheet-net"), true).await;
        assert!(other.removed.is_empty(), "{backend}");
        assert_eq!(
            reg.audit_head().await.unwrap(),
            head,
            "dry runs write nothing"
        );

        let done = run(reg, &next, &sync("redcap-net"), false).await;
        assert_eq!(described(&done), described(&dry));
        assert_eq!(
            done.import.audit_entries, 2,
            "{backend}: one entry per removal"
        );
        let course = reg.patient_course("P1").await.unwrap().unwrap();
        assert_eq!(course.treatments.len(), 1, "{backend}");
        let log = reg
            .audit_log(&AuditQuery {
                limit: Some(2),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            log.iter()
                .map(|e| (
                    e.action.as_str(),
                    e.table_name.as_str(),
                    e.record_key.as_str()
                ))
                .collect::<Vec<_>>(),
            vec![
                (
                    "delete",
                    "treatment_agent",
                    "[\"P1\",\"T2\",\"lu177_dotatate\",\"\"]"
                ),
                ("delete", "treatment", "[\"P1\",\"T2\"]"),
            ],
            "{backend}"
        );
        assert!(
            log[1]
                .old_values
                .as_deref()
                .unwrap()
                .contains("\"start_date\":\"2017-03-01\""),
            "{backend}: the removed row's values are in the trail"
        );
        assert!(reg.verify_audit().await.unwrap().is_intact(), "{backend}");
        assert!(
            reg.verify_state().await.unwrap().is_consistent(),
            "{backend}"
        );
        // Idempotent: the same export again removes nothing.
        let again = run(reg, &next, &sync("redcap-net"), false).await;
        assert!(again.removed.is_empty() && again.import.audit_entries == 0);
        // T2 back in the source: added again, and the source's own again.
        let back = run(reg, &full(TREATMENTS, AGENTS), &sync("redcap-net"), false).await;
        assert_eq!(back.import.changes(), 2, "{backend}");
        let gone = run(reg, &next, &sync("redcap-net"), true).await;
        assert_eq!(gone.removed.len(), 2, "{backend}");
        db.finish().await;
    }
}

#[tokio::test]
async fn a_patient_the_source_no_longer_has_goes_with_its_records_unless_kept() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        run(reg, &full(TREATMENTS, AGENTS), &sync("s"), false).await;
        let next = bundle(&[
            (Entity::Patient, &without(PATIENTS, "P2,")),
            (Entity::Treatment, &without(TREATMENTS, "P2,")),
            (Entity::TreatmentAgent, &without(AGENTS, "P2,")),
        ]);
        let kept = run(
            reg,
            &next,
            &SourceSync {
                remove_missing: false,
                ..sync("s")
            },
            false,
        )
        .await;
        assert!(kept.removed.is_empty());
        assert_eq!(kept.missing_kept.len(), 3, "{backend}");
        assert!(reg.patient_course("P2").await.unwrap().is_some());
        let done = run(reg, &next, &sync("s"), false).await;
        assert_eq!(
            described(&done),
            vec![
                "treatment agent (patient 'P2', treatment 'T1', agent 'everolimus')",
                "treatment (patient 'P2', treatment 'T1')",
                "patient 'P2'",
            ],
            "{backend}"
        );
        assert!(
            reg.patient_course("P2").await.unwrap().is_none(),
            "{backend}"
        );
        assert!(
            reg.verify_state().await.unwrap().is_consistent(),
            "{backend}"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_kept_record_referring_to_a_removal_refuses_the_whole_import() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        run(reg, &full(TREATMENTS, AGENTS), &sync("s"), false).await;
        // An adverse event entered by hand on P2's T1.
        let mut ae = row(
            Entity::AdverseEvent,
            &[
                ("patient", "P2"),
                ("event", "AE1"),
                ("term", "Diarrhea"),
                ("onset_date", "2010-06-01"),
                ("treatment", "T1"),
            ],
        );
        ae[Entity::AdverseEvent.spec().position("grade").unwrap()] = Value::Int(2);
        reg.upsert_records(Entity::AdverseEvent, &[ae], &actor("dm", "by hand"))
            .await
            .unwrap();
        let head = reg.audit_head().await.unwrap();
        // The export no longer has P2's T1, and changes P1's follow-up.
        let next = bundle(&[
            (
                Entity::Patient,
                &PATIENTS.replace("2019-06-30", "2019-12-31"),
            ),
            (Entity::Treatment, &without(TREATMENTS, "P2,T1")),
            (Entity::TreatmentAgent, &without(AGENTS, "P2,T1")),
        ]);
        for dry in [true, false] {
            let o = ImportOptions {
                dry_run: dry,
                ..opts("dm")
            };
            let err = reg
                .import_from_source(&next, &o, &sync("s"))
                .await
                .unwrap_err();
            let StoreError::Invalid(p) = err else {
                panic!("{backend}: {err}")
            };
            assert_eq!(
                p.list.iter().map(ToString::to_string).collect::<Vec<_>>(),
                vec![
                    "export.csv: cannot remove the registry's treatment (patient 'P2', treatment 'T1'), which this source created and no longer has: the registry's adverse event (patient 'P2', event 'AE1'), which stays, refers to it (delete or change it first, restore the record in the source, or keep the source's missing records)"
                ],
                "{backend}"
            );
        }
        assert_eq!(
            reg.audit_head().await.unwrap(),
            head,
            "{backend}: all or nothing (the follow-up change was not written either)"
        );
        db.finish().await;
    }
}

/// A confirmed web import may remove only what its check showed: a record
/// that would go now but was not listed (the registry changed between the
/// check and the confirmation) refuses the whole import, naming it.
#[tokio::test]
async fn a_removal_the_check_did_not_list_refuses_the_import() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        run(reg, &full(TREATMENTS, AGENTS), &sync("s"), false).await;
        let next = full(&without(TREATMENTS, "P1,T2"), &without(AGENTS, "P1,T2"));
        let shown = run(reg, &next, &sync("s"), true).await.removed;
        assert_eq!(shown.len(), 2, "{backend}");
        // Only the agent was shown: the treatment's removal is refused.
        let bounded = SourceSync {
            removals_checked: Some(shown[..1].to_vec()),
            ..sync("s")
        };
        let o = ImportOptions {
            dry_run: false,
            ..opts("dm")
        };
        match reg.import_from_source(&next, &o, &bounded).await {
            Err(StoreError::Invalid(p)) => {
                assert_eq!(p.list.len(), 1, "{backend}: {p:?}");
                let text = p.list[0].to_string();
                assert!(
                    text.starts_with("export.csv: treatment (patient 'P1', treatment 'T2') would now be removed, but the check before did not list it"),
                    "{backend}: {text}"
                );
            }
            other => panic!("{backend}: expected a refusal, got {other:?}"),
        }
        let course = reg.patient_course("P1").await.unwrap().unwrap();
        assert_eq!(course.treatments.len(), 2, "{backend}: nothing removed");
        // Everything shown: the import goes through.
        let all = SourceSync {
            removals_checked: Some(shown.clone()),
            ..sync("s")
        };
        let done = reg.import_from_source(&next, &o, &all).await.unwrap();
        assert_eq!(done.removed, shown, "{backend}");
    }
}
