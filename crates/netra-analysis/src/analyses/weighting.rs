//! Point-treatment weighting: a propensity-score model in R syntax
//! (`treatment ~ age_at_diagnosis + who_grade + ...`), inverse-probability
//! (ATE, ATT; stabilised; truncated at percentiles) or overlap weights,
//! their diagnostics (distribution and Kish's effective sample size per
//! group), covariate balance (standardised mean differences before and
//! after weighting: the table behind a love plot), and the weighted
//! outcome: Kaplan–Meier curves per group with pointwise CIs, the RMST
//! difference at τ, the naive and the weighted Cox hazard ratio (robust
//! sandwich variance) and the E-value of the weighted hazard ratio.
//!
//! Every number comes from `netra_stats` (`glm::logistic`,
//! `weighting`, `km`, `cox`) and is checked against R on the fixtures of
//! `validation/r/glm.R` and `validation/r/weighting.R`, which write out each
//! definition (see `netra_stats::weighting` for the SMD definition:
//! cobalt's pooled standard deviation of the unweighted sample).
//!
//! # The model
//! The treatment (left of `~`) is a categorical variable with two levels
//! among the analysed patients (the treated level: `treated`, else the
//! second level in the cohort's order) or a 0/1 number. The right-hand
//! side is netra's model syntax (`netra_stats::model::Formula`: `+`,
//! `factor()`, `a:b`, `a*b`); categorical variables enter as text, so
//! their indicator columns follow R's level order (as R would fit the same
//! data), which changes the coefficients' names, never the fitted scores.
//! Balance rows are the main effects: a number as one row, a categorical
//! variable as one 0/1 row per level present (cohort order).
//!
//! # What the numbers do not account for
//! The weighted Cox model's robust variance treats the weights as known;
//! so do the Kaplan–Meier intervals and the RMST standard errors (both
//! infinitesimal jackknife: `netra_stats::weighting::rmst_robust`, R's
//! `influence.surv`; the difference's SE is the root of the sum of the
//! groups' variances). All three ignore the estimation of the propensity
//! score (usually conservative for the ATE). Unmeasured confounding is
//! not fixed by any weight: the E-value says how strong it would have to
//! be.

use netra_stats::cox::{CoxData, CoxOptions, coxph};
use netra_stats::distributions::{normal_quantile, normal_two_sided_p};
use netra_stats::glm::{GlmData, GlmOptions, logistic};
use netra_stats::km::{KmCurve, KmOptions, km_by_group};
use netra_stats::model::{ColumnData, Design, DesignOptions, Formula, NamedColumn, Variable};
use netra_stats::weighting::{
    Estimand, RobustRmst, WeightOptions, WeightSummary, evalue_hr, rmst_robust, smd, summarize,
    treatment_weights,
};
use serde::{Deserialize, Serialize};

use crate::AnalysisError;
use crate::cohort::Cohort;
use crate::endpoint::EndpointRequest;
use crate::variables::Column;

/// A weighted comparison of two treatments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WeightingRequest {
    /// The propensity model in R syntax: `treatment ~ covariates`.
    pub formula: String,
    /// The treated level of a categorical treatment (code or label); the
    /// second level present otherwise.
    pub treated: Option<String>,
    /// `ate`, `att` or `overlap`.
    pub estimand: String,
    /// Stabilised weights (ATE only).
    pub stabilize: bool,
    /// Truncate the weights at these percentiles, e.g. `[0.01, 0.99]`.
    pub truncate: Option<[f64; 2]>,
    /// The outcome.
    pub endpoint: EndpointRequest,
    /// For a `line:all` time zero: the line analysed.
    pub line: Option<u32>,
    /// RMST horizon in the endpoint's units; the smaller of the groups'
    /// last follow-up times when absent.
    pub tau: Option<f64>,
    /// The outcome is rare (< 15%): the E-value uses the HR as a risk
    /// ratio; otherwise VanderWeele's square-root transform.
    pub rare_outcome: bool,
    /// Confidence level.
    pub conf_level: f64,
}

impl Default for WeightingRequest {
    fn default() -> Self {
        WeightingRequest {
            formula: String::new(),
            treated: None,
            estimand: "ate".into(),
            stabilize: false,
            truncate: None,
            endpoint: EndpointRequest::default(),
            line: None,
            tau: None,
            rare_outcome: false,
            conf_level: 0.95,
        }
    }
}

