//! A node's disclosure policy (its TOML file) and the guard against
//! differencing queries.
//!
//! ```toml
//! analyses = ["survival", "cox"]          # analyses this node answers
//! variables = ["sex", "who_grade", "age_at_diagnosis"]   # or ["*"]
//! min_cell = 5            # smallest count a node lets a result rest on
//! studies = ["net-2026"]  # studies whose runs the node answers
//! hubs = ["https://hub.example.org"]      # for the transport
//! manual_approval = true  # the transport holds each run for `netra node approve`
//! time_bin_days = 1       # > 1: times binned to this many days (coarsening)
//! min_nodes = 3           # fewest nodes a masked sum may have
//!
//! [peers]                 # the other centres' identity keys (Ed25519, hex):
//! centre-b = "3b6a…"      # with peers enrolled, a run key is used only when
//! centre-c = "d75a…"      # its node's identity signed it (`netra node identity`)
//! ```
//!
//! # Small cells (the documented rule)
//! * A group (a level of `by`) or a level of a Cox factor that has between
//!   1 and `min_cell − 1` patients **at this node** is refused, naming the
//!   level: the analyst merges levels or leaves the variable out. (The hub
//!   never sees the node's own counts, but the pooled result minus what
//!   other nodes know could expose them, and a level present at one
//!   node only would be read off the pooled table.)
//! * Times: with `time_bin_days = b > 1` every time is moved to the end of
//!   its bin (`⌈day / b⌉ · b` days), so no pooled step falls on a patient's
//!   own day. The hub takes the largest bin any node asks for; the output
//!   says so in `federation.coarsened`, with how it differs from the exact
//!   analysis (medians, landmark rates and steps move to bin ends: by less
//!   than one bin; Cox ties grow, estimates change).
//! * A node takes part in a masked sum only with at least `min_nodes`
//!   participants, so no sum is a single node's.
//!
//! # Differencing
//! Two queries whose cohorts differ by a few patients give, by
//! subtraction, the results of those few. The node keeps, per study, the
//! set of patients (pseudonymous codes) each answered run analysed, and
//! refuses a run whose analysed set differs from an earlier one's by
//! between 1 and `min_cell − 1` patients (symmetric difference) — for any
//! analysis, since counts of one can be subtracted from counts of another.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// A node's policy (its TOML file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Analyses the node answers (`survival`, `cox` …); `"*"` for all.
    pub analyses: Vec<String>,
    /// Variables a request may group, adjust or select by; `"*"` for all.
    pub variables: Vec<String>,
    /// Minimum cell size.
    pub min_cell: usize,
    /// Studies the node answers runs of.
    pub studies: Vec<String>,
    /// Hubs the node connects to (the transport's list).
    pub hubs: Vec<String>,
    /// Whether each run waits for manual approval (the transport's).
    pub manual_approval: bool,
    /// Width of the time bins in days (1: exact days).
    pub time_bin_days: u32,
    /// Fewest participants of a masked sum.
    pub min_nodes: usize,
    /// The other nodes' identity keys (Ed25519 public keys, hex), enrolled
    /// out of band. When any is enrolled, every participant's run key must
    /// be signed by its enrolled identity (a key the hub substituted is
    /// refused); when none is, run keys are taken as the hub relays them
    /// (docs/federated.md, threat model).
    pub peers: BTreeMap<String, String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            analyses: Vec::new(),
            variables: Vec::new(),
            min_cell: 5,
            studies: Vec::new(),
            hubs: Vec::new(),
            manual_approval: true,
            time_bin_days: 1,
            min_nodes: 3,
            peers: BTreeMap::new(),
        }
    }
}

impl Policy {
    /// Reads the TOML form.
    pub fn from_toml(text: &str) -> Result<Policy, String> {
        let p: Policy = toml::from_str(text).map_err(|e| format!("policy: {e}"))?;
        if p.time_bin_days == 0 {
            return Err("policy: time_bin_days must be at least 1".into());
        }
        Ok(p)
    }

    fn allows(list: &[String], item: &str) -> bool {
        list.iter().any(|a| a == "*" || a == item)
    }

    /// Whether runs of `study` are answered.
    pub fn trusts_study(&self, study: &str) -> bool {
        Self::allows(&self.studies, study)
    }

    /// Whether `analysis` is answered.
    pub fn allows_analysis(&self, analysis: &str) -> bool {
        Self::allows(&self.analyses, analysis)
    }

    /// Whether `variable` may be used.
    pub fn allows_variable(&self, variable: &str) -> bool {
        Self::allows(&self.variables, variable)
    }
}

/// The cohorts a node analysed, per study (the differencing guard).
#[derive(Debug, Default)]
pub struct QueryLog {
    by_study: BTreeMap<String, Vec<(String, BTreeSet<String>)>>,
}

impl QueryLog {
    /// Records run `run`'s analysed patients, or refuses when they differ
    /// from an earlier run's of the same study by 1 to `min_cell − 1`
    /// patients. A run is recorded once (later rounds of it pass).
    pub fn check_and_record(
        &mut self,
        study: &str,
        run: &str,
        patients: BTreeSet<String>,
        min_cell: usize,
    ) -> Result<(), String> {
        let runs = self.by_study.entry(study.to_owned()).or_default();
        if runs.iter().any(|(r, _)| r == run) {
            return Ok(());
        }
        for (earlier, set) in runs.iter() {
            let differ = set.symmetric_difference(&patients).count();
            if differ > 0 && differ < min_cell {
                return Err(format!(
                    "the cohort differs from that of run '{earlier}' of study '{study}' by \
                     {differ} patient(s), fewer than the minimum cell size {min_cell}: the \
                     two results could be subtracted"
                ));
            }
        }
        runs.push((run.to_owned(), patients));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_reads_its_toml_and_refuses_unknown_keys() {
        let p = Policy::from_toml(
            "analyses = [\"survival\"]\nvariables = [\"*\"]\nmin_cell = 3\n\
             studies = [\"s1\"]\nmanual_approval = false\n",
        )
        .unwrap();
        assert_eq!(p.min_cell, 3);
        assert!(p.allows_analysis("survival") && !p.allows_analysis("cox"));
        assert!(p.allows_variable("sex"));
        assert!(p.trusts_study("s1") && !p.trusts_study("s2"));
        assert_eq!(p.min_nodes, 3);
        assert!(Policy::from_toml("min_cells = 3").is_err());
        assert!(Policy::from_toml("time_bin_days = 0").is_err());
    }

    #[test]
    fn a_query_differing_by_one_patient_is_refused() {
        let mut log = QueryLog::default();
        let set = |n: usize| (0..n).map(|i| format!("p{i}")).collect::<BTreeSet<_>>();
        log.check_and_record("s", "r1", set(20), 5).unwrap();
        // The same run again passes (its later rounds).
        log.check_and_record("s", "r1", set(19), 5).unwrap();
        let e = log.check_and_record("s", "r2", set(19), 5).unwrap_err();
        assert!(e.contains("1 patient"), "{e}");
        // Another study, or a large difference, is fine.
        log.check_and_record("t", "r3", set(19), 5).unwrap();
        log.check_and_record("s", "r4", set(10), 5).unwrap();
    }
}
