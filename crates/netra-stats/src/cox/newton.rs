//! Newton–Raphson with step halving, following the iteration rules of
//! survival's `coxfit6` (right-censored data, `coxph.fit`) and `agfit4`
//! ((start, stop] data, `agreg.fit`) so that the same iterates — and hence
//! the same estimates, iteration counts and warnings — come out.
//!
//! Common to both: start at β = 0, take the full Newton step
//! `β + I⁻¹U`; converged when `|1 − ℓ_best/ℓ_new| ≤ eps` (relative change
//! in the log-likelihood, `coxph.control(eps = 1e-9)`); when a step lowers
//! the log-likelihood (or gives non-finite values) it is pulled back towards
//! the last good β, more strongly each time
//! (`β_new = (β_new + h·β_good)/(h + 1)` for the h-th successive halving).
//! Differences kept on purpose:
//! * `coxfit6` may stop during halving; `agfit4` only after a full step;
//! * out of iterations, `coxfit6` re-evaluates at the last good β and its
//!   variance is then built from the diagonal of the information only (R
//!   calls its inverse routine on an unfactored matrix there); `agfit4`
//!   returns to the last good β only if the final step was worse.

use super::chol::{Ldl, SymMat};
use super::kernel::Eval;
use super::prepare::Prepared;

/// Control settings, R's `coxph.control()` defaults.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Control {
    pub eps: f64,
    pub toler_chol: f64,
    pub iter_max: usize,
}

/// Result in the scaled coordinates of [`Prepared`].
#[derive(Debug, Clone)]
pub(crate) struct NrResult {
    pub beta: Vec<f64>,
    pub loglik0: f64,
    pub loglik: f64,
    /// Score at the returned β.
    pub u: Vec<f64>,
    /// Inverse information at the returned β.
    pub var: SymMat,
    pub score_test: f64,
    pub iter: usize,
    pub converged: bool,
    /// Rank of the information at the returned β (`coxph.fit`'s `flag`),
    /// or [`RAN_OUT`] when `coxfit6` ran out of iterations.
    pub rank: i32,
}

/// `coxfit6`'s `flag` when it ran out of iterations (R: 1000). `coxph.fit`
/// marks columns as singular (`NA`) only when the flag is below the number
/// of columns, so out of iterations a constant or collinear column keeps
/// its coefficient 0 (with se 0, or the inverse of its information) and the
/// tests keep its degree of freedom. Not 1000: that would be a rank for a
/// model with more than 1000 columns.
pub(crate) const RAN_OUT: i32 = i32::MAX;

/// What the iteration needs from the data: the log partial likelihood, the
/// score and the information (packed lower triangle) at a β in the centred,
/// scaled coordinates. The row path ([`RowObjective`]) computes them from
/// sorted rows; `partial_cox` from merged per-time sums sent by the parts of
/// a distributed data set, so both share this one iteration.
pub(crate) trait Objective {
    /// Why an evaluation could not be made (a part that did not answer).
    type Error;
    /// Number of coefficients.
    fn p(&self) -> usize;
    /// Evaluates at `beta`.
    fn eval(&mut self, beta: &[f64]) -> Result<(), Self::Error>;
    /// Log partial likelihood of the last evaluation.
    fn loglik(&self) -> f64;
    /// Score of the last evaluation.
    fn u(&self) -> &[f64];
    /// Information (packed lower triangle) of the last evaluation.
    fn imat(&self) -> &[f64];
}

/// The row path: the kernel over prepared rows.
pub(crate) struct RowObjective<'a> {
    prep: &'a Prepared,
    efron: bool,
    ev: Eval,
}

impl Objective for RowObjective<'_> {
    type Error = std::convert::Infallible;
    fn p(&self) -> usize {
        self.prep.p
    }
    fn eval(&mut self, beta: &[f64]) -> Result<(), Self::Error> {
        self.ev.run(self.prep, beta, self.efron);
        Ok(())
    }
    fn loglik(&self) -> f64 {
        self.ev.loglik
    }
    fn u(&self) -> &[f64] {
        &self.ev.u
    }
    fn imat(&self) -> &[f64] {
        &self.ev.imat
    }
}

