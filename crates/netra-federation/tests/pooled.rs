//! A simulated registry split across three nodes: every federated analysis
//! equals the pooled analysis (`netra_analysis::analyses::run_json` on all
//! patients) on every field — counts exactly, Kaplan–Meier and log-rank to
//! 1e-9, Cox to 1e-7 — and the hub's messages carry no clear aggregate.
//! Refusals: policy, small cells, a differencing attack, drop-outs.

use std::collections::BTreeMap;

use netra_analysis::analyses::run_json;
use netra_analysis::{Cohort, CohortSpec, Settings};
use netra_clinical::registry::model::PatientCourse;
use netra_federation::protocol::{
    Coordinator, FederationError, Job, Next, NodeId, Responder, run_in_process,
};
use netra_federation::{NodeResponder, NodeSecret, Policy, RunOptions, coordinator};
use netra_sim::{Model, SimConfig};
use serde_json::{Value, json};

fn courses(n: u64, seed: u64) -> Vec<PatientCourse> {
    let model = Model::published();
    let cfg = SimConfig {
        patients: n,
        seed,
        ..SimConfig::default()
    };
    (0..n)
        .map(|i| netra_sim::generate(model, &cfg, i))
        .collect()
}

fn open_policy() -> Policy {
    Policy {
        analyses: vec!["*".into()],
        variables: vec!["*".into()],
        min_cell: 3,
        studies: vec!["s".into()],
        ..Policy::default()
    }
}

/// Three nodes over consecutive thirds of `all`.
fn nodes(all: &[PatientCourse], policy: &Policy) -> Vec<(String, NodeResponder)> {
    let n = all.len();
    (0..3)
        .map(|k| {
            let name = format!("centre-{}", ["a", "b", "c"][k]);
            let part = all[k * n / 3..(k + 1) * n / 3].to_vec();
            let node = NodeResponder::new(
                &name,
                part,
                Settings::default(),
                policy.clone(),
                NodeSecret::from_bytes([k as u8 + 7; 32]),
            );
            (name, node)
        })
        .collect()
}

fn map(nodes: &[(String, NodeResponder)]) -> BTreeMap<NodeId, &dyn Responder> {
    nodes
        .iter()
        .map(|(n, r)| (n.clone(), r as &dyn Responder))
        .collect()
}

fn pooled(all: &[PatientCourse], analysis: &str, request: &Value) -> Value {
    let cohort = Cohort::new(all.to_vec(), &CohortSpec::default(), Settings::default()).unwrap();
    run_json(&cohort, analysis, request.clone()).unwrap()
}

fn federated(
    nodes: &[(String, NodeResponder)],
    analysis: &str,
    request: &Value,
    run: &str,
) -> Result<Value, FederationError> {
    let mut c = coordinator(analysis, request.clone(), &RunOptions::default())?;
    run_in_process(c.as_mut(), run, "s", analysis, &map(nodes))
}

/// Every field of `want` in `got`: numbers to `tol` relative (absolute
/// below 1), everything else equal.
fn same(path: &str, got: &Value, want: &Value, tol: f64) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                let gv = g.get(k).unwrap_or_else(|| panic!("{path}.{k} missing"));
                same(&format!("{path}.{k}"), gv, wv, tol);
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{path}: lengths");
            for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                same(&format!("{path}[{i}]"), gv, wv, tol);
            }
        }
        (Value::Number(g), Value::Number(w)) => {
            if w.is_u64() || w.is_i64() {
                assert_eq!(g, w, "{path}: counts are exact");
            } else {
                let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
                let scale = w.abs().max(1.0);
                assert!((g - w).abs() <= tol * scale, "{path}: {g} vs {w}");
            }
        }
        _ => assert_eq!(got, want, "{path}"),
    }
}

#[test]
fn survival_by_group_equals_the_pooled_run() {
    let all = courses(900, 11);
    let nodes = nodes(&all, &open_policy());
    for (k, request) in [
        json!({"by": "sex", "landmarks": [12.0, 36.0, 60.0], "rmst_tau": 60.0, "steps": true}),
        json!({"landmarks": [24.0], "conf_type": "log-log"}),
    ]
    .iter()
    .enumerate()
    {
        let want = pooled(&all, "survival", request);
        let got = federated(&nodes, "survival", request, &format!("km-{k}")).unwrap();
        same("survival", &got, &want, 1e-9);
        assert_eq!(got["federation"]["nodes"].as_array().unwrap().len(), 3);
        assert!(want["analysed"].as_u64().unwrap() > 500);
    }
}

