//! The hub's rounds of one run, common to every analysis: the key round,
//! masked sums, drop-out recovery. An analysis is a [`Plan`]: from the
//! nodes' clear metadata it names the first sum, and from each pooled sum
//! the next one or the output.
//!
//! Rounds (bodies are JSON objects with a `phase`):
//! 1. `keys` — every node checks the request against its policy, sends
//!    its run public key and the analysis's clear metadata (labels, units:
//!    nothing counted).
//! 2. `sum` (repeated) — `{"sum": k, "step", "params", "keys": {node:
//!    public key}}`: each listed node computes the step's vector, masks it
//!    with every other listed node and answers `{"masked": "base64…"}`
//!    (`ring::pack`: 32 little-endian bytes an element; an array of hex
//!    strings, the first format, is still read). The hub adds the vectors;
//!    the masks cancel.
//! 3. `recover` — only after a drop-out: survivors answer `{"seeds":
//!    {dropped: hex}}`; the hub removes the dropped nodes' masks from the
//!    survivors' sum. The run then goes on without them: when the drop-out
//!    happened in the plan's first sum that sum is used as it is,
//!    otherwise the plan restarts on the survivors (earlier sums held the
//!    dropped node's data).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::RunOptions;
use crate::mask::{pair_mask, unhex};
use crate::protocol::{Coordinator, FederationError, Next, NodeId};
use crate::ring::{R256, add_into};

/// What a plan wants next.
pub(crate) enum Step {
    /// A masked sum of `len` ring elements.
    Sum {
        /// The step's name (the nodes' dispatch).
        step: String,
        /// What the nodes need to compute it.
        params: Value,
        /// The vector's length.
        len: usize,
    },
    /// The output JSON.
    Done(Value),
}

/// An analysis as a sequence of masked sums.
pub(crate) trait Plan: Send {
    /// The first sum, from the nodes' metadata (called again, with the
    /// survivors' metadata, when a run restarts).
    fn begin(&mut self, metas: &BTreeMap<NodeId, Value>) -> Result<Step, FederationError>;
    /// The next step from the pooled sum of the last.
    fn next(&mut self, pooled: Vec<R256>) -> Result<Step, FederationError>;
    /// Notes for the output (what was coarsened and why).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

enum Phase {
    Keys,
    Sum,
    Recover { dropped: Vec<NodeId> },
}

/// The generic coordinator around a plan.
pub(crate) struct Secure {
    plan: Box<dyn Plan>,
    /// The analysis request and cohort, sent with every round.
    envelope: Value,
    options: RunOptions,
    phase: Phase,
    /// Public keys of the nodes taking part.
    keys: BTreeMap<NodeId, String>,
    /// Their signatures by the nodes' identity keys (relayed as received:
    /// the nodes check them against the identities they enrolled).
    signatures: BTreeMap<NodeId, String>,
    metas: BTreeMap<NodeId, Value>,
    dropped: BTreeSet<NodeId>,
    /// Masked sums asked so far in the run (the mask stream number).
    sums: u64,
    /// Sums asked since the plan (re)started.
    since_begin: u64,
    /// The current sum's step, params and length.
    current: Option<(String, Value, usize)>,
    /// Survivors' masked vectors awaiting recovery.
    held: Vec<R256>,
}

impl Secure {
    pub(crate) fn new(plan: Box<dyn Plan>, envelope: Value, options: RunOptions) -> Secure {
        Secure {
            plan,
            envelope,
            options,
            phase: Phase::Keys,
            keys: BTreeMap::new(),
            signatures: BTreeMap::new(),
            metas: BTreeMap::new(),
            dropped: BTreeSet::new(),
            sums: 0,
            since_begin: 0,
            current: None,
            held: Vec::new(),
        }
    }

    fn body(&self, phase: &str, extra: Value) -> Value {
        let mut b = self.envelope.clone();
        if let (Some(o), Value::Object(e)) = (b.as_object_mut(), extra) {
            o.insert("phase".into(), json!(phase));
            o.extend(e);
        }
        b
    }

    fn live(&self) -> Vec<NodeId> {
        self.keys.keys().cloned().collect()
    }

    fn drop_nodes(&mut self, missing: &[NodeId]) -> Result<(), FederationError> {
        if !self.options.allow_dropout {
            return Err(FederationError::Missing(missing.to_vec()));
        }
        for m in missing {
            self.keys.remove(m);
            self.metas.remove(m);
            self.dropped.insert(m.clone());
        }
        if self.keys.len() < self.options.min_nodes {
            return Err(FederationError::Analysis(format!(
                "only {} node(s) left after {} dropped out; the run needs {}",
                self.keys.len(),
                missing.join(", "),
                self.options.min_nodes
            )));
        }
        Ok(())
    }

    /// Turns a plan step into the next message.
    fn follow(&mut self, step: Step) -> Result<Next, FederationError> {
        match step {
            Step::Done(mut output) => {
                if let Some(o) = output.as_object_mut() {
                    o.insert(
                        "federation".into(),
                        json!({
                            "nodes": self.live(),
                            "dropped": self.dropped,
                            "coarsened": self.plan.notes(),
                            "secure_aggregation": "pairwise X25519/ChaCha20 masks in Z/2^256, fixed point 2^-96",
                        }),
                    );
                }
                Ok(Next::Done { output })
            }
            Step::Sum { step, params, len } => {
                let body = self.body(
                    "sum",
                    json!({"sum": self.sums, "step": step, "params": params, "keys": self.keys,
                           "signatures": self.signatures}),
                );
                self.current = Some((step, params, len));
                self.sums += 1;
                self.since_begin += 1;
                self.phase = Phase::Sum;
                Ok(Next::Ask {
                    body,
                    to: Some(self.live()),
                })
            }
        }
    }

