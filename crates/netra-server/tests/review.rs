//! Holes found by the adversarial review of access control: each test
//! failed before its fix.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

/// A page number near `usize::MAX` once overflowed `(page - 1) * 50` (a
/// panic in debug builds, a wrapped offset in release).
#[tokio::test]
async fn huge_page_numbers_answer_an_empty_page() {
    let t = test_app().await;
    let admin = login(&t, "admin").await;
    let max = usize::MAX.to_string();
    let r = req("GET", &format!("/api/patients?page={max}"))
        .cookie(&admin)
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["total"], 3);
    assert_eq!(v["patients"].as_array().unwrap().len(), 0);
    let r = req("GET", &format!("/patients?page={max}"))
        .cookie(&admin)
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

/// Browsers drop tabs and newlines from URLs, so `/\t/evil.example` is
/// followed as `//evil.example`: an open redirect after login. A newline
/// made the `Location` header invalid (500).
#[tokio::test]
async fn login_redirects_refuse_control_characters() {
    let t = test_app().await;
    let admin = login(&t, "admin").await;
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\nSet-Cookie: x=1",
    ] {
        let r = req("GET", &format!("/login?next={}", urlencode(next)))
            .cookie(&admin)
            .send(&t)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next:?}: {}", r.text());
        assert_eq!(r.header("location").unwrap(), "/patients", "{next:?}");
    }
    // Through the login form too.
    let form = req("GET", "/login").send(&t).await;
    let set = form
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("netra_login="))
        .unwrap();
    let token = cookie_pair(&set).split_once('=').unwrap().1.to_string();
    let r = req("POST", "/login")
        .header("cookie", &cookie_pair(&set))
        .form(&[
            ("username", "admin"),
            ("password", PASSWORD),
            ("_csrf", &token),
            ("next", "/\t/evil.example"),
        ])
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location").unwrap(), "/patients");
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}

/// Updating or deleting a record of another site's patient answered "no
/// such treatment" when the record did not exist and "no patient 'b1'"
/// when it did: the answer told that b1 exists and has a treatment T1.
/// Now every record of a patient the user may not see is answered as for
/// an unknown patient, whether the record exists or not.
#[tokio::test]
async fn writes_to_invisible_patients_do_not_reveal_records() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    // (patient, treatment): existing at b, missing at b, unknown patient.
    let cases = [("b1", "T1"), ("b1", "T9"), ("zz", "T1")];
    let mut answers = Vec::new();
    for (p, tr) in cases {
        let put = req("PUT", "/api/records/treatment")
            .login(&dm)
            .json(json!({"key": [p, tr], "values": {"type": "surgery"}, "reason": "probe"}))
            .send(&t)
            .await;
        let del = req("DELETE", "/api/records/treatment")
            .login(&dm)
            .json(json!({"key": [p, tr], "reason": "probe"}))
            .send(&t)
            .await;
        let page_edit = req("POST", "/records/treatment/edit")
            .login(&dm)
            .form(&[
                ("key", p),
                ("key", tr),
                ("f_type", "surgery"),
                ("reason", "probe"),
            ])
            .send(&t)
            .await;
        let page_del = req("POST", "/records/treatment/delete")
            .login(&dm)
            .form(&[("key", p), ("key", tr), ("reason", "probe")])
            .send(&t)
            .await;
        // The code itself is echoed; everything else must be the same.
        let norm = |s: String| s.replace(p, "CODE");
        answers.push((
            (put.status, norm(put.json()["error"]["message"].to_string())),
            (del.status, norm(del.json()["error"]["message"].to_string())),
            (page_edit.status, norm(page_edit.text())),
            (page_del.status, norm(page_del.text())),
        ));
    }
    assert_eq!(answers[0].0.0, StatusCode::NOT_FOUND);
    assert_eq!(answers[0], answers[1], "existing vs missing record at b");
    assert_eq!(answers[0], answers[2], "site b vs unknown patient");
    // The same for the patient record itself.
    let mut answers = Vec::new();
    for p in ["b1", "zz"] {
        let put = req("PUT", "/api/records/patient")
            .login(&dm)
            .json(json!({"key": [p], "values": {"site": "a", "sex": "male"}, "reason": "probe"}))
            .send(&t)
            .await;
        let del = req("DELETE", "/api/records/patient")
            .login(&dm)
            .json(json!({"key": [p], "reason": "probe"}))
            .send(&t)
            .await;
        let norm = |s: String| s.replace(p, "CODE");
        answers.push((
            (put.status, norm(put.json()["error"]["message"].to_string())),
            (del.status, norm(del.json()["error"]["message"].to_string())),
        ));
    }
    assert_eq!(answers[0].0.0, StatusCode::NOT_FOUND);
    assert_eq!(answers[0], answers[1]);
    // Nothing at b changed.
    let admin = login(&t, "admin").await;
    let r = req("GET", "/api/records/treatment?key=b1&key=T1")
        .cookie(&admin)
        .send(&t)
        .await;
    assert_eq!(r.json()["values"]["type"], "chemotherapy");
}

