//! Study files: a TOML analysis plan (`docs/study-file.md`) run against the
//! registry into publication tables (HTML, Markdown, CSV, LaTeX), figures
//! (SVG, PNG), one offline `report.html` and a manifest of hashes.
//!
//! * [`spec`] — the study file, parsed and checked with line/column errors.
//! * the cohort, its variables (the dictionary and the study's derived
//!   variables) and conditions come from the analysis layer
//!   (`netra-analysis`); [`context`] adds what only a study names.
//! * [`data`] — the data source (registry, bundle, simulation) and its hashes.
//! * [`context`] — the analysed cohort with endpoints and lines derived once
//!   through `netra_clinical` (endpoints, lines, sequences).
//! * [`tables`], [`figures`], [`cox`] — each `[[table]]` and `[[figure]]`,
//!   built with `netra_report`.
//! * [`demo`] — `netra demo`: both example studies on a fresh embedded
//!   registry, one report of both.
//! * [`run`] — the whole run: files, `report.html`, `summary.json`,
//!   `manifest.json`; byte-identical for identical inputs.
#![deny(missing_docs)]

pub mod context;
pub mod cox;
pub mod cuminc;
pub mod data;
pub mod demo;
mod error;
pub mod facts;
pub mod federated;
pub mod figures;
pub mod paper_tables;
pub mod run;
pub mod simulation;
pub mod spec;
pub mod tables;
pub mod weighted_figures;

pub use error::{Position, StudyError};
pub use run::{RunOptions, StudyRun, run};
pub use spec::Study;