    fn restart(&mut self) -> Result<Next, FederationError> {
        self.since_begin = 0;
        let step = self.plan.begin(&self.metas)?;
        self.follow(step)
    }

    fn masked_sum(
        &self,
        answers: &BTreeMap<NodeId, Value>,
        len: usize,
    ) -> Result<Vec<R256>, FederationError> {
        let mut sum = vec![R256::ZERO; len];
        for node in self.keys.keys() {
            let Some(a) = answers.get(node) else { continue };
            let v: Vec<R256> = match &a["masked"] {
                Value::String(packed) => {
                    crate::ring::unpack(packed).map_err(|e| malformed(node, &e.to_string()))?
                }
                // The first wire format: one hexadecimal string an element.
                Value::Array(hex) => hex
                    .iter()
                    .map(|x| x.as_str().and_then(|s| R256::from_hex(s).ok()))
                    .collect::<Option<_>>()
                    .ok_or_else(|| malformed(node, "a value is not a ring element"))?,
                _ => return Err(malformed(node, "no masked vector")),
            };
            if v.len() != len {
                return Err(malformed(
                    node,
                    &format!("{} values where {len} were asked", v.len()),
                ));
            }
            add_into(&mut sum, &v);
        }
        Ok(sum)
    }
}

fn malformed(node: &str, why: &str) -> FederationError {
    FederationError::Malformed(format!("{node}: {why}"))
}

impl Coordinator for Secure {
    fn start(&mut self, nodes: &[NodeId]) -> Result<Next, FederationError> {
        if nodes.len() < self.options.min_nodes {
            return Err(FederationError::Analysis(format!(
                "{} node(s) given; secure aggregation needs at least {}",
                nodes.len(),
                self.options.min_nodes
            )));
        }
        self.phase = Phase::Keys;
        Ok(Next::Ask {
            body: self.body("keys", json!({})),
            to: Some(nodes.to_vec()),
        })
    }

    fn step(
        &mut self,
        answers: &BTreeMap<NodeId, Value>,
        missing: &[NodeId],
    ) -> Result<Next, FederationError> {
        // A node that dropped out is out of the run: a late answer of it
        // is refused (not used).
        let answers: BTreeMap<NodeId, Value> = answers
            .iter()
            .filter(|(n, _)| !self.dropped.contains(*n))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        match std::mem::replace(&mut self.phase, Phase::Keys) {
            Phase::Keys => {
                for (node, a) in &answers {
                    let key = a["public_key"]
                        .as_str()
                        .filter(|k| unhex(k).is_some_and(|b| b.len() == 32))
                        .ok_or_else(|| malformed(node, "no public key"))?;
                    self.keys.insert(node.clone(), key.to_owned());
                    if let Some(sig) = a["signature"].as_str() {
                        self.signatures.insert(node.clone(), sig.to_owned());
                    }
                    self.metas.insert(node.clone(), a["meta"].clone());
                }
                if !missing.is_empty() {
                    self.drop_nodes(missing)?;
                }
                self.restart()
            }
            Phase::Sum => {
                let (_, _, len) = self
                    .current
                    .clone()
                    .ok_or_else(|| FederationError::Malformed("no sum was asked".into()))?;
                let absent: Vec<NodeId> = self
                    .keys
                    .keys()
                    .filter(|n| !answers.contains_key(*n))
                    .cloned()
                    .collect();
                if absent.is_empty() {
                    let pooled = self.masked_sum(&answers, len)?;
                    let step = self.plan.next(pooled)?;
                    return self.follow(step);
                }
                if !self.options.allow_dropout {
                    return Err(FederationError::Missing(absent));
                }
                self.held = self.masked_sum(&answers, len)?;
                let sum = self.sums - 1;
                let keys = self.keys.clone();
                self.drop_nodes(&absent)?;
                self.phase = Phase::Recover {
                    dropped: absent.clone(),
                };
                Ok(Next::Ask {
                    body: self.body(
                        "recover",
                        json!({"sum": sum, "dropped": absent, "keys": keys,
                               "signatures": self.signatures}),
                    ),
                    to: Some(self.live()),
                })
            }
            Phase::Recover { dropped } => {
                let absent: Vec<NodeId> = self
                    .keys
                    .keys()
                    .filter(|n| !answers.contains_key(*n))
                    .cloned()
                    .collect();
                if !absent.is_empty() {
                    return Err(FederationError::Missing(absent));
                }
                let len = self.held.len();
                let sum = self.sums - 1;
                let mut pooled = std::mem::take(&mut self.held);
                for (node, a) in &answers {
                    if !self.keys.contains_key(node) {
                        continue;
                    }
                    for d in &dropped {
                        let seed: [u8; 32] = a["seeds"][d]
                            .as_str()
                            .and_then(unhex)
                            .and_then(|b| b.try_into().ok())
                            .ok_or_else(|| malformed(node, &format!("no seed for {d}")))?;
                        // Undo what `node` applied with `d`.
                        for (p, m) in pooled.iter_mut().zip(pair_mask(&seed, sum, len)) {
                            *p = if node.as_str() < d.as_str() {
                                p.wrapping_sub(m)
                            } else {
                                p.wrapping_add(m)
                            };
                        }
                    }
                }
                if self.since_begin == 1 {
                    let step = self.plan.next(pooled)?;
                    self.follow(step)
                } else {
                    self.restart()
                }
            }
        }
    }
}
