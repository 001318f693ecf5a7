//! Kaplan–Meier estimation for right-censored data, computed as R's
//! `survival::survfit` (survival 3.5) computes it.
//!
//! # What is computed, and the R function matched
//!
//! * **Product-limit estimate** (`survfit.formula` → `survfitKM` → C
//!   `survfitkm`): at each distinct time t_j with weighted number at risk n_j
//!   and weighted events d_j, S(t_j) = Π_{i≤j} (n_i − d_i) / n_i. A factor is
//!   applied only where at least one event has positive weight. Every distinct
//!   time of a curve is a step, censoring-only times included (as the
//!   survfit object holds them); counts are case-weighted, as R reports them.
//! * **Standard error** ([`KmCurve::std_err`]) is that of S(t), as
//!   `summary.survfit` prints it. With no or integer case weights this is
//!   Greenwood's S(t)·sqrt(Σ d_i / (n_i (n_i − d_i))). With any non-integer
//!   weight R switches to the infinitesimal-jackknife (robust) variance, one
//!   cluster per row; [`Variance::Auto`] does the same. The jackknife sum R
//!   accumulates per subject per event time (O(n·times)) is evaluated here in
//!   closed form in one pass (see `docs/algorithms/kaplan-meier.md`).
//! * **Confidence intervals** `log` (default), `log-log`, `plain`, `logit`,
//!   `arcsin` at any level, as `survfit_confint` (module `ci`).
//! * **Quantiles** with confidence limits as `quantile.survfit`
//!   ([`KmCurve::quantile`], module `quantile`).
//! * **Values at chosen times** as `summary(fit, times = ...)`
//!   ([`KmCurve::at_times`]).
//! * **Restricted mean** as `print(fit, rmean = tau)` ([`KmCurve::rmst`]) and
//!   the difference of two curves ([`rmst_difference`]).
//! * **Median follow-up** by the reverse Kaplan–Meier method
//!   ([`follow_up`], `survfit(Surv(time, 1 - status) ~ 1)`).
//! * **The median's symmetric interval as SPSS prints it**
//!   ([`KmCurve::median_symmetric`], module `spss`: median ± z·SE with
//!   Collett's standard error).
//! * **`timefix`**: near-equal times are merged first, as `aeqSurv`
//!   (applied to all rows before they are split into groups).
//!
//! # Speed
//!
//! [`km_by_group`] sorts all rows once (a stable radix sort of 16-byte
//! records), splits them into groups with one counting pass and builds each
//! curve in two linear passes: O(n) after the sort, no allocation per row.
//!
//! # Missing values in the output
//!
//! Where R has `NA` or `NaN` (a confidence limit where S is 0, a standard
//! error where Greenwood's variance is infinite) the step vectors hold NaN;
//! values that may not exist in the summaries are `Option`s.

mod ci;
mod curve;
mod followup;
pub(crate) mod prep;
mod quantile;
mod rmst;
mod spss;

pub use ci::ConfType;
pub use followup::{FollowUp, follow_up};
pub use rmst::{Rmst, RmstDifference, rmst_difference};
pub use spss::SymmetricMedian;

pub(crate) use curve::TimeSums;
use prep::{Neumaier, Rec};

