//! `netra audit verify` finds direct edits of registry rows (issue 14, item
//! 7), and `netra audit head` / `verify --head` anchor the chain against a
//! cut-back trail.

mod common;

use common::{init_with_example, netra, ok};

fn fails(args: &[&str]) -> String {
    let out = netra(args);
    assert!(!out.status.success(), "netra {args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

/// Runs SQL directly on the SQLite file, as someone with file access would.
fn sql(db: &str, statements: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Executor;
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&format!("sqlite://{db}"))
            .await
            .unwrap();
        pool.execute(statements).await.unwrap();
        pool.close().await;
    });
}

#[test]
fn verify_names_a_direct_edit_and_a_recorded_head_catches_a_cut_trail() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("netra.db");
    let db = db.to_str().unwrap();
    init_with_example(db);
    let head = ok(&["audit", "head", "--db", db]).trim().to_string();
    assert_eq!(head.len(), 64, "{head}");
    let out = ok(&["audit", "verify", "--db", db, "--head", &head]);
    assert!(out.contains("entry 398 of the chain"), "{out}");
    assert!(out.contains("registry matches the audit trail"), "{out}");

    // A direct edit of a registry row: the chain is intact, verify fails
    // and names the record and the column.
    sql(db, "UPDATE patient SET sex = 'male' WHERE patient = '1'");
    let err = fails(&["audit", "verify", "--db", db]);
    assert!(
        err.contains(
            "patient [\"1\"]: sex is 'male' in the registry but 'female' by the audit trail"
        ),
        "{err}"
    );
    assert!(err.contains("changed outside netra: 1 record(s)"), "{err}");
    sql(db, "UPDATE patient SET sex = 'female' WHERE patient = '1'");
    ok(&["audit", "verify", "--db", db]);

    // Cutting the last entries off leaves an intact chain: the recorded
    // head sees it.
    sql(
        db,
        "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq > 370;",
    );
    let err = fails(&["audit", "verify", "--db", db, "--head", &head]);
    assert!(
        err.contains("is not in the audit trail: entries were removed"),
        "{err}"
    );
}
