//! Errors of the store, and the problems an import reports.

use std::fmt;

use netra_clinical::registry::model::ModelError;

/// One problem of a bundle, located the way a data manager finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// File name within the bundle (e.g. `patients.csv`).
    pub file: String,
    /// Physical line (the header is line 1), when the problem is in a row.
    pub line: Option<u64>,
    /// 1-based column position in the file, when the column is in the file.
    pub column_number: Option<usize>,
    /// Column name, when the problem is in a cell.
    pub column: Option<String>,
    /// The cell's text, when there is one.
    pub value: Option<String>,
    /// Why.
    pub reason: String,
}

impl Problem {
    /// A problem with the whole file.
    pub fn file(file: &str, reason: impl Into<String>) -> Problem {
        Problem {
            file: file.to_string(),
            line: None,
            column_number: None,
            column: None,
            value: None,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Problem {
    /// `patients.csv, line 7, column 17 (death_date): reason (value 'v')`,
    /// the format of `netra-frame`'s cell errors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        match (&self.column_number, &self.column) {
            (Some(n), Some(name)) => write!(f, ", column {n} ({name})")?,
            (None, Some(name)) => write!(f, ", column {name} (not in the file)")?,
            _ => {}
        }
        write!(f, ": {}", self.reason)?;
        if let Some(v) = &self.value {
            write!(f, " (value '{v}')")?;
        }
        Ok(())
    }
}

impl From<netra_frame::CellError> for Problem {
    fn from(e: netra_frame::CellError) -> Problem {
        Problem {
            file: e.source_name,
            line: Some(e.line),
            column_number: Some(e.column_number),
            column: Some(e.column),
            value: Some(e.value),
            reason: e.reason,
        }
    }
}

/// The most problems kept in a report: enough to fix a file in one pass,
/// bounded so that a wrong file of a million lines does not flood memory.
pub const MAX_PROBLEMS: usize = 1000;

/// The problems of a bundle, in file and line order, capped at
/// [`MAX_PROBLEMS`] (the rest are counted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    /// The problems kept.
    pub list: Vec<Problem>,
    /// How many more were found and not kept.
    pub more: usize,
}

impl Problems {
    /// Adds a problem (counted only, past the cap).
    pub fn push(&mut self, p: Problem) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(p);
        } else {
            self.more += 1;
        }
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty() && self.more == 0
    }

    /// Total found.
    pub fn len(&self) -> usize {
        self.list.len() + self.more
    }

    /// True when the cap is reached (further checks can stop early).
    pub fn is_full(&self) -> bool {
        self.list.len() >= MAX_PROBLEMS
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.list {
            writeln!(f, "error: {p}")?;
        }
        if self.more > 0 {
            writeln!(f, "… and {} more problem(s) not shown", self.more)?;
        }
        Ok(())
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened.
    #[error("cannot open the registry at {location}: {reason}")]
    Open {
        /// Where (password redacted).
        location: String,
        /// Why.
        reason: String,
    },
    /// A database operation failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A database operation on a `rusqlite` connection failed (SQLite
    /// imports, [`crate::lite_tx`]).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The schema is not what this build expects.
    #[error("{0}")]
    Migration(String),
    /// The bundle has problems; nothing was written.
    #[error("{} problem(s) found; nothing was written", .0.len())]
    Invalid(Problems),
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A stored row does not fit the model.
    #[error("stored data does not fit the model: {0}")]
    Model(#[from] ModelError),
    /// A record does not exist.
    #[error("{0}")]
    NotFound(String),
    /// An operation is refused (e.g. deleting a record others refer to).
    #[error("{0}")]
    Refused(String),
}

impl StoreError {
    /// True when the database said the disk (or its size limit) is full
    /// ([`crate::db::is_disk_full`]): the write was rolled back and may be
    /// tried again once there is space.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Database(e) => crate::db::is_disk_full(e),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
                f.code == rusqlite::ErrorCode::DiskFull
            }
            _ => false,
        }
    }

    pub(crate) fn io(path: impl fmt::Display, e: impl fmt::Display) -> StoreError {
        StoreError::Io {
            path: path.to_string(),
            reason: e.to_string(),
        }
    }
}