/// Why a Kaplan–Meier estimate cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KmError {
    /// No observations.
    #[error("no observations")]
    Empty,
    /// An input slice does not have one value per observation.
    #[error("{what} has {found} values but there are {expected} times")]
    LengthMismatch {
        /// Which input.
        what: &'static str,
        /// Number of times.
        expected: usize,
        /// Length found.
        found: usize,
    },
    /// A time is negative.
    #[error("row {row}: time {value} is negative")]
    NegativeTime {
        /// 0-based row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// A time is NaN or infinite.
    #[error("row {row}: time {value} is not a finite number")]
    NonFiniteTime {
        /// 0-based row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// A case weight is negative.
    #[error("row {row}: weight {value} is negative")]
    NegativeWeight {
        /// 0-based row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// A case weight is NaN or infinite.
    #[error("row {row}: weight {value} is not a finite number")]
    NonFiniteWeight {
        /// 0-based row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// A group index is not below the number of groups.
    #[error("row {row}: group {group} but there are {n_groups} groups")]
    GroupOutOfRange {
        /// 0-based row.
        row: usize,
        /// The index found.
        group: u32,
        /// Number of groups declared.
        n_groups: usize,
    },
    /// The number of groups is 0 or too large.
    #[error("invalid number of groups: {0}")]
    InvalidGroupCount(usize),
    /// More rows than the 32-bit row index addresses.
    #[error("{0} rows is more than this implementation addresses (2^32 - 1)")]
    TooManyRows(usize),
    /// The confidence level is not strictly between 0 and 1.
    #[error("confidence level {0} is not strictly between 0 and 1")]
    InvalidConfLevel(f64),
    /// A probability for a quantile is outside [0, 1].
    #[error("probability {0} is not between 0 and 1")]
    InvalidProbability(f64),
    /// A requested time is NaN or infinite.
    #[error("requested time {0} is not a finite number")]
    InvalidRequestedTime(f64),
    /// The RMST limit is not a positive finite number.
    #[error("RMST limit tau = {0} is not a positive finite number")]
    InvalidTau(f64),
    /// The curve has no observations (an empty group).
    #[error("the curve has no observations")]
    EmptyCurve,
}

/// Which variance of S(t) to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Variance {
    /// R's default: Greenwood, unless some case weight is not an integer, in
    /// which case the robust (infinitesimal jackknife) variance. The choice is
    /// made once from all rows, as `survfitKM` does.
    #[default]
    Auto,
    /// Greenwood's formula on the weighted counts.
    Greenwood,
    /// Infinitesimal jackknife with each row its own cluster (R's
    /// `robust = TRUE`).
    Robust,
}

/// Options of a Kaplan–Meier fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KmOptions {
    /// Transformation of the pointwise interval (R's `conf.type`).
    pub conf_type: ConfType,
    /// Confidence level (R's `conf.int`), strictly between 0 and 1.
    pub conf_level: f64,
    /// Merge near-equal times first (R's `timefix = TRUE`, the default).
    pub timefix: bool,
    /// Variance choice.
    pub variance: Variance,
}

impl Default for KmOptions {
    fn default() -> Self {
        KmOptions {
            conf_type: ConfType::Log,
            conf_level: 0.95,
            timefix: true,
            variance: Variance::Auto,
        }
    }
}

/// One Kaplan–Meier curve: a step at every distinct time (structure of
/// arrays: element j of each vector belongs to `time[j]`).
#[derive(Debug, Clone, PartialEq)]
pub struct KmCurve {
    /// Number of observations (rows, zero-weight rows included, as R's `n`).
    pub n: usize,
    /// Distinct times, ascending (after `timefix`).
    pub time: Vec<f64>,
    /// Weighted number at risk just before each time.
    pub n_risk: Vec<f64>,
    /// Weighted number of events at each time.
    pub n_event: Vec<f64>,
    /// Weighted number censored at each time.
    pub n_censor: Vec<f64>,
    /// S(t) just after each time.
    pub survival: Vec<f64>,
    /// Standard error of S(t) (as `summary.survfit` prints it); NaN where R
    /// has NaN (S = 0 under Greenwood).
    pub std_err: Vec<f64>,
    /// Lower confidence limit; NaN where R has NA or NaN.
    pub lower: Vec<f64>,
    /// Upper confidence limit; NaN where R has NA or NaN.
    pub upper: Vec<f64>,
    /// Interval transformation used.
    pub conf_type: ConfType,
    /// Confidence level used.
    pub conf_level: f64,
    /// True when the robust (jackknife) variance was used.
    pub robust: bool,
}

/// A quantile of a curve with its confidence limits; `None` where the curve
/// (or the confidence curve) never reaches the probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantile {
    /// The probability of an event (0.5 for the median).
    pub p: f64,
    /// The time at which 1 − S reaches p.
    pub estimate: Option<f64>,
    /// Where 1 − lower limit reaches p.
    pub lower: Option<f64>,
    /// Where 1 − upper limit reaches p.
    pub upper: Option<f64>,
}

/// The curve read at one requested time (as one row of
/// `summary(fit, times = ...)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AtTime {
    /// The requested time.
    pub time: f64,
    /// Weighted number at risk at that time (0 after the last follow-up).
    pub n_risk: f64,
    /// S(time); `None` after the last follow-up unless `extend`.
    pub survival: Option<f64>,
    /// Standard error of S(time).
    pub std_err: Option<f64>,
    /// Lower confidence limit.
    pub lower: Option<f64>,
    /// Upper confidence limit.
    pub upper: Option<f64>,
}

fn some(x: f64) -> Option<f64> {
    (!x.is_nan()).then_some(x)
}

