//! Target-trial emulation of treatment-sequence strategies by
//! clone–censor–weight ("everolimus, then chemotherapy at progression" vs
//! "chemotherapy, then everolimus" after somatostatin-analogue failure).
//!
//! The trial: time zero is progression on the first somatostatin-analogue
//! line (`ssa_progression`) or the start of line K (`line:K`); eligible are
//! the cohort's patients with a time zero, follow-up after it, no line of
//! any strategy's step before it, and every weight-model covariate. Each
//! strategy's adherence comes from the lines after time zero with grace
//! periods ([`derive`]); the outcome is death from time zero (OS), in
//! months. The numbers are `netra_stats::emulate` (clones, person-month
//! rows, pooled logistic deviation models, inverse-probability-of-censoring
//! weights, weighted KM and Cox clustered by patient, bootstrap), checked
//! against R on `validation/r/emulate.R`.
//!
//! Beside the emulated contrasts the output carries the naive comparison
//! (`hr_naive`: patients by the sequence they received, unweighted Cox
//! from time zero — immortal time and confounding included, as `netra
//! sequences --compare` compares), the clones without weights
//! (`hr_unweighted`: artificial censoring without its correction), the
//! balance of the weight model's covariates among the clones still
//! uncensored at the end of the grace period (before and after weighting:
//! the love plot), and the E-value of each weighted hazard ratio.
//!
//! An emulation that cannot be estimated (too few eligible patients, an
//! arm without clones, a model that does not fit) is an output with its
//! counts and a warning, not an error: the request was valid.

pub mod derive;

use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero, Units};
use netra_clinical::lines::PatientLines;
use netra_clinical::registry::vocab::{TreatmentClass, Vocabulary};
use netra_stats::cox::{CoxData, CoxOptions, coxph};
use netra_stats::emulate::{
    BootstrapOptions, EmulateOptions, Emulation, StrategyData, TimeTerms, TimeVarying, Trial,
    bootstrap, emulate,
};
use netra_stats::model::{Formula, Variable};
use netra_stats::weighting::{evalue_hr, smd};
use serde::{Deserialize, Serialize};

use crate::AnalysisError;
use crate::analyses::weighting::{
    BalanceOut, EValueOut, EstimateOut, PsCoefficient, StepOut, WeightsOut, design_of,
};
use crate::cohort::Cohort;
use crate::variables::Column;
use derive::{LineAfter, adherence};

const DAYS_PER_MONTH: f64 = netra_clinical::endpoints::DAYS_PER_MONTH;

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
            tau_months: None,
            times_months: vec![12.0, 24.0],
            bootstrap: 0,
            seed: 1,
            rare_outcome: false,
            conf_level: 0.95,
        }
    }
}

/// A count with a reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasonCount {
    /// Why.
    pub reason: String,
    /// Patients.
    pub n: usize,
}

/// Survival at a time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SurvivalAtOut {
    /// Months.
    pub time: f64,
    /// S(t).
    pub survival: f64,
    /// Lower limit.
    pub lower: Option<f64>,
    /// Upper limit.
    pub upper: Option<f64>,
}

/// One strategy's arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmOut {
    /// Strategy name.
    pub strategy: String,
    /// Steps.
    pub steps: Vec<String>,
    /// Clones (patients compatible at time zero).
    pub clones: usize,
    /// Clones censored at deviation.
    pub deviations: usize,
    /// Deaths before any deviation.
    pub events: usize,
    /// Person-interval rows.
    pub rows: usize,
    /// Rows at risk of deviation.
    pub at_risk_rows: usize,
    /// The deviation model (empty: no deviation; weights 1).
    pub model: Vec<PsCoefficient>,
    /// Row weights.
    pub weights: Option<WeightsOut>,
    /// The weighted curve (event times).
    pub curve: Vec<StepOut>,
    /// RMST at τ, months.
    pub rmst: Option<f64>,
    /// Its IJ SE.
    pub rmst_se: Option<f64>,
    /// Survival at the chosen times.
    pub survival_at: Vec<SurvivalAtOut>,
}

