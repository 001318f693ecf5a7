//! The registry end to end, on SQLite and (when configured) PostgreSQL:
//! import, idempotence, export round trip, courses, updates, deletes, the
//! audit chain and tampering, the flat survival CSV.

mod common;

use common::*;
use netra_clinical::registry::schema::{Entity, Value};
use netra_clinical::registry::vocab::*;
use netra_clinical::registry::{Day, PartialDate};
use netra_store::{AuditQuery, Bundle, CourseFilter, ImportOptions, Registry, StoreError};
use sqlx::{Executor, Row};

fn d(s: &str) -> PartialDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn example_bundle_imports_reads_back_and_round_trips() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        let r = import_dir(reg, &example_bundle()).await;
        let rows: usize = r.entities.iter().map(|e| e.rows).sum();
        assert_eq!(r.changes(), rows, "{backend}");
        assert_eq!(r.audit_entries as usize, rows, "{backend}");
        let patients = r
            .entities
            .iter()
            .find(|e| e.entity == Entity::Patient)
            .unwrap();
        assert_eq!(patients.inserted, 32);

        // Patient 18 as published: male, 53, group A, midgut carcinoid,
        // 131I-MIBG 20.5 GBq in one course, partial regression at 3 months,
        // alive at 41 months.
        let c = reg.patient_course("18").await.unwrap().unwrap();
        assert_eq!(c.patient.sex, Sex::Male);
        assert_eq!(c.patient.age_at_entry, Some(53));
        assert_eq!(c.patient.arm.as_deref(), Some("A"));
        assert_eq!(c.patient.diagnosis_date, Some(d("1998-03")));
        assert_eq!(c.patient.entry_date, Some(d("2000-01-01")));
        // 41 months × 30.4375 = 1247.9 days → 1248 days after 2000-01-01.
        let anchor = Day::from_ymd(2000, 1, 1).unwrap();
        assert_eq!(
            c.patient.last_followup_date,
            Some(anchor.plus_days(1248).to_partial())
        );
        assert_eq!(c.patient.vital_status, VitalStatus::Alive);
        assert_eq!(c.tumours.len(), 1);
        assert_eq!(c.tumours[0].segment(), Some(GiSegment::Midgut));
        assert_eq!(c.tumours[0].reported_type.as_deref(), Some("Carcinoid"));
        assert_eq!(c.tumours[0].krenning_uptake, Some(3));
        assert_eq!(c.tumours[0].mibg_uptake, Some(3));
        let sites: Vec<MetastasisSite> = c.metastases.iter().map(|m| m.site).collect();
        assert_eq!(
            sites,
            vec![MetastasisSite::Liver, MetastasisSite::LymphNode]
        );
        let ids: Vec<&str> = c.treatments.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, vec!["prior_chemotherapy", "rnt"]);
        let rnt = c.treatment("rnt").unwrap();
        assert_eq!(rnt.kind, TreatmentType::Radionuclide);
        assert_eq!(rnt.agents[0].agent, Agent::I131Mibg);
        assert_eq!(rnt.administrations.len(), 3);
        assert!((rnt.total_activity_gbq() - 20.5).abs() < 1e-9);
        // The 3-month response, and its end after the published 18 months.
        assert_eq!(c.assessments.len(), 2);
        assert_eq!(c.assessments[1].investigator_response, Some(Response::Pr));
        assert_eq!(c.assessments[1].date, d("2000-04-01"));
        assert_eq!(c.assessments[0].id, "END");
        assert_eq!(c.assessments[0].investigator_response, Some(Response::Pd));

        // Patient 32: death at 13 months is also the last follow-up.
        let c32 = reg.patient_course("32").await.unwrap().unwrap();
        assert_eq!(c32.patient.death_date, c32.patient.last_followup_date);
        assert_eq!(
            c32.patient.death_date,
            Some(anchor.plus_days(396).to_partial())
        );
        assert!(reg.patient_course("99").await.unwrap().is_none());

        // Every course at once.
        let all = reg.courses(&CourseFilter::default()).await.unwrap();
        assert_eq!(all.len(), 32);
        assert_eq!(all.iter().filter(|c| c.patient.is_dead()).count(), 11);
        assert_eq!(
            all.iter()
                .filter(|c| c.patient.excluded == Some(true))
                .count(),
            1
        );
        let treated = all
            .iter()
            .filter(|c| {
                c.treatments
                    .iter()
                    .any(|t| t.kind == TreatmentType::Radionuclide)
            })
            .count();
        assert_eq!(treated, 20);
        let some = reg
            .courses(&CourseFilter {
                sites: None,
                patients: Some(vec!["3".into(), "18".into()]),
            })
            .await
            .unwrap();
        assert_eq!(some.len(), 2);
        // Byte order of codes: "18" before "3".
        assert_eq!(some[0], c);

        // Importing again changes nothing and writes no audit entry.
        let before = reg.verify_audit().await.unwrap();
        let again = import_dir(reg, &example_bundle()).await;
        assert_eq!(again.changes(), 0, "{backend}");
        assert_eq!(again.audit_entries, 0);
        assert!(again.entities.iter().all(|e| e.unchanged == e.rows));
        assert_eq!(reg.verify_audit().await.unwrap(), before);

        // import → export → import → export is byte-identical.
        let out1 = tempfile::tempdir().unwrap();
        reg.export_bundle(out1.path()).await.unwrap();
        let db2 = TestDb::new(backend).await;
        import_dir(&db2.registry, out1.path()).await;
        let out2 = tempfile::tempdir().unwrap();
        db2.registry.export_bundle(out2.path()).await.unwrap();
        let (a, b) = (read_files(out1.path()), read_files(out2.path()));
        assert_eq!(a.len(), Entity::ALL.len());
        assert_eq!(a, b, "{backend}: second export differs");
        // …and the exported bundle is the same registry.
        assert_eq!(db2.registry.patient_course("18").await.unwrap().unwrap(), c);
        // Export orders rows by key, byte-wise ("10" before "2").
        let patients =
            String::from_utf8(a.iter().find(|f| f.0 == "patients.csv").unwrap().1.clone()).unwrap();
        let codes: Vec<&str> = patients
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(&codes[..4], &["1", "10", "11", "12"]);
        db2.finish().await;
        db.finish().await;
    }
}

