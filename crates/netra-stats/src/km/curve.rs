//! A Kaplan–Meier curve from per-time sums: the one implementation behind
//! both the row path ([`super::km_by_group`], which sums its sorted rows per
//! time first) and the partial aggregates (`crate::partial`, whose merged
//! cells are such sums).
//!
//! Everything `survfit` reports is a function of four sums per distinct
//! time — the weights of the events and of the censored, and the squares of
//! those weights (the squares only for the infinitesimal-jackknife
//! variance) — plus the number of rows.

use super::{ConfType, KmCurve, ci, prep::Neumaier};

/// Sums per distinct time of one curve, ascending (structure of arrays, so
/// that the time and weight vectors become the curve's own without a copy).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TimeSums {
    /// The (time-fixed) times.
    pub time: Vec<f64>,
    /// Sums of the case weights of the events.
    pub w_event: Vec<f64>,
    /// Sums of the case weights of the censored.
    pub w_censor: Vec<f64>,
    /// Sums of the squared weights of the events (robust variance only;
    /// empty otherwise).
    pub w2_event: Vec<f64>,
    /// Sums of the squared weights of the censored (robust variance only).
    pub w2_censor: Vec<f64>,
}

impl TimeSums {
    /// Room for `m` times; the squared weights only when `robust`.
    pub fn with_capacity(m: usize, robust: bool) -> TimeSums {
        let squares = if robust { m } else { 0 };
        TimeSums {
            time: Vec::with_capacity(m),
            w_event: Vec::with_capacity(m),
            w_censor: Vec::with_capacity(m),
            w2_event: Vec::with_capacity(squares),
            w2_censor: Vec::with_capacity(squares),
        }
    }

    /// Appends one time.
    #[inline]
    pub fn push(&mut self, time: f64, sums: [f64; 4], robust: bool) {
        self.time.push(time);
        self.w_event.push(sums[0]);
        self.w_censor.push(sums[1]);
        if robust {
            self.w2_event.push(sums[2]);
            self.w2_censor.push(sums[3]);
        }
    }
}

/// Builds one curve from its per-time sums and its number of rows `n`: a
/// backward pass for the numbers at risk (accumulated from the last time
/// down, as R's C code does), then a forward pass for S, its variance and
/// the interval. `sums` must hold the squared weights when `robust`.
pub(crate) fn from_counts(
    sums: TimeSums,
    n: usize,
    robust: bool,
    conf_type: ConfType,
    conf_level: f64,
    z: f64,
) -> KmCurve {
    let TimeSums {
        time,
        w_event: n_event,
        w_censor: n_censor,
        w2_event,
        w2_censor,
    } = sums;
    let m = time.len();
    let mut n_risk = vec![0.0; m];
    // Robust variance only: squared weights of everyone at risk after each
    // time.
    let mut w2_after = if robust { vec![0.0; m] } else { Vec::new() };
    let mut at_risk = 0.0;
    let mut w2_tail = Neumaier::default();
    for k in (0..m).rev() {
        at_risk += n_event[k] + n_censor[k];
        n_risk[k] = at_risk;
        if robust {
            w2_after[k] = w2_tail.value();
            w2_tail.add(w2_event[k] + w2_censor[k]);
        }
    }

    let mut survival = vec![0.0; m];
    let mut std_err = vec![0.0; m];
    let mut lower = vec![0.0; m];
    let mut upper = vec![0.0; m];
    let mut s = 1.0;
    // A factor is applied only where the events have positive weight
    // (zero-weight events add a step but change nothing, as in R).
    if !robust {
        let mut v = 0.0;
        for k in 0..m {
            let (nr, d) = (n_risk[k], n_event[k]);
            if d > 0.0 {
                s *= (nr - d) / nr;
                v += d / (nr * (nr - d));
            }
            let sd_log = v.sqrt();
            survival[k] = s;
            std_err[k] = sd_log * s;
            (lower[k], upper[k]) = ci::interval(conf_type, s, sd_log, true, z);
        }
    } else {
        // Infinitesimal jackknife in closed form. With G the Greenwood sum
        // so far, row r's influence on S(t) is w_r S(t) a_r(t), where
        // a_r = G while r is at risk, and stays at G(exit) − δ_r / (n − d)
        // (its exit-time values) afterwards; the variance is their sum of
        // squares, so only the per-time sums of squared weights enter.
        let mut g = 0.0;
        let mut exited = Neumaier::default(); // Σ w² a² over rows gone
        let mut sd = 0.0;
        for k in 0..m {
            let (nr, d) = (n_risk[k], n_event[k]);
            if d > 0.0 {
                s *= 1.0 - d / nr;
                if nr - d == 0.0 || s == 0.0 {
                    // Everyone with weight had the event: every influence is
                    // 0, as R's recursion gives.
                    sd = 0.0;
                } else {
                    g += d / (nr * (nr - d));
                    let b = 1.0 / (nr - d);
                    let here = w2_event[k] * (g - b) * (g - b) + w2_censor[k] * g * g;
                    let total = exited.value() + w2_after[k] * g * g + here;
                    sd = s * total.sqrt();
                    exited.add(here);
                }
            } else {
                exited.add((w2_event[k] + w2_censor[k]) * g * g);
            }
            survival[k] = s;
            std_err[k] = sd;
            (lower[k], upper[k]) = ci::interval(conf_type, s, sd, false, z);
        }
    }
    KmCurve {
        n,
        time,
        n_risk,
        n_event,
        n_censor,
        survival,
        std_err,
        lower,
        upper,
        conf_type,
        conf_level,
        robust,
    }
}
