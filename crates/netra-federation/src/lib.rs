//! Federated analysis across centres: the pooled answer, exactly, without
//! pooling the records (issue 17).
//!
//! This crate is the protocol and nothing else: it does no I/O. A hub runs
//! a [`protocol::Coordinator`] for each analysis an analyst submits
//! ([`coordinator`]); each centre's node answers the coordinator's rounds
//! with a [`protocol::Responder`] built over its own cohort
//! ([`NodeResponder`], under its [`Policy`]). How the rounds travel
//! (HTTPS, outbound from the nodes, policies, approvals, audit) is the
//! transport's job (`netra-hub`), which moves the JSON bodies of this
//! crate without reading them.
//!
//! Every per-site aggregate travels masked ([`mask`], in the ring of
//! [`ring`]); the hub learns only sums over the sites. Times are pooled
//! on a grid of whole days ([`grid`]). `docs/federated.md` has the
//! protocol, the threat model and what each party learns.
#![deny(missing_docs)]

mod baseline;
mod cox;
mod cuminc;
pub mod grid;
mod grid_plan;
pub mod mask;
mod median;
mod node;
pub mod policy;
pub mod protocol;
mod responses;
pub mod ring;
mod secure;
mod survival;

pub use mask::NodeSecret;
pub use node::NodeResponder;
pub use policy::{Policy, QueryLog};
pub use protocol::{Coordinator, FederationError};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The analyses that run federated.
pub const ANALYSES: &[&str] = &["survival", "cox", "cuminc", "rates", "response", "baseline"];

/// How the hub runs an analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunOptions {
    /// Go on without nodes that do not answer (their masks are removed
    /// with the survivors' seeds); otherwise the run stops naming them.
    pub allow_dropout: bool,
    /// Fewest nodes the run may have (secure aggregation needs 3 for a sum
    /// not to be one node's result given another's).
    pub min_nodes: usize,
    /// Bound on follow-up in years for the agreed time grid.
    pub max_years: u32,
    /// The cohort's conditions (the layer's condition texts), run
    /// identically at every node.
    pub conditions: Vec<String>,
    /// Keep patients flagged `excluded`.
    pub include_excluded: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            allow_dropout: false,
            min_nodes: 3,
            max_years: 100,
            conditions: Vec::new(),
            include_excluded: false,
        }
    }
}

/// The coordinator of one run of `analysis` (one of [`ANALYSES`]) with the
/// analysis layer's `request` (the same JSON the pooled `run_json` takes).
pub fn coordinator(
    analysis: &str,
    request: Value,
    options: &RunOptions,
) -> Result<Box<dyn Coordinator>, FederationError> {
    let max_years = options.max_years.clamp(1, 1000);
    let plan: Box<dyn secure::Plan> = match analysis {
        "survival" => Box::new(survival::SurvivalPlan::new(&request, max_years)?),
        "cox" => Box::new(cox::CoxPlan::new(&request, max_years)?),
        "cuminc" => Box::new(cuminc::CumincPlan::new(&request, max_years)?),
        "baseline" => Box::new(baseline::BaselinePlan::new(&request)?),
        "rates" | "response" => Box::new(responses::ResponsePlan::new(analysis, &request)?),
        other => {
            return Err(FederationError::Analysis(format!(
                "analysis '{other}' does not run federated (federated: {})",
                ANALYSES.join(", ")
            )));
        }
    };
    let envelope = json!({
        "request": request,
        "cohort": {"conditions": options.conditions, "include_excluded": options.include_excluded},
    });
    Ok(Box::new(secure::Secure::new(
        plan,
        envelope,
        options.clone(),
    )))
}
