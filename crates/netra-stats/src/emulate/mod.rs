//! Clone–censor–weight emulation of a target trial of treatment
//! strategies (Hernán & Robins; Maringe et al. 2020), the numbers part:
//! the caller says, per patient and strategy, when the patient deviates
//! and in which windows a deviation could happen (the grace periods); this
//! module clones, censors, weights and estimates.
//!
//! # The emulation, step by step (R: `validation/r/emulate.R`)
//! * **Clone.** Every patient compatible with a strategy at time zero
//!   (deviation `None` or after 0) gets a clone in it; a patient who dies
//!   in the grace period before starting anything is in every strategy.
//! * **Censor.** A clone ends at `min(time, deviation)`, artificially
//!   censored when the deviation comes first (a death at the deviation time
//!   counts as a death).
//! * **Person-intervals.** The clone's follow-up is split on a grid of
//!   width `interval`: rows `(kΔ, min((k+1)Δ, end)]`. A row is *at risk of
//!   deviation* when its interval `(a, b]` meets a window `[from, to]`
//!   (`from ≤ b` and `to > a`); outside the windows deviation is impossible
//!   and the row enters neither the model nor the weight.
//! * **Weight model.** Per strategy a pooled logistic regression of
//!   deviation on the at-risk rows, `glm(deviated ~ baseline + time-varying
//!   + t [+ I(t^2)], binomial)` with the time-varying covariates at the
//!   row's start and `t` the interval's start (`crate::glm::logistic`).
//! * **Weight.** A row's weight is the inverse probability of remaining
//!   uncensored to the end of its interval: the product over the clone's
//!   at-risk rows so far (this one included) of `1/(1 − p̂)`; optionally
//!   truncated at percentiles of all rows (R's `quantile`, type 7).
//! * **Outcomes.** Weighted Kaplan–Meier per strategy on the `(start,
//!   stop]` rows with the robust infinitesimal-jackknife variance clustered
//!   by patient (R: `survfit(Surv(start, stop, event) ~ 1, weights = w, id
//!   = id, robust = TRUE, influence = TRUE)`; [`curve`]); RMST at τ and
//!   survival at chosen times with their IJ standard errors; differences
//!   between strategies with the standard error of the per-patient
//!   difference of influences (a patient's clones are correlated); hazard
//!   ratios from `coxph(Surv(start, stop, event) ~ strategy, weights = w,
//!   cluster = id)` with the robust sandwich variance, weighted and
//!   unweighted.
//!
//! # What the intervals do not account for
//! The weights are treated as known: the IJ and sandwich variances ignore
//! the estimation of the deviation models. [`bootstrap`] re-runs the whole
//! pipeline (weights re-estimated) on patients resampled with replacement.

mod boot;
pub mod curve;
mod split;

pub use boot::{BootInterval, Bootstrap, BootstrapOptions, bootstrap};
pub use curve::{WeightedCurve, weighted_curve};
pub use split::CloneRow;

use crate::cox::{CoxData, CoxOptions, coxph};
use crate::distributions::{normal_quantile, normal_two_sided_p};
use crate::glm::{GlmData, GlmFit, GlmOptions, logistic};
use crate::weighting::{WeightSummary, quantile_sorted, summarize};

/// One strategy: per patient, when the patient deviates from it and when
/// a deviation could happen.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StrategyData {
    /// Name ("everolimus → chemotherapy").
    pub name: String,
    /// Per patient: time of deviation (`None`: never; `≤ 0`: not
    /// compatible at time zero, no clone).
    pub deviation: Vec<Option<f64>>,
    /// Per patient: windows `[from, to]` in which a deviation could happen.
    pub windows: Vec<Vec<[f64; 2]>>,
}

/// A time-varying covariate: per patient, the steps `(from, value)`
/// (ascending `from`); the value is 0 before the first step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimeVarying {
    /// Name (a coefficient name of the weight model).
    pub name: String,
    /// Per patient: steps.
    pub steps: Vec<Vec<(f64, f64)>>,
}

impl TimeVarying {
    fn at(&self, patient: usize, t: f64) -> f64 {
        self.steps[patient]
            .iter()
            .take_while(|(from, _)| *from <= t)
            .last()
            .map_or(0.0, |(_, v)| *v)
    }
}

