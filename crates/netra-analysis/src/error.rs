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
        match self {
            AnalysisError::Invalid { what, .. } | AnalysisError::Stats { what, .. } => what,
        }
    }

    /// The reason alone.
    pub fn reason(&self) -> &str {
        match self {
            AnalysisError::Invalid { reason, .. } | AnalysisError::Stats { reason, .. } => reason,
        }
    }
}
