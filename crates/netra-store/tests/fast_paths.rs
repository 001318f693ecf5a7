//! The fast bulk readers give exactly what the generic row-by-row readers
//! give, on SQLite and (when configured) PostgreSQL: the paged audit chain
//! check against the entry-by-entry check on intact and tampered trails.

mod common;

use common::*;
use sqlx::Executor;

/// Drops the append-only guards, as someone with DDL rights could.
async fn disable_guards(reg: &netra_store::Registry, backend: &str) {
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
}

/// Each tampering, on a fresh copy of the example registry, with the seq
/// of the first break the check must report (`None`: intact).
const TAMPERINGS: &[(&str, &str, Option<i64>)] = &[
    ("nothing", "SELECT 1", None),
    (
        "a changed entry",
        "UPDATE audit_log SET new_values = replace(new_values, 'female', 'male') WHERE seq = 3",
        Some(3),
    ),
    (
        "a deleted entry",
        "DELETE FROM audit_log WHERE seq = 9",
        Some(10),
    ),
    (
        "two entries swapped (content and hash)",
        "UPDATE audit_log SET \
           table_name = (SELECT o.table_name FROM audit_log o WHERE o.seq = 11 - audit_log.seq), \
           record_key = (SELECT o.record_key FROM audit_log o WHERE o.seq = 11 - audit_log.seq), \
           new_values = (SELECT o.new_values FROM audit_log o WHERE o.seq = 11 - audit_log.seq), \
           hash = (SELECT o.hash FROM audit_log o WHERE o.seq = 11 - audit_log.seq) \
         WHERE seq IN (5, 6)",
        Some(5),
    ),
    (
        "a value holding text that looks like the page encoding",
        "UPDATE audit_log SET new_values = '-,3:abc-4,1,-' || new_values WHERE seq = 4",
        Some(4),
    ),
    (
        "a value removed (NULL)",
        "UPDATE audit_log SET new_values = NULL WHERE seq = 12",
        Some(12),
    ),
    (
        "the change set's reason",
        "UPDATE audit_change_set SET reason = 'x,1:-'",
        Some(1),
    ),
    (
        "the last entry's hash",
        "UPDATE audit_log SET hash = upper(hash) WHERE seq = 398",
        Some(398),
    ),
];

#[tokio::test]
async fn paged_chain_check_reports_what_the_entry_by_entry_check_reports() {
    for backend in backends() {
        for (what, sql, first) in TAMPERINGS {
            let db = TestDb::new(backend).await;
            let reg = &db.registry;
            import_dir(reg, &example_bundle()).await;
            disable_guards(reg, backend).await;
            reg.pool().execute(*sql).await.unwrap();
            let fast = reg.verify_audit().await.unwrap();
            let reference = reg.verify_audit_by_entry().await.unwrap();
            assert_eq!(fast, reference, "{backend}: {what}");
            let small_pages = reg.verify_audit_paged(5).await.unwrap();
            assert_eq!(small_pages, reference, "{backend}: {what}, pages of 5");
            assert_eq!(
                fast.problems.first().map(|p| p.seq),
                *first,
                "{backend}: {what}: {:?}",
                fast.problems
            );
            if first.is_none() {
                assert_eq!(fast.entries, 398, "{backend}");
                assert_eq!(fast.head.as_ref().map(|h| h.0), Some(398), "{backend}");
            }
            db.finish().await;
        }
    }
}

#[tokio::test]
async fn paged_chain_check_spans_pages_and_skips_entries_of_a_missing_change_set() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        import_dir(reg, &example_bundle()).await;
        disable_guards(reg, backend).await;
        // An entry pointing at a change set that does not exist vanishes
        // from the join: reported as a gap by both checks.
        let fk_off = match backend {
            "sqlite" => {
                "PRAGMA foreign_keys = OFF; UPDATE audit_log SET change_set = 99 WHERE seq = 20; PRAGMA foreign_keys = ON;"
            }
            _ => {
                "ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_change_set_fkey; UPDATE audit_log SET change_set = 99 WHERE seq = 20;"
            }
        };
        let mut conn = reg.pool().acquire().await.unwrap();
        conn.execute(fk_off).await.unwrap();
        drop(conn);
        let reference = reg.verify_audit_by_entry().await.unwrap();
        // Pages of 7 entries: the entry skipped and the breaks fall inside
        // and across pages.
        for page in [7, 8192] {
            let fast = reg.verify_audit_paged(page).await.unwrap();
            assert_eq!(fast, reference, "{backend}, page {page}");
        }
        let fast = reg.verify_audit().await.unwrap();
        assert_eq!(fast.entries, 397, "{backend}");
        assert_eq!(fast.problems[0].seq, 21, "{backend}: {:?}", fast.problems);
        assert!(
            fast.problems[0]
                .reason
                .contains("entries 20..20 are missing")
        );
        db.finish().await;
    }
}