/// The emulated trial's data: one entry per patient.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trial {
    /// Follow-up from time zero (death or censoring).
    pub time: Vec<f64>,
    /// Death (or the outcome event) observed.
    pub event: Vec<bool>,
    /// Baseline covariates of the weight model, one column per covariate.
    pub baseline: Vec<Vec<f64>>,
    /// Their names.
    pub baseline_names: Vec<String>,
    /// Time-varying covariates of the weight model.
    pub time_varying: Vec<TimeVarying>,
    /// Two or more strategies; the first is the reference of contrasts.
    pub strategies: Vec<StrategyData>,
}

impl Trial {
    /// Patients.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// No patients.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// The trial of the patients `idx` (repeats allowed: a bootstrap
    /// sample; each copy is a patient of its own).
    pub fn subset(&self, idx: &[usize]) -> Trial {
        Trial {
            time: idx.iter().map(|&i| self.time[i]).collect(),
            event: idx.iter().map(|&i| self.event[i]).collect(),
            baseline: self
                .baseline
                .iter()
                .map(|c| idx.iter().map(|&i| c[i]).collect())
                .collect(),
            baseline_names: self.baseline_names.clone(),
            time_varying: self
                .time_varying
                .iter()
                .map(|v| TimeVarying {
                    name: v.name.clone(),
                    steps: idx.iter().map(|&i| v.steps[i].clone()).collect(),
                })
                .collect(),
            strategies: self
                .strategies
                .iter()
                .map(|s| StrategyData {
                    name: s.name.clone(),
                    deviation: idx.iter().map(|&i| s.deviation[i]).collect(),
                    windows: idx.iter().map(|&i| s.windows[i].clone()).collect(),
                })
                .collect(),
        }
    }
}

/// Time in the weight model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeTerms {
    /// No time term.
    None,
    /// `t` (the interval's start).
    #[default]
    Linear,
    /// `t + I(t^2)`.
    Quadratic,
}

/// The numerator of stabilised weights: a second logistic model of
/// deviation on the same rows (pooled or per window, as the denominator)
/// without the time-varying covariates. A row's weight is then
/// `∏ (1 − q̂)/(1 − p̂)` over the clone's at-risk rows so far, `q̂` the
/// numerator's and `p̂` the denominator's fitted probability (R: the same
/// `glm` twice, `cumprod((1 - q)/(1 - p))` by clone).
///
/// With `Time` (time terms only) the weighted curves and Cox model stay
/// marginal. With `Baseline` (baseline covariates and time terms, the
/// usual stabilisation) the weights no longer remove the confounding by
/// the baseline covariates: the outcome model must condition on them,
/// which the emulation's unadjusted curves and Cox model do not — use it
/// to compare weights, or with an outcome model of your own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stabilize {
    /// Unstabilised weights `∏ 1/(1 − p̂)`.
    #[default]
    None,
    /// Numerator on the time terms.
    Time,
    /// Numerator on the baseline covariates and the time terms.
    Baseline,
}

/// Options of [`emulate`].
#[derive(Debug, Clone, PartialEq)]
pub struct EmulateOptions {
    /// Width of the person-interval grid (the time unit of the data).
    pub interval: f64,
    /// Time terms of the weight model.
    pub time_terms: TimeTerms,
    /// One deviation model per window index (the first window — starting
    /// the first step —, the second — the switch —, …) instead of one
    /// pooled model per strategy: the covariates may act differently on
    /// each decision.
    pub by_window: bool,
    /// Truncate the weights at these percentiles of all rows.
    pub truncate: Option<(f64, f64)>,
    /// RMST horizon.
    pub tau: Option<f64>,
    /// Times of survival and its differences.
    pub times: Vec<f64>,
    /// Confidence level.
    pub conf_level: f64,
    /// Compute variances and intervals (a bootstrap replicate does not).
    pub variance: bool,
    /// Stabilised weights (a numerator model).
    pub stabilize: Stabilize,
}

impl Default for EmulateOptions {
    fn default() -> Self {
        EmulateOptions {
            interval: 1.0,
            time_terms: TimeTerms::Linear,
            by_window: false,
            truncate: None,
            tau: None,
            times: Vec::new(),
            conf_level: 0.95,
            variance: true,
            stabilize: Stabilize::None,
        }
    }
}

