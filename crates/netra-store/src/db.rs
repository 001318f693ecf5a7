//! Connecting to the registry database: SQLite by default (one file, WAL,
//! foreign keys enforced), PostgreSQL by URL, both through `sqlx`'s `Any`
//! driver so that every query has one code path.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

use crate::StoreError;

/// The database engine behind a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Where the registry is, resolved from `--db`, `NETRA_DB`, or the default
/// `netra.db` in the current directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://…` or `postgresql://…`).
    Postgres(String),
}

/// The default SQLite file name.
pub const DEFAULT_DB: &str = "netra.db";

impl Location {
    /// Resolves a `--db` argument: a `postgres://` or `postgresql://` URL,
    /// a `sqlite://PATH` / `sqlite:PATH` URL, or a plain file path. Without an
    /// argument, `NETRA_DB` is used, else `netra.db` in the current directory.
    pub fn resolve(arg: Option<&str>) -> Location {
        let env = std::env::var("NETRA_DB").ok().filter(|s| !s.is_empty());
        let text = arg
            .map(str::to_string)
            .or(env)
            .unwrap_or_else(|| DEFAULT_DB.to_string());
        Location::parse(&text)
    }

    /// Parses one location text (see [`Location::resolve`]).
    pub fn parse(text: &str) -> Location {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Location::Postgres(text.to_string());
        }
        let path = text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"))
            .unwrap_or(text);
        Location::Sqlite(PathBuf::from(path))
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            Location::Sqlite(_) => Backend::Sqlite,
            Location::Postgres(_) => Backend::Postgres,
        }
    }

    /// A printable name that hides any password in a URL.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(url) => redact(url),
        }
    }

    fn url(&self, create: bool) -> Result<String, StoreError> {
        match self {
            Location::Postgres(u) => Ok(u.clone()),
            Location::Sqlite(p) => {
                let abs = absolute(p)?;
                let mut encoded = String::new();
                for ch in abs.to_string_lossy().chars() {
                    match ch {
                        '%' => encoded.push_str("%25"),
                        '?' => encoded.push_str("%3F"),
                        '#' => encoded.push_str("%23"),
                        ' ' => encoded.push_str("%20"),
                        c => encoded.push(c),
                    }
                }
                let mode = if create { "rwc" } else { "rw" };
                Ok(format!("sqlite://{encoded}?mode={mode}"))
            }
        }
    }
}

fn absolute(p: &Path) -> Result<PathBuf, StoreError> {
    if p.is_absolute() {
        Ok(p.to_path_buf())
    } else {
        let cwd = std::env::current_dir().map_err(|e| StoreError::Open {
            location: p.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(cwd.join(p))
    }
}

/// True when a database error says the disk (or the database's size limit)
/// is full: SQLite's `SQLITE_FULL` (result code 13, which has no extended
/// codes) or PostgreSQL's SQLSTATE 53100 `disk_full`. A caller can then
/// tell the user what happened, and try again later: the failed
/// transaction is rolled back and the connection stays usable.
pub fn is_disk_full(e: &sqlx::Error) -> bool {
    let Some(d) = e.as_database_error() else {
        return false;
    };
    matches!(d.code().as_deref(), Some("13" | "53100"))
}

/// Replaces the password of a URL with `***`.
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_string()
}

/// Opens a pool on `location`. `create` allows creating a missing SQLite
/// file (only `netra init` does, so a typo in `--db` is an error rather than
/// a new empty registry).
pub async fn connect(location: &Location, create: bool) -> Result<AnyPool, StoreError> {
    install_default_drivers();
    if let Location::Sqlite(p) = location
        && !create
        && !p.exists()
    {
        return Err(StoreError::Open {
            location: location.display(),
            reason: "no registry database here (create one with `netra init`)".into(),
        });
    }
    let url = location.url(create)?;
    let backend = location.backend();
    let max = match backend {
        // One writer at a time in SQLite; WAL lets readers run alongside.
        Backend::Sqlite => 4,
        Backend::Postgres => 8,
    };
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        // A connection handed out must not be inside a transaction. When a
        // write fails with SQLITE_FULL (disk full), SQLite rolls the
        // transaction back by itself; the ROLLBACK the driver then sends
        // fails ("no transaction is active") and the driver keeps counting
        // the connection as in a transaction, so every later BEGIN on it
        // fails: saves kept failing after the disk had space again, until
        // a restart. Such a connection is closed here and replaced by a
        // fresh one (a healthy connection whose rollback is still on its
        // way may be replaced too, which costs only a reconnect).
        .before_acquire(|conn, _meta| {
            Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) })
        })
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL: readers never block the writer and a crash never
                    // leaves a half-written transaction visible. NORMAL sync
                    // is durable at each checkpoint and safe from corruption
                    // in WAL mode. Foreign keys are on by default in sqlx, set
                    // here again so the guarantee does not depend on it.
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000; \
                         PRAGMA cache_size = -65536;",
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await
        .map_err(|e| StoreError::Open {
            location: location.display(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(
            Location::parse("postgres://u:pw@h/db"),
            Location::Postgres("postgres://u:pw@h/db".into())
        );
        assert_eq!(
            Location::parse("sqlite://x/y.db"),
            Location::Sqlite("x/y.db".into())
        );
        assert_eq!(Location::parse("reg.db"), Location::Sqlite("reg.db".into()));
        assert_eq!(
            Location::parse("postgresql://u:secret@h:5/db").display(),
            "postgresql://u:***@h:5/db"
        );
        let url = Location::parse("/tmp/a b?.db").url(true).unwrap();
        assert_eq!(url, "sqlite:///tmp/a%20b%3F.db?mode=rwc");
    }
}
