//! Study files: a TOML analysis plan (`docs/study-file.md`) run against the
//! registry into publication tables (HTML, Markdown, CSV, LaTeX), figures
//! (SVG, PNG), one offline `report.html` and a manifest of hashes.
//!
//! * [`spec`] — the study file, parsed and checked with line/column errors.
//! * [`cond`] — the conditions of cohort filters and derived levels.
//! * [`vars`] — registry variables read from patients' courses, and the
//!   study's derived variables (cut points, recodes, cases, marker > ULN).
#![deny(missing_docs)]

pub mod cond;
mod error;
pub mod spec;
pub mod vars;

pub use error::{Position, StudyError};
pub use spec::Study;
