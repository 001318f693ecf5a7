//! Restricted mean survival time, as R's `survival:::survmean` computes it
//! for `print(fit, rmean = tau)`, and the difference between two curves.
//!
//! RMST(τ) = ∫₀^τ S(t) dt, the area under the step function (S = 1 before
//! the first time; the last value carried on when τ is beyond the last
//! time). Its variance is the Greenwood-type sum
//! Σ_{t_j ≤ τ} A_j² d_j / (n_j (n_j − d_j)), with A_j = ∫_{t_j}^τ S(t) dt and
//! the term 0 where n_j = d_j, using the (weighted) numbers at risk and events.
//! R does not print a confidence interval; netra reports the normal interval
//! RMST ± z·se with the curve's confidence level.

use super::prep::Neumaier;
use crate::distributions::{normal_quantile, normal_two_sided_p};

/// Restricted mean survival time of one curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rmst {
    /// Upper limit of integration τ.
    pub tau: f64,
    /// ∫₀^τ S(t) dt.
    pub estimate: f64,
    /// Standard error (R's `se(rmean)`).
    pub std_err: f64,
    /// Lower normal confidence limit, estimate − z·se.
    pub lower: f64,
    /// Upper normal confidence limit, estimate + z·se.
    pub upper: f64,
}

/// Difference of two RMSTs (second minus first) with its normal test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmstDifference {
    /// RMST(second) − RMST(first).
    pub estimate: f64,
    /// sqrt(se₁² + se₂²): the curves are independent samples.
    pub std_err: f64,
    /// estimate − z·se.
    pub lower: f64,
    /// estimate + z·se.
    pub upper: f64,
    /// Two-sided p-value of estimate / se against the standard normal.
    pub p: f64,
}

/// `qnorm(1 - (1 - level) / 2)`, written as R writes it.
pub(crate) fn z_of(level: f64) -> f64 {
    normal_quantile(1.0 - (1.0 - level) / 2.0)
}

/// RMST from a curve's steps (sorted times from 0 up); `tau` already checked.
pub(crate) fn rmst_of(
    time: &[f64],
    surv: &[f64],
    n_risk: &[f64],
    n_event: &[f64],
    tau: f64,
    z: f64,
) -> Rmst {
    // Steps at or before tau (times are sorted).
    let k = time.partition_point(|&t| t <= tau);
    // Rectangles: from 0 to t1 at S = 1, then between consecutive times at
    // the earlier survival, and from t_k to tau at S(t_k).
    let rect = |j: usize| -> f64 {
        // j in 0..=k: the rectangle ending at time[j] (or tau when j == k).
        let end = if j == k { tau } else { time[j] };
        if j == 0 {
            end // - start.time (0)
        } else {
            (end - time[j - 1]) * surv[j - 1]
        }
    };
    let mut mean = Neumaier::default();
    for j in 0..=k {
        mean.add(rect(j));
    }
    // Variance: walk back from tau, accumulating the area after each time.
    let mut area = Neumaier::default();
    let mut var = Neumaier::default();
    for j in (1..=k).rev() {
        area.add(rect(j));
        let i = j - 1; // the step at time[i] starts rectangle j
        let (n, d) = (n_risk[i], n_event[i]);
        let h = if n - d == 0.0 { 0.0 } else { d / (n * (n - d)) };
        let a = area.value();
        var.add(a * a * h);
    }
    let estimate = mean.value();
    let std_err = var.value().sqrt();
    Rmst {
        tau,
        estimate,
        std_err,
        lower: estimate - z * std_err,
        upper: estimate + z * std_err,
    }
}

/// The difference `second − first` of two curves' RMST (same τ), with
/// se = sqrt(se₁² + se₂²), the normal interval at `conf_level` and the
/// two-sided p-value.
pub fn rmst_difference(first: &Rmst, second: &Rmst, conf_level: f64) -> RmstDifference {
    let estimate = second.estimate - first.estimate;
    let std_err = (first.std_err * first.std_err + second.std_err * second.std_err).sqrt();
    let z = z_of(conf_level);
    // As R's 2 * pnorm(-abs(z)): NaN when both the difference and its
    // standard error are 0 (two curves without events before tau).
    let p = normal_two_sided_p(estimate / std_err);
    RmstDifference {
        estimate,
        std_err,
        lower: estimate - z * std_err,
        upper: estimate + z * std_err,
        p,
    }
}
