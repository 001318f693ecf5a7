//! Weighting for a point treatment: inverse-probability-of-treatment
//! weights from a propensity score, their diagnostics and covariate
//! balance, and the E-value of a hazard ratio. Checked against R on the
//! fixtures of `validation/r/weighting.R`, which writes every formula out.
//!
//! * [`treatment_weights`] — from propensity scores `ps` (the fitted
//!   values of [`crate::glm::logistic`] of treatment on covariates):
//!   ATE `t/ps + (1−t)/(1−ps)`, stabilised with the numerators
//!   `P(T = 1)` and `P(T = 0)` (the treated share); ATT `t + (1−t)·ps/(1−ps)`;
//!   overlap (ATO) `t(1−ps) + (1−t)ps`. Truncation at percentiles
//!   `(lo, hi)` clips the weights to R's `quantile(w, c(lo, hi))` (type 7,
//!   all rows pooled), as `pmin(pmax(w, q_lo), q_hi)`.
//! * [`WeightSummary`] — n, sum, mean, SD, quartiles, range and Kish's
//!   effective sample size `(Σw)²/Σw²` of a group's weights.
//! * [`smd`] — the standardised mean difference of a covariate before and
//!   after weighting, as cobalt's `bal.tab(s.d.denom = "pooled",
//!   binary = "std")`: `(m₁ − m₀)/sqrt((s₁² + s₀²)/2)`, the means weighted
//!   after weighting, the denominator always that of the *unweighted*
//!   sample (so the change shows the mean difference only); `s²` is the
//!   sample variance (n − 1) for a continuous covariate and `p(1 − p)` for
//!   a binary one (a 0/1 column, each level of a factor). tableone's
//!   `svyCreateTableOne` instead uses weighted variances after weighting.
//! * [`rmst_robust`] — RMST of a weighted Kaplan–Meier curve with the
//!   infinitesimal-jackknife standard error (R's `influence.surv`).
//! * [`evalue_hr`] — VanderWeele & Ding's E-value: the minimum strength of
//!   association (risk-ratio scale) an unmeasured confounder would need
//!   with both treatment and outcome to explain the estimate away.

mod evalue;
mod rmst;

pub use evalue::{EValue, evalue_hr, evalue_rr};
pub use rmst::{RobustRmst, rmst_robust};

use std::fmt;

/// The effect the weights target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Estimand {
    /// Average treatment effect in the whole population.
    #[default]
    Ate,
    /// Average treatment effect in the treated.
    Att,
    /// Overlap weights: the effect where treatments are in equipoise.
    Overlap,
}

impl Estimand {
    /// The code used in requests and output (`ate`, `att`, `overlap`).
    pub fn code(self) -> &'static str {
        match self {
            Estimand::Ate => "ate",
            Estimand::Att => "att",
            Estimand::Overlap => "overlap",
        }
    }
}

/// How weights are made from propensity scores.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WeightOptions {
    /// Target estimand.
    pub estimand: Estimand,
    /// Stabilise ATE weights by the marginal treatment probabilities
    /// (for ATT and overlap weights this is an error: they are bounded
    /// already where it matters).
    pub stabilize: bool,
    /// Clip the weights at these percentiles (`0 ≤ lo < hi ≤ 1`).
    pub truncate: Option<(f64, f64)>,
}

/// Weights with what was done to them.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// One weight per row.
    pub weights: Vec<f64>,
    /// Rows whose weight was clipped.
    pub n_truncated: usize,
    /// The clipping limits used.
    pub limits: Option<(f64, f64)>,
}

/// Why weights could not be made.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightError {
    /// Slices of different lengths.
    LengthMismatch,
    /// No rows.
    Empty,
    /// A propensity score not strictly between 0 and 1 (the weight would
    /// be infinite: no overlap).
    PropensityOutOfRange {
        /// Row (0-based).
        row: usize,
        /// The value.
        value: f64,
    },
    /// Truncation percentiles outside `0 ≤ lo < hi ≤ 1`.
    InvalidTruncation(f64, f64),
    /// Stabilisation asked for other than the ATE.
    StabilizeNotAte,
    /// Only one treatment group present.
    OneGroup,
}

impl fmt::Display for WeightError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeightError::LengthMismatch => write!(f, "scores and treatments differ in length"),
            WeightError::Empty => write!(f, "no rows"),
            WeightError::PropensityOutOfRange { row, value } => write!(
                f,
                "row {}: propensity score {value} is not strictly between 0 and 1 \
                 (no overlap: the weight would be infinite)",
                row + 1
            ),
            WeightError::InvalidTruncation(lo, hi) => write!(
                f,
                "truncation percentiles must satisfy 0 <= lo < hi <= 1 (got {lo}, {hi})"
            ),
            WeightError::StabilizeNotAte => {
                write!(f, "stabilised weights are defined here for the ATE only")
            }
            WeightError::OneGroup => write!(f, "both treatment groups must have rows"),
        }
    }
}

