//! Issue 14, items 1 and 2: simultaneous requests. Creates are inserts that
//! fail on conflict inside the write transaction (never silent overwrites,
//! never across sites), and login limits count attempts in flight, with
//! bounded concurrent password hashing. On SQLite and, when
//! `NETRA_TEST_POSTGRES_URL` is set, on PostgreSQL.

mod common;

use axum::http::StatusCode;
use common::*;
use netra_server::Config;
use netra_server::accounts::{NewUser, Role, create_user, hash_password};
use serde_json::{Value, json};

/// Audit entries of one patient row: (action, new site).
async fn patient_audit(t: &TestApp, code: &str) -> Vec<(String, Option<String>)> {
    let entries = t
        .state
        .registry
        .audit_log(&netra_store::AuditQuery {
            table: Some("patient".into()),
            record_key: Some(serde_json::to_string(&[code]).unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    entries
        .into_iter()
        .map(|e| {
            let site = e
                .new_values
                .and_then(|v| serde_json::from_str::<Value>(&v).ok())
                .and_then(|v| v["site"].as_str().map(str::to_string));
            (e.action, site)
        })
        .collect()
}

async fn stored_site(t: &TestApp, code: &str) -> Option<String> {
    netra_server::access::patient_site(&t.state, code)
        .await
        .unwrap()
}

fn create_patient(who: &Login, code: &str, site: &str, sex: &str) -> Req {
    req("POST", "/api/records/patient").login(who).json(json!({
        "values": {"patient": code, "site": site, "sex": sex, "diagnosis_date": "2012-01-01", "vital_status": "alive"},
        "reason": "new patient"
    }))
}

async fn add_site_b_manager(t: &TestApp) {
    create_user(
        &t.state.registry,
        &NewUser {
            username: "dm_b".into(),
            display_name: None,
            role: Role::DataManager,
            sites: vec!["b".into()],
        },
        &hash_password(PASSWORD).unwrap(),
        0,
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_simultaneous_creates_of_one_record_make_one_record_and_one_audit_entry() {
    for backend in backends() {
        let t = test_app_on(backend, Config::default()).await;
        let dm = login(&t, "dm_a").await;
        // Values differ, so an overwrite would show as an update entry.
        let requests = (0..30usize)
            .map(|i| {
                create_patient(
                    &dm,
                    "x1",
                    "a",
                    if i.is_multiple_of(2) {
                        "male"
                    } else {
                        "female"
                    },
                )
            })
            .collect();
        let answers = all_at_once(&t, requests).await;
        let created = answers
            .iter()
            .filter(|r| r.status == StatusCode::CREATED)
            .count();
        let conflicts: Vec<&Response> = answers
            .iter()
            .filter(|r| r.status == StatusCode::CONFLICT)
            .collect();
        assert_eq!(created, 1, "{backend}: exactly one create succeeds");
        assert_eq!(conflicts.len(), 29, "{backend}: the others are 409");
        assert!(
            conflicts[0].json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("exists already"),
            "{backend}: {}",
            conflicts[0].text()
        );
        let audit = patient_audit(&t, "x1").await;
        assert_eq!(
            audit,
            [("insert".to_string(), Some("a".to_string()))],
            "{backend}: one audit entry, the insert"
        );
        t.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_data_manager_never_overwrites_or_moves_another_sites_new_patient() {
    for backend in backends() {
        let t = test_app_on(backend, Config::default()).await;
        add_site_b_manager(&t).await;
        let dm_a = login(&t, "dm_a").await;
        let dm_b = login(&t, "dm_b").await;
        for round in 0..5 {
            let code = format!("race{round}");
            // Site B's and site A's managers create the same code at once.
            let requests = (0..30usize)
                .map(|i| {
                    if i.is_multiple_of(2) {
                        create_patient(&dm_b, &code, "b", "male")
                    } else {
                        create_patient(&dm_a, &code, "a", "female")
                    }
                })
                .collect();
            let answers = all_at_once(&t, requests).await;
            let winners: Vec<usize> = answers
                .iter()
                .enumerate()
                .filter(|(_, r)| r.status == StatusCode::CREATED)
                .map(|(i, _)| i)
                .collect();
            assert_eq!(winners.len(), 1, "{backend} round {round}: {winners:?}");
            assert!(
                answers
                    .iter()
                    .all(|r| r.status == StatusCode::CREATED || r.status == StatusCode::CONFLICT),
                "{backend} round {round}: only 201 and 409"
            );
            let winner_site = if winners[0].is_multiple_of(2) {
                "b"
            } else {
                "a"
            };
            // The patient stays where its one creator put it, and its trail
            // is that one insert: no other site's values in its history.
            assert_eq!(
                stored_site(&t, &code).await.as_deref(),
                Some(winner_site),
                "{backend} round {round}"
            );
            assert_eq!(
                patient_audit(&t, &code).await,
                [("insert".to_string(), Some(winner_site.to_string()))],
                "{backend} round {round}"
            );
        }
        t.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_update_of_a_record_that_changed_meanwhile_is_refused_not_applied() {
    for backend in backends() {
        let t = test_app_on(backend, Config::default()).await;
        let admin = login(&t, "admin").await;
        let dm = login(&t, "dm_a").await;
        // 30 simultaneous edits of a2 by its site's manager and moves of a2
        // to site b by the administrator: whatever the order, the manager
        // never writes into a patient that is at site b by then.
        let requests = (0..30usize)
            .map(|i| {
                let (who, site, sex) = if i.is_multiple_of(3) {
                    (&admin, "b", "male")
                } else {
                    (&dm, "a", "female")
                };
                req("PUT", "/api/records/patient").login(who).json(json!({
                    "key": ["a2"],
                    "values": {"site": site, "sex": sex, "diagnosis_date": "2012-07", "vital_status": "alive", "last_followup_date": "2020-01-10"},
                    "reason": "edit"
                }))
            })
            .collect();
        let answers = all_at_once(&t, requests).await;
        for r in &answers {
            assert!(
                [StatusCode::OK, StatusCode::CONFLICT, StatusCode::NOT_FOUND].contains(&r.status),
                "{backend}: {} {}",
                r.status,
                r.text()
            );
        }
        // Every audit entry after a move to b is by the administrator.
        let entries = t
            .state
            .registry
            .audit_log(&netra_store::AuditQuery {
                table: Some("patient".into()),
                record_key: Some(r#"["a2"]"#.into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let mut site = "a".to_string();
        for e in &entries {
            if site == "b" {
                assert_eq!(e.actor, "admin", "{backend}: {e:?}");
            }
            if let Some(s) = e
                .new_values
                .as_deref()
                .and_then(|v| serde_json::from_str::<Value>(v).ok())
                .and_then(|v| v["site"].as_str().map(str::to_string))
            {
                site = s;
            }
        }
        t.finish().await;
    }
}

fn login_request(user: &str, password: &str, ip: &str) -> Req {
    req("POST", "/api/login")
        .client_ip(ip)
        .json(json!({"username": user, "password": password}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_simultaneous_guesses_check_at_most_the_account_limit() {
    let t = test_app().await;
    // 39 wrong passwords and the right one, all at once, from 40 addresses
    // (so that only the account's limit of 5 applies).
    let mut requests: Vec<Req> = (0..39)
        .map(|i| {
            login_request(
                "dm_a",
                &format!("wrong guess {i:02}"),
                &format!("10.9.0.{i}"),
            )
        })
        .collect();
    requests.insert(20, login_request("dm_a", PASSWORD, "10.9.1.1"));
    let answers = all_at_once(&t, requests).await;
    let checked = answers
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED || r.status == StatusCode::OK)
        .count();
    let refused = answers
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        checked <= 5,
        "{checked} passwords were checked (limit 5 per account)"
    );
    assert_eq!(checked + refused, 40);
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_logins_hashes_only_a_few_passwords_at_a_time() {
    let t = test_app().await;
    // 60 made-up accounts from 60 addresses: no rate limit applies, every
    // attempt needs an Argon2 verification (19 MiB each).
    let requests = (0..60)
        .map(|i| {
            login_request(
                &format!("nobody{i}"),
                "wrong password!",
                &format!("10.8.0.{i}"),
            )
        })
        .collect();
    let answers = all_at_once(&t, requests).await;
    for r in &answers {
        assert!(
            r.status == StatusCode::UNAUTHORIZED || r.status == StatusCode::TOO_MANY_REQUESTS,
            "{}",
            r.status
        );
    }
    let peak = t.state.hashing.peak();
    assert!(
        (1..=netra_server::accounts::HASHING_AT_ONCE).contains(&peak),
        "{peak} Argon2 computations ran at once"
    );
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_database_make_one_record_of_simultaneous_creates() {
    for backend in backends() {
        let t = test_app_on(backend, Config::default()).await;
        add_site_b_manager(&t).await;
        let (second_state, second) = second_server(&t).await;
        // Sessions live in the database: a login works on both servers.
        let dm_a = login(&t, "dm_a").await;
        let dm_b = login(&t, "dm_b").await;
        for round in 0..3 {
            let code = format!("two{round}");
            let mut set = tokio::task::JoinSet::new();
            for i in 0..30usize {
                let (app, r) = if i.is_multiple_of(2) {
                    (t.app.clone(), create_patient(&dm_a, &code, "a", "female"))
                } else {
                    (second.clone(), create_patient(&dm_b, &code, "b", "male"))
                };
                set.spawn(async move { (i, r.send_to(app).await.status) });
            }
            let mut created = Vec::new();
            while let Some(r) = set.join_next().await {
                let (i, status) = r.unwrap();
                assert!(
                    status == StatusCode::CREATED || status == StatusCode::CONFLICT,
                    "{backend}: {status}"
                );
                if status == StatusCode::CREATED {
                    created.push(i);
                }
            }
            assert_eq!(created.len(), 1, "{backend} round {round}: {created:?}");
            let site = if created[0].is_multiple_of(2) {
                "a"
            } else {
                "b"
            };
            assert_eq!(
                patient_audit(&t, &code).await,
                [("insert".to_string(), Some(site.to_string()))],
                "{backend} round {round}"
            );
        }
        // One chain, whichever server wrote.
        assert!(t.state.registry.verify_audit().await.unwrap().is_intact());
        assert!(
            t.state
                .registry
                .verify_state()
                .await
                .unwrap()
                .is_consistent()
        );
        second_state.registry.pool().close().await;
        t.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_creates_of_one_account_make_one_account() {
    let t = test_app().await;
    let admin = login(&t, "admin").await;
    let requests = (0..10)
        .map(|_| {
            req("POST", "/api/users").login(&admin).json(json!({
                "username": "newcomer", "role": "analyst", "password": "a long enough password"
            }))
        })
        .collect();
    let answers = all_at_once(&t, requests).await;
    let statuses: Vec<StatusCode> = answers.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    t.finish().await;
}
