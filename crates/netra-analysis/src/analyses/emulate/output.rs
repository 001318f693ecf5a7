//! The output of an emulated target trial (its JSON is a contract: the
//! field names are those of the issue and the study files' tables).

use serde::{Deserialize, Serialize};

use crate::analyses::weighting::{
    BalanceOut, EValueOut, EstimateOut, PsCoefficient, StepOut, WeightsOut,
};

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
    /// Stabilised weights: `none`, `time` or `baseline`.
    pub stabilize: String,
    /// Bootstrap.
    pub bootstrap: Option<BootInfo>,
    /// Confidence level.
    pub conf_level: f64,
    /// Notes.
    pub warnings: Vec<String>,
}
