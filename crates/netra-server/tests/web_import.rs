//! Import of bundle files from the web (issue 15, section 3): a dry run
//! that shows what would change, then the confirmed import, all or
//! nothing; refusals with file, line and column; a size limit; only data
//! managers (their sites' patients) and administrators; audited.

mod common;

use axum::http::StatusCode;
use common::multipart::{Part, body, content_type};
use common::*;

/// A multipart body of the upload form: the CSRF token, a reason and the
/// files.
fn multipart(csrf: &str, reason: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut parts = vec![
        Part::Field("_csrf", csrf.as_bytes()),
        Part::Field("reason", reason.as_bytes()),
    ];
    parts.extend(
        files
            .iter()
            .map(|(name, data)| Part::File("files", name, "text/csv", data)),
    );
    body(&parts)
}

fn upload(l: &Login, body: Vec<u8>) -> Req {
    let mut r = req("POST", "/import")
        .cookie(l)
        .header("content-type", &content_type());
    r = r.body(body);
    r
}

async fn patient_exists(t: &TestApp, l: &Login, code: &str) -> bool {
    let r = req("GET", &format!("/api/records/patient?key={code}"))
        .cookie(l)
        .send(t)
        .await;
    r.status == StatusCode::OK
}

const PATIENTS: &str = "patient,site,sex,birth_date,diagnosis_date,last_followup_date,vital_status\n\
     w1,a,female,1955-02-03,2012-04-01,2016-01-01,alive\n\
     w2,a,male,1960,2013-05,2017-03-01,alive\n";
const TUMOURS: &str = "patient,tumour,primary_site,differentiation,ki67_percent\n\
     w1,1,pancreas,well,3\nw2,1,jejunum_ileum,well,1\n";

#[tokio::test]
async fn a_dry_run_shows_the_changes_and_the_confirmation_imports_them() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let page = req("GET", "/import").cookie(&dm).send(&t).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(r#"enctype="multipart/form-data""#));
    let r = upload(
        &dm,
        multipart(
            &dm.csrf,
            "monthly export",
            &[
                ("patients.csv", PATIENTS.as_bytes()),
                ("tumours.csv", TUMOURS.as_bytes()),
            ],
        ),
    )
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("Importing would make"), "{html}");
    assert!(html.contains("<strong>4 change(s)</strong>"), "{html}");
    // The dry run wrote nothing.
    assert!(!patient_exists(&t, &dm, "w1").await);
    let token = html
        .split(r#"name="upload" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the confirmation's token")
        .to_string();
    // Another session cannot confirm it.
    let other = login(&t, "dm_a").await;
    let r = req("POST", "/import/confirm")
        .cookie(&other)
        .form(&[("_csrf", other.csrf.as_str()), ("upload", token.as_str())])
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = req("POST", "/import/confirm")
        .cookie(&dm)
        .form(&[("_csrf", dm.csrf.as_str()), ("upload", token.as_str())])
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("4 change(s) imported"), "{}", r.text());
    assert!(patient_exists(&t, &dm, "w1").await);
    assert!(patient_exists(&t, &dm, "w2").await);
    // Audited: each record with the user and the typed reason.
    let h = req("GET", "/api/records/tumour/history?key=w2&key=1")
        .cookie(&dm)
        .send(&t)
        .await
        .json();
    assert_eq!(h[0]["user"], "dm_a");
    assert_eq!(h[0]["reason"], "monthly export");
    // The upload itself is a security event.
    let admin = login(&t, "admin").await;
    let events = req("GET", "/admin/users")
        .cookie(&admin)
        .send(&t)
        .await
        .text();
    assert!(events.contains("import_checked"), "{events}");
    // A token is used once.
    let r = req("POST", "/import/confirm")
        .cookie(&dm)
        .form(&[("_csrf", dm.csrf.as_str()), ("upload", token.as_str())])
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_malformed_file_is_refused_with_its_lines_and_nothing_is_written() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    let bad = "patient,site,sex,birth_date,diagnosis_date,last_followup_date,vital_status\n\
         w1,a,female,1955-02-03,2012-04-01,2016-01-01,alive\n\
         w2,a,male,1960-13-01,2013-05,2017-03-01,alive\n\
         w3,a,unknown_sex,1960,2013-05,2012-03-01,alive\n";
    let r = upload(
        &dm,
        multipart(
            &dm.csrf,
            "monthly export",
            &[
                ("patients.csv", bad.as_bytes()),
                ("tumours.csv", TUMOURS.as_bytes()),
                ("notes.txt", b"x"),
            ],
        ),
    )
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    // Every problem at once, each with its file (and line and column).
    assert!(html.contains("notes.txt: not a bundle file"), "{html}");
    let r = upload(
        &dm,
        multipart(
            &dm.csrf,
            "monthly export",
            &[
                ("patients.csv", bad.as_bytes()),
                ("tumours.csv", TUMOURS.as_bytes()),
            ],
        ),
    )
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("patients.csv, line 3, column 4 (birth_date)"),
        "{html}"
    );
    assert!(
        html.contains("patients.csv, line 4, column 3 (sex)"),
        "{html}"
    );
    assert!(html.contains("Nothing was imported"));
    // No confirmation is offered, and nothing was written, not even the
    // good rows.
    assert!(!html.contains(r#"name="upload""#));
    assert!(!patient_exists(&t, &dm, "w1").await);
    // Without a reason: refused too, saying so.
    let r = upload(
        &dm,
        multipart(&dm.csrf, "", &[("patients.csv", PATIENTS.as_bytes())]),
    )
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("give the reason for this import"));
}

