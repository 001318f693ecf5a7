//! Versioned schema migrations.
//!
//! Each migration has a version, a name, SQL common to both backends and,
//! where the dialects differ (triggers), a SQLite and a PostgreSQL part. They
//! are embedded in the binary, applied in order inside one transaction each,
//! and recorded in `schema_migrations` with a SHA-256 checksum of the SQL
//! that ran. A shipped migration is never edited: opening a registry whose
//! recorded checksum differs from the embedded one is an error, and so is a
//! registry migrated by a newer netra.
//!
//! Why not `sqlx::migrate!`: its migrations are one SQL text for every
//! backend, while the append-only guard of the audit log needs a trigger per
//! dialect; the runner below is small and keeps the rule "one transaction
//! per migration" explicit on both backends.

use sha2::{Digest, Sha256};
use sqlx::{AnyPool, Row};

use crate::StoreError;
use crate::db::Backend;

/// One schema migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Version, starting at 1, without gaps.
    pub version: i64,
    /// What it does.
    pub name: &'static str,
    /// SQL for both backends.
    pub common: &'static str,
    /// SQL for SQLite only.
    pub sqlite: &'static str,
    /// SQL for PostgreSQL only.
    pub postgres: &'static str,
}

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "registry tables",
        common: "",
        sqlite: include_str!("../migrations/0001_registry.sqlite.sql"),
        postgres: include_str!("../migrations/0001_registry.postgres.sql"),
    },
    Migration {
        version: 2,
        name: "audit log (append-only, hash-chained)",
        common: include_str!("../migrations/0002_audit.sql"),
        sqlite: include_str!("../migrations/0002_audit.sqlite.sql"),
        postgres: include_str!("../migrations/0002_audit.postgres.sql"),
    },
    Migration {
        version: 3,
        name: "web accounts, sessions and security events",
        common: include_str!("../migrations/0003_web.sql"),
        sqlite: include_str!("../migrations/0003_web.sqlite.sql"),
        postgres: include_str!("../migrations/0003_web.postgres.sql"),
    },
    Migration {
        version: 4,
        name: "registry model, second version (date ranges, grading systems, treatment details)",
        common: "",
        sqlite: include_str!("../migrations/0004_model_v2.sqlite.sql"),
        postgres: include_str!("../migrations/0004_model_v2.postgres.sql"),
    },
    Migration {
        version: 5,
        name: "provenance of imported records (which source created each)",
        common: include_str!("../migrations/0005_provenance.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 6,
        name: "registry model, third step (marker results, immunohistochemistry, genetics, quality of life, comorbidities)",
        common: "",
        sqlite: include_str!("../migrations/0006_model_v3.sqlite.sql"),
        postgres: include_str!("../migrations/0006_model_v3.postgres.sql"),
    },
];

impl Migration {
    /// The SQL that runs on `backend`.
    pub fn sql(&self, backend: Backend) -> String {
        let extra = match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        };
        format!("{}\n{}", self.common, extra)
    }

    /// SHA-256 (hex) of the SQL that runs on `backend`.
    pub fn checksum(&self, backend: Backend) -> String {
        hex(&Sha256::digest(self.sql(backend).as_bytes()))
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)";

/// The migration state of a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Versions applied.
    pub applied: Vec<i64>,
    /// Versions known to this build and not yet applied.
    pub pending: Vec<i64>,
}

async fn applied(pool: &AnyPool, backend: Backend) -> Result<Vec<i64>, StoreError> {
    let exists: i64 = match backend {
        Backend::Sqlite => sqlx::query(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        )
        .fetch_one(pool)
        .await?
        .try_get(0)?,
        Backend::Postgres => sqlx::query(
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'schema_migrations'",
        )
        .fetch_one(pool)
        .await?
        .try_get(0)?,
    };
    if exists == 0 {
        return Ok(Vec::new());
    }
    let rows = sqlx::query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        .fetch_all(pool)
        .await?;
    let mut versions = Vec::new();
    for row in rows {
        let version: i64 = row.try_get(0)?;
        let checksum: String = row.try_get(1)?;
        match MIGRATIONS.iter().find(|m| m.version == version) {
            None => {
                return Err(StoreError::Migration(format!(
                    "the registry has schema version {version}, which this netra does not know \
                     (it was migrated by a newer netra)"
                )));
            }
            Some(m) if m.checksum(backend) != checksum => {
                return Err(StoreError::Migration(format!(
                    "migration {version} ({}) applied to this registry differs from the one \
                     shipped with this netra (checksum mismatch)",
                    m.name
                )));
            }
            Some(_) => versions.push(version),
        }
    }
    Ok(versions)
}

/// Which migrations are applied and which are pending.
pub async fn status(pool: &AnyPool, backend: Backend) -> Result<MigrationStatus, StoreError> {
    let applied = applied(pool, backend).await?;
    let pending = MIGRATIONS
        .iter()
        .map(|m| m.version)
        .filter(|v| !applied.contains(v))
        .collect();
    Ok(MigrationStatus { applied, pending })
}

/// Applies every pending migration, each in its own transaction; returns
/// the versions applied.
pub async fn run(pool: &AnyPool, backend: Backend) -> Result<Vec<i64>, StoreError> {
    sqlx::query(CREATE_TABLE).execute(pool).await?;
    let done = applied(pool, backend).await?;
    let mut ran = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        let mut tx = pool.begin().await?;
        sqlx::raw_sql(&m.sql(backend))
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                StoreError::Migration(format!("migration {} ({}) failed: {e}", m.version, m.name))
            })?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(m.checksum(backend))
        .bind(crate::audit::now_utc())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        ran.push(m.version);
    }
    Ok(ran)
}
