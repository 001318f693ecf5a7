//! Cox proportional-hazards regression of an endpoint on variables of the
//! dictionary (or a study's derived variables): the models of Cox tables,
//! forest plots and the web's regression page. The Cox model of a CSV
//! table's columns with an R formula (`netra cox`: robust variance,
//! (start, stop] data, `cox.zph`, Fine–Gray) is [`table`].
//!
//! # Design
//! The design matrix is built by `netra_stats::model::Design` from one
//! named column per term, as R's `model.matrix` builds it for `coxph`:
//! * a number enters as its column;
//! * a categorical variable enters as `factor()` of its level's index in the
//!   cohort's level order, so that the design's levels follow the cohort
//!   (a text column would be put in R's sort order instead); the reference
//!   (first level, or the one `reference` names, by code or label) goes
//!   first through `DesignOptions::reference_levels` (R's `relevel`), and
//!   every other level present among the model's patients gets one
//!   indicator column, named `variable=Label`. A level with no patient in
//!   the model gets no column (R would give it an `NA` coefficient).
//!
//! Patients without the endpoint or without any term (a missing or
//! non-finite value) are left out of the model (R's `na.omit`).
//!
//! # Fit
//! Through the additive partial aggregates of `netra_stats::partial_cox`
//! (`fit_parts`, the rows in one part here; cutting them into more parts
//! changes the result by rounding only, far below 1e-9). That is the same
//! fit as `coxph` (Efron ties by default) to 1e-9: coefficients,
//! model-based standard errors, log-likelihoods, the likelihood-ratio,
//! Wald and score tests and R's warnings. Not available from partials, so
//! not reported: the robust variance and the concordance. R's `timefix`
//! is not applied: cohort times are whole days scaled to the unit, so no
//! two differ by rounding only.
//!
//! A model without any column (every term with a single level among its
//! patients, or no patient at all) is not fitted: the output then has its
//! counts, no coefficient, `null` likelihoods and tests, and a warning
//! saying why.

pub mod table;

use std::collections::BTreeMap;

use netra_stats::cox::terms::{likelihood_ratio, wald_subset};
use netra_stats::cox::{CoxData, CoxFit, CoxOptions, Ties};
use netra_stats::model::{
    ColumnData, Design, DesignOptions, Formula, NamedColumn, Term as FormulaTerm,
    Variable as FormulaVariable,
};
use netra_stats::partial_cox::fit_parts;
use serde::{Deserialize, Serialize};

use crate::AnalysisError;
use crate::analyses::survival::TestOut;
use crate::cohort::Cohort;
use crate::endpoint::EndpointRequest;
use crate::variables::Column;

/// A Cox model of an endpoint on some variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoxRequest {
    /// The endpoint and its time zero.
    pub endpoint: EndpointRequest,
    /// For a `line:all` time zero: the line analysed.
    pub line: Option<u32>,
    /// The model's variables (dictionary or derived names), in order.
    pub terms: Vec<String>,
    /// Reference level (code or label) of categorical terms; the first
    /// level otherwise.
    pub reference: BTreeMap<String, String>,
    /// `efron` (R's default) or `breslow`.
    pub ties: String,
    /// Confidence level of the hazard-ratio intervals.
    pub conf_level: f64,
    /// Also test each term as a whole (`term_tests` of the output: one
    /// refit per term for the likelihood-ratio test). Off by default: each
    /// refit costs a fit (federated: its own Newton rounds).
    pub term_tests: bool,
}

impl Default for CoxRequest {
    fn default() -> Self {
        CoxRequest {
            endpoint: EndpointRequest::default(),
            line: None,
            terms: Vec::new(),
            reference: BTreeMap::new(),
            ties: "efron".into(),
            conf_level: 0.95,
            term_tests: false,
        }
    }
}

