//! Cox regression of a flat CSV table (`netra cox`): R's
//! `summary(coxph(Surv(start, stop, event) ~ formula, weights, cluster))`
//! with factors, interactions and `strata()`, univariate screening (one
//! model per term, then the multivariate model), (start, stop] data and
//! left truncation, the robust (sandwich) variance, `cox.zph` with its
//! scaled Schoenfeld residuals, and Fine–Gray subdistribution hazards
//! (`finegray` + weighted `coxph`).
//!
//! Where the registry model ([`super::run`]) takes variables of the
//! dictionary, this one takes the columns of a table read by
//! [`crate::table`] and an R formula over them; the fit is the row kernel
//! (`netra_stats::cox::coxph`), as the robust variance, the concordance and
//! `cox.zph` need the rows.
//!
//! Data rules (as R's `read.csv` + `coxph` with `na.omit`):
//! * rows missing any column a model uses are dropped and counted, per
//!   model in univariate screening (each model uses its own columns);
//! * a column used as a plain term must hold numbers, unless none of its
//!   cells is a number, in which case it is a factor (as R treats text);
//!   `factor(x)` always makes a factor, ordered numerically when every
//!   value is a number; a factor has at most [`MAX_FACTOR_LEVELS`] levels;
//! * the type of a column is decided on the whole column, dropped rows
//!   included, as `read.csv` types it.
//!
//! The output serialises to the JSON contract of `netra cox`
//! (`docs/cli-json.md`): [`CoxModelOut`] is the model object; with
//! univariate screening the document is [`CoxTableOutput`]. Numbers are
//! kept as the kernel gave them (an infinite hazard ratio stays infinite
//! for a table to print `Inf`); a value that is not finite serialises as
//! JSON `null`.

use std::borrow::Cow;
use std::collections::HashMap;

use netra_frame::{CellError, Column, Frame, Numbers};
use netra_stats::cox::finegray::{self, Status};
use netra_stats::cox::zph::{Zph, ZphTransform, cox_zph};
use netra_stats::cox::{ChisqTest, CoxData, CoxError, CoxFit, CoxOptions, Ties, coxph};
use netra_stats::model::{
    ColumnData, Design, DesignError, DesignOptions, Formula, NamedColumn, Variable,
};
use serde::{Deserialize, Serialize};

use crate::AnalysisError;
use crate::table::{self, EventCoding, Reading, ValueRead};

/// Most levels a factor term may have (99 design columns). Above it the
/// design matrix and the information matrix grow with the square of the
/// levels and a fit on an identifier column ran for minutes; a factor that
/// large is almost always an identifier or a free-text column, refused with
/// its count as the log-rank test refuses more than its `MAX_GROUPS`.
pub const MAX_FACTOR_LEVELS: usize = 100;

/// Competing risks for Fine–Gray regression: the status column and its
/// codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FineGrayRequest {
    /// Column of outcome codes (censoring, the cause of interest,
    /// competing events).
    pub status: String,
    /// The code of the event of interest.
    pub cause: String,
    /// The censoring code (every other code is a competing event).
    pub censor: String,
    /// No row is censored (every outcome is known): the censoring code
    /// must then not occur, where otherwise it must.
    pub no_censoring: bool,
}

impl Default for FineGrayRequest {
    fn default() -> Self {
        FineGrayRequest {
            status: String::new(),
            cause: String::new(),
            censor: "0".into(),
            no_censoring: false,
        }
    }
}

/// A Cox model of a table's columns (defaults: R's `coxph`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TableCoxRequest {
    /// Column of follow-up (or stop) times.
    pub time: String,
    /// Column of the event indicator (not with `fine_gray`).
    pub event: Option<String>,
    /// How the event column is coded (R's `Surv` coding by default).
    pub event_value: Option<String>,
    /// The value meaning censored; with it, other values are errors (needs
    /// `event_value`).
    pub censor_value: Option<String>,
    /// Model terms, R style: `age + factor(grade) + liver + strata(site)`,
    /// interactions `a:b` and `a*b`. Without it, the screened terms.
    pub formula: Option<String>,
    /// Univariate screening: one model per term (`strata()` terms kept in
    /// every model) before the multivariate model.
    pub univariate: Option<String>,
    /// `efron` (R's default) or `breslow`.
    pub ties: String,
    /// Reference level of factor columns, `(column, level)`; default: the
    /// first level in R's order. (A list, not a map: the first entry for a
    /// column wins, as `DesignOptions` reads it.)
    pub reference: Vec<(String, String)>,
    /// Column of interval starts: (start, stop] data or delayed entry.
    pub start: Option<String>,
    /// Column of case weights (> 0).
    pub weights: Option<String>,
    /// Column of cluster labels: robust variance summed within clusters.
    pub cluster: Option<String>,
    /// The robust variance without clusters (R's `robust = TRUE`).
    pub robust: bool,
    /// Confidence level of the hazard-ratio intervals.
    pub conf_level: f64,
    /// Test proportional hazards (R's `cox.zph`).
    pub zph: bool,
    /// Time transform of `cox.zph`: `km` (R's default), `rank`, `identity`.
    pub zph_transform: String,
    /// Include the scaled Schoenfeld residuals (implies the `cox.zph` test).
    pub schoenfeld: bool,
    /// Fine–Gray subdistribution hazards of one cause.
    pub fine_gray: Option<FineGrayRequest>,
}