/// Why the emulation cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmulateError {
    /// Inputs of different lengths, or fewer than two strategies.
    #[error("{0}")]
    Shape(String),
    /// A time, interval or option is not a valid number.
    #[error("{0}")]
    Invalid(String),
    /// A strategy has no clone.
    #[error("strategy '{0}' has no patient compatible at time zero")]
    EmptyArm(String),
    /// The weight model failed.
    #[error("the deviation model of strategy '{0}': {1}")]
    Model(String, String),
    /// The Cox model failed.
    #[error("the Cox model: {0}")]
    Cox(String),
}

/// Survival at a chosen time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalAt {
    /// Time.
    pub time: f64,
    /// S(t).
    pub survival: f64,
    /// Its IJ standard error (NaN without variances).
    pub std_err: f64,
    /// Lower limit (log interval; `None` where S = 0 or no variance).
    pub lower: Option<f64>,
    /// Upper limit.
    pub upper: Option<f64>,
}

/// An estimate with a normal interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contrast {
    /// Estimate.
    pub estimate: f64,
    /// Standard error (NaN without variances).
    pub std_err: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
    /// Two-sided p of estimate = 0.
    pub p: f64,
}

fn contrast(estimate: f64, std_err: f64, z: f64) -> Contrast {
    Contrast {
        estimate,
        std_err,
        lower: estimate - z * std_err,
        upper: estimate + z * std_err,
        p: normal_two_sided_p(estimate / std_err),
    }
}

/// A hazard ratio of a strategy against the first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HazardRatio {
    /// log HR.
    pub coef: f64,
    /// Model-based SE.
    pub se: f64,
    /// Robust (sandwich, clustered by patient) SE.
    pub robust_se: f64,
    /// HR.
    pub hr: f64,
    /// Lower limit (robust).
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
    /// Robust Wald p.
    pub p: f64,
}

/// One strategy's arm.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    /// Strategy name.
    pub name: String,
    /// Clones (patients compatible at time zero).
    pub clones: usize,
    /// Person-interval rows.
    pub rows: usize,
    /// Rows at risk of deviation.
    pub at_risk_rows: usize,
    /// Clones censored at deviation.
    pub deviations: usize,
    /// Events (deaths before any deviation).
    pub events: usize,
    /// The pooled deviation model (`None`: per-window models, or no row at
    /// risk or no deviation: every weight is 1).
    pub model: Option<GlmFit>,
    /// With `by_window`: per window index, its model (`None`: no
    /// deviation in that window).
    pub window_models: Vec<Option<GlmFit>>,
    /// The weights of the rows.
    pub weight_summary: Option<WeightSummary>,
    /// The weighted curve.
    pub curve: WeightedCurve,
    /// RMST at τ and its IJ SE.
    pub rmst: Option<(f64, f64)>,
    /// Survival at the chosen times.
    pub survival_at: Vec<SurvivalAt>,
}

/// The emulated trial.
#[derive(Debug, Clone, PartialEq)]
pub struct Emulation {
    /// Arms, in the order of the strategies.
    pub arms: Vec<Arm>,
    /// All rows (arm by arm), with their weights.
    pub rows: Vec<CloneRow>,
    /// Weighted HR of each strategy after the first against the first.
    pub hr: Vec<Option<HazardRatio>>,
    /// The same without weights (clones censored, no correction).
    pub hr_unweighted: Vec<Option<HazardRatio>>,
    /// RMST horizon used.
    pub tau: Option<f64>,
    /// RMST differences (strategy k − first), k ≥ 1.
    pub rmst_difference: Vec<Option<Contrast>>,
    /// Survival differences at the chosen times (strategy k − first).
    pub survival_difference: Vec<Vec<Contrast>>,
    /// Weights clipped by truncation.
    pub n_truncated: usize,
    /// Notes.
    pub warnings: Vec<String>,
}