/// A propensity-model coefficient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PsCoefficient {
    /// `(Intercept)` or the design column (`who_grade=G2`).
    pub name: String,
    /// Log odds ratio (`null`: not estimable).
    pub estimate: Option<f64>,
    /// Standard error.
    pub se: Option<f64>,
    /// Wald p.
    pub p: Option<f64>,
}

/// The propensity model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropensityOut {
    /// Coefficients, intercept first.
    pub coefficients: Vec<PsCoefficient>,
    /// Residual deviance.
    pub deviance: f64,
    /// AIC.
    pub aic: f64,
    /// IRLS converged.
    pub converged: bool,
    /// Fitted probabilities 0 or 1: (quasi-)separation, no overlap.
    pub separation: bool,
    /// R's warnings.
    pub warnings: Vec<String>,
}

/// A group's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightsOut {
    /// `treated`, `control` or `all`.
    pub group: String,
    /// The level's label (`null` for all).
    pub level: Option<String>,
    /// Patients.
    pub n: usize,
    /// Sum of weights.
    pub sum: f64,
    /// Mean.
    pub mean: f64,
    /// SD.
    pub sd: Option<f64>,
    /// Smallest.
    pub min: f64,
    /// First quartile.
    pub q25: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q75: f64,
    /// Largest.
    pub max: f64,
    /// Kish's effective sample size.
    pub ess: f64,
}

/// A balance row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalanceOut {
    /// Variable.
    pub variable: String,
    /// Level (`null` for a number).
    pub level: Option<String>,
    /// Printed label (`Sex: female`).
    pub label: String,
    /// Binary (a proportion) or continuous.
    pub binary: bool,
    /// Mean (proportion) among the treated, unweighted.
    pub mean_treated: f64,
    /// Among the controls, unweighted.
    pub mean_control: f64,
    /// Among the treated, weighted.
    pub weighted_mean_treated: f64,
    /// Among the controls, weighted.
    pub weighted_mean_control: f64,
    /// SMD before weighting (`null`: constant).
    pub smd_before: Option<f64>,
    /// SMD after weighting.
    pub smd_after: Option<f64>,
}

/// One step of a weighted curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepOut {
    /// Time.
    pub time: f64,
    /// Weighted number at risk.
    pub n_risk: f64,
    /// Weighted events.
    pub n_event: f64,
    /// Survival.
    pub survival: f64,
    /// Lower limit (`null`: none).
    pub lower: Option<f64>,
    /// Upper limit.
    pub upper: Option<f64>,
}

/// A group's weighted curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveOut {
    /// `treated` or `control`.
    pub group: String,
    /// The level's label.
    pub level: String,
    /// Patients.
    pub n: usize,
    /// Events (unweighted).
    pub events: usize,
    /// Steps.
    pub steps: Vec<StepOut>,
    /// RMST at τ.
    pub rmst: Option<f64>,
    /// Its robust (infinitesimal-jackknife) standard error.
    pub rmst_se: Option<f64>,
}

/// An estimate with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EstimateOut {
    /// Estimate.
    pub estimate: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
    /// p-value.
    pub p: Option<f64>,
}

/// E-values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EValueOut {
    /// HR used as a risk ratio (rare outcome) or transformed.
    pub rare_outcome: bool,
    /// The risk ratio used.
    pub rr: f64,
    /// E-value of the estimate.
    pub point: f64,
    /// E-value of the CI limit nearer 1.
    pub ci: f64,
}

