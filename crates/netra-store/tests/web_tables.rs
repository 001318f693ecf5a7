//! The web application's tables through the store's named methods
//! (accounts, sessions, the security log, settings) and the site reads of
//! the surfaces, on SQLite and (when configured) PostgreSQL.

mod common;

use common::*;
use netra_store::{AccountChange, NewAccount, NewEvent, Registry};

/// Sites `b`, `a` and `B` of study `s` (stored in that order).
async fn with_sites(reg: &Registry) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("study.csv"), "study,title\ns,Study S\n").unwrap();
    std::fs::write(
        dir.path().join("sites.csv"),
        "site,study,name\nb,s,Centre B\na,s,Centre A\nB,s,Upper B\n",
    )
    .unwrap();
    import_dir(reg, dir.path()).await;
}

fn new_account<'a>(name: &'a str, sites: &'a [String]) -> NewAccount<'a> {
    NewAccount {
        username: name,
        display_name: Some("Ana"),
        role: "data_manager",
        password_hash: "hash-1",
        sites,
        at: "2026-01-01T00:00:00Z",
    }
}

#[tokio::test]
async fn sites_are_read_in_byte_order_with_their_study() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        assert!(reg.sites().await.unwrap().is_empty(), "{backend}");
        with_sites(reg).await;
        let codes: Vec<String> = reg
            .sites()
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.site)
            .collect();
        // Byte order on both backends ('B' < 'a' < 'b'), whatever the
        // database's collation.
        assert_eq!(codes, ["B", "a", "b"], "{backend}");
        let a = reg.site("a").await.unwrap().unwrap();
        assert_eq!(
            (a.name.as_str(), a.study.as_str(), a.study_title.as_str()),
            ("Centre A", "s", "Study S"),
            "{backend}"
        );
        assert!(reg.site("A").await.unwrap().is_none(), "{backend}");
        assert!(reg.site_exists("b").await.unwrap(), "{backend}");
        assert!(!reg.site_exists("c").await.unwrap(), "{backend}");
        db.finish().await;
    }
}

