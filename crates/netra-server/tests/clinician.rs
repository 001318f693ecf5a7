//! The data manager's and clinician's pages of issue 20: the patient page
//! (headers people read, the derived lines with best response and TTP,
//! undated treatments shown), the patient list (natural order, sortable
//! columns, the audited CSV export for the roles allowed to) and the
//! analysis page ("NR" one way, confidence bands by the number of groups,
//! the Cox model next to the curves, the audited patient-level download).

mod common;

use axum::http::StatusCode;
use common::*;
use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero, derive_cohort};
use netra_clinical::lines::LineRules;
use netra_clinical::registry::vocab::{Sex, Vocabulary};
use serde_json::json;

async fn page(t: &TestApp, who: &Login, uri: &str) -> String {
    let r = req("GET", uri).cookie(who).send(t).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    r.text()
}

async fn add(t: &TestApp, who: &Login, table: &str, values: serde_json::Value) {
    let r = req("POST", &format!("/api/records/{table}"))
        .login(who)
        .json(json!({"values": values, "reason": "test"}))
        .send(t)
        .await;
    assert!(r.status.is_success(), "{table}: {}", r.text());
}

#[tokio::test]
async fn the_patient_page_reads_as_words_and_shows_the_lines() {
    let t = test_app().await;
    let admin = login(&t, "admin").await;
    // Octreotide ongoing at entry: no start date.
    add(
        &t,
        &admin,
        "treatment",
        json!({"patient": "a1", "treatment": "T0", "type": "somatostatin_analogue"}),
    )
    .await;
    add(
        &t,
        &admin,
        "treatment_agent",
        json!({"patient": "a1", "treatment": "T0", "agent": "octreotide"}),
    )
    .await;
    add(
        &t,
        &admin,
        "clinical_status",
        json!({"patient": "a1", "date": "2010-05-01", "ecog": 1}),
    )
    .await;
    let html = page(&t, &admin, "/patients/a1").await;
    assert!(html.contains("Clinical status "), "section title");
    assert!(!html.contains("statuss"), "no schema plural");
    assert!(html.contains("Imaging assessments"));
    assert!(html.contains("History of patient a1"));
    assert!(html.contains(">Start date<") && !html.contains(">start date<"));
    assert!(
        html.contains(r#"class="row-actions""#),
        "actions column kept in view"
    );
    assert!(
        html.contains(r#"<td class="date">2010-04-01</td>"#),
        "dates do not wrap"
    );
    // Line 1 is everolimus from 2010-04-01: 50 → 30 mm is a partial
    // response by the lesions; no progression, so TTP is censored (+).
    let lines = &html[html.find(r#"id="lines""#).expect("lines section")..];
    let lines = &lines[..lines.find("</table>").expect("lines table")];
    assert!(lines.contains("<td>everolimus</td>"), "{lines}");
    assert!(lines.contains("PR (lesions)"), "{lines}");
    assert!(lines.contains("+</td>"), "censored TTP: {lines}");
    assert!(
        html.contains("Treatments not in the lines")
            && html.contains("octreotide")
            && html.contains("ongoing at entry"),
        "the undated treatment is shown"
    );
    // The course figure draws it too.
    let svg = page(&t, &admin, "/patients/a1/timeline.svg").await;
    assert!(svg.contains("ongoing at entry"));
    // The record history's heading names the patient once.
    let h = page(&t, &admin, "/records/patient/history?key=a1").await;
    assert!(h.contains("<h1>History of patient a1</h1>"), "{h}");
    let h = page(&t, &admin, "/records/treatment/history?key=a1&key=T1").await;
    assert!(h.contains("<h1>History of treatment T1 of patient a1</h1>"));
    t.finish().await;
}

fn codes_in(html: &str) -> Vec<String> {
    html.split(r#"<td><a href="/patients/"#)
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_list_sorts_naturally_by_any_column_and_exports_what_it_shows() {
    let t = test_app().await;
    let admin = login(&t, "admin").await;
    for (code, birth) in [("a10", "1940-01-01"), ("a9", "1990-01-01")] {
        add(
            &t,
            &admin,
            "patient",
            json!({"patient": code, "site": "a", "sex": "female", "birth_date": birth,
                   "diagnosis_date": "2015-01-01", "vital_status": "alive"}),
        )
        .await;
    }
    let html = page(&t, &admin, "/patients").await;
    assert_eq!(codes_in(&html), ["a1", "a2", "a9", "a10", "b1"]);
    let html = page(&t, &admin, "/patients?sort=patient&dir=desc").await;
    assert_eq!(codes_in(&html), ["b1", "a10", "a9", "a2", "a1"]);
    assert!(html.contains(r#"aria-sort="descending""#));
    // Ages at diagnosis: a10 75, a1 59, a2 ~50, b1 41, a9 25.
    let html = page(&t, &admin, "/patients?sort=age&dir=desc").await;
    assert_eq!(codes_in(&html), ["a10", "a1", "a2", "b1", "a9"]);
    let r = req("GET", "/patients?sort=height")
        .cookie(&admin)
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let api = req("GET", "/api/patients?sort=age")
        .cookie(&admin)
        .send(&t)
        .await;
    let ids: Vec<String> = api.json()["patients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["a9", "b1", "a2", "a1", "a10"]);

    // The export: the data manager of site a gets site a's filtered rows,
    // in the list's order, and the export is a security event.
    let dm = login(&t, "dm_a").await;
    let html = page(&t, &dm, "/patients?vital=alive").await;
    assert!(html.contains("/patients.csv?vital=alive"), "export link");
    let r = req("GET", "/patients.csv?vital=alive")
        .cookie(&dm)
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    let csv = r.text();
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("patient,site,sex,age,"));
    let codes: Vec<&str> = rows[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(codes, ["a2", "a9", "a10"], "alive, site a only: {csv}");
    let events = netra_server::accounts::recent_events(&t.state.registry, 5)
        .await
        .unwrap();
    let e = events
        .iter()
        .find(|e| e.event == "export")
        .expect("audited");
    assert_eq!(e.username.as_deref(), Some("dm_a"));
    assert!(
        e.detail.as_deref().unwrap().contains("3 row(s)")
            && e.detail.as_deref().unwrap().contains("vital=alive"),
        "{e:?}"
    );
    // Analysts may not export patient rows, nor see the link.
    let analyst = login(&t, "analyst").await;
    let r = req("GET", "/patients.csv").cookie(&analyst).send(&t).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        !page(&t, &analyst, "/patients")
            .await
            .contains("/patients.csv")
    );
    t.finish().await;
}

/// How often `needle` occurs in `s`.
fn count(s: &str, needle: &str) -> usize {
    s.matches(needle).count()
}

#[tokio::test]
async fn the_analysis_page_is_readable_with_many_groups_and_shows_the_cox_model() {
    let t = test_app().await;
    add_simulated(&t, 300, 11).await;
    let admin = login(&t, "admin").await;

    // One curve: bands by default; many primary sites: none unless asked.
    let one = page(&t, &admin, "/analysis?endpoint=os&from=diagnosis").await;
    assert!(count(&one, r#"class="ci-band""#) >= 1);
    let many = page(
        &t,
        &admin,
        "/analysis?endpoint=os&from=diagnosis&group=primary",
    )
    .await;
    let curves = count(&many, r#"class="curve""#);
    assert!(curves > 3, "{curves} curves");
    assert_eq!(count(&many, r#"class="ci-band""#), 0);
    let asked = page(
        &t,
        &admin,
        "/analysis?endpoint=os&from=diagnosis&group=primary&ci=1",
    )
    .await;
    assert!(count(&asked, r#"class="ci-band""#) >= 1);
    // "NR" only: never "not reached" in the survival-by-group table.
    let by_grade = page(
        &t,
        &admin,
        "/analysis?endpoint=os&from=diagnosis&group=grade",
    )
    .await;
    assert!(!by_grade.contains("not reached"));

    // The Cox model by sex equals coxph on the same rows (netra-stats,
    // checked against R in its own tests).
    let html = page(&t, &admin, "/analysis?endpoint=os&from=diagnosis&group=sex").await;
    let cox = &html[html.find("Cox model").expect("a Cox section")..];
    assert!(cox.contains("1 (reference)"));
    let included = included_courses(&t).await;
    let rows = derive_cohort(
        &included,
        &EndpointSpec::new(Endpoint::Os, TimeZero::Diagnosis),
        &LineRules::default(),
    )
    .rows;
    let sex = |code: &str| {
        included
            .iter()
            .find(|c| c.patient.code == code)
            .unwrap()
            .patient
            .sex
    };
    // The reference is the first level (vocabulary order) with patients.
    let reference = *Sex::ALL
        .iter()
        .find(|s| rows.iter().any(|r| sex(&r.patient) == **s))
        .unwrap();
    let time: Vec<f64> = rows.iter().map(|r| r.time).collect();
    let event: Vec<bool> = rows.iter().map(|r| r.event).collect();
    let x: Vec<f64> = rows
        .iter()
        .map(|r| f64::from(u8::from(sex(&r.patient) != reference)))
        .collect();
    let names = vec!["sex".to_string()];
    let fit = netra_stats::cox::coxph(
        &netra_stats::cox::CoxData {
            time: &time,
            event: &event,
            start: None,
            x: &x,
            names: &names,
            weights: None,
            strata: None,
            cluster: None,
        },
        &netra_stats::cox::CoxOptions::default(),
    )
    .unwrap();
    let c = &fit.coefficients[0];
    let expected = format!(
        "{:.2} ({:.2}\u{2013}{:.2})",
        c.hr.unwrap(),
        c.hr_lower.unwrap(),
        c.hr_upper.unwrap()
    );
    assert!(cox.contains(&expected), "HR {expected} on the page");
    assert!(cox.contains("Forest plot"), "the forest plot");

    // The patient-level download: one row per cohort patient, the curve's
    // times; audited; not for analysts.
    let r = req(
        "GET",
        "/api/analysis/patients.csv?endpoint=os&from=diagnosis&group=sex",
    )
    .cookie(&admin)
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let csv = r.text();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "patient,group,time_months,event,imputed_dates");
    assert_eq!(lines.len() - 1, included.len());
    let with_time = lines[1..]
        .iter()
        .filter(|l| !l.split(',').nth(2).unwrap().is_empty())
        .count();
    assert_eq!(with_time, rows.len());
    let events = netra_server::accounts::recent_events(&t.state.registry, 5)
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.event == "export" && e.detail.as_deref().unwrap().contains("analysis"))
    );
    let analyst = login(&t, "analyst").await;
    let r = req(
        "GET",
        "/api/analysis/patients.csv?endpoint=os&from=diagnosis",
    )
    .cookie(&analyst)
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    t.finish().await;
}
