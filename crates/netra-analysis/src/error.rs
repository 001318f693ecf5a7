//! The one error type of the analysis layer: what was asked and why it
//! cannot be answered, in words a user can act on.

/// Why an analysis cannot be run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    /// A request, variable or setting that does not make sense.
    #[error("{what}: {reason}")]
    Invalid {
        /// What was wrong (`variable 'agee'`, `criteria`, `table 'os'`).
        what: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// The statistics cannot be computed on these data.
    #[error("{what}: the analysis cannot be computed: {reason}")]
    Stats {
        /// Which analysis.
        what: String,
        /// The kernel's reason.
        reason: String,
    },
    /// A data file (a CSV cohort, [`crate::table`]) that cannot be read or
    /// whose cell cannot be used; shown exactly as `netra-frame` words it
    /// (file, line, column, value).
    #[error(transparent)]
    Data(#[from] netra_frame::FrameError),
}

impl From<netra_frame::CellError> for AnalysisError {
    fn from(e: netra_frame::CellError) -> AnalysisError {
        AnalysisError::Data(e.into())
    }
}

impl AnalysisError {
    /// An invalid request.
    pub fn invalid(what: impl Into<String>, reason: impl Into<String>) -> AnalysisError {
        AnalysisError::Invalid {
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// A statistics kernel's refusal.
    pub fn stats(what: impl Into<String>, reason: impl std::fmt::Display) -> AnalysisError {
        AnalysisError::Stats {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    /// What was wrong (the part before the reason).
    pub fn what(&self) -> &str {
        use netra_frame::FrameError as F;
        match self {
            AnalysisError::Invalid { what, .. } | AnalysisError::Stats { what, .. } => what,
            AnalysisError::Data(F::Cell(c)) => &c.source_name,
            AnalysisError::Data(
                F::Io { source_name, .. }
                | F::Malformed { source_name, .. }
                | F::UnknownColumn { source_name, .. }
                | F::WrongFormat { source_name, .. }
                | F::Empty { source_name },
            ) => source_name,
        }
    }

    /// The reason alone.
    pub fn reason(&self) -> &str {
        use netra_frame::FrameError as F;
        match self {
            AnalysisError::Invalid { reason, .. } | AnalysisError::Stats { reason, .. } => reason,
            AnalysisError::Data(F::Cell(c)) => &c.reason,
            AnalysisError::Data(
                F::Io { reason, .. } | F::Malformed { reason, .. } | F::WrongFormat { reason, .. },
            ) => reason,
            AnalysisError::Data(F::UnknownColumn { .. }) => "no such column",
            AnalysisError::Data(F::Empty { .. }) => "no data rows",
        }
    }
}
