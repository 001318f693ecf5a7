//! Arguments shared by the registry commands: where the database is and who
//! is acting.
//!
//! * Database: `--db URL|PATH`, else the `NETRA_DB` environment variable,
//!   else `netra.db` in the current directory. A path or `sqlite://PATH` is
//!   an embedded SQLite file; `postgres://user:pass@host:port/db` is
//!   PostgreSQL.
//! * User for the audit trail: `--user NAME`, else `$USER`, else
//!   `$LOGNAME`; a change without a known user is refused.

use netra_store::{Actor, Location};

/// `--db`.
#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// Registry database: a SQLite file path, sqlite://PATH or postgres://…
    /// (default: $NETRA_DB, else ./netra.db).
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
}

impl DbArgs {
    /// The resolved location.
    pub fn location(&self) -> Location {
        Location::resolve(self.db.as_deref())
    }
}

/// `--user` and `--reason`.
#[derive(Debug, Clone, clap::Args)]
pub struct ActorArgs {
    /// Who makes the change, for the audit trail (default: $USER, else $LOGNAME).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Why the change is made, recorded with every audit entry.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

impl ActorArgs {
    /// The actor of the audit entries.
    pub fn actor(&self) -> anyhow::Result<Actor> {
        let user = self
            .user
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("LOGNAME").ok())
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| {
                anyhow::anyhow!("who is making this change? give --user NAME (or set $USER)")
            })?;
        Ok(Actor {
            user,
            reason: self.reason.clone(),
        })
    }
}

/// Runs an async registry operation to completion.
pub fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(f))
}

/// Prints the problems of a rejected bundle to standard error and returns
/// the error that ends the command.
pub fn report_problems(err: netra_store::StoreError) -> anyhow::Error {
    if let netra_store::StoreError::Invalid(problems) = &err {
        eprint!("{problems}");
    }
    anyhow::anyhow!("{err}")
}