/// Both loaders on one registry: the full course list with pages of several
/// sizes, and a filter.
async fn compare_loaders(reg: &netra_store::Registry, what: &str) {
    let all = netra_store::CourseFilter::default();
    let reference = reg.courses_by_patient(&all).await.unwrap();
    assert!(reference.len() >= 4, "{what}: {}", reference.len());
    assert!(
        reference.iter().any(|c| !c.assessments.is_empty()),
        "{what}"
    );
    assert!(reference.iter().any(|c| !c.treatments.is_empty()), "{what}");
    for page in [1, 3, 64, 2000] {
        let fast = reg.courses_paged(&all, page).await.unwrap();
        assert!(fast == reference, "{what}: pages of {page} differ");
    }
    assert!(reg.courses(&all).await.unwrap() == reference, "{what}");
    let some = netra_store::CourseFilter {
        sites: None,
        patients: Some(vec![
            reference[1].patient.code.clone(),
            reference[reference.len() - 1].patient.code.clone(),
        ]),
    };
    let fast = reg.courses_paged(&some, 2).await.unwrap();
    assert_eq!(fast.len(), 2, "{what}");
    assert!(
        fast == reg.courses_by_patient(&some).await.unwrap(),
        "{what}"
    );
}

#[tokio::test]
async fn paged_course_loader_returns_what_the_per_patient_loader_returns() {
    let synthetic = tempfile::tempdir().unwrap();
    netra_store::synthetic::write_bundle(synthetic.path(), 300, 7).unwrap();
    for backend in backends() {
        for (what, dir) in [
            ("synthetic, 300 patients", synthetic.path().to_path_buf()),
            ("example bundle", example_bundle()),
        ] {
            let db = TestDb::new(backend).await;
            import_dir(&db.registry, &dir).await;
            compare_loaders(&db.registry, &format!("{backend}: {what}")).await;
            db.finish().await;
        }
    }
}

/// Direct edits of registry rows (no audit entry), each on a fresh copy of
/// the example registry after an update and a delete through the store.
const DIRECT_EDITS: &[(&str, &str)] = &[
    ("nothing", "SELECT 1"),
    (
        "a changed value",
        "UPDATE patient SET sex = 'male' WHERE patient = '1'",
    ),
    (
        "a changed number of a child row",
        "UPDATE biomarker SET value = value + 0.5 WHERE value IS NOT NULL",
    ),
    (
        "a deleted child row",
        "DELETE FROM treatment_agent WHERE patient = '2' AND treatment = 'rnt'",
    ),
    (
        "an inserted child row",
        "INSERT INTO treatment_agent (patient, treatment, agent, agent_detail) \
         VALUES ('1', 'rnt', 'everolimus', '')",
    ),
    (
        "a changed value of a record updated through the store",
        "UPDATE patient SET notes = 'edited' WHERE patient = '2'",
    ),
];

#[tokio::test]
async fn paged_state_check_reports_what_the_row_by_row_check_reports() {
    use netra_clinical::registry::schema::{Entity, Value};
    for backend in backends() {
        for (what, sql) in DIRECT_EDITS {
            let db = TestDb::new(backend).await;
            let reg = &db.registry;
            import_dir(reg, &example_bundle()).await;
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
            reg.pool().execute(*sql).await.unwrap();
            let reference = reg.verify_state_by_row().await.unwrap();
            assert!(reference.records > 300, "{backend}: {what}");
            assert_eq!(
                reference.is_consistent(),
                *what == "nothing",
                "{backend}: {what}: {:?}",
                reference.first
            );
            for page in [1, 3, 2000] {
                let fast = reg.verify_state_paged(page).await.unwrap();
                assert_eq!(fast, reference, "{backend}: {what}, pages of {page}");
            }
            assert_eq!(
                reg.verify_state().await.unwrap(),
                reference,
                "{backend}: {what}"
            );
            db.finish().await;
        }
    }
}