impl Default for TableCoxRequest {
    fn default() -> Self {
        TableCoxRequest {
            time: String::new(),
            event: None,
            event_value: None,
            censor_value: None,
            formula: None,
            univariate: None,
            ties: "efron".into(),
            reference: Vec::new(),
            start: None,
            weights: None,
            cluster: None,
            robust: false,
            conf_level: 0.95,
            zph: false,
            zph_transform: "km".into(),
            schoenfeld: false,
            fine_gray: None,
        }
    }
}

/// A chi-square test (`null` where the statistic is not finite).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChisqOut {
    /// Statistic.
    pub chisq: Option<f64>,
    /// Degrees of freedom.
    pub df: usize,
    /// p-value.
    pub p: Option<f64>,
}

/// One design column of a model (R's `summary(coxph)` row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermOut {
    /// `age`, `sex=2`, `age:sex=2`.
    pub name: String,
    /// Estimate (`null`: not estimable, R's `NA`).
    pub coef: Option<f64>,
    /// Model-based standard error.
    pub se: Option<f64>,
    /// Robust standard error (robust variance only).
    pub robust_se: Option<f64>,
    /// Hazard ratio `exp(coef)`.
    pub hr: Option<f64>,
    /// Lower confidence limit of the hazard ratio.
    pub hr_lower: Option<f64>,
    /// Upper confidence limit.
    pub hr_upper: Option<f64>,
    /// Wald statistic (robust se when robust).
    pub z: Option<f64>,
    /// Two-sided p-value.
    pub p: Option<f64>,
}

/// Harrell's concordance as `summary(coxph)` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConcordanceOut {
    /// C.
    pub c: Option<f64>,
    /// Its standard error.
    pub std_err: Option<f64>,
}

/// The proportional-hazards test of one term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZphTermOut {
    /// Term label (`age`, `factor(grade)`).
    pub name: String,
    /// Chi-square.
    pub chisq: Option<f64>,
    /// Degrees of freedom (columns of the term).
    pub df: usize,
    /// p-value.
    pub p: Option<f64>,
}

/// R's `cox.zph`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZphOut {
    /// The time transform (`km`, `rank`, `identity`).
    pub transform: String,
    /// One test per term.
    pub terms: Vec<ZphTermOut>,
    /// The global test.
    pub global: ChisqOut,
}

/// Scaled Schoenfeld residuals of one design column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResidualsOut {
    /// Column name.
    pub name: String,
    /// One per event (`null`: R's `NA`, a covariate constant within the
    /// event's stratum).
    pub residuals: Vec<Option<f64>>,
}

/// Scaled Schoenfeld residuals for plotting β(t) (`plot(cox.zph)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchoenfeldOut {
    /// The time transform.
    pub transform: String,
    /// Event times (stratum, then time).
    pub time: Vec<Option<f64>>,
    /// Transformed times (the x axis).
    pub x: Vec<Option<f64>>,
    /// Residuals per design column.
    pub terms: Vec<ResidualsOut>,
}

/// What a Fine–Gray fit adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FineGrayOut {
    /// The cause of interest, as requested.
    pub cause: String,
    /// The censoring code.
    pub censor: String,
    /// Weighted rows of the `finegray` expansion.
    pub expanded_rows: usize,
    /// Subjects (table rows) in the model.
    pub subjects: usize,
}

/// One fitted model: the object of the `netra cox` JSON contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoxModelOut {
    /// Rows in the fit (Fine–Gray: expanded rows).
    pub n: usize,
    /// Events (unweighted).
    pub events: usize,
    /// Rows dropped for a missing value.
    pub n_dropped: usize,
    /// Dropped rows by the first missing column, in the order the model
    /// names its columns.
    #[serde(with = "ordered_counts")]
    pub dropped_by: Vec<(String, usize)>,
    /// The event or status column.
    pub event_column: String,
    /// How each value of the event or status column was read.
    pub values_read: Vec<ValueReadOut>,
    /// Labels that trimming made one group ('Male' and 'Male ').
    pub merged_labels: Vec<MergedLabelOut>,
    /// Empty text cells read as missing, by column.
    #[serde(with = "ordered_counts")]
    pub empty_labels: Vec<(String, usize)>,
    /// Whether the Newton–Raphson iterations converged.
    pub converged: bool,
    /// One per design column.
    pub terms: Vec<TermOut>,
    /// Log partial likelihood at β = 0.
    pub loglik_null: Option<f64>,
    /// At the estimate.
    pub loglik: Option<f64>,
    /// Likelihood-ratio test.
    pub lr_test: ChisqOut,
    /// Wald test.
    pub wald_test: ChisqOut,
    /// Score (log-rank) test.
    pub score_test: ChisqOut,
    /// Robust score test (robust variance only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub robust_score_test: Option<ChisqOut>,
    /// Concordance (`null` when no pair is comparable).
    pub concordance: Option<ConcordanceOut>,
    /// Newton–Raphson iterations.
    pub iterations: usize,
    /// Notes worded as R words them.
    pub warnings: Vec<String>,
    /// `efron` or `breslow`.
    pub ties: String,
    /// Confidence level of the intervals.
    pub conf_level: f64,
    /// Whether the variance is the robust one.
    pub robust: bool,
    /// Stratum labels of `strata()` terms (`null` without).
    pub strata: Option<Vec<String>>,
    /// The proportional-hazards test, when asked for.
    pub zph: Option<ZphOut>,
    /// Scaled Schoenfeld residuals, when asked for.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub schoenfeld: Option<SchoenfeldOut>,
    /// Fine–Gray details.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fine_gray: Option<FineGrayOut>,
}

