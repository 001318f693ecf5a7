//! The bulk readers give exactly what the generic `sqlx` readers give, on
//! the same data: on SQLite the `rusqlite` paths (`Registry::courses`,
//! `verify_audit`, `verify_state`, `verify_audit_and_state`) against the
//! `sqlx` paths that PostgreSQL uses (`courses_by_patient`,
//! `verify_audit_paged`, `verify_state_by_row`), and, when PostgreSQL is
//! configured, the results of both backends against each other, on intact,
//! tampered and directly edited registries.

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

/// What a chain check says, without the head's hash (the hashes of two
/// registries differ by the change sets' times).
fn chain_outcome(v: &netra_store::Verification) -> (u64, Option<i64>, Vec<String>) {
    (
        v.entries,
        v.head.as_ref().map(|h| h.0),
        v.problems.iter().map(|p| p.to_string()).collect(),
    )
}

#[tokio::test]
async fn chain_and_state_checks_agree_across_paths_and_backends_on_tampered_trails() {
    let mut by_backend = Vec::new();
    for backend in backends() {
        let mut outcomes = Vec::new();
        for (what, sql, first) in TAMPERINGS {
            let db = TestDb::new(backend).await;
            let reg = &db.registry;
            import_dir(reg, &example_bundle()).await;
            disable_guards(reg, backend).await;
            reg.pool().execute(*sql).await.unwrap();
            let fast = reg.verify_audit().await.unwrap();
            let reference = reg.verify_audit_paged(8192).await.unwrap();
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
            // The state check reads the same (tampered) trail: the same
            // report, or the same error (a value text that is no longer
            // JSON).
            let text = |e: netra_store::StoreError| e.to_string();
            let state = reg.verify_state().await.map_err(text);
            let reference = reg.verify_state_by_row().await.map_err(text);
            assert_eq!(state, reference, "{backend}: {what}");
            if *what == "nothing" {
                assert!(matches!(&state, Ok(s) if s.is_consistent() && s.records > 300));
            }
            if let Ok(s) = &state {
                let both = reg.verify_audit_and_state().await.unwrap();
                assert_eq!(both, (fast.clone(), s.clone()), "{backend}: {what}");
            }
            // SQLite's UPDATE sees the rows it already changed, so the
            // "swap" leaves other data there than on PostgreSQL.
            if !what.contains("swapped") {
                outcomes.push((chain_outcome(&fast), state));
            }
            db.finish().await;
        }
        by_backend.push((backend, outcomes));
    }
    for w in by_backend.windows(2) {
        assert_eq!(w[0].1, w[1].1, "{} and {} differ", w[0].0, w[1].0);
    }
}

#[tokio::test]
async fn chain_checks_span_pages_and_skip_entries_of_a_missing_change_set() {
    let mut by_backend = Vec::new();
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
        let fast = reg.verify_audit().await.unwrap();
        // Pages of 7 entries: the entry skipped and the breaks fall inside
        // and across pages.
        for page in [7, 8192] {
            let paged = reg.verify_audit_paged(page).await.unwrap();
            assert_eq!(paged, fast, "{backend}, page {page}");
        }
        assert_eq!(fast.entries, 397, "{backend}");
        assert_eq!(fast.problems[0].seq, 21, "{backend}: {:?}", fast.problems);
        assert!(
            fast.problems[0]
                .reason
                .contains("entries 20..20 are missing")
        );
        // The state check still replays the entry.
        let (chain, state) = reg.verify_audit_and_state().await.unwrap();
        assert_eq!(chain, fast, "{backend}");
        assert!(state.is_consistent(), "{backend}: {:?}", state.first);
        by_backend.push(chain_outcome(&fast));
        db.finish().await;
    }
    assert!(
        by_backend.windows(2).all(|w| w[0] == w[1]),
        "{by_backend:?}"
    );
}