fn check(trial: &Trial, opts: &EmulateOptions) -> Result<(), EmulateError> {
    let n = trial.len();
    if trial.event.len() != n {
        return Err(EmulateError::Shape(format!(
            "{} event flags for {n} times",
            trial.event.len()
        )));
    }
    if trial.strategies.len() < 2 {
        return Err(EmulateError::Shape("at least two strategies".into()));
    }
    if trial.baseline.len() != trial.baseline_names.len()
        || trial.baseline.iter().any(|c| c.len() != n)
        || trial.time_varying.iter().any(|v| v.steps.len() != n)
        || trial
            .strategies
            .iter()
            .any(|s| s.deviation.len() != n || s.windows.len() != n)
    {
        return Err(EmulateError::Shape(
            "every covariate and strategy needs one entry per patient".into(),
        ));
    }
    if !(opts.interval.is_finite() && opts.interval > 0.0) {
        return Err(EmulateError::Invalid(format!(
            "interval {} is not a positive time",
            opts.interval
        )));
    }
    if !(opts.conf_level > 0.0 && opts.conf_level < 1.0) {
        return Err(EmulateError::Invalid(format!(
            "confidence level {} is not between 0 and 1",
            opts.conf_level
        )));
    }
    if let Some(i) = trial
        .time
        .iter()
        .position(|t| !(t.is_finite() && *t >= 0.0))
    {
        return Err(EmulateError::Invalid(format!(
            "patient {}: time {} is not a non-negative number",
            i + 1,
            trial.time[i]
        )));
    }
    if trial.baseline.iter().flatten().any(|x| !x.is_finite()) {
        return Err(EmulateError::Invalid(
            "a baseline covariate is missing or not finite".into(),
        ));
    }
    if let Some(tau) = opts.tau
        && !(tau.is_finite() && tau > 0.0)
    {
        return Err(EmulateError::Invalid(format!(
            "tau {tau} is not a positive time"
        )));
    }
    if let Some((lo, hi)) = opts.truncate
        && !(0.0 <= lo && lo < hi && hi <= 1.0)
    {
        return Err(EmulateError::Invalid(format!(
            "truncation percentiles [{lo}, {hi}] are not 0 ≤ lo < hi ≤ 1"
        )));
    }
    if opts.times.iter().any(|t| !t.is_finite()) {
        return Err(EmulateError::Invalid(
            "a survival time is not finite".into(),
        ));
    }
    Ok(())
}

