//! Exporting the registry as a bundle: every table to its CSV file, every
//! column, rows in natural-key order, canonical value texts. Reading the
//! export back and exporting again gives byte-identical files.

use std::path::Path;

use futures_util::TryStreamExt;
use netra_clinical::registry::schema::Entity;
use sqlx::AnyPool;

use crate::StoreError;
use crate::db::Backend;
use crate::rows::decode_row;
use crate::sql;

/// Rows written per entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// (entity, rows) in entity order.
    pub entities: Vec<(Entity, usize)>,
}

pub(crate) async fn export(
    pool: &AnyPool,
    backend: Backend,
    dir: &Path,
) -> Result<ExportReport, StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir.display(), e))?;
    // One read transaction: every file reflects the same moment.
    let mut tx = pool.begin().await?;
    let mut report = ExportReport {
        entities: Vec::new(),
    };
    for entity in Entity::ALL {
        let spec = entity.spec();
        let path = dir.join(spec.file);
        let file = std::fs::File::create(&path).map_err(|e| StoreError::io(path.display(), e))?;
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
        let io = |e: csv::Error| StoreError::io(path.display(), e);
        w.write_record(spec.columns.iter().map(|c| c.name))
            .map_err(io)?;
        let q = format!(
            "SELECT {} FROM {} {}",
            sql::column_list(spec),
            spec.table,
            sql::order_by_key(spec, backend)
        );
        let mut rows = sqlx::query(&q).fetch(&mut *tx);
        let mut n = 0;
        let mut record: Vec<String> = Vec::with_capacity(spec.columns.len());
        while let Some(row) = rows.try_next().await? {
            let values = decode_row(spec, &row)?;
            record.clear();
            record.extend(values.iter().map(|v| v.to_text().unwrap_or_default()));
            w.write_record(&record).map_err(io)?;
            n += 1;
        }
        w.flush().map_err(|e| StoreError::io(path.display(), e))?;
        report.entities.push((entity, n));
    }
    tx.commit().await?;
    Ok(report)
}