/// Labels of one column that trimming made one group (JSON of
/// [`netra_frame::MergedLabel`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedLabelOut {
    /// The column.
    pub column: String,
    /// The one label netra reads.
    pub label: String,
    /// The distinct forms in the file.
    pub variants: Vec<String>,
    /// Cells holding any of them.
    pub rows: usize,
}

impl CoxModelOut {
    /// How the file was read, for the lines a table prints
    /// ([`Reading::lines`]).
    pub fn reading(&self) -> Reading {
        Reading {
            n_dropped: self.n_dropped,
            dropped_by: self.dropped_by.clone(),
            column: self.event_column.clone(),
            values: self
                .values_read
                .iter()
                .map(|v| ValueRead {
                    value: v.value.clone(),
                    read_as: match v.read_as.as_str() {
                        "event" => "event",
                        "censored" => "censored",
                        "competing" => "competing",
                        _ => "cause",
                    },
                    n: v.n,
                })
                .collect(),
            merged_labels: self
                .merged_labels
                .iter()
                .map(|m| netra_frame::MergedLabel {
                    column: m.column.clone(),
                    label: m.label.clone(),
                    variants: m.variants.clone(),
                    cells: m.rows,
                })
                .collect(),
            empty_labels: self.empty_labels.clone(),
        }
    }
}

/// How one value of the event or status column was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueReadOut {
    /// The cell text.
    pub value: String,
    /// `event`, `censored`, `competing`.
    pub read_as: String,
    /// Analysed rows holding it.
    pub n: usize,
}

/// One model of univariate screening.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenedModel {
    /// The screened term as written (`age`, `factor(grade)`).
    pub term: String,
    /// Rows in the model.
    pub n: usize,
    /// Events.
    pub events: usize,
    /// Rows dropped for a missing value of this model's columns.
    pub n_dropped: usize,
    /// One per design column of the term.
    pub terms: Vec<TermOut>,
    /// Likelihood-ratio test (the term's test when it has several columns).
    pub lr_test: ChisqOut,
    /// Notes worded as R words them.
    pub warnings: Vec<String>,
}

/// The answer to a [`TableCoxRequest`]: with screening, the JSON document
/// `{"univariate": [...], "multivariate": {...}}`; without, the document is
/// the multivariate model alone (`univariate` empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoxTableOutput {
    /// Screening models, in term order (empty without screening).
    pub univariate: Vec<ScreenedModel>,
    /// The (multivariate) model.
    pub multivariate: CoxModelOut,
}

/// `dropped_by` as a JSON object in the order of the model's columns.
mod ordered_counts {
    use serde::de::{MapAccess, Visitor};
    use serde::ser::SerializeMap;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[(String, usize)], s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(v.len()))?;
        for (k, n) in v {
            m.serialize_entry(k, n)?;
        }
        m.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, usize)>, D::Error> {
        struct Counts;
        impl<'de> Visitor<'de> for Counts {
            type Value = Vec<(String, usize)>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of counts")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(out)
            }
        }
        d.deserialize_map(Counts)
    }
}

/// A formula that does not parse, under the request field that holds it.
fn formula_error(what: &str, e: impl std::fmt::Display) -> AnalysisError {
    let text = e.to_string();
    // The parser's message starts with "formula: " already.
    let reason = text.strip_prefix("formula: ").unwrap_or(&text);
    invalid(what, reason)
}

/// Sets `field` to the formula's `column`, or checks that it already is.
fn agree(what: &str, field: &mut String, column: &str) -> Result<(), AnalysisError> {
    if field.is_empty() {
        *field = column.to_string();
    } else if field != column {
        return Err(invalid(
            what,
            format!("the formula names '{column}' and the {what} column is '{field}': give one"),
        ));
    }
    Ok(())
}

fn agree_optional(
    what: &str,
    field: &mut Option<String>,
    column: &str,
) -> Result<(), AnalysisError> {
    let mut text = field.take().unwrap_or_default();
    let result = agree(what, &mut text, column);
    *field = Some(text);
    result
}

fn invalid(what: impl Into<String>, reason: impl Into<String>) -> AnalysisError {
    AnalysisError::invalid(what, reason)
}

impl TableCoxRequest {
    fn ties(&self) -> Result<Ties, AnalysisError> {
        match self.ties.as_str() {
            "efron" => Ok(Ties::Efron),
            "breslow" => Ok(Ties::Breslow),
            other => Err(invalid(
                "ties",
                format!("'{other}' is not one of efron, breslow"),
            )),
        }
    }

