//! R's `lung` (validation/fixtures/cox/lung_efron.json, lung_breslow.json:
//! `coxph(Surv(time, status) ~ age + factor(sex) + ph.ecog)`) split across
//! three nodes as patient facts: the federated Cox model equals R to 1e-7
//! (coefficients, standard errors, hazard ratios and intervals, p-values,
//! log-likelihoods, the three tests, iterations), and the federated
//! Kaplan–Meier by sex equals the pooled analysis to 1e-9.

use std::collections::BTreeMap;
use std::sync::Arc;

use netra_analysis::analyses::run_json;
use netra_analysis::facts::{PatientFacts, Raw, Time};
use netra_analysis::variables::fixed_levels;
use netra_analysis::{Cohort, CohortSpec, FactsLayout, Settings};
use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero, Units};
use netra_federation::protocol::{NodeId, Responder, run_in_process};
use netra_federation::{NodeResponder, NodeSecret, Policy, RunOptions, coordinator};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../validation/fixtures/cox/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn layout() -> FactsLayout {
    let mut os = EndpointSpec::new(Endpoint::Os, TimeZero::Diagnosis);
    os.units = Units::Days;
    FactsLayout {
        variables: vec!["age_at_diagnosis".into(), "sex".into(), "ecog".into()],
        menu: vec![os],
        lines_kept: 0,
        settings: Settings::default(),
    }
}

/// One fact per `lung` row: age, sex (1 male, 2 female), ECOG, OS in days.
fn facts(input: &Value) -> Vec<Arc<PatientFacts>> {
    let c = &input["columns"];
    let sex = fixed_levels("sex").unwrap();
    let pos = |code: &str| sex.iter().position(|l| l.code == code).unwrap() as u16;
    (0..c["time"].as_array().unwrap().len())
        .map(|i| {
            let s = match c["sex"][i].as_u64() {
                Some(1) => Some(Raw::Level(pos("male"))),
                Some(2) => Some(Raw::Level(pos("female"))),
                _ => None,
            };
            Arc::new(PatientFacts {
                code: format!("lung-{i}"),
                excluded: false,
                values: vec![
                    c["age"][i].as_f64().map(Raw::Num),
                    s,
                    c["ph.ecog"][i].as_f64().map(Raw::Num),
                ],
                endpoints: vec![Some(Time {
                    time: c["time"][i].as_f64().unwrap(),
                    event: c["dead"][i].as_f64() == Some(1.0),
                    imputed: 0,
                })],
                line_best: Vec::new(),
            })
        })
        .collect()
}

fn nodes(all: &[Arc<PatientFacts>]) -> Vec<(String, NodeResponder)> {
    let policy = Policy {
        analyses: vec!["*".into()],
        variables: vec!["*".into()],
        min_cell: 3,
        studies: vec!["lung".into()],
        ..Policy::default()
    };
    let n = all.len();
    (0..3)
        .map(|k| {
            let name = format!("node-{k}");
            let part = all[k * n / 3..(k + 1) * n / 3].to_vec();
            let node = NodeResponder::from_facts(
                &name,
                part,
                layout(),
                policy.clone(),
                NodeSecret::from_bytes([k as u8 + 40; 32]),
            );
            (name, node)
        })
        .collect()
}

fn run(nodes: &[(String, NodeResponder)], analysis: &str, request: &Value, id: &str) -> Value {
    let map: BTreeMap<NodeId, &dyn Responder> = nodes
        .iter()
        .map(|(n, r)| (n.clone(), r as &dyn Responder))
        .collect();
    let mut c = coordinator(analysis, request.clone(), &RunOptions::default()).unwrap();
    run_in_process(c.as_mut(), id, "lung", analysis, &map).unwrap()
}

fn close(what: &str, got: &Value, want: &Value, tol: f64) {
    let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
    assert!(
        (g - w).abs() <= tol * w.abs().max(1.0),
        "{what}: {g} vs R {w}"
    );
}

fn endpoint() -> Value {
    json!({"endpoint": "os", "from": "diagnosis", "units": "days"})
}

#[test]
fn federated_cox_on_lung_equals_r() {
    for (name, ties) in [("lung_efron", "efron"), ("lung_breslow", "breslow")] {
        let fx = fixture(name);
        let all = facts(&fx["input"]);
        let nodes = nodes(&all);
        let request = json!({
            "endpoint": endpoint(),
            "terms": ["age_at_diagnosis", "sex", "ecog"],
            "reference": {"sex": "male"},
            "ties": ties,
        });
        let got = run(&nodes, "cox", &request, name);
        let want = &fx["expected"];
        assert_eq!(got["n"], want["n"], "{name}");
        assert_eq!(got["events"], want["events"], "{name}");
        assert_eq!(got["iterations"], want["iterations"], "{name}");
        let coefs = got["coefficients"].as_array().unwrap();
        let terms = want["terms"].as_array().unwrap();
        assert_eq!(coefs.len(), 3);
        for (c, t) in coefs.iter().zip(terms) {
            let what = format!("{name} {}", t["name"]);
            close(&what, &c["coef"], &t["coef"], 1e-7);
            close(&what, &c["se"], &t["se"], 1e-7);
            close(&what, &c["hr"], &t["hr"], 1e-7);
            close(&what, &c["lower"], &t["hr_lower"], 1e-7);
            close(&what, &c["upper"], &t["hr_upper"], 1e-7);
            close(&what, &c["p"], &t["p"], 1e-7);
        }
        assert_eq!(coefs[1]["level"], "Female");
        close(name, &got["loglik"]["null"], &want["loglik_null"], 1e-7);
        close(name, &got["loglik"]["final"], &want["loglik"], 1e-7);
        for test in ["lr_test", "wald_test", "score_test"] {
            close(test, &got[test]["chisq"], &want[test]["chisq"], 1e-7);
            close(test, &got[test]["p"], &want[test]["p"], 1e-7);
        }
    }
}

#[test]
fn federated_km_on_lung_equals_the_pooled_run() {
    let fx = fixture("lung_efron");
    let all = facts(&fx["input"]);
    let nodes = nodes(&all);
    let request = json!({
        "endpoint": endpoint(), "by": "sex", "landmarks": [180.0, 365.0], "steps": true
    });
    let got = run(&nodes, "survival", &request, "km");
    let cohort = Cohort::from_facts(all, &layout(), &CohortSpec::default()).unwrap();
    let want = run_json(&cohort, "survival", request).unwrap();
    assert_eq!(got["analysed"], want["analysed"]);
    assert!(want["analysed"].as_u64().unwrap() > 200);
    for g in 0..2 {
        let (a, b) = (&got["groups"][g], &want["groups"][g]);
        assert_eq!(a["n"], b["n"]);
        for f in ["median", "median_lower", "median_upper"] {
            assert_eq!(a[f], b[f], "{f}");
        }
        let (sa, sb) = (
            a["steps"].as_array().unwrap(),
            b["steps"].as_array().unwrap(),
        );
        assert_eq!(sa.len(), sb.len());
        for (x, y) in sa.iter().zip(sb) {
            close("survival", &x["survival"], &y["survival"], 1e-9);
            assert_eq!(x["n_risk"], y["n_risk"]);
        }
    }
    close(
        "log-rank",
        &got["logrank"]["chisq"],
        &want["logrank"]["chisq"],
        1e-9,
    );
    close(
        "log-rank p",
        &got["logrank"]["p"],
        &want["logrank"]["p"],
        1e-9,
    );
    // Sex matters in lung (R: survdiff p about 0.001).
    assert!(got["logrank"]["p"].as_f64().unwrap() < 0.01);
}