fn factor<O: Objective>(ev: &O, toler: f64) -> (Ldl, SymMat) {
    let m = SymMat::from_packed_lower(ev.p(), ev.imat());
    (Ldl::new(&m, toler), m)
}

fn all_finite(v: &[f64]) -> bool {
    v.iter().all(|x| x.is_finite())
}

/// Right-censored data: `coxfit6`'s iteration.
pub(crate) fn fit_right(prep: &Prepared, efron: bool, ctl: Control) -> NrResult {
    let mut obj = RowObjective {
        prep,
        efron,
        ev: Eval::new(prep),
    };
    match iterate_right(&mut obj, ctl) {
        Ok(nr) => nr,
        Err(never) => match never {},
    }
}

/// `coxfit6`'s iteration over any [`Objective`].
pub(crate) fn iterate_right<O: Objective>(ev: &mut O, ctl: Control) -> Result<NrResult, O::Error> {
    let p = ev.p();
    let mut beta = vec![0.0; p];
    ev.eval(&beta)?;
    let loglik0 = ev.loglik();
    let (ldl, _) = factor(ev, ctl.toler_chol);
    let mut rank = ldl.rank;
    let mut step = ev.u().to_vec();
    ldl.solve(&mut step);
    let score_test: f64 = ev.u().iter().zip(&step).map(|(a, b)| a * b).sum();

    if ctl.iter_max == 0 || !loglik0.is_finite() {
        return Ok(NrResult {
            beta,
            loglik0,
            loglik: loglik0,
            u: ev.u().to_vec(),
            var: ldl.inverse(),
            score_test,
            iter: 0,
            converged: true,
            rank,
        });
    }

    let mut best = loglik0;
    let mut newbeta: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + s).collect();
    let mut halving = 0usize;
    for iter in 1..=ctl.iter_max {
        ev.eval(&newbeta)?;
        let newlk = ev.loglik();
        let (ldl, _) = factor(ev, ctl.toler_chol);
        rank = ldl.rank;
        let finite = all_finite(ev.u()) && all_finite(ev.imat()) && newlk.is_finite();
        if finite && (1.0 - best / newlk).abs() <= ctl.eps {
            return Ok(NrResult {
                beta: newbeta,
                loglik0,
                loglik: newlk,
                u: ev.u().to_vec(),
                var: ldl.inverse(),
                score_test,
                iter,
                converged: true,
                rank,
            });
        }
        if !finite || newlk < best {
            halving += 1;
            let h = halving as f64;
            for (nb, b) in newbeta.iter_mut().zip(&beta) {
                *nb = (*nb + h * b) / (h + 1.0);
            }
        } else {
            halving = 0;
            best = newlk;
            let mut step = ev.u().to_vec();
            ldl.solve(&mut step);
            beta.clone_from(&newbeta);
            for (nb, s) in newbeta.iter_mut().zip(&step) {
                *nb += s;
            }
        }
    }

    // Out of iterations: report the last good β.
    let (loglik, var) = if ctl.iter_max > 1 {
        ev.eval(&beta)?;
        // coxfit6 inverts the freshly accumulated (unfactored) information
        // here, which amounts to inverting its diagonal.
        let mut var = SymMat::zeros(p);
        let m = SymMat::from_packed_lower(p, ev.imat());
        for i in 0..p {
            let d = m.get(i, i);
            var.set(i, i, if d > 0.0 { 1.0 / d } else { 0.0 });
        }
        (ev.loglik(), var)
    } else {
        let (ldl, _) = factor(ev, ctl.toler_chol);
        (best, ldl.inverse())
    };
    Ok(NrResult {
        beta,
        loglik0,
        loglik,
        u: ev.u().to_vec(),
        var,
        score_test,
        iter: ctl.iter_max + 1,
        converged: false,
        rank: RAN_OUT,
    })
}

