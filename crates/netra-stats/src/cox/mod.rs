//! Cox proportional-hazards regression, computed as R's `coxph` computes it.
//!
//! # What is matched
//! * Partial likelihood with Efron (default) or Breslow handling of tied
//!   event times; case weights; strata; (start, stop] counting-process data
//!   (time-varying covariates, left truncation). See `docs/algorithms/cox.md`.
//! * Newton–Raphson from β = 0 with step halving and R's convergence rule
//!   (relative change in log-likelihood ≤ `eps = 1e-9`, at most 20
//!   iterations), with covariates centred and scaled as in survival's C code
//!   (`coxfit6` for right-censored data, `agfit4` for (start, stop] data).
//!   A constant or collinear covariate gets no coefficient (R's `NA`), with a
//!   warning. A coefficient heading to infinity (monotone likelihood) is
//!   reported with R's warning `Loglik converged before variable …`.
//! * Model-based variance (inverse information), the robust sandwich
//!   variance from dfbeta residuals summed within clusters (`cluster()`),
//!   used by default when clusters are given or weights are not integers,
//!   exactly when `coxph` does.
//! * Likelihood-ratio, Wald and score (log-rank) tests, the robust score
//!   test, and the concordance with its standard error (`fit$concordance`).
//! * Times that differ by less than R's `timefix` tolerance are merged
//!   first, as `coxph(control = coxph.control(timefix = TRUE))` does.
//!
//! Diagnostics and extensions live in [`zph`] (`cox.zph`), [`finegray`]
//! (Fine–Gray via `finegray()` weights), [`terms`] (the overall test of a
//! factor: `drop1` and Wald) and [`subgroup`] (an arm's hazard ratio per
//! subgroup and the interaction test). [`crate::partial_cox`] fits the
//! same model from additive per-time sums of data held in parts, with the
//! same Newton iteration (`newton::Objective`). `docs/algorithms/cox.md` has the
//! longer notes.
//!
//! # Speed
//! One (radix) sort — a single counting pass when times are whole numbers
//! in a modest range (days) and there are no strata; then each Newton step
//! is O(n·p²) over contiguous row-major covariates with no allocation,
//! Efron's correction in closed form in the same pass. Large right-censored
//! data (≥ 100 000 rows) are evaluated in two parts on two threads — with
//! tied event times in one pass over the rows per step (`grouped`: sums
//! per event time, risk weights, exponentials and second moments in one
//! loop); the concordance
//! (O(n log n), rank trees) likewise. Robust variance is O(n·p) via
//! cumulative hazard sums. Results do not depend on the number of cores.

// Numerical loops below index several arrays with one counter; iterator
// chains would obscure the formulas.
#![allow(clippy::needless_range_loop)]

pub(crate) mod chol;
mod concordance;
pub mod finegray;
mod grouped;
pub(crate) mod kernel;
pub(crate) mod newton;
mod prepare;
mod residuals;
pub(crate) mod sort;
pub mod subgroup;
pub mod terms;
pub mod zph;

use std::fmt;

pub use concordance::Concordance;

use crate::distributions::{chisq_upper, normal_quantile, normal_two_sided_p};
use chol::{SymMat, quad_form};
use newton::Control;
use prepare::{Raw, prepare};

/// How tied event times are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ties {
    /// Efron's approximation (R's default).
    #[default]
    Efron,
    /// Breslow's approximation.
    Breslow,
}

/// Settings; the defaults are R's (`coxph.control()`, `conf.int = 0.95`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoxOptions {
    /// Tie handling.
    pub ties: Ties,
    /// Convergence: relative change in the log-likelihood (R `eps`, 1e-9).
    pub eps: f64,
    /// Maximum Newton–Raphson iterations (R `iter.max`, 20).
    pub iter_max: usize,
    /// Singularity tolerance of the Cholesky step (R `toler.chol`,
    /// `.Machine$double.eps^0.75`).
    pub toler_chol: f64,
    /// Tolerance of the infinite-coefficient check (R `toler.inf`,
    /// `sqrt(eps)`).
    pub toler_inf: f64,
    /// Confidence level of the hazard-ratio intervals.
    pub conf_level: f64,
    /// Robust variance: `None` decides as `coxph` does (yes when clusters
    /// are given or some weight is not an integer).
    pub robust: Option<bool>,
    /// Merge times closer than R's `timefix` tolerance.
    pub timefix: bool,
}

impl Default for CoxOptions {
    fn default() -> Self {
        CoxOptions {
            ties: Ties::Efron,
            eps: 1e-9,
            iter_max: 20,
            toler_chol: f64::EPSILON.powf(0.75),
            toler_inf: 1e-9f64.sqrt(),
            conf_level: 0.95,
            robust: None,
            timefix: true,
        }
    }
}

