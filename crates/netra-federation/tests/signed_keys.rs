//! Signed run keys (issue 17): with the centres' identity keys enrolled in
//! their policies, a run equals the pooled analysis and the hub still sees
//! only masked vectors; a hub that substitutes a node's run key with its
//! own (a man in the middle, who could then compute the pair seeds and
//! unmask that node) is detected and refused by the other nodes, as are
//! stripped signatures, a node that is not enrolled, and a changed key of
//! the node itself.

use std::collections::BTreeMap;

use netra_analysis::analyses::run_json;
use netra_analysis::{Cohort, CohortSpec, Settings};
use netra_clinical::registry::model::PatientCourse;
use netra_federation::mask::hex;
use netra_federation::protocol::{
    Coordinator, FederationError, Next, NodeId, Responder, run_in_process,
};
use netra_federation::{NodeResponder, NodeSecret, Policy, RunOptions, coordinator};
use netra_sim::{Model, SimConfig};
use serde_json::{Value, json};

const NAMES: [&str; 3] = ["centre-a", "centre-b", "centre-c"];

fn courses(n: u64, seed: u64) -> Vec<PatientCourse> {
    let cfg = SimConfig {
        patients: n,
        seed,
        ..SimConfig::default()
    };
    (0..n)
        .map(|i| netra_sim::generate(Model::published(), &cfg, i))
        .collect()
}

fn secret(k: usize) -> NodeSecret {
    NodeSecret::from_bytes([k as u8 + 40; 32])
}

/// Each node enrols the others' identities (all of `enrolled`).
fn nodes(all: &[PatientCourse], enrolled: &[&str]) -> Vec<(String, NodeResponder)> {
    let n = all.len();
    (0..3)
        .map(|k| {
            let peers: BTreeMap<String, String> = NAMES
                .iter()
                .enumerate()
                .filter(|(j, name)| *j != k && enrolled.contains(name))
                .map(|(j, name)| ((*name).to_owned(), secret(j).identity_hex()))
                .collect();
            let policy = Policy {
                analyses: vec!["*".into()],
                variables: vec!["*".into()],
                min_cell: 3,
                studies: vec!["s".into()],
                peers,
                ..Policy::default()
            };
            let part = all[k * n / 3..(k + 1) * n / 3].to_vec();
            let node = NodeResponder::new(NAMES[k], part, Settings::default(), policy, secret(k));
            (NAMES[k].to_owned(), node)
        })
        .collect()
}

fn map(nodes: &[(String, NodeResponder)]) -> BTreeMap<NodeId, &dyn Responder> {
    nodes
        .iter()
        .map(|(n, r)| (n.clone(), r as &dyn Responder))
        .collect()
}

/// The hub's coordinator with the sum rounds' bodies rewritten by `tamper`
/// (a malicious hub) and every answer recorded.
struct Hub<F> {
    inner: Box<dyn Coordinator>,
    tamper: F,
    seen: Vec<Value>,
}

impl<F: FnMut(&mut Value) + Send> Hub<F> {
    fn edit(&mut self, next: Next) -> Next {
        match next {
            Next::Ask { mut body, to } => {
                if body["phase"] == "sum" {
                    (self.tamper)(&mut body);
                }
                Next::Ask { body, to }
            }
            done => done,
        }
    }
}

impl<F: FnMut(&mut Value) + Send> Coordinator for Hub<F> {
    fn start(&mut self, nodes: &[NodeId]) -> Result<Next, FederationError> {
        let next = self.inner.start(nodes)?;
        Ok(self.edit(next))
    }
    fn step(
        &mut self,
        answers: &BTreeMap<NodeId, Value>,
        missing: &[NodeId],
    ) -> Result<Next, FederationError> {
        self.seen.extend(answers.values().cloned());
        let next = self.inner.step(answers, missing)?;
        Ok(self.edit(next))
    }
}

fn run(
    nodes: &[(String, NodeResponder)],
    id: &str,
    tamper: impl FnMut(&mut Value) + Send,
) -> (Result<Value, FederationError>, Vec<Value>) {
    let request = json!({"by": "sex", "landmarks": [12.0]});
    let inner = coordinator("survival", request, &RunOptions::default()).unwrap();
    let mut hub = Hub {
        inner,
        tamper,
        seen: Vec::new(),
    };
    let out = run_in_process(&mut hub, id, "s", "survival", &map(nodes));
    (out, hub.seen)
}

