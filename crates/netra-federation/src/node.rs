//! A centre's side of a run: [`NodeResponder`] answers the hub's rounds
//! from the centre's own patients, under its [`Policy`].
//!
//! It is stateless per round except for two things: its long-term secret
//! (from which each run's key pair derives, so no key is stored per run)
//! and the differencing guard's log of analysed cohorts. Every round
//! rebuilds the cohort from the courses and the round's cohort definition
//! (the analysis layer's `Cohort` is not shared between threads).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use netra_analysis::facts::SharedFacts;
use netra_analysis::{Cohort, CohortSpec, FactsLayout, Settings};
use netra_clinical::registry::model::PatientCourse;
use serde_json::{Value, json};

use crate::mask::{NodeSecret, apply_pair_mask, hex, sum_seed, verify_run_key};
use crate::policy::{Policy, QueryLog};
use crate::protocol::{Job, Refusal, Responder};
use crate::ring::R256;
use crate::{baseline, cox, cuminc, responses, survival};

/// Where a node's cohort comes from.
enum Source {
    /// Patients' courses (every variable and endpoint).
    Courses(Vec<PatientCourse>, Settings),
    /// Patient facts (the layout's variables and endpoints; what a
    /// long-running node keeps, and how tabular data such as R's `lung`
    /// enter).
    Facts(Vec<SharedFacts>, FactsLayout),
}

/// A node's answers, over its patients' courses and its policy.
pub struct NodeResponder {
    name: String,
    source: Source,
    policy: Policy,
    secret: NodeSecret,
    log: Mutex<QueryLog>,
}

impl std::fmt::Debug for NodeResponder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeResponder({})", self.name)
    }
}

fn refuse(reason: impl Into<String>) -> Refusal {
    Refusal {
        reason: reason.into(),
    }
}

/// What a round's analysis code sees at a node.
pub(crate) struct Local<'a> {
    pub cohort: &'a Cohort,
    pub policy: &'a Policy,
    pub node: &'a str,
}

impl NodeResponder {
    /// A node named `name` (as the hub knows it) over `courses`, with its
    /// settings, policy and long-term secret ([`NodeSecret::random`] for a
    /// new node).
    pub fn new(
        name: &str,
        courses: Vec<PatientCourse>,
        settings: Settings,
        policy: Policy,
        secret: NodeSecret,
    ) -> NodeResponder {
        NodeResponder {
            name: name.to_owned(),
            source: Source::Courses(courses, settings),
            policy,
            secret,
            log: Mutex::new(QueryLog::default()),
        }
    }

    /// A node over patient facts (see `netra_analysis::facts`): only the
    /// layout's variables and endpoints can be analysed.
    pub fn from_facts(
        name: &str,
        facts: Vec<SharedFacts>,
        layout: FactsLayout,
        policy: Policy,
        secret: NodeSecret,
    ) -> NodeResponder {
        NodeResponder {
            name: name.to_owned(),
            source: Source::Facts(facts, layout),
            policy,
            secret,
            log: Mutex::new(QueryLog::default()),
        }
    }

    /// The pseudonymous code of cohort row `i` (the differencing guard's
    /// key). A facts cohort with conditions does not say which facts it
    /// kept, so its rows are keyed by position there (documented).
    fn patient_code(&self, cohort: &Cohort, i: usize) -> String {
        match &self.source {
            Source::Courses(..) => cohort
                .courses
                .get(i)
                .map_or_else(|| format!("row {i}"), |c| c.patient.code.clone()),
            Source::Facts(facts, _) if facts.len() == cohort.len() => facts
                .get(i)
                .map_or_else(|| format!("row {i}"), |f| f.code.clone()),
            Source::Facts(..) => format!("row {i}"),
        }
    }