/// The data of a Cox model; all slices are in the same row order.
#[derive(Debug, Clone, Copy)]
pub struct CoxData<'a> {
    /// Follow-up (or stop) time.
    pub time: &'a [f64],
    /// Event indicator.
    pub event: &'a [bool],
    /// Start time for (start, stop] data; each must be below its stop time.
    pub start: Option<&'a [f64]>,
    /// Covariates, column-major `n × p` (see [`crate::model::Design`]).
    pub x: &'a [f64],
    /// Covariate (coefficient) names, `p` of them.
    pub names: &'a [String],
    /// Case weights (> 0).
    pub weights: Option<&'a [f64]>,
    /// Stratum of each row.
    pub strata: Option<&'a [u32]>,
    /// Cluster of each row (any labels), for the robust variance.
    pub cluster: Option<&'a [u32]>,
}

/// One coefficient of a fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct CoxCoefficient {
    /// Name (`age`, `sex=2`, `age:sex=2`).
    pub name: String,
    /// Estimate; `None` when not estimable (R's `NA`).
    pub coef: Option<f64>,
    /// Model-based standard error.
    pub se: Option<f64>,
    /// Robust standard error, when the robust variance is used.
    pub robust_se: Option<f64>,
    /// Hazard ratio `exp(coef)`.
    pub hr: Option<f64>,
    /// Lower confidence limit of the hazard ratio.
    pub hr_lower: Option<f64>,
    /// Upper confidence limit of the hazard ratio.
    pub hr_upper: Option<f64>,
    /// Wald statistic `coef / se` (robust se when robust).
    pub z: Option<f64>,
    /// Two-sided p-value of `z`.
    pub p: Option<f64>,
}

/// A chi-square test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChisqTest {
    /// Statistic.
    pub chisq: f64,
    /// Degrees of freedom.
    pub df: usize,
    /// Upper-tail p-value.
    pub p: f64,
}

impl ChisqTest {
    pub(crate) fn new(chisq: f64, df: usize) -> ChisqTest {
        ChisqTest {
            chisq,
            df,
            p: chisq_upper(chisq, df as f64),
        }
    }
}

/// A fitted Cox model.
#[derive(Debug, Clone, PartialEq)]
pub struct CoxFit {
    /// Rows in the model.
    pub n: usize,
    /// Number of events (unweighted, as R's `nevent`).
    pub events: usize,
    /// One entry per covariate, in design order.
    pub coefficients: Vec<CoxCoefficient>,
    /// Variance used for inference (robust when robust), `p × p` row-major;
    /// zero rows and columns for non-estimable coefficients.
    pub var: Vec<f64>,
    /// Model-based variance (inverse information), `p × p` row-major.
    pub naive_var: Vec<f64>,
    /// Whether `var` is the robust variance.
    pub robust: bool,
    /// Log partial likelihood at β = 0.
    pub loglik_null: f64,
    /// Log partial likelihood at the estimate.
    pub loglik: f64,
    /// Likelihood-ratio test.
    pub lr_test: ChisqTest,
    /// Wald test (with `var`).
    pub wald_test: ChisqTest,
    /// Score (log-rank) test at β = 0.
    pub score_test: ChisqTest,
    /// Robust score test, when robust.
    pub robust_score_test: Option<ChisqTest>,
    /// Concordance, `None` when no pair is comparable.
    pub concordance: Option<Concordance>,
    /// Newton–Raphson iterations.
    pub iterations: usize,
    /// False when the iteration limit was reached.
    pub converged: bool,
    /// Warnings, worded as R words them.
    pub warnings: Vec<String>,
    /// Centring values (weighted means; 0 for columns of -1/0/1 values).
    pub means: Vec<f64>,
    /// Linear predictor `Σ β_j (x_j − mean_j)` of each row.
    pub linear_predictors: Vec<f64>,
    /// Tie handling used.
    pub ties: Ties,
    /// Confidence level of the intervals.
    pub conf_level: f64,
}

impl CoxFit {
    /// Number of estimable coefficients (the tests' degrees of freedom).
    pub fn df(&self) -> usize {
        self.coefficients
            .iter()
            .filter(|c| c.coef.is_some())
            .count()
    }
}

/// Why a model could not be fitted.
#[derive(Debug, Clone, PartialEq)]
pub enum CoxError {
    /// Slices of different lengths.
    LengthMismatch(String),
    /// No rows.
    Empty,
    /// No covariates.
    NoCovariates,
    /// No events: the partial likelihood is empty.
    NoEvents,
    /// A time, weight or covariate that is NaN or infinite.
    NotFinite {
        /// Which input.
        what: String,
        /// 0-based row.
        row: usize,
    },
    /// A weight that is zero or negative (R: "Invalid weights, must be >0").
    BadWeight {
        /// 0-based row.
        row: usize,
    },
    /// A start time not below its stop time.
    BadInterval {
        /// 0-based row.
        row: usize,
    },
    /// Invalid option.
    BadOption(String),
    /// Times so close that `timefix` would give an interval of length 0.
    ZeroLengthInterval {
        /// 0-based row.
        row: usize,
    },
}