    fn transform(&self) -> Result<ZphTransform, AnalysisError> {
        match self.zph_transform.as_str() {
            "km" => Ok(ZphTransform::Km),
            "rank" => Ok(ZphTransform::Rank),
            "identity" => Ok(ZphTransform::Identity),
            other => Err(invalid(
                "zph_transform",
                format!("'{other}' is not one of km, rank, identity"),
            )),
        }
    }

    /// The formulas: the (multivariate) model's and the screened terms'.
    fn formulas(&self) -> Result<(Formula, Option<Formula>), AnalysisError> {
        let main_text = self
            .formula
            .as_deref()
            .or(self.univariate.as_deref())
            .ok_or_else(|| invalid("formula", "give a formula or univariate terms"))?;
        let parse =
            |what: &str, text: &str| Formula::parse(text).map_err(|e| formula_error(what, e));
        let main = parse("formula", main_text)?;
        let screen = match &self.univariate {
            Some(text) => Some(parse("univariate", text)?),
            None => None,
        };
        for (col, _) in &self.reference {
            let used = std::iter::once(&main)
                .chain(screen.as_ref())
                .any(|f| f.columns().contains(&col.as_str()));
            if !used {
                return Err(invalid(
                    format!("reference level of '{col}'"),
                    format!("the formula does not use the column '{col}'"),
                ));
            }
        }
        Ok((main, screen))
    }

    /// The request with what its formulas say of the outcome and the
    /// clusters, as `coxph` reads them: `Surv(time, status) ~ …` names the
    /// time and event columns (`Surv(start, stop, status)` the start too),
    /// `cluster(id)` the cluster column. A column given both ways must be
    /// the same; with neither, the time column is missing.
    fn resolved(&self) -> Result<std::borrow::Cow<'_, TableCoxRequest>, AnalysisError> {
        let (main, screen) = self.formulas()?;
        let mut out = std::borrow::Cow::Borrowed(self);
        for f in std::iter::once(&main).chain(screen.as_ref()) {
            if let Some(columns) = &f.response {
                if self.fine_gray.is_some() {
                    return Err(invalid(
                        "formula",
                        "Surv() on the left with fine_gray: the outcome comes from the status \
                         and cause columns; write only the right-hand side",
                    ));
                }
                let (start, stop, event) = match columns.as_slice() {
                    [stop, event] => (None, stop, event),
                    [start, stop, event] => (Some(start), stop, event),
                    _ => unreachable!("the parser gives two or three columns"),
                };
                let o = out.to_mut();
                agree("time", &mut o.time, stop)?;
                agree_optional("event", &mut o.event, event)?;
                if let Some(start) = start {
                    agree_optional("start", &mut o.start, start)?;
                }
            }
            if let Some(cluster) = &f.cluster {
                agree_optional("cluster", &mut out.to_mut().cluster, cluster)?;
            }
        }
        if out.time.is_empty() {
            return Err(invalid(
                "time",
                "name the time column, or write the formula as Surv(time, status) ~ …",
            ));
        }
        Ok(out)
    }

    /// Refuses options that do not go together and a confidence level
    /// outside (0, 1).
    fn check(&self) -> Result<(), AnalysisError> {
        self.ties()?;
        self.transform()?;
        match &self.fine_gray {
            Some(_) if self.start.is_some() => {
                return Err(invalid(
                    "fine_gray",
                    "not supported with start (right-censored competing risks only)",
                ));
            }
            Some(_) if self.event.is_some() || self.event_value.is_some() => {
                return Err(invalid(
                    "fine_gray",
                    "takes the outcome from its status and cause, not from event",
                ));
            }
            None if self.event.is_none() => {
                return Err(invalid("event", "name the event column"));
            }
            None if self.censor_value.is_some() && self.event_value.is_none() => {
                return Err(invalid("censor_value", "needs event_value"));
            }
            _ => {}
        }
        if !(self.conf_level > 0.0 && self.conf_level < 1.0) {
            return Err(invalid(
                "conf_level",
                format!("must be between 0 and 1 (got {})", self.conf_level),
            ));
        }
        if self.robust && self.start.is_some() && self.cluster.is_none() {
            // R: "one of cluster or id is needed". Rows of (start, stop]
            // data are intervals of a subject, not subjects: treating each
            // as its own cluster would understate the variance silently.
            return Err(invalid(
                "robust",
                "with start needs a cluster column naming the subject of each interval \
                 (as R's coxph: \"one of cluster or id is needed\")",
            ));
        }
        Ok(())
    }

    /// The outcome columns (time, event or status, start, weights,
    /// cluster), in the order rows are counted as dropped.
    fn outcome_columns(&self) -> Vec<String> {
        let mut v = vec![self.time.clone()];
        v.extend(self.event.clone());
        v.extend(self.fine_gray.as_ref().map(|f| f.status.clone()));
        v.extend(self.start.clone());
        v.extend(self.weights.clone());
        v.extend(self.cluster.clone());
        v
    }

    /// Every column any model of the request reads, once: what to read
    /// from the file. Checks the request (formulas, references, options).
    pub fn columns(&self) -> Result<Vec<String>, AnalysisError> {
        let resolved = self.resolved()?;
        let this = resolved.as_ref();
        this.check()?;
        this.columns_checked()
    }

    fn columns_checked(&self) -> Result<Vec<String>, AnalysisError> {
        let (main, screen) = self.formulas()?;
        let mut wanted: Vec<String> = Vec::new();
        let formula_columns = std::iter::once(&main)
            .chain(screen.as_ref())
            .flat_map(|f| f.columns().into_iter().map(str::to_string))
            .collect::<Vec<_>>();
        for c in formula_columns.into_iter().chain(self.outcome_columns()) {
            if !wanted.contains(&c) {
                wanted.push(c);
            }
        }
        Ok(wanted)
    }
}

