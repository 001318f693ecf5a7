//! The error type of the report crate.

/// Why a figure, table or report cannot be produced. Every public function
/// returns it instead of panicking on bad input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    /// The figure or table has nothing to show.
    #[error("{0}: nothing to draw")]
    NoData(String),
    /// Parallel inputs have different lengths.
    #[error("{what} has {found} values but {expected} were expected")]
    LengthMismatch {
        /// Which input.
        what: String,
        /// The length required.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A value is outside its domain (a negative time, a probability above
    /// 1, times out of order, a non-positive hazard ratio on a log axis).
    #[error("{what}: invalid value {value}")]
    InvalidValue {
        /// What the value is.
        what: String,
        /// The value.
        value: f64,
    },
    /// An option is invalid (a width too small, a dpi of 0, ticks out of
    /// order).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// A table's rows do not fit its header.
    #[error("invalid table: {0}")]
    InvalidTable(String),
    /// A statistic behind a table could not be computed.
    #[error("statistics: {0}")]
    Statistics(String),
    /// Rasterising the SVG failed.
    #[error("PNG rendering failed: {0}")]
    Png(String),
}

/// Checks that `len` equals `expected`.
pub(crate) fn check_len(what: &str, expected: usize, len: usize) -> Result<(), ReportError> {
    if expected == len {
        Ok(())
    } else {
        Err(ReportError::LengthMismatch {
            what: what.to_string(),
            expected,
            found: len,
        })
    }
}

/// An [`ReportError::InvalidValue`].
pub(crate) fn invalid(what: impl Into<String>, value: f64) -> ReportError {
    ReportError::InvalidValue {
        what: what.into(),
        value,
    }
}
