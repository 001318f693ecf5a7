//! Key numbers of a run, by name (`summary.json`, the demo's terminal
//! summary): medians, log-rank tests, per-line outcomes, hazard ratios.

/// Key numbers by name, sorted (serialised deterministically).
pub type Facts = std::collections::BTreeMap<String, serde_json::Value>;