#[test]
fn cox_with_numbers_and_factors_equals_the_pooled_run() {
    let all = courses(900, 12);
    let nodes = nodes(&all, &open_policy());
    for (k, request) in [
        json!({"terms": ["age_at_diagnosis", "sex"]}),
        json!({"terms": ["sex", "age_at_diagnosis"], "ties": "breslow", "reference": {"sex": "male"}}),
    ]
    .iter()
    .enumerate()
    {
        let want = pooled(&all, "cox", request);
        let got = federated(&nodes, "cox", request, &format!("cox-{k}")).unwrap();
        same("cox", &got, &want, 1e-7);
        assert!(!want["coefficients"].as_array().unwrap().is_empty());
    }
}

#[test]
fn cox_term_tests_refit_the_reduced_models_and_equal_drop1_of_the_pooled_run() {
    let all = courses(900, 13);
    let nodes = nodes(&all, &open_policy());
    // Three terms (a factor of several levels among them): each LR test
    // needs a reduced model fitted by its own federated rounds.
    let request = json!({"terms": ["age_at_diagnosis", "sex", "who_grade"], "term_tests": true});
    let want = pooled(&all, "cox", &request);
    let got = federated(&nodes, "cox", &request, "cox-terms").unwrap();
    same("cox", &got, &want, 1e-7);
    let tests = want["term_tests"].as_array().unwrap();
    assert_eq!(tests.len(), 3);
    assert!(tests.iter().any(|t| t["df"].as_u64().unwrap() > 1));
    assert!(tests.iter().all(|t| t["lr"]["chisq"].as_f64().is_some()));
    // One term: the reduced model is beta = 0 (no refit round).
    let one = json!({"terms": ["who_grade"], "term_tests": true});
    let want = pooled(&all, "cox", &one);
    let got = federated(&nodes, "cox", &one, "cox-term-1").unwrap();
    same("cox", &got, &want, 1e-7);
    assert_eq!(got["term_tests"].as_array().unwrap().len(), 1);
}

#[test]
fn cumulative_incidence_with_grays_test_equals_the_pooled_run() {
    let all = courses(900, 16);
    let nodes = nodes(&all, &open_policy());
    for (k, request) in [
        json!({"by": "sex", "times": [6.0, 12.0, 24.0]}),
        json!({"times": [12.0], "steps": false, "rho": 1.0}),
    ]
    .iter()
    .enumerate()
    {
        let want = pooled(&all, "cuminc", request);
        let got = federated(&nodes, "cuminc", request, &format!("ci-{k}")).unwrap();
        same("cuminc", &got, &want, 1e-9);
        assert!(want["analysed"].as_u64().unwrap() > 100);
    }
    let want = pooled(&all, "cuminc", &json!({"by": "sex"}));
    assert!(!want["gray"].as_array().unwrap().is_empty());
}

#[test]
fn response_rates_with_exact_intervals_equal_the_pooled_run() {
    let all = courses(900, 17);
    let nodes = nodes(&all, &open_policy());
    for (k, (analysis, request)) in [
        ("response", json!({"by": "sex"})),
        (
            "response",
            json!({"ci_method": "wilson", "conf_level": 0.9}),
        ),
        ("rates", json!({"by": "sex"})),
        ("rates", json!({})),
    ]
    .iter()
    .enumerate()
    {
        let want = pooled(&all, analysis, request);
        let got = federated(&nodes, analysis, request, &format!("rr-{k}")).unwrap();
        same(analysis, &got, &want, 1e-12);
    }
    let want = pooled(&all, "response", &json!({}));
    assert!(want["overall"]["evaluable"].as_u64().unwrap() > 50);
}