fn refusal(r: Result<Value, FederationError>) -> (String, String) {
    match r {
        Err(FederationError::Refused { node, reason }) => (node, reason),
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn signed_run_keys_pool_exactly_and_a_substituted_key_is_refused() {
    let all = courses(450, 23);
    let nodes = nodes(&all, &NAMES);

    // An honest hub: the pooled answer, and only masked vectors seen.
    let (out, seen) = run(&nodes, "run-1", |_| {});
    let out = out.unwrap();
    let cohort = Cohort::new(all.clone(), &CohortSpec::default(), Settings::default()).unwrap();
    let pooled = run_json(
        &cohort,
        "survival",
        json!({"by": "sex", "landmarks": [12.0]}),
    )
    .unwrap();
    assert_eq!(out["analysed"], pooled["analysed"]);
    assert_eq!(out["groups"], pooled["groups"]);
    let keys: Vec<&Value> = seen
        .iter()
        .filter(|a| a.get("public_key").is_some())
        .collect();
    assert_eq!(keys.len(), 3);
    assert!(
        keys.iter()
            .all(|a| a["signature"].as_str().is_some_and(|s| s.len() == 128))
    );
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
    for a in &seen {
        if let Some(o) = a.as_object() {
            assert!(
                o.keys()
                    .all(|k| ["public_key", "signature", "meta", "masked"].contains(&k.as_str())),
                "an answer carries more than keys and masked vectors: {a}"
            );
        }
    }

    // The hub puts its own key in place of centre-b's (keeping centre-b's
    // signature, or signing with an identity of its own): the others refuse.
    let hub_secret = NodeSecret::from_bytes([99; 32]);
    let forged = hub_secret.public_hex("run-2");
    let (r, seen) = run(&nodes, "run-2", |body| {
        body["keys"]["centre-b"] = json!(forged);
    });
    let (node, reason) = refusal(r);
    assert_ne!(node, "centre-b");
    assert!(
        reason.contains("run key of centre-b is not signed")
            && reason.contains("man in the middle"),
        "{reason}"
    );
    assert!(
        seen.iter().all(|a| a.get("masked").is_none()),
        "a node masked with a forged key"
    );
    let hub_signature = hub_secret.sign_run_key("run-3", "s", "centre-b");
    let forged = hub_secret.public_hex("run-3");
    let (r, _) = run(&nodes, "run-3", |body| {
        body["keys"]["centre-b"] = json!(forged);
        body["signatures"]["centre-b"] = json!(hub_signature);
    });
    assert!(
        refusal(r)
            .1
            .contains("not signed by centre-b's enrolled identity")
    );

    // Signatures stripped: refused, not taken on trust.
    let (r, _) = run(&nodes, "run-4", |body| {
        body.as_object_mut().unwrap().remove("signatures");
    });
    assert!(refusal(r).1.contains("not signed"));

    // A signature replayed from another run does not verify either.
    let replayed = secret(1).sign_run_key("run-1", "s", "centre-b");
    let (r, _) = run(&nodes, "run-5", |body| {
        body["signatures"]["centre-b"] = json!(replayed);
    });
    assert!(refusal(r).1.contains("run key of centre-b"));

    // A node shown another key for itself refuses.
    let (r, _) = run(&nodes, "run-6", |body| {
        body["keys"]["centre-a"] = json!(hex(&[7u8; 32]));
    });
    let (node, reason) = refusal(r);
    assert_eq!(node, "centre-a");
    assert!(reason.contains("another run key for centre-a"), "{reason}");
}

#[test]
fn a_participant_that_is_not_enrolled_is_refused() {
    let all = courses(300, 29);
    // Nobody enrolled centre-c.
    let nodes = nodes(&all, &["centre-a", "centre-b"]);
    let (r, _) = run(&nodes, "run-1", |_| {});
    let (_, reason) = refusal(r);
    assert!(reason.contains("centre-c is not enrolled"), "{reason}");
}
