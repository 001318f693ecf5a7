//! The median survival time with the symmetric confidence interval SPSS
//! prints (Kaplan–Meier procedure, "Means and Medians for Survival Time"):
//! median ± z·SE, z = `qnorm(1 − α/2)` (1.96 at 95%).
//!
//! # The standard error
//!
//! As the IBM SPSS Statistics Algorithms manual (chapter "KM", section
//! "Percentiles") gives it, after Collett (2003, *Modelling Survival Data
//! in Medical Research*, 2nd ed., §2.4.2, eq. 2.20):
//!
//! ```text
//! SE(t₀.₅) = SE[Ŝ(t₀.₅)] / f̂(t₀.₅),   f̂(t₀.₅) = [Ŝ(û) − Ŝ(l̂)] / (l̂ − û)
//! ```
//!
//! * t₀.₅ — SPSS's median: the first event time with Ŝ(t) ≤ 0.5 (R's
//!   `quantile.survfit` instead takes a midpoint where Ŝ is exactly 0.5
//!   over an interval; the two agree otherwise);
//! * SE[Ŝ(t₀.₅)] — Greenwood's standard error of Ŝ at that time (the
//!   curve's `std_err`);
//! * û — the largest event time with Ŝ(t) ≥ 0.5 + ε, l̂ — the smallest
//!   event time with Ŝ(t) ≤ 0.5 − ε, ε = 0.05; when no event time has
//!   Ŝ ≥ 0.55, û = 0 with Ŝ(0) = 1 (the curve's start).
//!
//! Where the median is not reached, or no event time has Ŝ ≤ 0.45, or
//! the standard error is not finite, there is no interval (`None`). The
//! limits are not clipped at 0: SPSS prints them as computed, and this is
//! for reproducing SPSS output. netra has no SPSS to compare with; the
//! fixture (`validation/r/km_spss.R`) evaluates the same formula in R on
//! `survfit`'s curve.

use super::KmCurve;
use crate::distributions::normal_quantile;

/// The SPSS-style median and its symmetric interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymmetricMedian {
    /// The median as SPSS takes it (first event time with Ŝ ≤ 0.5).
    pub estimate: f64,
    /// Its standard error (Collett's density-based formula).
    pub std_err: f64,
    /// estimate − z·SE.
    pub lower: f64,
    /// estimate + z·SE.
    pub upper: f64,
}

/// ε of the density estimate around the median.
const EPSILON: f64 = 0.05;

impl KmCurve {
    /// The median with SPSS's symmetric interval at the curve's level;
    /// `None` where SPSS prints no interval (see the module note).
    pub fn median_symmetric(&self) -> Option<SymmetricMedian> {
        let events: Vec<usize> = (0..self.len()).filter(|&j| self.n_event[j] > 0.0).collect();
        let at_median = *events.iter().find(|&&j| self.survival[j] <= 0.5)?;
        let estimate = self.time[at_median];
        let se_s = self.std_err[at_median];
        let (u_time, u_surv) = events
            .iter()
            .rev()
            .find(|&&j| self.survival[j] >= 0.5 + EPSILON)
            .map_or((0.0, 1.0), |&j| (self.time[j], self.survival[j]));
        let &l = events
            .iter()
            .find(|&&j| self.survival[j] <= 0.5 - EPSILON)?;
        let density = (u_surv - self.survival[l]) / (self.time[l] - u_time);
        let std_err = se_s / density;
        if !std_err.is_finite() {
            return None;
        }
        let z = normal_quantile(1.0 - (1.0 - self.conf_level) / 2.0);
        Some(SymmetricMedian {
            estimate,
            std_err,
            lower: estimate - z * std_err,
            upper: estimate + z * std_err,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{KmOptions, km};

    #[test]
    fn hand_computed_example() {
        // Events at 1..=6, no censoring: S = 5/6, 4/6, 3/6, 2/6, 1/6, 0.
        // Median 3 (S = 0.5); û = 2 (S = 4/6 ≥ 0.55), l̂ = 4 (S = 2/6 ≤
        // 0.45): f = (4/6 − 2/6)/2 = 1/6. Greenwood at 3: S²·Σ d/(n(n−d))
        // = 0.25·(1/30 + 1/20 + 1/12) = 1/24 → SE(S) = √(1/24).
        let c = km(
            &[1., 2., 3., 4., 5., 6.],
            &[true; 6],
            None,
            &KmOptions::default(),
        )
        .unwrap();
        let m = c.median_symmetric().unwrap();
        assert_eq!(m.estimate, 3.0);
        let se = (1.0f64 / 24.0).sqrt() * 6.0;
        assert!((m.std_err - se).abs() < 1e-12, "{}", m.std_err);
        // All censored: no median, no interval.
        let c = km(&[1., 2.], &[false; 2], None, &KmOptions::default()).unwrap();
        assert!(c.median_symmetric().is_none());
    }
}
