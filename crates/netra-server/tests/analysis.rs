//! Analyses over HTTP agree with the endpoint derivation and the
//! statistics computed directly; downloads; the patient list's paging and
//! filters on a simulated registry; the OpenAPI document; security headers.

mod common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use common::*;
use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero, derive_cohort};
use netra_clinical::lines::LineRules;
use netra_stats::km::{KmOptions, km_by_group};
use netra_stats::logrank::{Weights, logrank};
use serde_json::Value;

#[tokio::test]
async fn survival_by_group_matches_the_endpoints_and_netra_stats() {
    let t = test_app().await;
    add_simulated(&t, 300, 7).await;
    let admin = login(&t, "admin").await;
    let a = req(
        "GET",
        "/api/analysis?endpoint=pfs&from=line:1&group=sex&landmark=12",
    )
    .cookie(&admin)
    .send(&t)
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let a = a.json();

    // The same computed directly: derive PFS from line 1 for every course
    // not excluded, group by sex, fit and test.
    let included = included_courses(&t).await;
    let spec = EndpointSpec::new(Endpoint::Pfs, TimeZero::Line(1));
    let rows = derive_cohort(&included, &spec, &LineRules::default()).rows;
    let sex_of = |code: &str| {
        included
            .iter()
            .find(|c| c.patient.code == code)
            .map(|c| c.patient.sex)
            .unwrap()
    };
    let levels: BTreeSet<_> = rows.iter().map(|r| sex_of(&r.patient)).collect();
    let levels: Vec<_> = levels.into_iter().collect();
    let time: Vec<f64> = rows.iter().map(|r| r.time).collect();
    let event: Vec<bool> = rows.iter().map(|r| r.event).collect();
    let group: Vec<usize> = rows
        .iter()
        .map(|r| {
            levels
                .iter()
                .position(|l| *l == sex_of(&r.patient))
                .unwrap()
        })
        .collect();
    let g32: Vec<u32> = group.iter().map(|&g| g as u32).collect();
    let curves = km_by_group(
        &time,
        &event,
        None,
        &g32,
        levels.len(),
        &KmOptions::default(),
    )
    .unwrap();
    let test = logrank(&time, &event, &group, None, Weights::LogRank).unwrap();

    assert_eq!(a["analysed"], rows.len());
    assert_eq!(a["cohort"], included.len());
    let groups = a["groups"].as_array().unwrap();
    assert_eq!(groups.len(), levels.len());
    let close = |x: &Value, y: Option<f64>| match (x.as_f64(), y) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * y.abs().max(1.0),
        (None, None) => true,
        _ => false,
    };
    for (g, c) in groups.iter().zip(&curves) {
        assert_eq!(g["n"], c.n);
        assert_eq!(g["events"].as_f64().unwrap(), c.events());
        let m = c.median();
        assert!(close(&g["median"], m.estimate), "{g}");
        assert!(close(&g["median_lower"], m.lower), "{g}");
        assert!(close(&g["median_upper"], m.upper), "{g}");
        let at = c.at_times(&[12.0], false).unwrap();
        assert!(close(&g["landmark_survival"], at[0].survival), "{g}");
    }
    assert!(close(&a["logrank"]["chisq"], Some(test.chisq)));
    assert!(close(&a["logrank"]["p"], Some(test.p)));
    assert_eq!(a["logrank"]["df"], test.df);
    assert!(a["imputed_dates"].as_u64().is_some());

    // The figure has one curve per group and the test's p.
    let svg = req(
        "GET",
        "/api/analysis/km.svg?endpoint=pfs&from=line:1&group=sex&landmark=12",
    )
    .cookie(&admin)
    .send(&t)
    .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(svg.header("content-type").unwrap(), "image/svg+xml");
    assert!(
        svg.header("content-disposition")
            .unwrap()
            .contains("pfs-line1-km.svg")
    );
    let text = svg.text();
    assert!(text.contains("Number at risk"));
    assert!(text.contains("Log-rank p"));
    for g in groups {
        assert!(text.contains(&format!(
            "{} (n = {})",
            g["label"].as_str().unwrap(),
            g["n"]
        )));
    }
}

