//! `--engine ballista://HOST:PORT`: the engine's plans on an Apache
//! DataFusion Ballista cluster (feature `ballista`).
//!
//! Why a module of netra's own and not stock Ballista binaries: every sum
//! of the engine is [`dd_sum`](crate::ddsum), a user-defined aggregate.
//! Ballista ships a query to the scheduler as a logical plan and each stage
//! to the executors as a physical plan (`datafusion-proto`), and both name
//! a user-defined aggregate by name and look it up in the receiver's
//! function registry. The stock `ballista-scheduler` and
//! `ballista-executor` binaries do not know `dd_sum`, so a job fails there
//! with "no aggregate named dd_sum". This module builds the scheduler's
//! session and the executor's registry with `dd_sum` added, for:
//!
//! * [`serve_scheduler`] and [`serve_executor`]: the processes of a real
//!   cluster (the `netra-ballista` binary of this crate runs them);
//! * [`LocalCluster`]: a scheduler and executors inside this process, on
//!   loopback (tests, and trying the path without a cluster);
//! * [`Engine::ballista`]: the client side, the same `SessionContext`
//!   the local engine plans on, with Ballista's query planner, so that
//!   `survival.rs` and `cox.rs` run unchanged.
//!
//! The executors read the files themselves: a path must mean the same data
//! on every executor and on the client (a shared file system, or the same
//! copy at the same path). Paths are made absolute on the client.

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_core::extension::{SessionConfigExt, SessionStateExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::BallistaCodec;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::utils::{default_config_producer, default_session_builder};
use ballista_core::{ConfigProducer, RuntimeProducer};
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use datafusion::execution::context::SessionContext;
use datafusion::execution::{FunctionRegistry, SessionState, SessionStateBuilder};
use datafusion::prelude::SessionConfig;

use crate::{Engine, EngineError, ddsum};

/// The port Ballista's scheduler listens on unless told otherwise.
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;

/// Why a cluster process could not start or stopped.
fn ballista_error(e: ballista_core::error::BallistaError) -> EngineError {
    EngineError::Cluster(e.to_string())
}

/// `HOST:PORT` of a scheduler from `ballista://HOST:PORT` (also `df://`,
/// Ballista's own scheme, or a bare `HOST:PORT`): the gRPC address the
/// client connects to, `http://HOST:PORT`.
pub fn scheduler_url(url: &str) -> Result<String, EngineError> {
    let rest = ["ballista://", "df://"]
        .iter()
        .find_map(|p| url.strip_prefix(p))
        .unwrap_or(url)
        .trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !h.ends_with(':') => {
            let port: u16 = p.parse().map_err(|_| {
                EngineError::Cluster(format!("'{url}': the port '{p}' is not a number"))
            })?;
            (h, port)
        }
        _ => (rest, DEFAULT_SCHEDULER_PORT),
    };
    if host.is_empty() || host.contains(['/', '@', '?', '#', ' ']) {
        return Err(EngineError::Cluster(format!(
            "'{url}' is not a scheduler address: write ballista://HOST:PORT"
        )));
    }
    Ok(format!("http://{host}:{port}"))
}

/// The functions Ballista's executors know by default, plus `dd_sum`: the
/// registry a netra executor decodes its tasks with.
pub fn function_registry() -> BallistaFunctionRegistry {
    let mut registry = BallistaFunctionRegistry::default();
    let udaf = Arc::new(ddsum::dd_sum_udaf());
    registry
        .aggregate_functions
        .insert(udaf.name().to_string(), udaf);
    registry
}

/// Ballista's default scheduler session, plus `dd_sum`: the scheduler
/// decodes the client's logical plan with it.
fn scheduler_session(config: SessionConfig) -> datafusion::common::Result<SessionState> {
    let mut state = default_session_builder(config)?;
    state.register_udaf(Arc::new(ddsum::dd_sum_udaf()))?;
    Ok(state)
}

/// Runs a scheduler that knows `dd_sum`, listening on `bind`, until the
/// process ends.
pub async fn serve_scheduler(bind: SocketAddr) -> Result<(), EngineError> {
    let config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        bind_port: bind.port(),
        override_session_builder: Some(Arc::new(scheduler_session)),
        // One task per free slot, executor after executor: the scan of a
        // stage's files spreads over the cluster instead of filling the
        // first executor's slots.
        task_distribution: TaskDistributionPolicy::RoundRobin,
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(ballista_error)?;
    ballista_scheduler::scheduler_process::start_server(cluster, bind, Arc::new(config))
        .await
        .map_err(ballista_error)
}

/// Where a netra executor listens and which scheduler it serves.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler's host.
    pub scheduler_host: String,
    /// The scheduler's port.
    pub scheduler_port: u16,
    /// The address the executor binds (e.g. `127.0.0.1`, `0.0.0.0`).
    pub bind_host: String,
    /// The name under which the scheduler and the other executors reach
    /// this one (defaults to `bind_host`).
    pub external_host: Option<String>,
    /// The Arrow Flight port results and shuffle data are fetched from.
    pub port: u16,
    /// The executor's gRPC port (used by the push scheduling policy).
    pub grpc_port: u16,
    /// Tasks run at once (0: one per core).
    pub concurrency: usize,
    /// Where shuffle files are written (a temporary directory if `None`).
    pub work_dir: Option<String>,
}