/// Fits the request's models on `frame`: the screening models (with
/// `univariate`), then the multivariate model. Errors name the file, line
/// and column where a cell is at fault.
pub fn fit(frame: &Frame, req: &TableCoxRequest) -> Result<CoxTableOutput, AnalysisError> {
    let resolved = req.resolved()?;
    let req = resolved.as_ref();
    req.check()?;
    let (main_formula, screen_formula) = req.formulas()?;
    let mut univariate = Vec::new();
    if let Some(sf) = &screen_formula {
        let strata_labels: Vec<String> = sf
            .terms
            .iter()
            .filter(|t| sf.is_strata(t))
            .map(|t| sf.term_label(t))
            .collect();
        for term in sf.terms.iter().filter(|t| !sf.is_strata(t)) {
            let label = sf.term_label(term);
            let text = std::iter::once(label.clone())
                .chain(strata_labels.iter().cloned())
                .collect::<Vec<_>>()
                .join(" + ");
            let model = Formula::parse(&text)
                .map_err(|e| formula_error("univariate", e))
                .and_then(|formula| fit_model(frame, req, &formula, false))
                .map_err(|e| invalid(format!("univariate model for {label}"), e.to_string()))?;
            univariate.push(ScreenedModel {
                term: label,
                n: model.n,
                events: model.events,
                n_dropped: model.n_dropped,
                terms: model.terms,
                lr_test: model.lr_test,
                warnings: model.warnings,
            });
        }
    }
    let multivariate = fit_model(frame, req, &main_formula, req.zph || req.schoenfeld)?;
    Ok(CoxTableOutput {
        univariate,
        multivariate,
    })
}

/// Refuses a factor term (text column or `factor(x)`) with more than
/// [`MAX_FACTOR_LEVELS`] distinct values in `rows`.
fn check_factor_levels(
    frame: &Frame,
    formula: &Formula,
    name: &str,
    values: &Values<'_>,
    rows: &[usize],
) -> Result<(), AnalysisError> {
    let as_factor = formula.variables.iter().any(|v| match v {
        Variable::Plain(c) => c == name && matches!(values, Values::Text(_)),
        other => other.factor_column() == Some(name),
    });
    if !as_factor {
        return Ok(());
    }
    let column = frame.column(name)?;
    let mut distinct = std::collections::HashSet::new();
    for &r in rows {
        distinct.insert(column.text(r).unwrap_or_default());
        if distinct.len() > MAX_FACTOR_LEVELS {
            return Err(invalid(
                frame.source_name(),
                format!(
                    "column '{name}' has more than {MAX_FACTOR_LEVELS} distinct values; a \
                     factor in a Cox model may have at most {MAX_FACTOR_LEVELS} levels (is it \
                     an identifier or free text?)"
                ),
            ));
        }
    }
    Ok(())
}

/// A design column read from the file. Numbers of every row of the file
/// are the frame's own (borrowed, or by code), not copied: the design
/// matrix is written from them directly (at 10⁶ rows each copy was 8 MB of
/// fresh pages per column).
enum Values<'f> {
    Numeric(Cow<'f, [f64]>),
    /// Row `r`'s number is `values[codes[r]]` (a column of few distinct
    /// numbers, as the reader codes it).
    Coded {
        codes: &'f [u32],
        values: &'f [f64],
    },
    Text(Vec<&'f str>),
}

/// Reads a formula column over `rows`: numbers when every cell of the whole
/// column is a number; text when none is (a factor, as R does with text); an
/// error naming the first text cell when a plain (non-factor) term mixes the
/// two. The type is decided on the whole column, dropped rows included, as
/// `read.csv` types it: one text cell in a dropped row makes R read the
/// column as a factor, so netra must not read it as a number.
fn read_column<'f>(
    column: Column<'f>,
    rows: &[usize],
    plain: bool,
) -> Result<Values<'f>, AnalysisError> {
    // Typed and parsed in one pass (each cell parsed once).
    let any_number = || {
        (0..column.len()).any(|r| {
            column
                .text(r)
                .is_some_and(|t| t.parse::<f64>().is_ok_and(f64::is_finite))
        })
    };
    // The numbers parsed with the file (NaN: missing, as below): the
    // frame's own when every row is used, else read straight into the rows'
    // vector, without a vector of the whole column.
    if let Some(numbers) = column.numbers() {
        return Ok(match numbers {
            Numbers::Rows(v) if every_row(column, rows) => Values::Numeric(Cow::Borrowed(v)),
            Numbers::Coded { codes, values } if every_row(column, rows) => {
                Values::Coded { codes, values }
            }
            _ => Values::Numeric(rows.iter().map(|&r| numbers.get(r)).collect()),
        });
    }
    match table::column_numbers(column) {
        Ok(values) => Ok(Values::Numeric(
            rows.iter()
                .map(|&r| values[r].unwrap_or(f64::NAN))
                .collect(),
        )),
        Err(r) if plain && any_number() => Err(column
            .error(
                r,
                format!(
                    "not a number, in a column used as a number (R reads the whole column as \
                     text because of this cell, even when its row is dropped); fix the cell, \
                     or write factor({}) to use it as categories",
                    column.name()
                ),
            )
            .into()),
        Err(_) => Ok(Values::Text(
            rows.iter()
                .map(|&r| column.text(r).unwrap_or_default())
                .collect(),
        )),
    }
}