impl fmt::Display for CoxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoxError::LengthMismatch(s) => write!(f, "inputs of different lengths: {s}"),
            CoxError::Empty => write!(f, "no rows"),
            CoxError::NoCovariates => write!(f, "the model has no covariates"),
            CoxError::NoEvents => write!(f, "no events: a Cox model cannot be fitted"),
            CoxError::NotFinite { what, row } => {
                write!(f, "{what}, row {}: not a finite number", row + 1)
            }
            CoxError::BadWeight { row } => {
                write!(f, "weight, row {}: weights must be > 0", row + 1)
            }
            CoxError::BadInterval { row } => {
                write!(
                    f,
                    "row {}: the start time must be below the stop time",
                    row + 1
                )
            }
            CoxError::BadOption(s) => write!(f, "invalid option: {s}"),
            CoxError::ZeroLengthInterval { row } => write!(
                f,
                "row {}: start and stop times are equal within rounding (R's timefix)",
                row + 1
            ),
        }
    }
}

impl std::error::Error for CoxError {}

/// Times after R's `timefix`: stop times and, for (start, stop] data, start
/// times.
pub(crate) type FixedTimes = (Vec<f64>, Option<Vec<f64>>);

/// R's `aeqSurv`: times (start and stop together) closer than
/// `sqrt(.Machine$double.eps)` absolutely or relative to their mean absolute
/// value are replaced by the smallest of their run. `None` when nothing
/// changes (the usual case, checked without sorting for whole-number times).
pub(crate) fn timefix(stop: &[f64], start: Option<&[f64]>) -> Result<Option<FixedTimes>, CoxError> {
    let tol = f64::EPSILON.sqrt();
    let all = || stop.iter().chain(start.into_iter().flatten());
    // Distinct whole numbers are at least 1 apart: only the relative rule
    // could tie them, which needs a mean absolute value above 1/tol.
    let max_abs = all().fold(0.0f64, |m, &v| m.max(v.abs()));
    if max_abs < 0.5 / tol && all().all(|&v| is_whole(v)) {
        return Ok(None);
    }
    let mut y: Vec<f64> = all().copied().collect();
    y.sort_unstable_by(f64::total_cmp);
    y.dedup();
    if y.len() < 2 {
        return Ok(None);
    }
    let mut mean_abs = y.iter().map(|v| v.abs()).sum::<f64>() / y.len() as f64;
    if !mean_abs.is_finite() {
        // Times near 1e308 overflow the sum (issue 13) and an infinite mean
        // tied every time; R sums in long double. Scaled first, it cannot.
        let n = y.len() as f64;
        mean_abs = y.iter().map(|v| v.abs() / n).sum::<f64>();
    }
    let mut cuts = Vec::with_capacity(y.len());
    cuts.push(y[0]);
    let mut any_tied = false;
    for w in y.windows(2) {
        let dy = w[1] - w[0];
        if dy <= tol || dy / mean_abs <= tol {
            any_tied = true;
        } else {
            cuts.push(w[1]);
        }
    }
    if !any_tied {
        return Ok(None);
    }
    let map = |v: f64| cuts[cuts.partition_point(|&c| c <= v) - 1];
    let new_stop: Vec<f64> = stop.iter().map(|&v| map(v)).collect();
    let new_start = match start {
        None => None,
        Some(st) => {
            let s: Vec<f64> = st.iter().map(|&v| map(v)).collect();
            if let Some(row) = (0..s.len()).find(|&i| s[i] == new_stop[i]) {
                return Err(CoxError::ZeroLengthInterval { row });
            }
            Some(s)
        }
    };
    Ok(Some((new_stop, new_start)))
}

/// `t == t.trunc()`, without the call to `trunc` that the baseline x86-64
/// target makes (it has no rounding instruction): from 2^52 on every double
/// is a whole number, below it the round trip through `i64` truncates
/// exactly. The same answer for every input (NaN: false; ±∞: true).
#[inline]
pub(crate) fn is_whole(t: f64) -> bool {
    t.abs() >= 4_503_599_627_370_496.0 || (t as i64) as f64 == t
}

/// The first position of `values` that is NaN or infinite. Blocks are
/// checked without a branch per value (the test vectorises); only the
/// block holding one is searched value by value.
pub(crate) fn first_not_finite(values: &[f64]) -> Option<usize> {
    let block = values
        .chunks(256)
        .position(|b| !b.iter().fold(true, |ok, v| ok & v.is_finite()))?;
    let offset = block * 256;
    values[offset..]
        .iter()
        .position(|v| !v.is_finite())
        .map(|k| offset + k)
}

/// Dense 0-based codes for arbitrary labels.
fn dense_codes(labels: &[u32]) -> Vec<u32> {
    let mut uniq = labels.to_vec();
    uniq.sort_unstable();
    uniq.dedup();
    labels
        .iter()
        .map(|l| uniq.partition_point(|u| u < l) as u32)
        .collect()
}

