//! Import of REDCap and spreadsheet files from the web (issue 15): the
//! synthetic REDCap project and spreadsheet of `netra-ingest`'s tests,
//! uploaded with their mapping by a data manager; a dry run that shows
//! what would be added, changed and removed, then the confirmed import;
//! malformed files refused at their file, line and column with nothing
//! written; another site's patients refused.

mod common;

use axum::http::StatusCode;
use common::multipart::{Part, body, content_type};
use common::*;

/// A file of `netra-ingest`'s synthetic fixtures.
fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../netra-ingest/tests/fixtures")
            .join(path),
    )
    .unwrap()
}

fn text(path: &str) -> String {
    String::from_utf8(fixture(path)).unwrap()
}

/// The fixture's mapping with its `[study]` made the test registry's study
/// `s` and site `site` (created by the administrator beforehand).
fn mapping(path: &str, site: &str, title: &str) -> Vec<u8> {
    let m = text(path);
    let start = m.find("[study]").unwrap();
    let end = m.find("[[table]]").unwrap();
    let name = if site == "a" { "Centre A" } else { "Centre B" };
    format!(
        "{}[study]\nstudy = \"s\"\ntitle = \"{title}\"\nsite = \"{site}\"\nsite_name = \"{name}\"\n\n{}",
        &m[..start],
        &m[end..]
    )
    .into_bytes()
}

