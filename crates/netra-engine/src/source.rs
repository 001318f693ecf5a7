//! Where the rows are: a CSV file (read by DataFusion with every column as
//! text, so netra's rules — not DataFusion's type inference — decide what a
//! cell means) or Parquet (a file, or a directory of part files, with the
//! types it was written with).

use std::path::{Path, PathBuf};

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{Expr, cast, lit, try_cast};
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, ident};

use crate::{Engine, EngineError};

/// The file format of a [`Source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text with a header row (comma; tab for `.tsv`/`.tab`).
    Csv,
    /// Apache Parquet: one file or a directory of `.parquet` files.
    Parquet,
}

/// A data set the engine reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// File or directory.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
}

impl Source {
    /// The source at `path`: Parquet for a `.parquet` file or a directory,
    /// CSV otherwise.
    pub fn at(path: &Path) -> Source {
        let parquet = path.is_dir()
            || path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        Source {
            path: path.to_path_buf(),
            format: if parquet {
                Format::Parquet
            } else {
                Format::Csv
            },
        }
    }

    fn delimiter(&self) -> u8 {
        match self.path.extension().and_then(|e| e.to_str()) {
            Some("tsv") | Some("tab") => b'\t',
            _ => b',',
        }
    }

    /// The header of a CSV file: names trimmed, a byte-order mark removed
    /// (as `netra_frame` reads them).
    fn csv_header(&self) -> Result<Vec<String>, EngineError> {
        let file = std::fs::File::open(&self.path)
            .map_err(|e| EngineError::data(format!("cannot open {}: {e}", self.path.display())))?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter())
            .has_headers(true)
            .from_reader(std::io::BufReader::new(file));
        let header = reader.headers().map_err(|e| {
            EngineError::data(format!(
                "{}: cannot read the header at line 1: {e}",
                self.path.display()
            ))
        })?;
        Ok(header
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect())
    }
}

/// A source opened as a DataFrame, with the typed column expressions the
/// plans are built from.
pub(crate) struct Table {
    pub df: DataFrame,
    name: String,
}

impl Table {
    /// Opens `source` in the engine's session.
    pub async fn open(engine: &Engine, source: &Source) -> Result<Table, EngineError> {
        let path = source.path.to_str().ok_or_else(|| {
            EngineError::data(format!("{}: the path is not UTF-8", source.path.display()))
        })?;
        let df = match source.format {
            Format::Csv => {
                let fields: Vec<Field> = source
                    .csv_header()?
                    .into_iter()
                    .map(|n| Field::new(n, DataType::Utf8, true))
                    .collect();
                let schema = Schema::new(fields);
                let ext = source
                    .path
                    .extension()
                    .and_then(|e| e.to_str())
                    .map_or(String::new(), |e| format!(".{e}"));
                let options = CsvReadOptions::new()
                    .has_header(true)
                    .delimiter(source.delimiter())
                    .schema(&schema)
                    .file_extension(&ext);
                engine.ctx.read_csv(path, options).await?
            }
            Format::Parquet => {
                let df = engine
                    .ctx
                    .read_parquet(path, ParquetReadOptions::default())
                    .await?;
                let declared = df.schema().as_arrow();
                if declared.fields().iter().all(|f| f.is_nullable()) {
                    df
                } else {
                    // Read as nullable: with columns declared non-nullable
                    // (as many writers do), the plans of the Cox passes
                    // stopped at DataFusion's check that the physical and
                    // logical schemas agree ("field nullability … true vs
                    // false" on a common subexpression). Every value is
                    // read as before; only the declaration differs.
                    let fields: Vec<Field> = declared
                        .fields()
                        .iter()
                        .map(|f| f.as_ref().clone().with_nullable(true))
                        .collect();
                    let schema = Schema::new(fields);
                    let options = ParquetReadOptions::default().schema(&schema);
                    engine.ctx.read_parquet(path, options).await?
                }
            }
        };
        Ok(Table {
            df,
            name: source.path.display().to_string(),
        })
    }

    pub(crate) fn data_type(&self, column: &str) -> Result<DataType, EngineError> {
        self.df
            .schema()
            .fields()
            .iter()
            .find(|f| f.name() == column)
            .map(|f| f.data_type().clone())
            .ok_or_else(|| {
                let names: Vec<&str> = self
                    .df
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .collect();
                EngineError::data(format!(
                    "{}: no column '{column}' (columns: {})",
                    self.name,
                    names.join(", ")
                ))
            })
    }

    fn is_text(&self, column: &str) -> Result<bool, EngineError> {
        Ok(matches!(
            self.data_type(column)?,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ))
    }

    /// The column as text (untrimmed; null when absent): the key of a
    /// `GROUP BY` whose few distinct values the driver reads by netra's
    /// rules.
    pub fn text(&self, column: &str) -> Result<Expr, EngineError> {
        self.data_type(column)?;
        Ok(cast(ident(column), DataType::Utf8))
    }

    /// The column as a time key: text for a CSV (parsed by the driver from
    /// the distinct values), `Float64` otherwise.
    pub fn time_key(&self, column: &str) -> Result<Expr, EngineError> {
        Ok(if self.is_text(column)? {
            cast(ident(column), DataType::Utf8)
        } else {
            cast(ident(column), DataType::Float64)
        })
    }

    /// True when the cell is missing: null, or (text) empty, `NA` or `NaN`
    /// after trimming, or (floating point) NaN.
    pub fn missing(&self, column: &str) -> Result<Expr, EngineError> {
        let e = ident(column);
        Ok(if self.is_text(column)? {
            let t = datafusion::functions::string::expr_fn::btrim(vec![cast(e, DataType::Utf8)]);
            let tokens: Vec<Expr> = netra_frame::MISSING_TOKENS
                .iter()
                .map(|s| lit(*s))
                .collect();
            t.clone().is_null().or(t.in_list(tokens, false))
        } else if matches!(
            self.data_type(column)?,
            DataType::Float64 | DataType::Float32 | DataType::Float16
        ) {
            let f = cast(e.clone(), DataType::Float64);
            e.is_null()
                .or(datafusion::functions::math::expr_fn::isnan(f).is_true())
        } else {
            e.is_null()
        })
    }

    /// The column as a number (`Float64`; null when missing or not a
    /// number: the caller counts those with [`Table::missing`] to tell
    /// them apart).
    pub fn number(&self, column: &str) -> Result<Expr, EngineError> {
        let e = ident(column);
        Ok(if self.is_text(column)? {
            let t = datafusion::functions::string::expr_fn::btrim(vec![cast(e, DataType::Utf8)]);
            try_cast(t, DataType::Float64)
        } else {
            try_cast(e, DataType::Float64)
        })
    }
}

/// A boolean as 0/1 (for `sum` of conditions).
pub(crate) fn indicator(condition: Expr) -> Expr {
    datafusion::logical_expr::when(condition, lit(1i64))
        .otherwise(lit(0i64))
        .unwrap_or_else(|_| lit(ScalarValue::Int64(Some(0))))
}