    /// The node's policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn cohort(&self, body: &Value) -> Result<Cohort, Refusal> {
        let mut spec = CohortSpec {
            include_excluded: body["cohort"]["include_excluded"]
                .as_bool()
                .unwrap_or(false),
            ..CohortSpec::default()
        };
        if let Some(list) = body["cohort"]["conditions"].as_array() {
            for c in list {
                let text = c
                    .as_str()
                    .ok_or_else(|| refuse("a condition is not text"))?;
                // Conditions may combine comparisons (`and`, `or`, `not`):
                // every variable they read must be allowed.
                let expr = netra_analysis::condition::parse_expr(text)
                    .map_err(|e| refuse(format!("condition '{text}': {}", e.message)))?;
                for cond in expr.comparisons() {
                    if !self.policy.allows_variable(&cond.variable) {
                        return Err(refuse(format!(
                            "variable '{}' is not allowed by {}'s policy",
                            cond.variable, self.name
                        )));
                    }
                }
                spec.conditions.push(expr);
            }
        }
        match &self.source {
            Source::Courses(courses, settings) => {
                Cohort::new(courses.clone(), &spec, settings.clone())
            }
            Source::Facts(facts, layout) => Cohort::from_facts(facts.clone(), layout, &spec),
        }
        .map_err(|e| refuse(e.to_string()))
    }

    fn check_job(&self, job: &Job) -> Result<(), Refusal> {
        if !self.policy.trusts_study(&job.study) {
            return Err(refuse(format!(
                "study '{}' is not trusted by {}'s policy",
                job.study, self.name
            )));
        }
        if !self.policy.allows_analysis(&job.analysis) {
            return Err(refuse(format!(
                "analysis '{}' is not allowed by {}'s policy",
                job.analysis, self.name
            )));
        }
        let vars = match job.analysis.as_str() {
            "survival" | "cuminc" | "rates" | "response" => {
                survival::variables(&job.body["request"])
            }
            "cox" => cox::variables(&job.body["request"]),
            "baseline" => baseline::variables(&job.body["request"]),
            other => return Err(refuse(format!("analysis '{other}' is not federated"))),
        };
        if let Some(v) = vars.iter().find(|v| !self.policy.allows_variable(v)) {
            return Err(refuse(format!(
                "variable '{v}' is not allowed by {}'s policy",
                self.name
            )));
        }
        Ok(())
    }

    fn keys_round(&self, job: &Job, local: &Local<'_>) -> Result<Value, Refusal> {
        let (meta, patients) = match job.analysis.as_str() {
            "survival" => survival::node_meta(local, &job.body["request"])?,
            "cuminc" => cuminc::node_meta(local, &job.body["request"])?,
            "baseline" => baseline::node_meta(local, &job.body["request"])?,
            "rates" | "response" => {
                responses::node_meta(local, &job.analysis, &job.body["request"])?
            }
            _ => cox::node_meta(local, &job.body["request"])?,
        };
        let codes: BTreeSet<String> = patients
            .iter()
            .map(|&i| self.patient_code(local.cohort, i))
            .collect();
        self.log
            .lock()
            .map_err(|_| refuse("the query log is unavailable"))?
            .check_and_record(&job.study, &job.id, codes, self.policy.min_cell)
            .map_err(refuse)?;
        Ok(json!({
            "public_key": self.secret.public_hex(&job.id),
            "signature": self.secret.sign_run_key(&job.id, &job.study, &self.name),
            "meta": meta,
        }))
    }

    fn participants(&self, job: &Job) -> Result<BTreeMap<String, String>, Refusal> {
        let body = &job.body;
        let keys: BTreeMap<String, String> = serde_json::from_value(body["keys"].clone())
            .map_err(|_| refuse("the round lists no participants"))?;
        self.check_signatures(job, &keys)?;
        if !keys.contains_key(&self.name) {
            return Err(refuse(format!(
                "{} is not a participant of this round (a node that dropped out does not \
                 rejoin a run)",
                self.name
            )));
        }
        if keys.len() < self.policy.min_nodes {
            return Err(refuse(format!(
                "a masked sum of {} node(s); {}'s policy needs at least {}",
                keys.len(),
                self.name,
                self.policy.min_nodes
            )));
        }
        Ok(keys)
    }

    /// With peers enrolled in the policy: every other participant's run
    /// key is signed by its enrolled identity, and the list gives this
    /// node's own key unchanged. A key the hub substituted fails here.
    fn check_signatures(&self, job: &Job, keys: &BTreeMap<String, String>) -> Result<(), Refusal> {
        if self.policy.peers.is_empty() {
            return Ok(());
        }
        if keys.get(&self.name) != Some(&self.secret.public_hex(&job.id)) {
            return Err(refuse(format!(
                "the round lists another run key for {} than its own: refusing to mask \
                 (the hub may have substituted keys)",
                self.name
            )));
        }
        for (peer, key) in keys.iter().filter(|(p, _)| **p != self.name) {
            let identity = self.policy.peers.get(peer).ok_or_else(|| {
                refuse(format!(
                    "{peer} is not enrolled in {}'s policy (peers): its run key cannot be \
                     checked",
                    self.name
                ))
            })?;
            let signature = job.body["signatures"][peer].as_str().unwrap_or("");
            if !verify_run_key(identity, &job.id, &job.study, peer, key, signature) {
                return Err(refuse(format!(
                    "the run key of {peer} is not signed by {peer}'s enrolled identity: the \
                     hub may have substituted it (a man in the middle); {} refuses to mask \
                     with it",
                    self.name
                )));
            }
        }
        Ok(())
    }

    fn seed(&self, job: &Job, peer: &str, key: &str) -> Result<[u8; 32], Refusal> {
        self.secret
            .pair_seed(&job.id, &self.name, peer, key)
            .ok_or_else(|| refuse(format!("the public key of {peer} is not a valid key")))
    }

    fn sum_round(&self, job: &Job, local: &Local<'_>) -> Result<Value, Refusal> {
        let keys = self.participants(job)?;
        let sum = job.body["sum"]
            .as_u64()
            .ok_or_else(|| refuse("the round has no sum number"))?;
        let step = job.body["step"].as_str().unwrap_or("");
        let params = &job.body["params"];
        let mut v: Vec<R256> = match job.analysis.as_str() {
            "survival" => survival::node_vector(local, &job.body["request"], step, params)?,
            "cuminc" => cuminc::node_vector(local, &job.body["request"], step, params)?,
            "baseline" => baseline::node_vector(local, &job.body["request"], step, params)?,
            "rates" | "response" => {
                responses::node_vector(local, &job.analysis, &job.body["request"], params)?
            }
            _ => cox::node_vector(local, &job.body["request"], step, params)?,
        };
        for (peer, key) in &keys {
            if peer != &self.name {
                let seed = sum_seed(&self.seed(job, peer, key)?, sum);
                apply_pair_mask(&mut v, &seed, sum, &self.name, peer);
            }
        }
        Ok(json!({ "masked": crate::ring::pack(&v) }))
    }

    fn recover_round(&self, job: &Job) -> Result<Value, Refusal> {
        let keys = self.participants(job)?;
        let sum = job.body["sum"]
            .as_u64()
            .ok_or_else(|| refuse("the round has no sum number"))?;
        let dropped: Vec<String> = serde_json::from_value(job.body["dropped"].clone())
            .map_err(|_| refuse("no list of dropped nodes"))?;
        let survivors = keys.len().saturating_sub(dropped.len());
        if survivors < self.policy.min_nodes || dropped.iter().any(|d| d == &self.name) {
            return Err(refuse(format!(
                "revealing seeds would leave {survivors} node(s) in the sum; {}'s policy \
                 needs at least {}",
                self.name, self.policy.min_nodes
            )));
        }
        let mut seeds = serde_json::Map::new();
        for d in &dropped {
            let key = keys
                .get(d)
                .ok_or_else(|| refuse(format!("{d} was not a participant")))?;
            // This sum's seed only: the dropped node's other sums stay masked.
            let seed = sum_seed(&self.seed(job, d, key)?, sum);
            seeds.insert(d.clone(), json!(hex(&seed)));
        }
        Ok(json!({ "seeds": seeds }))
    }
}

impl Responder for NodeResponder {
    fn answer(&self, job: &Job) -> Result<Value, Refusal> {
        self.check_job(job)?;
        let phase = job.body["phase"].as_str().unwrap_or("");
        if phase == "recover" {
            return self.recover_round(job);
        }
        let cohort = self.cohort(&job.body)?;
        let local = Local {
            cohort: &cohort,
            policy: &self.policy,
            node: &self.name,
        };
        match phase {
            "keys" => self.keys_round(job, &local),
            "sum" => self.sum_round(job, &local),
            other => Err(refuse(format!("unknown round '{other}'"))),
        }
    }
}
