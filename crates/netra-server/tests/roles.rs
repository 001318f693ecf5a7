//! Each role against each resource, including the patients of a site the
//! user may not see: the whole permission matrix of docs/web.md, checked
//! request by request (all mismatches are reported together).

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::{Value, json};

/// One probe: method, path, body (JSON for `/api/`, a form otherwise).
struct Probe {
    name: &'static str,
    method: &'static str,
    path: String,
    json: Option<Value>,
    form: Option<Vec<(&'static str, String)>>,
    /// Expected status for admin, dm_a, inv_a, analyst.
    expect: [u16; 4],
}

fn probe(name: &'static str, method: &'static str, path: &str, expect: [u16; 4]) -> Probe {
    Probe {
        name,
        method,
        path: path.to_string(),
        json: None,
        form: None,
        expect,
    }
}

fn with_json(mut p: Probe, v: Value) -> Probe {
    p.json = Some(v);
    p
}

fn with_form(mut p: Probe, f: Vec<(&'static str, String)>) -> Probe {
    p.form = Some(f);
    p
}

#[tokio::test]
async fn each_role_against_each_resource() {
    // Permissions only: the registry has 3 patients, below the default
    // minimum cell size, which would withhold the analysts' figure
    // (tests/privacy.rs checks that rule).
    let t = test_app_with(netra_server::Config {
        min_cell: 0,
        ..netra_server::Config::default()
    })
    .await;
    let mut logins = Vec::new();
    for (u, _, _) in USERS {
        logins.push(login(&t, u).await);
    }
    let b1 = t.state.pseudo.pseudonym("b1");
    let a1 = t.state.pseudo.pseudonym("a1");
    // Each probe is sent in a fresh state where it matters: writes use a
    // unique id per role (the role index is appended).
    let probes = |i: usize| -> Vec<Probe> {
        let ae = format!("AE{i}");
        vec![
            // Pages.
            probe(
                "patient list page",
                "GET",
                "/patients",
                [200, 200, 200, 200],
            ),
            probe(
                "own-site patient page",
                "GET",
                "/patients/a1",
                [200, 200, 200, 404],
            ),
            probe(
                "other-site patient page",
                "GET",
                "/patients/b1",
                [200, 404, 404, 404],
            ),
            probe(
                "patient page by pseudonym",
                "GET",
                &format!("/patients/{b1}"),
                [404, 404, 404, 200],
            ),
            probe(
                "course figure, own site",
                "GET",
                "/patients/a1/timeline.svg",
                [200, 200, 200, 404],
            ),
            probe(
                "course figure, other site",
                "GET",
                "/patients/b1/timeline.svg",
                [200, 404, 404, 404],
            ),
            probe(
                "course figure by pseudonym",
                "GET",
                &format!("/patients/{a1}/timeline.svg"),
                [404, 404, 404, 200],
            ),
            probe(
                "new patient form",
                "GET",
                "/records/patient/new",
                [200, 200, 403, 403],
            ),
            probe(
                "new treatment form, own site",
                "GET",
                "/records/treatment/new?patient=a1",
                [200, 200, 403, 403],
            ),
            probe(
                "new treatment form, other site",
                "GET",
                "/records/treatment/new?patient=b1",
                [200, 404, 403, 403],
            ),
            probe(
                "edit form, own site",
                "GET",
                "/records/patient/edit?key=a1",
                [200, 200, 403, 403],
            ),
            probe(
                "edit form, other site",
                "GET",
                "/records/patient/edit?key=b1",
                [200, 404, 404, 403],
            ),
            probe(
                "history page, own site",
                "GET",
                "/records/patient/history?key=a1",
                [200, 200, 200, 403],
            ),
            probe(
                "history page, other site",
                "GET",
                "/records/lesion/history?key=b1&key=A1&key=L1",
                [200, 404, 404, 403],
            ),
            probe(
                "site form",
                "GET",
                "/records/site/new",
                [200, 403, 403, 403],
            ),
            probe("users page", "GET", "/admin/users", [200, 403, 403, 403]),
            probe("account page", "GET", "/account", [200, 200, 200, 200]),
            probe(
                "analysis page",
                "GET",
                "/analysis?endpoint=os&from=diagnosis",
                [200, 200, 200, 200],
            ),
            with_form(
                probe(
                    "form save, own site",
                    "POST",
                    "/records/adverse_event/new",
                    [303, 303, 403, 403],
                ),
                vec![
                    ("f_patient", "a1".into()),
                    ("f_event", format!("F{i}")),
                    ("f_term", "Nausea".into()),
                    ("f_grade", "1".into()),
                    ("reason", "visit".into()),
                ],
            ),
            with_form(
                probe(
                    "form save, other site",
                    "POST",
                    "/records/adverse_event/new",
                    [303, 404, 403, 403],
                ),
                vec![
                    ("f_patient", "b1".into()),
                    ("f_event", format!("G{i}")),
                    ("f_term", "Nausea".into()),
                    ("f_grade", "1".into()),
                    ("reason", "visit".into()),
                ],
            ),
            // API reads.
            probe(
                "api patient, own site",
                "GET",
                "/api/patients/a1",
                [200, 200, 200, 404],
            ),
            probe(
                "api patient, other site",
                "GET",
                "/api/patients/b1",
                [200, 404, 404, 404],
            ),
            probe(
                "api patient by pseudonym",
                "GET",
                &format!("/api/patients/{b1}"),
                [404, 404, 404, 200],
            ),
            probe(
                "api record, own site",
                "GET",
                "/api/records/treatment?key=a1&key=T1",
                [200, 200, 200, 403],
            ),
            probe(
                "api record, other site",
                "GET",
                "/api/records/treatment?key=b1&key=T1",
                [200, 404, 404, 403],
            ),
            probe(
                "api own site record",
                "GET",
                "/api/records/site?key=a",
                [200, 200, 200, 403],
            ),
            probe(
                "api other site record",
                "GET",
                "/api/records/site?key=b",
                [200, 404, 404, 403],
            ),
            probe(
                "api history, own site",
                "GET",
                "/api/records/patient/history?key=a1",
                [200, 200, 200, 403],
            ),
            probe(
                "api history, other site",
                "GET",
                "/api/records/patient/history?key=b1",
                [200, 404, 404, 403],
            ),
            probe("api schema", "GET", "/api/schema", [200, 200, 200, 200]),
            probe("api users", "GET", "/api/users", [200, 403, 403, 403]),
            probe(
                "api analysis",
                "GET",
                "/api/analysis?endpoint=os&from=diagnosis",
                [200, 200, 200, 200],
            ),
            probe(
                "api analysis of another site",
                "GET",
                "/api/analysis?endpoint=os&from=diagnosis&site=b",
                [200, 404, 404, 200],
            ),
            probe(
                "api analysis figure",
                "GET",
                "/api/analysis/km.svg?endpoint=os&from=diagnosis",
                [200, 200, 200, 200],
            ),
            with_json(
                probe(
                    "api recist preview, own site",
                    "POST",
                    "/api/recist/preview?patient=a1&assessment=A2",
                    [200, 200, 200, 403],
                ),
                json!({"values": {"lesion": "L1", "organ": "liver", "role": "target", "longest_mm": "20"}}),
            ),
            with_json(
                probe(
                    "api recist preview, other site",
                    "POST",
                    "/api/recist/preview?patient=b1&assessment=A1",
                    [200, 404, 404, 403],
                ),
                json!({"values": {}}),
            ),
            // API writes.
            with_json(
                probe(
                    "api create, own site",
                    "POST",
                    "/api/records/adverse_event",
                    [201, 201, 403, 403],
                ),
                json!({"values": {"patient": "a1", "event": ae, "term": "Nausea", "grade": 1}, "reason": "visit"}),
            ),
            with_json(
                probe(
                    "api create, other site",
                    "POST",
                    "/api/records/adverse_event",
                    [201, 404, 403, 403],
                ),
                json!({"values": {"patient": "b1", "event": ae, "term": "Nausea", "grade": 1}, "reason": "visit"}),
            ),
            with_json(
                probe(
                    "api create a patient at another site",
                    "POST",
                    "/api/records/patient",
                    [201, 403, 403, 403],
                ),
                json!({"values": {"patient": format!("new{i}"), "site": "b", "sex": "female", "vital_status": "alive"}, "reason": "referral"}),
            ),
            with_json(
                probe(
                    "api move a patient to another site",
                    "PUT",
                    "/api/records/patient",
                    [200, 403, 403, 403],
                ),
                json!({"key": ["a2"], "values": {"patient": "a2", "site": if i == 0 { "a" } else { "b" }, "sex": "male", "birth_date": "1962", "diagnosis_date": "2012-07", "last_followup_date": "2020-01-10", "vital_status": "alive"}, "reason": "transfer"}),
            ),
            with_json(
                probe(
                    "api update, other site",
                    "PUT",
                    "/api/records/treatment",
                    [200, 404, 403, 403],
                ),
                json!({"key": ["b1", "T1"], "values": {"type": "chemotherapy", "start_date": "2011-02-01", "end_date": "2011-09-01"}, "reason": "correction"}),
            ),
            with_json(
                probe(
                    "api create a site",
                    "POST",
                    "/api/records/site",
                    [201, 403, 403, 403],
                ),
                json!({"values": {"site": format!("c{i}"), "study": "s", "name": "Centre C"}, "reason": "new centre"}),
            ),
            with_json(
                probe(
                    "api delete, own site",
                    "DELETE",
                    "/api/records/adverse_event",
                    [204, 204, 403, 403],
                ),
                json!({"key": ["a1", ae], "reason": "entered twice"}),
            ),
            with_json(
                probe(
                    "api delete, other site",
                    "DELETE",
                    "/api/records/lesion",
                    [204, 404, 403, 403],
                ),
                json!({"key": ["b1", "A1", format!("X{i}")], "reason": "entered twice"}),
            ),
            with_json(
                probe(
                    "api create an account",
                    "POST",
                    "/api/users",
                    [201, 403, 403, 403],
                ),
                json!({"username": format!("u{i}"), "role": "analyst", "password": PASSWORD}),
            ),
            with_json(
                probe(
                    "api change an account",
                    "PUT",
                    "/api/users/inv_a",
                    [200, 403, 403, 403],
                ),
                json!({"role": "investigator", "sites": ["a"]}),
            ),
        ]
    };
    // The "delete, other site" probe needs a lesion to delete per role.
    for i in 0..USERS.len() {
        let r = req("POST", "/api/records/lesion")
            .login(&login(&t, "admin").await)
            .json(json!({"values": {"patient": "b1", "assessment": "A1", "lesion": format!("X{i}"), "organ": "lung", "role": "non_target"}, "reason": "setup"}))
            .send(&t)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let mut failures = Vec::new();
    for (i, (user, _, _)) in USERS.iter().enumerate() {
        // Account changes end the changed account's sessions: log in anew.
        let l = login(&t, user).await;
        logins[i] = l.clone();
        for p in probes(i) {
            let mut r = req(p.method, &p.path).login(&l);
            if let Some(j) = &p.json {
                r = r.json(j.clone());
            }
            if let Some(f) = &p.form {
                let mut fields: Vec<(&str, &str)> =
                    f.iter().map(|(k, v)| (*k, v.as_str())).collect();
                fields.push(("_csrf", l.csrf.as_str()));
                r = r.form(&fields);
            }
            let resp = r.send(&t).await;
            let want = p.expect[i];
            if resp.status.as_u16() != want {
                failures.push(format!(
                    "{user} × {}: {} {} → {} (expected {want}): {}",
                    p.name,
                    p.method,
                    p.path,
                    resp.status.as_u16(),
                    resp.text().chars().take(200).collect::<String>()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn lists_and_analyses_hold_only_the_visible_sites() {
    let t = test_app().await;
    for (user, ids, cohort) in [
        ("admin", vec!["a1", "a2", "b1"], 3),
        ("dm_a", vec!["a1", "a2"], 2),
        ("inv_a", vec!["a1", "a2"], 2),
    ] {
        let l = login(&t, user).await;
        let list = req("GET", "/api/patients").cookie(&l).send(&t).await.json();
        let got: Vec<&str> = list["patients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(got, ids, "{user}");
        assert_eq!(list["total"], ids.len());
        // Filtering by another site finds nothing rather than its patients.
        let other = req("GET", "/api/patients?site=b")
            .cookie(&l)
            .send(&t)
            .await
            .json();
        assert_eq!(
            other["total"],
            if user == "admin" { 1 } else { 0 },
            "{user}"
        );
        let a = req("GET", "/api/analysis?endpoint=os&from=diagnosis")
            .cookie(&l)
            .send(&t)
            .await
            .json();
        assert_eq!(a["cohort"], cohort, "{user}");
        // The page does not even offer the other site in its filters.
        let page = req("GET", "/patients").cookie(&l).send(&t).await.text();
        assert_eq!(page.contains("Centre B"), user == "admin", "{user}");
        assert_eq!(page.contains(">b1<"), user == "admin", "{user}");
    }
}

#[tokio::test]
async fn analysts_see_pseudonymised_data_only() {
    // Three patients: the list's small-cell rule (min_cell 5, tested in
    // tests/analyst_fields.rs) would withhold them all; this test is about
    // what each row and record shows.
    let t = test_app_with(netra_server::Config {
        min_cell: 1,
        ..netra_server::Config::default()
    })
    .await;
    let l = login(&t, "analyst").await;
    let list = req("GET", "/api/patients").cookie(&l).send(&t).await.json();
    let rows = list["patients"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let a1 = t.state.pseudo.pseudonym("a1");
    let row = rows
        .iter()
        .find(|r| r["id"] == a1.as_str())
        .expect("a1 by pseudonym");
    // Born 1950-05-17, diagnosed 2010-03-01: 59 years, band 55–59.
    assert_eq!(row["age"], "55–59");
    assert_eq!(row["diagnosis_date"], "2010-03");
    assert_eq!(row["last_date"], "2015-06");
    assert!(
        rows.iter()
            .all(|r| r["id"].as_str().unwrap().starts_with("ps-"))
    );
    // Searching works on pseudonyms, not codes. (The key is random per
    // run, so a pseudonym may contain the hex digits "a1" by chance: count
    // exactly those.)
    let by_code = req("GET", "/api/patients?q=a1")
        .cookie(&l)
        .send(&t)
        .await
        .json();
    let by_chance = ["a1", "a2", "b1"]
        .iter()
        .filter(|c| t.state.pseudo.pseudonym(c).contains("a1"))
        .count();
    assert_eq!(by_code["total"], by_chance);
    let by_ps = req("GET", &format!("/api/patients?q={}", &a1[3..9]))
        .cookie(&l)
        .send(&t)
        .await
        .json();
    assert_eq!(by_ps["patients"][0]["id"], a1.as_str());

    let course = req("GET", &format!("/api/patients/{a1}"))
        .cookie(&l)
        .send(&t)
        .await
        .json();
    assert_eq!(course["pseudonymised"], true);
    let p = &course["patient"];
    assert_eq!(p["patient"], a1.as_str());
    assert_eq!(p["birth_date"], Value::Null);
    assert_eq!(p["notes"], Value::Null, "free text is hidden");
    assert_eq!(p["diagnosis_date"], "2010-03");
    assert_eq!(p["death_date"], "2015-06");
    let lesions = course["records"]["lesion"].as_array().unwrap();
    assert!(lesions.iter().all(|l| l["patient"] == a1.as_str()));
    assert_eq!(course["records"]["assessment"][0]["date"], "2010-03");
    let text = course.to_string();
    for secret in ["1950", "House", "\"a1\"", "2010-03-20", "2015-06-01"] {
        assert!(!text.contains(secret), "'{secret}' leaked: {text}");
    }
    // The page shows the same pseudonymised view.
    let page = req("GET", &format!("/patients/{a1}"))
        .cookie(&l)
        .send(&t)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains(&format!("Patient {a1}")));
    assert!(html.contains("55–59"));
    for secret in ["1950", "House", "2010-03-20", "Edit", "History"] {
        assert!(!html.contains(secret), "'{secret}' on the analyst's page");
    }
}
