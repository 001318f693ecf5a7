//! What an analyst can learn from analyses (issue 14 items 3 and 5; the
//! rule is in docs/web.md, "What an analyst sees"): the registry's minimum
//! cell size on every count, curve value and download, age filters in
//! 5-year bands, pseudonymous arm labels; administrators keep full detail.

mod common;

use std::collections::BTreeSet;

use common::fields::{Rule, analysis_rule as rule_of, leaves};
use common::*;
use netra_server::Config;
use serde_json::Value;

/// The server's default minimum cell size.
const M: f64 = 5.0;

#[track_caller]
fn check_analyst_answer(v: &Value, arm: bool) {
    check_with(v, arm, M)
}

#[track_caller]
fn check_with(v: &Value, arm: bool, m: f64) {
    assert_eq!(v["min_cell"], m, "the threshold is stated: {v}");
    assert!(
        v["analysis"].is_null(),
        "no layer output (every curve step)"
    );
    let mut all = Vec::new();
    leaves(v, String::new(), &mut all);
    let mut seen = BTreeSet::new();
    for (path, x) in &all {
        let rule = rule_of(path)
            .unwrap_or_else(|| panic!("field '{path}' reaches analysts without a rule"));
        seen.insert(path.clone());
        match rule {
            Rule::Count => {
                if let Some(n) = x.as_f64() {
                    assert!(n == 0.0 || n >= m, "{path} = {n} is below {m}");
                } else {
                    assert!(x.is_null(), "{path} = {x}");
                }
            }
            Rule::GroupLabel if arm => {
                let l = x.as_str().unwrap();
                assert!(l.starts_with("arm "), "arm label '{l}' is not pseudonymous");
            }
            _ => {}
        }
    }
    // An estimate is never shown for a withheld group.
    for g in v["groups"].as_array().unwrap() {
        if g["n"].is_null() {
            for k in [
                "median",
                "median_lower",
                "median_upper",
                "landmark_survival",
            ] {
                assert!(g[k].is_null(), "{k} of a withheld group: {g}");
            }
        }
    }
    for r in v["response"].as_array().unwrap() {
        if r["responders"].is_null() {
            assert!(r["orr"].is_null(), "a rate gives its count back: {r}");
        }
    }
    assert!(seen.contains("cohort"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_an_analyst_receives_follows_the_small_cell_rule() {
    let t = test_app().await;
    add_simulated(&t, 300, 5).await;
    let analyst = login(&t, "analyst").await;
    let admin = login(&t, "admin").await;
    let mut withheld_somewhere = false;
    for q in [
        "endpoint=os&from=diagnosis&group=grade&landmark=36",
        "endpoint=pfs&from=line:2&group=primary&landmark=12",
        "endpoint=ttp&from=line:3&group=site&landmark=24",
        "endpoint=os&from=diagnosis&group=functional&age_min=80&age_max=89",
    ] {
        let a = req("GET", &format!("/api/analysis?{q}"))
            .cookie(&analyst)
            .send(&t)
            .await;
        assert_eq!(a.status, 200, "{q}: {}", a.text());
        let v = a.json();
        check_analyst_answer(&v, q.contains("group=arm"));
        withheld_somewhere |= v.to_string().contains("\"suppressed\"");
        // Administrators see everything: the layer's outputs, no threshold.
        let full = req("GET", &format!("/api/analysis?{q}"))
            .cookie(&admin)
            .send(&t)
            .await
            .json();
        assert!(
            full.get("min_cell").is_none() && full["analysis"].is_object(),
            "{q}: {full}"
        );
        // The downloads follow the same rule.
        let csv = req("GET", &format!("/api/analysis/groups.csv?{q}"))
            .cookie(&analyst)
            .send(&t)
            .await
            .text();
        for line in csv.lines().skip(1) {
            // From the right: a label may hold a quoted comma.
            let n = line.rsplit(',').nth(11).unwrap();
            assert!(
                n.starts_with('<') || [0.0, M].contains(&n.parse::<f64>().unwrap().min(M)),
                "{line}"
            );
        }
        for file in ["survival.csv", "response.csv", "cuminc"] {
            let r = req("GET", &format!("/api/analysis/{file}?{q}"))
                .cookie(&analyst)
                .send(&t)
                .await;
            assert_eq!(r.status, 404, "{file} is not given to analysts");
        }
    }
    assert!(withheld_somewhere, "the queries exercise the rule");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_cohort_reveals_no_exact_age_or_survival() {
    // A registry of fewer patients than the server's minimum cell size.
    let t = test_app_with(Config {
        min_cell: 10,
        ..Config::default()
    })
    .await;
    add_simulated(&t, 3, 2).await;
    let analyst = login(&t, "analyst").await;
    let admin = login(&t, "admin").await;
    let q = "/api/analysis?endpoint=os&from=diagnosis&group=none";
    let full = req("GET", q).cookie(&admin).send(&t).await.json();
    let n = full["cohort"].as_f64().unwrap();
    assert!(n > 0.0 && n < 10.0, "fewer than 10 patients: {full}");
    assert!(full["groups"][0]["n"].as_u64().is_some());
    let v = req("GET", q).cookie(&analyst).send(&t).await.json();
    assert!(v["cohort"].is_null(), "{v}");
    assert!(v["analysed"].is_null());
    assert!(v["groups"].as_array().unwrap().is_empty());
    assert!(v["response"].as_array().unwrap().is_empty());
    assert!(v["analysis"].is_null());
    check_with(&v, false, 10.0);
    for file in ["km.svg", "km.png", "survival.csv", "response.csv"] {
        let r = req(
            "GET",
            &format!("/api/analysis/{file}?endpoint=os&from=diagnosis"),
        )
        .cookie(&analyst)
        .send(&t)
        .await;
        assert_eq!(r.status, 404, "{file}");
    }
    let page = req("GET", "/analysis?endpoint=os&from=diagnosis")
        .cookie(&analyst)
        .send(&t)
        .await
        .text();
    assert!(page.contains("Fewer than 10 patients"), "{page}");
    // Exact ages cannot narrow a cohort: only whole 5-year bands.
    for bad in ["age_min=61", "age_max=61", "age_min=63&age_max=63"] {
        let r = req("GET", &format!("{q}&{bad}"))
            .cookie(&analyst)
            .send(&t)
            .await;
        assert_eq!(r.status, 400, "{bad}");
    }
    let ok = req("GET", &format!("{q}&age_min=60&age_max=64"))
        .cookie(&analyst)
        .send(&t)
        .await;
    assert_eq!(ok.status, 200);
    // Administrators keep exact filters.
    let r = req("GET", &format!("{q}&age_min=61"))
        .cookie(&admin)
        .send(&t)
        .await;
    assert_eq!(r.status, 200);
}