/// Issue 15 §1 / issue 13: the columns of the second model version are
/// stored, read into the course, exported and imported back unchanged, on
/// both backends; bundles without them (data/base) still import.
#[tokio::test]
async fn model_v2_columns_round_trip() {
    use netra_clinical::registry::DateBounds;
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        import_dir(reg, &data("base")).await;
        import_dir(reg, &data("model_v2")).await;
        let c = reg.patient_course("G1").await.unwrap().unwrap();
        assert_eq!(
            c.patient.diagnosis_bounds,
            DateBounds {
                not_before: Some(d("2008-10")),
                not_after: None
            }
        );
        assert_eq!(c.patient.death_bounds.not_after, Some(d("2014-05-20")));
        assert_eq!(
            c.patient.metastatic_bounds.not_before,
            Some(d("2009-03-01"))
        );
        let tace = c.treatment("T2").unwrap();
        assert_eq!(tace.start_bounds.not_before, Some(d("2010-10-15")));
        assert_eq!(tace.start_bounds.not_after, Some(d("2010-12")));
        assert_eq!(tace.target_organ, Some(Organ::Liver));
        assert_eq!(tace.target_lesions, vec!["L1", "L2"]);
        assert_eq!(
            c.treatment("T1").unwrap().end_bounds.not_before,
            Some(d("2010-10-15"))
        );
        assert_eq!(
            c.treatment("T4").unwrap().surgery_type,
            Some(SurgeryType::LiverTransplantation)
        );
        let ssa = &c.treatment("T1").unwrap().agents[0];
        assert_eq!(
            (ssa.route, ssa.formulation),
            (
                Some(Route::Intramuscular),
                Some(Formulation::LongActingRelease)
            )
        );
        let prrt = c.treatment("T3").unwrap();
        let agents: Vec<Agent> = prrt.agents.iter().map(|a| a.agent).collect();
        assert_eq!(agents, vec![Agent::Lu177Dotatoc, Agent::Y90DotaLanreotide]);
        let a = &prrt.administrations[0];
        assert_eq!(
            (a.lu177_gbq, a.y90_gbq, a.tumour_dose_gy),
            (Some(3.7), Some(3.7), Some(95.5))
        );
        assert_eq!(
            c.assessments[0].date_bounds.not_after,
            Some(d("2010-10-14"))
        );
        // WHO 2010 G3 of a well-differentiated tumour is NET G3 in WHO 2019;
        // the lung carcinoid has no WHO 2019 grade.
        assert_eq!(c.tumours[0].reported_grade, Some(ReportedGrade::G3));
        assert_eq!(c.tumours[0].grade(), Some(WhoGrade::G3));
        assert_eq!(c.tumours[1].necrosis, Some(true));
        assert_eq!(c.tumours[1].grade(), None);

        // export → import → export is byte-identical and the same course.
        let out1 = tempfile::tempdir().unwrap();
        reg.export_bundle(out1.path()).await.unwrap();
        let treatments = std::fs::read_to_string(out1.path().join("treatments.csv")).unwrap();
        assert!(
            treatments.contains("G1,T2,tace,,2010,2010-10-15,2010-12,"),
            "{treatments}"
        );
        let db2 = TestDb::new(backend).await;
        import_dir(&db2.registry, out1.path()).await;
        let out2 = tempfile::tempdir().unwrap();
        db2.registry.export_bundle(out2.path()).await.unwrap();
        assert_eq!(
            read_files(out1.path()),
            read_files(out2.path()),
            "{backend}"
        );
        assert_eq!(db2.registry.patient_course("G1").await.unwrap().unwrap(), c);
        db2.finish().await;
        db.finish().await;
    }
}