/// Patient codes are unique only among existing patients: after site b's
/// patient x9 was deleted, a data manager of site a could create an x9 of
/// their own and read the audit history of b's x9 (its notes, its
/// records). Non-administrators now see the history of the current patient
/// only.
#[tokio::test]
async fn a_reused_code_does_not_open_the_history_of_another_sites_patient() {
    let t = test_app().await;
    let admin = login(&t, "admin").await;
    let dm = login(&t, "dm_a").await;
    let inv = login(&t, "inv_a").await;
    let ok = |r: &Response, s: StatusCode| assert_eq!(r.status, s, "{}", r.text());
    let r = req("POST", "/api/records/patient")
        .login(&admin)
        .json(
            json!({"values": {"patient": "x9", "site": "b", "sex": "female",
            "vital_status": "alive", "notes": "lives at 12 Hidden Lane"}, "reason": "new at b"}),
        )
        .send(&t)
        .await;
    ok(&r, StatusCode::CREATED);
    let r = req("POST", "/api/records/adverse_event")
        .login(&admin)
        .json(
            json!({"values": {"patient": "x9", "event": "AE1", "term": "Secret term",
            "grade": 2}, "reason": "seen at b"}),
        )
        .send(&t)
        .await;
    ok(&r, StatusCode::CREATED);
    for (table, key) in [
        ("adverse_event", json!(["x9", "AE1"])),
        ("patient", json!(["x9"])),
    ] {
        let r = req("DELETE", &format!("/api/records/{table}"))
            .login(&admin)
            .json(json!({"key": key, "reason": "entered at the wrong centre"}))
            .send(&t)
            .await;
        ok(&r, StatusCode::NO_CONTENT);
    }
    let r = req("POST", "/api/records/patient")
        .login(&dm)
        .json(
            json!({"values": {"patient": "x9", "site": "a", "sex": "male",
            "vital_status": "alive"}, "reason": "new at a"}),
        )
        .send(&t)
        .await;
    ok(&r, StatusCode::CREATED);
    for l in [&dm, &inv] {
        let r = req("GET", "/api/records/patient/history?key=x9")
            .cookie(l)
            .send(&t)
            .await;
        ok(&r, StatusCode::OK);
        let h = r.json();
        let entries = h.as_array().unwrap();
        assert_eq!(entries.len(), 1, "{h}");
        assert_eq!(entries[0]["reason"], "new at a");
        assert!(!h.to_string().contains("Hidden Lane"));
        let r = req("GET", "/api/records/adverse_event/history?key=x9&key=AE1")
            .cookie(l)
            .send(&t)
            .await;
        ok(&r, StatusCode::OK);
        assert_eq!(r.json(), json!([]), "{}", r.text());
        let r = req("GET", "/records/patient/history?key=x9")
            .cookie(l)
            .send(&t)
            .await;
        ok(&r, StatusCode::OK);
        assert!(!r.text().contains("Hidden Lane"));
        assert!(!r.text().contains("wrong centre"));
    }
    // Administrators keep the whole trail.
    let r = req("GET", "/api/records/patient/history?key=x9")
        .cookie(&admin)
        .send(&t)
        .await;
    ok(&r, StatusCode::OK);
    assert_eq!(r.json().as_array().unwrap().len(), 3);
    assert!(r.text().contains("Hidden Lane"));
}

/// Analysts get ages in 5-year bands (docs/web.md), but the patient record
/// of `/api/patients/{pseudonym}` carried the recorded `age_at_entry` as
/// is: with the month-level dates, an exact age narrows the birth date.
#[tokio::test]
async fn analysts_see_the_age_at_entry_in_bands() {
    let t = test_app().await;
    let admin = login(&t, "admin").await;
    let r = req("POST", "/api/records/patient")
        .login(&admin)
        .json(
            json!({"values": {"patient": "a7", "site": "a", "sex": "female",
            "vital_status": "alive", "age_at_entry": 63, "diagnosis_date": "2012-02-03"},
            "reason": "new"}),
        )
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let analyst = login(&t, "analyst").await;
    let ps = t.state.pseudo.pseudonym("a7");
    let r = req("GET", &format!("/api/patients/{ps}"))
        .cookie(&analyst)
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let p = &r.json()["patient"];
    assert_eq!(p["age_at_entry"], "60–64", "{p}");
    assert_eq!(p["diagnosis_date"], "2012-02");
    // The list agrees.
    let r = req("GET", &format!("/api/patients?q={ps}"))
        .cookie(&analyst)
        .send(&t)
        .await;
    assert_eq!(r.json()["patients"][0]["age"], "60–64");
    // Others see the recorded age.
    let r = req("GET", "/api/patients/a7").cookie(&admin).send(&t).await;
    assert_eq!(r.json()["patient"]["age_at_entry"], "63");
}