/// Lengths, row bound and values of the data (finite times, covariates
/// and weights, start before stop, positive weights): the checks `coxph`
/// and the partial path (`partial_cox`, whose parts may be empty) share.
pub(crate) fn check_data(
    data: &CoxData<'_>,
    allow_empty: bool,
) -> Result<(usize, usize), CoxError> {
    let n = data.time.len();
    let p = data.names.len();
    let check_len = |what: &str, len: usize| {
        if len != n {
            Err(CoxError::LengthMismatch(format!(
                "{what} has {len}, time has {n}"
            )))
        } else {
            Ok(())
        }
    };
    check_len("event", data.event.len())?;
    if let Some(s) = data.start {
        check_len("start", s.len())?;
    }
    if let Some(w) = data.weights {
        check_len("weights", w.len())?;
    }
    if let Some(s) = data.strata {
        check_len("strata", s.len())?;
    }
    if let Some(c) = data.cluster {
        check_len("cluster", c.len())?;
    }
    if data.x.len() != n * p {
        return Err(CoxError::LengthMismatch(format!(
            "x has {} values, expected {n} rows × {p} columns",
            data.x.len()
        )));
    }
    if n == 0 && !allow_empty {
        return Err(CoxError::Empty);
    }
    if n >= u32::MAX as usize {
        return Err(CoxError::BadOption(format!(
            "{n} rows: at most {} rows are supported",
            u32::MAX - 1
        )));
    }
    if p == 0 {
        return Err(CoxError::NoCovariates);
    }
    if let Some(row) = first_not_finite(data.time) {
        return Err(CoxError::NotFinite {
            what: "time".into(),
            row,
        });
    }
    if let Some(st) = data.start {
        if let Some(row) = st.iter().position(|t| !t.is_finite()) {
            return Err(CoxError::NotFinite {
                what: "start".into(),
                row,
            });
        }
        if let Some(row) = (0..n).find(|&i| st[i] >= data.time[i]) {
            return Err(CoxError::BadInterval { row });
        }
    }
    if let Some(w) = data.weights {
        if let Some(row) = w.iter().position(|v| !v.is_finite()) {
            return Err(CoxError::NotFinite {
                what: "weight".into(),
                row,
            });
        }
        if let Some(row) = w.iter().position(|&v| v <= 0.0) {
            return Err(CoxError::BadWeight { row });
        }
    }
    if let Some(k) = first_not_finite(data.x) {
        return Err(CoxError::NotFinite {
            what: format!("covariate '{}'", data.names[k / n]),
            row: k % n,
        });
    }
    Ok((n, p))
}

pub(crate) fn validate(data: &CoxData<'_>, opts: &CoxOptions) -> Result<(usize, usize), CoxError> {
    let (n, p) = check_data(data, false)?;
    if !data.event.iter().any(|&e| e) {
        return Err(CoxError::NoEvents);
    }
    let positive = |v: f64| v > 0.0 && v.is_finite();
    if !positive(opts.eps) || !positive(opts.toler_chol) || !positive(opts.toler_inf) {
        return Err(CoxError::BadOption(
            "eps, toler_chol and toler_inf must be > 0".into(),
        ));
    }
    if !(opts.conf_level > 0.0 && opts.conf_level < 1.0) {
        return Err(CoxError::BadOption(format!(
            "confidence level {} is not between 0 and 1",
            opts.conf_level
        )));
    }
    Ok((n, p))
}