/// A registry of schema version 3 (before the second model version) is
/// upgraded in place by `init`: migration 0004 adds the columns, every row
/// stays, and the new columns read as not recorded.
#[tokio::test]
async fn a_version_3_registry_upgrades_to_model_v2() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        import_dir(&db.registry, &data("base")).await;
        let before = db.registry.patient_course("P1").await.unwrap().unwrap();
        // Back to version 3: the columns 0004 added are dropped.
        let pool = db.registry.pool();
        for e in Entity::ALL {
            for c in netra_store::sql::added_columns(e) {
                pool.execute(format!("ALTER TABLE {} DROP COLUMN {c}", e.spec().table).as_str())
                    .await
                    .unwrap();
            }
        }
        pool.execute("DELETE FROM schema_migrations WHERE version = 4")
            .await
            .unwrap();
        let e = Registry::open(&db.location).await.unwrap_err();
        assert!(e.to_string().contains("netra init"), "{backend}: {e}");
        let (upgraded, ran) = Registry::init(&db.location).await.unwrap();
        assert_eq!(ran, vec![4], "{backend}");
        let after = upgraded.patient_course("P1").await.unwrap().unwrap();
        assert_eq!(after, before, "{backend}");
        assert!(after.treatments.iter().all(|t| t.start_bounds.is_none()));
        upgraded.close().await;
        db.finish().await;
    }
}

#[tokio::test]
async fn exports_are_identical_across_backends() {
    if backends().len() < 2 {
        return;
    }
    let mut exports = Vec::new();
    for backend in backends() {
        let db = TestDb::new(backend).await;
        import_dir(&db.registry, &example_bundle()).await;
        let dir = tempfile::tempdir().unwrap();
        netra_store::synthetic::write_bundle(dir.path(), 40, 3).unwrap();
        import_dir(&db.registry, dir.path()).await;
        let out = tempfile::tempdir().unwrap();
        db.registry.export_bundle(out.path()).await.unwrap();
        exports.push(read_files(out.path()));
        db.finish().await;
    }
    assert_eq!(exports[0], exports[1]);
}

#[tokio::test]
async fn a_changed_row_is_an_update_with_old_and_new_values() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        import_dir(reg, &example_bundle()).await;
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(example_bundle().join("patients.csv")).unwrap();
        let line18 = text.lines().find(|l| l.starts_with("18,")).unwrap();
        let changed = line18.replace("2003-06-02,alive", "2003-09-30,alive");
        let header = text.lines().next().unwrap();
        std::fs::write(
            dir.path().join("patients.csv"),
            format!("{header}\n{changed}\n"),
        )
        .unwrap();
        let b = Bundle::read_dir(dir.path()).unwrap();
        let r = reg
            .import_bundle(
                &b,
                &ImportOptions {
                    actor: actor("ana", "follow-up visit"),
                    dry_run: false,
                },
            )
            .await
            .unwrap();
        assert_eq!(r.entities[0].updated, 1);
        assert_eq!(r.audit_entries, 1);
        let log = reg
            .audit_log(&AuditQuery {
                table: Some("patient".into()),
                record_key: Some("[\"18\"]".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(log.len(), 2, "insert then update");
        let u = &log[1];
        assert_eq!(u.action, "update");
        assert_eq!(u.actor, "ana");
        assert_eq!(u.reason.as_deref(), Some("follow-up visit"));
        assert_eq!(
            u.old_values.as_deref(),
            Some("{\"last_followup_date\":\"2003-06-02\"}")
        );
        assert_eq!(
            u.new_values.as_deref(),
            Some("{\"last_followup_date\":\"2003-09-30\"}")
        );
        let c = reg.patient_course("18").await.unwrap().unwrap();
        assert_eq!(c.patient.last_followup_date, Some(d("2003-09-30")));
        // Other columns of the row are untouched.
        assert_eq!(c.patient.age_at_entry, Some(53));
        assert!(reg.verify_audit().await.unwrap().is_intact());
        db.finish().await;
    }
}

#[tokio::test]
async fn dry_run_checks_against_the_registry_and_writes_nothing() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        import_dir(reg, &example_bundle()).await;
        let before = snapshot(reg).await;
        // A biomarker for a stored patient: valid only with the registry.
        let b = Bundle::from_csv(
            Entity::Biomarker,
            b"patient,marker,date,value,unit,upper_limit\n18,urinary_5hiaa,2000-04-01,25,umol/d,31.4\n",
        )
        .unwrap();
        assert!(
            !netra_store::validate_bundle(&b).is_empty(),
            "alone, patient 18 is unknown"
        );
        let r = reg
            .import_bundle(
                &b,
                &ImportOptions {
                    actor: actor("ana", "check"),
                    dry_run: true,
                },
            )
            .await
            .unwrap();
        assert!(r.dry_run);
        assert_eq!(r.entities[0].inserted, 1);
        assert_eq!(r.audit_entries, 0);
        assert_eq!(snapshot(reg).await, before);
        db.finish().await;
    }
}