/// Whether `rows` (ascending, distinct, as [`table::complete_rows`] gives
/// them) are every row of `column`: then row `k` of the model is row `k` of
/// the file and the frame's numbers serve as they are.
fn every_row(column: Column<'_>, rows: &[usize]) -> bool {
    rows.len() == column.len()
}

/// The times of `rows` ([`table::times`]): the frame's own numbers when
/// every row is used and every time is ≥ 0 (the same values, no copy);
/// otherwise [`table::times`], with its errors.
fn times<'f>(column: Column<'f>, rows: &[usize]) -> Result<Cow<'f, [f64]>, CellError> {
    if every_row(column, rows)
        && let Some(Numbers::Rows(v)) = column.numbers()
        && v.iter().fold(true, |ok, &t| ok & (t >= 0.0))
    {
        return Ok(Cow::Borrowed(v));
    }
    table::times(column, rows).map(Cow::Owned)
}

/// The data of one model, read from the frame, before the fit.
struct ModelRows<'f> {
    time: Cow<'f, [f64]>,
    start: Option<Vec<f64>>,
    weights: Option<Vec<f64>>,
    cluster: Option<Vec<u32>>,
    design: Design,
}

/// Reads one model's rows: complete rows of its columns, times, start,
/// weights, clusters and the design matrix.
fn read_model<'f>(
    frame: &'f Frame,
    req: &TableCoxRequest,
    formula: &Formula,
    complete: &table::CompleteRows,
) -> Result<ModelRows<'f>, AnalysisError> {
    let rows = &complete.rows;
    let line_of = |row: usize| frame.line(rows[row]);
    let time = times(frame.column(&req.time)?, rows)?;
    let start = match &req.start {
        Some(c) => {
            let col = frame.column(c)?;
            let s = table::numbers(col, rows)?;
            if let Some(k) = (0..s.len()).find(|&k| s[k] >= time[k]) {
                return Err(col
                    .error(
                        rows[k],
                        format!("the start time is not below the stop time ({})", time[k]),
                    )
                    .into());
            }
            Some(s)
        }
        None => None,
    };
    let weights = match &req.weights {
        Some(c) => {
            let col = frame.column(c)?;
            let w = table::numbers(col, rows)?;
            if let Some(k) = w.iter().position(|&v| v <= 0.0) {
                return Err(col.error(rows[k], "a weight must be > 0").into());
            }
            Some(w)
        }
        None => None,
    };
    let cluster = match &req.cluster {
        Some(c) => {
            let col = frame.column(c)?;
            let mut codes: HashMap<&str, u32> = HashMap::new();
            Some(
                rows.iter()
                    .map(|&r| {
                        let k = codes.len() as u32;
                        *codes.entry(col.text(r).unwrap_or_default()).or_insert(k)
                    })
                    .collect::<Vec<u32>>(),
            )
        }
        None => None,
    };

    // Columns used as numbers: plain columns and those computed on (a
    // text cell among numbers there is an error at its cell).
    let plain_cols: Vec<&str> = formula
        .variables
        .iter()
        .flat_map(|v| match v {
            Variable::Plain(c) => vec![c.as_str()],
            Variable::Transform(t) => t.columns(),
            _ => Vec::new(),
        })
        .collect();
    let mut values: Vec<(String, Values<'_>)> = Vec::new();
    for c in formula.columns() {
        let v = read_column(frame.column(c)?, rows, plain_cols.contains(&c))?;
        check_factor_levels(frame, formula, c, &v, rows)?;
        values.push((c.to_string(), v));
    }
    let named: Vec<NamedColumn<'_>> = values
        .iter()
        .map(|(name, v)| NamedColumn {
            name,
            data: match v {
                Values::Numeric(x) => ColumnData::Numeric(x),
                &Values::Coded { codes, values } => ColumnData::Coded { codes, values },
                Values::Text(t) => ColumnData::Text(t),
            },
        })
        .collect();
    let design = Design::build(
        formula,
        &named,
        &DesignOptions {
            reference_levels: req
                .reference
                .iter()
                .filter(|(c, _)| formula.columns().contains(&c.as_str()))
                .cloned()
                .collect(),
        },
    )
    .map_err(|e| design_error(e, frame, &line_of))?;
    if design.names.is_empty() {
        return Err(invalid("formula", "it has no covariates (only strata)"));
    }
    Ok(ModelRows {
        time,
        start,
        weights,
        cluster,
        design,
    })
}

