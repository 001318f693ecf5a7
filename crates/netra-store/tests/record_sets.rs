//! Several entities in one guarded write (the web's rows: a treatment with
//! its agents), the bundle's column texts by line, and a bundle import
//! under expectations (the web upload of a data manager).

mod common;

use common::*;
use netra_clinical::registry::schema::{Entity, Value};
use netra_store::{Bundle, Expect, Expected, ImportOptions, Otherwise, StoreError};

fn row(entity: Entity, cells: &[(&str, &str)]) -> Vec<Value> {
    let spec = entity.spec();
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

#[tokio::test]
async fn a_parent_and_its_children_are_written_together_or_not_at_all() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        import_dir(reg, &example_bundle()).await;
        let who = actor("dm", "rows");
        let treatment = row(
            Entity::Treatment,
            &[("patient", "2"), ("treatment", "T99"), ("type", "targeted")],
        );
        let agent = |a: &str| {
            row(
                Entity::TreatmentAgent,
                &[("patient", "2"), ("treatment", "T99"), ("agent", a)],
            )
        };
        let key = [Value::Text("2".into()), Value::Text("T99".into())];
        let revision = reg.revision().await.unwrap();
        let bad = vec![
            (Entity::Treatment, vec![treatment.clone()]),
            (
                Entity::TreatmentAgent,
                vec![agent("everolimus"), agent("nonsense")],
            ),
        ];
        let err = reg.save_record_sets(&bad, &[], &who).await.unwrap_err();
        let StoreError::Invalid(p) = &err else {
            panic!("{backend}: {err}")
        };
        // The bad row is named by its file and line (row 2 → line 3).
        assert!(
            p.list.iter().any(|x| x.file == "treatment_agents.csv"
                && x.line == Some(3)
                && x.column.as_deref() == Some("agent")),
            "{backend}: {p}"
        );
        assert_eq!(reg.record(Entity::Treatment, &key).await.unwrap(), None);
        assert_eq!(reg.revision().await.unwrap(), revision, "{backend}");
        // A check writes nothing even when everything is right.
        let good = vec![
            (Entity::Treatment, vec![treatment.clone()]),
            (
                Entity::TreatmentAgent,
                vec![agent("everolimus"), agent("octreotide")],
            ),
        ];
        let report = reg.check_record_sets(&good, &[], &who).await.unwrap();
        assert_eq!(report.changes(), 3, "{backend}");
        assert_eq!(reg.revision().await.unwrap(), revision);
        // Under an expectation that fails, nothing is written either.
        let taken = Expect {
            entity: Entity::Patient,
            key: vec![Value::Text("2".into())],
            state: Expected::Absent,
            otherwise: Otherwise::Refused("patient 2 exists".into()),
        };
        let err = reg
            .save_record_sets(&good, std::slice::from_ref(&taken), &who)
            .await
            .unwrap_err();
        assert!(matches!(&err, StoreError::Refused(m) if m == "patient 2 exists"));
        assert_eq!(reg.revision().await.unwrap(), revision);
        let report = reg.save_record_sets(&good, &[], &who).await.unwrap();
        assert_eq!(report.audit_entries, 3, "{backend}");
        assert!(reg.record(Entity::Treatment, &key).await.unwrap().is_some());
        db.finish().await;
    }
}

#[tokio::test]
async fn a_bundle_import_can_be_made_to_expect_facts_and_its_cells_read_by_line() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        import_dir(reg, &example_bundle()).await;
        let csv = "patient,site,sex,vital_status\nnew1,,female,alive\n\"new2\",x,male,alive\n";
        let bundle = Bundle::from_csv(Entity::Patient, csv.as_bytes()).unwrap();
        assert_eq!(
            bundle.column_texts(Entity::Patient, "site"),
            vec![(2, None), (3, Some("x".to_string()))]
        );
        assert_eq!(
            bundle.column_texts(Entity::Patient, "death_date"),
            vec![(2, None), (3, None)],
            "a column the file lacks"
        );
        assert!(bundle.column_texts(Entity::Lesion, "patient").is_empty());
        let sites = reg.sites().await.unwrap();
        let site = &sites[0].site;
        let csv = format!("patient,site,sex,vital_status\nnew1,{site},female,alive\n");
        let bundle = Bundle::from_csv(Entity::Patient, csv.as_bytes()).unwrap();
        let opts = ImportOptions {
            actor: actor("dm", "upload"),
            dry_run: false,
        };
        let elsewhere = Expect {
            entity: Entity::Patient,
            key: vec![Value::Text("2".into())],
            state: Expected::Columns(vec![("site".into(), Value::Text("elsewhere".into()))]),
            otherwise: Otherwise::Refused("patient 2 moved".into()),
        };
        let err = reg
            .import_bundle_expecting(&bundle, &opts, std::slice::from_ref(&elsewhere))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Refused(m) if m == "patient 2 moved"),
            "{err}"
        );
        let new1 = [Value::Text("new1".into())];
        assert_eq!(reg.record(Entity::Patient, &new1).await.unwrap(), None);
        let report = reg
            .import_bundle_expecting(&bundle, &opts, &[])
            .await
            .unwrap();
        assert_eq!(report.changes(), 1);
        assert!(reg.record(Entity::Patient, &new1).await.unwrap().is_some());
        db.finish().await;
    }
}
