//! The analysis page connected to a federation hub (issue 17): a hub and
//! four nodes on loopback over TLS (each node a simulated centre with its
//! own SQLite registry for its audit trail), and the web application
//! configured with the hub. Runs Kaplan–Meier / log-rank, Cox and
//! cumulative incidence through the page's API and pages, compares each
//! output with the analysis layer on the pooled courses, and checks that a
//! node that is down is named and left out only when the user asks.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::{login, req, test_app_with};
use netra_analysis::analyses::run_json;
use netra_analysis::{Cohort, CohortSpec, Settings};
use netra_clinical::registry::model::PatientCourse;
use netra_federation::protocol::FederationError;
use netra_federation::{NodeResponder, NodeSecret, Policy, RunOptions};
use netra_hub::{
    CoordinatorFactory, HubConfig, HubError, HubHandle, Node, NodePolicy, Principal, StudyConfig,
    auth, start_hub,
};
use netra_server::Config;
use netra_server::federated::{FederatedQuery, HubLink};
use netra_store::{Actor, Bundle, CourseFilter, ImportOptions, Location, Registry};
use serde_json::{Value, json};

const STUDY: &str = "nets";
const NODES: [&str; 4] = ["centre-a", "centre-b", "centre-c", "centre-d"];

/// The hub's coordinators, as `netra hub` makes them (the request's
/// `federation` member holds the run's options).
fn factory() -> CoordinatorFactory {
    Arc::new(|spec| {
        let mut request = spec.request.clone();
        let options = match request.as_object_mut().and_then(|o| o.remove("federation")) {
            Some(v) => serde_json::from_value::<RunOptions>(v)
                .map_err(|e| FederationError::Malformed(e.to_string()))?,
            None => RunOptions::default(),
        };
        let options = RunOptions {
            allow_dropout: options.allow_dropout || spec.allow_missing,
            ..options
        };
        netra_federation::coordinator(&spec.analysis, request, &options)
    })
}

struct Cluster {
    _dir: tempfile::TempDir,
    _hub: HubHandle,
    link: HubLink,
    courses: Vec<Vec<PatientCourse>>,
    nodes: Vec<tokio::task::JoinHandle<Result<(), HubError>>>,
}

async fn simulated_courses(dir: &std::path::Path, i: usize) -> (Registry, Vec<PatientCourse>) {
    let bundle_dir = dir.join("bundle");
    let cfg = netra_sim::SimConfig {
        patients: 90,
        seed: 31 + i as u64,
        study: format!("c{i}"),
        sites: 1,
        threads: 1,
    };
    netra_sim::write_bundle(
        netra_sim::Model::published(),
        &cfg,
        &bundle_dir,
        &mut |_| {},
    )
    .expect("simulate");
    let db = dir.join("registry.db");
    let (registry, _) = Registry::init(&Location::Sqlite(db)).await.unwrap();
    let bundle = Bundle::read_dir(&bundle_dir).unwrap();
    registry
        .import_bundle(
            &bundle,
            &ImportOptions {
                actor: Actor {
                    user: "loader".into(),
                    reason: Some("simulated centre".into()),
                },
                dry_run: false,
            },
        )
        .await
        .unwrap();
    let courses = registry.courses(&CourseFilter::default()).await.unwrap();
    (registry, courses)
}

