//! An OMOP CDM schema in PostgreSQL read as the tables of an extract
//! (`netra import omop --postgres URL --schema NAME`): each table the
//! caller names, with the columns of it that exist, as CSV text for the
//! same converter that reads an extract's CSV files
//! (`netra_ingest::omop`). The SQL stays here, as all of netra's SQL does.
//!
//! Why CSV text: the converter already checks every cell with its file,
//! line and column, so a schema gives the same precise refusals as files,
//! and nothing about the CDM's rules has to be repeated here. Every value
//! is read as `::text` (PostgreSQL prints dates as `YYYY-MM-DD`, numbers
//! without loss), rows in the order of the table's first column (its id),
//! so that "row n" means the same thing on every run.
//!
//! The CONCEPT table of a real CDM holds the whole vocabulary (millions of
//! rows); only the concepts the converter can use are read: the local ones
//! (id ≥ 2,000,000,000, OMOP's range for a site's own concepts), those of
//! vocabulary `netra`, and the standard ids the caller lists.

use sqlx::{AnyPool, Row};

use crate::db::redact;
use crate::error::StoreError;

/// One table read from the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaTable {
    /// The table's name (`person`).
    pub name: String,
    /// Header and rows as CSV text (header: the columns present, in the
    /// order asked for).
    pub csv: Vec<u8>,
    /// Number of rows.
    pub rows: usize,
}

/// A schema (or table) name as a quoted SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Reads `tables` (name, the columns netra reads, in order) from `schema`
/// of the PostgreSQL database at `url`. A table absent from the schema is
/// left out (the converter says which ones it needs); so is a column
/// absent from a table (the converter names a required one). `concept_ids`:
/// the standard concept ids to read from `concept` besides the local ones.
pub async fn read_omop_schema(
    url: &str,
    schema: &str,
    tables: &[(&str, &[&str])],
    concept_ids: &[i64],
) -> Result<Vec<SchemaTable>, StoreError> {
    sqlx::any::install_default_drivers();
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(StoreError::Open {
            location: redact(url),
            reason: "an OMOP schema is read from PostgreSQL: give a postgres:// URL".into(),
        });
    }
    let pool = AnyPool::connect(url).await.map_err(|e| StoreError::Open {
        location: redact(url),
        reason: e.to_string(),
    })?;
    let result = read_all(&pool, schema, tables, concept_ids).await;
    pool.close().await;
    result
}

async fn read_all(
    pool: &AnyPool,
    schema: &str,
    tables: &[(&str, &[&str])],
    concept_ids: &[i64],
) -> Result<Vec<SchemaTable>, StoreError> {
    let exists = sqlx::query("SELECT 1 FROM information_schema.schemata WHERE schema_name = $1")
        .bind(schema)
        .fetch_optional(pool)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound(format!(
            "the database has no schema '{schema}'"
        )));
    }
    let mut out = Vec::new();
    for (table, wanted) in tables {
        let present: Vec<String> = sqlx::query(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = $2",
        )
        .bind(schema)
        .bind(*table)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
        if present.is_empty() {
            continue;
        }
        let cols: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|c| present.iter().any(|p| p == c))
            .collect();
        if cols.is_empty() {
            continue;
        }
        let select = cols
            .iter()
            .map(|c| format!("{}::text", ident(c)))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = format!("SELECT {select} FROM {}.{}", ident(schema), ident(table));
        if *table == "concept" && cols.contains(&"concept_id") {
            let mut listed: Vec<String> = concept_ids.iter().map(i64::to_string).collect();
            listed.push("0".into());
            sql.push_str(&format!(
                " WHERE concept_id >= 2000000000 OR concept_id IN ({})",
                listed.join(", ")
            ));
            if cols.contains(&"vocabulary_id") {
                sql.push_str(" OR vocabulary_id = 'netra'");
            }
        }
        // the order of the ids; ties (episode_event) by the next columns
        let order = cols
            .iter()
            .take(2)
            .map(|c| ident(c))
            .collect::<Vec<_>>()
            .join(", ");
        sql.push_str(&format!(" ORDER BY {order}"));
        let rows = sqlx::query(&sql).fetch_all(pool).await?;
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let io = |e: csv::Error| StoreError::Io {
            path: format!("{schema}.{table}"),
            reason: e.to_string(),
        };
        w.write_record(&cols).map_err(io)?;
        for r in &rows {
            let mut cells = Vec::with_capacity(cols.len());
            for i in 0..cols.len() {
                cells.push(r.try_get::<Option<String>, _>(i)?.unwrap_or_default());
            }
            w.write_record(&cells).map_err(io)?;
        }
        let csv = w.into_inner().map_err(|e| StoreError::Io {
            path: format!("{schema}.{table}"),
            reason: e.to_string(),
        })?;
        out.push(SchemaTable {
            name: table.to_string(),
            csv,
            rows: rows.len(),
        });
    }
    Ok(out)
}
