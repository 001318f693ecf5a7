//! The error type of study files and runs.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A position in the study file (1-based line and column, in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1 (characters, not bytes).
    pub column: usize,
}

impl Position {
    /// The position of byte offset `offset` in `text`.
    pub fn of(text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        // Step back to a character boundary (spans from the parser always
        // are; this keeps a hand-made offset from panicking).
        let mut offset = offset;
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Position { line, column }
    }
}

/// Why a study file cannot be read or run.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// The study file is not valid: bad TOML, an unknown key, a value of the
    /// wrong type, or a reference to something not defined. Printed as
    /// `FILE, line L, column C: reason`.
    #[error("{}", located(.file, .position, .message))]
    Spec {
        /// The study file.
        file: PathBuf,
        /// Where, when known.
        position: Option<Position>,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {reason}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// The registry could not be opened, filled or read.
    #[error("registry: {0}")]
    Store(#[from] netra_store::StoreError),
    /// The data do not allow an analysis the study asks for (an empty
    /// cohort, a group with no patient, a model that cannot be fitted).
    #[error("{what}: {reason}")]
    Analysis {
        /// The table, figure or endpoint.
        what: String,
        /// Why.
        reason: String,
    },
    /// A table or figure could not be drawn.
    #[error("{what}: {source}")]
    Report {
        /// The table or figure.
        what: String,
        /// The report crate's reason.
        source: netra_report::ReportError,
    },
}

fn located(file: &Path, position: &Option<Position>, message: &str) -> String {
    match position {
        Some(p) => format!(
            "{}, line {}, column {}: {message}",
            file.display(),
            p.line,
            p.column
        ),
        None => format!("{}: {message}", file.display()),
    }
}

impl StudyError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, e: impl fmt::Display) -> StudyError {
        StudyError::Io {
            path: path.into(),
            reason: e.to_string(),
        }
    }

    /// An analysis error.
    pub fn analysis(what: impl Into<String>, reason: impl Into<String>) -> StudyError {
        StudyError::Analysis {
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// A report error of `what`.
    pub fn report(what: impl Into<String>, source: netra_report::ReportError) -> StudyError {
        StudyError::Report {
            what: what.into(),
            source,
        }
    }

    /// The position of a [`StudyError::Spec`] error.
    pub fn position(&self) -> Option<Position> {
        match self {
            StudyError::Spec { position, .. } => *position,
            _ => None,
        }
    }
}

/// Builds spec errors for one study file.
#[derive(Debug, Clone)]
pub(crate) struct SpecErrors<'a> {
    pub file: &'a Path,
    pub text: &'a str,
}

impl SpecErrors<'_> {
    /// An error at a byte span of the file.
    pub fn at(&self, span: Range<usize>, message: impl Into<String>) -> StudyError {
        StudyError::Spec {
            file: self.file.to_path_buf(),
            position: Some(Position::of(self.text, span.start)),
            message: message.into(),
        }
    }

    /// An error without a position (a missing section).
    pub fn whole(&self, message: impl Into<String>) -> StudyError {
        StudyError::Spec {
            file: self.file.to_path_buf(),
            position: None,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "a = 1\nb = \"µx\" z\n";
        assert_eq!(Position::of(text, 0), Position { line: 1, column: 1 });
        assert_eq!(Position::of(text, 6), Position { line: 2, column: 1 });
        // 'z' after a two-byte character: byte 15, character column 10.
        let z = text.find('z').unwrap();
        assert_eq!(
            Position::of(text, z),
            Position {
                line: 2,
                column: 10
            }
        );
        assert_eq!(Position::of(text, 999).line, 3);
    }
}