/// Fits a Cox model (R: `coxph(Surv(...) ~ ..., ties = ...)` and
/// `summary()` of it).
pub fn coxph(data: &CoxData<'_>, opts: &CoxOptions) -> Result<CoxFit, CoxError> {
    let (n, p) = validate(data, opts)?;
    let fixed = if opts.timefix {
        timefix(data.time, data.start)?
    } else {
        None
    };
    let (stop, start): (&[f64], Option<&[f64]>) = match &fixed {
        Some((s, st)) => (s, st.as_deref()),
        None => (data.time, data.start),
    };
    let cluster = data.cluster.map(dense_codes);

    let mut prep = prepare(&Raw {
        stop,
        start,
        event: data.event,
        weight: data.weights,
        strata: data.strata,
        x: data.x,
        p,
    })?;
    let efron = opts.ties == Ties::Efron;
    let ctl = Control {
        eps: opts.eps,
        toler_chol: opts.toler_chol,
        iter_max: opts.iter_max,
    };
    let nr = if start.is_some() {
        newton::fit_counting(&prep, efron, ctl)
    } else {
        newton::fit_right(&prep, efron, ctl)
    };

    let (beta, u, naive, singular) = back_transform(&nr, &prep.scale);
    let mut warnings = singular_warnings(&singular, data.names);
    // In blocks of rows, so that a block of the predictor stays in cache
    // while the columns are added (the same sums, column by column).
    let mut lp = vec![0.0; n];
    for (block, lpb) in lp.chunks_mut(2048).enumerate() {
        let o = block * 2048;
        for j in 0..p {
            let (b, m) = (beta[j], prep.mean[j]);
            for (l, v) in lpb.iter_mut().zip(&data.x[j * n + o..]) {
                *l += b * (v - m);
            }
        }
    }
    if opts.iter_max > 1 {
        let lp_max = lp.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        infinite_warnings(
            &nr,
            &beta,
            &u,
            &naive,
            lp_max,
            data.names,
            start.is_some(),
            opts,
            &mut warnings,
        );
    }

    let robust = opts.robust.unwrap_or(
        data.cluster.is_some()
            || data
                .weights
                .is_some_and(|w| w.iter().any(|v| v.fract() != 0.0)),
    );
    let (var, robust_score_test) = if robust {
        let resid = residuals::score_residuals(&prep, &nr.beta, efron);
        // dfbeta in original coordinates: (L_s / scale) · V.
        let mut m = vec![0.0; p * p];
        for l in 0..p {
            for k in 0..p {
                m[l * p + k] = naive.get(l, k) / prep.scale[l];
            }
        }
        let (cross, _) =
            residuals::collapsed_crossprod(&prep, &resid, Some(&m), cluster.as_deref());
        let rv = SymMat { p, v: cross };
        let resid0 = residuals::score_residuals(&prep, &vec![0.0; p], efron);
        let (cross0, total0) =
            residuals::collapsed_crossprod(&prep, &resid0, None, cluster.as_deref());
        let (rscore, _) = quad_form(&SymMat { p, v: cross0 }, &total0, opts.toler_chol);
        (rv, Some(rscore))
    } else {
        (naive.clone(), None)
    };

    let (coefficients, wald, df) =
        coefficient_table(&beta, &naive, &var, &singular, robust, data.names, opts);
    warnings.extend(wald_warnings(&var, &singular, data.names, opts.toler_chol));

    // The concordance needs the predictor, not the covariates: written over
    // them (memory at 1e7 rows; no fresh pages).
    let lp_by_pos = predictor_over_covariates(std::mem::take(&mut prep.x), p, &nr.beta);
    let concordance = concordance::concordance(&prep, lp_by_pos, cluster.as_deref());
    let lr = 2.0 * (nr.loglik - nr.loglik0);
    Ok(CoxFit {
        n,
        events: data.event.iter().filter(|&&e| e).count(),
        coefficients,
        var: var.v,
        naive_var: naive.v,
        robust,
        loglik_null: nr.loglik0,
        loglik: nr.loglik,
        lr_test: ChisqTest::new(lr, df),
        wald_test: ChisqTest::new(wald, df),
        score_test: ChisqTest::new(nr.score_test, df),
        robust_score_test: robust_score_test.map(|s| ChisqTest::new(s, df)),
        concordance,
        iterations: nr.iter,
        converged: nr.converged,
        warnings,
        means: prep.mean.clone(),
        linear_predictors: lp,
        ties: opts.ties,
        conf_level: opts.conf_level,
    })
}

/// The predictor `x_k·β` of each position from the row-major covariates
/// `x` (`p` per row), written over their own buffer: row `k`'s value goes
/// to slot `k`, which lies in row `⌊k/p⌋ ≤ k`, already read (and row `k`'s
/// own values are read before the slot is written). The same values as a
/// new vector, without its fresh pages; the buffer keeps its capacity,
/// which the concordance reuses.
pub(crate) fn predictor_over_covariates(mut x: Vec<f64>, p: usize, beta: &[f64]) -> Vec<f64> {
    let n = x.len().checked_div(p).unwrap_or(0);
    for k in 0..n {
        x[k] = kernel::dot(beta, &x[k * p..(k + 1) * p]);
    }
    x.truncate(n);
    x
}

/// β, score and model-based variance back on the original scale of the
/// covariates (the iteration works on centred, scaled ones), and which
/// coefficients are not estimable (R's `NA`).
pub(crate) fn back_transform(
    nr: &newton::NrResult,
    scale: &[f64],
) -> (Vec<f64>, Vec<f64>, SymMat, Vec<bool>) {
    let p = scale.len();
    let beta: Vec<f64> = (0..p).map(|j| nr.beta[j] * scale[j]).collect();
    let u: Vec<f64> = (0..p).map(|j| nr.u[j] / scale[j]).collect();
    let mut naive = SymMat::zeros(p);
    for i in 0..p {
        for j in 0..p {
            naive.set(i, j, nr.var.get(i, j) * scale[i] * scale[j]);
        }
    }
    let singular: Vec<bool> = if (nr.rank as i64) < p as i64 {
        (0..p).map(|i| naive.get(i, i) == 0.0).collect()
    } else {
        vec![false; p]
    };
    (beta, u, naive, singular)
}

/// One warning per non-estimable coefficient.
pub(crate) fn singular_warnings(singular: &[bool], names: &[String]) -> Vec<String> {
    singular
        .iter()
        .enumerate()
        .filter(|(_, s)| **s)
        .map(|(j, _)| {
            format!(
                "X matrix deemed to be singular; variable {} ({}): no coefficient (NA)",
                j + 1,
                names[j]
            )
        })
        .collect()
}

