//! `netra serve`: the NET registry in the browser, on the embedded SQLite
//! registry or on PostgreSQL by URL.
//!
//! * Accounts and roles ([`accounts`]): administrator, data manager (edits
//!   their sites), investigator (reads their sites), analyst (reads
//!   pseudonymised data of every site, [`pseudo`]). Argon2id hashes,
//!   sessions in HttpOnly SameSite=Strict cookies with idle and absolute
//!   expiry ([`session`]), a CSRF token per session checked on every
//!   state-changing request ([`app`]), login rate limiting per account and
//!   per address ([`ratelimit`]).
//! * Registry pages ([`records`]): patient list with search, filters and
//!   pages; the patient's course on a time line ([`timeline`]) with every
//!   record; forms generated from the schema for every entity, saved
//!   through the importer's checks and the audit trail with a reason
//!   ([`access`]); the audit history of each record; the live RECIST
//!   preview of the lesion form ([`recist`]).
//! * Analyses ([`analysis`], [`analysis_pages`]): cohort filters, endpoint
//!   and grouping → Kaplan–Meier figure (SVG, PNG), survival table,
//!   log-rank test, response rates, CSV downloads; computed on a cohort
//!   index kept per registry revision ([`cohort`]).
//! * Federated analyses ([`federated`], [`federated_pages`]): with a hub
//!   configured, the same cohort and endpoint run at the hub over every
//!   centre's node; progress per node and the pooled result.
//! * A JSON API for all of it ([`api`]), described at `/api/openapi.json`
//!   ([`openapi`]); every registered analysis of the layer by name
//!   ([`generic`]: `GET /api/analyses`, `POST /api/analyses/{name}`).
//!
//! No second implementation of anything: the registry is `netra-store`,
//! endpoints and lines `netra_clinical::endpoints` / `lines`, responses
//! `netra_clinical::evaluation` / `response`, statistics `netra-stats`,
//! figures and tables `netra-report`. Design, permissions matrix and
//! deployment: `docs/web.md`.
#![deny(missing_docs)]

pub mod access;
pub mod accounts;
pub mod analysis;
pub mod analysis_cox;
pub mod analysis_export;
pub mod analysis_pages;
pub mod api;
pub mod app;
pub mod clock;
pub mod cohort;
pub mod course_figure;
pub mod error;
pub mod federated;
pub mod federated_pages;
pub mod flow;
pub mod generic;
pub mod labels;
pub mod layout;
pub mod multipart;
pub mod natural;
pub mod openapi;
pub mod pages;
pub mod patient_lines;
pub mod patient_list;
pub mod privacy;
pub mod pseudo;
pub mod ratelimit;
pub mod recist;
pub mod records;
pub mod rows;
pub mod session;
pub mod timeline;
pub mod upload;
mod upload_source;

use std::net::SocketAddr;

pub use app::{AppState, Config, Shared, router};
pub use clock::Clock;
pub use error::AppError;

/// Runs the server on `listener` until Ctrl-C (or SIGTERM): `ready` is
/// called with the bound address once the cohort index is loaded.
pub async fn serve(
    registry: netra_store::Registry,
    config: Config,
    listener: tokio::net::TcpListener,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), AppError> {
    let clock = Clock::default();
    let lifetimes = config.sessions;
    let state = AppState::new(registry, config, clock.clone()).await?;
    let _ = session::purge_expired(&state.registry, lifetimes, clock.now()).await;
    let app = router(state.clone());
    let addr = listener
        .local_addr()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    ready(addr);
    // Expired sessions are removed every ten minutes.
    let sweeper = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
            loop {
                tick.tick().await;
                let _ = session::purge_expired(
                    &state.registry,
                    state.config.sessions,
                    state.clock.now(),
                )
                .await;
            }
        })
    };
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .map_err(|e| AppError::Internal(e.to_string()));
    sweeper.abort();
    result
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