impl std::error::Error for WeightError {}

/// R's `quantile(x, p, type = 7)` of sorted values.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor();
    let i = lo as usize;
    if i + 1 >= n {
        return sorted[n - 1];
    }
    let frac = h - lo;
    sorted[i] + frac * (sorted[i + 1] - sorted[i])
}

/// Weights from propensity scores and treatments (see the module doc).
pub fn treatment_weights(
    ps: &[f64],
    treated: &[bool],
    options: &WeightOptions,
) -> Result<Weights, WeightError> {
    if ps.len() != treated.len() {
        return Err(WeightError::LengthMismatch);
    }
    if ps.is_empty() {
        return Err(WeightError::Empty);
    }
    if let Some((row, &value)) = ps
        .iter()
        .enumerate()
        .find(|(_, p)| !(**p > 0.0 && **p < 1.0))
    {
        return Err(WeightError::PropensityOutOfRange { row, value });
    }
    let n1 = treated.iter().filter(|&&t| t).count();
    if n1 == 0 || n1 == treated.len() {
        return Err(WeightError::OneGroup);
    }
    if options.stabilize && options.estimand != Estimand::Ate {
        return Err(WeightError::StabilizeNotAte);
    }
    let share = n1 as f64 / treated.len() as f64;
    let mut weights: Vec<f64> = ps
        .iter()
        .zip(treated)
        .map(|(&p, &t)| match (options.estimand, t) {
            (Estimand::Ate, true) if options.stabilize => share / p,
            (Estimand::Ate, false) if options.stabilize => (1.0 - share) / (1.0 - p),
            (Estimand::Ate, true) => 1.0 / p,
            (Estimand::Ate, false) => 1.0 / (1.0 - p),
            (Estimand::Att, true) => 1.0,
            (Estimand::Att, false) => p / (1.0 - p),
            (Estimand::Overlap, true) => 1.0 - p,
            (Estimand::Overlap, false) => p,
        })
        .collect();
    let mut n_truncated = 0;
    let mut limits = None;
    if let Some((lo, hi)) = options.truncate {
        if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo >= hi {
            return Err(WeightError::InvalidTruncation(lo, hi));
        }
        let mut sorted = weights.clone();
        sorted.sort_by(f64::total_cmp);
        let (qlo, qhi) = (quantile_sorted(&sorted, lo), quantile_sorted(&sorted, hi));
        for w in &mut weights {
            if *w < qlo || *w > qhi {
                n_truncated += 1;
            }
            *w = w.clamp(qlo, qhi);
        }
        limits = Some((qlo, qhi));
    }
    Ok(Weights {
        weights,
        n_truncated,
        limits,
    })
}

/// The distribution of a group's weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightSummary {
    /// Rows.
    pub n: usize,
    /// Sum of the weights (the weighted group size).
    pub sum: f64,
    /// Mean.
    pub mean: f64,
    /// Standard deviation (n − 1); `None` for one row.
    pub sd: Option<f64>,
    /// Smallest.
    pub min: f64,
    /// First quartile (type 7).
    pub q25: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q75: f64,
    /// Largest.
    pub max: f64,
    /// Kish's effective sample size `(Σw)²/Σw²`.
    pub ess: f64,
}

/// Kish's effective sample size `(Σw)²/Σw²` (0 for no weight).
pub fn effective_sample_size(w: &[f64]) -> f64 {
    let s: f64 = w.iter().sum();
    let s2: f64 = w.iter().map(|x| x * x).sum();
    if s2 > 0.0 { s * s / s2 } else { 0.0 }
}

/// Summary of weights; `None` when there are none.
pub fn summarize(w: &[f64]) -> Option<WeightSummary> {
    if w.is_empty() {
        return None;
    }
    let n = w.len();
    let mut sorted = w.to_vec();
    sorted.sort_by(f64::total_cmp);
    let sum: f64 = w.iter().sum();
    let mean = sum / n as f64;
    let sd = (n > 1)
        .then(|| (w.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt());
    Some(WeightSummary {
        n,
        sum,
        mean,
        sd,
        min: sorted[0],
        q25: quantile_sorted(&sorted, 0.25),
        median: quantile_sorted(&sorted, 0.5),
        q75: quantile_sorted(&sorted, 0.75),
        max: sorted[n - 1],
        ess: effective_sample_size(w),
    })
}

/// Balance of one covariate between the groups.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Smd {
    /// Whether the covariate is binary (every value 0 or 1).
    pub binary: bool,
    /// Unweighted mean among the treated.
    pub mean_treated: f64,
    /// Unweighted mean among the controls.
    pub mean_control: f64,
    /// Weighted mean among the treated.
    pub weighted_mean_treated: f64,
    /// Weighted mean among the controls.
    pub weighted_mean_control: f64,
    /// `sqrt((s₁² + s₀²)/2)` of the unweighted sample.
    pub sd_denominator: f64,
    /// SMD before weighting; `None` when the denominator is 0 (a constant).
    pub smd_before: Option<f64>,
    /// SMD after weighting (same denominator).
    pub smd_after: Option<f64>,
}