/// netra's warning (R is silent) for each estimable coefficient that the
/// Wald test leaves out. `coxph.wtest` factors the variance with the
/// Cholesky tolerance of the fit (`toler.chol` times the largest diagonal
/// element), on the covariates' own scale: a covariate whose variance is
/// that much smaller than another's (age in days or seconds next to a
/// coefficient running to infinity) is treated as redundant, and the Wald
/// statistic silently tests the others only while keeping R's degrees of
/// freedom. The numbers stay R's; the warning says why the Wald test then
/// disagrees with the likelihood-ratio and score tests and, when the same
/// variance scaled to unit diagonal has no such column (the cause is the
/// scale, not a collinearity), that rescaling the covariate fixes it.
/// A coefficient with variance 0 (a constant column when the fit ran out
/// of iterations) is left out in R too and is covered by that warning.
pub(crate) fn wald_warnings(
    var: &SymMat,
    singular: &[bool],
    names: &[String],
    toler: f64,
) -> Vec<String> {
    let keep: Vec<usize> = (0..singular.len())
        .filter(|&j| !singular[j] && var.get(j, j) > 0.0 && var.get(j, j).is_finite())
        .collect();
    if keep.len() < 2 {
        return Vec::new();
    }
    let sub = var.select(&keep);
    let ldl = chol::Ldl::new(&sub, toler);
    if (0..keep.len()).all(|k| !ldl.is_singular(k)) {
        return Vec::new();
    }
    let sd: Vec<f64> = (0..keep.len()).map(|k| sub.get(k, k).sqrt()).collect();
    let mut corr = SymMat::zeros(keep.len());
    for a in 0..keep.len() {
        for b in 0..keep.len() {
            corr.set(a, b, sub.get(a, b) / (sd[a] * sd[b]));
        }
    }
    let scaled = chol::Ldl::new(&corr, toler);
    let largest = (0..keep.len()).fold(0.0f64, |m, k| m.max(sub.get(k, k)));
    (0..keep.len())
        .filter(|&k| ldl.is_singular(k))
        .map(|k| {
            let j = keep[k];
            if scaled.is_singular(k) {
                format!(
                    "Wald test: the variance of variable {} ({}) is singular (R's Cholesky \
                     tolerance), so the Wald test does not test it; the likelihood-ratio and \
                     score tests do",
                    j + 1,
                    names[j]
                )
            } else {
                format!(
                    "Wald test: variable {} ({}) is left out by R's Cholesky tolerance (its \
                     variance is {:.1e} times the largest), so the Wald test does not test it \
                     and can disagree with the likelihood-ratio and score tests; rescale the \
                     covariate (e.g. age in years rather than days) so that its coefficient is \
                     of the order of the others",
                    j + 1,
                    names[j],
                    sub.get(k, k) / largest
                )
            }
        })
        .collect()
}

/// The coefficient table (`summary.coxph`), the Wald statistic with `var`
/// and its degrees of freedom.
pub(crate) fn coefficient_table(
    beta: &[f64],
    naive: &SymMat,
    var: &SymMat,
    singular: &[bool],
    robust: bool,
    names: &[String],
    opts: &CoxOptions,
) -> (Vec<CoxCoefficient>, f64, usize) {
    let p = beta.len();
    let keep: Vec<usize> = (0..p).filter(|&j| !singular[j]).collect();
    let df = keep.len();
    let wald = if df == 0 {
        0.0
    } else {
        let b: Vec<f64> = keep.iter().map(|&j| beta[j]).collect();
        quad_form(&var.select(&keep), &b, opts.toler_chol).0
    };

    let zq = normal_quantile((1.0 + opts.conf_level) / 2.0);
    let coefficients = (0..p)
        .map(|j| {
            if singular[j] {
                return CoxCoefficient {
                    name: names[j].clone(),
                    coef: None,
                    se: None,
                    robust_se: None,
                    hr: None,
                    hr_lower: None,
                    hr_upper: None,
                    z: None,
                    p: None,
                };
            }
            let b = beta[j];
            let se = naive.get(j, j).sqrt();
            let rse = robust.then(|| var.get(j, j).sqrt());
            let s = rse.unwrap_or(se);
            let z = b / s;
            CoxCoefficient {
                name: names[j].clone(),
                coef: Some(b),
                se: Some(se),
                robust_se: rse,
                hr: Some(b.exp()),
                hr_lower: Some((b - zq * s).exp()),
                hr_upper: Some((b + zq * s).exp()),
                z: Some(z),
                p: Some(normal_two_sided_p(z)),
            }
        })
        .collect();
    (coefficients, wald, df)
}

