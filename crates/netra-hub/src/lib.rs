//! The federation's transport (issue 17): the hub's HTTPS service where
//! analysts submit runs and nodes fetch jobs, and the node's outbound client
//! that answers them from its registry.
//!
//! The protocol ([`netra_federation::protocol`]) decides *what* is asked and
//! answered; this crate only moves its JSON bodies, so that the transport can
//! authenticate, log, size and time them without knowing any analysis:
//!
//! ```text
//! analyst ──POST /runs──▶ hub ◀──GET /node/jobs (long poll)── node (hospital)
//!         ◀─GET /runs/ID─     ◀──POST /node/answers───────────
//! ```
//!
//! Only nodes and analysts open connections, so hospitals open no inbound
//! port. The hub drives one [`netra_federation::protocol::Coordinator`] per
//! run ([`hub`]); each node checks every job against its policy, holds it
//! for manual approval when the policy says so ([`queue`]), hands it to its
//! [`netra_federation::protocol::Responder`], and writes the request and
//! its answer to its registry's audit chain ([`node`]).
//!
//! Everything is TLS (rustls, ring provider; [`tls`]); nodes and analysts
//! authenticate with bearer tokens the hub stores as Argon2id hashes
//! ([`auth`]); tokens are read from files or the environment, never from the
//! command line.

#![deny(missing_docs)]

pub mod auth;
pub mod client;
pub mod config;
pub mod error;
pub mod hub;
pub mod node;
pub mod queue;
pub mod runs_store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;
pub mod wire;

pub use client::HubClient;
pub use config::{HubConfig, NodePolicy, Principal, StudyConfig};
pub use error::HubError;
pub use hub::{CoordinatorFactory, HubHandle, Message, start_hub};
pub use node::{Node, TOKEN_ENV, decide};
pub use queue::{ApprovalQueue, Decision};
pub use wire::{
    NodeAnswer, NodeProgress, NodeState, Outcome, RunSpec, RunState, RunStatus, RunSummary,
};
