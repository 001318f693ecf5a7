//! What a `[[figure]]` resolves to: the figure kinds and their options.

use netra_clinical::endpoints::TimeZero;

/// Options of a Kaplan–Meier figure.
#[derive(Debug, Clone, PartialEq)]
pub struct KmOptions {
    /// Endpoint.
    pub endpoint: String,
    /// Group variable (`None`: the study's groups; `Some("")`: one curve).
    pub by: Option<String>,
    /// Printed times (also the at-risk times).
    pub ticks: Option<Vec<f64>>,
    /// Right end of the axis.
    pub x_max: Option<f64>,
    /// Confidence bands.
    pub ci: bool,
    /// Median lines.
    pub median: bool,
    /// Censoring marks.
    pub censor_marks: bool,
    /// Numbers at risk.
    pub at_risk: bool,
    /// Log-rank p on the figure.
    pub logrank: bool,
    /// For a per-line endpoint: the line.
    pub line: Option<u32>,
}

/// Options of a cumulative-incidence figure.
#[derive(Debug, Clone, PartialEq)]
pub struct CumincOptions {
    /// A `ttp` or `pfs` endpoint (not per line).
    pub endpoint: String,
    /// Group variable (`None`: the study's groups; `Some("")`: one curve).
    pub by: Option<String>,
    /// Printed times (also the at-risk times).
    pub ticks: Option<Vec<f64>>,
    /// Right end of the axis.
    pub x_max: Option<f64>,
    /// Confidence bands.
    pub ci: bool,
    /// Numbers at risk.
    pub at_risk: bool,
    /// Gray's p on the figure.
    pub gray: bool,
}

/// What a `[[figure]]` shows.
#[derive(Debug, Clone, PartialEq)]
pub enum FigureKind {
    /// Kaplan–Meier curves.
    Km(KmOptions),
    /// Cumulative incidence of progression by group (death without
    /// progression competing).
    Cuminc(CumincOptions),
    /// Forest plot of a Cox table.
    Forest {
        /// The `[[table]]` of type `cox`.
        table: String,
        /// `true`: the multivariate model; `false`: univariate.
        multivariate: bool,
    },
    /// Subgroup forest plot of an `[[analysis]]` of `subgroups`.
    SubgroupForest {
        /// The analysis' id.
        analysis: String,
        /// Its request (run again for the figure).
        request: serde_json::Value,
    },
    /// Weighted Kaplan–Meier curves of an `[[analysis]]` of `emulate`
    /// (one per strategy) or `weighting` (treated and control).
    WeightedKm {
        /// The analysis' id.
        analysis: String,
        /// Its registered name (`emulate` or `weighting`).
        kind: String,
        /// Its request (run again for the figure, without bootstrap).
        request: serde_json::Value,
        /// Pointwise confidence bands.
        ci: bool,
        /// Right end of the axis.
        x_max: Option<f64>,
    },
    /// Love plot (standardised mean differences before and after
    /// weighting) of an `[[analysis]]` of `emulate` or `weighting`.
    Love {
        /// The analysis' id.
        analysis: String,
        /// Its registered name (`emulate` or `weighting`).
        kind: String,
        /// Its request (run again for the figure, without bootstrap).
        request: serde_json::Value,
    },
    /// Waterfall of best % change on a line.
    Waterfall {
        /// Line.
        line: u32,
    },
    /// Waterfall of per-lesion best % change coloured by site, from an
    /// `[[analysis]]` of `lesions`.
    LesionWaterfall {
        /// The analysis' id.
        analysis: String,
        /// Its request (run again for the figure).
        request: serde_json::Value,
    },
    /// Spider plot of % change on a line.
    Spider {
        /// Line.
        line: u32,
    },
    /// Swimmer plot of a sample of patients.
    Swimmer {
        /// Patients drawn (`None`: all, up to 40).
        sample: Option<usize>,
        /// Seed of the sample.
        seed: u64,
        /// Time zero.
        from: TimeZero,
    },
    /// Sankey of treatment sequences.
    Sankey {
        /// Lines shown.
        lines: u32,
        /// Transitions of fewer patients are not drawn (≤ 1: all).
        min_cell: u64,
    },
}

/// A figure to make.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureDef {
    /// File stem.
    pub name: String,
    /// Title inside the figure (may be empty).
    pub title: String,
    /// Caption in the report.
    pub caption: String,
    /// Report section.
    pub section: String,
    /// Byte offset in the study file (report order follows the file).
    pub position: usize,
    /// Width in CSS pixels (`None`: the default 640).
    pub width: Option<f64>,
    /// What it shows.
    pub kind: FigureKind,
}