/// (start, stop] data: `agfit4`'s iteration.
pub(crate) fn fit_counting(prep: &Prepared, efron: bool, ctl: Control) -> NrResult {
    let mut obj = RowObjective {
        prep,
        efron,
        ev: Eval::new(prep),
    };
    match iterate_counting(&mut obj, ctl) {
        Ok(nr) => nr,
        Err(never) => match never {},
    }
}

/// `agfit4`'s iteration over any [`Objective`].
pub(crate) fn iterate_counting<O: Objective>(
    obj: &mut O,
    ctl: Control,
) -> Result<NrResult, O::Error> {
    let p = obj.p();
    let mut beta = vec![0.0; p];
    let mut oldbeta = vec![0.0; p];
    let mut loglik0 = 0.0;
    let mut best = 0.0;
    let mut score_test = 0.0;
    let mut rank = 0;
    let mut halving = 0usize;
    let mut converged = true;
    let mut last_ldl: Option<Ldl> = None;
    let mut iter = 0;

    while iter <= ctl.iter_max {
        obj.eval(&beta)?;
        let newlk = obj.loglik();
        if iter == 0 {
            loglik0 = newlk;
            best = newlk;
            let (ldl, _) = factor(obj, ctl.toler_chol);
            rank = ldl.rank;
            let mut step = obj.u().to_vec();
            ldl.solve(&mut step);
            score_test = obj.u().iter().zip(&step).map(|(a, b)| a * b).sum();
            let stop = ctl.iter_max == 0 || !newlk.is_finite();
            if !stop {
                oldbeta.clone_from(&beta);
                for (b, s) in beta.iter_mut().zip(&step) {
                    *b += s;
                }
            }
            last_ldl = Some(ldl);
            if stop {
                break;
            }
        } else {
            let mut fail = (0..p)
                .filter(|&i| !obj.imat()[i * (i + 1) / 2 + i].is_finite())
                .count();
            let (ldl, _) = factor(obj, ctl.toler_chol);
            fail += usize::from(!newlk.is_finite()) + (rank - ldl.rank).unsigned_abs() as usize;
            if fail == 0 && halving == 0 && (1.0 - best / newlk).abs() <= ctl.eps {
                last_ldl = Some(ldl);
                best = newlk;
                break;
            }
            if iter == ctl.iter_max {
                converged = false;
                if ctl.iter_max > 1 && (newlk - best) / best.abs() < -ctl.eps {
                    beta.clone_from(&oldbeta);
                    obj.eval(&beta)?;
                    let (ldl, _) = factor(obj, ctl.toler_chol);
                    last_ldl = Some(ldl);
                } else {
                    last_ldl = Some(ldl);
                }
                best = obj.loglik();
                break;
            }
            if fail > 0 || newlk < best {
                halving += 1;
                let h = halving as f64;
                for (b, o) in beta.iter_mut().zip(&oldbeta) {
                    *b = (o * h + *b) / (h + 1.0);
                }
            } else {
                halving = 0;
                best = newlk;
                let mut step = obj.u().to_vec();
                ldl.solve(&mut step);
                oldbeta.clone_from(&beta);
                for (b, s) in beta.iter_mut().zip(&step) {
                    *b += s;
                }
            }
            last_ldl = Some(ldl);
        }
        iter += 1;
    }
    let loglik = if iter == 0 { loglik0 } else { best };
    let var = last_ldl
        .map(|l| l.inverse())
        .unwrap_or_else(|| SymMat::zeros(p));
    Ok(NrResult {
        beta,
        loglik0,
        loglik,
        u: obj.u().to_vec(),
        var,
        score_test,
        iter,
        converged,
        rank,
    })
}
