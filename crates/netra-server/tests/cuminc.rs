//! Cumulative incidence over HTTP (`/api/analysis/cuminc`): the analysis
//! layer's JSON, equal to `netra_stats::cuminc` on competing-risks data
//! derived directly from the PFS and TTP rows of line 1 (the rule of
//! `netra_analysis::analyses::cuminc`); its figure and the page.

mod common;

use axum::http::StatusCode;
use common::*;
use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero, derive_cohort};
use netra_clinical::lines::LineRules;
use netra_clinical::registry::vocab::Vocabulary;
use netra_stats::cuminc::{CumIncOptions, cuminc};
use serde_json::Value;

#[tokio::test]
async fn cuminc_over_http_equals_the_kernel_on_directly_derived_rows() {
    let t = test_app().await;
    add_simulated(&t, 300, 7).await;
    let admin = login(&t, "admin").await;
    let q = "endpoint=ttp&from=line:1&group=sex&landmark=12";
    let r = req("GET", &format!("/api/analysis/cuminc?{q}"))
        .cookie(&admin)
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let a = r.json();

    // The same data derived directly: PFS gives time and event, a TTP
    // event at the PFS time makes it a progression, else a death.
    let included = included_courses(&t).await;
    let rules = LineRules::default();
    let pfs = derive_cohort(
        &included,
        &EndpointSpec::new(Endpoint::Pfs, TimeZero::Line(1)),
        &rules,
    )
    .rows;
    let ttp = derive_cohort(
        &included,
        &EndpointSpec::new(Endpoint::Ttp, TimeZero::Line(1)),
        &rules,
    )
    .rows;
    let labels: Vec<String> = a["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["label"].as_str().unwrap().to_string())
        .collect();
    let (mut time, mut status, mut group) = (Vec::new(), Vec::new(), Vec::new());
    for r in &pfs {
        let tt = ttp.iter().find(|x| x.patient == r.patient);
        let s = match (r.event, tt) {
            (false, _) => 0,
            (true, Some(x)) if x.event && x.time == r.time => 1,
            (true, _) => 2,
        };
        let sex = included
            .iter()
            .find(|c| c.patient.code == r.patient)
            .unwrap()
            .patient
            .sex;
        time.push(r.time);
        status.push(s);
        group.push(
            labels
                .iter()
                .position(|l| l.eq_ignore_ascii_case(sex.label()))
                .unwrap(),
        );
    }
    assert_eq!(a["analysed"], time.len());
    assert!(status.contains(&1) && status.contains(&2), "both causes");
    let close = |x: &Value, y: Option<f64>| match (x.as_f64(), y) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * y.abs().max(1.0),
        (None, None) => true,
        _ => false,
    };
    let curves = a["curves"].as_array().unwrap();
    let mut k = 0;
    for cause in [1u32, 2] {
        let opts = CumIncOptions {
            times: vec![12.0],
            ..CumIncOptions::default()
        };
        let direct = cuminc(&time, &status, Some(&group), None, cause, &opts).unwrap();
        for c in &direct.curves {
            let o = &curves[k];
            k += 1;
            assert_eq!(o["cause_code"], cause);
            assert_eq!(o["group"], labels[c.group]);
            assert_eq!(o["events"], c.events);
            assert!(
                close(&o["at_times"][0]["estimate"], c.at_times[0].estimate),
                "{o}"
            );
            assert!(
                close(&o["at_times"][0]["variance"], c.at_times[0].variance),
                "{o}"
            );
        }
        let g = direct.gray.unwrap();
        let o = a["gray"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["cause_code"] == cause)
            .unwrap();
        assert!(close(&o["chisq"], g.statistic));
        assert!(close(&o["p"], g.p));
    }
    assert_eq!(k, curves.len());

    // The figure, and the page shows it with Gray's test.
    let svg = req("GET", &format!("/api/analysis/cuminc.svg?{q}"))
        .cookie(&admin)
        .send(&t)
        .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(svg.text().contains("Cumulative incidence"));
    let page = req("GET", &format!("/analysis?{q}"))
        .cookie(&admin)
        .send(&t)
        .await
        .text();
    assert!(
        page.contains("Gray&#39;s test") || page.contains("Gray's test"),
        "page"
    );
    assert!(page.contains("/api/analysis/cuminc?"));

    // Other endpoints have no cumulative incidence.
    let os = req("GET", "/api/analysis/cuminc?endpoint=os&from=diagnosis")
        .cookie(&admin)
        .send(&t)
        .await;
    assert_eq!(os.status, StatusCode::NOT_FOUND);
}
