//! From merged cells to the log partial likelihood, score and information.
//!
//! Per stratum, cells are walked from the latest time back, adding each
//! cell's risk block to a running (double-double) total: the risk set at
//! time t is every row with time ≥ t — for (start, stop] data minus every
//! row with start ≥ t (each cell's entering block is subtracted). At a cell with `d` event rows of
//! total weight `D`, risk-set sums `S = (S0, S1, S2)` and the events' own
//! risk sums `E` (Efron), with `B = S − E`:
//!
//! * always: `ℓ += Σw·η`, `U += Σw·x̃` of the events;
//! * Breslow (or `d = 1`): `ℓ −= D·log S0`, `U −= D·S1/S0`,
//!   `I += D·(S2/S0 − S1S1ᵀ/S0²)`;
//! * Efron: the events leave in `d` equal steps, step k seeing
//!   `B + c_k·E`, `c_k = (k+1)/d`, each with the mean event weight `D/d`
//!   (`coxfit6`'s convention), summed in closed form with the kernel's
//!   `efron_sums`: `U −= (D/d)·(B1·ΣD⁻¹ + E1·Σc/D)`,
//!   `I += (D/d)·(B2·ΣD⁻¹ + E2·Σc/D − B1B1ᵀ·ΣD⁻² − (B1E1ᵀ + E1B1ᵀ)·Σc/D²
//!   − E1E1ᵀ·Σc²/D²)`.
//!
//! These are the formulas of `cox::kernel`; only the order of additions
//! differs (sums per time first, then over times).

use super::cells::CoxPartial;
use super::dd::{Dd, add_all};
use crate::cox::kernel::efron_sums;

/// Log partial likelihood, score and information (packed lower triangle)
/// at the β the sums were made for, in the standardised coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialEvaluation {
    /// Log partial likelihood.
    pub loglik: f64,
    /// Score (gradient), `p` values.
    pub score: Vec<f64>,
    /// Information (minus the Hessian), packed lower triangle: row `i`
    /// holds columns `0..=i`.
    pub information: Vec<f64>,
}

impl CoxPartial {
    /// The likelihood and its derivatives from (merged) sums.
    pub fn evaluate(&self) -> PartialEvaluation {
        let l = self.layout;
        let (p, np, width, mw) = (l.p, l.np, l.width(), l.moments());
        let mut loglik = Dd::ZERO;
        let mut score = vec![Dd::ZERO; p];
        let mut info = vec![Dd::ZERO; np];
        let mut cum = vec![Dd::ZERO; mw];
        let mut base = vec![Dd::ZERO; mw];
        let mut s = vec![0.0; mw];
        let mut e = vec![0.0; mw];
        let mut c = self.keys.len();
        while c > 0 {
            // One stratum: cells c0..c, walked backwards in time.
            let stratum = self.keys[c - 1].0;
            cum.iter_mut().for_each(|v| *v = Dd::ZERO);
            while c > 0 && self.keys[c - 1].0 == stratum {
                c -= 1;
                let v = &self.values[c * width..(c + 1) * width];
                add_all(&mut cum, &v[..mw]);
                if l.counting {
                    for (a, b) in cum.iter_mut().zip(&v[l.enter()..l.enter() + mw]) {
                        a.sub_dd(*b);
                    }
                }
                let d = self.events[c];
                if d == 0 {
                    continue;
                }
                let deadwt = v[l.ev_w()].value();
                loglik.add_dd(v[l.ev_weta()]);
                add_all(&mut score, &v[l.ev_wx()..l.ev_wx() + p]);
                if !l.efron || d == 1 {
                    for (a, b) in s.iter_mut().zip(&cum) {
                        *a = b.value();
                    }
                    let s0 = s[0];
                    loglik.add(-deadwt * s0.ln());
                    let mut k = 0;
                    for i in 0..p {
                        let mean_i = s[1 + i] / s0;
                        score[i].add(-deadwt * mean_i);
                        for j in 0..=i {
                            info[k].add(deadwt * (s[1 + p + k] - mean_i * s[1 + j]) / s0);
                            k += 1;
                        }
                    }
                } else {
                    base.clone_from(&cum);
                    let ev = &v[l.ev_risk()..l.ev_risk() + mw];
                    for (b, x) in base.iter_mut().zip(ev) {
                        b.sub_dd(*x);
                    }
                    for (a, b) in s.iter_mut().zip(&base) {
                        *a = b.value();
                    }
                    for (a, b) in e.iter_mut().zip(ev) {
                        *a = b.value();
                    }
                    let nd = usize::try_from(d).unwrap_or(usize::MAX);
                    let wtave = deadwt / d as f64;
                    let (s0, s1, t0, t1, t2, log_sum) = efron_sums(s[0], e[0], nd);
                    loglik.add(-wtave * log_sum);
                    let (b1, e1) = (&s[1..=p], &e[1..=p]);
                    let mut k = 0;
                    for i in 0..p {
                        score[i].add(-wtave * (b1[i] * s0 + e1[i] * s1));
                        for j in 0..=i {
                            let second = s[1 + p + k] * s0 + e[1 + p + k] * s1;
                            let mean_sq = b1[i] * b1[j] * t0
                                + (b1[i] * e1[j] + e1[i] * b1[j]) * t1
                                + e1[i] * e1[j] * t2;
                            info[k].add(wtave * (second - mean_sq));
                            k += 1;
                        }
                    }
                }
            }
        }
        PartialEvaluation {
            loglik: loglik.value(),
            score: score.iter().map(|v| v.value()).collect(),
            information: info.iter().map(|v| v.value()).collect(),
        }
    }
}