/// Standardised mean difference of `x` (treated minus control) before
/// and after weighting by `w` (see the module doc); `None` when a group
/// has no rows or weight, or lengths differ.
pub fn smd(x: &[f64], treated: &[bool], w: &[f64]) -> Option<Smd> {
    if x.len() != treated.len() || x.len() != w.len() {
        return None;
    }
    let binary = x.iter().all(|&v| v == 0.0 || v == 1.0);
    let group = |g: bool| -> (Vec<f64>, Vec<f64>) {
        x.iter()
            .zip(treated)
            .zip(w)
            .filter(|((_, t), _)| **t == g)
            .map(|((x, _), w)| (*x, *w))
            .unzip()
    };
    let (x1, w1) = group(true);
    let (x0, w0) = group(false);
    if x1.is_empty() || x0.is_empty() {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let wmean = |v: &[f64], w: &[f64]| {
        let sw: f64 = w.iter().sum();
        (sw > 0.0).then(|| v.iter().zip(w).map(|(x, w)| x * w).sum::<f64>() / sw)
    };
    let var = |v: &[f64]| {
        let m = mean(v);
        if binary {
            m * (1.0 - m)
        } else if v.len() > 1 {
            v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64
        } else {
            0.0
        }
    };
    let (m1, m0) = (mean(&x1), mean(&x0));
    let (wm1, wm0) = (wmean(&x1, &w1)?, wmean(&x0, &w0)?);
    let denom = ((var(&x1) + var(&x0)) / 2.0).sqrt();
    let standardise = |d: f64| (denom > 0.0).then(|| d / denom);
    Some(Smd {
        binary,
        mean_treated: m1,
        mean_control: m0,
        weighted_mean_treated: wm1,
        weighted_mean_control: wm0,
        sd_denominator: denom,
        smd_before: standardise(m1 - m0),
        smd_after: standardise(wm1 - wm0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ate_weights_balance_a_single_binary_confounder_exactly() {
        // x = 1: 3 of 4 treated; x = 0: 1 of 4 treated; ps = the shares.
        let x = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0];
        let t = [true, true, true, false, true, false, false, false];
        let ps: Vec<f64> = x
            .iter()
            .map(|&v| if v == 1.0 { 0.75 } else { 0.25 })
            .collect();
        let w = treatment_weights(&ps, &t, &WeightOptions::default()).unwrap();
        let s = smd(&x, &t, &w.weights).unwrap();
        assert!(s.smd_before.unwrap() > 0.9);
        assert!(s.smd_after.unwrap().abs() < 1e-12);
        assert!((s.weighted_mean_treated - 0.5).abs() < 1e-12);
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        let o = WeightOptions::default();
        assert_eq!(
            treatment_weights(&[0.5, 1.0], &[true, false], &o),
            Err(WeightError::PropensityOutOfRange { row: 1, value: 1.0 })
        );
        assert!(matches!(
            treatment_weights(&[0.5, f64::NAN], &[true, false], &o),
            Err(WeightError::PropensityOutOfRange { row: 1, .. })
        ));
        assert_eq!(
            treatment_weights(&[0.5, 0.5], &[true, true], &o),
            Err(WeightError::OneGroup)
        );
        assert_eq!(treatment_weights(&[], &[], &o), Err(WeightError::Empty));
        let bad = WeightOptions {
            truncate: Some((0.9, 0.1)),
            ..o
        };
        assert!(treatment_weights(&[0.5, 0.4], &[true, false], &bad).is_err());
        let st = WeightOptions {
            estimand: Estimand::Att,
            stabilize: true,
            truncate: None,
        };
        assert_eq!(
            treatment_weights(&[0.5, 0.4], &[true, false], &st),
            Err(WeightError::StabilizeNotAte)
        );
        assert!(smd(&[1.0], &[true], &[1.0]).is_none());
        assert!(summarize(&[]).is_none());
        let constant = smd(&[2.0, 2.0], &[true, false], &[1.0, 1.0]).unwrap();
        assert_eq!(constant.smd_before, None);
    }

    #[test]
    fn quantiles_are_type_7() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&s, 0.5), 2.5);
        assert!((quantile_sorted(&s, 0.25) - 1.75).abs() < 1e-15);
        assert_eq!(quantile_sorted(&s, 1.0), 4.0);
        assert_eq!(effective_sample_size(&[1.0, 1.0, 1.0]), 3.0);
        assert_eq!(effective_sample_size(&[1.0, 0.0]), 1.0);
    }
}
