//! The analysis layer's partial aggregates computed by Apache DataFusion
//! plans, out of core, over CSV files and Parquet files or directories
//! (issue 18).
//!
//! Why an engine: the in-memory path reads every cell of a file into memory
//! before it tabulates. The analyses themselves only need small additive
//! sums — per (time, stratum, group) cells for Kaplan–Meier, the log-rank
//! family and cumulative incidence (`netra_stats::partial::SurvivalCounts`),
//! per (stratum, time) sums for each Newton step of Cox regression
//! (`netra_stats::partial_cox::CoxPartial`) — and those are exactly
//! `GROUP BY` aggregations, which DataFusion streams over partitioned data
//! on every core (and which Ballista can run on a cluster). So the engine
//! builds the *same* partial values the in-memory path builds, and from
//! there evaluation, medians and tests are the analysis layer's own code:
//!
//! * [`survival`]: one `GROUP BY (time, event, group)` pass giving row counts
//!   and double-double weight sums; the driver applies netra's data rules
//!   (missing values, R's `Surv()` event coding, factor-level order) to the
//!   few distinct values and assembles a `SurvivalPartial`.
//! * [`cox`]: two centring passes, then one `GROUP BY (stratum, time, event)`
//!   pass per Newton iteration producing the per-time sums of `r = w·e^η`,
//!   `r·x`, `r·x xᵀ` and the event sums; the driver forms the
//!   `CoxPartial` and `netra_stats::partial_cox::fit_partial` does the
//!   reverse cumulative sums and the Newton step.
//! * [`ddsum`]: sums are double-double (`dd_sum`), so a result does not
//!   depend on how DataFusion partitions or merges: the engine equals the
//!   in-memory path to 1e-12 relative (tests on CSV, Parquet and the R
//!   fixtures).
//! * [`export`]: tables (the registry bundle's CSV files) written as
//!   Parquet, split into several files when large.
//!
//! * [`cluster`] (feature `ballista`): the same plans on an Apache
//!   DataFusion Ballista cluster, and netra's scheduler and executor, which
//!   know `dd_sum` (binary `netra-ballista`).
//!
//! The engine is behind the `engine` feature of `netra-cli`, so the default
//! build does not compile DataFusion.

#![deny(missing_docs)]

#[cfg(feature = "ballista")]
pub mod cluster;
pub mod cox;
pub mod ddsum;
pub mod export;
mod source;
pub mod survival;

pub use source::{Format, Source};

use datafusion::execution::context::SessionContext;
use datafusion::prelude::SessionConfig;

/// Why the engine could not compute a result.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// DataFusion failed (I/O, a file it cannot read, a plan error).
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// The data break one of netra's rules (a negative time, a code that
    /// does not occur, a text covariate).
    #[error("{0}")]
    Data(String),
    /// The analysis layer or a kernel refused the result.
    #[error("{0}")]
    Analysis(#[from] netra_analysis::AnalysisError),
    /// The tokio runtime could not be started.
    #[error("cannot start the engine's runtime: {0}")]
    Runtime(std::io::Error),
    /// A Ballista scheduler or executor could not be reached or started
    /// (`--engine ballista://HOST:PORT`).
    #[error("Ballista: {0}")]
    Cluster(String),
}

impl EngineError {
    pub(crate) fn data(text: impl Into<String>) -> EngineError {
        EngineError::Data(text.into())
    }
}

/// A DataFusion session with its own tokio runtime: the engine's public
/// functions are synchronous (the CLI and the Newton iteration of Cox call
/// them from plain code), each query runs to completion on the runtime.
pub struct Engine {
    runtime: tokio::runtime::Runtime,
    ctx: SessionContext,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field(
                "target_partitions",
                &self.ctx.state().config().target_partitions(),
            )
            .finish()
    }
}

impl Engine {
    /// An engine running plans on `partitions` parallel partitions (at
    /// least 1; the number of cores is DataFusion's default).
    pub fn new(partitions: usize) -> Result<Engine, EngineError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(partitions.max(1))
            .enable_all()
            .build()
            .map_err(EngineError::Runtime)?;
        let config = SessionConfig::new()
            .with_target_partitions(partitions.max(1))
            // Cells are few compared with rows; larger batches cost less
            // per row in the hash aggregation.
            .with_batch_size(32 * 1024);
        let ctx = SessionContext::new_with_config(config);
        ctx.register_udaf(ddsum::dd_sum_udaf());
        Ok(Engine::from_parts(runtime, ctx))
    }

    /// An engine on `ctx` (which has `dd_sum` registered), run on `runtime`.
    fn from_parts(runtime: tokio::runtime::Runtime, ctx: SessionContext) -> Engine {
        Engine { runtime, ctx }
    }

    /// An engine with one partition per core.
    pub fn with_all_cores() -> Result<Engine, EngineError> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Engine::new(cores)
    }

    /// The session (for plans of the caller's own).
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Runs a future on the engine's runtime.
    pub(crate) fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}
