//! Where the federated protocol plugs into the transport: the hub's
//! coordinators and the node's responder. The transport (netra-hub) moves
//! opaque JSON bodies; the analyses live in netra-federation.
//!
//! Until the protocol's coordinators and responders are merged, the hub
//! refuses every submission and the node refuses every job, each saying so.

use std::sync::Arc;

use netra_federation::protocol::{FederationError, Job, Refusal, Responder};
use netra_hub::{CoordinatorFactory, NodePolicy};
use netra_store::Registry;

/// The coordinator of each federated analysis, by the run's analysis name.
pub fn coordinators() -> CoordinatorFactory {
    Arc::new(|spec| {
        Err(FederationError::Analysis(format!(
            "no federated analysis '{}' is installed at this hub",
            spec.analysis
        )))
    })
}

/// The node's responder: answers jobs from `registry` under the protocol
/// section (`[analysis]`) of `policy`.
pub fn responder(registry: Registry, policy: &NodePolicy) -> Arc<dyn Responder> {
    let _ = registry;
    Arc::new(NoAnalyses(policy.name.clone()))
}

struct NoAnalyses(String);

impl Responder for NoAnalyses {
    fn answer(&self, job: &Job) -> Result<serde_json::Value, Refusal> {
        Err(Refusal {
            reason: format!(
                "{} has no federated analysis '{}' installed",
                self.0, job.analysis
            ),
        })
    }
}