/// Fits one model of the request on `frame`.
fn fit_model(
    frame: &Frame,
    req: &TableCoxRequest,
    formula: &Formula,
    with_zph: bool,
) -> Result<CoxModelOut, AnalysisError> {
    let mut cols: Vec<String> = formula.columns().iter().map(|c| c.to_string()).collect();
    for c in req.outcome_columns() {
        if !cols.contains(&c) {
            cols.push(c);
        }
    }
    let col_refs: Vec<&str> = cols.iter().map(String::as_str).collect();
    let complete = table::complete_rows(frame, &col_refs)?;
    let rows = &complete.rows;
    let line_of = |row: usize| frame.line(rows[row]);
    let m = read_model(frame, req, formula, &complete)?;
    let design = &m.design;
    let opts = CoxOptions {
        ties: req.ties()?,
        conf_level: req.conf_level,
        robust: req.robust.then_some(true),
        ..CoxOptions::default()
    };
    let transform = req.transform()?;
    let strata = design.strata.as_ref().map(|s| s.codes.as_slice());

    if let Some(fg) = &req.fine_gray {
        let status_col = frame.column(&fg.status)?;
        // The censoring code must occur (else every censored row would be a
        // competing event), checked on the whole column with the values seen,
        // unless the request says that no row is censored.
        let censoring = if fg.no_censoring {
            table::Censoring::Absent
        } else {
            table::Censoring::Expected
        };
        let read = table::competing_status(status_col, rows, &fg.censor, censoring)?;
        let cause_code = read.code_of(&fg.cause);
        let status: Vec<Status> = read
            .codes
            .iter()
            .map(|&c| match c {
                0 => Status::Censored,
                c if Some(c) == cause_code => Status::Cause,
                _ => Status::Competing,
            })
            .collect();
        let values: Vec<ValueRead> = read
            .values
            .into_iter()
            .map(|mut v| {
                if v.read_as == "cause" {
                    v.read_as = if table::same_code(&v.value, &fg.cause) {
                        "event"
                    } else {
                        "competing"
                    };
                }
                v
            })
            .collect();
        let reading = Reading::new(&complete, status_col.name(), values);
        if !status.contains(&Status::Cause) {
            return Err(invalid(
                frame.source_name(),
                format!(
                    "no row has the cause of interest '{}' in column '{}'",
                    fg.cause,
                    status_col.name()
                ),
            ));
        }
        let e = finegray::expand(&m.time, &status, strata, m.weights.as_deref())
            .map_err(|err| cox_error(err, &line_of))?;
        let n = design.n;
        let expanded = e.row.len();
        let mut x = Vec::with_capacity(expanded * design.p());
        for j in 0..design.p() {
            let col = &design.x[j * n..(j + 1) * n];
            x.extend(e.row.iter().map(|&r| col[r as usize]));
        }
        let strata_x: Option<Vec<u32>> =
            strata.map(|s| e.row.iter().map(|&r| s[r as usize]).collect());
        let cluster_x: Option<Vec<u32>> = m
            .cluster
            .as_ref()
            .map(|c| e.row.iter().map(|&r| c[r as usize]).collect());
        let data = CoxData {
            time: &e.stop,
            event: &e.event,
            start: Some(&e.start),
            x: &x,
            names: &design.names,
            weights: Some(&e.weight),
            strata: strata_x.as_deref(),
            cluster: cluster_x.as_deref(),
        };
        let expanded_line = |row: usize| line_of(e.row[row] as usize);
        let fit = coxph(&data, &opts).map_err(|err| cox_error(err, &expanded_line))?;
        let zph = if with_zph {
            Some(
                cox_zph(&fit, &data, &design.terms, transform)
                    .map_err(|err| cox_error(err, &expanded_line))?,
            )
        } else {
            None
        };
        let mut out = model_out(&fit, design, &reading, zph.as_ref(), req.schoenfeld);
        out.fine_gray = Some(FineGrayOut {
            cause: fg.cause.clone(),
            censor: fg.censor.clone(),
            expanded_rows: expanded,
            subjects: design.n,
        });
        return Ok(out);
    }

    let coding = EventCoding {
        event_value: req.event_value.clone(),
        censor_value: req.censor_value.clone(),
    };
    let event_col = frame.column(req.event.as_deref().unwrap_or_default())?;
    let read = table::read_events(event_col, rows, &coding)?;
    let reading = Reading::new(&complete, event_col.name(), read.values);
    let data = CoxData {
        time: &m.time,
        event: &read.events,
        start: m.start.as_deref(),
        x: &design.x,
        names: &design.names,
        weights: m.weights.as_deref(),
        strata,
        cluster: m.cluster.as_deref(),
    };
    let fit = coxph(&data, &opts).map_err(|err| cox_error(err, &line_of))?;
    let zph = if with_zph {
        Some(
            cox_zph(&fit, &data, &design.terms, transform)
                .map_err(|err| cox_error(err, &line_of))?,
        )
    } else {
        None
    };
    Ok(model_out(
        &fit,
        design,
        &reading,
        zph.as_ref(),
        req.schoenfeld,
    ))
}