impl Cluster {
    async fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let pki = netra_hub::testing::certificates(dir.path(), "web");
        let tokens: Vec<String> = NODES.iter().map(|_| auth::new_token()).collect();
        let analyst = auth::new_token();
        let config = HubConfig {
            listen: "127.0.0.1:0".into(),
            cert: pki.cert.clone(),
            key: pki.key.clone(),
            round_timeout_secs: 60,
            approval_timeout_secs: 60,
            down_after_secs: 1,
            poll_wait_secs: 1,
            nodes: NODES
                .iter()
                .zip(&tokens)
                .map(|(n, t)| Principal {
                    name: (*n).into(),
                    token_hash: auth::hash_token(t).unwrap(),
                })
                .collect(),
            analysts: vec![Principal {
                name: "web".into(),
                token_hash: auth::hash_token(&analyst).unwrap(),
            }],
            studies: vec![StudyConfig {
                name: STUDY.into(),
                nodes: NODES.iter().map(|n| (*n).into()).collect(),
                analysts: vec!["web".into()],
            }],
            state_dir: None,
        };
        let hub = start_hub(config, factory()).await.unwrap();
        let url = format!("https://127.0.0.1:{}", hub.addr().port());
        let mut courses = Vec::new();
        let mut nodes = Vec::new();
        for (i, name) in NODES.iter().enumerate() {
            let base = dir.path().join(name);
            std::fs::create_dir_all(&base).unwrap();
            let (registry, mine) = simulated_courses(&base, i).await;
            // No small-cell or differencing refusals: the page's several
            // cohorts are not what this test is about (tests/pooled.rs in
            // netra-federation is).
            let policy = Policy::from_toml(&format!(
                "analyses = [\"*\"]\nvariables = [\"*\"]\nmin_cell = 1\nstudies = [\"{STUDY}\"]\n"
            ))
            .unwrap();
            let responder = NodeResponder::new(
                name,
                mine.clone(),
                Settings::default(),
                policy,
                NodeSecret::random(),
            );
            let transport = NodePolicy {
                name: (*name).into(),
                hub: url.clone(),
                trusted_hubs: vec![url.clone()],
                token_file: None,
                ca_file: Some(pki.ca.clone()),
                registry: base.join("registry.db").display().to_string(),
                queue_dir: base.join("queue"),
                studies: vec![STUDY.into()],
                analyses: vec!["survival".into(), "cox".into(), "cuminc".into()],
                manual_approval: false,
                poll_wait_secs: 1,
                analysis: Value::Null,
            };
            let node =
                Node::new(transport, tokens[i].clone(), registry, Arc::new(responder)).unwrap();
            nodes.push(tokio::spawn(async move {
                node.run_until(std::future::pending()).await
            }));
            courses.push(mine);
        }
        let link = HubLink::new(&url, STUDY, analyst, Some(&pki.ca), false).unwrap();
        Cluster {
            _dir: dir,
            _hub: hub,
            link,
            courses,
            nodes,
        }
    }

    /// The analysis layer on the pooled courses of the first `n` centres,
    /// with the run's cohort.
    fn pooled(&self, n: usize, analysis: &str, request: &Value) -> Value {
        let mut request = request.clone();
        let fed = request
            .as_object_mut()
            .and_then(|o| o.remove("federation"))
            .unwrap_or(Value::Null);
        let mut spec = CohortSpec {
            include_excluded: fed["include_excluded"].as_bool().unwrap_or(false),
            ..CohortSpec::default()
        };
        for c in fed["conditions"].as_array().into_iter().flatten() {
            spec.conditions
                .push(netra_analysis::condition::parse_expr(c.as_str().unwrap()).unwrap());
        }
        let all: Vec<PatientCourse> = self.courses[..n].iter().flatten().cloned().collect();
        let cohort = Cohort::new(all, &spec, Settings::default()).unwrap();
        run_json(&cohort, analysis, request).unwrap()
    }
}

/// `got` equals the pooled answer within `tol` (relative above 1) on
/// every field the pooled answer has.
fn assert_close(got: &Value, expected: &Value, tol: f64, path: &str) {
    match (got, expected) {
        (Value::Number(g), Value::Number(e)) => {
            let (g, e) = (g.as_f64().unwrap(), e.as_f64().unwrap());
            assert!(
                (g - e).abs() <= tol * e.abs().max(1.0),
                "{path}: {g} vs pooled {e}"
            );
        }
        (Value::Object(g), Value::Object(e)) => {
            for (k, ev) in e {
                let gv = g.get(k).unwrap_or_else(|| panic!("{path}.{k} missing"));
                assert_close(gv, ev, tol, &format!("{path}.{k}"));
            }
        }
        (Value::Array(g), Value::Array(e)) => {
            assert_eq!(g.len(), e.len(), "{path}: lengths");
            for (i, (gv, ev)) in g.iter().zip(e).enumerate() {
                assert_close(gv, ev, tol, &format!("{path}[{i}]"));
            }
        }
        (g, e) => assert_eq!(g, e, "{path}"),
    }
}

