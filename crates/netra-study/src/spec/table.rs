//! What a `[[table]]` resolves to: the table kinds and their options.

use std::collections::BTreeMap;

use netra_analysis::inference::CiMethod;

/// How a continuous variable is summarised in a baseline table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowSummary {
    /// Mean ± SD.
    MeanSd,
    /// Median (range).
    MedianRange,
    /// Both (two rows).
    Both,
    /// A number shown as categories (n (%) per value).
    Categories,
}

/// The test of a baseline row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowTest {
    /// Student's t-test (R `t.test(var.equal = TRUE)`).
    T,
    /// Welch's t-test.
    Welch,
    /// Mann–Whitney U.
    MannWhitney,
    /// Chi-square, with Yates' correction on 2 × 2 tables.
    ChiSquare,
    /// Chi-square without continuity correction.
    ChiSquareUncorrected,
    /// Fisher's exact test.
    Fisher,
    /// Chi-square (Yates) or Fisher by Cochran's rule.
    Auto,
    /// No test.
    None,
}

/// A row of a baseline table.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineRow {
    /// Variable.
    pub variable: String,
    /// Printed name (`None`: the variable's label).
    pub label: Option<String>,
    /// Summary of a number (`None`: categories for categorical variables,
    /// mean ± SD for numbers).
    pub summary: Option<RowSummary>,
    /// Test (`None`: t-test for numbers, Cochran's rule for categories).
    pub test: Option<RowTest>,
    /// Decimals of numbers.
    pub decimals: usize,
}

/// What a `[[table]]` shows.
#[derive(Debug, Clone, PartialEq)]
pub enum TableKind {
    /// Baseline characteristics by group.
    Baseline {
        /// Group variable (`None`: the study's groups; `Some("")`: one
        /// column of all patients, no tests).
        by: Option<String>,
        /// Also a column for all patients.
        overall: bool,
        /// Rows.
        rows: Vec<BaselineRow>,
        /// A "Known: x of n" row per variable instead of "Missing".
        known: bool,
    },
    /// Survival by characteristic.
    Survival {
        /// Endpoint.
        endpoint: String,
        /// Landmark times (`None`: the study's).
        landmarks: Option<Vec<f64>>,
        /// Characteristics.
        characteristics: Vec<String>,
        /// A row for all patients.
        all: bool,
        /// Median follow-up (reverse Kaplan–Meier) in a footnote.
        follow_up: bool,
        /// A column with SPSS's symmetric median CI.
        spss_median: bool,
    },
    /// ORR and DCR by characteristic.
    Response {
        /// Which response: `line:K` (best response on line K).
        response: ResponseSource,
        /// Characteristics.
        characteristics: Vec<String>,
        /// A row for all patients.
        all: bool,
        /// The interval of the rates.
        ci_method: CiMethod,
    },
    /// Cox regression, univariate and multivariate.
    Cox {
        /// Endpoint.
        endpoint: String,
        /// Terms fitted one at a time.
        univariate: Vec<String>,
        /// Terms of the multivariate model.
        multivariate: Vec<String>,
        /// Reference level per categorical variable (code or label).
        reference: BTreeMap<String, String>,
    },
    /// Outcome per line of systemic therapy.
    Lines {
        /// A per-line endpoint (`from = "line:all"`).
        endpoint: String,
        /// Lines.
        lines: Vec<u32>,
        /// Landmark (one).
        landmark: Option<f64>,
        /// Counts below this are suppressed (≤ 1: none).
        min_cell: u64,
    },
    /// Cumulative incidence of progression and of death without
    /// progression by group, at landmarks, with Gray's test
    /// (`crate::cuminc`).
    Cuminc {
        /// A `ttp` or `pfs` endpoint (not per line).
        endpoint: String,
        /// Group variable (`None`: the study's groups; `Some("")`: all
        /// patients together).
        by: Option<String>,
        /// Landmarks (`None`: the study's).
        landmarks: Option<Vec<f64>>,
    },
    /// Survival of groups (one row per group, log-rank p).
    Km {
        /// Endpoint.
        endpoint: String,
        /// Group variable (`None`: the study's groups).
        by: Option<String>,
        /// Landmarks (`None`: the study's).
        landmarks: Option<Vec<f64>>,
        /// Median follow-up (reverse Kaplan–Meier) in a footnote.
        follow_up: bool,
        /// A column with SPSS's symmetric median CI.
        spss_median: bool,
    },
    /// Treatment patterns (the layer's `patterns` analysis).
    Patterns,
    /// Adverse events by worst grade, per treatment and term (the layer's
    /// `adverse_events` analysis).
    AdverseEvents {
        /// Group variable (`None`: the study's groups, or all patients
        /// without `[groups]`; `Some("")`: all patients together).
        by: Option<String>,
    },
}

/// Which best response a response table counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseSource {
    /// The best response on line `k` of systemic therapy.
    Line(u32),
    /// The best investigator-reported response over all assessments.
    Investigator,
}

/// A table to make.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    /// File stem of the outputs.
    pub name: String,
    /// Title (caption).
    pub title: String,
    /// Report section.
    pub section: String,
    /// Byte offset in the study file (report order follows the file).
    pub position: usize,
    /// A footnote added under the table.
    pub footnote: Option<String>,
    /// What it shows.
    pub kind: TableKind,
}