/// One coefficient: one column of the design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoxCoefficient {
    /// The variable.
    pub term: String,
    /// The level's label (`null` for a number).
    pub level: Option<String>,
    /// Estimate (`null`: not estimable, R's `NA`).
    pub coef: Option<f64>,
    /// Model-based standard error.
    pub se: Option<f64>,
    /// Hazard ratio `exp(coef)`.
    pub hr: Option<f64>,
    /// Lower confidence limit of the hazard ratio.
    pub lower: Option<f64>,
    /// Upper confidence limit of the hazard ratio.
    pub upper: Option<f64>,
    /// Wald p-value.
    pub p: Option<f64>,
    /// False when R would print `NA` or an infinite hazard ratio (a
    /// collinear column, or a coefficient heading to infinity).
    pub estimable: bool,
}

/// A term of the model as it entered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoxTerm {
    /// The variable.
    pub term: String,
    /// Its printed name.
    pub label: String,
    /// Reference level's label (`null` for a number).
    pub reference: Option<String>,
    /// Levels with a column, in order (empty for a number).
    pub levels: Vec<String>,
    /// Levels of the variable with no patient in the model (no column).
    pub absent_levels: Vec<String>,
    /// Why the term has no estimate (a single level among the model's
    /// patients), if so.
    pub note: Option<String>,
}

/// Log partial likelihoods.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LogLik {
    /// At β = 0.
    pub null: f64,
    /// At the estimate.
    #[serde(rename = "final")]
    pub fitted: f64,
}

/// The answer to a [`CoxRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoxOutput {
    /// "Overall survival from diagnosis (months)".
    pub title: String,
    /// Endpoint code.
    pub endpoint: String,
    /// Time-zero code.
    pub from: String,
    /// Time unit.
    pub units: String,
    /// Patients in the cohort.
    pub cohort: usize,
    /// Patients with a row for the endpoint.
    pub with_endpoint: usize,
    /// Patients in the model.
    pub n: usize,
    /// Events in the model.
    pub events: usize,
    /// Patients left out: without the endpoint or a term.
    pub dropped: usize,
    /// `efron` or `breslow`.
    pub ties: String,
    /// Confidence level of the intervals.
    pub conf_level: f64,
    /// The terms, in request order.
    pub terms: Vec<CoxTerm>,
    /// One per design column, in design order.
    pub coefficients: Vec<CoxCoefficient>,
    /// Log partial likelihoods (`null`: not fitted).
    pub loglik: Option<LogLik>,
    /// Likelihood-ratio test.
    pub lr_test: Option<TestOut>,
    /// Wald test.
    pub wald_test: Option<TestOut>,
    /// Score (log-rank) test.
    pub score_test: Option<TestOut>,
    /// Newton–Raphson iterations (`null`: not fitted).
    pub iterations: Option<usize>,
    /// False when the iteration limit was reached.
    pub converged: Option<bool>,
    /// Fitting notes, worded as R words them, and why a model was not
    /// fitted.
    pub warnings: Vec<String>,
    /// The overall test of each term with an estimable column, in request
    /// order: all of a factor's levels at once (the "p for the factor").
    /// Empty unless the request asks for them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub term_tests: Vec<CoxTermTest>,
}

/// The overall tests of one term (see `netra_stats::cox::terms`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoxTermTest {
    /// The variable.
    pub term: String,
    /// Estimable columns of the term (the tests' degrees of freedom).
    pub df: usize,
    /// Likelihood-ratio test against the model refitted on the same
    /// patients without the term (R: `drop1(fit, test = "Chisq")`).
    pub lr: Option<TestOut>,
    /// Wald test of the term's coefficients, `b' V⁻¹ b` (R: `car::Anova(fit,
    /// test.statistic = "Wald")`).
    pub wald: Option<TestOut>,
}

/// How one variable enters: its values per cohort patient.
enum Values<'a> {
    Num(&'a [Option<f64>]),
    Cat {
        labels: Vec<String>,
        reference: usize,
        codes: &'a [Option<usize>],
    },
}

struct Entry<'a> {
    name: String,
    label: String,
    values: Values<'a>,
}