/// A bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BootOut {
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
    /// Replicates that gave a value.
    pub n: usize,
}

/// A difference in survival at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DifferenceAt {
    /// Months.
    pub time: f64,
    /// S(strategy) − S(reference), with the IJ interval.
    pub difference: EstimateOut,
    /// Bootstrap interval.
    pub bootstrap: Option<BootOut>,
}

/// A strategy against the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContrastOut {
    /// Strategy.
    pub strategy: String,
    /// Reference strategy.
    pub reference: String,
    /// Patients who received the strategy's first two steps (naive).
    pub n_naive: usize,
    /// Naive HR: by the sequence received, unweighted, from time zero.
    pub hr_naive: Option<EstimateOut>,
    /// Clones censored at deviation, no weights (robust CI).
    pub hr_unweighted: Option<EstimateOut>,
    /// Emulated trial: weighted Cox, robust CI clustered by patient.
    pub hr: Option<EstimateOut>,
    /// Bootstrap interval of the HR.
    pub hr_bootstrap: Option<BootOut>,
    /// RMST difference at τ, months (IJ interval).
    pub rmst_difference: Option<EstimateOut>,
    /// Its bootstrap interval.
    pub rmst_bootstrap: Option<BootOut>,
    /// Survival differences.
    pub survival_difference: Vec<DifferenceAt>,
    /// E-value of the weighted HR.
    pub evalue: Option<EValueOut>,
}

/// The bootstrap run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BootInfo {
    /// Replicates.
    pub replicates: usize,
    /// Replicates that failed (left out).
    pub failed: usize,
    /// Seed.
    pub seed: u64,
}

/// The emulated trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmulateOutput {
    /// "Overall survival from SSA progression (months)".
    pub title: String,
    /// Time unit of the outputs.
    pub units: String,
    /// Time zero code.
    pub time_zero: String,
    /// Patients in the cohort.
    pub cohort: usize,
    /// Eligible patients.
    pub eligible: usize,
    /// Why the others are not.
    pub ineligible: Vec<ReasonCount>,
    /// Grace period of the first step, days.
    pub grace_days: f64,
    /// Grace period of a switch, days.
    pub switch_grace_days: f64,
    /// Grid width, days.
    pub interval_days: f64,
    /// The deviation models' covariates.
    pub covariates: String,
    /// Time-varying covariates.
    pub time_varying: Vec<String>,
    /// Arms.
    pub arms: Vec<ArmOut>,
    /// Contrasts against the first strategy.
    pub contrasts: Vec<ContrastOut>,
    /// Balance between the first two arms' clones uncensored at the end
    /// of the grace period, before and after weighting.
    pub balance: Vec<BalanceOut>,
    /// Largest |SMD| after weighting.
    pub max_abs_smd_after: Option<f64>,
    /// RMST horizon, months.
    pub tau: Option<f64>,
    /// Weights clipped by truncation.
    pub n_truncated: usize,
    /// Bootstrap.
    pub bootstrap: Option<BootInfo>,
    /// Confidence level.
    pub conf_level: f64,
    /// Notes.
    pub warnings: Vec<String>,
}

fn strategy_name(s: &StrategySpec) -> String {
    if s.name.trim().is_empty() {
        s.steps.join(" → ")
    } else {
        s.name.clone()
    }
}

enum Zero {
    SsaProgression,
    Line(u32),
}