/// A multipart body: the CSRF token, the form's kind, a reason, text
/// fields and files (field name, file name, bytes).
fn multipart(
    csrf: &str,
    kind: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> Vec<u8> {
    let mut parts = vec![
        Part::Field("_csrf", csrf.as_bytes()),
        Part::Field("kind", kind.as_bytes()),
    ];
    parts.extend(fields.iter().map(|(n, v)| Part::Field(n, v.as_bytes())));
    parts.extend(
        files
            .iter()
            .map(|(n, f, d)| Part::File(n, f, "application/octet-stream", d)),
    );
    body(&parts)
}

async fn upload(t: &TestApp, l: &Login, body: Vec<u8>) -> Response {
    req("POST", "/import")
        .cookie(l)
        .header("content-type", &content_type())
        .body(body)
        .send(t)
        .await
}

async fn confirm(t: &TestApp, l: &Login, checked: &str) -> Response {
    let token = checked
        .split(r#"name="upload" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the confirmation's token")
        .to_string();
    req("POST", "/import/confirm")
        .cookie(l)
        .form(&[("_csrf", l.csrf.as_str()), ("upload", token.as_str())])
        .send(t)
        .await
}

async fn patient_exists(t: &TestApp, l: &Login, code: &str) -> bool {
    let r = req("GET", &format!("/api/records/patient?key={code}"))
        .cookie(l)
        .send(t)
        .await;
    r.status == StatusCode::OK
}

fn redcap_body(csrf: &str, records: &[u8], mapping: &[u8]) -> Vec<u8> {
    multipart(
        csrf,
        "redcap",
        &[("reason", "monthly REDCap export")],
        &[
            (
                "dictionary",
                "dictionary.csv",
                &fixture("redcap/dictionary.csv"),
            ),
            ("records", "records.csv", records),
            ("mapping", "mapping.toml", mapping),
        ],
    )
}

#[tokio::test]
async fn a_redcap_project_is_checked_then_imported_and_audited() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let page = req("GET", "/import").cookie(&dm).send(&t).await.text();
    assert!(page.contains(r#"name="kind" value="redcap""#), "{page}");
    assert!(page.contains(r#"name="kind" value="sheet""#));
    let map = mapping("redcap/mapping.toml", "a", "Test study");
    let r = upload(
        &t,
        &dm,
        redcap_body(&dm.csrf, &fixture("redcap/records.csv"), &map),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("Importing would make"), "{html}");
    assert!(html.contains("lesions.csv"), "{html}");
    // The dry run wrote nothing.
    assert!(!patient_exists(&t, &dm, "NET-101").await);
    let r = confirm(&t, &dm, &html).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.text()
            .contains("change(s) imported from dictionary.csv, records.csv, mapping.toml")
    );
    for code in ["NET-101", "NET-102", "NET-103"] {
        assert!(patient_exists(&t, &dm, code).await, "{code}");
    }
    // Audited with the user and the reason typed on the form.
    let h = req("GET", "/api/records/patient/history?key=NET-101")
        .cookie(&dm)
        .send(&t)
        .await
        .json();
    assert_eq!(h[0]["user"], "dm_a");
    assert_eq!(h[0]["reason"], "monthly REDCap export");
    let admin = login(&t, "admin").await;
    let events = req("GET", "/admin/users")
        .cookie(&admin)
        .send(&t)
        .await
        .text();
    assert!(
        events.contains("dictionary.csv, records.csv, mapping.toml: ")
            && events.contains("change(s) imported"),
        "{events}"
    );
    // The same export again: nothing to change.
    let r = upload(
        &t,
        &dm,
        redcap_body(&dm.csrf, &fixture("redcap/records.csv"), &map),
    )
    .await;
    assert!(
        r.text().contains("<strong>0 change(s)</strong>"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn a_spreadsheet_is_imported_and_a_reimport_lists_what_it_removes() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let map = mapping("sheet/mapping.toml", "a", "Test study");
    let r = upload(
        &t,
        &dm,
        multipart(
            &dm.csrf,
            "sheet",
            &[("reason", "published table")],
            &[
                (
                    "sheet_file",
                    "patients.xlsx",
                    &fixture("sheet/patients.xlsx"),
                ),
                ("mapping", "mapping.toml", &map),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = confirm(&t, &dm, &r.text()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    for code in ["S1", "S2", "S3"] {
        assert!(patient_exists(&t, &dm, code).await, "{code}");
    }
    // The CSV of the same table without S3 and with S2's grade changed:
    // the check lists the change and the removal, and writes nothing.
    let csv = text("sheet/patients.csv");
    let csv: String = csv
        .lines()
        .filter(|l| !l.starts_with("S3,"))
        .map(|l| format!("{}\n", l.replace("Ileum,2,G1", "Ileum,4,G2")))
        .collect();
    let r = upload(
        &t,
        &dm,
        multipart(
            &dm.csrf,
            "sheet",
            &[("reason", "corrected table")],
            &[
                ("sheet_file", "patients.csv", csv.as_bytes()),
                ("mapping", "mapping.toml", &map),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("would be removed"), "{html}");
    assert!(html.contains("S3"), "{html}");
    assert!(patient_exists(&t, &dm, "S3").await);
    let r = confirm(&t, &dm, &html).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("removed"), "{}", r.text());
    assert!(!patient_exists(&t, &dm, "S3").await);
    let tumour = req("GET", "/api/records/tumour?key=S2&key=1")
        .cookie(&dm)
        .send(&t)
        .await
        .json();
    assert_eq!(tumour["values"]["ki67_percent"], "4", "{tumour}");
    assert_eq!(tumour["values"]["who_grade"], "g2", "{tumour}");
}

#[tokio::test]
async fn malformed_files_are_refused_at_their_place_and_nothing_is_written() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let map = mapping("redcap/mapping.toml", "a", "Test study");
    // An unknown choice code (found by the conversion), a missing file.
    let records =
        text("redcap/records.csv").replace("2018-05-02,,,2,4,1,1,1", "2018-05-02,,,2,7,1,1,1");
    let r = upload(&t, &dm, redcap_body(&dm.csrf, records.as_bytes(), &map)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains(
            "records.csv, line 20, column 11 (prim_site): unknown choice code of prim_site"
        ),
        "{html}"
    );
    assert!(html.contains("Nothing was imported"));
    assert!(!html.contains(r#"name="upload""#));
    assert!(!patient_exists(&t, &dm, "NET-101").await);
    let r = upload(
        &t,
        &dm,
        multipart(
            &dm.csrf,
            "redcap",
            &[("reason", "x")],
            &[("records", "records.csv", &fixture("redcap/records.csv"))],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("form: choose the data dictionary"), "{html}");
    assert!(html.contains("form: choose the mapping file"), "{html}");
    // A problem the store finds after conversion, inside the second
    // column group: S1's second course starts before her birth. The
    // error names tx2_start on S1's line.
    let csv = text("sheet/patients.csv").replace("2017-03-01,2017-09-20", "1950-03-01,2017-09-20");
    let r = upload(
        &t,
        &dm,
        multipart(
            &dm.csrf,
            "sheet",
            &[("reason", "x")],
            &[
                ("sheet_file", "patients.csv", csv.as_bytes()),
                (
                    "mapping",
                    "mapping.toml",
                    &mapping("sheet/mapping.toml", "a", "Test study"),
                ),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("patients.csv, line 2, column 18 (tx2_start → treatments.csv start_date)"),
        "{html}"
    );
    assert!(!patient_exists(&t, &dm, "S1").await);
}

#[tokio::test]
async fn another_sites_patients_and_shared_rows_are_refused_to_a_data_manager() {
    let t = test_app().await;
    let inv = login(&t, "inv_a").await;
    let map_a = mapping("redcap/mapping.toml", "a", "Test study");
    let r = upload(
        &t,
        &inv,
        redcap_body(&inv.csrf, &fixture("redcap/records.csv"), &map_a),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let dm = login(&t, "dm_a").await;
    // Patients of site b.
    let map_b = mapping("redcap/mapping.toml", "b", "Test study");
    let r = upload(
        &t,
        &dm,
        redcap_body(&dm.csrf, &fixture("redcap/records.csv"), &map_b),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("records.csv, line 2 (patients.csv site, from the mapping): you may not enter patients for site b"),
        "{html}"
    );
    assert!(!patient_exists(&t, &dm, "NET-101").await);
    // A mapping whose [study] would change the study's title.
    let renamed = mapping("redcap/mapping.toml", "a", "Another title");
    let r = upload(
        &t,
        &dm,
        redcap_body(&dm.csrf, &fixture("redcap/records.csv"), &renamed),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        r.text()
            .contains("studies and sites are managed by administrators"),
        "{}",
        r.text()
    );
    // The administrator may import site b's patients.
    let admin = login(&t, "admin").await;
    let r = upload(
        &t,
        &admin,
        redcap_body(&admin.csrf, &fixture("redcap/records.csv"), &map_b),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

/// A checked upload lives in the server's memory: after a restart the
/// confirmation says so and imports nothing (docs/web.md).
#[tokio::test]
async fn after_a_restart_a_checked_upload_must_be_uploaded_again() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let map = mapping("redcap/mapping.toml", "a", "Test study");
    let r = upload(
        &t,
        &dm,
        redcap_body(&dm.csrf, &fixture("redcap/records.csv"), &map),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let checked = r.text();
    let token = checked
        .split(r#"name="upload" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    // The same registry (and so the same login), a new server process.
    let registry = netra_store::Registry::open(&t.location).await.unwrap();
    let state =
        netra_server::AppState::new(registry, netra_server::Config::default(), t.clock.clone())
            .await
            .unwrap();
    let restarted = netra_server::router(state);
    let r = req("POST", "/import/confirm")
        .cookie(&dm)
        .form(&[("_csrf", dm.csrf.as_str()), ("upload", token.as_str())])
        .send_to(restarted)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert!(r.text().contains("the server restarted"), "{}", r.text());
    assert!(!patient_exists(&t, &dm, "NET-101").await);
}

/// The spreadsheet upload of a data manager of site a, as CSV.
fn sheet_body(csrf: &str, csv: &str, map: &[u8]) -> Vec<u8> {
    multipart(
        csrf,
        "sheet",
        &[("reason", "published table")],
        &[
            ("sheet_file", "patients.csv", csv.as_bytes()),
            ("mapping", "mapping.toml", map),
        ],
    )
}

/// The confirmation removes only what its check showed: a patient the
/// same source added between the check and the confirmation (here by the
/// same data manager in another session) is not removed unseen; the
/// import is refused, naming it, and nothing is written.
#[tokio::test]
async fn a_confirmation_never_removes_a_record_its_check_did_not_show() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let map = mapping("sheet/mapping.toml", "a", "Test study");
    let csv = text("sheet/patients.csv");
    let r = upload(&t, &dm, sheet_body(&dm.csrf, &csv, &map)).await;
    let r = confirm(&t, &dm, &r.text()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // The check of a table without S3 shows S3's removal.
    let without_s3: String = csv
        .lines()
        .filter(|l| !l.starts_with("S3,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let checked = upload(&t, &dm, sheet_body(&dm.csrf, &without_s3, &map)).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.text());
    let checked = checked.text();
    assert!(
        checked.contains("S3") && !checked.contains("S4"),
        "{checked}"
    );
    // Meanwhile the source gains S4 (a copy of S1's row).
    let s1 = csv.lines().find(|l| l.starts_with("S1,")).unwrap();
    let with_s4 = format!("{csv}{}\n", s1.replacen("S1,", "S4,", 1));
    let other = login(&t, "dm_a").await;
    let r = upload(&t, &other, sheet_body(&other.csrf, &with_s4, &map)).await;
    let r = confirm(&t, &other, &r.text()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(patient_exists(&t, &dm, "S4").await);
    // The first check's confirmation would now also remove S4: refused.
    let r = confirm(&t, &dm, &checked).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        r.text().contains(
            "patient &#39;S4&#39; would now be removed, but the check before did not list it"
        ) || r
            .text()
            .contains("patient 'S4' would now be removed, but the check before did not list it"),
        "{}",
        r.text()
    );
    assert!(patient_exists(&t, &dm, "S3").await);
    assert!(patient_exists(&t, &dm, "S4").await);
}
