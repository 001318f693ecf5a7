//! Server settings as stored (`web_setting`, migration 0003): named texts
//! such as the key of the analysts' patient pseudonyms.

use sqlx::Row;

use crate::{Registry, StoreError};

impl Registry {
    /// The setting `name`, storing `initial` first when it has none: two
    /// servers starting at once both try, the first insert wins (the
    /// primary key) and both read the same value back.
    pub async fn setting_or_insert(&self, name: &str, initial: &str) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO web_setting (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(initial)
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query("SELECT value FROM web_setting WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }
}
