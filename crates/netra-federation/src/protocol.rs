//! The contract between the protocol and the transport.
//!
//! An analysis runs in rounds. The hub's [`Coordinator`] says what to ask
//! ([`Next::Ask`]); the transport delivers the body as a [`Job`] to every
//! live node (or to those named), collects each node's answer (a JSON body
//! its [`Responder`] computed, or a [`Refusal`]), and hands the answers and
//! the names of nodes that did not answer back to the coordinator, until it
//! says [`Next::Done`]. Bodies are opaque JSON to the transport, so the
//! transport can log, sign and size them without knowing any analysis.
//! [`run_in_process`] is the same loop without a network, for tests.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A node's name, as the hub and the node's policy know it (`"centre-a"`).
pub type NodeId = String;

/// One round of one analysis, as a node receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The analysis run's id at the hub (the same for all its rounds).
    pub id: String,
    /// The study the analyst submitted it under (nodes trust studies).
    pub study: String,
    /// The analysis layer's name (`"survival"`, `"cox"` …).
    pub analysis: String,
    /// 0 for the first round, then 1, 2 …
    pub round: u32,
    /// What the coordinator asks (the analysis request, masks' public
    /// keys, the Cox coefficients of this Newton iteration …).
    pub body: Value,
}

/// A node's refusal of a job: the reason is shown to the analyst.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// Why, in words an analyst reads (`"analysis 'cox' is not allowed by
    /// centre-b's policy"`).
    pub reason: String,
}

/// What the coordinator wants next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Next {
    /// Send `body` as the next round to the nodes in `to` (all live nodes
    /// when `None`).
    Ask {
        /// The round's body.
        body: Value,
        /// The nodes to ask; `None` asks every node still taking part.
        to: Option<Vec<NodeId>>,
    },
    /// The analysis is finished: `output` is the analysis layer's output
    /// JSON (the same shape as the pooled analysis's), plus whatever notes
    /// the protocol adds (what was coarsened, which nodes took part).
    Done {
        /// The output JSON.
        output: Value,
    },
}

/// Why a federated analysis stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FederationError {
    /// A node refused; the analysis cannot go on without it.
    #[error("{node} refused: {reason}")]
    Refused {
        /// The refusing node.
        node: NodeId,
        /// Its reason.
        reason: String,
    },
    /// Nodes did not answer and the run was not told to go on without them.
    #[error("no answer from {}", .0.join(", "))]
    Missing(Vec<NodeId>),
    /// A body did not have the expected shape (a bug or a version mismatch).
    #[error("malformed message: {0}")]
    Malformed(String),
    /// The analysis itself failed (as it would on pooled data).
    #[error("{0}")]
    Analysis(String),
}

/// The hub's side of one analysis run.
pub trait Coordinator: Send {
    /// The first round, given the nodes taking part.
    fn start(&mut self, nodes: &[NodeId]) -> Result<Next, FederationError>;
    /// The next step from the answers of the last round (`answers` by
    /// node) and the nodes that were asked but did not answer.
    fn step(
        &mut self,
        answers: &BTreeMap<NodeId, Value>,
        missing: &[NodeId],
    ) -> Result<Next, FederationError>;
}

/// A node's side: answers one round from the node's own data.
pub trait Responder: Send + Sync {
    /// The answer to `job`, or a refusal.
    fn answer(&self, job: &Job) -> Result<Value, Refusal>;
}

/// Runs `coordinator` against in-process responders: the transport's loop
/// without a network. Every node answers every round it is asked (no
/// drop-outs); a refusal stops the run.
pub fn run_in_process(
    coordinator: &mut dyn Coordinator,
    id: &str,
    study: &str,
    analysis: &str,
    nodes: &BTreeMap<NodeId, &dyn Responder>,
) -> Result<Value, FederationError> {
    let names: Vec<NodeId> = nodes.keys().cloned().collect();
    let mut next = coordinator.start(&names)?;
    let mut round = 0;
    loop {
        let (body, to) = match next {
            Next::Done { output } => return Ok(output),
            Next::Ask { body, to } => (body, to.unwrap_or_else(|| names.clone())),
        };
        let job = Job {
            id: id.to_owned(),
            study: study.to_owned(),
            analysis: analysis.to_owned(),
            round,
            body,
        };
        let mut answers = BTreeMap::new();
        let mut missing = Vec::new();
        for node in to {
            match nodes.get(&node) {
                None => missing.push(node),
                Some(responder) => {
                    let answer = responder
                        .answer(&job)
                        .map_err(|r| FederationError::Refused {
                            node: node.clone(),
                            reason: r.reason,
                        })?;
                    answers.insert(node, answer);
                }
            }
        }
        next = coordinator.step(&answers, &missing)?;
        round += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Adds one number per node over two rounds: the loop delivers rounds
    /// in order and returns the coordinator's output.
    struct Sum(u32, f64);
    impl Coordinator for Sum {
        fn start(&mut self, _: &[NodeId]) -> Result<Next, FederationError> {
            Ok(Next::Ask {
                body: json!({"times": 1}),
                to: None,
            })
        }
        fn step(
            &mut self,
            a: &BTreeMap<NodeId, Value>,
            _: &[NodeId],
        ) -> Result<Next, FederationError> {
            self.0 += 1;
            self.1 += a.values().filter_map(Value::as_f64).sum::<f64>();
            if self.0 == 2 {
                return Ok(Next::Done {
                    output: json!(self.1),
                });
            }
            Ok(Next::Ask {
                body: json!({"times": 2}),
                to: None,
            })
        }
    }
    struct Const(f64);
    impl Responder for Const {
        fn answer(&self, job: &Job) -> Result<Value, Refusal> {
            Ok(json!(self.0 * job.body["times"].as_f64().unwrap_or(0.0)))
        }
    }

    #[test]
    fn rounds_run_in_order_until_done() {
        let (a, b) = (Const(1.0), Const(10.0));
        let nodes: BTreeMap<NodeId, &dyn Responder> = [
            ("a".to_owned(), &a as &dyn Responder),
            ("b".to_owned(), &b as &dyn Responder),
        ]
        .into();
        let out = run_in_process(&mut Sum(0, 0.0), "r1", "s", "sum", &nodes).unwrap();
        assert_eq!(out, json!(33.0));
    }
}
