//! The web application's accounts as stored (`web_user`, `web_user_site`)
//! and its security log (`web_event`), migration 0003.
//!
//! These are not registry records: they are not exported and not part of
//! the audit chain (account changes and logins are logged in `web_event`
//! instead, by the caller). What an account may do, password hashing and
//! the checks of names and roles belong to the web application
//! (`netra-server`'s `accounts`); this module only reads and writes rows,
//! so that all SQL lives in the store.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Registry, StoreError};

/// An account as stored, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Login name (the primary key).
    pub username: String,
    /// Name shown on pages.
    pub display_name: Option<String>,
    /// The role code (`administrator`, `data_manager`, `investigator`,
    /// `analyst`; the table's CHECK constraint allows no other).
    pub role: String,
    /// The account's sites, in byte order (empty for roles that work on
    /// every site).
    pub sites: Vec<String>,
    /// Inactive accounts cannot log in.
    pub active: bool,
}

/// An account to insert.
#[derive(Debug, Clone, Copy)]
pub struct NewAccount<'a> {
    /// Login name.
    pub username: &'a str,
    /// Name shown on pages.
    pub display_name: Option<&'a str>,
    /// The role code.
    pub role: &'a str,
    /// An already computed password hash (PHC string).
    pub password_hash: &'a str,
    /// The account's sites (each must exist: foreign key).
    pub sites: &'a [String],
    /// RFC 3339 UTC time of the creation (also the password's time).
    pub at: &'a str,
}

/// What an administrator changes about an account.
#[derive(Debug, Clone, Copy)]
pub struct AccountChange<'a> {
    /// The role code.
    pub role: &'a str,
    /// The sites, replacing the old ones.
    pub sites: &'a [String],
    /// False deactivates the account.
    pub active: bool,
    /// Name shown on pages.
    pub display_name: Option<&'a str>,
}

/// One security event to append (texts already bounded by the caller).
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    /// RFC 3339 UTC time.
    pub at: &'a str,
    /// Account concerned.
    pub username: Option<&'a str>,
    /// `login`, `login_failed`, `user_created`, …
    pub event: &'a str,
    /// Details.
    pub detail: Option<&'a str>,
    /// Client address.
    pub client: Option<&'a str>,
}

/// One stored security event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// RFC 3339 UTC time.
    pub at: String,
    /// Account concerned.
    pub username: Option<String>,
    /// What happened.
    pub event: String,
    /// Details.
    pub detail: Option<String>,
    /// Client address.
    pub client: Option<String>,
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

fn account_from_row(row: &AnyRow, sites: Vec<String>) -> Result<Account, StoreError> {
    Ok(Account {
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: row.try_get("role")?,
        sites,
        active: row.try_get::<i64, _>("active")? != 0,
    })
}

impl Registry {
    /// Inserts an account and its sites in one transaction. `Ok(false)`
    /// when an account of that name exists already: of simultaneous
    /// creates of one name, the primary key lets exactly one succeed.
    pub async fn insert_account(&self, new: &NewAccount<'_>) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO web_user (username, display_name, role, password_hash, active, \
             created_at, password_changed_at) VALUES ($1, $2, $3, $4, 1, $5, $6)",
        )
        .bind(new.username)
        .bind(new.display_name)
        .bind(new.role)
        .bind(new.password_hash)
        .bind(new.at)
        .bind(new.at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => return Ok(false),
            other => other?,
        };
        for s in new.sites {
            sqlx::query("INSERT INTO web_user_site (username, site) VALUES ($1, $2)")
                .bind(new.username)
                .bind(s.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The sites of one account, in byte order.
    async fn account_sites(&self, username: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT site FROM web_user_site WHERE username = $1 ORDER BY site")
            .bind(username)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?)
    }

    /// The account `username` and its password hash, or `None`.
    pub async fn account(&self, username: &str) -> Result<Option<(Account, String)>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT username, display_name, role, password_hash, active FROM web_user \
             WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let sites = self.account_sites(username).await?;
        let hash: String = row.try_get("password_hash")?;
        Ok(Some((account_from_row(&row, sites)?, hash)))
    }

    /// Every account, by name.
    pub async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query(
            "SELECT username, display_name, role, active FROM web_user ORDER BY username",
        )
        .fetch_all(&self.pool)
        .await?;
        let site_rows =
            sqlx::query("SELECT username, site FROM web_user_site ORDER BY username, site")
                .fetch_all(&self.pool)
                .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let name: String = r.try_get("username")?;
            let sites = site_rows
                .iter()
                .filter(|s| s.try_get::<String, _>(0).is_ok_and(|u| u == name))
                .filter_map(|s| s.try_get::<String, _>(1).ok())
                .collect();
            out.push(account_from_row(r, sites)?);
        }
        Ok(out)
    }

    /// Number of accounts.
    pub async fn count_accounts(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) FROM web_user")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    /// Changes an account's role, sites, activity and display name, and
    /// ends its sessions (the new rights apply at the next login), in one
    /// transaction. `Ok(false)` when there is no such account.
    pub async fn update_account(
        &self,
        username: &str,
        change: &AccountChange<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE web_user SET role = $1, active = $2, display_name = $3 WHERE username = $4",
        )
        .bind(change.role)
        .bind(i64::from(change.active))
        .bind(change.display_name)
        .bind(username)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM web_user_site WHERE username = $1")
            .bind(username)
            .execute(&mut *tx)
            .await?;
        for s in change.sites {
            sqlx::query("INSERT INTO web_user_site (username, site) VALUES ($1, $2)")
                .bind(username)
                .bind(s.as_str())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM web_session WHERE username = $1")
            .bind(username)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces an account's password hash (changed at `at`, RFC 3339) and
    /// ends its sessions except the one whose token hash is `keep` (the
    /// session that made the change), in one transaction. `Ok(false)` when
    /// there is no such account.
    pub async fn set_password_hash(
        &self,
        username: &str,
        password_hash: &str,
        at: &str,
        keep: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE web_user SET password_hash = $1, password_changed_at = $2 WHERE username = $3",
        )
        .bind(password_hash)
        .bind(at)
        .bind(username)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM web_session WHERE username = $1 AND token_hash <> $2")
            .bind(username)
            .bind(keep.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Appends a security event.
    pub async fn log_event(&self, e: &NewEvent<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO web_event (at, username, event, detail, client) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(e.at)
        .bind(e.username)
        .bind(e.event)
        .bind(e.detail)
        .bind(e.client)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The most recent `limit` security events, newest first.
    pub async fn recent_events(&self, limit: i64) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, username, event, detail, client FROM web_event ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Event {
                    at: r.try_get(0)?,
                    username: r.try_get(1)?,
                    event: r.try_get(2)?,
                    detail: r.try_get(3)?,
                    client: r.try_get(4)?,
                })
            })
            .collect()
    }
}
