//! Turning CSV columns into survival inputs: the rules live in the analysis
//! layer ([`netra_analysis::table`], re-exported here so every command reads
//! `crate::input::…`); this file adds only the command-line flags.
//!
//! Rules (documented in the README, relied on by every analysis command):
//! * a row missing (empty, `NA`, `NaN`) any column the analysis uses is
//!   dropped and counted, as R's `na.action = na.omit` does;
//! * times must be numbers >= 0; anything else is an error naming the cell;
//! * the event column is read as R's `Surv()` reads it — 0/1, TRUE/FALSE, or
//!   1/2 when no 0 occurs (2 = event) — unless `--event-value V` names the
//!   event code, in which case every other value is censoring, or, with
//!   `--censor-value C` too, any value that is neither is an error.

use std::path::PathBuf;

pub use netra_analysis::table::*;

/// The columns that define a right-censored outcome, shared by `km`,
/// `logrank` and `cox`.
#[derive(Debug, Clone, clap::Args)]
pub struct SurvivalArgs {
    /// CSV file with a header row.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Column holding follow-up time (any unit; >= 0).
    #[arg(long, value_name = "COL")]
    pub time: String,
    /// Column holding the event indicator.
    #[arg(long, value_name = "COL")]
    pub event: String,
    /// Value of the event column that means "event" (default: R's Surv coding).
    #[arg(long, value_name = "V")]
    pub event_value: Option<String>,
    /// Value that means "censored"; with it, any other value is an error.
    #[arg(long, value_name = "C", requires = "event_value")]
    pub censor_value: Option<String>,
}

impl SurvivalArgs {
    /// The event coding these arguments describe.
    pub fn coding(&self) -> EventCoding {
        EventCoding {
            event_value: self.event_value.clone(),
            censor_value: self.censor_value.clone(),
        }
    }
}
