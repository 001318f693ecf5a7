//! Every registered analysis through `POST /api/analyses/{name}` under the
//! small-cell rule: an analyst gets nothing from a cohort below the
//! threshold, and on a small cohort every count below it — and what is
//! computed from it — is withheld, for each analysis of the layer's
//! registry (a newly registered one is checked without a change here).

mod common;

use axum::http::StatusCode;
use common::*;
use netra_analysis::analyses::registry;
use serde_json::Value;

/// Fields that are not counts (as `privacy::protect` reads them).
const NOT_COUNTS: &[&str] = &[
    "line",
    "df",
    "code",
    "cause_code",
    "iterations",
    "depth",
    "max_lines",
    "min_cell",
    "conf_level",
    "landmark_months",
    "landmarks",
    "times",
    "time",
    "tau",
    "rho",
    "version",
];

/// Every (path, count) of `v` with `0 < count < m`.
fn small_counts(v: &Value, key: &str, path: &str, m: f64, out: &mut Vec<(String, f64)>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                small_counts(x, k, &format!("{path}.{k}"), m, out);
            }
        }
        Value::Array(xs) => {
            for (i, x) in xs.iter().enumerate() {
                small_counts(x, key, &format!("{path}[{i}]"), m, out);
            }
        }
        Value::Number(n) if !NOT_COUNTS.contains(&key) => {
            let x = n.as_f64().unwrap();
            if x > 0.0 && x < m && x.fract() == 0.0 {
                out.push((path.to_string(), x));
            }
        }
        _ => {}
    }
}

/// Every value of a field named `name`, at any depth.
fn fields<'v>(v: &'v Value, name: &str, out: &mut Vec<&'v Value>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                if k == name {
                    out.push(x);
                }
                fields(x, name, out);
            }
        }
        Value::Array(xs) => xs.iter().for_each(|x| fields(x, name, out)),
        _ => {}
    }
}

/// The value at a path written by [`small_counts`].
fn at<'v>(v: &'v Value, path: &str) -> &'v Value {
    let mut cur = v;
    for part in path.split('.').skip(1) {
        let (name, rest) = part.split_once('[').unwrap_or((part, ""));
        cur = &cur[name];
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            cur = &cur[idx.trim_end_matches(']').parse::<usize>().unwrap()];
        }
    }
    cur
}

async fn run(t: &TestApp, who: &Login, name: &str, query: &str, body: &Value) -> Value {
    let r = req("POST", &format!("/api/analyses/{name}{query}"))
        .login(who)
        .json(body.clone())
        .send(t)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{name}{query}: {}", r.text());
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_gets_every_registered_analysis_under_the_small_cell_rule() {
    let t = test_app().await;
    add_simulated(&t, 60, 3).await;
    let admin = login(&t, "admin").await;
    let analyst = login(&t, "analyst").await;
    let mut withheld_somewhere = 0;
    for a in registry() {
        let name = a.name();
        let body = a.example_request();
        // Full detail for the administrator.
        let full = run(&t, &admin, name, "", &body).await;
        assert!(full.get("suppressed").is_none(), "{name}: {full}");
        assert!(full["output"].is_object(), "{name}: {full}");

        // A cohort below the threshold: nothing but that.
        let tiny = run(&t, &analyst, name, "?min_cell=1000", &body).await;
        assert_eq!(tiny["output"], Value::Null, "{name}: {tiny}");
        assert_eq!(tiny["suppressed"], serde_json::json!(["*"]), "{name}");
        assert_eq!(tiny["min_cell"], 1000);

        // A small cohort (60 patients, m = 15): every small count of the
        // full output is withheld, and nothing single-patient is shown.
        let m = 15;
        let small = run(&t, &analyst, name, &format!("?min_cell={m}"), &body).await;
        let mut counts = Vec::new();
        small_counts(&full["output"], "", "", m as f64, &mut counts);
        let mut left = Vec::new();
        small_counts(&small["output"], "", "", m as f64, &mut left);
        assert!(left.is_empty(), "{name}: small counts shown: {left:?}");
        // An analysis that applies the cohort's threshold itself (its
        // output names it: sequences) rearranges what it withholds (small
        // pathways pooled): no small count left is what counts there.
        let itself = small["output"]["min_cell"] == m;
        for (path, c) in counts.iter().filter(|_| !itself) {
            let v = at(&small["output"], path);
            assert!(v.is_null(), "{name}: {path} = {c} shown as {v}");
        }
        let text = small["output"].to_string();
        assert!(!text.contains("\"steps\":[{"), "{name}: curve steps shown");
        for key in ["min", "max", "last_time"] {
            let mut found = Vec::new();
            fields(&small["output"], key, &mut found);
            assert!(
                found.iter().all(|v| v.is_null()),
                "{name}: {key} shown: {found:?}"
            );
        }
        if !counts.is_empty() {
            withheld_somewhere += 1;
            let s = small["suppressed"].as_array().cloned().unwrap_or_default();
            assert!(!s.is_empty() || itself, "{name}: nothing named as withheld");
        }
    }
    assert!(
        withheld_somewhere >= registry().len() - 1,
        "the small cohort should have small cells in (nearly) every analysis"
    );

    // Arm labels are free text: analysts are refused a request naming it.
    let r = req("POST", "/api/analyses/survival")
        .login(&analyst)
        .json(serde_json::json!({"by": "arm"}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // Analysts filter ages by bands here too.
    let r = req("POST", "/api/analyses/survival?age_min=61")
        .login(&analyst)
        .json(serde_json::json!({}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    // Parameters that are not cohort filters or settings are refused.
    let r = req("POST", "/api/analyses/survival?group=grade")
        .login(&admin)
        .json(serde_json::json!({}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let r = req("POST", "/api/analyses/survivl")
        .login(&admin)
        .json(serde_json::json!({}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text().contains("did you mean 'survival'"), "{}", r.text());
    t.finish().await;
}

#[tokio::test]
async fn the_list_names_every_registered_analysis_with_its_default_request() {
    let t = test_app().await;
    let admin = login(&t, "admin").await;
    let r = req("GET", "/api/analyses").cookie(&admin).send(&t).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let listed: Vec<&str> = v["analyses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    let names: Vec<&str> = registry().iter().map(|a| a.name()).collect();
    assert_eq!(listed, names);
    for (a, r) in v["analyses"].as_array().unwrap().iter().zip(registry()) {
        assert_eq!(a["default_request"], r.default_request());
        assert!(!a["description"].as_str().unwrap().is_empty());
    }
    // Without a session: 401, as every API route.
    let r = req("GET", "/api/analyses").send(&t).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    t.finish().await;
}