/// R's checks after fitting (`coxph.fit` / `agreg.fit`): a score that the
/// variance maps to a non-negligible step at convergence means the
/// log-likelihood flattened out before the coefficient stopped growing.
#[allow(clippy::too_many_arguments)]
pub(crate) fn infinite_warnings(
    nr: &newton::NrResult,
    beta: &[f64],
    u: &[f64],
    var: &SymMat,
    lp_max: f64,
    names: &[String],
    counting: bool,
    opts: &CoxOptions,
    warnings: &mut Vec<String>,
) {
    let p = beta.len();
    let infs: Vec<f64> = (0..p)
        .map(|j| (0..p).map(|k| u[k] * var.get(k, j)).sum::<f64>().abs())
        .collect();
    if !nr.converged {
        warnings.push("Ran out of iterations and did not converge".into());
        if !counting && (lp_max > 500.0 || infs.iter().any(|v| !v.is_finite())) {
            warnings.push("one or more coefficients may be infinite".into());
        }
        return;
    }
    let flagged: Vec<usize> = (0..p)
        .filter(|&j| {
            if !u[j].is_finite() {
                return true;
            }
            if counting {
                infs[j] > opts.toler_inf * (1.0 + beta[j].abs())
            } else {
                infs[j] > opts.eps && infs[j] > opts.toler_inf * beta[j].abs()
            }
        })
        .collect();
    if !flagged.is_empty() {
        let list = flagged
            .iter()
            .map(|j| (j + 1).to_string())
            .collect::<Vec<_>>()
            .join(",");
        let named = flagged
            .iter()
            .map(|&j| names[j].as_str())
            .collect::<Vec<_>>()
            .join(", ");
        warnings.push(format!(
            "Loglik converged before variable {list} ({named}); {} may be infinite",
            if counting { "beta" } else { "coefficient" }
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Lcg;

    #[test]
    fn timefix_merges_near_ties() {
        let t = [1.0, 1.0 + 1e-10, 2.5, 3.0];
        let (s, _) = timefix(&t, None).unwrap().unwrap();
        assert_eq!(s, vec![1.0, 1.0, 2.5, 3.0]);
        assert!(timefix(&[1.0, 2.0, 3.0], None).unwrap().is_none());
        assert!(timefix(&[1.5, 2.0, 3.0], None).unwrap().is_none());
    }

    fn data<'a>(
        time: &'a [f64],
        event: &'a [bool],
        x: &'a [f64],
        names: &'a [String],
    ) -> CoxData<'a> {
        CoxData {
            time,
            event,
            start: None,
            x,
            names,
            weights: None,
            strata: None,
            cluster: None,
        }
    }

    #[test]
    fn one_subject_runs_out_of_iterations_as_r_and_does_not_panic() {
        // R: the log-likelihood is 0 throughout, so coxfit6's relative
        // convergence test (0/0) never passes: "Ran out of iterations",
        // coefficient 0 (not NA, issue 13), 1 df; then R's concordance
        // stops with an error where netra has none.
        let names = vec!["x".to_string()];
        let fit = coxph(
            &data(&[5.0], &[true], &[1.0], &names),
            &CoxOptions::default(),
        )
        .unwrap();
        assert_eq!(fit.coefficients[0].coef, Some(0.0));
        assert_eq!(fit.coefficients[0].se, Some(0.0));
        assert!(!fit.converged);
        assert!(
            fit.warnings
                .iter()
                .any(|w| w == "Ran out of iterations and did not converge")
        );
        assert!(fit.concordance.is_none());
        assert_eq!(fit.df(), 1);
        // Two rows with a constant covariate converge: NA as in R.
        let fit = coxph(
            &data(&[5.0, 6.0], &[true, false], &[1.0, 1.0], &names),
            &CoxOptions::default(),
        )
        .unwrap();
        assert_eq!(fit.coefficients[0].coef, None);
        assert!(fit.warnings.iter().any(|w| w.contains("singular")));
        assert_eq!(fit.df(), 0);
    }

    #[test]
    fn doubling_every_weight_only_rescales_the_likelihood() {
        let names = vec!["x".to_string()];
        let time = [5.0, 8.0, 3.0, 9.0, 12.0, 1.0, 7.0, 7.0];
        let event = [true, false, true, true, false, true, true, false];
        let x = [0.3, -0.2, 0.9, 0.3, -1.0, 1.2, 0.0, 0.5];
        let one = coxph(&data(&time, &event, &x, &names), &CoxOptions::default()).unwrap();
        let w = [2.0; 8];
        let two = coxph(
            &CoxData {
                weights: Some(&w),
                ..data(&time, &event, &x, &names)
            },
            &CoxOptions::default(),
        )
        .unwrap();
        let (a, b) = (
            one.coefficients[0].coef.unwrap(),
            two.coefficients[0].coef.unwrap(),
        );
        assert!((a - b).abs() < 1e-10 * a.abs());
        // Each event's weight doubles and every risk-set sum doubles:
        // ℓ₂ = 2ℓ₁ − 2·(events)·ln 2.
        let expected = 2.0 * one.loglik - 2.0 * one.events as f64 * 2f64.ln();
        assert!((expected - two.loglik).abs() < 1e-10 * one.loglik.abs());
        // Integer weights: model-based variance, half of the unweighted one.
        assert!(!two.robust);
        assert!((two.var[0] * 2.0 - one.var[0]).abs() < 1e-10 * one.var[0]);
    }

    #[test]
    fn a_stratum_without_events_adds_nothing() {
        let names = vec!["x".to_string()];
        let time = [5.0, 8.0, 3.0, 9.0, 12.0, 1.0, 7.0, 4.0, 6.0];
        let event = [true, false, true, true, false, true, true, false, false];
        let x = [0.3, -0.2, 0.9, 0.3, -1.0, 1.2, 0.0, 2.0, -3.0];
        let strata = [0, 0, 0, 0, 0, 0, 0, 1, 1];
        let with = coxph(
            &CoxData {
                strata: Some(&strata),
                ..data(&time, &event, &x, &names)
            },
            &CoxOptions::default(),
        )
        .unwrap();
        let without = coxph(
            &data(&time[..7], &event[..7], &x[..7], &names),
            &CoxOptions::default(),
        )
        .unwrap();
        assert!((with.loglik - without.loglik).abs() < 1e-12);
        let (a, b) = (
            with.coefficients[0].coef.unwrap(),
            without.coefficients[0].coef.unwrap(),
        );
        assert!((a - b).abs() < 1e-12);
        assert_eq!(with.n, 9);
    }

    #[test]
    fn input_errors() {
        let names = vec!["x".to_string()];
        let x = [0.0, 1.0];
        let base = CoxData {
            time: &[1.0, 2.0],
            event: &[true, false],
            start: None,
            x: &x,
            names: &names,
            weights: None,
            strata: None,
            cluster: None,
        };
        let o = CoxOptions::default();
        assert_eq!(
            coxph(
                &CoxData {
                    event: &[false, false],
                    ..base
                },
                &o
            )
            .unwrap_err(),
            CoxError::NoEvents
        );
        assert_eq!(
            coxph(
                &CoxData {
                    weights: Some(&[1.0, 0.0]),
                    ..base
                },
                &o
            )
            .unwrap_err(),
            CoxError::BadWeight { row: 1 }
        );
        assert_eq!(
            coxph(
                &CoxData {
                    start: Some(&[0.0, 2.0]),
                    ..base
                },
                &o
            )
            .unwrap_err(),
            CoxError::BadInterval { row: 1 }
        );
        assert_eq!(
            coxph(
                &CoxData {
                    time: &[1.0, f64::NAN],
                    ..base
                },
                &o
            )
            .unwrap_err(),
            CoxError::NotFinite {
                what: "time".into(),
                row: 1
            }
        );
        assert_eq!(
            coxph(
                &CoxData {
                    names: &[],
                    x: &[],
                    ..base
                },
                &o
            )
            .unwrap_err(),
            CoxError::NoCovariates
        );
    }

    /// The predictor written over the covariates is the one computed into
    /// a new vector, bit for bit (p = 1 to 9, 0 to 300 rows).
    #[test]
    fn predictor_over_covariates_is_the_new_vector() {
        let mut rng = Lcg(5);
        let mut next = || rng.unit53() - 0.5;
        for p in 1..=9usize {
            for n in [0usize, 1, 2, 7, 300] {
                let x: Vec<f64> = (0..n * p).map(|_| next() * 10.0).collect();
                let beta: Vec<f64> = (0..p).map(|_| next()).collect();
                let want: Vec<u64> = x
                    .chunks_exact(p)
                    .map(|r| kernel::dot(&beta, r).to_bits())
                    .collect();
                let got = predictor_over_covariates(x, p, &beta);
                assert_eq!(got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want);
            }
        }
    }

    /// `is_whole` is `t == t.trunc()` and `first_not_finite` the first
    /// position of a non-finite value, at their edges.
    #[test]
    fn whole_and_finite_checks_are_the_plain_ones() {
        let edges = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            2.5,
            1e15 + 0.5,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            -4_503_599_627_370_497.0,
            9.2e18,
            -(2f64.powi(63)),
            2f64.powi(63),
            1e19 + 2048.0,
            1e300,
            -1e300,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for t in edges {
            assert_eq!(is_whole(t), t == t.trunc(), "{t}");
        }
        let v = vec![1.0; 1000];
        assert_eq!(first_not_finite(&v), None);
        for (at, bad) in [
            (0, f64::NAN),
            (255, f64::INFINITY),
            (256, f64::NEG_INFINITY),
            (999, f64::NAN),
        ] {
            let mut v = v.clone();
            v[at] = bad;
            v[(at + 300) % 1000] = bad;
            assert_eq!(first_not_finite(&v), v.iter().position(|x| !x.is_finite()));
        }
        assert_eq!(first_not_finite(&[]), None);
    }

    #[test]
    fn timefix_does_not_tie_times_near_the_largest_double() {
        // Before issue 13 the sum of |t| overflowed, the mean was infinite
        // and every time was tied to its neighbour.
        let stop = [1.0e308, 1.5e308, 1.7e308, 0.5];
        assert!(timefix(&stop, None).unwrap().is_none());
    }
}