#[tokio::test]
async fn records_are_edited_and_deleted_through_the_audit_trail() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        import_dir(reg, &example_bundle()).await;
        let who = actor("dm", "correction");
        // A patient others refer to cannot be deleted.
        let err = reg
            .delete_record(Entity::Patient, &[Value::Text("18".into())], &who)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Refused(_)), "{backend}: {err}");
        assert_eq!(
            err.to_string(),
            "cannot delete patient '18': other records refer to it (delete them first)"
        );
        // A leaf record can; its old values are audited.
        reg.delete_record(
            Entity::Assessment,
            &[Value::Text("18".into()), Value::Text("M3".into())],
            &who,
        )
        .await
        .unwrap();
        // Only the end of the response (issue 16's `END`) is left.
        let left = reg.patient_course("18").await.unwrap().unwrap().assessments;
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].id, "END");
        let last = reg
            .audit_log(&AuditQuery {
                limit: Some(1),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(last[0].action, "delete");
        assert_eq!(last[0].record_key, "[\"18\",\"M3\"]");
        assert!(
            last[0]
                .old_values
                .as_deref()
                .unwrap()
                .contains("\"investigator_response\":\"pr\"")
        );
        assert!(last[0].new_values.is_none());
        let missing = reg
            .delete_record(
                Entity::Assessment,
                &[Value::Text("18".into()), Value::Text("M3".into())],
                &who,
            )
            .await
            .unwrap_err();
        assert!(matches!(missing, StoreError::NotFound(_)));
        // An upsert of one record goes through the importer's checks.
        let spec = Entity::ClinicalStatus.spec();
        let mut row = vec![Value::Null; spec.columns.len()];
        row[0] = Value::Text("18".into());
        row[1] = Value::Date(d("2000-07-01"));
        row[2] = Value::Int(1);
        let r = reg
            .upsert_records(Entity::ClinicalStatus, &[row.clone()], &who)
            .await
            .unwrap();
        assert_eq!(r.entities[0].inserted, 1);
        row[1] = Value::Date(d("2009-07-01")); // after patient 10's death
        row[0] = Value::Text("10".into());
        let err = reg
            .upsert_records(Entity::ClinicalStatus, &[row], &who)
            .await
            .unwrap_err();
        let StoreError::Invalid(p) = err else {
            panic!()
        };
        assert_eq!(
            p.list[0].to_string(),
            "clinical_status.csv, line 2, column 2 (date): is after the patient's death (2000-06-01) (value '2009-07-01')"
        );
        assert!(reg.verify_audit().await.unwrap().is_intact());
        db.finish().await;
    }
}

#[tokio::test]
async fn tampering_with_the_audit_trail_is_detected() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        import_dir(reg, &example_bundle()).await;
        let v = reg.verify_audit().await.unwrap();
        assert!(v.is_intact());
        assert_eq!(v.entries, 398);
        // The append-only guard refuses ordinary updates and deletes.
        let e = reg
            .pool()
            .execute("UPDATE audit_log SET table_name = 'x' WHERE seq = 5")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("append-only"), "{backend}: {e}");
        assert!(
            reg.pool()
                .execute("DELETE FROM audit_log WHERE seq = 7")
                .await
                .is_err()
        );
        assert!(
            reg.pool()
                .execute("UPDATE audit_change_set SET actor = 'mallory'")
                .await
                .is_err()
        );
        // Someone with DDL rights disables the guard and edits entry 5.
        let disable = match backend {
            "sqlite" => {
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; \
                 DROP TRIGGER audit_change_set_no_update;"
            }
            _ => {
                "ALTER TABLE audit_log DISABLE TRIGGER USER; \
                 ALTER TABLE audit_change_set DISABLE TRIGGER USER;"
            }
        };
        reg.pool().execute(disable).await.unwrap();
        // Entry 3 records patient 1 (female): make it say male.
        reg.pool()
            .execute("UPDATE audit_log SET new_values = replace(new_values, 'female', 'male') WHERE seq = 3")
            .await
            .unwrap();
        let changed: String = sqlx::query("SELECT new_values FROM audit_log WHERE seq = 3")
            .fetch_one(reg.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert!(changed.contains("\"patient\":\"1\""), "{changed}");
        assert!(changed.contains("\"sex\":\"male\""), "{changed}");
        let v = reg.verify_audit().await.unwrap();
        assert!(!v.is_intact());
        assert_eq!(v.problems.len(), 1, "{:?}", v.problems);
        assert_eq!(
            v.problems[0].to_string(),
            "audit entry 3: its content (or its change set) was altered: the hash does not match"
        );
        // Rewriting who made a change breaks the first entry of its change set.
        let entries_before = reg.verify_audit().await.unwrap().entries;
        reg.pool()
            .execute("UPDATE audit_change_set SET actor = 'mallory'")
            .await
            .unwrap();
        let v = reg.verify_audit().await.unwrap();
        assert_eq!(v.entries, entries_before);
        assert_eq!(v.problems[0].seq, 1);
        // Deleting an entry leaves a gap that is named.
        reg.pool()
            .execute("DELETE FROM audit_log WHERE seq = 9")
            .await
            .unwrap();
        let v = reg.verify_audit().await.unwrap();
        assert!(
            v.problems
                .iter()
                .any(|p| p.seq == 10 && p.reason.contains("entries 9..9 are missing"))
        );
        db.finish().await;
    }
}