/// Every loader on one registry: the full course list with ranges of
/// several sizes, and filters of a few and of many patients; returns the
/// full list.
async fn compare_loaders(
    reg: &netra_store::Registry,
    what: &str,
) -> Vec<netra_clinical::registry::model::PatientCourse> {
    let all = netra_store::CourseFilter::default();
    let reference = reg.courses_by_patient(&all).await.unwrap();
    assert!(reference.len() >= 4, "{what}: {}", reference.len());
    assert!(
        reference.iter().any(|c| !c.assessments.is_empty()),
        "{what}"
    );
    assert!(reference.iter().any(|c| !c.treatments.is_empty()), "{what}");
    let courses = reg.courses(&all).await.unwrap();
    assert!(courses == reference, "{what}");
    if what.starts_with("sqlite") {
        // The SQLite loader gathers each group of rows and moves it into a
        // vector of its exact size.
        let exact = |c: &netra_clinical::registry::model::PatientCourse| {
            c.tumours.capacity() == c.tumours.len()
                && c.biomarkers.capacity() == c.biomarkers.len()
                && c.treatments.capacity() == c.treatments.len()
                && c.treatments.iter().all(|t| {
                    t.agents.capacity() == t.agents.len()
                        && t.administrations.capacity() == t.administrations.len()
                })
                && c.assessments.capacity() == c.assessments.len()
                && c.assessments
                    .iter()
                    .all(|a| a.lesions.capacity() == a.lesions.len())
                && c.clinical_status.capacity() == c.clinical_status.len()
                && c.adverse_events.capacity() == c.adverse_events.len()
        };
        assert!(courses.iter().all(exact), "{what}");
    }
    for range in [1, 3, 64, 65, 100, 2000] {
        let fast = reg.courses_paged(&all, range).await.unwrap();
        assert!(fast == reference, "{what}: ranges of {range} differ");
    }
    let codes = |step: usize| {
        reference
            .iter()
            .step_by(step)
            .map(|c| c.patient.code.clone())
            .collect::<Vec<_>>()
    };
    let sites: Vec<String> = reference
        .iter()
        .take(1)
        .map(|c| c.patient.site.clone())
        .collect();
    for filter in [
        netra_store::CourseFilter {
            sites: None,
            patients: Some(vec![
                reference[1].patient.code.clone(),
                reference[reference.len() - 1].patient.code.clone(),
                "no such patient".into(),
            ]),
        },
        netra_store::CourseFilter {
            sites: None,
            patients: Some(codes(3)),
        },
        netra_store::CourseFilter {
            sites: Some(sites),
            patients: None,
        },
    ] {
        let reference = reg.courses_by_patient(&filter).await.unwrap();
        assert!(!reference.is_empty(), "{what}: {filter:?}");
        assert!(
            reg.courses(&filter).await.unwrap() == reference,
            "{what}: {filter:?}"
        );
        for range in [2, 70] {
            let fast = reg.courses_paged(&filter, range).await.unwrap();
            assert!(fast == reference, "{what}: {filter:?}, ranges of {range}");
        }
    }
    reference
}

