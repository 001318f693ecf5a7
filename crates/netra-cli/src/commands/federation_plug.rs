//! Where the federated protocol plugs into the transport: the hub's
//! coordinators and the node's responder. The transport (netra-hub) moves
//! opaque JSON bodies; the analyses live in netra-federation.
//!
//! * At the hub, a run's request is the analysis layer's request; an
//!   optional `"federation"` member holds the run's
//!   [`netra_federation::RunOptions`] (cohort conditions, fewest nodes, the
//!   follow-up bound), and `--allow-missing` allows drop-outs.
//! * At a node, the responder answers from the courses of its registry as
//!   they were when the node started (restart the node to answer from new
//!   data), under one protocol [`Policy`]: the transport's own fields
//!   (`studies`, `analyses`, `trusted_hubs`, `manual_approval`) and the
//!   policy file's `[analysis]` section for the rest (`variables`,
//!   `min_cell`, `time_bin_days`, `min_nodes`, `peers`: the other centres'
//!   identity keys, `netra node identity`). The node's long-term
//!   secret (it keys the masks) is kept in `queue_dir/node.secret`,
//!   readable by the node's user only.

use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use netra_federation::protocol::{FederationError, Responder};
use netra_federation::{NodeResponder, NodeSecret, Policy, RunOptions};
use netra_hub::{CoordinatorFactory, NodePolicy};
use netra_store::{CourseFilter, Registry};

/// The coordinator of each federated analysis, by the run's analysis name.
pub fn coordinators() -> CoordinatorFactory {
    Arc::new(|spec| {
        let mut request = spec.request.clone();
        let options = match request.as_object_mut().and_then(|o| o.remove("federation")) {
            Some(v) => serde_json::from_value::<RunOptions>(v)
                .map_err(|e| FederationError::Malformed(format!("federation options: {e}")))?,
            None => RunOptions::default(),
        };
        let options = RunOptions {
            allow_dropout: options.allow_dropout || spec.allow_missing,
            ..options
        };
        let request = if request.is_null() {
            serde_json::json!({})
        } else {
            request
        };
        netra_federation::coordinator(&spec.analysis, request, &options)
    })
}

/// The node's responder over the courses `registry` holds now.
pub async fn responder(
    registry: Registry,
    policy: &NodePolicy,
) -> anyhow::Result<Arc<dyn Responder>> {
    let courses = registry
        .courses(&CourseFilter::default())
        .await
        .context("loading the registry's courses")?;
    let secret = node_secret(&policy.queue_dir)?;
    let responder = NodeResponder::new(
        &policy.name,
        courses,
        Default::default(),
        protocol_policy(policy)?,
        secret,
    );
    Ok(Arc::new(responder))
}

/// The protocol's policy from the node's policy file.
fn protocol_policy(policy: &NodePolicy) -> anyhow::Result<Policy> {
    let section = if policy.analysis.is_null() {
        serde_json::json!({})
    } else {
        policy.analysis.clone()
    };
    let base: Policy =
        serde_json::from_value(section).context("the policy's [analysis] section")?;
    if base.time_bin_days == 0 {
        anyhow::bail!("the policy's [analysis] section: time_bin_days must be at least 1");
    }
    Ok(Policy {
        analyses: policy.analyses.clone(),
        studies: policy.studies.clone(),
        hubs: policy.trusted_hubs.clone(),
        manual_approval: policy.manual_approval,
        ..base
    })
}

/// The node's long-term secret: read from `dir/node.secret`, or made from
/// the operating system's random source and written there (mode 600).
pub(crate) fn node_secret(dir: &Path) -> anyhow::Result<NodeSecret> {
    let path = dir.join("node.secret");
    let mut bytes = [0u8; 32];
    if path.exists() {
        let data = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        bytes = data
            .try_into()
            .map_err(|_| anyhow::anyhow!("{}: not a 32-byte node secret", path.display()))?;
        return Ok(NodeSecret::from_bytes(bytes));
    }
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("reading the random source")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_private(&path, &bytes)?;
    Ok(NodeSecret::from_bytes(bytes))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("creating {}", path.display()))
}