/// Issue 14, item 1: a guarded write checks its expectations under the
/// writer lock and is refused, writing nothing, when one does not hold.
#[tokio::test]
async fn guarded_writes_are_refused_when_their_expectations_fail() {
    use netra_store::{Expect, Expected, Otherwise};
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        import_dir(reg, &example_bundle()).await;
        let who = actor("dm", "test");
        let key = vec![Value::Text("2".into())];
        let stored = reg.record(Entity::Patient, &key).await.unwrap().unwrap();
        let expect = |state, otherwise| Expect {
            entity: Entity::Patient,
            key: key.clone(),
            state,
            otherwise,
        };
        let revision = reg.revision().await.unwrap();
        // "Create": the key is taken.
        let err = reg
            .save_records(
                Entity::Patient,
                std::slice::from_ref(&stored),
                &[expect(Expected::Absent, Otherwise::Refused("taken".into()))],
                &who,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Refused(m) if m == "taken"),
            "{backend}: {err}"
        );
        // "Update" of a row that changed since it was read.
        let mut seen = stored.clone();
        let notes = Entity::Patient.spec().position("notes").unwrap();
        seen[notes] = Value::Text("what I read".into());
        let err = reg
            .save_records(
                Entity::Patient,
                std::slice::from_ref(&stored),
                &[expect(
                    Expected::Row(seen),
                    Otherwise::Refused("changed".into()),
                )],
                &who,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Refused(m) if m == "changed"),
            "{backend}"
        );
        // A child whose patient is no longer at the site checked.
        let wrong_site = vec![("site".to_string(), Value::Text("elsewhere".into()))];
        let err = reg
            .delete_record_expecting(
                Entity::Assessment,
                &[Value::Text("18".into()), Value::Text("M3".into())],
                &[Expect {
                    entity: Entity::Patient,
                    key: vec![Value::Text("18".into())],
                    state: Expected::Columns(wrong_site),
                    otherwise: Otherwise::NotFound("no patient '18'".into()),
                }],
                &who,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::NotFound(m) if m == "no patient '18'"),
            "{backend}"
        );
        assert_eq!(
            reg.revision().await.unwrap(),
            revision,
            "{backend}: nothing written"
        );
        // Expectations that hold: the write goes ahead.
        let mut changed = stored.clone();
        changed[notes] = Value::Text("seen".into());
        reg.save_records(
            Entity::Patient,
            &[changed],
            &[expect(
                Expected::Row(stored),
                Otherwise::Refused("changed".into()),
            )],
            &who,
        )
        .await
        .unwrap();
        assert_eq!(reg.revision().await.unwrap(), revision + 1, "{backend}");
        db.finish().await;
    }
}

/// Issue 14, item 7: the chain check cannot see rows edited, deleted or
/// inserted directly in the registry tables; replaying the trail can.
#[tokio::test]
async fn direct_edits_of_registry_rows_are_found_by_replaying_the_trail() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        import_dir(reg, &example_bundle()).await;
        // Changes through the store (updates, deletes) keep the two equal.
        let who = actor("dm", "correction");
        reg.delete_record(
            Entity::Assessment,
            &[Value::Text("18".into()), Value::Text("M3".into())],
            &who,
        )
        .await
        .unwrap();
        let mut row = reg
            .record(Entity::Patient, &[Value::Text("2".into())])
            .await
            .unwrap()
            .unwrap();
        let notes = Entity::Patient.spec().position("notes").unwrap();
        row[notes] = Value::Text("seen again".into());
        reg.upsert_records(Entity::Patient, &[row], &who)
            .await
            .unwrap();
        let ok = reg.verify_state().await.unwrap();
        assert!(ok.is_consistent(), "{backend}: {:?}", ok.first);
        assert!(ok.records > 300, "{backend}: {}", ok.records);
        // A direct edit: the chain is intact, the state check names it.
        reg.pool()
            .execute("UPDATE patient SET sex = 'male' WHERE patient = '1'")
            .await
            .unwrap();
        assert!(reg.verify_audit().await.unwrap().is_intact());
        let v = reg.verify_state().await.unwrap();
        assert_eq!(v.differences, 1, "{backend}");
        assert_eq!(
            v.first.unwrap().to_string(),
            "patient [\"1\"]: sex is 'male' in the registry but 'female' by the audit trail \
             (changed without an audit entry)"
        );
        reg.pool()
            .execute("UPDATE patient SET sex = 'female' WHERE patient = '1'")
            .await
            .unwrap();
        assert!(reg.verify_state().await.unwrap().is_consistent());
        // A direct delete and a direct insert.
        reg.pool()
            .execute("DELETE FROM treatment_agent WHERE patient = '2' AND treatment = 'rnt'")
            .await
            .unwrap();
        reg.pool()
            .execute(
                "INSERT INTO treatment_agent (patient, treatment, agent, agent_detail) \
                 VALUES ('1', 'rnt', 'everolimus', '')",
            )
            .await
            .unwrap();
        let v = reg.verify_state().await.unwrap();
        assert_eq!(v.differences, 2, "{backend}: {:?}", v.first);
        let first = v.first.unwrap();
        assert_eq!(first.table, "treatment_agent");
        assert_eq!(
            first.key, "[\"1\",\"rnt\",\"everolimus\",\"\"]",
            "{backend}"
        );
        assert!(
            first.reason.contains("added without an audit entry"),
            "{first}"
        );
        reg.pool()
            .execute("DELETE FROM treatment_agent WHERE patient = '1' AND agent = 'everolimus'")
            .await
            .unwrap();
        let v = reg.verify_state().await.unwrap();
        assert_eq!(v.differences, 1);
        let first = v.first.unwrap();
        assert!(first.key.starts_with("[\"2\",\"rnt\""), "{first}");
        assert!(
            first.reason.contains("removed without an audit entry"),
            "{first}"
        );
        db.finish().await;
    }
}

