//! The registry model's third step (docs/model-v2.md, migration 6) end to
//! end on SQLite and (when configured) PostgreSQL: marker results without a
//! number, immunohistochemistry, genetics, quality-of-life items,
//! comorbidities and symptom counts are stored, audited, read into the
//! course, exported and imported back byte-identically; a registry of
//! schema version 5 upgrades in place.

mod common;

use common::*;
use netra_clinical::registry::PartialDate;
use netra_clinical::registry::schema::{Entity, Value};
use netra_clinical::registry::vocab::*;
use netra_store::{AuditQuery, Registry};
use sqlx::Executor;

fn d(s: &str) -> PartialDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn model_v3_records_round_trip_and_are_audited() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        import_dir(reg, &data("base")).await;
        let r = import_dir(reg, &data("model_v3")).await;
        let count = |e: Entity| r.entities.iter().find(|x| x.entity == e).unwrap().inserted;
        assert_eq!(count(Entity::Immunohistochemistry), 5, "{backend}");
        assert_eq!(count(Entity::GeneticTest), 4);
        assert_eq!(count(Entity::QolResponse), 32);
        assert_eq!(count(Entity::Comorbidity), 4);
        // Every inserted record has its audit entry (data/base holds one
        // stain of P3).
        let stains = reg
            .audit_log(&AuditQuery {
                table: Some("immunohistochemistry".into()),
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(stains.len(), 6);
        assert!(stains.iter().all(|e| e.action == "insert"));

        let c = reg.patient_course("P1").await.unwrap().unwrap();
        // A value-less "CEA normal" is a finding; creatinine with its value
        // stays a measurement and keeps its result.
        let findings: Vec<(Marker, MarkerResult)> = c
            .marker_findings
            .iter()
            .map(|f| (f.marker, f.result))
            .collect();
        assert_eq!(
            findings,
            vec![
                (Marker::Cea, MarkerResult::Normal),
                (Marker::ChromograninA, MarkerResult::Elevated)
            ]
        );
        assert_eq!(c.marker_findings[0].upper_limit, Some(5.0));
        let creat = c
            .biomarkers
            .iter()
            .find(|b| b.marker == Marker::Creatinine)
            .unwrap();
        assert_eq!(
            (creat.value, creat.result),
            (70.0, Some(MarkerResult::Normal))
        );
        // Stains in key order (date, specimen, stain).
        assert_eq!(c.immunostains.len(), 4);
        let sstr2 = c.first_stain(IhcStain::Sstr2).unwrap();
        assert_eq!(sstr2.date, d("2015-03-10"));
        assert_eq!(sstr2.result, IhcResult::Positive);
        assert_eq!(
            (sstr2.score, sstr2.score_system, sstr2.intensity),
            (Some(3.0), Some(IhcScoreSystem::Volante), Some(3))
        );
        assert_eq!(
            c.immunostains
                .iter()
                .find(|s| s.stain == IhcStain::Daxx)
                .map(|s| s.result),
            Some(IhcResult::Lost)
        );
        assert_eq!(c.germline_variant(Gene::Men1), Some(true));
        assert_eq!(c.genetic_tests.len(), 3);
        // Diabetes with end-organ damage (2) supersedes diabetes (1);
        // chronic pulmonary disease 1: index 3.
        assert_eq!(c.charlson_index(), Some(3));
        assert_eq!(c.qol_responses.len(), 32);
        let v = c
            .clinical_status
            .iter()
            .find(|v| v.date == d("2015-04-01"))
            .unwrap();
        assert_eq!(
            (v.flushing_per_day, v.diarrhoea_per_day),
            (Some(3.0), Some(2.5))
        );
        let p2 = reg.patient_course("P2").await.unwrap().unwrap();
        assert_eq!(p2.germline_variant(Gene::Men1), Some(false));
        assert_eq!(p2.charlson_index(), Some(0));
        // A stain without a specimen (an optional key part).
        assert_eq!(p2.immunostains[0].specimen, None);

        // Deleting a stain is audited too.
        let key = [
            Value::Text("P2".into()),
            Value::Text("1".into()),
            Value::Date(d("2009-11")),
            Value::Null,
            Value::Text("sstr2".into()),
            Value::Null,
        ];
        reg.delete_record(
            Entity::Immunohistochemistry,
            &key,
            &actor("dm", "wrong patient"),
        )
        .await
        .unwrap();
        let log = reg
            .audit_log(&AuditQuery {
                table: Some("immunohistochemistry".into()),
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(log.last().unwrap().action, "delete");
        assert!(reg.verify_audit().await.unwrap().is_intact());
        assert!(reg.verify_state().await.unwrap().is_consistent());

        // export → import → export is byte-identical and the same courses.
        let out1 = tempfile::tempdir().unwrap();
        reg.export_bundle(out1.path()).await.unwrap();
        let markers = std::fs::read_to_string(out1.path().join("biomarkers.csv")).unwrap();
        assert!(
            markers.contains("P1,cea,,2015-03-12,,,normal,,5,"),
            "{markers}"
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
        assert_eq!(db2.registry.patient_course("P1").await.unwrap().unwrap(), c);
        // The bulk read gives what the single-patient read gives.
        let all = db2
            .registry
            .courses(&netra_store::CourseFilter::default())
            .await
            .unwrap();
        assert_eq!(all.iter().find(|x| x.patient.code == "P1").unwrap(), &c);
        db2.finish().await;
        db.finish().await;
    }
}

/// A registry of schema version 5 (biomarker `value` and `unit` NOT NULL,
/// none of the new tables) is upgraded by `init`: migration 6 runs, every
/// row stays, and a marker result without a value can then be stored.
#[tokio::test]
async fn a_version_5_registry_upgrades_to_model_v3() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        import_dir(&db.registry, &data("base")).await;
        let before = db.registry.patient_course("P1").await.unwrap().unwrap();
        let pool = db.registry.pool();
        let back = db.registry.backend();
        let v1 = netra_store::sql::create_table_v1(Entity::Biomarker.spec(), back).unwrap();
        let cols: Vec<&str> = Entity::Biomarker
            .spec()
            .columns
            .iter()
            .map(|c| c.name)
            .filter(|n| *n != "result")
            .collect();
        let mut sql = String::from(
            "DROP TABLE immunohistochemistry; DROP TABLE genetic_test; \
             DROP TABLE qol_response; DROP TABLE comorbidity; \
             ALTER TABLE clinical_status DROP COLUMN flushing_per_day; \
             ALTER TABLE clinical_status DROP COLUMN diarrhoea_per_day; \
             ALTER TABLE biomarker RENAME TO biomarker_v5;",
        );
        sql.push_str(&v1);
        sql.push_str(&format!(
            "INSERT INTO biomarker ({0}) SELECT {0} FROM biomarker_v5; DROP TABLE biomarker_v5; \
             DELETE FROM schema_migrations WHERE version = 6;",
            cols.join(", ")
        ));
        pool.execute(sql.as_str()).await.unwrap();
        // Version 5 refuses a marker without a value.
        let refused = pool
            .execute("INSERT INTO biomarker (patient, marker, marker_detail, date) VALUES ('P1', 'cea', '', '2016')")
            .await;
        assert!(refused.is_err(), "{backend}: value NOT NULL before 6");
        let e = Registry::open(&db.location).await.unwrap_err();
        assert!(e.to_string().contains("netra init"), "{backend}: {e}");
        let (upgraded, ran) = Registry::init(&db.location).await.unwrap();
        assert_eq!(ran, vec![6], "{backend}");
        let after = upgraded.patient_course("P1").await.unwrap().unwrap();
        assert_eq!(after, before, "{backend}");
        import_dir(&upgraded, &data("model_v3")).await;
        let c = upgraded.patient_course("P1").await.unwrap().unwrap();
        assert_eq!(c.marker_findings.len(), 2, "{backend}");
        upgraded.close().await;
        db.finish().await;
    }
}
