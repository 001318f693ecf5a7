//! The write path: the importer's validation and messages, a required
//! reason, the audit trail (who, why, old and new values), deletion, the
//! record's history, and the forms that show problems next to their field.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::{Value, json};

fn problems(r: &Response) -> Vec<(String, String)> {
    r.json()["error"]["problems"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|p| {
            (
                p["field"].as_str().unwrap_or("").to_string(),
                p["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn edits_are_checked_like_imports_and_audited_with_their_reason() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let create = |values: Value, reason: &str| {
        req("POST", "/api/records/patient")
            .login(&dm)
            .json(json!({"values": values, "reason": reason}))
    };
    // A malformed date, an unknown code, a negative… each named by field in
    // the importer's words; nothing is written.
    let r = create(
        json!({"patient": "a3", "site": "a", "sex": "F", "diagnosis_date": "2011-13-01", "vital_status": "alive", "ecog": 7}),
        "new patient",
    )
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = problems(&r);
    assert!(
        p.iter().any(
            |(f, m)| f == "sex" && m.starts_with("unknown code for sex (allowed: male, female")
        ),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|(f, m)| f == "diagnosis_date" && m == "month 13 does not exist"),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|(f, m)| f == "ecog" && m == "must be between 0 and 4"),
        "{p:?}"
    );
    // Impossible date order.
    let r = create(
        json!({"patient": "a3", "site": "a", "sex": "female", "diagnosis_date": "2011-05-01", "vital_status": "dead", "death_date": "2010-01-01"}),
        "new patient",
    )
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problems(&r).contains(&(
            "death_date".into(),
            "death_date is before diagnosis_date (2011-05-01)".into()
        )),
        "{:?}",
        problems(&r)
    );
    // Missing required fields.
    let r = create(json!({"patient": "a3", "site": "a"}), "new")
        .send(&t)
        .await;
    let p = problems(&r);
    assert!(
        p.iter().any(|(f, _)| f == "sex") && p.iter().any(|(f, _)| f == "vital_status"),
        "{p:?}"
    );
    // No reason.
    let r = create(
        json!({"patient": "a3", "site": "a", "sex": "female", "vital_status": "alive"}),
        "  ",
    )
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problems(&r)[0].0, "reason");
    // An unknown column is a client error.
    let r = create(json!({"patient": "a3", "colour": "blue"}), "x")
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let seq_before = t.state.registry.revision().await.unwrap();

    // Valid: created, then an existing key is a conflict.
    let good = json!({"patient": "a3", "site": "a", "sex": "female", "birth_date": "1960", "diagnosis_date": "2011-05-01", "vital_status": "alive", "last_followup_date": "2013-01-01"});
    let r = create(good.clone(), "referred from Centre C")
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["key"], json!(["a3"]));
    let r = create(good, "again").send(&t).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(t.state.registry.revision().await.unwrap(), seq_before + 1);

    // Update: the key cannot change, other columns can; the audit keeps the
    // changed columns' old and new values.
    let r = req("PUT", "/api/records/patient")
        .login(&dm)
        .json(json!({"key": ["a3"], "values": {"patient": "zz", "site": "a", "sex": "female", "birth_date": "1960", "diagnosis_date": "2011-05-01", "vital_status": "alive", "last_followup_date": "2014-02-02"}, "reason": "follow-up visit"}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["key"], json!(["a3"]));
    let h = req("GET", "/api/records/patient/history?key=a3")
        .cookie(&dm)
        .send(&t)
        .await
        .json();
    let h = h.as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["action"], "insert");
    assert_eq!(h[0]["user"], "dm_a");
    assert_eq!(h[0]["reason"], "referred from Centre C");
    assert_eq!(h[0]["new_values"]["birth_date"], "1960");
    assert_eq!(h[1]["action"], "update");
    assert_eq!(h[1]["reason"], "follow-up visit");
    assert_eq!(
        h[1]["old_values"],
        json!({"last_followup_date": "2013-01-01"})
    );
    assert_eq!(
        h[1]["new_values"],
        json!({"last_followup_date": "2014-02-02"})
    );

    // A child record, then deletion: refused while referred to, with reason.
    let r = req("POST", "/api/records/treatment")
        .login(&dm)
        .json(json!({"values": {"patient": "a3", "treatment": "T1", "type": "somatostatin_analogue", "start_date": "2011-06"}, "reason": "started"}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = req("DELETE", "/api/records/patient")
        .login(&dm)
        .json(json!({"key": ["a3"], "reason": "duplicate"}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("other records refer to it")
    );
    let r = req("DELETE", "/api/records/treatment")
        .login(&dm)
        .json(json!({"key": ["a3", "T1"], "reason": ""}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = req("DELETE", "/api/records/treatment")
        .login(&dm)
        .json(json!({"key": ["a3", "T1"], "reason": "entered for the wrong patient"}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let h = req("GET", "/api/records/treatment/history?key=a3&key=T1")
        .cookie(&dm)
        .send(&t)
        .await
        .json();
    assert_eq!(h[1]["action"], "delete");
    assert_eq!(h[1]["user"], "dm_a");
    assert_eq!(h[1]["old_values"]["type"], "somatostatin_analogue");
    // The chain still verifies.
    let v = t.state.registry.verify_audit().await.unwrap();
    assert!(v.is_intact(), "{v:?}");
}

async fn total(t: &TestApp, l: &Login) -> u64 {
    req("GET", "/api/patients").cookie(l).send(t).await.json()["total"]
        .as_u64()
        .unwrap()
}

async fn g3(t: &TestApp, l: &Login) -> Vec<String> {
    req("GET", "/api/patients?grade=g3")
        .cookie(l)
        .send(t)
        .await
        .json()["patients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_patient_list_follows_edits_at_once() {
    let t = test_app().await;
    let admin = login(&t, "admin").await;
    assert_eq!(total(&t, &admin).await, 3);
    let r = req("POST", "/api/records/patient")
        .login(&admin)
        .json(json!({"values": {"patient": "b2", "site": "b", "sex": "male", "vital_status": "alive"}, "reason": "new"}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(total(&t, &admin).await, 4);
    // A tumour changes the grade filter's answer.
    assert_eq!(g3(&t, &admin).await, ["b1"]);
    let r = req("POST", "/api/records/tumour")
        .login(&admin)
        .json(json!({"values": {"patient": "b2", "tumour": "1", "primary_site": "rectum", "differentiation": "well", "ki67_percent": 30}, "reason": "pathology"}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(g3(&t, &admin).await, ["b1", "b2"]);
    let r = req("DELETE", "/api/records/tumour")
        .login(&admin)
        .json(json!({"key": ["b2", "1"], "reason": "wrong patient"}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = req("DELETE", "/api/records/patient")
        .login(&admin)
        .json(json!({"key": ["b2"], "reason": "duplicate"}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(total(&t, &admin).await, 3);
    assert_eq!(g3(&t, &admin).await, ["b1"]);
}

#[tokio::test]
async fn forms_show_each_problem_next_to_its_labelled_field() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let r = req("POST", "/records/biomarker/new")
        .cookie(&dm)
        .form(&[
            ("_csrf", dm.csrf.as_str()),
            ("f_patient", "a1"),
            ("f_marker", "chromogranin_a"),
            ("f_date", "2010-02-30"),
            ("f_value", "-3"),
            ("f_unit", "ug/L"),
            ("reason", "lab result"),
        ])
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    // The summary links to the fields; the fields are marked invalid and
    // described by their message; typed values are kept.
    assert!(
        html.contains(r##"<a href="#f_date">date</a>: day 30 does not exist in 2010-02"##),
        "{html}"
    );
    assert!(html.contains(r##"<a href="#f_value">value</a>: cannot be negative"##));
    assert!(html.contains(r#"id="f_value" name="f_value" value="-3""#));
    assert!(html.contains(r#"aria-invalid="true" aria-describedby="f_value_hint f_value_error""#));
    assert!(html.contains(r#"<label for="f_value">"#));
    assert!(html.contains("lab result"), "the reason is kept");
    // Corrected, it saves and returns to the patient page.
    let r = req("POST", "/records/biomarker/new")
        .cookie(&dm)
        .form(&[
            ("_csrf", dm.csrf.as_str()),
            ("f_patient", "a1"),
            ("f_marker", "chromogranin_a"),
            ("f_date", "2010-02-28"),
            ("f_value", "310"),
            ("f_unit", "ug/L"),
            ("f_upper_limit", "100"),
            ("reason", "lab result"),
        ])
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        r.header("location").unwrap(),
        "/patients/a1?saved=Biomarker%20measurement#biomarker"
    );
    let page = req("GET", "/patients/a1?saved=Biomarker%20measurement")
        .cookie(&dm)
        .send(&t)
        .await
        .text();
    assert!(page.contains("Biomarker measurement saved."));
    // The biomarker's small plot, with its upper limit.
    assert!(page.contains("chromogranin A (ug/L)"));
    assert!(page.contains("upper limit of normal 100"));
    // Every field of every entity's form has a label.
    for table in [
        "patient",
        "tumour",
        "metastasis",
        "biomarker",
        "treatment",
        "treatment_agent",
        "radionuclide_administration",
        "assessment",
        "lesion",
        "clinical_status",
        "adverse_event",
    ] {
        let html = req(
            "GET",
            &format!("/records/{table}/new?patient=a1&treatment=T1&assessment=A1"),
        )
        .cookie(&dm)
        .send(&t)
        .await
        .text();
        let spec = netra_server::access::entity_of(table).unwrap().spec();
        for c in &spec.columns {
            assert!(
                html.contains(&format!("<label for=\"f_{}\">", c.name)),
                "{table}.{} has no label",
                c.name
            );
        }
        // A new patient starts the session's new-patient flow: no reason
        // is asked (issue 15, tests/fast_entry.rs); every other form asks.
        assert_eq!(
            html.contains(r#"<label for="reason">"#),
            table != "patient",
            "{table}"
        );
    }
    // An edit form fixes the key and offers deletion with a reason.
    let html = req("GET", "/records/treatment/edit?key=a1&key=T1")
        .cookie(&dm)
        .send(&t)
        .await
        .text();
    assert!(html.contains(r#"id="f_treatment" name="f_treatment" value="T1" autocomplete="off" aria-required="true" aria-describedby="f_treatment_hint" readonly"#), "{html}");
    assert!(html.contains(r#"action="/records/treatment/delete""#));
}

#[tokio::test]
async fn the_history_page_shows_old_and_new_values() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let r = req("POST", "/records/treatment/edit")
        .cookie(&dm)
        .form(&[
            ("_csrf", dm.csrf.as_str()),
            ("key", "a1"),
            ("key", "T1"),
            ("f_patient", "a1"),
            ("f_treatment", "T1"),
            ("f_type", "targeted"),
            ("f_start_date", "2010-04-01"),
            ("f_end_date", "2011-02-01"),
            ("f_stop_reason", "progression"),
            ("reason", "end date corrected from the chart"),
        ])
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = req("GET", "/records/treatment/history?key=a1&key=T1")
        .cookie(&dm)
        .send(&t)
        .await
        .text();
    assert!(html.contains("update · "));
    assert!(html.contains("dm_a"));
    assert!(html.contains("Reason: end date corrected from the chart"));
    assert!(html.contains("<del>2011-01-01</del>") && html.contains("<ins>2011-02-01</ins>"));
    assert!(html.contains("<ins>progression</ins>"));
}

#[tokio::test]
async fn the_recist_preview_answers_for_the_typed_lesion() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let preview = |mm: &str| {
        req("POST", "/api/recist/preview?patient=a1&assessment=A2")
            .login(&dm)
            .json(json!({"values": {"lesion": "L1", "organ": "liver", "role": "target", "longest_mm": mm}}))
    };
    // Baseline 50 mm (A1, before everolimus from 2010-04-01): 30 → −40 % PR.
    let p = preview("30").send(&t).await.json();
    assert_eq!(p["overall"], "PR");
    assert_eq!(p["change_from_baseline_pct"], -40.0);
    assert_eq!(p["period"], "line 1 (everolimus)");
    let p = preview("45").send(&t).await.json();
    assert_eq!(p["overall"], "SD");
    let p = preview("61").send(&t).await.json();
    assert_eq!(p["overall"], "PD");
    assert_eq!(p["change_from_nadir_pct"], 22.0);
    // Nothing was saved.
    let rec = req("GET", "/api/records/lesion?key=a1&key=A2&key=L1")
        .cookie(&dm)
        .send(&t)
        .await
        .json();
    assert_eq!(rec["values"]["longest_mm"], "30");
    let r = req("POST", "/api/recist/preview?patient=a1&assessment=A9")
        .login(&dm)
        .json(json!({"values": {}}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Issue 13: an identifier with an invisible character (here a zero-width
/// space, as pasted from a document) would be a second patient that looks
/// exactly like `a3`; the web refuses it with the importer's message.
#[tokio::test]
async fn identifiers_with_invisible_characters_are_refused() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    for (code, needle) in [
        ("a\u{200B}3", "U+200B (zero-width space) at character 2"),
        ("\u{FEFF}a3", "U+FEFF (byte-order mark"),
        ("a3\u{200F}", "U+200F (right-to-left mark)"),
    ] {
        let r = req("POST", "/api/records/patient")
            .login(&dm)
            .json(json!({"values": {"patient": code, "site": "a", "sex": "female", "vital_status": "alive"}, "reason": "new patient"}))
            .send(&t)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{code:?}");
        let p = problems(&r);
        assert!(
            p.iter().any(|(f, m)| f == "patient"
                && m.starts_with("an identifier cannot contain")
                && m.contains(needle)),
            "{code:?}: {p:?}"
        );
    }
}

/// Issue 13: a form showed one class of problems per submission (first the
/// missing reason, then the formats, then the date order). Every problem
/// is shown at once, in the labels the form shows (`end date`, not
/// `end_date`).
#[tokio::test]
async fn a_form_shows_every_problem_at_once_in_its_own_words() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let r = req("POST", "/records/treatment/new")
        .cookie(&dm)
        .form(&[
            ("_csrf", dm.csrf.as_str()),
            ("f_patient", "a1"),
            ("f_treatment", "T5"),
            ("f_type", "targeted"),
            ("f_start_date", "2012-05-01"),
            ("f_end_date", "2011-01-01"),
            ("f_intent", "bogus"),
            ("reason", ""),
        ])
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains(r##"<a href="#f_intent">intent</a>: unknown code for intent"##),
        "{html}"
    );
    assert!(
        html.contains(
            r##"<a href="#f_end_date">end date</a>: end date is before start date (2012-05-01)"##
        ),
        "{html}"
    );
    assert!(
        html.contains(r##"<a href="#reason">reason</a>: give the reason for this change"##),
        "{html}"
    );
    assert!(!html.contains("end_date is before"), "{html}");
    // Nothing was written.
    let r = req("GET", "/api/records/treatment?key=a1&key=T5")
        .cookie(&dm)
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Issue 13: records outside the patient's follow-up are refused in the
/// web as in imports, naming the field and the conflicting date.
#[tokio::test]
async fn records_outside_the_follow_up_are_refused_in_the_web() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let post = |table: &str, values: Value| {
        req("POST", &format!("/api/records/{table}"))
            .login(&dm)
            .json(json!({"values": values, "reason": "chart"}))
    };
    // a2: diagnosed 2012-07, alive, last seen 2020-01-10.
    let r = post(
        "assessment",
        json!({"patient": "a2", "assessment": "A1", "date": "2020-03-01", "modality": "ct"}),
    )
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problems(&r),
        vec![(
            "date".to_string(),
            "is after the patient's last follow-up (2020-01-10)".to_string()
        )]
    );
    let r = post(
        "assessment",
        json!({"patient": "a2", "assessment": "A1", "date": "2012-05", "modality": "ct"}),
    )
    .send(&t)
    .await;
    assert_eq!(
        problems(&r),
        vec![(
            "date".to_string(),
            "is before the patient's diagnosis (2012-07)".to_string()
        )]
    );
    // a1 died on 2015-06-01.
    let r = post(
        "treatment",
        json!({"patient": "a1", "treatment": "T9", "type": "chemotherapy", "start_date": "2016-01"}),
    )
    .send(&t)
    .await;
    assert_eq!(
        problems(&r),
        vec![(
            "start_date".to_string(),
            "is after the patient's death (2015-06-01)".to_string()
        )]
    );
    // Grade 1 leukocytosis does not exist in CTCAE v5.0.
    let r = post(
        "adverse_event",
        json!({"patient": "a2", "event": "AE1", "term": "Leukocytosis", "grade": 1, "onset_date": "2013-01"}),
    )
    .send(&t)
    .await;
    assert_eq!(
        problems(&r),
        vec![(
            "grade".to_string(),
            "CTCAE v5.0 defines no grade 1 for 'Leukocytosis' (its grades: 3, 4, 5)".to_string()
        )]
    );
    let r = post(
        "adverse_event",
        json!({"patient": "a2", "event": "AE1", "term": "Leukocytosis", "grade": 3, "onset_date": "2013-01"}),
    )
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

/// Issue 13: a follow-up lesion typed `l1` instead of `L1` became a new
/// lesion (and progression). The form offers the patient's lesions in a
/// list; a new lesion is an explicit choice with its own identifier.
#[tokio::test]
async fn follow_up_lesions_are_chosen_from_the_patients_lesions() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let r = req("POST", "/api/records/assessment")
        .login(&dm)
        .json(json!({"values": {"patient": "a1", "assessment": "A3", "date": "2010-10-01", "modality": "ct"}, "reason": "scan"}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let html = req("GET", "/records/lesion/new?patient=a1&assessment=A3")
        .cookie(&dm)
        .send(&t)
        .await
        .text();
    assert!(
        html.contains(r#"<select id="f_lesion" name="f_lesion""#),
        "{html}"
    );
    assert!(
        html.contains(r#"<option value="L1">L1 — liver (first at assessment A1)</option>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<option value="__new__">a new lesion"#),
        "{html}"
    );
    assert!(html.contains(r#"name="new_lesion""#), "{html}");
    let submit = |lesion: &str, new: &str| {
        req("POST", "/records/lesion/new").cookie(&dm).form(&[
            ("_csrf", dm.csrf.as_str()),
            ("f_patient", "a1"),
            ("f_assessment", "A3"),
            ("f_lesion", lesion),
            ("new_lesion", new),
            ("f_organ", "liver"),
            ("f_role", "target"),
            ("f_longest_mm", "25"),
            ("reason", "scan read"),
        ])
    };
    // A "new" lesion that is one of the list.
    let r = submit("__new__", "L1").send(&t).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .contains("'L1' is already a lesion of this patient (first at assessment A1)"),
        "{}",
        r.text()
    );
    // An identifier typed past the list is not silently a new lesion.
    let r = submit("l1", "").send(&t).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .contains("'l1' is not one of this patient's lesions")
    );
    // A new lesion without its identifier.
    let r = submit("__new__", "").send(&t).await;
    assert!(r.text().contains("give the identifier of the new lesion"));
    // Chosen from the list: saved as L1.
    let r = submit("L1", "").send(&t).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // An explicit new lesion: saved under its identifier.
    let r = submit("__new__", "L2").send(&t).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let rec = req("GET", "/api/records/lesion?key=a1&key=A3&key=L2")
        .cookie(&dm)
        .send(&t)
        .await;
    assert_eq!(rec.status, StatusCode::OK);
}

/// Issue 13: a lesion measured in two assessments that can be the same
/// day (a month-only ultrasound and a dated CT of that month) was refused
/// only when evaluated; saving it is refused, naming both assessments.
#[tokio::test]
async fn a_lesion_measured_twice_on_one_day_is_refused_when_saved() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let r = req("POST", "/api/records/assessment")
        .login(&dm)
        .json(json!({"values": {"patient": "a1", "assessment": "U1", "date": "2010-07", "modality": "ultrasound"}, "reason": "scan"}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = req("POST", "/api/records/lesion")
        .login(&dm)
        .json(json!({"values": {"patient": "a1", "assessment": "U1", "lesion": "L1", "organ": "liver", "role": "target", "longest_mm": 33}, "reason": "scan"}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = problems(&r);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, "assessment");
    assert!(
        p[0].1.starts_with(
            "lesion 'L1' is also measured in assessment 'A2' (in the registry); its date 2010-07-01 can be the same day as this assessment's 2010-07"
        ),
        "{p:?}"
    );
}

/// Issue 13: an adverse-event term that is not in netra's CTCAE v5.0
/// table is saved but flagged on the patient page; a table term is not.
#[tokio::test]
async fn a_term_outside_the_ctcae_table_is_saved_and_flagged() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let submit = |event: &str, term: &str| {
        req("POST", "/records/adverse_event/new")
            .cookie(&dm)
            .form(&[
                ("_csrf", dm.csrf.as_str()),
                ("f_patient", "a2"),
                ("f_event", event),
                ("f_term", term),
                ("f_grade", "3"),
                ("f_onset_date", "2013-02"),
                ("reason", "toxicity form"),
            ])
    };
    let r = submit("AE1", "Thrombocytopenia").send(&t).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let location = r.header("location").unwrap();
    assert_eq!(
        location,
        "/patients/a2?saved=Adverse%20event&note=ctcae_term#adverse_event"
    );
    let page = req("GET", location.split('#').next().unwrap())
        .cookie(&dm)
        .send(&t)
        .await
        .text();
    assert!(
        page.contains("is not in netra&#39;s CTCAE v5.0 table")
            || page.contains("is not in netra's CTCAE v5.0 table"),
        "{page}"
    );
    let r = submit("AE2", "Platelet count decreased").send(&t).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(!r.header("location").unwrap().contains("note="));
}