/// Issue 14, item 7: an anchor recorded outside the database detects a
/// truncated trail, and a rewritten entry whose successors were rehashed.
#[tokio::test]
async fn a_recorded_head_detects_truncation_and_rehashing() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        assert_eq!(reg.audit_head().await.unwrap(), None);
        import_dir(reg, &example_bundle()).await;
        let (seq, hash) = reg.audit_head().await.unwrap().unwrap();
        assert_eq!(seq, 398);
        assert_eq!(reg.audit_seq_of(&hash).await.unwrap(), Some(398));
        // Later changes keep the anchor in the chain.
        let spec = Entity::ClinicalStatus.spec();
        let mut row = vec![Value::Null; spec.columns.len()];
        row[0] = Value::Text("18".into());
        row[1] = Value::Date(d("2000-07-01"));
        row[2] = Value::Int(1);
        reg.upsert_records(Entity::ClinicalStatus, &[row], &actor("dm", "new"))
            .await
            .unwrap();
        assert_eq!(reg.audit_seq_of(&hash).await.unwrap(), Some(398));
        // Someone with DDL rights cuts the trail back to entry 370: the
        // chain still verifies, the anchor is gone.
        let disable = match backend {
            "sqlite" => "DROP TRIGGER audit_log_no_delete;",
            _ => "ALTER TABLE audit_log DISABLE TRIGGER USER;",
        };
        reg.pool().execute(disable).await.unwrap();
        reg.pool()
            .execute("DELETE FROM audit_log WHERE seq > 370")
            .await
            .unwrap();
        assert!(reg.verify_audit().await.unwrap().is_intact());
        assert_eq!(reg.audit_seq_of(&hash).await.unwrap(), None);
        db.finish().await;
    }
}

#[tokio::test]
async fn flat_survival_csv_becomes_patients_on_a_synthetic_calendar() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        let flat = netra_store::flat::FlatOptions {
            time_col: "os_months".into(),
            event_col: "death".into(),
            group_col: Some("group".into()),
            ..Default::default()
        };
        let path = repo().join("examples/radionuclide-2004/survival.csv");
        let r = reg.import_flat(&path, &flat, &opts("ana")).await.unwrap();
        assert_eq!(
            r.entities.iter().map(|e| e.inserted).sum::<usize>(),
            1 + 1 + 31
        );
        let all = reg.courses(&CourseFilter::default()).await.unwrap();
        assert_eq!(all.len(), 31);
        assert_eq!(all.iter().filter(|c| c.patient.is_dead()).count(), 10);
        let p1 = all.iter().find(|c| c.patient.code == "1").unwrap();
        // 17 months × 30.4375 = 517.4 days.
        let anchor = Day::from_ymd(2000, 1, 1).unwrap();
        assert_eq!(
            p1.patient.death_date,
            Some(anchor.plus_days(517).to_partial())
        );
        assert_eq!(p1.patient.arm.as_deref(), Some("A"));
        assert_eq!(p1.patient.sex, Sex::Female);
        assert_eq!(p1.patient.age_at_entry, Some(63));
        // Idempotent too; the existing site is not touched again.
        let again = reg.import_flat(&path, &flat, &opts("ana")).await.unwrap();
        assert_eq!(again.changes(), 0);
        // A bad event code names the line and column of the flat file.
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("s.csv");
        std::fs::write(&bad, "patient,os_months,death\n1,17,1\n2,-3,1\n3,5,yes\n").unwrap();
        // (the group column is missing too)
        let StoreError::Invalid(p) = reg
            .import_flat(&bad, &flat, &opts("ana"))
            .await
            .unwrap_err()
        else {
            panic!()
        };
        let text: Vec<String> = p.list.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            text,
            vec![
                "s.csv, line 1: missing column 'group'",
                "s.csv, line 3, column 2 (os_months): a time cannot be negative (value '-3')",
                "s.csv, line 4, column 3 (death): an event must be 0/1, 1/2 (2 = event, when no 0 occurs) or TRUE/FALSE (value 'yes')",
            ]
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn synthetic_registry_loads_every_course() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        let dir = tempfile::tempdir().unwrap();
        netra_store::synthetic::write_bundle(dir.path(), 300, 11).unwrap();
        let bundle = Bundle::read_dir(dir.path()).unwrap();
        assert!(netra_store::validate_bundle(&bundle).is_empty());
        let r = reg.import_bundle(&bundle, &opts("bench")).await.unwrap();
        let counts = reg.counts().await.unwrap();
        for e in &r.entities {
            let stored = counts.iter().find(|c| c.0 == e.entity).unwrap().1;
            assert_eq!(stored as usize, e.rows, "{:?}", e.entity);
        }
        let all = reg.courses(&CourseFilter::default()).await.unwrap();
        assert_eq!(all.len(), 300);
        let count = |e: Entity| counts.iter().find(|c| c.0 == e).unwrap().1 as usize;
        assert_eq!(
            all.iter().map(|c| c.treatments.len()).sum::<usize>(),
            count(Entity::Treatment)
        );
        assert_eq!(
            all.iter()
                .flat_map(|c| &c.treatments)
                .map(|t| t.agents.len())
                .sum::<usize>(),
            count(Entity::TreatmentAgent)
        );
        assert_eq!(
            all.iter()
                .flat_map(|c| &c.assessments)
                .map(|a| a.lesions.len())
                .sum::<usize>(),
            count(Entity::Lesion)
        );
        assert_eq!(
            all.iter().map(|c| c.biomarkers.len()).sum::<usize>(),
            count(Entity::Biomarker)
        );
        // Site filter: the web application shows a user only their sites.
        let s00 = reg
            .courses(&CourseFilter {
                sites: Some(vec!["s00".into()]),
                patients: None,
            })
            .await
            .unwrap();
        assert!(!s00.is_empty() && s00.len() < 300);
        assert!(s00.iter().all(|c| c.patient.site == "s00"));
        db.finish().await;
    }
}

