//! The restricted mean survival time of a weighted Kaplan–Meier curve
//! with its infinitesimal-jackknife (robust) standard error — the
//! variance R's `survfit(..., weights = w, influence = TRUE)` implies:
//! the influence of subject i on RMST(τ) = ∫₀^τ S is
//! `R_i = Σ_k Δ_k U_i(t_k)`, with `U_i(t)` the rows of R's
//! `influence.surv` (`w_i·S(t)·Σ_{t_j ≤ t} (d_j Y_i(t_j) − n_j dN_i(t_j)) /
//! (n_j (n_j − d_j))`) and `Δ_k` the widths of the curve's steps up to τ;
//! `var = Σ_i R_i²`. Unlike the Greenwood-type formula of `print(fit,
//! rmean = τ)` (`crate::km::KmCurve::rmst`), which treats weights as
//! frequencies, this is the variance that goes with the weighted curve's
//! own robust intervals. Computed in O(n log m) from prefix and suffix
//! sums over the steps.

// Loops over steps index several arrays with one counter.
#![allow(clippy::needless_range_loop)]

use crate::km::{KmError, KmOptions, Variance, km};

/// RMST with its robust standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobustRmst {
    /// τ.
    pub tau: f64,
    /// ∫₀^τ S(t) dt.
    pub estimate: f64,
    /// Infinitesimal-jackknife standard error.
    pub std_err: f64,
}

/// RMST(τ) of the weighted KM curve of `time`, `event`, `weights` (case
/// weights ≥ 0), with the robust standard error (see the module doc).
pub fn rmst_robust(
    time: &[f64],
    event: &[bool],
    weights: &[f64],
    tau: f64,
) -> Result<RobustRmst, KmError> {
    if !(tau.is_finite() && tau > 0.0) {
        return Err(KmError::InvalidTau(tau));
    }
    let curve = km(
        time,
        event,
        Some(weights),
        &KmOptions {
            variance: Variance::Robust,
            ..KmOptions::default()
        },
    )?;
    if curve.time.is_empty() {
        return Err(KmError::EmptyCurve);
    }
    // Steps 0..=m: step 0 is time 0 (S = 1, A = 0); step k ≥ 1 is curve
    // time k − 1. Only steps starting before τ count.
    let m = curve.time.partition_point(|&t| t < tau);
    let start = |k: usize| if k == 0 { 0.0 } else { curve.time[k - 1] };
    let surv = |k: usize| if k == 0 { 1.0 } else { curve.survival[k - 1] };
    let mut width = vec![0.0; m + 1];
    for k in 0..=m {
        let next = if k < m { curve.time[k] } else { tau };
        width[k] = next.min(tau) - start(k);
    }
    // A_k and 1/(n_k − d_k).
    let mut a = vec![0.0; m + 1];
    let mut inv_left = vec![0.0; m + 1];
    for k in 1..=m {
        let (n, d) = (curve.n_risk[k - 1], curve.n_event[k - 1]);
        let left = n - d;
        let step = if d > 0.0 && left > 0.0 {
            d / (n * left)
        } else {
            0.0
        };
        a[k] = a[k - 1] + step;
        inv_left[k] = if left > 0.0 { 1.0 / left } else { 0.0 };
    }
    // Prefix P_k = Σ_{k' ≤ k} S Δ A, suffix Q_k = Σ_{k' ≥ k} S Δ.
    let mut p = vec![0.0; m + 1];
    let mut q = vec![0.0; m + 2];
    let mut acc = 0.0;
    for k in 0..=m {
        let s = surv(k);
        if s > 0.0 {
            acc += s * width[k] * a[k];
        }
        p[k] = acc;
    }
    for k in (0..=m).rev() {
        q[k] = q[k + 1] + surv(k) * width[k];
    }
    let estimate = q[0];
    let mut var = 0.0;
    for i in 0..time.len() {
        let w = weights[i];
        if w == 0.0 {
            continue;
        }
        let t = time[i];
        // The step holding t (times were merged by timefix: the nearest
        // step at or below t, allowing for that merge).
        let tol = 1e-8 * t.abs().max(1.0);
        let j = curve.time.partition_point(|&s| s <= t + tol);
        let (k, after_tau) = if j > m { (m, true) } else { (j, false) };
        let term1 = p[k] + a[k] * q[k + 1];
        let term2 = if event[i] && !after_tau {
            inv_left[k] * q[k]
        } else {
            0.0
        };
        let r = w * (term1 - term2);
        var += r * r;
    }
    Ok(RobustRmst {
        tau,
        estimate,
        std_err: var.sqrt(),
    })
}