#[tokio::test]
async fn accounts_are_created_once_changed_and_listed() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        with_sites(reg).await;
        let a = ["a".to_string()];
        assert!(reg.insert_account(&new_account("ana", &a)).await.unwrap());
        // The primary key refuses a second account of the name.
        let again = NewAccount {
            role: "analyst",
            ..new_account("ana", &[])
        };
        assert!(!reg.insert_account(&again).await.unwrap(), "{backend}");
        // A site that does not exist is refused by its foreign key, and
        // the account row of that transaction is not kept.
        let nowhere = ["zz".to_string()];
        assert!(
            reg.insert_account(&new_account("bob", &nowhere))
                .await
                .is_err()
        );
        assert!(reg.account("bob").await.unwrap().is_none(), "{backend}");

        let (acc, hash) = reg.account("ana").await.unwrap().unwrap();
        assert_eq!(hash, "hash-1");
        assert_eq!(acc.role, "data_manager");
        assert_eq!(acc.sites, ["a"]);
        assert_eq!(acc.display_name.as_deref(), Some("Ana"));
        assert!(acc.active);
        assert!(reg.account("nobody").await.unwrap().is_none());

        let none: [String; 0] = [];
        assert!(
            reg.insert_account(&NewAccount {
                role: "administrator",
                display_name: None,
                ..new_account("adm", &none)
            })
            .await
            .unwrap()
        );
        assert_eq!(reg.count_accounts().await.unwrap(), 2, "{backend}");

        // A change replaces the sites and ends the account's sessions.
        reg.insert_session("t1", "ana", "c1", 100, "127.0.0.1")
            .await
            .unwrap();
        reg.insert_session("t2", "adm", "c2", 100, "127.0.0.1")
            .await
            .unwrap();
        let sites = ["b".to_string(), "B".to_string()];
        let change = AccountChange {
            role: "investigator",
            sites: &sites,
            active: false,
            display_name: None,
        };
        assert!(reg.update_account("ana", &change).await.unwrap());
        assert!(!reg.update_account("nobody", &change).await.unwrap());
        assert!(reg.session("t1").await.unwrap().is_none(), "{backend}");
        assert!(reg.session("t2").await.unwrap().is_some(), "{backend}");

        let all = reg.accounts().await.unwrap();
        let names: Vec<&str> = all.iter().map(|a| a.username.as_str()).collect();
        assert_eq!(names, ["adm", "ana"], "{backend}");
        assert!(all[0].sites.is_empty());
        assert_eq!(all[1].role, "investigator");
        assert_eq!(all[1].sites, ["B", "b"], "{backend}");
        assert!(!all[1].active);
        assert_eq!(all[1].display_name, None);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_new_password_ends_every_other_session() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        with_sites(reg).await;
        assert!(reg.insert_account(&new_account("ana", &[])).await.unwrap());
        for t in ["t1", "t2", "t3"] {
            reg.insert_session(t, "ana", "c", 100, "x").await.unwrap();
        }
        let at = "2026-02-02T00:00:00Z";
        assert!(
            reg.set_password_hash("ana", "hash-2", at, Some("t2"))
                .await
                .unwrap()
        );
        assert_eq!(reg.account("ana").await.unwrap().unwrap().1, "hash-2");
        assert!(reg.session("t1").await.unwrap().is_none(), "{backend}");
        assert!(reg.session("t2").await.unwrap().is_some(), "{backend}");
        assert!(reg.session("t3").await.unwrap().is_none(), "{backend}");
        // Without a session to keep, every session ends.
        assert!(reg.set_password_hash("ana", "h3", at, None).await.unwrap());
        assert!(reg.session("t2").await.unwrap().is_none(), "{backend}");
        assert!(
            !reg.set_password_hash("nobody", "h", at, None)
                .await
                .unwrap()
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn sessions_are_read_touched_and_purged_by_their_bounds() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        assert!(reg.insert_account(&new_account("ana", &[])).await.unwrap());
        // (token, created, last seen after a touch)
        reg.insert_session("old", "ana", "c-old", 10, "x")
            .await
            .unwrap();
        reg.insert_session("idle", "ana", "c-idle", 50, "x")
            .await
            .unwrap();
        reg.insert_session("live", "ana", "c-live", 50, "x")
            .await
            .unwrap();
        reg.touch_session("old", 90).await.unwrap();
        reg.touch_session("live", 61).await.unwrap();
        let s = reg.session("live").await.unwrap().unwrap();
        assert_eq!(
            (
                s.username.as_str(),
                s.csrf.as_str(),
                s.created_at,
                s.last_seen
            ),
            ("ana", "c-live", 50, 61),
            "{backend}"
        );
        // Seen at or before 60, or created before 20: "idle" (seen at 50)
        // and "old" (created at 10) go, "live" stays.
        assert_eq!(reg.purge_sessions(60, 20).await.unwrap(), 2, "{backend}");
        assert!(reg.session("idle").await.unwrap().is_none());
        assert!(reg.session("old").await.unwrap().is_none());
        assert!(reg.session("live").await.unwrap().is_some());
        reg.delete_session("live").await.unwrap();
        reg.delete_session("live").await.unwrap();
        assert!(reg.session("live").await.unwrap().is_none(), "{backend}");
        db.finish().await;
    }
}

#[tokio::test]
async fn events_are_listed_newest_first_and_settings_keep_their_first_value() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let reg = &db.registry;
        for (i, e) in ["login", "logout", "login_failed"].into_iter().enumerate() {
            let at = format!("2026-01-0{}T00:00:00Z", i + 1);
            reg.log_event(&NewEvent {
                at: &at,
                username: (i != 2).then_some("ana"),
                event: e,
                detail: None,
                client: Some("127.0.0.1"),
            })
            .await
            .unwrap();
        }
        let ev = reg.recent_events(2).await.unwrap();
        let names: Vec<&str> = ev.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(names, ["login_failed", "logout"], "{backend}");
        assert_eq!(ev[0].username, None);
        assert_eq!(ev[1].username.as_deref(), Some("ana"));
        assert_eq!(ev[1].at, "2026-01-02T00:00:00Z");

        assert_eq!(reg.setting_or_insert("k", "one").await.unwrap(), "one");
        assert_eq!(reg.setting_or_insert("k", "two").await.unwrap(), "one");
        assert_eq!(reg.setting_or_insert("j", "two").await.unwrap(), "two");
        db.finish().await;
    }
}