/// The answer to a [`WeightingRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightingOutput {
    /// "Overall survival from diagnosis (months)".
    pub title: String,
    /// Time unit.
    pub units: String,
    /// The treatment variable.
    pub treatment: String,
    /// Treated level.
    pub treated_level: String,
    /// Control level.
    pub control_level: String,
    /// The propensity formula.
    pub formula: String,
    /// Estimand code.
    pub estimand: String,
    /// Stabilised.
    pub stabilize: bool,
    /// Truncation percentiles.
    pub truncate: Option<[f64; 2]>,
    /// Truncation limits (weights).
    pub truncation_limits: Option<[f64; 2]>,
    /// Weights clipped.
    pub n_truncated: usize,
    /// Patients in the cohort.
    pub cohort: usize,
    /// Patients analysed.
    pub n: usize,
    /// Left out (no endpoint, treatment or covariate).
    pub dropped: usize,
    /// The propensity model.
    pub propensity: PropensityOut,
    /// Weight summaries: treated, control, all.
    pub weights: Vec<WeightsOut>,
    /// Balance table.
    pub balance: Vec<BalanceOut>,
    /// Largest |SMD| after weighting.
    pub max_abs_smd_after: Option<f64>,
    /// Curves: control, treated.
    pub curves: Vec<CurveOut>,
    /// RMST horizon.
    pub tau: Option<f64>,
    /// RMST difference, treated minus control.
    pub rmst_difference: Option<EstimateOut>,
    /// Unweighted Cox HR (treated vs control).
    pub hr_naive: Option<EstimateOut>,
    /// Weighted Cox HR with robust CI.
    pub hr_weighted: Option<EstimateOut>,
    /// E-value of the weighted HR.
    pub evalue: Option<EValueOut>,
    /// Confidence level.
    pub conf_level: f64,
    /// Notes (R's warnings, refusals).
    pub warnings: Vec<String>,
}

/// The model matrix of `formula` over named number and text columns (one
/// value per analysed patient); a formula the columns cannot build is an
/// error about `what` (the request field that holds it).
pub(crate) fn design_of(
    formula: &Formula,
    num_cols: &[(String, Vec<f64>)],
    txt_cols: &[(String, Vec<String>)],
    what: &str,
) -> Result<Design, AnalysisError> {
    let txt_refs: Vec<Vec<&str>> = txt_cols
        .iter()
        .map(|(_, v)| v.iter().map(String::as_str).collect())
        .collect();
    let mut named: Vec<NamedColumn<'_>> = num_cols
        .iter()
        .map(|(n, v)| NamedColumn {
            name: n,
            data: ColumnData::Numeric(v),
        })
        .collect();
    for ((n, _), r) in txt_cols.iter().zip(&txt_refs) {
        named.push(NamedColumn {
            name: n,
            data: ColumnData::Text(r),
        });
    }
    Design::build(formula, &named, &DesignOptions::default())
        .map_err(|e| AnalysisError::invalid(what, e.to_string()))
}

fn estimand_of(code: &str) -> Result<Estimand, AnalysisError> {
    match code {
        "ate" => Ok(Estimand::Ate),
        "att" => Ok(Estimand::Att),
        "overlap" | "ato" => Ok(Estimand::Overlap),
        other => Err(AnalysisError::invalid(
            "estimand",
            format!("'{other}' is not one of ate, att, overlap"),
        )),
    }
}

/// Owned per-row values of one right-hand-side variable.
enum Owned {
    Num(Vec<Option<f64>>),
    Cat(Vec<String>, Vec<Option<usize>>),
}