impl KmCurve {
    /// Number of steps (distinct times).
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// True for a curve without observations (an empty group).
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Total weighted number of events (R's `events` in `print.survfit`).
    pub fn events(&self) -> f64 {
        let mut s = Neumaier::default();
        for &d in &self.n_event {
            s.add(d);
        }
        s.value()
    }

    /// The p-quantile of the event time (p = 0.5: the median) with
    /// confidence limits, as `quantile(fit, probs = p)`.
    pub fn quantile(&self, p: f64) -> Result<Quantile, KmError> {
        if !(0.0..=1.0).contains(&p) {
            return Err(KmError::InvalidProbability(p));
        }
        let m = self.time.len();
        let tol = quantile::tolerance();
        let x = |i: usize| if i == 0 { 0.0 } else { self.time[i - 1] };
        let one_minus = |v: &[f64], i: usize| {
            if i == 0 {
                0.0
            } else if ci::is_r_na(v[i - 1]) {
                ci::NA
            } else {
                1.0 - v[i - 1]
            }
        };
        let (estimate, lower, upper) = if m == 0 {
            (None, None, None)
        } else {
            (
                quantile::findq(m + 1, x, |i| one_minus(&self.survival, i), p, tol),
                quantile::findq(m + 1, x, |i| one_minus(&self.lower, i), p, tol),
                quantile::findq(m + 1, x, |i| one_minus(&self.upper, i), p, tol),
            )
        };
        Ok(Quantile {
            p,
            estimate,
            lower,
            upper,
        })
    }

    /// The median survival time with its confidence limits.
    pub fn median(&self) -> Quantile {
        self.quantile(0.5).expect("0.5 is a valid probability")
    }

    /// The curve at the requested times, sorted ascending as
    /// `summary(fit, times = ...)` sorts them.
    ///
    /// * Before the first step (and at times < 0): S = 1, se 0, limits 1,
    ///   number at risk = that of the first step (R's `survfit0` row).
    /// * Between steps: the values of the last step at or before the time;
    ///   the number at risk of the next step.
    /// * After the last time of the curve: with `extend = false` (R's
    ///   default) there is no estimate — R drops the row; here the row is
    ///   kept with `None` values and 0 at risk so that rows line up across
    ///   curves. With `extend = true` the last values are carried on, with
    ///   0 at risk, exactly as `summary(..., extend = TRUE)`.
    pub fn at_times(&self, times: &[f64], extend: bool) -> Result<Vec<AtTime>, KmError> {
        if let Some(&bad) = times.iter().find(|t| !t.is_finite()) {
            return Err(KmError::InvalidRequestedTime(bad));
        }
        let mut sorted = times.to_vec();
        sorted.sort_by(f64::total_cmp);
        let m = self.time.len();
        let last = self.time.last().copied();
        // R's survfit0 adds a row at time 0 unless the curve starts there.
        let virtual0 = self.time.first().is_some_and(|&t| t != 0.0);
        Ok(sorted
            .into_iter()
            .map(|t| {
                let empty = AtTime {
                    time: t,
                    n_risk: 0.0,
                    survival: None,
                    std_err: None,
                    lower: None,
                    upper: None,
                };
                let Some(last) = last else { return empty };
                if !extend && t > last {
                    return empty;
                }
                // Rows of the survfit0 curve (a row at time 0 prepended when
                // `virtual0`) at or before t, and strictly before t.
                let v = virtual0 as usize;
                let at_or_before =
                    (virtual0 && 0.0 <= t) as usize + self.time.partition_point(|&s| s <= t);
                let before = (virtual0 && 0.0 < t) as usize + self.time.partition_point(|&s| s < t);
                // n.risk of the first row at or after t; 0 past the end. The
                // prepended row repeats the first row's number at risk.
                let n_risk = if before < m + v {
                    self.n_risk[before.saturating_sub(v)]
                } else {
                    0.0
                };
                let row = at_or_before.max(1) - 1;
                if virtual0 && row == 0 {
                    AtTime {
                        time: t,
                        n_risk,
                        survival: Some(1.0),
                        std_err: Some(0.0),
                        lower: Some(1.0),
                        upper: Some(1.0),
                    }
                } else {
                    let j = row - virtual0 as usize;
                    AtTime {
                        time: t,
                        n_risk,
                        survival: some(self.survival[j]),
                        std_err: some(self.std_err[j]),
                        lower: some(self.lower[j]),
                        upper: some(self.upper[j]),
                    }
                }
            })
            .collect())
    }

    /// Restricted mean survival time up to `tau` with its standard error,
    /// as `print(fit, rmean = tau)`, and the normal confidence interval at
    /// the curve's level. R refuses a `tau` below the first time; here the
    /// answer is then `tau` itself (S = 1 on [0, tau]) with standard error 0.
    pub fn rmst(&self, tau: f64) -> Result<Rmst, KmError> {
        if !(tau.is_finite() && tau > 0.0) {
            return Err(KmError::InvalidTau(tau));
        }
        if self.time.is_empty() {
            return Err(KmError::EmptyCurve);
        }
        Ok(rmst::rmst_of(
            &self.time,
            &self.survival,
            &self.n_risk,
            &self.n_event,
            tau,
            rmst::z_of(self.conf_level),
        ))
    }
}

/// Kaplan–Meier curve of all observations.
///
/// `event[i]` is true for an event, false for censoring; `weights` are case
/// weights (non-negative; zero-weight rows add a step at their time but
/// change nothing else, as in R).
pub fn km(
    time: &[f64],
    event: &[bool],
    weights: Option<&[f64]>,
    options: &KmOptions,
) -> Result<KmCurve, KmError> {
    let mut curves = fit(time, event, weights, None, 1, options)?;
    Ok(curves.pop().expect("one curve"))
}

/// Kaplan–Meier curves of `n_groups` groups from one sort: `group[i]` is the
/// 0-based group of row i. Curves come back in group order; a group without
/// rows gives an empty curve (R drops such a stratum).
pub fn km_by_group(
    time: &[f64],
    event: &[bool],
    weights: Option<&[f64]>,
    group: &[u32],
    n_groups: usize,
    options: &KmOptions,
) -> Result<Vec<KmCurve>, KmError> {
    fit(time, event, weights, Some(group), n_groups, options)
}

fn fit(
    time: &[f64],
    event: &[bool],
    weights: Option<&[f64]>,
    group: Option<&[u32]>,
    n_groups: usize,
    options: &KmOptions,
) -> Result<Vec<KmCurve>, KmError> {
    let level = options.conf_level;
    if !(level > 0.0 && level < 1.0) {
        return Err(KmError::InvalidConfLevel(level));
    }
    let fractional = prep::validate(time, event, weights, group.map(|g| (g, n_groups)))?;
    let settings = CurveSettings::new(options, fractional)?;
    let mut recs = prep::records(time, event, group);
    let mut scratch = Vec::new();
    prep::radix_sort(&mut recs, &mut scratch);
    if options.timefix {
        prep::timefix(&mut recs);
    }
    let bounds = prep::split_groups(&mut recs, &mut scratch, n_groups);
    drop(scratch);
    Ok((0..n_groups)
        .map(|g| build_curve(&recs[bounds[g]..bounds[g + 1]], weights, &settings))
        .collect())
}

/// What every curve of one fit shares: the variance (decided once for all
/// rows, as `survfitKM` does) and the interval.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CurveSettings {
    robust: bool,
    conf_type: ConfType,
    conf_level: f64,
    z: f64,
}