#[test]
fn baseline_counts_means_and_sds_equal_the_pooled_run() {
    let all = courses(900, 18);
    let nodes = nodes(&all, &open_policy());
    let request = json!({"by": "sex", "variables": ["age_at_diagnosis", "who_grade", "ki67"]});
    let mut want = pooled(&all, "baseline", &request);
    let got = federated(&nodes, "baseline", &request, "t1").unwrap();
    // Medians are exact, to the bit (the middle pooled values themselves).
    let mut medians = 0;
    for (gv, wv) in got["variables"]
        .as_array()
        .unwrap()
        .iter()
        .zip(want["variables"].as_array().unwrap())
    {
        let cells = gv["groups"]
            .as_array()
            .unwrap()
            .iter()
            .chain([&gv["overall"]])
            .zip(
                wv["groups"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .chain([&wv["overall"]]),
            );
        for (g, w) in cells {
            if let Some(m) = w["summary"]["median"].as_f64() {
                assert_eq!(g["summary"]["median"].as_f64(), Some(m), "{}", wv["name"]);
                medians += 1;
            }
        }
    }
    assert!(medians >= 6, "{medians} medians compared");
    // Ranges are not federated: null, and said so.
    fn unset(g: &mut Value) {
        if let Some(s) = g.get_mut("summary") {
            for f in ["min", "max"] {
                assert!(s[f].is_number());
                s[f] = Value::Null;
            }
        }
    }
    for v in want["variables"].as_array_mut().unwrap() {
        for g in v["groups"].as_array_mut().unwrap() {
            unset(g);
        }
        unset(&mut v["overall"]);
    }
    same("baseline", &got, &want, 1e-9);
    assert!(
        got["federation"]["coarsened"][0]
            .as_str()
            .unwrap()
            .contains("medians are exact")
    );
    assert!(want["variables"][0]["p"].is_number());
}

#[test]
fn malformed_rounds_are_refused_not_panicked_on() {
    let all = courses(60, 19);
    let nodes = nodes(&all, &open_policy());
    let job = |analysis: &str, body: Value| Job {
        id: "m".into(),
        study: "s".into(),
        analysis: analysis.into(),
        round: 0,
        body,
    };
    for (analysis, body) in [
        ("survival", json!({})),
        ("survival", json!({"phase": "sum"})),
        (
            "survival",
            json!({"phase": "sum", "keys": {"centre-a": "zz", "centre-b": "00", "centre-c": "11"}, "sum": 1, "step": "grid"}),
        ),
        ("cox", json!({"phase": "keys", "request": {"terms": 3}})),
        (
            "cox",
            json!({"phase": "sum", "sum": 0, "step": "newton", "params": {"codes": []},
                       "request": {"terms": ["sex"]},
                       "keys": {"centre-a": "00", "centre-b": "00", "centre-c": "00"}}),
        ),
        (
            "survival",
            json!({"phase": "recover", "dropped": ["centre-a"], "keys": {}}),
        ),
        (
            "survival",
            json!({"phase": "keys", "request": {"by": "no_such_variable"}}),
        ),
        (
            "baseline",
            json!({"phase": "keys", "request": {"variables": ["nope"]}}),
        ),
        ("sequences", json!({"phase": "keys", "request": {}})),
    ] {
        assert!(
            nodes[0].1.answer(&job(analysis, body.clone())).is_err(),
            "{body}"
        );
    }
    // The hub refuses answers of the wrong shape.
    let mut c = coordinator("survival", json!({}), &RunOptions::default()).unwrap();
    let names: Vec<NodeId> = nodes.iter().map(|(n, _)| n.clone()).collect();
    c.start(&names).unwrap();
    let bad: BTreeMap<NodeId, Value> = names
        .iter()
        .map(|n| (n.clone(), json!({"public_key": 1})))
        .collect();
    assert!(matches!(
        c.step(&bad, &[]),
        Err(FederationError::Malformed(_))
    ));
    assert!(coordinator("sequences", json!({}), &RunOptions::default()).is_err());
    assert!(coordinator("cox", json!({"terms": []}), &RunOptions::default()).is_err());
}

/// A transport loop that records every message the hub receives and lets
/// one node drop out after the key round.
fn run_recording(
    c: &mut dyn Coordinator,
    nodes: &BTreeMap<NodeId, &dyn Responder>,
    run: &str,
    analysis: &str,
    drop: Option<(&str, u32)>,
    seen: &mut Vec<Value>,
) -> Result<Value, FederationError> {
    let names: Vec<NodeId> = nodes.keys().cloned().collect();
    let mut next = c.start(&names)?;
    let mut round = 0;
    loop {
        let (body, to) = match next {
            Next::Done { output } => return Ok(output),
            Next::Ask { body, to } => (body, to.unwrap_or_else(|| names.clone())),
        };
        let job = Job {
            id: run.into(),
            study: "s".into(),
            analysis: analysis.into(),
            round,
            body,
        };
        let mut answers = BTreeMap::new();
        let mut missing = Vec::new();
        for n in to {
            if drop.is_some_and(|(d, from)| d == n && round >= from) {
                missing.push(n);
                continue;
            }
            let a = nodes[&n]
                .answer(&job)
                .map_err(|r| FederationError::Refused {
                    node: n.clone(),
                    reason: r.reason,
                })?;
            seen.push(a.clone());
            answers.insert(n, a);
        }
        next = c.step(&answers, &missing)?;
        round += 1;
    }
}

#[test]
fn the_hub_sees_only_masked_vectors_and_survives_a_drop_out() {
    let all = courses(600, 13);
    let nodes = nodes(&all, &open_policy());
    let request = json!({"by": "sex", "landmarks": [12.0]});
    let mut seen = Vec::new();
    let mut c = coordinator("survival", request.clone(), &RunOptions::default()).unwrap();
    let out = run_recording(c.as_mut(), &map(&nodes), "r1", "survival", None, &mut seen).unwrap();
    // Every masked value is a full-width ring element: no small count
    // (a clear per-site total would have its top 32 bits zero).
    let masked: Vec<netra_federation::ring::R256> = seen
        .iter()
        .filter_map(|a| a["masked"].as_str())
        .flat_map(|p| netra_federation::ring::unpack(p).unwrap())
        .collect();
    assert!(masked.len() > 100);
    let small = masked.iter().filter(|x| x.0[3] >> 32 == 0).count();
    assert!(
        small < 3,
        "{small} of {} values look unmasked",
        masked.len()
    );
    assert!(
        seen.iter()
            .all(|a| a.get("meta").is_none_or(|m| m.get("n").is_none()))
    );
    assert!(out["analysed"].as_u64().unwrap() > 300);

    // Without permission, a node that does not answer stops the run.
    let mut c = coordinator("survival", request.clone(), &RunOptions::default()).unwrap();
    let e = run_recording(
        c.as_mut(),
        &map(&nodes),
        "r2",
        "survival",
        Some(("centre-b", 1)),
        &mut seen,
    )
    .unwrap_err();
    assert_eq!(e, FederationError::Missing(vec!["centre-b".into()]));

    // With permission (and two nodes allowed), the survivors reveal their
    // seeds with centre-b and the result is the two survivors' pooled run.
    let policy = Policy {
        min_nodes: 2,
        ..open_policy()
    };
    let nodes2 = self::nodes(&all, &policy);
    let options = RunOptions {
        allow_dropout: true,
        min_nodes: 2,
        ..RunOptions::default()
    };
    let mut c = coordinator("survival", request.clone(), &options).unwrap();
    let out = run_recording(
        c.as_mut(),
        &map(&nodes2),
        "r3",
        "survival",
        Some(("centre-b", 1)),
        &mut seen,
    )
    .unwrap();
    let survivors: Vec<PatientCourse> = all[..200].iter().chain(&all[400..]).cloned().collect();
    let want = pooled(&survivors, "survival", &request);
    same("survival without b", &out, &want, 1e-9);
    assert_eq!(out["federation"]["dropped"], json!(["centre-b"]));
    // The dropped node is refused if it answers a later round.
    let late = Job {
        id: "r3".into(),
        study: "s".into(),
        analysis: "survival".into(),
        round: 3,
        body: json!({"phase": "sum", "sum": 5, "step": "grid", "params": {},
                     "request": request, "cohort": {},
                     "keys": {"centre-a": "00", "centre-c": "00"}}),
    };
    let r = nodes2[1].1.answer(&late).unwrap_err();
    assert!(r.reason.contains("not a participant"), "{}", r.reason);

    // A drop-out in a Newton round of Cox: the survivors' seeds remove
    // its masks, the model restarts on the survivors with fresh masks, and
    // the fit is theirs.
    let nodes3 = self::nodes(&all, &policy);
    let cox = json!({"terms": ["age_at_diagnosis", "sex"]});
    let mut c = coordinator("cox", cox.clone(), &options).unwrap();
    let out = run_recording(
        c.as_mut(),
        &map(&nodes3),
        "r4",
        "cox",
        Some(("centre-c", 5)),
        &mut seen,
    )
    .unwrap();
    let want = pooled(&all[..400], "cox", &cox);
    same("cox without c", &out, &want, 1e-7);
    assert_eq!(out["federation"]["dropped"], json!(["centre-c"]));
}

#[test]
fn policies_small_cells_and_differencing_are_refused() {
    let all = courses(300, 14);
    // Analysis not allowed.
    let strict = Policy {
        analyses: vec!["survival".into()],
        ..open_policy()
    };
    let n = nodes(&all, &strict);
    let e = federated(&n, "cox", &json!({"terms": ["sex"]}), "p1").unwrap_err();
    assert!(e.to_string().contains("'cox' is not allowed"), "{e}");
    // Variable not allowed.
    let vars = Policy {
        variables: vec!["sex".into()],
        ..open_policy()
    };
    let n = nodes(&all, &vars);
    let e = federated(&n, "survival", &json!({"by": "who_grade"}), "p2").unwrap_err();
    assert!(e.to_string().contains("'who_grade' is not allowed"), "{e}");
    // Small cells: a minimum of 60 refuses some group at some node.
    let big = Policy {
        min_cell: 60,
        ..open_policy()
    };
    let n = nodes(&all, &big);
    let e = federated(&n, "survival", &json!({"by": "who_grade"}), "p3").unwrap_err();
    assert!(e.to_string().contains("minimum cell size"), "{e}");
    // Differencing: all patients, then all but those aged over 85 at
    // one node's few, is refused by the node whose cohort moved by less
    // than the minimum cell size.
    let n = nodes(&all, &open_policy());
    federated(&n, "survival", &json!({}), "d1").unwrap();
    // Find a condition that removes 1 or 2 patients at some node.
    let ages: Vec<f64> = {
        let c = Cohort::new(all.clone(), &CohortSpec::default(), Settings::default()).unwrap();
        match &c.variable("age_at_diagnosis").unwrap().column {
            netra_analysis::variables::Column::Num(v) => v.iter().flatten().copied().collect(),
            _ => unreachable!(),
        }
    };
    let oldest = ages.iter().copied().fold(f64::MIN, f64::max);
    let options = RunOptions {
        conditions: vec![format!("age_at_diagnosis < {oldest}")],
        ..RunOptions::default()
    };
    let mut c = coordinator("survival", json!({}), &options).unwrap();
    let e = run_in_process(c.as_mut(), "d2", "s", "survival", &map(&n)).unwrap_err();
    assert!(e.to_string().contains("could be subtracted"), "{e}");
}

#[test]
fn coarsened_times_are_reported() {
    let all = courses(300, 15);
    let binned = Policy {
        time_bin_days: 30,
        ..open_policy()
    };
    let n = nodes(&all, &binned);
    let got = federated(&n, "survival", &json!({}), "b1").unwrap();
    let note = got["federation"]["coarsened"][0].as_str().unwrap();
    assert!(note.contains("30-day"), "{note}");
    // The counts are unchanged; the median moves by less than a bin.
    let want = pooled(&all, "survival", &json!({}));
    assert_eq!(got["analysed"], want["analysed"]);
    if let (Some(a), Some(b)) = (
        got["overall"]["median"].as_f64(),
        want["overall"]["median"].as_f64(),
    ) {
        assert!(
            (a - b).abs() < 30.0 / 30.4375 + 1e-9 && a >= b,
            "{a} vs {b}"
        );
    }
}