#[tokio::test]
async fn database_columns_match_the_schema() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        for e in Entity::ALL {
            let spec = e.spec();
            let q = match backend {
                "sqlite" => format!(
                    "SELECT name FROM pragma_table_info('{}') ORDER BY cid",
                    spec.table
                ),
                _ => format!(
                    "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = '{}' ORDER BY ordinal_position",
                    spec.table
                ),
            };
            let names: Vec<String> = sqlx::query(&q)
                .fetch_all(db.registry.pool())
                .await
                .unwrap()
                .iter()
                .map(|r| r.try_get(0).unwrap())
                .collect();
            // Migration 0001's columns in schema order, then those that
            // later migrations added (`ALTER TABLE … ADD COLUMN` appends).
            let added = netra_store::sql::columns_added_later(e);
            let want: Vec<&str> = spec
                .columns
                .iter()
                .map(|c| c.name)
                .filter(|n| !added.contains(n))
                .chain(added.iter().copied())
                .collect();
            assert_eq!(names, want, "{backend}: {}", spec.table);
        }
        // init again is an upgrade that finds nothing to do.
        let (again, ran) = Registry::init(&db.location).await.unwrap();
        assert!(ran.is_empty());
        again.close().await;
        db.finish().await;
    }
}

#[tokio::test]
async fn opening_what_is_not_a_registry_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = netra_store::Location::Sqlite(dir.path().join("nope.db"));
    let e = Registry::open(&missing).await.unwrap_err();
    assert!(
        e.to_string()
            .ends_with("no registry database here (create one with `netra init`)"),
        "{e}"
    );
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let e = Registry::open(&netra_store::Location::Sqlite(empty))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not a netra registry"), "{e}");
}

/// scripts/test.sh sets NETRA_REQUIRE_POSTGRES=1: the PostgreSQL half of the
/// suite must then have run, not been skipped.
#[tokio::test]
async fn postgres_tests_ran_when_required() {
    if std::env::var("NETRA_REQUIRE_POSTGRES").as_deref() != Ok("1") {
        return;
    }
    assert!(
        backends().contains(&"postgres"),
        "NETRA_REQUIRE_POSTGRES=1 but NETRA_TEST_POSTGRES_URL is not set"
    );
    let db = TestDb::new("postgres").await;
    assert_eq!(db.registry.backend(), netra_store::Backend::Postgres);
    db.finish().await;
}

/// The web application awaits registry calls inside request handlers, which
/// must be `Send` futures.
#[test]
fn registry_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let reg: Option<Registry> = None;
    if let Some(reg) = reg {
        let b = Bundle::new();
        let o = opts("x");
        let who = actor("x", "y");
        assert_send(&reg.import_bundle(&b, &o));
        assert_send(&reg.patient_course("1"));
        assert_send(&reg.courses(&CourseFilter::default()));
        assert_send(&reg.upsert_records(Entity::Patient, &[], &who));
        assert_send(&reg.delete_record(Entity::Patient, &[], &who));
        assert_send(&reg.verify_audit());
        assert_send(&reg.audit_log(&AuditQuery::default()));
        assert_send(&reg.export_bundle(std::path::Path::new(".")));
    }
}