/// Fits the deviation model(s) of one arm's rows and sets their weights:
/// one pooled model, or one per window index (`by_window`).
fn weigh_arm(
    trial: &Trial,
    rows: &mut [CloneRow],
    opts: &EmulateOptions,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<(Option<GlmFit>, Vec<Option<GlmFit>>), EmulateError> {
    let at: Vec<usize> = (0..rows.len()).filter(|&r| rows[r].at_risk).collect();
    let mut p = vec![0.0; rows.len()];
    let groups: Vec<Vec<usize>> = if opts.by_window {
        let top = at
            .iter()
            .map(|&r| rows[r].window)
            .max()
            .map_or(0, |m| m + 1);
        (0..top)
            .map(|w| {
                at.iter()
                    .copied()
                    .filter(|&r| rows[r].window == w)
                    .collect()
            })
            .collect()
    } else {
        vec![at]
    };
    let mut q = vec![0.0; rows.len()];
    let mut fits = Vec::with_capacity(groups.len());
    for (g, group) in groups.iter().enumerate() {
        let label = if opts.by_window {
            format!("{name}, window {}", g + 1)
        } else {
            name.to_string()
        };
        let fit = fit_group(trial, rows, group, opts, None, &label, warnings)?;
        if let Some(f) = &fit {
            for (k, &r) in group.iter().enumerate() {
                p[r] = f.fitted[k];
            }
        }
        fits.push(fit);
        if opts.stabilize != Stabilize::None {
            let label = format!("{label} (numerator)");
            let num = fit_group(
                trial,
                rows,
                group,
                opts,
                Some(opts.stabilize),
                &label,
                warnings,
            )?;
            if let Some(f) = &num {
                for (k, &r) in group.iter().enumerate() {
                    q[r] = f.fitted[k];
                }
            }
        }
    }
    // Cumulative product within each clone (rows are in clone order).
    let mut current = usize::MAX;
    let mut w = 1.0;
    for (r, row) in rows.iter_mut().enumerate() {
        if row.patient != current {
            current = row.patient;
            w = 1.0;
        }
        if row.at_risk {
            w *= (1.0 - q[r]) / (1.0 - p[r]);
        }
        row.weight = w;
    }
    if opts.by_window {
        Ok((None, fits))
    } else {
        Ok((fits.pop().flatten(), Vec::new()))
    }
}

/// The logistic model of deviation on the rows `at` (`None`: no row or
/// no deviation among them); with `numerator`, the stabilising model
/// (no time-varying covariates; with [`Stabilize::Time`] no baseline
/// covariates either).
fn fit_group(
    trial: &Trial,
    rows: &[CloneRow],
    at: &[usize],
    opts: &EmulateOptions,
    numerator: Option<Stabilize>,
    label: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<GlmFit>, EmulateError> {
    if at.is_empty() || !at.iter().any(|&r| rows[r].deviated) {
        return Ok(None);
    }
    // Candidate columns; one constant on these rows is aliased with the
    // intercept (R reports it as NA) and is left out, which leaves the
    // fitted probabilities as R's.
    let mut cols: Vec<(String, Vec<f64>)> = Vec::new();
    let baseline = !matches!(numerator, Some(Stabilize::Time | Stabilize::None));
    let time_varying = numerator.is_none();
    for (name, c) in trial.baseline_names.iter().zip(&trial.baseline) {
        if !baseline {
            break;
        }
        cols.push((
            name.clone(),
            at.iter().map(|&r| c[rows[r].patient]).collect(),
        ));
    }
    for v in trial.time_varying.iter().filter(|_| time_varying) {
        cols.push((
            v.name.clone(),
            at.iter()
                .map(|&r| v.at(rows[r].patient, rows[r].start))
                .collect(),
        ));
    }
    if opts.time_terms != TimeTerms::None {
        cols.push(("t".into(), at.iter().map(|&r| rows[r].start).collect()));
    }
    if opts.time_terms == TimeTerms::Quadratic {
        cols.push((
            "I(t^2)".into(),
            at.iter().map(|&r| rows[r].start * rows[r].start).collect(),
        ));
    }
    cols.retain(|(_, v)| v.iter().any(|&x| x != v[0]));
    let names: Vec<String> = cols.iter().map(|(n, _)| n.clone()).collect();
    let x: Vec<f64> = cols.into_iter().flat_map(|(_, v)| v).collect();
    let y: Vec<f64> = at
        .iter()
        .map(|&r| f64::from(u8::from(rows[r].deviated)))
        .collect();
    let fit = logistic(
        &GlmData {
            y: &y,
            x: &x,
            names: &names,
            weights: None,
        },
        &GlmOptions::default(),
    )
    .map_err(|e| EmulateError::Model(label.to_string(), e.to_string()))?;
    for w in &fit.warnings {
        warnings.push(format!("deviation model of '{label}': {w}"));
    }
    Ok(Some(fit))
}

fn cox_of(
    rows: &[CloneRow],
    arms: usize,
    weighted: bool,
    conf_level: f64,
) -> Result<Vec<Option<HazardRatio>>, EmulateError> {
    let n = rows.len();
    let start: Vec<f64> = rows.iter().map(|r| r.start).collect();
    let stop: Vec<f64> = rows.iter().map(|r| r.stop).collect();
    let event: Vec<bool> = rows.iter().map(|r| r.event).collect();
    let mut x = Vec::with_capacity(n * (arms - 1));
    for k in 1..arms {
        x.extend(rows.iter().map(|r| f64::from(u8::from(r.arm == k))));
    }
    let names: Vec<String> = (1..arms).map(|k| format!("strategy{k}")).collect();
    let cluster: Vec<u32> = rows.iter().map(|r| r.patient as u32).collect();
    let w: Vec<f64> = rows.iter().map(|r| r.weight).collect();
    let fit = coxph(
        &CoxData {
            time: &stop,
            event: &event,
            start: Some(&start),
            x: &x,
            names: &names,
            weights: weighted.then_some(w.as_slice()),
            strata: None,
            cluster: Some(&cluster),
        },
        &CoxOptions {
            robust: Some(true),
            conf_level,
            ..CoxOptions::default()
        },
    )
    .map_err(|e| EmulateError::Cox(e.to_string()))?;
    Ok(fit
        .coefficients
        .iter()
        .map(|c| {
            Some(HazardRatio {
                coef: c.coef?,
                se: c.se?,
                robust_se: c.robust_se?,
                hr: c.hr?,
                lower: c.hr_lower?,
                upper: c.hr_upper?,
                p: c.p?,
            })
        })
        .collect())
}

/// Runs the emulation (see the module doc).
pub fn emulate(trial: &Trial, opts: &EmulateOptions) -> Result<Emulation, EmulateError> {
    check(trial, opts)?;
    let n = trial.len();
    let k_arms = trial.strategies.len();
    let mut warnings = Vec::new();
    let mut rows: Vec<CloneRow> = Vec::new();
    let mut bounds = Vec::with_capacity(k_arms);
    let mut models = Vec::with_capacity(k_arms);
    for (k, s) in trial.strategies.iter().enumerate() {
        let from = rows.len();
        split::clone_rows(trial, s, k, opts.interval, &mut rows)?;
        if rows.len() == from {
            return Err(EmulateError::EmptyArm(s.name.clone()));
        }
        models.push(weigh_arm(
            trial,
            &mut rows[from..],
            opts,
            &s.name,
            &mut warnings,
        )?);
        bounds.push(from..rows.len());
    }
    let mut n_truncated = 0;
    if let Some((lo, hi)) = opts.truncate {
        let mut sorted: Vec<f64> = rows.iter().map(|r| r.weight).collect();
        sorted.sort_by(f64::total_cmp);
        let (a, b) = (quantile_sorted(&sorted, lo), quantile_sorted(&sorted, hi));
        for r in &mut rows {
            if r.weight < a || r.weight > b {
                n_truncated += 1;
                r.weight = r.weight.clamp(a, b);
            }
        }
    }
    let z = normal_quantile(1.0 - (1.0 - opts.conf_level) / 2.0);
    let mut curves = Vec::with_capacity(k_arms);
    for b in &bounds {
        curves.push(weighted_curve(
            &rows[b.clone()],
            n,
            opts.tau,
            &opts.times,
            z,
            opts.variance,
        ));
    }
    let tau = opts.tau.or_else(|| {
        curves
            .iter()
            .filter_map(|c| c.time.last().copied())
            .reduce(f64::min)
    });
    // Without a requested τ, RMST at the smallest last event time.
    if opts.tau.is_none()
        && let Some(t) = tau
    {
        curves = bounds
            .iter()
            .map(|b| weighted_curve(&rows[b.clone()], n, Some(t), &opts.times, z, opts.variance))
            .collect();
    }
    let mut arms = Vec::with_capacity(k_arms);
    for (k, ((b, curve), (model, window_models))) in
        bounds.iter().zip(&curves).zip(models).enumerate()
    {
        let r = &rows[b.clone()];
        let weights: Vec<f64> = r.iter().map(|x| x.weight).collect();
        arms.push(Arm {
            name: trial.strategies[k].name.clone(),
            clones: r.iter().filter(|x| x.first).count(),
            rows: r.len(),
            at_risk_rows: r.iter().filter(|x| x.at_risk).count(),
            deviations: r.iter().filter(|x| x.deviated).count(),
            events: r.iter().filter(|x| x.event).count(),
            model,
            window_models,
            weight_summary: summarize(&weights),
            curve: curve.clone(),
            rmst: curve.rmst,
            survival_at: curve
                .survival_at
                .iter()
                .zip(&opts.times)
                .map(|(&(s, se), &t)| {
                    let ok = opts.variance && s > 0.0 && se.is_finite();
                    SurvivalAt {
                        time: t,
                        survival: s,
                        std_err: se,
                        lower: ok.then(|| s * (-z * se / s).exp()),
                        upper: ok.then(|| (s * (z * se / s).exp()).min(1.0)),
                    }
                })
                .collect(),
        });
    }
    let var_of = |a: &[f64], b: &[f64]| -> f64 {
        if a.is_empty() || b.is_empty() {
            return f64::NAN;
        }
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f64>()
            .sqrt()
    };
    let base = &curves[0];
    let mut rmst_difference = Vec::new();
    let mut survival_difference = Vec::new();
    for c in &curves[1..] {
        rmst_difference.push(c.rmst.zip(base.rmst).map(|((e1, _), (e0, _))| {
            contrast(e1 - e0, var_of(&c.rmst_influence, &base.rmst_influence), z)
        }));
        survival_difference.push(
            (0..opts.times.len())
                .map(|j| {
                    let se = var_of(
                        c.survival_influence.get(j).map_or(&[][..], |v| v),
                        base.survival_influence.get(j).map_or(&[][..], |v| v),
                    );
                    contrast(c.survival_at[j].0 - base.survival_at[j].0, se, z)
                })
                .collect(),
        );
    }
    let hr = cox_of(&rows, k_arms, true, opts.conf_level)?;
    let hr_unweighted = if opts.variance {
        cox_of(&rows, k_arms, false, opts.conf_level)?
    } else {
        vec![None; k_arms - 1]
    };
    Ok(Emulation {
        arms,
        rows,
        hr,
        hr_unweighted,
        tau,
        rmst_difference,
        survival_difference,
        n_truncated,
        warnings,
    })
}

#[cfg(test)]
mod tests;