fn zero_of(code: &str) -> Result<Zero, AnalysisError> {
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

fn codes_of(l: &netra_clinical::lines::Line) -> Vec<String> {
    let mut c = vec![l.class.code().to_string()];
    c.extend(l.regimen.iter().cloned());
    c
}

/// Time zero (day) and the index of the first line after it.
fn time_zero(pl: &PatientLines, zero: &Zero) -> Option<(i32, usize)> {
    match zero {
        Zero::SsaProgression => {
            let (k, l) = pl
                .lines
                .iter()
                .enumerate()
                .find(|(_, l)| l.class == TreatmentClass::SomatostatinAnalogue)?;
            let t = l.ttp.as_ref().filter(|t| t.event)?;
            let day = l.start.day.0 + t.days;
            let next = pl.lines[k + 1..]
                .iter()
                .position(|m| m.start.day.0 >= day)
                .map_or(pl.lines.len(), |p| k + 1 + p);
            Some((day, next))
        }
        Zero::Line(k) => {
            let idx = usize::try_from(*k).ok()?.checked_sub(1)?;
            let l = pl.lines.get(idx)?;
            Some((l.start.day.0, idx))
        }
    }
}

fn validate(req: &EmulateRequest) -> Result<TimeTerms, AnalysisError> {
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

/// The baseline design of the eligible patients' covariates: columns,
/// names, and which cohort rows have every covariate.
struct Baseline {
    columns: Vec<Vec<f64>>,
    names: Vec<String>,
    /// For the balance table: (label, level, values per cohort row).
    balance: Vec<(String, Option<String>, Vec<Option<f64>>)>,
}

fn baseline(cohort: &Cohort, covariates: &str, rows: &[usize]) -> Result<Baseline, AnalysisError> {
    let rhs = covariates.trim().trim_start_matches('~').trim();
    if rhs.is_empty() {
        return Ok(Baseline {
            columns: Vec::new(),
            names: Vec::new(),
            balance: Vec::new(),
        });
    }
    let formula =
        Formula::parse(rhs).map_err(|e| AnalysisError::invalid("covariates", e.to_string()))?;
    if formula
        .variables
        .iter()
        .any(|v| matches!(v, Variable::Strata(_)))
    {
        return Err(AnalysisError::invalid(
            "covariates",
            "strata() has no meaning in a deviation model",
        ));
    }
    let mut num_cols: Vec<(String, Vec<f64>)> = Vec::new();
    let mut txt_cols: Vec<(String, Vec<String>)> = Vec::new();
    let mut balance = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for v in &formula.variables {
        for name in v.columns() {
            if seen.iter().any(|s| s == name) {
                continue;
            }
            seen.push(name.to_string());
            let var = cohort.variable(name)?;
            match &var.column {
                Column::Num(x) => {
                    num_cols.push((
                        name.to_string(),
                        rows.iter().map(|&i| x[i].unwrap_or(f64::NAN)).collect(),
                    ));
                    balance.push((var.label.clone(), None, x.clone()));
                }
                Column::Cat { levels, codes } => {
                    txt_cols.push((
                        name.to_string(),
                        rows.iter()
                            .map(|&i| codes[i].map_or(String::new(), |k| levels[k].label.clone()))
                            .collect(),
                    ));
                    for (k, l) in levels.iter().enumerate() {
                        balance.push((
                            var.label.clone(),
                            Some(l.label.clone()),
                            codes
                                .iter()
                                .map(|c| c.map(|c| f64::from(u8::from(c == k))))
                                .collect(),
                        ));
                    }
                }
            }
        }
    }
    if rows.is_empty() {
        // Nobody eligible: the variables are checked, there is nothing to fit.
        return Ok(Baseline {
            columns: Vec::new(),
            names: Vec::new(),
            balance,
        });
    }
    let design = design_of(&formula, &num_cols, &txt_cols, "covariates")?;
    let n = rows.len();
    let p = design.names.len();
    let columns = (0..p)
        .map(|j| design.x[j * n..(j + 1) * n].to_vec())
        .collect();
    Ok(Baseline {
        columns,
        names: design.names.clone(),
        balance,
    })
}

fn est(estimate: f64, lower: f64, upper: f64, p: f64) -> EstimateOut {
    EstimateOut {
        estimate,
        lower,
        upper,
        p: p.is_finite().then_some(p),
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Runs an [`EmulateRequest`] (no progress report).
pub fn run(cohort: &Cohort, req: &EmulateRequest) -> Result<EmulateOutput, AnalysisError> {
    run_with_progress(cohort, req, &mut |_, _| {})
}

/// Runs an [`EmulateRequest`]; `progress(done, total)` after each
/// bootstrap replicate (the CLI draws a bar with it).
pub fn run_with_progress(
    cohort: &Cohort,
    req: &EmulateRequest,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<EmulateOutput, AnalysisError> {
    let time_terms = validate(req)?;
    let zero = zero_of(&req.time_zero)?;
    if !cohort.has_courses() {
        return Err(AnalysisError::invalid(
            "emulate",
            "needs the patients' courses (lines of therapy); a cohort of patient facts has none",
        ));
    }
    let lines = cohort.lines(netra_clinical::endpoints::Censoring::LastAdequateAssessment);
    // OS from line 1, to place death or last contact on the calendar.
    let mut spec = EndpointSpec::new(Endpoint::Os, TimeZero::Line(1));
    spec.units = Units::Days;
    let os = cohort.endpoint(&spec, None)?;
    let all_steps: Vec<&str> = req
        .strategies
        .iter()
        .flat_map(|s| s.steps.iter().map(String::as_str))
        .collect();

    let n_all = cohort.len();
    let mut reasons = [0usize; 4];
    // (cohort row, time zero day, first line after, end day, death)
    let mut cand: Vec<(usize, i32, usize, f64, bool)> = Vec::new();
    for (i, pl) in lines.iter().enumerate() {
        let Some((t0, next)) = time_zero(pl, &zero) else {
            reasons[0] += 1;
            continue;
        };
        let prior = pl.lines[..next.min(pl.lines.len())].iter().any(|l| {
            let codes = codes_of(l);
            all_steps
                .iter()
                .any(|s| codes.iter().any(|c| c.eq_ignore_ascii_case(s)))
        });
        if prior {
            reasons[1] += 1;
            continue;
        }
        let (Some(first), Some(t)) = (pl.lines.first(), os.time.get(i).copied().flatten()) else {
            reasons[2] += 1;
            continue;
        };
        let end = f64::from(first.start.day.0) + t - f64::from(t0);
        if end <= 0.0 {
            reasons[2] += 1;
            continue;
        }
        cand.push((i, t0, next, end, os.event[i]));
    }
    let rows_all: Vec<usize> = cand.iter().map(|c| c.0).collect();
    let base_all = baseline(cohort, &req.covariates, &rows_all)?;
    let keep: Vec<usize> = (0..cand.len())
        .filter(|&k| base_all.columns.iter().all(|c| c[k].is_finite()))
        .collect();
    reasons[3] = cand.len() - keep.len();
    let cand: Vec<_> = keep.iter().map(|&k| cand[k]).collect();
    let columns: Vec<Vec<f64>> = base_all
        .columns
        .iter()
        .map(|c| keep.iter().map(|&k| c[k]).collect())
        .collect();

    // Per patient: lines after time zero, in days from it.
    let after: Vec<Vec<LineAfter>> = cand
        .iter()
        .map(|&(i, t0, next, _, _)| {
            lines[i].lines[next.min(lines[i].lines.len())..]
                .iter()
                .map(|l| LineAfter {
                    start: f64::from(l.start.day.0 - t0),
                    progression: l
                        .ttp
                        .as_ref()
                        .filter(|t| t.event)
                        .map(|t| f64::from(l.start.day.0 + t.days - t0)),
                    codes: codes_of(l),
                })
                .filter(|l| l.start >= 0.0)
                .collect()
        })
        .collect();
    let m = DAYS_PER_MONTH;
    let mut strategies = Vec::new();
    for s in &req.strategies {
        let mut deviation = Vec::with_capacity(cand.len());
        let mut windows = Vec::with_capacity(cand.len());
        for (k, c) in cand.iter().enumerate() {
            let a = adherence(
                &after[k],
                c.3,
                &s.steps,
                req.grace_days,
                req.switch_grace_days,
            );
            deviation.push(a.deviation.map(|d| d / m));
            windows.push(a.windows.iter().map(|w| [w[0] / m, w[1] / m]).collect());
        }
        strategies.push(StrategyData {
            name: strategy_name(s),
            deviation,
            windows,
        });
    }
    let time_varying: Vec<TimeVarying> = req
        .time_varying
        .iter()
        .map(|v| TimeVarying {
            name: v.clone(),
            steps: after
                .iter()
                .map(|ls| {
                    let at = match v.as_str() {
                        "progressed" => ls.first().and_then(|l| l.progression),
                        _ => ls.first().map(|l| l.start),
                    };
                    at.map(|d| vec![(d / m, 1.0)]).unwrap_or_default()
                })
                .collect(),
        })
        .collect();
    let trial = Trial {
        time: cand.iter().map(|c| c.3 / m).collect(),
        event: cand.iter().map(|c| c.4).collect(),
        baseline: columns,
        baseline_names: base_all.names.clone(),
        time_varying,
        strategies,
    };
    let ineligible: Vec<ReasonCount> = [
        "no time zero",
        "a strategy's treatment before time zero",
        "no follow-up after time zero",
        "a covariate missing",
    ]
    .iter()
    .zip(reasons)
    .filter(|(_, n)| *n > 0)
    .map(|(r, n)| ReasonCount {
        reason: (*r).into(),
        n,
    })
    .collect();
    let mut out = EmulateOutput {
        title: format!(
            "Overall survival from {} (months)",
            match zero {
                Zero::SsaProgression => "progression on a somatostatin analogue".to_string(),
                Zero::Line(k) => format!("the start of line {k}"),
            }
        ),
        units: "months".into(),
        time_zero: req.time_zero.clone(),
        cohort: n_all,
        eligible: trial.len(),
        ineligible,
        grace_days: req.grace_days,
        switch_grace_days: req.switch_grace_days,
        interval_days: req.interval_days,
        covariates: req.covariates.clone(),
        time_varying: req.time_varying.clone(),
        arms: Vec::new(),
        contrasts: Vec::new(),
        balance: Vec::new(),
        max_abs_smd_after: None,
        tau: None,
        n_truncated: 0,
        bootstrap: None,
        conf_level: req.conf_level,
        warnings: Vec::new(),
    };
    let opts = EmulateOptions {
        interval: req.interval_days / m,
        time_terms,
        by_window: req.deviation_model == "by_window",
        truncate: req.truncate.map(|[a, b]| (a, b)),
        tau: req.tau_months,
        times: req.times_months.clone(),
        conf_level: req.conf_level,
        variance: true,
    };
    let fit = match emulate(&trial, &opts) {
        Ok(f) => f,
        Err(e) => {
            out.warnings
                .push(format!("the trial could not be estimated: {e}"));
            return Ok(out);
        }
    };
    fill(&mut out, &trial, &fit, req, &after, &base_all, &cand);
    if req.bootstrap > 0 {
        let total = req.bootstrap;
        let b = bootstrap(
            &trial,
            &EmulateOptions {
                tau: fit.tau,
                ..opts.clone()
            },
            &BootstrapOptions {
                replicates: total,
                seed: req.seed,
                conf_level: req.conf_level,
            },
            &mut |done| progress(done, total),
        )
        .map_err(|e| AnalysisError::stats("bootstrap", e))?;
        let bo = |x: Option<netra_stats::emulate::BootInterval>| {
            x.map(|i| BootOut {
                lower: i.lower,
                upper: i.upper,
                n: i.n,
            })
        };
        for (k, c) in out.contrasts.iter_mut().enumerate() {
            c.hr_bootstrap = bo(b.hr[k]);
            c.rmst_bootstrap = bo(b.rmst_difference[k]);
            for (j, d) in c.survival_difference.iter_mut().enumerate() {
                d.bootstrap = bo(b.survival_difference[k][j]);
            }
        }
        out.bootstrap = Some(BootInfo {
            replicates: b.replicates,
            failed: b.failed,
            seed: b.seed,
        });
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn fill(
    out: &mut EmulateOutput,
    trial: &Trial,
    fit: &Emulation,
    req: &EmulateRequest,
    after: &[Vec<LineAfter>],
    base: &Baseline,
    cand: &[(usize, i32, usize, f64, bool)],
) {
    out.tau = fit.tau;
    out.n_truncated = fit.n_truncated;
    out.warnings.extend(fit.warnings.iter().cloned());
    for (k, a) in fit.arms.iter().enumerate() {
        let c = &a.curve;
        out.arms.push(ArmOut {
            strategy: a.name.clone(),
            steps: req.strategies[k].steps.clone(),
            clones: a.clones,
            deviations: a.deviations,
            events: a.events,
            rows: a.rows,
            at_risk_rows: a.at_risk_rows,
            model: model_rows(a),
            weights: a.weight_summary.as_ref().map(|s| WeightsOut {
                group: "rows".into(),
                level: Some(a.name.clone()),
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
            }),
            curve: (0..c.time.len())
                .map(|j| StepOut {
                    time: c.time[j],
                    n_risk: c.n_risk[j],
                    n_event: c.n_event[j],
                    survival: c.survival[j],
                    lower: finite(c.lower[j]),
                    upper: finite(c.upper[j]),
                })
                .collect(),
            rmst: a.rmst.map(|r| r.0),
            rmst_se: a.rmst.and_then(|r| finite(r.1)),
            survival_at: a
                .survival_at
                .iter()
                .map(|s| SurvivalAtOut {
                    time: s.time,
                    survival: s.survival,
                    lower: s.lower,
                    upper: s.upper,
                })
                .collect(),
        });
    }
    let z_hr =
        |h: &Option<netra_stats::emulate::HazardRatio>| h.map(|h| est(h.hr, h.lower, h.upper, h.p));
    for k in 1..fit.arms.len() {
        let hr = z_hr(&fit.hr[k - 1]);
        let (n_naive, hr_naive) = naive(trial, after, req, k, req.conf_level);
        out.contrasts.push(ContrastOut {
            strategy: fit.arms[k].name.clone(),
            reference: fit.arms[0].name.clone(),
            n_naive,
            hr_naive,
            hr_unweighted: z_hr(&fit.hr_unweighted[k - 1]),
            hr,
            hr_bootstrap: None,
            rmst_difference: fit.rmst_difference[k - 1]
                .map(|c| est(c.estimate, c.lower, c.upper, c.p)),
            rmst_bootstrap: None,
            survival_difference: fit.survival_difference[k - 1]
                .iter()
                .zip(&req.times_months)
                .map(|(c, &t)| DifferenceAt {
                    time: t,
                    difference: est(c.estimate, c.lower, c.upper, c.p),
                    bootstrap: None,
                })
                .collect(),
            evalue: hr.and_then(|h| {
                evalue_hr(h.estimate, h.lower, h.upper, req.rare_outcome).map(|e| EValueOut {
                    rare_outcome: e.rare,
                    rr: e.rr,
                    point: e.point,
                    ci: e.ci,
                })
            }),
        });
    }
    balance_at_grace(out, fit, req, base, cand);
}

/// The deviation model's coefficients; per-window models prefix the
/// window (`window 2: ecog`).
fn model_rows(a: &netra_stats::emulate::Arm) -> Vec<PsCoefficient> {
    let row = |prefix: &str, c: &netra_stats::glm::GlmCoefficient| PsCoefficient {
        name: format!("{prefix}{}", c.name),
        estimate: c.estimate,
        se: c.se,
        p: c.p,
    };
    match &a.model {
        Some(m) => m.coefficients.iter().map(|c| row("", c)).collect(),
        None => a
            .window_models
            .iter()
            .enumerate()
            .filter_map(|(w, m)| m.as_ref().map(|m| (w, m)))
            .flat_map(|(w, m)| {
                let prefix = format!("window {}: ", w + 1);
                m.coefficients
                    .iter()
                    .map(|c| row(&prefix, c))
                    .collect::<Vec<_>>()
            })
            .collect(),
    }
}

/// Naive: patients whose first lines after time zero were strategy k's
/// first two steps (or the reference's), unweighted Cox from time zero.
fn naive(
    trial: &Trial,
    after: &[Vec<LineAfter>],
    req: &EmulateRequest,
    k: usize,
    conf_level: f64,
) -> (usize, Option<EstimateOut>) {
    let received = |p: usize, s: &StrategySpec| {
        s.steps
            .iter()
            .take(2)
            .enumerate()
            .all(|(j, step)| after[p].get(j).is_some_and(|l| l.follows(step)))
    };
    let mut time = Vec::new();
    let mut event = Vec::new();
    let mut x = Vec::new();
    let mut n_k = 0;
    for p in 0..trial.len() {
        let g = if received(p, &req.strategies[k]) {
            n_k += 1;
            1.0
        } else if received(p, &req.strategies[0]) {
            0.0
        } else {
            continue;
        };
        time.push(trial.time[p]);
        event.push(trial.event[p]);
        x.push(g);
    }
    let names = ["strategy".to_string()];
    let fit = coxph(
        &CoxData {
            time: &time,
            event: &event,
            start: None,
            x: &x,
            names: &names,
            weights: None,
            strata: None,
            cluster: None,
        },
        &CoxOptions {
            conf_level,
            ..CoxOptions::default()
        },
    )
    .ok();
    let hr = fit.and_then(|f| {
        let c = f.coefficients.first()?;
        Some(EstimateOut {
            estimate: c.hr?,
            lower: c.hr_lower?,
            upper: c.hr_upper?,
            p: c.p,
        })
    });
    (n_k, hr)
}

/// Balance among the clones of the first two arms still uncensored (and
/// alive) at the end of the grace period: unweighted, and weighted by the
/// clone's weight then.
fn balance_at_grace(
    out: &mut EmulateOutput,
    fit: &Emulation,
    req: &EmulateRequest,
    base: &Baseline,
    cand: &[(usize, i32, usize, f64, bool)],
) {
    let g = req.grace_days / DAYS_PER_MONTH;
    let mut who: Vec<(usize, bool, f64)> = Vec::new();
    for r in &fit.rows {
        if r.arm <= 1 && r.start < g && g <= r.stop && !(r.deviated && r.stop <= g) {
            who.push((r.patient, r.arm == 1, r.weight));
        }
    }
    if who.is_empty() {
        return;
    }
    let treated: Vec<bool> = who.iter().map(|w| w.1).collect();
    let w: Vec<f64> = who.iter().map(|w| w.2).collect();
    for (label, level, values) in &base.balance {
        let x: Vec<f64> = who
            .iter()
            .map(|&(p, _, _)| values[cand[p].0].unwrap_or(f64::NAN))
            .collect();
        if x.iter().any(|v| !v.is_finite()) {
            continue;
        }
        if level.is_some() && !x.contains(&1.0) {
            continue;
        }
        if let Some(s) = smd(&x, &treated, &w) {
            out.balance.push(BalanceOut {
                variable: label.clone(),
                label: match level {
                    Some(l) => format!("{label}: {l}"),
                    None => label.clone(),
                },
                level: level.clone(),
                binary: s.binary,
                mean_treated: s.mean_treated,
                mean_control: s.mean_control,
                weighted_mean_treated: s.weighted_mean_treated,
                weighted_mean_control: s.weighted_mean_control,
                smd_before: s.smd_before,
                smd_after: s.smd_after,
            });
        }
    }
    out.max_abs_smd_after = out
        .balance
        .iter()
        .filter_map(|b| b.smd_after.map(f64::abs))
        .reduce(f64::max);
}