/// Pages hide the sites a user may not see (not even in filters), but
/// `/api/records/site?key=b` gave a data manager or investigator of site a
/// the name and country of site b, and the edit form told an existing
/// site (403) from an unknown one (404).
#[tokio::test]
async fn other_sites_records_do_not_exist_for_site_bound_users() {
    let t = test_app().await;
    for user in ["dm_a", "inv_a"] {
        let l = login(&t, user).await;
        let own = req("GET", "/api/records/site?key=a")
            .cookie(&l)
            .send(&t)
            .await;
        assert_eq!(own.status, StatusCode::OK, "{user}");
        assert_eq!(own.json()["values"]["name"], "Centre A");
        let other = req("GET", "/api/records/site?key=b")
            .cookie(&l)
            .send(&t)
            .await;
        let unknown = req("GET", "/api/records/site?key=zz")
            .cookie(&l)
            .send(&t)
            .await;
        assert_eq!(
            other.status,
            StatusCode::NOT_FOUND,
            "{user}: {}",
            other.text()
        );
        assert!(!other.text().contains("Centre B"));
        assert_eq!(other.text(), unknown.text(), "{user}");
        let other = req("GET", "/records/site/edit?key=b")
            .cookie(&l)
            .send(&t)
            .await;
        let unknown = req("GET", "/records/site/edit?key=zz")
            .cookie(&l)
            .send(&t)
            .await;
        assert_eq!(other.status, StatusCode::NOT_FOUND, "{user}");
        assert_eq!(other.text(), unknown.text(), "{user}");
    }
}