fn weights_out(group: &str, level: Option<&str>, s: &WeightSummary) -> WeightsOut {
    WeightsOut {
        group: group.into(),
        level: level.map(str::to_string),
        n: s.n,
        sum: s.sum,
        mean: s.mean,
        sd: s.sd,
        min: s.min,
        q25: s.q25,
        median: s.median,
        q75: s.q75,
        max: s.max,
        ess: s.ess,
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn curve_out(
    group: &str,
    level: &str,
    c: &KmCurve,
    events: usize,
    r: Option<RobustRmst>,
) -> CurveOut {
    CurveOut {
        group: group.into(),
        level: level.into(),
        n: c.n,
        events,
        steps: (0..c.len())
            .map(|j| StepOut {
                time: c.time[j],
                n_risk: c.n_risk[j],
                n_event: c.n_event[j],
                survival: c.survival[j],
                lower: finite(c.lower[j]),
                upper: finite(c.upper[j]),
            })
            .collect(),
        rmst: r.map(|r| r.estimate),
        rmst_se: r.map(|r| r.std_err),
    }
}

/// Runs a [`WeightingRequest`] on a cohort.
pub fn run(cohort: &Cohort, req: &WeightingRequest) -> Result<WeightingOutput, AnalysisError> {
    let estimand = estimand_of(&req.estimand)?;
    if !(req.conf_level > 0.0 && req.conf_level < 1.0) {
        return Err(AnalysisError::invalid(
            "conf_level",
            format!("{} is not strictly between 0 and 1", req.conf_level),
        ));
    }
    let Some((lhs, rhs)) = req.formula.split_once('~') else {
        return Err(AnalysisError::invalid(
            "formula",
            "write the propensity model as 'treatment ~ covariate + ...'",
        ));
    };
    let treatment = lhs.trim().trim_matches('`').to_string();
    if treatment.is_empty() {
        return Err(AnalysisError::invalid(
            "formula",
            "no treatment left of '~'",
        ));
    }
    let formula =
        Formula::parse(rhs).map_err(|e| AnalysisError::invalid("formula", e.to_string()))?;
    if formula
        .variables
        .iter()
        .any(|v| matches!(v, Variable::Strata(_)))
    {
        return Err(AnalysisError::invalid(
            "formula",
            "strata() has no meaning in a propensity model",
        ));
    }
    let spec = req.endpoint.spec()?;

    // The treatment: two levels (or 0/1).
    let tv = cohort.variable(&treatment)?;
    let n_all = cohort.len();
    let (t_codes, level_labels): (Vec<Option<usize>>, Vec<String>) = match &tv.column {
        Column::Num(x) => (
            x.iter()
                .map(|v| match v {
                    Some(v) if *v == 0.0 => Some(0),
                    Some(v) if *v == 1.0 => Some(1),
                    _ => None,
                })
                .collect(),
            vec!["0".into(), "1".into()],
        ),
        Column::Cat { levels, codes } => (
            codes.clone(),
            levels.iter().map(|l| l.label.clone()).collect(),
        ),
    };

    // Right-hand-side variables, owned.
    let mut vars: Vec<(String, String, Owned)> = Vec::new();
    for v in &formula.variables {
        for name in v.columns() {
            if vars.iter().any(|(n, _, _)| n == name) {
                continue;
            }
            let var = cohort.variable(name)?;
            let owned = match &var.column {
                Column::Num(x) => Owned::Num(x.clone()),
                Column::Cat { levels, codes } => Owned::Cat(
                    levels.iter().map(|l| l.label.clone()).collect(),
                    codes.clone(),
                ),
            };
            vars.push((name.to_string(), var.label.clone(), owned));
        }
    }
    let data = cohort.endpoint(&spec, req.line)?;
    let complete = |i: usize| {
        data.time[i].is_some()
            && t_codes[i].is_some()
            && vars.iter().all(|(_, _, o)| match o {
                Owned::Num(x) => x[i].is_some_and(f64::is_finite),
                Owned::Cat(_, c) => c[i].is_some(),
            })
    };
    let rows: Vec<usize> = (0..n_all).filter(|&i| complete(i)).collect();
    // Levels present among the rows, in cohort order.
    let mut present: Vec<usize> = rows.iter().filter_map(|&i| t_codes[i]).collect();
    present.sort_unstable();
    present.dedup();
    let treated_code = match &req.treated {
        Some(want) => match &tv.column {
            Column::Cat { levels, .. } => {
                levels.iter().position(|l| l.matches(want)).ok_or_else(|| {
                    AnalysisError::invalid(
                        "treated",
                        format!("'{want}' is not a level of '{treatment}'"),
                    )
                })?
            }
            Column::Num(_) => match want.trim() {
                "1" => 1,
                "0" => 0,
                _ => return Err(AnalysisError::invalid("treated", "use 0 or 1")),
            },
        },
        None => match present.as_slice() {
            [_, second] => *second,
            _ => usize::MAX,
        },
    };
    if present.len() != 2 || !present.contains(&treated_code) {
        return Err(AnalysisError::invalid(
            "treatment",
            format!(
                "'{treatment}' must have exactly two levels among the {} analysed patients \
                 (has {}: {})",
                rows.len(),
                present.len(),
                present
                    .iter()
                    .map(|&k| level_labels[k].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let control_code = present
        .iter()
        .copied()
        .find(|&k| k != treated_code)
        .unwrap_or(0);
    let n = rows.len();
    let treated: Vec<bool> = rows
        .iter()
        .map(|&i| t_codes[i] == Some(treated_code))
        .collect();
    let y: Vec<f64> = treated.iter().map(|&t| f64::from(u8::from(t))).collect();

    // Design of the propensity model.
    let mut num_cols: Vec<(String, Vec<f64>)> = Vec::new();
    let mut txt_cols: Vec<(String, Vec<String>)> = Vec::new();
    for (name, _, o) in &vars {
        match o {
            Owned::Num(x) => num_cols.push((
                name.clone(),
                rows.iter().map(|&i| x[i].unwrap_or(f64::NAN)).collect(),
            )),
            Owned::Cat(labels, c) => txt_cols.push((
                name.clone(),
                rows.iter()
                    .map(|&i| c[i].map_or(String::new(), |k| labels[k].clone()))
                    .collect(),
            )),
        }
    }
    let design = design_of(&formula, &num_cols, &txt_cols, "formula")?;
    let ps_fit = logistic(
        &GlmData {
            y: &y,
            x: &design.x,
            names: &design.names,
            weights: None,
        },
        &GlmOptions::default(),
    )
    .map_err(|e| AnalysisError::stats("propensity model", e))?;
    let mut warnings: Vec<String> = ps_fit.warnings.clone();
    let truncate = req.truncate.map(|[a, b]| (a, b));
    let w = treatment_weights(
        &ps_fit.fitted,
        &treated,
        &WeightOptions {
            estimand,
            stabilize: req.stabilize,
            truncate,
        },
    )
    .map_err(|e| AnalysisError::invalid("weights", e.to_string()))?;
    let weights = &w.weights;
    let pick = |g: bool| -> Vec<f64> {
        weights
            .iter()
            .zip(&treated)
            .filter(|(_, t)| **t == g)
            .map(|(w, _)| *w)
            .collect()
    };
    let t_label = level_labels[treated_code].clone();
    let c_label = level_labels[control_code].clone();
    let mut weight_rows = Vec::new();
    for (g, level, ws) in [
        ("treated", Some(t_label.as_str()), pick(true)),
        ("control", Some(c_label.as_str()), pick(false)),
        ("all", None, weights.clone()),
    ] {
        if let Some(s) = summarize(&ws) {
            weight_rows.push(weights_out(g, level, &s));
        }
    }

    // Balance: main effects.
    let mut balance = Vec::new();
    for v in &formula.variables {
        let name = match v {
            Variable::Plain(n) | Variable::Factor(n) => n,
            Variable::Relevel { column, .. } => column,
            // Balance is reported on the columns; a computed term
            // (`I(age^2)`) is balanced through its column's row.
            Variable::Strata(_) | Variable::Transform(_) => continue,
        };
        let Some((_, label, o)) = vars.iter().find(|(n, _, _)| n == name) else {
            continue;
        };
        let mut push = |level: Option<String>, x: Vec<f64>| {
            if let Some(s) = smd(&x, &treated, weights) {
                balance.push(BalanceOut {
                    variable: name.clone(),
                    label: match &level {
                        Some(l) => format!("{label}: {l}"),
                        None => label.clone(),
                    },
                    level,
                    binary: s.binary,
                    mean_treated: s.mean_treated,
                    mean_control: s.mean_control,
                    weighted_mean_treated: s.weighted_mean_treated,
                    weighted_mean_control: s.weighted_mean_control,
                    smd_before: s.smd_before,
                    smd_after: s.smd_after,
                });
            }
        };
        match o {
            Owned::Num(x) => {
                let values: Vec<f64> = rows.iter().map(|&i| x[i].unwrap_or(f64::NAN)).collect();
                if matches!(v, Variable::Factor(_) | Variable::Relevel { .. }) {
                    let mut lv = values.clone();
                    lv.sort_by(f64::total_cmp);
                    lv.dedup();
                    for l in lv {
                        push(
                            Some(netra_stats::model::design::number_label(l)),
                            values
                                .iter()
                                .map(|&x| f64::from(u8::from(x == l)))
                                .collect(),
                        );
                    }
                } else {
                    push(None, values);
                }
            }
            Owned::Cat(labels, c) => {
                for (k, l) in labels.iter().enumerate() {
                    let x: Vec<f64> = rows
                        .iter()
                        .map(|&i| f64::from(u8::from(c[i] == Some(k))))
                        .collect();
                    if x.contains(&1.0) {
                        push(Some(l.clone()), x);
                    }
                }
            }
        }
    }
    let max_abs_smd_after = balance
        .iter()
        .filter_map(|b| b.smd_after.map(f64::abs))
        .reduce(f64::max);

    // Outcomes.
    let time: Vec<f64> = rows.iter().filter_map(|&i| data.time[i]).collect();
    let event: Vec<bool> = rows.iter().map(|&i| data.event[i]).collect();
    let group: Vec<u32> = treated.iter().map(|&t| u32::from(t)).collect();
    let km_opts = KmOptions {
        conf_level: req.conf_level,
        ..KmOptions::default()
    };
    let curves = km_by_group(&time, &event, Some(weights), &group, 2, &km_opts)
        .map_err(|e| AnalysisError::stats("weighted Kaplan-Meier", e))?;
    let tau = req.tau.or_else(|| {
        curves
            .iter()
            .filter_map(|c| c.time.last().copied())
            .reduce(f64::min)
    });
    if let Some(t) = req.tau
        && !(t.is_finite() && t > 0.0)
    {
        return Err(AnalysisError::invalid(
            "tau",
            format!("{t} is not a positive time"),
        ));
    }
    let events_of = |g: bool| {
        event
            .iter()
            .zip(&treated)
            .filter(|(e, t)| **e && **t == g)
            .count()
    };
    let rmst_of = |g: bool| -> Option<RobustRmst> {
        let idx: Vec<usize> = (0..n).filter(|&i| treated[i] == g).collect();
        rmst_robust(
            &idx.iter().map(|&i| time[i]).collect::<Vec<_>>(),
            &idx.iter().map(|&i| event[i]).collect::<Vec<_>>(),
            &idx.iter().map(|&i| weights[i]).collect::<Vec<_>>(),
            tau?,
        )
        .ok()
    };
    let (r0, r1) = (rmst_of(false), rmst_of(true));
    let curve_rows = vec![
        curve_out("control", &c_label, &curves[0], events_of(false), r0),
        curve_out("treated", &t_label, &curves[1], events_of(true), r1),
    ];
    let z = normal_quantile(1.0 - (1.0 - req.conf_level) / 2.0);
    let rmst_diff = r0.zip(r1).map(|(a, b)| {
        let estimate = b.estimate - a.estimate;
        let se = (a.std_err * a.std_err + b.std_err * b.std_err).sqrt();
        EstimateOut {
            estimate,
            lower: estimate - z * se,
            upper: estimate + z * se,
            p: finite(normal_two_sided_p(estimate / se)),
        }
    });
    let names = ["treated".to_string()];
    let cox_of = |wts: Option<&[f64]>| -> Option<EstimateOut> {
        let fit = coxph(
            &CoxData {
                time: &time,
                event: &event,
                start: None,
                x: &y,
                names: &names,
                weights: wts,
                strata: None,
                cluster: None,
            },
            &CoxOptions {
                robust: Some(wts.is_some()),
                conf_level: req.conf_level,
                ..CoxOptions::default()
            },
        )
        .ok()?;
        let c = fit.coefficients.first()?;
        Some(EstimateOut {
            estimate: c.hr?,
            lower: c.hr_lower?,
            upper: c.hr_upper?,
            p: c.p,
        })
    };
    let hr_naive = cox_of(None);
    let hr_weighted = cox_of(Some(weights));
    if hr_weighted.is_none() {
        warnings.push("no hazard ratio: the Cox model could not be fitted (no events?)".into());
    }
    let evalue = hr_weighted.and_then(|h| {
        evalue_hr(h.estimate, h.lower, h.upper, req.rare_outcome).map(|e| EValueOut {
            rare_outcome: e.rare,
            rr: e.rr,
            point: e.point,
            ci: e.ci,
        })
    });
    Ok(WeightingOutput {
        title: spec.param(req.line),
        units: spec.units.code().to_string(),
        treatment: treatment.clone(),
        treated_level: t_label,
        control_level: c_label,
        formula: req.formula.clone(),
        estimand: estimand.code().into(),
        stabilize: req.stabilize,
        truncate: req.truncate,
        truncation_limits: w.limits.map(|(a, b)| [a, b]),
        n_truncated: w.n_truncated,
        cohort: n_all,
        n,
        dropped: n_all - n,
        propensity: PropensityOut {
            coefficients: ps_fit
                .coefficients
                .iter()
                .map(|c| PsCoefficient {
                    name: c.name.clone(),
                    estimate: c.estimate,
                    se: c.se,
                    p: c.p,
                })
                .collect(),
            deviance: ps_fit.deviance,
            aic: ps_fit.aic,
            converged: ps_fit.converged,
            separation: ps_fit.separation,
            warnings: ps_fit.warnings,
        },
        weights: weight_rows,
        balance,
        max_abs_smd_after,
        curves: curve_rows,
        tau,
        rmst_difference: rmst_diff,
        hr_naive,
        hr_weighted,
        evalue,
        conf_level: req.conf_level,
        warnings,
    })
}