fn params(p: &Value) -> HashMap<String, String> {
    p.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// Polls the run through the web API until `pred` holds (at most 90 s).
async fn until(
    t: &common::TestApp,
    l: &common::Login,
    id: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let r = req("GET", &format!("/api/federated/runs/{id}"))
            .cookie(l)
            .send(t)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let s = r.json();
        if pred(&s) {
            return s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "never happened: {s}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn finished(s: &Value) -> bool {
    s["state"] != "running"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_analysis_page_runs_at_the_hub_and_shows_the_pooled_result() {
    let cluster = Cluster::start().await;
    let t = test_app_with(Config {
        federation: Some(Arc::new(cluster.link.clone())),
        ..Config::default()
    })
    .await;
    let analyst = login(&t, "analyst").await;

    // The form is there for users who see every site, not for site-bound ones.
    let form = req("GET", "/analysis/federated")
        .cookie(&analyst)
        .send(&t)
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("Run at the hub"), "{}", form.text());
    let inv = login(&t, "inv_a").await;
    let r = req("GET", "/analysis/federated")
        .cookie(&inv)
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = req("POST", "/api/federated")
        .login(&inv)
        .json(json!({"analysis": "km"}))
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let cases = [
        (
            json!({"analysis": "km", "endpoint": "os", "from": "diagnosis", "group": "sex", "age_min": "30"}),
            "survival",
            1e-9,
        ),
        (
            json!({"analysis": "cox", "endpoint": "os", "from": "diagnosis", "group": "sex"}),
            "cox",
            1e-7,
        ),
        (
            json!({"analysis": "cuminc", "endpoint": "pfs", "from": "metastatic", "group": "sex"}),
            "cuminc",
            1e-9,
        ),
    ];
    for (p, analysis, tol) in cases {
        let r = req("POST", "/api/federated")
            .login(&analyst)
            .json(p.clone())
            .send(&t)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{p}: {}", r.text());
        let id = r.json()["id"].as_str().unwrap().to_owned();
        let s = until(&t, &analyst, &id, finished).await;
        assert_eq!(s["state"], "done", "{p}: {s}");
        assert!(
            s["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["rounds_answered"].as_u64() > Some(0)),
            "{s}"
        );
        let spec = FederatedQuery::from_params(&params(&p))
            .unwrap()
            .run_spec(STUDY)
            .unwrap();
        assert_eq!(spec.analysis, analysis);
        let pooled = cluster.pooled(4, analysis, &spec.request);
        assert_close(&s["output"], &pooled, tol, analysis);
        assert_eq!(
            s["output"]["federation"]["nodes"].as_array().map(Vec::len),
            Some(4)
        );

        // The run's page shows the nodes and the pooled result.
        let qs = serde_urlencoded::to_string(params(&p)).unwrap();
        let page = req("GET", &format!("/analysis/federated/runs/{id}?{qs}"))
            .cookie(&analyst)
            .send(&t)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        for n in NODES {
            assert!(html.contains(n), "{n} not on the page");
        }
        assert!(html.contains("Pooled over 4 node(s)"), "{html}");
        assert!(
            !html.contains("http-equiv=\"refresh\""),
            "a finished run reloads"
        );
        match analysis {
            "survival" => {
                assert!(html.contains("<svg") && html.contains("Log-rank test"));
                let l = &pooled["logrank"];
                let shown = format!("χ² = {:.2} on {} df", l["chisq"].as_f64().unwrap(), l["df"]);
                assert!(html.contains(&shown), "{shown} not on the page");
            }
            "cox" => assert!(html.contains("hazard-ratios") && html.contains("(reference)")),
            _ => assert!(html.contains("Gray's test") && html.contains("<svg")),
        }
    }

    // centre-d goes down: a run that waits for it names it and offers to go
    // on without it; it does not do so by itself.
    cluster.nodes[3].abort();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let p = json!({"analysis": "km", "endpoint": "os", "from": "diagnosis", "group": "sex"});
    let r = req("POST", "/analysis/federated")
        .login(&analyst)
        .form(&[
            ("analysis", "km"),
            ("endpoint_from", "os|diagnosis"),
            ("group", "sex"),
        ])
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let location = r.header("location").unwrap();
    let id = location
        .strip_prefix("/analysis/federated/runs/")
        .and_then(|s| s.split('?').next())
        .unwrap()
        .to_owned();
    let s = until(&t, &analyst, &id, |s| {
        s["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["node"] == "centre-d" && n["state"] == "down")
    })
    .await;
    assert_eq!(s["state"], "running", "the run waits: {s}");
    let page = req("GET", &location).cookie(&analyst).send(&t).await;
    let html = page.text();
    assert!(
        html.contains("centre-d") && html.contains("is down"),
        "{html}"
    );
    assert!(html.contains("Run again without the nodes that are down"));
    assert!(
        html.contains("http-equiv=\"refresh\""),
        "a running run reloads"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let s = until(&t, &analyst, &id, |_| true).await;
    assert_eq!(s["state"], "running", "still waiting for centre-d: {s}");

    // Told to, the run goes on without centre-d: the pooled answer of the
    // three others.
    let r = req("POST", "/analysis/federated")
        .login(&analyst)
        .form(&[
            ("analysis", "km"),
            ("endpoint_from", "os|diagnosis"),
            ("group", "sex"),
            ("allow_missing", "1"),
        ])
        .send(&t)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let location = r.header("location").unwrap();
    assert!(location.contains("allow_missing=1"), "{location}");
    let id = location
        .strip_prefix("/analysis/federated/runs/")
        .and_then(|s| s.split('?').next())
        .unwrap()
        .to_owned();
    let s = until(&t, &analyst, &id, finished).await;
    assert_eq!(s["state"], "done", "{s}");
    assert_eq!(s["missing"], json!(["centre-d"]));
    let spec = FederatedQuery::from_params(&params(&p))
        .unwrap()
        .run_spec(STUDY)
        .unwrap();
    let pooled = cluster.pooled(3, "survival", &spec.request);
    assert_close(&s["output"], &pooled, 1e-9, "without centre-d");
    let html = req("GET", &location).cookie(&analyst).send(&t).await.text();
    assert!(html.contains("went on without: centre-d"), "{html}");

    // The submissions are in the server's log of security events.
    let events = netra_server::accounts::recent_events(&t.state.registry, 50)
        .await
        .unwrap();
    assert!(
        events.iter().filter(|e| e.event == "federated_run").count() >= 5,
        "{events:?}"
    );
    t.finish().await;
}