/// docs/registry.md, "Least privilege on PostgreSQL": an application role
/// granted as documented can import (insert audit entries) but can neither
/// change nor delete audit entries nor switch the guard triggers off.
#[tokio::test]
async fn postgres_application_role_cannot_touch_the_audit_trail() {
    if !backends().contains(&"postgres") {
        return;
    }
    let db = TestDb::new("postgres").await;
    let netra_store::Location::Postgres(url) = db.location.clone() else {
        panic!()
    };
    let role = format!("netra_app_{}", std::process::id());
    let grants = format!(
        "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN; \
         GRANT USAGE ON SCHEMA public TO {role}; \
         GRANT SELECT, INSERT, UPDATE, DELETE ON study, site, patient, tumour, metastasis, \
           biomarker, treatment, treatment_agent, radionuclide_administration, assessment, \
           lesion, clinical_status, adverse_event, immunohistochemistry, genetic_test, \
           qol_response, comorbidity TO {role}; \
         GRANT SELECT, INSERT ON audit_change_set, audit_log TO {role}; \
         GRANT SELECT, INSERT, DELETE ON record_source TO {role}; \
         GRANT SELECT ON schema_migrations TO {role};"
    );
    db.registry.pool().execute(grants.as_str()).await.unwrap();
    let app_url = url.replacen("postgres://postgres@", &format!("postgres://{role}@"), 1);
    assert_ne!(app_url, url, "test URL must name the postgres user");
    let app = Registry::open_url(&app_url).await.unwrap();
    // Imported as a named source: the provenance table's grants suffice.
    let source = netra_store::SourceSync {
        source: "example".into(),
        file: "bundle".into(),
        remove_missing: true,
        removals_checked: None,
    };
    let bundle = netra_store::Bundle::read_dir(&example_bundle()).unwrap();
    app.import_from_source(&bundle, &opts("app"), &source)
        .await
        .unwrap();
    assert!(app.verify_audit().await.unwrap().is_intact());
    for sql in [
        "UPDATE audit_log SET action = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
        "UPDATE audit_change_set SET actor = 'x'",
        "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "TRUNCATE audit_log",
    ] {
        let e = app.pool().execute(sql).await.unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("permission denied") || msg.contains("must be owner"),
            "{sql}: {msg}"
        );
    }
    app.close().await;
    db.registry
        .pool()
        .execute(format!("REASSIGN OWNED BY {role} TO postgres; DROP OWNED BY {role};").as_str())
        .await
        .unwrap();
    db.finish().await;
}

/// `courses()` reads every table in one aggregated scan with its own text
/// encoding; it must give exactly what `patient_course()` gives, for awkward
/// texts and numbers too.
#[tokio::test]
async fn bulk_load_equals_single_patient_reads() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        import_dir(reg, &example_bundle()).await;
        import_dir(reg, &data("base")).await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("biomarkers.csv"),
            "patient,marker,marker_detail,date,value,unit,lower_limit,upper_limit,notes\n\
             P1,other,\"5-HIAA, plasma\",2018-01-02,0.30000000000000004,nmol/L,0.1,123456789.12345679,\"said \"\"high\"\"\nsecond line, é 中\"\n\
             P1,nse,,2018-01-03,1e-7,ug/L,,5e300,\n\
             P1,nse,,2018-01-04,0,ug/L,,2,\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("clinical_status.csv"),
            "patient,date,ecog,symptom_score,symptoms,weight_kg\nP1,2018-01-04,0,2.5,stable,71.25\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("metastases.csv"),
            "patient,site,detail,date,at_metastatic_diagnosis\nP1,other,\"omentum; ‘bulky’\",2018,no\n",
        )
        .unwrap();
        import_dir(reg, dir.path()).await;
        let all = reg.courses(&CourseFilter::default()).await.unwrap();
        assert_eq!(all.len(), 35);
        for c in &all {
            let one = reg.patient_course(&c.patient.code).await.unwrap().unwrap();
            assert_eq!(&one, c, "{backend}: patient {}", c.patient.code);
        }
        let p1 = all.iter().find(|c| c.patient.code == "P1").unwrap();
        let b = p1
            .biomarkers
            .iter()
            .find(|b| b.marker == Marker::Other)
            .unwrap();
        assert_eq!(b.value, 0.1 + 0.2);
        assert_eq!(b.upper_limit, Some(123456789.12345679));
        assert_eq!(b.notes.as_deref(), Some("said \"high\"\nsecond line, é 中"));
        assert_eq!(b.marker_detail.as_deref(), Some("5-HIAA, plasma"));
        let tiny = p1
            .biomarkers
            .iter()
            .find(|b| b.date == d("2018-01-03"))
            .unwrap();
        assert_eq!((tiny.value, tiny.upper_limit), (1e-7, Some(5e300)));
        assert_eq!(
            p1.metastases.iter().filter(|m| m.detail.is_none()).count(),
            1
        );
        assert_eq!(p1.clinical_status[1].weight_kg, Some(71.25));
        db.finish().await;
    }
}