#[tokio::test]
async fn downloads_are_a_png_and_csv_tables() {
    let t = test_app().await;
    let l = login(&t, "inv_a").await;
    let q = "endpoint=os&from=diagnosis&group=primary";
    let png = req("GET", &format!("/api/analysis/km.png?{q}"))
        .cookie(&l)
        .send(&t)
        .await;
    assert_eq!(png.status, StatusCode::OK);
    assert_eq!(png.header("content-type").unwrap(), "image/png");
    assert_eq!(&png.body[..8], b"\x89PNG\r\n\x1a\n");
    let csv = req("GET", &format!("/api/analysis/survival.csv?{q}"))
        .cookie(&l)
        .send(&t)
        .await;
    assert_eq!(
        csv.header("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    let text = csv.text();
    assert!(text.starts_with("Characteristic,n,Events,"), "{text}");
    assert!(text.contains("All patients,2,1,"), "{text}");
    let groups = req("GET", &format!("/api/analysis/groups.csv?{q}"))
        .cookie(&l)
        .send(&t)
        .await
        .text();
    let lines: Vec<&str> = groups.lines().collect();
    assert!(lines[0].starts_with("group,n,events,median"));
    // Site a: a1 (pancreas, died) and a2 (jejunum/ileum, alive). Level
    // labels are the variables dictionary's (as study files print them).
    assert!(lines[1].starts_with("Pancreas,1,1,"), "{groups}");
    assert!(lines[2].starts_with("Jejunum/ileum,1,0,"), "{groups}");
    let r = req("GET", &format!("/api/analysis/response.csv?{q}"))
        .cookie(&l)
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::OK, "a1's PR on everolimus");
    let text = r.text();
    assert!(text.contains("ORR, % (95% CI)"), "{text}");
    // a1: PR on line 1 (the only patient of site a with a line).
    assert!(
        text.contains("\"  Pancreas\",1,100.0 (2.5–100.0)"),
        "{text}"
    );
    let bad = req("GET", &format!("/api/analysis/km.pdf?{q}"))
        .cookie(&l)
        .send(&t)
        .await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    let bad = req("GET", "/api/analysis?endpoint=dor&from=diagnosis")
        .cookie(&l)
        .send(&t)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not among the analyses offered")
    );
    // The page shows the figure and the tables.
    let page = req("GET", &format!("/analysis?{q}"))
        .cookie(&l)
        .send(&t)
        .await
        .text();
    assert!(page.contains("<figure class=\"svg\" role=\"img\" aria-label=\"Kaplan–Meier curves"));
    assert!(page.contains("Survival table") && page.contains("Response on line 1"));
    assert!(page.contains("/api/analysis/km.png?endpoint=os&amp;from=diagnosis&amp;group=primary"));
}

#[tokio::test]
async fn the_patient_list_pages_filters_and_searches_a_larger_registry() {
    let t = test_app().await;
    add_simulated(&t, 130, 7).await;
    let admin = login(&t, "admin").await;
    let page = |q: &str| {
        let l = admin.clone();
        let q = q.to_string();
        let t = &t;
        async move {
            req("GET", &format!("/api/patients?{q}"))
                .cookie(&l)
                .send(t)
                .await
                .json()
        }
    };
    let p1 = page("page=1").await;
    assert_eq!(p1["total"], 133);
    assert_eq!(p1["pages"], 3);
    assert_eq!(p1["patients"].as_array().unwrap().len(), 50);
    let p3 = page("page=3").await;
    assert_eq!(p3["patients"].as_array().unwrap().len(), 33);
    // Pages continue in code order without overlap.
    let last1 = p1["patients"][49]["id"].as_str().unwrap().to_string();
    let first2 = page("page=2").await["patients"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(last1 < first2);
    // Filters combine; every row satisfies them.
    let f = page("site=sim-c01&grade=g1&vital=dead").await;
    let rows = f["patients"].as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        assert_eq!(r["site"], "sim-c01");
        assert_eq!(r["grade"], "g1");
        assert_eq!(r["vital_status"], "dead");
    }
    let s = page("q=00012").await;
    let ids: Vec<&str> = s["patients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"sim-0000012") && ids.contains(&"sim-0000120"),
        "{ids:?}"
    );
    assert!(ids.iter().all(|id| id.contains("00012")));
    let bad = req("GET", "/api/patients?grade=g7")
        .cookie(&admin)
        .send(&t)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // The HTML page has labelled filters and a pager.
    let html = req("GET", "/patients?page=2&grade=g2")
        .cookie(&admin)
        .send(&t)
        .await
        .text();
    for id in ["q", "site", "primary", "grade", "vital"] {
        assert!(html.contains(&format!("<label for=\"{id}\">")), "{id}");
    }
    assert!(html.contains("rel=\"prev\""));
}

#[tokio::test]
async fn every_path_of_the_openapi_document_is_routed() {
    let t = test_app().await;
    let admin = login(&t, "admin").await;
    let doc = req("GET", "/api/openapi.json").send(&t).await.json();
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 15);
    for (path, methods) in paths {
        for method in methods.as_object().unwrap().keys() {
            let concrete = path
                .replace("{entity}", "patient")
                .replace("{name}", "nobody")
                .replace("{file}", "km.svg")
                .replace("{id}", "a1");
            let r = req(&method.to_uppercase(), &concrete)
                .login(&admin)
                .send(&t)
                .await;
            // Routed: not the fallback's "no page at", not 405.
            assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                !r.text().contains("no page at"),
                "{method} {path} is not routed"
            );
        }
    }
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let t = test_app().await;
    let admin = login(&t, "admin").await;
    for path in ["/patients/a1", "/api/patients/a1", "/login"] {
        let r = req("GET", path).cookie(&admin).send(&t).await;
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(r.header("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(r.header("x-frame-options").unwrap(), "DENY");
        assert_eq!(r.header("cache-control").unwrap(), "no-store", "{path}");
    }
    let css = req("GET", "/static/netra.css").send(&t).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("cache-control").unwrap().contains("max-age"));
    let js = req("GET", "/static/netra.js").send(&t).await;
    assert!(js.text().contains("recist-preview"));
}
