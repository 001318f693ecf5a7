//! Survival and classical statistics for netra, computed as R computes them.
//!
//! # Brief overview
//!
//! Numbers in, numbers out: this crate reads no files and prints nothing, so
//! every function can be checked against R on committed fixtures
//! (`validation/`) and reused by the CLI, the report and the web application.
//!
//! * [`distributions`] — the normal and chi-square tails every test needs.
//! * [`model`] — R-style model formulas and design matrices (factors,
//!   interactions, strata) from in-memory columns.
//! * [`cox`] — Cox regression as `coxph` (Efron/Breslow, strata, weights,
//!   (start, stop] data, robust variance, concordance), `cox.zph` and
//!   Fine–Gray.
//!
//! Each module documents the formula, the R function it matches and the
//! choices that make the numbers agree; `docs/algorithms/` has the longer
//! notes.
#![deny(missing_docs)]

pub mod cox;
pub mod distributions;
pub mod model;