fn chisq_out(t: &ChisqTest) -> ChisqOut {
    ChisqOut {
        chisq: Some(t.chisq),
        df: t.df,
        p: Some(t.p),
    }
}

fn model_out(
    fit: &CoxFit,
    design: &Design,
    reading: &Reading,
    zph: Option<&Zph>,
    schoenfeld: bool,
) -> CoxModelOut {
    let mut out = model_from_fit(
        fit,
        reading,
        design.strata.as_ref().map(|s| s.labels.clone()),
    );
    out.zph = zph.map(|z| ZphOut {
        transform: z.transform.name().into(),
        terms: z
            .terms
            .iter()
            .map(|t| ZphTermOut {
                name: t.name.clone(),
                chisq: Some(t.chisq),
                df: t.df,
                p: Some(t.p),
            })
            .collect(),
        global: chisq_out(&z.global),
    });
    out.schoenfeld = zph.filter(|_| schoenfeld).map(|z| {
        let s = &z.schoenfeld;
        SchoenfeldOut {
            transform: z.transform.name().into(),
            time: s.time.iter().copied().map(Some).collect(),
            x: s.x.iter().copied().map(Some).collect(),
            terms: s
                .names
                .iter()
                .zip(&s.residuals)
                .map(|(name, r)| ResidualsOut {
                    name: name.clone(),
                    residuals: r.iter().copied().map(Some).collect(),
                })
                .collect(),
        }
    });
    out
}

/// The `netra cox` object of a fitted model (`fit`) on data read as
/// `reading`, with the stratum labels in R's order: every field of the
/// JSON contract except the proportional-hazards test and the residuals,
/// which need row-level data. The in-memory fit (above) and the DataFusion
/// engine (netra-engine, which fits from aggregates) both report through
/// this one function, so their outputs cannot drift apart; a fit without
/// concordance or robust variance leaves those fields empty.
pub fn model_from_fit(fit: &CoxFit, reading: &Reading, strata: Option<Vec<String>>) -> CoxModelOut {
    CoxModelOut {
        n: fit.n,
        events: fit.events,
        n_dropped: reading.n_dropped,
        dropped_by: reading.dropped_by.clone(),
        event_column: reading.column.clone(),
        values_read: reading
            .values
            .iter()
            .map(|v| ValueReadOut {
                value: v.value.clone(),
                read_as: v.read_as.to_string(),
                n: v.n,
            })
            .collect(),
        merged_labels: reading
            .merged_labels
            .iter()
            .map(|m| MergedLabelOut {
                column: m.column.clone(),
                label: m.label.clone(),
                variants: m.variants.clone(),
                rows: m.cells,
            })
            .collect(),
        empty_labels: reading.empty_labels.clone(),
        converged: fit.converged,
        terms: fit
            .coefficients
            .iter()
            .map(|c| TermOut {
                name: c.name.clone(),
                coef: c.coef,
                se: c.se,
                robust_se: c.robust_se,
                hr: c.hr,
                hr_lower: c.hr_lower,
                hr_upper: c.hr_upper,
                z: c.z,
                p: c.p,
            })
            .collect(),
        loglik_null: Some(fit.loglik_null),
        loglik: Some(fit.loglik),
        lr_test: chisq_out(&fit.lr_test),
        wald_test: chisq_out(&fit.wald_test),
        score_test: chisq_out(&fit.score_test),
        robust_score_test: fit.robust_score_test.as_ref().map(chisq_out),
        concordance: fit.concordance.map(|c| ConcordanceOut {
            c: Some(c.c),
            std_err: Some(c.std_err),
        }),
        iterations: fit.iterations,
        warnings: fit.warnings.clone(),
        ties: match fit.ties {
            Ties::Efron => "efron",
            Ties::Breslow => "breslow",
        }
        .into(),
        conf_level: fit.conf_level,
        robust: fit.robust,
        strata,
        zph: None,
        schoenfeld: None,
        fine_gray: None,
    }
}

/// A kernel refusal, located at the file line of the row at fault.
fn cox_error(err: CoxError, line_of: &dyn Fn(usize) -> u64) -> AnalysisError {
    let at = |row: usize| format!("line {}", line_of(row));
    match err {
        CoxError::NotFinite { what, row } => {
            invalid(at(row), format!("{what} is not a finite number"))
        }
        CoxError::BadWeight { row } => invalid(at(row), "a weight must be > 0"),
        CoxError::BadInterval { row } | CoxError::ZeroLengthInterval { row } => {
            invalid(at(row), err_text(&err))
        }
        other => AnalysisError::stats("cox", other),
    }
}

fn err_text(err: &CoxError) -> String {
    let s = err.to_string();
    // Drop the kernel's "row N: " prefix; the caller names the line.
    match s.split_once(": ") {
        Some((head, rest)) if head.starts_with("row ") => rest.to_string(),
        _ => s,
    }
}

fn design_error(err: DesignError, frame: &Frame, line_of: &dyn Fn(usize) -> u64) -> AnalysisError {
    match err {
        DesignError::NotFinite { column, row } => invalid(
            format!("{}, line {} ({column})", frame.source_name(), line_of(row)),
            "not a finite number",
        ),
        other => invalid(frame.source_name(), other.to_string()),
    }
}
