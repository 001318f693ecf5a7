//! The request of an emulated target trial: strategies, time zero, grace
//! periods, deviation models, outcomes; and its checks.

use netra_stats::emulate::TimeTerms;
use serde::{Deserialize, Serialize};

use super::DAYS_PER_MONTH;
use crate::AnalysisError;

/// The numerator model of a checked request.
pub(super) fn stabilize_of(req: &EmulateRequest) -> netra_stats::emulate::Stabilize {
    use netra_stats::emulate::Stabilize;
    match req.stabilize.as_str() {
        "time" => Stabilize::Time,
        "baseline" => Stabilize::Baseline,
        _ => Stabilize::None,
    }
}

/// A strategy: treatments in order, each started at progression on the
/// previous one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct StrategySpec {
    /// Name (the steps joined by " → " when empty).
    pub name: String,
    /// Steps: agent codes (`everolimus`) or line classes (`chemotherapy`).
    pub steps: Vec<String>,
}

/// A target trial of treatment strategies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmulateRequest {
    /// `ssa_progression` or `line:K`.
    pub time_zero: String,
    /// Two or more strategies; the first is the reference.
    pub strategies: Vec<StrategySpec>,
    /// Days from time zero to start the first step.
    pub grace_days: f64,
    /// Days from progression to start the next step.
    pub switch_grace_days: f64,
    /// Baseline covariates of the deviation models, R syntax
    /// (`age_at_diagnosis + who_grade`).
    pub covariates: String,
    /// Time-varying covariates: `progressed` (on the first line after time
    /// zero), `treated` (a line started).
    pub time_varying: Vec<String>,
    /// Width of the person-interval grid, days.
    pub interval_days: f64,
    /// Time in the deviation models: `none`, `linear`, `quadratic`.
    pub time_terms: String,
    /// `by_window` (one deviation model per decision: starting the first
    /// step, each switch) or `pooled` (one per strategy).
    pub deviation_model: String,
    /// Truncate the weights at these percentiles.
    pub truncate: Option<[f64; 2]>,
    /// Stabilised weights: `none` (default), `time` (numerator model on
    /// the time terms) or `baseline` (on the covariates and the time terms;
    /// the unadjusted curves are then conditional on nothing the weights
    /// balance — see `netra_stats::emulate::Stabilize`).
    pub stabilize: String,
    /// RMST horizon, months (smallest last event time of the arms if absent).
    pub tau_months: Option<f64>,
    /// Times of survival differences, months.
    pub times_months: Vec<f64>,
    /// Bootstrap replicates of the whole pipeline (0: none).
    pub bootstrap: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// The outcome is rare (E-value uses the HR as a risk ratio).
    pub rare_outcome: bool,
    /// Confidence level.
    pub conf_level: f64,
}

impl Default for EmulateRequest {
    fn default() -> Self {
        let s = |a: &str, b: &str| StrategySpec {
            name: String::new(),
            steps: vec![a.into(), b.into()],
        };
        EmulateRequest {
            time_zero: "ssa_progression".into(),
            strategies: vec![
                s("everolimus", "chemotherapy"),
                s("chemotherapy", "everolimus"),
            ],
            grace_days: 90.0,
            switch_grace_days: 90.0,
            covariates: String::new(),
            time_varying: vec!["progressed".into()],
            interval_days: DAYS_PER_MONTH,
            time_terms: "linear".into(),
            deviation_model: "by_window".into(),
            truncate: None,
            stabilize: "none".into(),
            tau_months: None,
            times_months: vec![12.0, 24.0],
            bootstrap: 0,
            seed: 1,
            rare_outcome: false,
            conf_level: 0.95,
        }
    }
}

pub(super) fn strategy_name(s: &StrategySpec) -> String {
    if s.name.trim().is_empty() {
        s.steps.join(" → ")
    } else {
        s.name.clone()
    }
}

pub(super) enum Zero {
    SsaProgression,
    Line(u32),
}

pub(super) fn zero_of(code: &str) -> Result<Zero, AnalysisError> {
    match code.trim() {
        "ssa_progression" => Ok(Zero::SsaProgression),
        other => match other
            .strip_prefix("line:")
            .and_then(|k| k.parse::<u32>().ok())
        {
            Some(k) if k >= 1 => Ok(Zero::Line(k)),
            _ => Err(AnalysisError::invalid(
                "time_zero",
                format!("'{other}' is not ssa_progression or line:K (K ≥ 1)"),
            )),
        },
    }
}

pub(super) fn validate(req: &EmulateRequest) -> Result<TimeTerms, AnalysisError> {
    if req.strategies.len() < 2 {
        return Err(AnalysisError::invalid(
            "strategies",
            "name two or more strategies",
        ));
    }
    if let Some(s) = req.strategies.iter().find(|s| s.steps.is_empty()) {
        return Err(AnalysisError::invalid(
            "strategies",
            format!("strategy '{}' has no steps", strategy_name(s)),
        ));
    }
    for (what, v) in [
        ("grace_days", req.grace_days),
        ("switch_grace_days", req.switch_grace_days),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(AnalysisError::invalid(
                what,
                format!("{v} is not a number of days ≥ 0"),
            ));
        }
    }
    if !(req.interval_days.is_finite() && req.interval_days >= 1.0) {
        return Err(AnalysisError::invalid(
            "interval_days",
            format!("{} is not a width of at least one day", req.interval_days),
        ));
    }
    if !(req.conf_level > 0.0 && req.conf_level < 1.0) {
        return Err(AnalysisError::invalid(
            "conf_level",
            format!("{} is not strictly between 0 and 1", req.conf_level),
        ));
    }
    if let Some(t) = req.tau_months
        && !(t.is_finite() && t > 0.0)
    {
        return Err(AnalysisError::invalid(
            "tau_months",
            format!("{t} is not a positive time"),
        ));
    }
    if let Some([a, b]) = req.truncate
        && !(0.0 <= a && a < b && b <= 1.0)
    {
        return Err(AnalysisError::invalid(
            "truncate",
            format!("[{a}, {b}] are not percentiles 0 ≤ lo < hi ≤ 1"),
        ));
    }
    if req
        .times_months
        .iter()
        .any(|t| !(t.is_finite() && *t >= 0.0))
    {
        return Err(AnalysisError::invalid("times_months", "times must be ≥ 0"));
    }
    if req.bootstrap > 10_000 {
        return Err(AnalysisError::invalid(
            "bootstrap",
            "at most 10 000 replicates",
        ));
    }
    for v in &req.time_varying {
        if !matches!(v.as_str(), "progressed" | "treated") {
            return Err(AnalysisError::invalid(
                "time_varying",
                format!("'{v}' is not one of progressed, treated"),
            ));
        }
    }
    if !matches!(req.stabilize.as_str(), "none" | "time" | "baseline") {
        return Err(AnalysisError::invalid(
            "stabilize",
            format!("'{}' is not none, time or baseline", req.stabilize),
        ));
    }
    if !matches!(req.deviation_model.as_str(), "by_window" | "pooled") {
        return Err(AnalysisError::invalid(
            "deviation_model",
            format!("'{}' is not by_window or pooled", req.deviation_model),
        ));
    }
    match req.time_terms.as_str() {
        "none" => Ok(TimeTerms::None),
        "linear" => Ok(TimeTerms::Linear),
        "quadratic" => Ok(TimeTerms::Quadratic),
        other => Err(AnalysisError::invalid(
            "time_terms",
            format!("'{other}' is not none, linear or quadratic"),
        )),
    }
}