#[tokio::test]
async fn only_data_managers_and_administrators_upload_and_only_their_sites() {
    let t = test_app().await;
    for who in ["analyst", "inv_a"] {
        let l = login(&t, who).await;
        let r = req("GET", "/import").cookie(&l).send(&t).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        let r = upload(
            &l,
            multipart(&l.csrf, "x", &[("patients.csv", PATIENTS.as_bytes())]),
        )
        .send(&t)
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        let list = req("GET", "/patients").cookie(&l).send(&t).await.text();
        assert!(
            !list.contains(r#"href="/import""#),
            "{who} is offered an upload"
        );
    }
    let dm = login(&t, "dm_a").await;
    // Without the CSRF token.
    let r = upload(
        &dm,
        multipart("forged", "x", &[("patients.csv", PATIENTS.as_bytes())]),
    )
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A row of another site's patient, a new patient of another site, and
    // the sites file: each refused, nothing written.
    let tumours = "patient,tumour,primary_site,differentiation,ki67_percent\n\
         w1,1,pancreas,well,3\nb1,1,pancreas,well,30\n";
    let patients = "patient,site,sex,vital_status\nw1,a,female,alive\nw9,b,male,alive\n";
    let r = upload(
        &dm,
        multipart(
            &dm.csrf,
            "x",
            &[
                ("patients.csv", patients.as_bytes()),
                ("tumours.csv", tumours.as_bytes()),
                ("sites.csv", b"site,study,name\nc,s,Centre C\n"),
            ],
        ),
    )
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("tumours.csv, line 3, column patient"),
        "{html}"
    );
    assert!(
        html.contains("no patient &#39;b1&#39; of a site you manage")
            || html.contains("no patient 'b1' of a site you manage"),
        "{html}"
    );
    assert!(
        html.contains("you may not enter patients for site b"),
        "{html}"
    );
    assert!(html.contains("sites.csv: studies and sites are managed by administrators"));
    assert!(!patient_exists(&t, &dm, "w1").await);
    // The administrator may import another site's rows.
    let admin = login(&t, "admin").await;
    let r = upload(
        &admin,
        multipart(&admin.csrf, "x", &[("patients.csv", patients.as_bytes())]),
    )
    .send(&t)
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

#[tokio::test]
async fn an_upload_above_the_limit_is_refused() {
    let t = test_app().await;
    let dm = login(&t, "dm_a").await;
    // Above the 1 MB of forms, below the upload limit: checked.
    let long_note = "x".repeat(2 << 20);
    let file = format!("patient,site,sex,vital_status,notes\nw1,a,female,alive,{long_note}\n");
    let r = upload(
        &dm,
        multipart(&dm.csrf, "x", &[("patients.csv", file.as_bytes())]),
    )
    .send(&t)
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        &r.text()[..500.min(r.text().len())]
    );
    let mut big = PATIENTS.as_bytes().to_vec();
    big.resize(netra_server::upload::UPLOAD_LIMIT + 100 * 1024, b' ');
    let r = upload(&dm, multipart(&dm.csrf, "x", &[("patients.csv", &big)]))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().contains("larger than the limit of 16 MB"));
}
