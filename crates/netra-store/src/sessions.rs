//! The web application's sessions as stored (`web_session`, migration
//! 0003): the SHA-256 of the cookie token (a copy of the database opens no
//! live session), the account, the CSRF token and Unix-second times.
//! Tokens, expiry rules and cookies belong to `netra-server`'s `session`;
//! this module only reads and writes rows.

use sqlx::Row;

use crate::{Registry, StoreError};

/// A session row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// SHA-256 (hex) of the cookie's token: the primary key.
    pub token_hash: String,
    /// The account.
    pub username: String,
    /// The synchronizer (CSRF) token.
    pub csrf: String,
    /// Unix seconds of the login.
    pub created_at: i64,
    /// Unix seconds of the last request written as seen.
    pub last_seen: i64,
}

impl Registry {
    /// Stores a new session (its `last_seen` is its `created_at`); the
    /// client address is kept for the administrator's view.
    pub async fn insert_session(
        &self,
        token_hash: &str,
        username: &str,
        csrf: &str,
        now: i64,
        client: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO web_session (token_hash, username, csrf_token, created_at, last_seen, \
             client) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(username)
        .bind(csrf)
        .bind(now)
        .bind(now)
        .bind(client)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session of a token hash, or `None`.
    pub async fn session(&self, token_hash: &str) -> Result<Option<StoredSession>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT username, csrf_token, created_at, last_seen FROM web_session \
             WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(StoredSession {
            token_hash: token_hash.to_string(),
            username: row.try_get(0)?,
            csrf: row.try_get(1)?,
            created_at: row.try_get(2)?,
            last_seen: row.try_get(3)?,
        }))
    }

    /// Records activity of a session at `now` (Unix seconds).
    pub async fn touch_session(&self, token_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE web_session SET last_seen = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends a session (nothing happens for an unknown hash).
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM web_session WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes the sessions last seen at or before `seen_by`, or created
    /// before `created_before` (Unix seconds; the caller states its expiry
    /// rule in these two bounds), and returns how many.
    pub async fn purge_sessions(
        &self,
        seen_by: i64,
        created_before: i64,
    ) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM web_session WHERE last_seen <= $1 OR created_at < $2")
                .bind(seen_by)
                .bind(created_before)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}