impl Entry<'_> {
    fn missing(&self, i: usize) -> bool {
        match &self.values {
            Values::Num(v) => v[i].is_none_or(|x| !x.is_finite()),
            Values::Cat { codes, .. } => codes[i].is_none(),
        }
    }
}

fn ties_of(text: &str) -> Result<Ties, AnalysisError> {
    match text {
        "efron" => Ok(Ties::Efron),
        "breslow" => Ok(Ties::Breslow),
        other => Err(AnalysisError::invalid(
            "ties",
            format!("'{other}' is not one of efron, breslow"),
        )),
    }
}

/// The request's terms resolved against the cohort, references checked.
fn entries<'a>(cohort: &'a Cohort, req: &CoxRequest) -> Result<Vec<Entry<'a>>, AnalysisError> {
    if req.terms.is_empty() {
        return Err(AnalysisError::invalid(
            "terms",
            "the model needs a variable",
        ));
    }
    let unknown: Vec<&str> = req
        .terms
        .iter()
        .filter(|t| cohort.frame.get(t).is_none())
        .map(String::as_str)
        .collect();
    if let [one] = unknown.as_slice() {
        return Err(crate::cohort::unknown_variable(one));
    }
    if !unknown.is_empty() {
        return Err(AnalysisError::invalid(
            "variable",
            format!("unknown variables '{}'", unknown.join("', '")),
        ));
    }
    if let Some(name) = req.reference.keys().find(|k| !req.terms.contains(k)) {
        return Err(AnalysisError::invalid(
            format!("reference of '{name}'"),
            "is not a term of the model",
        ));
    }
    let mut out: Vec<Entry<'a>> = Vec::new();
    for name in &req.terms {
        // R drops a repeated term.
        if out.iter().any(|e| &e.name == name) {
            continue;
        }
        let v = cohort.variable(name)?;
        let values = match &v.column {
            Column::Num(x) => {
                if req.reference.contains_key(name) {
                    return Err(AnalysisError::invalid(
                        format!("reference of '{name}'"),
                        "is a number: it has no reference level",
                    ));
                }
                Values::Num(x)
            }
            Column::Cat { levels, codes } => {
                let reference = match req.reference.get(name) {
                    None => 0,
                    Some(want) => levels.iter().position(|l| l.matches(want)).ok_or_else(|| {
                        AnalysisError::invalid(
                            format!("reference of '{name}'"),
                            format!(
                                "'{want}' is not a level (levels: {})",
                                levels
                                    .iter()
                                    .map(|l| l.label.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })?,
                };
                Values::Cat {
                    labels: levels.iter().map(|l| l.label.clone()).collect(),
                    reference,
                    codes,
                }
            }
        };
        out.push(Entry {
            name: name.clone(),
            label: v.label.clone(),
            values,
        });
    }
    Ok(out)
}

/// Runs a [`CoxRequest`] on a cohort.
pub fn run(cohort: &Cohort, req: &CoxRequest) -> Result<CoxOutput, AnalysisError> {
    run_in_parts(cohort, req, 1)
}

/// Runs a [`CoxRequest`] with the model's rows cut into `parts` parts
/// (consecutive runs of rows) whose partial sums are merged: the result is
/// the same as with one part, to rounding (a check of the partial path).
pub fn run_in_parts(
    cohort: &Cohort,
    req: &CoxRequest,
    parts: usize,
) -> Result<CoxOutput, AnalysisError> {
    let spec = req.endpoint.spec()?;
    let ties = ties_of(&req.ties)?;
    if !(req.conf_level > 0.0 && req.conf_level < 1.0) {
        return Err(AnalysisError::invalid(
            "conf_level",
            format!("{} is not strictly between 0 and 1", req.conf_level),
        ));
    }
    let entries = entries(cohort, req)?;
    let data = cohort.endpoint(&spec, req.line)?;
    let rows: Vec<usize> = (0..data.time.len())
        .filter(|&i| data.time[i].is_some() && entries.iter().all(|e| !e.missing(i)))
        .collect();
    let n = rows.len();
    let time: Vec<f64> = rows.iter().filter_map(|&i| data.time[i]).collect();
    let event: Vec<bool> = rows.iter().map(|&i| data.event[i]).collect();
    let events = event.iter().filter(|e| **e).count();
    let with_endpoint = data.time.len() - data.without_row;

    let mut out = CoxOutput {
        title: spec.param(req.line),
        endpoint: spec.endpoint.code().to_string(),
        from: spec.from.code(),
        units: spec.units.code().to_string(),
        cohort: cohort.len(),
        with_endpoint,
        n,
        events,
        dropped: cohort.len() - n,
        ties: req.ties.clone(),
        conf_level: req.conf_level,
        terms: Vec::new(),
        coefficients: Vec::new(),
        loglik: None,
        lr_test: None,
        wald_test: None,
        score_test: None,
        iterations: None,
        converged: None,
        warnings: Vec::new(),
        term_tests: Vec::new(),
    };

    // One column per term over the model's rows, named `t0`, `t1`, … for
    // the design (names it needs no quoting for); categorical terms hold
    // their level's index in the cohort.
    let mut cols: Vec<Vec<f64>> = Vec::new();
    let mut refs = Vec::new();
    for (j, e) in entries.iter().enumerate() {
        match &e.values {
            Values::Num(v) => {
                cols.push(rows.iter().map(|&i| v[i].unwrap_or(f64::NAN)).collect());
                out.terms.push(CoxTerm {
                    term: e.name.clone(),
                    label: e.label.clone(),
                    reference: None,
                    levels: Vec::new(),
                    absent_levels: Vec::new(),
                    note: None,
                });
            }
            Values::Cat {
                labels,
                reference,
                codes,
            } => {
                let mut present = vec![false; labels.len()];
                for &i in &rows {
                    if let Some(c) = codes[i] {
                        present[c] = true;
                    }
                }
                // A variable nobody has (an empty cohort) has no levels at
                // all, so the reference is looked up, not indexed.
                let has = |k: usize| present.get(k).copied().unwrap_or(false);
                if n > 0 && !has(*reference) {
                    return Err(AnalysisError::invalid(
                        format!("reference of '{}'", e.name),
                        format!(
                            "level '{}' has no patient in the model; choose another \
                             (levels with patients: {})",
                            labels.get(*reference).map_or("", String::as_str),
                            (0..labels.len())
                                .filter(|&k| present[k])
                                .map(|k| labels[k].as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                cols.push(
                    rows.iter()
                        .map(|&i| codes[i].map_or(f64::NAN, |c| c as f64))
                        .collect(),
                );
                refs.push((format!("t{j}"), reference.to_string()));
                let levels: Vec<String> = std::iter::once(*reference)
                    .chain((0..labels.len()).filter(|k| k != reference))
                    .filter(|&k| has(k))
                    .map(|k| labels[k].clone())
                    .collect();
                let note = (n > 0 && levels.len() == 1).then(|| {
                    format!(
                        "one level ({}) among the {n} patients of the model: no hazard \
                         ratio can be estimated",
                        levels[0]
                    )
                });
                out.terms.push(CoxTerm {
                    term: e.name.clone(),
                    label: e.label.clone(),
                    reference: labels.get(*reference).cloned(),
                    levels,
                    absent_levels: (0..labels.len())
                        .filter(|&k| !present[k])
                        .map(|k| labels[k].clone())
                        .collect(),
                    note,
                });
            }
        }
    }
    if n == 0 {
        out.warnings
            .push("no patient has the endpoint and every term: the model is not fitted".into());
        return Ok(out);
    }

    let names: Vec<String> = (0..entries.len()).map(|j| format!("t{j}")).collect();
    let columns: Vec<NamedColumn<'_>> = names
        .iter()
        .zip(&cols)
        .map(|(name, v)| NamedColumn {
            name,
            data: ColumnData::Numeric(v),
        })
        .collect();
    let formula = Formula {
        variables: entries
            .iter()
            .zip(&names)
            .map(|(e, name)| match e.values {
                Values::Num(_) => FormulaVariable::Plain(name.clone()),
                Values::Cat { .. } => FormulaVariable::Factor(name.clone()),
            })
            .collect(),
        terms: (0..entries.len())
            .map(|j| FormulaTerm { variables: vec![j] })
            .collect(),
        ..Formula::default()
    };
    let mut design = Design::build(
        &formula,
        &columns,
        &DesignOptions {
            reference_levels: refs,
        },
    )
    .map_err(|e| AnalysisError::stats("cox", e))?;

    // Each design column back to its variable and level.
    let mut keys: Vec<(usize, Option<usize>)> = Vec::with_capacity(design.p());
    for (j, t) in design.terms.iter().enumerate() {
        for c in t.columns.clone() {
            let level = match &entries[j].values {
                Values::Num(_) => None,
                Values::Cat { .. } => {
                    // Named `tJ=K`: K is the level's index in the cohort.
                    let k = design.names[c]
                        .rsplit('=')
                        .next()
                        .and_then(|k| k.parse::<usize>().ok())
                        .ok_or_else(|| {
                            AnalysisError::stats(
                                "cox",
                                format!("unexpected design column '{}'", design.names[c]),
                            )
                        })?;
                    Some(k)
                }
            };
            keys.push((j, level));
        }
    }
    design.names = keys
        .iter()
        .map(|&(j, level)| match (&entries[j].values, level) {
            (Values::Cat { labels, .. }, Some(k)) => format!("{}={}", entries[j].name, labels[k]),
            _ => entries[j].name.clone(),
        })
        .collect();
    if design.p() == 0 {
        let why: Vec<String> = out
            .terms
            .iter()
            .filter_map(|t| t.note.as_ref().map(|n| format!("'{}' has {n}", t.term)))
            .collect();
        out.warnings.push(format!(
            "the model has no coefficient to estimate ({}): it is not fitted",
            why.join("; ")
        ));
        return Ok(out);
    }

    let opts = CoxOptions {
        ties,
        conf_level: req.conf_level,
        robust: Some(false),
        ..CoxOptions::default()
    };
    let all: Vec<usize> = (0..design.p()).collect();
    let fit = fit_rows(&time, &event, &design, &all, &opts, parts)?;
    if req.term_tests {
        out.term_tests = term_tests(&time, &event, &design, &fit, &opts, parts, &entries)?;
    }
    fill_from_fit(&mut out, &fit, |k| {
        let (j, level) = keys[k];
        let label = match (&entries[j].values, level) {
            (Values::Cat { labels, .. }, Some(l)) => Some(labels[l].clone()),
            _ => None,
        };
        (entries[j].name.clone(), label)
    });
    Ok(out)
}

/// Fills `out` from a fitted model: one coefficient per design column
/// (`name_of(k)` gives column `k`'s term and level label), the
/// log-likelihoods, the three tests, iterations, convergence and warnings.
/// The pooled fit and the federated fit (netra-federation) report through
/// this one function, so their outputs cannot drift apart.
pub fn fill_from_fit(
    out: &mut CoxOutput,
    fit: &netra_stats::cox::CoxFit,
    name_of: impl Fn(usize) -> (String, Option<String>),
) {
    for (k, c) in fit.coefficients.iter().enumerate() {
        let (term, level) = name_of(k);
        // R prints an infinite or undefined hazard ratio as such: the
        // coefficient is not estimable.
        let estimable = match (c.hr, c.hr_lower, c.hr_upper) {
            (Some(hr), Some(_), Some(upper)) => hr.is_finite() && hr > 0.0 && upper.is_finite(),
            _ => false,
        };
        out.coefficients.push(CoxCoefficient {
            term,
            level,
            coef: c.coef,
            se: c.se,
            hr: c.hr,
            lower: c.hr_lower,
            upper: c.hr_upper,
            p: c.p,
            estimable,
        });
    }
    let test = |t: netra_stats::cox::ChisqTest| TestOut {
        chisq: t.chisq,
        df: t.df,
        p: t.p,
    };
    out.loglik = Some(LogLik {
        null: fit.loglik_null,
        fitted: fit.loglik,
    });
    out.lr_test = Some(test(fit.lr_test));
    out.wald_test = Some(test(fit.wald_test));
    out.score_test = Some(test(fit.score_test));
    out.iterations = Some(fit.iterations);
    out.converged = Some(fit.converged);
    out.warnings.extend(fit.warnings.iter().cloned());
}

/// The overall likelihood-ratio and Wald tests of each term with an
/// estimable column: the reduced model (without the term's columns) is
/// refitted through the same partial aggregates on the same patients, and
/// a model of one term reduces to β = 0 (`loglik_null`).
fn term_tests(
    time: &[f64],
    event: &[bool],
    design: &Design,
    fit: &CoxFit,
    opts: &CoxOptions,
    parts: usize,
    entries: &[Entry<'_>],
) -> Result<Vec<CoxTermTest>, AnalysisError> {
    let test = |t: netra_stats::cox::ChisqTest| TestOut {
        chisq: t.chisq,
        df: t.df,
        p: t.p,
    };
    let mut out = Vec::new();
    for (j, t) in design.terms.iter().enumerate() {
        let cols: Vec<usize> = t.columns.clone().collect();
        let df = cols
            .iter()
            .filter(|&&c| fit.coefficients[c].coef.is_some_and(f64::is_finite))
            .count();
        if df == 0 {
            continue;
        }
        let rest: Vec<usize> = (0..design.p()).filter(|c| !cols.contains(c)).collect();
        let reduced = if rest.is_empty() {
            fit.loglik_null
        } else {
            fit_rows(time, event, design, &rest, opts, parts)?.loglik
        };
        out.push(CoxTermTest {
            term: entries[j].name.clone(),
            df,
            lr: likelihood_ratio(fit.loglik, reduced, df).map(test),
            wald: wald_subset(fit, &cols, opts.toler_chol).map(test),
        });
    }
    Ok(out)
}

/// Fits the design's columns `cols` through the partial aggregates, the
/// rows cut into `parts` consecutive parts.
fn fit_rows(
    time: &[f64],
    event: &[bool],
    design: &Design,
    cols: &[usize],
    opts: &CoxOptions,
    parts: usize,
) -> Result<CoxFit, AnalysisError> {
    let n = time.len();
    let names: Vec<String> = cols.iter().map(|&c| design.names[c].clone()).collect();
    let parts = parts.clamp(1, n.max(1));
    let bounds: Vec<usize> = (0..=parts).map(|k| k * n / parts).collect();
    // Each part's covariates, column-major over its own rows.
    let xs: Vec<Vec<f64>> = bounds
        .windows(2)
        .map(|w| {
            cols.iter()
                .flat_map(|&j| design.column(j)[w[0]..w[1]].iter().copied())
                .collect()
        })
        .collect();
    let data: Vec<CoxData<'_>> = bounds
        .windows(2)
        .zip(&xs)
        .map(|(w, x)| CoxData {
            time: &time[w[0]..w[1]],
            event: &event[w[0]..w[1]],
            start: None,
            x,
            names: &names,
            weights: None,
            strata: None,
            cluster: None,
        })
        .collect();
    fit_parts(&data, &names, opts).map_err(|e| AnalysisError::stats("cox", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_have_r_defaults_and_refuse_unknown_fields() {
        let r: CoxRequest = serde_json::from_str(r#"{"terms":["age"]}"#).unwrap();
        assert_eq!(r.ties, "efron");
        assert_eq!(r.conf_level, 0.95);
        assert!(serde_json::from_str::<CoxRequest>(r#"{"term":["age"]}"#).is_err());
        assert!(ties_of("exact").unwrap_err().to_string().contains("efron"));
    }
}
