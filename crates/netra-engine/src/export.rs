//! Tables written as Parquet (`netra export --parquet DIR`).
//!
//! The registry already exports itself as a bundle of CSV files (one per
//! entity, the import format); this module turns each such table into a
//! Parquet data set: a directory `DIR/<table>/` of part files, several when
//! the table is large (the scan streams record batches and a file is closed
//! after `rows_per_file` rows), so that a
//! 10⁸-row table is written and later read in bounded memory. Column types
//! are inferred from *every* row of the CSV (a column is a number only when
//! all its cells are), and stay text otherwise, so nothing is lost.

use std::path::{Path, PathBuf};

use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::CsvReadOptions;
use futures_util::StreamExt;

use crate::{Engine, EngineError};

/// One table written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Table name (the CSV file's stem).
    pub table: String,
    /// Directory of its part files.
    pub dir: PathBuf,
    /// Rows written.
    pub rows: u64,
    /// Part files written.
    pub files: usize,
}

impl Engine {
    /// Writes `csv` (a file with a header row) as the Parquet data set
    /// `out_dir` (created; part files `*.parquet`), at most about
    /// `rows_per_file` rows per file.
    pub fn csv_to_parquet(
        &self,
        csv: &Path,
        out_dir: &Path,
        rows_per_file: usize,
    ) -> Result<Written, EngineError> {
        let table = csv
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("table")
            .to_string();
        let src = csv.to_str().ok_or_else(|| {
            EngineError::data(format!("{}: the path is not UTF-8", csv.display()))
        })?;
        std::fs::create_dir_all(out_dir)
            .map_err(|e| EngineError::data(format!("cannot create {}: {e}", out_dir.display())))?;
        // Old part files would be read as part of the table: remove them.
        if let Ok(entries) = std::fs::read_dir(out_dir) {
            for e in entries.flatten() {
                if e.path().extension().is_some_and(|x| x == "parquet") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let ctx = self.ctx.clone();
        let ext = csv
            .extension()
            .and_then(|e| e.to_str())
            .map_or(String::new(), |e| format!(".{e}"));
        let per_file = u64::try_from(rows_per_file.max(1)).unwrap_or(u64::MAX);
        let label = table.clone();
        let rows = self.block_on(async move {
            let table = label;
            let options = CsvReadOptions::new()
                .has_header(true)
                .file_extension(&ext)
                .schema_infer_max_records(usize::MAX)
                // Bundle cells may hold line breaks inside quotes.
                .newlines_in_values(true);
            let df = ctx.read_csv(src, options).await?;
            let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
            let mut stream = df.execute_stream().await?;
            let mut rows = 0u64;
            let mut part = 0usize;
            let mut writer: Option<(ArrowWriter<std::fs::File>, u64)> = None;
            let open = |part: usize| -> Result<ArrowWriter<std::fs::File>, EngineError> {
                let path = out_dir.join(format!("part-{part:05}.parquet"));
                let file = std::fs::File::create(&path).map_err(|e| {
                    EngineError::data(format!("cannot create {}: {e}", path.display()))
                })?;
                ArrowWriter::try_new(file, schema.clone(), None)
                    .map_err(|e| EngineError::data(format!("{}: {e}", path.display())))
            };
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                let mut offset = 0usize;
                // A batch may straddle files: each file gets at most
                // `per_file` rows.
                while offset < batch.num_rows() {
                    if writer.is_none() {
                        writer = Some((open(part)?, 0));
                        part += 1;
                    }
                    let Some((w, n)) = writer.as_mut() else { break };
                    let room = usize::try_from(per_file - *n).unwrap_or(usize::MAX);
                    let take = room.min(batch.num_rows() - offset);
                    w.write(&batch.slice(offset, take))
                        .map_err(|e| EngineError::data(format!("{table}: {e}")))?;
                    *n += take as u64;
                    rows += take as u64;
                    offset += take;
                    if *n >= per_file
                        && let Some((w, _)) = writer.take()
                    {
                        w.close()
                            .map_err(|e| EngineError::data(format!("{table}: {e}")))?;
                    }
                }
            }
            match writer.take() {
                Some((w, _)) => {
                    w.close()
                        .map_err(|e| EngineError::data(format!("{table}: {e}")))?;
                }
                // An empty table still gets its (empty) file with the columns.
                None if part == 0 => {
                    open(0)?
                        .close()
                        .map_err(|e| EngineError::data(format!("{table}: {e}")))?;
                }
                None => {}
            }
            Ok::<_, EngineError>(rows)
        })?;
        let files = std::fs::read_dir(out_dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "parquet"))
                    .count()
            })
            .unwrap_or(0);
        Ok(Written {
            table,
            dir: out_dir.to_path_buf(),
            rows,
            files,
        })
    }

    /// Every `*.csv` of `bundle` as `out/<name>/` Parquet data sets, in name
    /// order.
    pub fn bundle_to_parquet(
        &self,
        bundle: &Path,
        out: &Path,
        rows_per_file: usize,
    ) -> Result<Vec<Written>, EngineError> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(bundle)
            .map_err(|e| EngineError::data(format!("cannot read {}: {e}", bundle.display())))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("table");
                self.csv_to_parquet(f, &out.join(stem), rows_per_file)
            })
            .collect()
    }
}
