//! Re-imports and table digests: a table of the bundle whose digest equals
//! the stored table's (kept with the audit head after each import) is not
//! loaded nor compared row by row. A changed cell, a removed and an added
//! record are still found, with the same counts, registry and audit
//! entries as when every row is compared; a change made through the store
//! (which moves the audit head) makes the next import compare rows again.

mod common;

use std::path::Path;

use common::*;
use netra_clinical::registry::schema::{Entity, Value};
use netra_store::{Bundle, ImportReport, Registry};

fn counts(r: &ImportReport, e: Entity) -> (usize, usize, usize, usize) {
    let c = r.entities.iter().find(|c| c.entity == e).unwrap();
    (c.rows, c.inserted, c.updated, c.unchanged)
}

async fn import(reg: &Registry, dir: &Path) -> ImportReport {
    import_dir(reg, dir).await
}

/// The audit entries without their time (the two registries import at
/// different moments) and hashes.
type Entry = (i64, String, String, String, Option<String>, Option<String>);

async fn entries(reg: &Registry) -> Vec<Entry> {
    reg.audit_log(&netra_store::AuditQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.seq,
                e.action,
                e.table_name,
                e.record_key,
                e.old_values,
                e.new_values,
            )
        })
        .collect()
}

#[tokio::test]
async fn reimports_compare_tables_by_digest_and_rows_when_they_differ() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    netra_store::synthetic::write_bundle(&full, 40, 3).unwrap();
    // A: every record but the last metastasis.
    let a = tmp.path().join("a");
    copy_dir(&full, &a);
    edit_file(&a, "metastases.csv", |l| {
        l.pop();
    });
    // B: that metastasis added, the last clinical status removed, one
    // biomarker value changed.
    let b = tmp.path().join("b");
    copy_dir(&full, &b);
    edit_file(&b, "clinical_status.csv", |l| {
        l.pop();
    });
    edit_file(&b, "biomarkers.csv", |l| {
        let row = l
            .iter()
            .position(|r| {
                r.split(',')
                    .nth(3)
                    .is_some_and(|v| v.parse::<f64>().is_ok())
            })
            .unwrap();
        let mut cells: Vec<String> = l[row].split(',').map(str::to_string).collect();
        let v: f64 = cells[3].parse().unwrap();
        cells[3] = format!("{}", v + 1.0);
        l[row] = cells.join(",");
    });
    let all: Vec<Entity> = Bundle::read_dir(&full)
        .unwrap()
        .counts()
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    assert_eq!(all.len(), 13);

    for backend in backends() {
        // `fast` keeps its digests; `slow` loses them before each import,
        // so that every row is compared (as before digests).
        let fast = TestDb::new(backend).await;
        let slow = TestDb::new(backend).await;
        let forget = |reg: &Registry| {
            let pool = reg.pool().clone();
            async move {
                sqlx::query("DELETE FROM web_setting WHERE name LIKE 'import.digest.%'")
                    .execute(&pool)
                    .await
                    .unwrap();
            }
        };
        let r = import(&fast.registry, &a).await;
        assert!(r.equal_by_digest.is_empty(), "{backend}: a fresh registry");
        import(&slow.registry, &a).await;

        // The same bundle again: every table equal by digest, nothing written.
        let before = snapshot(&fast.registry).await;
        let r = import(&fast.registry, &a).await;
        assert_eq!(r.equal_by_digest, all, "{backend}");
        assert_eq!((r.changes(), r.audit_entries), (0, 0));
        assert!(r.entities.iter().all(|c| c.unchanged == c.rows));
        assert_eq!(snapshot(&fast.registry).await, before);

        // B: three tables differ and are compared row by row.
        let rf = import(&fast.registry, &b).await;
        forget(&slow.registry).await;
        let rs = import(&slow.registry, &b).await;
        assert!(rs.equal_by_digest.is_empty());
        let differ = [
            Entity::Metastasis,
            Entity::Biomarker,
            Entity::ClinicalStatus,
        ];
        let want: Vec<Entity> = all
            .iter()
            .copied()
            .filter(|e| !differ.contains(e))
            .collect();
        assert_eq!(rf.equal_by_digest, want, "{backend}");
        assert_eq!(rf.entities, rs.entities, "{backend}");
        let (rows, ins, upd, unch) = counts(&rf, Entity::Metastasis);
        assert_eq!((ins, upd, unch), (1, 0, rows - 1), "the added record");
        let (rows, ins, upd, unch) = counts(&rf, Entity::Biomarker);
        assert_eq!((ins, upd, unch), (0, 1, rows - 1), "the changed cell");
        let (rows, ins, upd, unch) = counts(&rf, Entity::ClinicalStatus);
        assert_eq!((ins, upd, unch), (0, 0, rows), "the removed record is kept");
        assert_eq!(rf.audit_entries, 2);
        assert_eq!(
            snapshot(&fast.registry).await.0,
            snapshot(&slow.registry).await.0,
            "{backend}: same registry"
        );
        assert_eq!(entries(&fast.registry).await, entries(&slow.registry).await);

        // The digests followed the changes: B again is equal but for the
        // clinical status it lacks (still stored).
        let r = import(&fast.registry, &b).await;
        let but_status: Vec<Entity> = all
            .iter()
            .copied()
            .filter(|e| *e != Entity::ClinicalStatus)
            .collect();
        assert_eq!(
            r.equal_by_digest, but_status,
            "clinical status has one row more stored"
        );
        assert_eq!(r.changes(), 0);
        // The full bundle: only the biomarker differs (its value goes back).
        let r = import(&fast.registry, &full).await;
        let but_biomarker: Vec<Entity> = all
            .iter()
            .copied()
            .filter(|e| *e != Entity::Biomarker)
            .collect();
        assert_eq!(r.equal_by_digest, but_biomarker, "{backend}");
        assert_eq!(r.changes(), 1);
        let r = import(&fast.registry, &full).await;
        assert_eq!(r.equal_by_digest, all, "{backend}");
        assert_eq!(r.changes(), 0);

        // A change through the store moves the audit head: the digests are
        // stale and the next import compares rows, finding the deleted row.
        let text = std::fs::read_to_string(full.join("metastases.csv")).unwrap();
        let cells: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
        let key = vec![
            Value::Text(cells[0].to_string()),
            Value::Text(cells[1].to_string()),
            Value::Null,
        ];
        fast.registry
            .delete_record(Entity::Metastasis, &key, &actor("dm", "wrong"))
            .await
            .unwrap();
        let r = import(&fast.registry, &full).await;
        assert!(r.equal_by_digest.is_empty(), "{backend}");
        let (rows, ins, _, unch) = counts(&r, Entity::Metastasis);
        assert_eq!((ins, unch), (1, rows - 1));
        assert!(fast.registry.verify_audit().await.unwrap().is_intact());
        let r = import(&fast.registry, &full).await;
        assert_eq!(r.equal_by_digest, all, "{backend}: digests stored again");
        fast.finish().await;
        slow.finish().await;
    }
}
