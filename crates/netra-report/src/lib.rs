//! Publication tables and figures for netra: what a NET researcher sends to
//! a journal, drawn from plain inputs (numbers, labels, and the curves,
//! summaries and tests of the analysis layer `netra-analysis`), with no
//! database and no system fonts. This crate formats; it computes no
//! statistic (it does not depend on `netra-stats`, and
//! `crates/netra-cli/tests/architecture.rs` checks that).
//!
//! * [`figure`] — Kaplan–Meier and cumulative incidence with numbers at
//!   risk, forest, waterfall, spider, swimmer and Sankey plots, as SVG
//!   (byte-identical for identical input) and PNG ([`png`], feature `png`).
//! * [`table`] — a neutral table model rendered to HTML, Markdown, CSV and
//!   LaTeX (booktabs), and builders for the tables of a NET paper.
//! * [`html`] — a one-page offline HTML report (inline CSS and SVG).
//! * [`export`] — the analysis data set with labels and factor levels for
//!   R (CSV + script), Stata (`.dta` 118) and SAS (CSV + program).
//! * [`csv`] — the CSV field every CSV output uses: quoted, and defused
//!   against spreadsheet formula injection.
//!
//! The bundled font (Liberation Sans, SIL OFL 1.1, `fonts/`) measures text
//! for layout and draws the PNG; `docs/report.md` describes the design.
#![deny(missing_docs)]

pub mod axis;
pub mod browser;
pub mod csv;
mod error;
pub mod export;
pub mod figure;
pub mod font;
pub mod format;
pub mod html;
pub mod palette;
#[cfg(feature = "png")]
pub mod png;
pub mod svg;
pub mod table;

pub use error::ReportError;
pub use figure::Figure;