/// Odd input on every route answers 4xx (or a page), never 500 or a panic.
#[tokio::test]
async fn odd_input_never_fails_the_server() {
    let t = test_app().await;
    let admin = login(&t, "admin").await;
    let dm = login(&t, "dm_a").await;
    let analyst = login(&t, "analyst").await;
    let gets = [
        "/patients?page=0",
        "/patients?page=-1",
        "/patients?page=99999999999999999999999",
        "/patients?primary=nope&grade=g9&vital=x",
        "/patients/%00",
        "/patients/..%2F..%2Fetc",
        "/patients/a1/timeline.svg.svg",
        "/patients/zz/timeline.svg",
        "/records/nope/new",
        "/records/patient/new?patient=zz",
        "/records/treatment/new?patient=b1",
        "/records/lesion/edit",
        "/records/lesion/edit?key=a1",
        "/records/biomarker/edit?key=a1&key=cga&key=&key=2010-13-45",
        "/records/patient/history",
        "/records/patient/history?key=a1&key=a2",
        "/records/study/history?key=s",
        "/analysis?endpoint=os&from=line:0",
        "/analysis?endpoint=os&from=line:4294967296",
        "/analysis?endpoint=zz",
        "/analysis?endpoint=os&from=diagnosis&landmark=1e308",
        "/analysis?endpoint=os&from=diagnosis&landmark=NaN",
        "/analysis?endpoint=os&from=diagnosis&age_min=-9223372036854775808&age_max=9223372036854775807",
        "/analysis?endpoint=os&from=diagnosis&diagnosed_from=3000",
        "/analysis?endpoint=os&from=diagnosis&group=arm&ci=1",
        "/analysis?endpoint_from=garbage",
        "/api/patients?page=0",
        "/api/patients/%C3%28",
        "/api/records/nope?key=1",
        "/api/records/patient",
        "/api/records/lesion?key=a1&key=A1&key=L1&key=extra",
        "/api/records/clinical_status?key=a1&key=2004-99",
        "/api/records/treatment/history?key=b1&key=T1",
        "/api/analysis?endpoint=dor&from=line:1&group=line1_class",
        "/api/analysis/km.svg?endpoint=os&from=line:3",
        "/api/analysis/km.png?endpoint=os&from=diagnosis&site=zz",
        "/api/analysis/groups.csv?endpoint=os&from=diagnosis&group=site",
        "/api/analysis/response.csv?endpoint=pfs&from=line:2",
        "/api/analysis/nope.txt",
        "/api/analysis/..%2F..%2Fetc%2Fpasswd",
        "/api/users/nobody",
        "/login?next=%0d%0a",
        "/account?saved",
        "/admin/users?saved=%3Cscript%3E",
    ];
    for l in [&admin, &dm, &analyst] {
        for path in gets {
            let r = req("GET", path).cookie(l).send(&t).await;
            assert!(
                r.status.as_u16() < 500,
                "GET {path}: {} {}",
                r.status,
                r.text()
            );
        }
        let posts: Vec<(&str, &str, serde_json::Value)> = vec![
            (
                "POST",
                "/api/records/patient",
                json!({"values": {"patient": ""}, "reason": "x"}),
            ),
            (
                "POST",
                "/api/records/patient",
                json!({"values": {"patient": ["a"]}, "reason": "x"}),
            ),
            (
                "POST",
                "/api/records/treatment",
                json!({"values": {}, "reason": "x"}),
            ),
            (
                "POST",
                "/api/records/lesion",
                json!({"values": {"patient": "a1", "assessment": "A9", "lesion": "L1", "organ": "liver", "role": "target", "longest_mm": 1e308}, "reason": "x"}),
            ),
            (
                "PUT",
                "/api/records/patient",
                json!({"values": {}, "reason": "x"}),
            ),
            (
                "PUT",
                "/api/records/patient",
                json!({"key": [], "values": {}, "reason": "x"}),
            ),
            (
                "PUT",
                "/api/records/treatment",
                json!({"key": ["a1", "T1", "x"], "values": {}, "reason": "x"}),
            ),
            (
                "DELETE",
                "/api/records/assessment",
                json!({"key": ["a1", "A1"], "reason": "x"}),
            ),
            (
                "DELETE",
                "/api/records/study",
                json!({"key": ["s"], "reason": "x"}),
            ),
            (
                "DELETE",
                "/api/records/site",
                json!({"key": ["zz"], "reason": "x"}),
            ),
            (
                "POST",
                "/api/recist/preview?patient=a1&assessment=A9",
                json!({"values": {}}),
            ),
            (
                "POST",
                "/api/recist/preview?patient=a1&assessment=A2",
                json!({"values": {"lesion": "L2", "organ": "liver", "role": "target", "longest_mm": "-5"}}),
            ),
            (
                "POST",
                "/api/recist/preview?patient=a1&assessment=A2",
                json!({"values": {"lesion": "L1", "organ": "lung", "role": "new", "longest_mm": 1e308}}),
            ),
            (
                "POST",
                "/api/recist/preview?patient=a1&assessment=A1",
                json!({"values": {"lesion": "", "organ": "", "role": ""}}),
            ),
            ("POST", "/api/recist/preview", json!({})),
            ("PUT", "/api/users/nobody", json!({"role": "analyst"})),
            (
                "PUT",
                "/api/users/dm_a",
                json!({"role": "data_manager", "sites": ["zz"]}),
            ),
            (
                "POST",
                "/api/users",
                json!({"username": "x y", "role": "root", "password": "p"}),
            ),
            (
                "POST",
                "/api/users/nobody/password",
                json!({"password": "a long enough password"}),
            ),
            (
                "POST",
                "/api/account/password",
                json!({"current": "", "new": ""}),
            ),
        ];
        for (m, path, body) in posts {
            let r = req(m, path).login(l).json(body.clone()).send(&t).await;
            assert!(
                r.status.as_u16() < 500,
                "{m} {path} {body}: {} {}",
                r.status,
                r.text()
            );
        }
        // Malformed bodies.
        for path in [
            "/api/records/patient",
            "/api/recist/preview?patient=a1&assessment=A1",
            "/api/users",
        ] {
            let r = req("POST", path)
                .login(l)
                .header("content-type", "application/json")
                .send(&t)
                .await;
            assert!(r.status.as_u16() < 500, "empty POST {path}: {}", r.status);
        }
        for (path, form) in [
            ("/records/nope/new", vec![("f_x", "1")]),
            (
                "/records/patient/new",
                vec![("f_patient", "q1"), ("f_site", "zz"), ("reason", "x")],
            ),
            ("/records/lesion/edit", vec![("key", "a1"), ("reason", "x")]),
            ("/records/lesion/delete", vec![("reason", "x")]),
            ("/admin/users", vec![("username", ""), ("role", "")]),
            ("/admin/users/nobody", vec![("role", "analyst")]),
            ("/admin/users/nobody/password", vec![("password", "x")]),
            ("/account/password", vec![("current", "x")]),
        ] {
            let mut f: Vec<(&str, &str)> = form.clone();
            f.push(("_csrf", &l.csrf));
            let r = req("POST", path).cookie(l).form(&f).send(&t).await;
            assert!(
                r.status.as_u16() < 500,
                "POST {path}: {} {}",
                r.status,
                r.text()
            );
        }
    }
}