/// Runs an executor that knows `dd_sum` until the process ends (or it is
/// told to stop by a signal).
pub async fn serve_executor(options: ExecutorOptions) -> Result<(), EngineError> {
    let config = ExecutorProcessConfig {
        bind_host: options.bind_host.clone(),
        external_host: Some(options.external_host.unwrap_or(options.bind_host)),
        port: options.port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler_host,
        scheduler_port: options.scheduler_port,
        // wait for a scheduler that is still starting
        scheduler_connect_timeout_seconds: 60,
        vcores: if options.concurrency == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            options.concurrency
        },
        work_dir: options.work_dir,
        override_function_registry: Some(Arc::new(function_registry())),
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(ballista_error)
}

/// A Ballista scheduler and executors running inside this process on
/// loopback, with `dd_sum` registered; stopped when dropped.
pub struct LocalCluster {
    runtime: Option<tokio::runtime::Runtime>,
    address: SocketAddr,
}

impl std::fmt::Debug for LocalCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCluster")
            .field("address", &self.address)
            .finish()
    }
}

impl LocalCluster {
    /// Starts a scheduler and `executors` executors (each running
    /// `concurrency` tasks at once) on ephemeral loopback ports.
    pub fn start(executors: usize, concurrency: usize) -> Result<LocalCluster, EngineError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(EngineError::Runtime)?;
        let address = runtime.block_on(async {
            let address = ballista_scheduler::standalone::new_standalone_scheduler_with_builder(
                Arc::new(scheduler_session),
                Arc::new(default_config_producer),
                BallistaCodec::default(),
            )
            .await
            .map_err(ballista_error)?;
            let url = format!("http://127.0.0.1:{}", address.port());
            for _ in 0..executors.max(1) {
                let scheduler = connect(&url).await?;
                let config_producer: ConfigProducer = Arc::new(default_config_producer);
                let runtime_producer: RuntimeProducer = Arc::new(|_: &SessionConfig| {
                    Ok(Arc::new(
                        datafusion::execution::runtime_env::RuntimeEnvBuilder::new().build()?,
                    ))
                });
                ballista_executor::new_standalone_executor_from_builder(
                    scheduler,
                    concurrency.max(1),
                    config_producer,
                    runtime_producer,
                    BallistaCodec::default(),
                    function_registry(),
                )
                .await
                .map_err(ballista_error)?;
            }
            Ok::<SocketAddr, EngineError>(address)
        })?;
        Ok(LocalCluster {
            runtime: Some(runtime),
            address,
        })
    }

    /// The address to give `--engine`: `ballista://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ballista://127.0.0.1:{}", self.address.port())
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A gRPC client of the scheduler at `url`, retried for up to 30 s while
/// the scheduler starts.
async fn connect(url: &str) -> Result<SchedulerGrpcClient<tonic::transport::Channel>, EngineError> {
    let mut last = String::new();
    for _ in 0..300 {
        match SchedulerGrpcClient::connect(url.to_string()).await {
            Ok(client) => return Ok(client),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(EngineError::Cluster(format!(
        "no Ballista scheduler at {url}: {last}"
    )))
}

impl Engine {
    /// An engine whose plans run on the Ballista cluster whose scheduler is
    /// at `url` (`ballista://HOST:PORT`), with `partitions` partitions per
    /// stage. The cluster's scheduler and executors must know `dd_sum`
    /// (netra's own, `netra-ballista`, or a [`LocalCluster`]).
    pub fn ballista(url: &str, partitions: usize) -> Result<Engine, EngineError> {
        let scheduler = scheduler_url(url)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(EngineError::Runtime)?;
        let config = SessionConfig::new_with_ballista()
            .with_target_partitions(partitions.max(1))
            .with_batch_size(32 * 1024);
        let state = SessionStateBuilder::new()
            .with_default_features()
            .with_config(config)
            .build()
            .upgrade_for_ballista(scheduler)?;
        let ctx = SessionContext::new_with_state(state);
        // Ballista's upgrade replaces the session's aggregate functions by
        // its defaults: `dd_sum` is registered after it.
        ctx.register_udaf(ddsum::dd_sum_udaf());
        Ok(Engine::from_parts(runtime, ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_addresses() {
        assert_eq!(
            scheduler_url("ballista://127.0.0.1:50051").unwrap(),
            "http://127.0.0.1:50051"
        );
        assert_eq!(
            scheduler_url("df://sched.example:7000/").unwrap(),
            "http://sched.example:7000"
        );
        assert_eq!(
            scheduler_url("ballista://node1").unwrap(),
            "http://node1:50050"
        );
        assert!(scheduler_url("ballista://h:port").is_err());
        assert!(scheduler_url("ballista://").is_err());
        assert!(scheduler_url("ballista://a/b:1").is_err());
    }

    #[test]
    fn the_registries_know_dd_sum() {
        assert!(function_registry().udaf("dd_sum").is_ok());
        assert!(function_registry().udaf("sum").is_ok());
        let state = scheduler_session(SessionConfig::new_with_ballista()).unwrap();
        assert!(state.udaf("dd_sum").is_ok());
    }
}
