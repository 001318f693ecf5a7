//! The write transaction of an import: the `sqlx` pool's (PostgreSQL,
//! synced and expecting imports) or a dedicated `rusqlite` connection's
//! (SQLite, [`crate::lite_tx`]). The import drivers ([`crate::import`],
//! [`crate::import_blocks`]) run the same steps on either; each step that
//! touches the database is a method here with one arm per connection.

use std::path::Path;

use futures_util::TryStreamExt;
use netra_clinical::registry::schema::{Entity, Value};
use sqlx::{Any, AnyPool, Transaction};

use crate::StoreError;
use crate::check::Stored;
use crate::db::Backend;
use crate::lite_tx::LiteTx;
use crate::rows::decode_row;
use crate::sql;

/// An import's write transaction.
pub(crate) enum WriteTx {
    /// Through the pool.
    Sqlx(Transaction<'static, Any>),
    /// On a `rusqlite` connection of its own (SQLite only).
    Lite(LiteTx),
}

impl WriteTx {
    /// Begins a write transaction: on `lite` (the SQLite file and the page
    /// cache its connection may use) when given, else through the pool
    /// ([`crate::import::begin_write`]).
    pub async fn begin(
        pool: &AnyPool,
        backend: Backend,
        lite: Option<(&Path, u64)>,
    ) -> Result<WriteTx, StoreError> {
        match lite {
            Some((path, cache_bytes)) if backend == Backend::Sqlite => {
                let alone = crate::lite_tx::first_import_alone(pool).await?;
                Ok(WriteTx::Lite(
                    LiteTx::begin(path, cache_bytes, alone).await?,
                ))
            }
            _ => Ok(WriteTx::Sqlx(
                crate::import::begin_write(pool, backend).await?,
            )),
        }
    }

    /// The pool's transaction, for the steps only the `sqlx` path has
    /// (keeping the registry in step with a source).
    pub fn sqlx(&mut self) -> Result<&mut Transaction<'static, Any>, StoreError> {
        match self {
            WriteTx::Sqlx(tx) => Ok(tx),
            WriteTx::Lite(_) => Err(StoreError::Refused(
                "internal: a synced import runs through the pool".into(),
            )),
        }
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            WriteTx::Sqlx(tx) => Ok(tx.commit().await?),
            WriteTx::Lite(tx) => tx.commit(),
        }
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self {
            WriteTx::Sqlx(tx) => Ok(tx.rollback().await?),
            WriteTx::Lite(tx) => tx.rollback(),
        }
    }

    /// Adds what the registry holds of `entities` to `stored`; with
    /// `range`, only the rows whose patient code is in `[from, to)`
    /// (compared as bytes, as the blocks were cut).
    pub async fn load_stored(
        &mut self,
        backend: Backend,
        stored: &mut Stored,
        entities: &[Entity],
        range: Option<(Option<&str>, Option<&str>)>,
    ) -> Result<(), StoreError> {
        let tx = match self {
            WriteTx::Lite(lite) => return lite.load_stored(stored, entities, range),
            WriteTx::Sqlx(tx) => tx,
        };
        let (from, to) = range.unwrap_or((None, None));
        // Codes compare as bytes (SQLite's BINARY).
        let col = match backend {
            Backend::Sqlite => "patient",
            Backend::Postgres => "patient COLLATE \"C\"",
        };
        let mut conds: Vec<String> = Vec::new();
        if from.is_some() {
            conds.push(format!("{col} >= $1"));
        }
        if to.is_some() {
            conds.push(format!("{col} < ${}", conds.len() + 1));
        }
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        };
        for &e in entities {
            let spec = e.spec();
            let q = format!(
                "SELECT {} FROM {}{filter}",
                sql::column_list(spec),
                spec.table
            );
            let mut query = sqlx::query(&q);
            for b in [from, to].into_iter().flatten() {
                query = query.bind(b);
            }
            let mut rows = query.fetch(&mut **tx);
            while let Some(row) = rows.try_next().await? {
                let values = decode_row(spec, &row)?;
                stored.add(e, &values);
            }
        }
        Ok(())
    }

    /// The stored rows of `entity` for one patient, in key order.
    pub async fn rows_of_patient(
        &mut self,
        backend: Backend,
        entity: Entity,
        code: &str,
    ) -> Result<Vec<Vec<Value>>, StoreError> {
        let tx = match self {
            WriteTx::Lite(lite) => return lite.rows_of_patient(entity, code),
            WriteTx::Sqlx(tx) => tx,
        };
        let spec = entity.spec();
        let q = format!(
            "SELECT {} FROM {} WHERE patient = $1 {}",
            sql::column_list(spec),
            spec.table,
            sql::order_by_key(spec, backend)
        );
        let rows = sqlx::query(&q).bind(code).fetch_all(&mut **tx).await?;
        rows.iter().map(|r| decode_row(spec, r)).collect()
    }

    /// The stored row of a key (values of the key columns in key order).
    pub async fn fetch_by_key(
        &mut self,
        entity: Entity,
        key_values: &[Value],
    ) -> Result<Option<Vec<Value>>, StoreError> {
        match self {
            WriteTx::Lite(lite) => lite.fetch_by_key(entity, key_values),
            WriteTx::Sqlx(tx) => crate::import::fetch_by_key(tx, entity, key_values).await,
        }
    }

    /// Updates every non-key column of the stored row of `key_values`.
    pub async fn update(
        &mut self,
        entity: Entity,
        new: &[Value],
        key_values: &[Value],
    ) -> Result<(), StoreError> {
        let spec = entity.spec();
        let tx = match self {
            WriteTx::Lite(lite) => return lite.update(spec, new, key_values),
            WriteTx::Sqlx(tx) => tx,
        };
        let sql_text = sql::update(spec);
        let mut q = sqlx::query(&sql_text);
        for (c, v) in spec.columns.iter().zip(new) {
            if !spec.key.contains(&c.name) {
                q = crate::rows::bind(q, &c.kind, false, v);
            }
        }
        for (k, v) in spec.key.iter().zip(key_values) {
            let c = spec.column(k).expect("key column");
            q = crate::rows::bind(q, &c.kind, true, v);
        }
        q.execute(&mut **tx).await?;
        Ok(())
    }
}