#[tokio::test]
async fn course_loaders_agree_across_paths_and_backends() {
    let synthetic = tempfile::tempdir().unwrap();
    netra_store::synthetic::write_bundle(synthetic.path(), 300, 7).unwrap();
    let mut by_backend = Vec::new();
    for backend in backends() {
        let mut loaded = Vec::new();
        for (what, dir) in [
            ("synthetic, 300 patients", synthetic.path().to_path_buf()),
            ("example bundle", example_bundle()),
        ] {
            let db = TestDb::new(backend).await;
            import_dir(&db.registry, &dir).await;
            loaded.push(compare_loaders(&db.registry, &format!("{backend}: {what}")).await);
            db.finish().await;
        }
        by_backend.push((backend, loaded));
    }
    for w in by_backend.windows(2) {
        assert!(w[0].1 == w[1].1, "{} and {} differ", w[0].0, w[1].0);
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
async fn state_checks_agree_across_paths_and_backends_on_direct_edits() {
    use netra_clinical::registry::schema::{Entity, Value};
    let mut by_backend = Vec::new();
    for backend in backends() {
        let mut outcomes = Vec::new();
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
            assert_eq!(
                reg.verify_state().await.unwrap(),
                reference,
                "{backend}: {what}"
            );
            let (chain, state) = reg.verify_audit_and_state().await.unwrap();
            assert!(chain.is_intact(), "{backend}: {what}");
            assert_eq!(state, reference, "{backend}: {what}");
            outcomes.push(reference);
            db.finish().await;
        }
        by_backend.push((backend, outcomes));
    }
    for w in by_backend.windows(2) {
        assert_eq!(w[0].1, w[1].1, "{} and {} differ", w[0].0, w[1].0);
    }
}

/// Values no netra write stores (a damaged or hand-edited SQLite file):
/// the readers return errors or results, never panic.
const DAMAGE: &[&str] = &[
    "UPDATE biomarker SET value = 'abc' WHERE value IS NOT NULL",
    "UPDATE biomarker SET value = 3 WHERE value IS NOT NULL",
    "UPDATE patient SET notes = x'ff00' WHERE patient = '1'",
    "UPDATE patient SET birth_date = 'yesterday' WHERE patient = '1'",
    "UPDATE patient SET ecog = 'two' WHERE patient = '1'",
    "UPDATE audit_log SET action = 'upsert' WHERE seq = 7",
    "UPDATE audit_log SET new_values = '{not json' WHERE seq = 7",
    "UPDATE audit_log SET record_key = x'c3' WHERE seq = 8",
    "UPDATE audit_log SET hash = 12 WHERE seq = 9",
];

#[tokio::test]
async fn damaged_sqlite_registries_give_errors_not_panics() {
    for sql in DAMAGE {
        let db = TestDb::new("sqlite").await;
        let reg = &db.registry;
        import_dir(reg, &example_bundle()).await;
        disable_guards(reg, "sqlite").await;
        reg.pool().execute(*sql).await.unwrap();
        let courses = reg.courses(&netra_store::CourseFilter::default()).await;
        let state = reg.verify_state().await;
        let chain = reg.verify_audit().await;
        let both = reg.verify_audit_and_state().await;
        // Whatever each says, the one-pass check says the same.
        match (&chain, &state, &both) {
            (Ok(c), Ok(s), Ok(b)) => assert_eq!(b, &(c.clone(), s.clone()), "{sql}"),
            _ => assert!(both.is_err() || chain.is_err() || state.is_err(), "{sql}"),
        }
        // Damage is found: an error or a report.
        let found = courses.is_err()
            || !matches!(&state, Ok(s) if s.is_consistent())
            || !matches!(&chain, Ok(c) if c.is_intact());
        assert!(found, "{sql}: nothing found");
        db.finish().await;
    }
}

/// The seqs of the entries of `table` with `action`, in trail order.
async fn seqs(reg: &netra_store::Registry, table: &str, action: &str) -> Vec<i64> {
    let q = format!(
        "SELECT seq FROM audit_log WHERE table_name = '{table}' AND action = '{action}' ORDER BY seq"
    );
    sqlx::query_scalar::<_, i64>(&q)
        .fetch_all(reg.pool())
        .await
        .unwrap()
}

/// The example registry with a history through the store: a treatment's
/// notes changed, a patient's notes changed twice, an assessment deleted
/// and recorded again (every record state the replay folds: inserted,
/// updated, deleted, inserted again).
async fn registry_with_history(backend: &str) -> TestDb {
    use netra_clinical::registry::schema::{Entity, Value};
    let db = TestDb::new(backend).await;
    let reg = &db.registry;
    import_dir(reg, &example_bundle()).await;
    let who = actor("dm", "correction");
    let text = |s: &str| Value::Text(s.into());
    let edit = |entity: Entity, key: Vec<Value>, notes: &'static str| {
        let who = who.clone();
        async move {
            let mut row = reg.record(entity, &key).await.unwrap().unwrap();
            row[entity.spec().position("notes").unwrap()] = Value::Text(notes.into());
            reg.upsert_records(entity, &[row], &who).await.unwrap();
        }
    };
    edit(
        Entity::Treatment,
        vec![text("2"), text("rnt")],
        "dose reduced",
    )
    .await;
    edit(Entity::Patient, vec![text("2")], "seen again").await;
    edit(Entity::Patient, vec![text("2")], "seen once more").await;
    let m3 = [text("18"), text("M3")];
    let row = reg.record(Entity::Assessment, &m3).await.unwrap().unwrap();
    reg.delete_record(Entity::Assessment, &m3, &who)
        .await
        .unwrap();
    reg.upsert_records(Entity::Assessment, &[row], &who)
        .await
        .unwrap();
    db
}