impl CurveSettings {
    /// Settings of `options` for data where `fractional` says whether some
    /// case weight is not an integer.
    pub(crate) fn new(options: &KmOptions, fractional: bool) -> Result<CurveSettings, KmError> {
        let level = options.conf_level;
        if !(level > 0.0 && level < 1.0) {
            return Err(KmError::InvalidConfLevel(level));
        }
        Ok(CurveSettings {
            robust: match options.variance {
                Variance::Auto => fractional,
                Variance::Greenwood => false,
                Variance::Robust => true,
            },
            conf_type: options.conf_type,
            conf_level: level,
            z: rmst::z_of(level),
        })
    }

    /// Whether the robust variance is used (the squared weights needed).
    pub(crate) fn robust(&self) -> bool {
        self.robust
    }

    /// The curve of ascending per-time sums of `n` rows.
    pub(crate) fn curve(&self, sums: TimeSums, n: usize) -> KmCurve {
        curve::from_counts(
            sums,
            n,
            self.robust,
            self.conf_type,
            self.conf_level,
            self.z,
        )
    }
}

/// Builds one curve from its time-sorted records: one pass sums the weights
/// of each distinct time ([`TimeSums`]), then [`curve::from_counts`] — the
/// same function the partial aggregates (`crate::partial`) evaluate with.
/// The squared weights are summed only when the robust variance needs them.
fn build_curve(recs: &[Rec], weights: Option<&[f64]>, settings: &CurveSettings) -> KmCurve {
    let robust = settings.robust;
    let weight = |r: &Rec| weights.map_or(1.0, |w| w[r.row as usize]);
    let mut m = 0;
    let mut prev = None;
    for r in recs {
        if prev != Some(r.key) {
            m += 1;
            prev = Some(r.key);
        }
    }
    let mut sums = TimeSums::with_capacity(m, robust);
    let mut i = 0;
    while i < recs.len() {
        let key = recs[i].key;
        let mut s = [0.0; 4]; // events, censored, and their squares
        while i < recs.len() && recs[i].key == key {
            let r = &recs[i];
            let w = weight(r);
            let slot = usize::from(!r.event());
            s[slot] += w;
            if robust {
                s[2 + slot] += w * w;
            }
            i += 1;
        }
        sums.push(f64::from_bits(key), s, robust);
    }
    settings.curve(sums, recs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_example() {
        // Times 1..6 with censoring at 1, 2 (tied with an event) and 5.
        let t = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let e = [false, true, false, true, true, false, true];
        let c = km(&t, &e, None, &KmOptions::default()).unwrap();
        assert_eq!(c.time, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(c.n_risk, vec![7.0, 6.0, 4.0, 3.0, 2.0, 1.0]);
        let expect = [
            1.0,
            5.0 / 6.0,
            5.0 / 6.0 * 0.75,
            5.0 / 6.0 * 0.75 * 2.0 / 3.0,
        ];
        for (a, b) in c.survival.iter().zip(expect) {
            assert!((a - b).abs() < 1e-15);
        }
        assert_eq!(c.survival[5], 0.0);
        assert!(
            c.std_err[5].is_nan(),
            "Greenwood se is NaN (Inf * 0) at S = 0"
        );
        assert_eq!(c.events(), 4.0);
        assert_eq!(c.median().estimate, Some(4.0));
    }

    #[test]
    fn degenerate_inputs_are_errors() {
        let o = KmOptions::default();
        assert_eq!(km(&[], &[], None, &o).unwrap_err(), KmError::Empty);
        assert!(matches!(
            km(&[1.0], &[true, false], None, &o),
            Err(KmError::LengthMismatch { what: "event", .. })
        ));
        assert!(matches!(
            km(&[1.0, -1.0], &[true, false], None, &o),
            Err(KmError::NegativeTime { row: 1, .. })
        ));
        assert!(matches!(
            km(&[f64::NAN], &[true], None, &o),
            Err(KmError::NonFiniteTime { row: 0, .. })
        ));
        assert!(matches!(
            km(&[1.0], &[true], Some(&[-0.5]), &o),
            Err(KmError::NegativeWeight { row: 0, .. })
        ));
        assert!(matches!(
            km(&[1.0], &[true], Some(&[1.0, 2.0]), &o),
            Err(KmError::LengthMismatch {
                what: "weights",
                ..
            })
        ));
        assert!(matches!(
            km_by_group(&[1.0, 2.0], &[true, true], None, &[0, 2], 2, &o),
            Err(KmError::GroupOutOfRange { row: 1, .. })
        ));
        let bad = KmOptions {
            conf_level: 1.0,
            ..o
        };
        assert!(matches!(
            km(&[1.0], &[true], None, &bad),
            Err(KmError::InvalidConfLevel(_))
        ));
        let c = km(&[1.0], &[true], None, &o).unwrap();
        assert!(c.quantile(1.5).is_err());
        assert!(c.rmst(0.0).is_err());
        assert!(c.at_times(&[f64::NAN], false).is_err());
    }

    #[test]
    fn empty_group_is_an_empty_curve() {
        let o = KmOptions::default();
        let curves = km_by_group(&[1.0, 2.0], &[true, false], None, &[0, 0], 2, &o).unwrap();
        assert_eq!(curves[0].n, 2);
        assert!(curves[1].is_empty());
        assert_eq!(curves[1].median().estimate, None);
        assert_eq!(curves[1].rmst(1.0).unwrap_err(), KmError::EmptyCurve);
        let at = curves[1].at_times(&[1.0], true).unwrap();
        assert_eq!(at[0].survival, None);
    }

    #[test]
    fn robust_matches_greenwood_free_case_of_unit_weights_structure() {
        // With every weight 1 the jackknife variance has a known closed form
        // for one event among n at risk: se(S) = sqrt((n-1)/n^3).
        let t = [1.0, 2.0, 3.0, 4.0];
        let e = [true, false, false, false];
        let o = KmOptions {
            variance: Variance::Robust,
            ..KmOptions::default()
        };
        let c = km(&t, &e, None, &o).unwrap();
        let expect = (3.0f64 / 64.0).sqrt();
        assert!((c.std_err[0] - expect).abs() < 1e-15, "{}", c.std_err[0]);
        assert!(c.robust);
    }
}