/// Changes to a registry with a history, each on a fresh copy: direct
/// edits of rows, and of the trail (guards dropped), by what the one-pass
/// check must say; `$UPDATE_n` is the seq of the n-th update entry,
/// `$ASSESSMENT` the seq of the assessment's second insert.
const HISTORY_CHANGES: &[(&str, &str)] = &[
    ("nothing", "SELECT 1"),
    (
        "a record updated twice, edited directly",
        "UPDATE patient SET notes = 'edited' WHERE patient = '2'",
    ),
    (
        "a record inserted again, deleted directly",
        "DELETE FROM assessment WHERE patient = '18' AND assessment = 'M3'",
    ),
    (
        "a record inserted again, edited directly",
        "UPDATE assessment SET notes = 'edited' WHERE patient = '18' AND assessment = 'M3'",
    ),
    (
        "an update's values unreadable",
        "UPDATE audit_log SET new_values = '{not json' WHERE seq = $UPDATE_3",
    ),
    (
        "an update naming an unknown column",
        "UPDATE audit_log SET new_values = '{\"nope\":\"x\"}' WHERE seq = $UPDATE_2",
    ),
    (
        "the insert an update starts from unreadable",
        "UPDATE audit_log SET new_values = '{not json' WHERE seq = \
         (SELECT MIN(seq) FROM audit_log WHERE table_name = 'treatment')",
    ),
    (
        "the delete turned into an update",
        "UPDATE audit_log SET action = 'update' WHERE action = 'delete'",
    ),
    (
        "the second insert turned into an update",
        "UPDATE audit_log SET action = 'update' WHERE seq = $ASSESSMENT",
    ),
];

#[tokio::test]
async fn state_checks_agree_on_registries_with_a_history() {
    for (what, sql) in HISTORY_CHANGES {
        let db = registry_with_history("sqlite").await;
        let reg = &db.registry;
        let updates = [
            seqs(reg, "treatment", "update").await,
            seqs(reg, "patient", "update").await,
        ]
        .concat();
        assert_eq!(updates.len(), 3, "{what}");
        let inserts = seqs(reg, "assessment", "insert").await;
        let mut sql = sql.replace("$ASSESSMENT", &inserts[inserts.len() - 1].to_string());
        for (i, seq) in updates.iter().enumerate() {
            sql = sql.replace(&format!("$UPDATE_{}", i + 1), &seq.to_string());
        }
        disable_guards(reg, "sqlite").await;
        reg.pool().execute(sql.as_str()).await.unwrap();
        let text = |e: netra_store::StoreError| e.to_string();
        let reference = reg.verify_state_by_row().await.map_err(text);
        let state = reg.verify_state().await.map_err(text);
        assert_eq!(state, reference, "{what}");
        match *what {
            "nothing" => assert!(matches!(&state, Ok(s) if s.is_consistent())),
            w if w.contains("directly") => {
                assert!(
                    matches!(&state, Ok(s) if s.differences == 1),
                    "{what}: {state:?}"
                )
            }
            _ => {}
        }
        if let Ok(s) = &state {
            let (chain, both) = reg.verify_audit_and_state().await.unwrap();
            assert_eq!(&both, s, "{what}");
            assert_eq!(chain, reg.verify_audit().await.unwrap(), "{what}");
        }
        db.finish().await;
    }
}

/// Several failing entries: the one-pass check reports the first in trail
/// order, as a replay entry by entry meets it, and an unknown action ends
/// the trail: failures after it are not reached. The row-by-row check (the
/// PostgreSQL path), which replays table by table, reports the same entry.
#[tokio::test]
async fn the_first_failing_entry_in_trail_order_is_reported() {
    let db = registry_with_history("sqlite").await;
    let reg = &db.registry;
    disable_guards(reg, "sqlite").await;
    let treatment = seqs(reg, "treatment", "update").await[0];
    let patient = seqs(reg, "patient", "update").await;
    let (first, last) = (patient[0], patient[1]);
    assert!(treatment < first && first < last);
    let bad =
        |seq: i64| format!("UPDATE audit_log SET new_values = '{{not json' WHERE seq = {seq}");
    let error = |r: Result<netra_store::StateCheck, netra_store::StoreError>| {
        let e = r.unwrap_err().to_string();
        e.split(':').next().unwrap_or_default().to_string()
    };
    // The patient table's failing update comes after the treatment's in
    // the trail, though the treatment table comes later in entity order.
    reg.pool().execute(bad(last).as_str()).await.unwrap();
    assert_eq!(
        error(reg.verify_state().await),
        format!("audit entry {last}")
    );
    assert_eq!(
        reg.verify_state_by_row().await.unwrap_err().to_string(),
        reg.verify_state().await.unwrap_err().to_string()
    );
    reg.pool().execute(bad(treatment).as_str()).await.unwrap();
    assert_eq!(
        error(reg.verify_state().await),
        format!("audit entry {treatment}")
    );
    assert_eq!(
        reg.verify_state_by_row().await.unwrap_err().to_string(),
        reg.verify_state().await.unwrap_err().to_string()
    );
    assert!(reg.verify_audit_and_state().await.is_err());
    // An unknown action before both ends the trail there.
    let unknown = format!(
        "UPDATE audit_log SET action = 'upsert' WHERE seq = {}",
        treatment - 1
    );
    reg.pool().execute(unknown.as_str()).await.unwrap();
    let e = reg.verify_state().await.unwrap_err().to_string();
    assert_eq!(
        e,
        format!("audit entry {}: unknown action 'upsert'", treatment - 1)
    );
    assert_eq!(reg.verify_state_by_row().await.unwrap_err().to_string(), e);
    db.finish().await;
    // An unknown action after the first failure does not hide it.
    let db = registry_with_history("sqlite").await;
    let reg = &db.registry;
    disable_guards(reg, "sqlite").await;
    reg.pool().execute(bad(first).as_str()).await.unwrap();
    let unknown = format!("UPDATE audit_log SET action = 'upsert' WHERE seq = {last}");
    reg.pool().execute(unknown.as_str()).await.unwrap();
    assert_eq!(
        error(reg.verify_state().await),
        format!("audit entry {first}")
    );
    assert_eq!(
        reg.verify_state_by_row().await.unwrap_err().to_string(),
        reg.verify_state().await.unwrap_err().to_string()
    );
    db.finish().await;
}

/// Child rows whose parent is missing (a file edited with foreign keys
/// off): every loader refuses them with the same error.
const ORPHANS: &[&str] = &[
    "INSERT INTO lesion (patient, assessment, lesion, organ, role) \
     VALUES ('18', 'ZZ', 'L9', 'liver', 'target')",
    "INSERT INTO lesion (patient, assessment, lesion, organ, role) \
     VALUES ('18', '0', 'L9', 'liver', 'target')",
    "INSERT INTO treatment_agent (patient, treatment, agent) VALUES ('1', 'nope', 'everolimus')",
    "INSERT INTO radionuclide_administration (patient, treatment, administration, activity_gbq) \
     VALUES ('2', 'a', 1, 7.4)",
];

#[tokio::test]
async fn course_loaders_refuse_orphan_rows_alike() {
    for sql in ORPHANS {
        let db = TestDb::new("sqlite").await;
        let reg = &db.registry;
        import_dir(reg, &example_bundle()).await;
        let mut conn = reg.pool().acquire().await.unwrap();
        conn.execute(
            format!("PRAGMA foreign_keys = OFF; {sql}; PRAGMA foreign_keys = ON;").as_str(),
        )
        .await
        .unwrap();
        drop(conn);
        let text = |e: netra_store::StoreError| e.to_string();
        let all = netra_store::CourseFilter::default();
        let reference = reg.courses_by_patient(&all).await.map(|_| ()).map_err(text);
        assert!(reference.is_err(), "{sql}");
        let fast = reg.courses(&all).await.map(|_| ()).map_err(text);
        assert_eq!(fast, reference, "{sql}");
        for range in [1, 2, 70] {
            let paged = reg
                .courses_paged(&all, range)
                .await
                .map(|_| ())
                .map_err(text);
            assert_eq!(paged, reference, "{sql}: ranges of {range}");
        }
        db.finish().await;
    }
}
