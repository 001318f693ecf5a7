//! Competing risks: cumulative incidence (Aalen–Johansen) per cause and group,
//! its variance, a log(−log) confidence interval, and Gray's K-sample test,
//! computed as R's `cmprsk::cuminc` and `cmprsk::timepoints` compute them.
//!
//! # Data
//!
//! Each subject has a follow-up time (finite, ≥ 0), a status code (`0` =
//! censored, any other code = failure from that cause — cmprsk's `cencode`
//! is mapped to 0 by the caller), an optional group and an optional stratum.
//! [`CompetingRisks::new`] validates and sorts the data once; each call of
//! [`CompetingRisks::analyse`] then makes linear passes for one cause. The
//! passes read time-sorted "tallies" (module `tally`): subjects here, or
//! the tabulated cells of a merged partial aggregate
//! (`crate::partial::SurvivalCounts::cuminc`) — one implementation for both.
//!
//! # Estimator (cmprsk's Fortran `cinc`)
//!
//! Within a group, at each distinct time t_j with n_j at risk, d1_j failures
//! of the cause and d2_j failures of other causes, with S(t_j−) the
//! all-cause Kaplan–Meier just before t_j:
//!
//! ```text
//! F(t) = Σ_{t_j ≤ t} S(t_j−) · d1_j / n_j
//! ```
//!
//! Times are compared exactly (cmprsk applies no `timefix`).
//!
//! # Variance (Gray's delta-method estimate, as `cinc`)
//!
//! At each time t_k at which F jumps,
//!
//! ```text
//! var F(t_k) = Σ_{t_j ≤ t_k, d1_j > 0} [1 + (F(t_j) − F(t_k)) / S(t_j)]² · w1_j
//!            + Σ_{t_j ≤ t_k, d2_j > 0, S(t_j) > 0} [(F(t_j) − F(t_k)) / S(t_j)]² · w2_j
//! w·_j = S(t_j−)² · d·_j · (1 − (d·_j − 1)/(n_j − 1)) / n_j²      (tie factor 1 when d·_j = 1)
//! ```
//!
//! where the `1 / S(t_j)` factor is taken as 0 when S(t_j) = 0 (everyone
//! left failed at t_j). It is accumulated in three running sums, so the
//! whole curve costs one pass. As in cmprsk, the variance is recorded only
//! at the jump times of F and carried forward between them (other-cause
//! failures between jumps do not update the reported variance).
//!
//! # Steps and time points
//!
//! cmprsk returns each curve as a plotting path `time`, `est`, `var`:
//! `0`, then each jump time twice (the value before and after the jump),
//! then the group's largest follow-up time. netra exposes the jumps as
//! [`IncidenceStep`]s — one per distinct jump time, with the estimate and
//! variance *after* the jump — and rebuilds cmprsk's path on request
//! ([`IncidenceCurve::cmprsk_layout`]). [`IncidenceCurve::at`] is
//! `cmprsk::timepoints`: the right-continuous estimate at t and the variance
//! of the last jump at or before t; absent (R's `NA`) when t is negative or
//! beyond the group's largest follow-up time (of any status).
//!
//! # Confidence interval
//!
//! cmprsk gives none. netra reports the log(−log) interval commonly used
//! with `cuminc` output:
//!
//! ```text
//! lower = F^exp(−z·se / (F·log F)),  upper = F^exp(+z·se / (F·log F)),
//! se = sqrt(var),  z = qnorm(1 − (1 − level)/2)
//! ```
//!
//! It is undefined (absent) where F = 0, and equals [1, 1] where F = 1
//! (IEEE `pow(1, x) = 1`, as in R).
//!
//! # Gray's test (cmprsk's `crstm`)
//!
//! See [`GrayTest`] and `docs/algorithms/cumulative-incidence.md`: a score
//! per group comparing weighted subdistribution hazards, weight
//! (1 − F̂(t−))^rho with F̂ the pooled estimate, summed over strata with its
//! variance; the statistic s′V⁻¹s on (groups − 1) df. Groups are ordered by
//! their index; the statistic does not depend on which group is left out.
#![allow(clippy::too_many_arguments)]

mod gray;
mod rank;
pub(crate) mod tally;

use std::fmt;

use crate::distributions::normal_quantile;

pub use gray::GrayTest;
use tally::{Subjects, Tally};

/// The status code meaning "censored". Any other code is a failure cause.
pub const CENSORED: u32 = 0;

/// More groups than this make Gray's test refuse to run: its cost grows with
/// the cube of the number of groups at every event time, and so many groups
/// almost always mean a mistyped column (a patient identifier).
pub const MAX_TEST_GROUPS: usize = 100;

/// Why competing-risks estimates could not be computed.
#[derive(Debug, Clone, PartialEq)]
pub enum CumIncError {
    /// No subjects.
    Empty,
    /// An input slice has a different length from `time`.
    LengthMismatch {
        /// Which input.
        what: &'static str,
        /// Length of `time`.
        expected: usize,
        /// Its length.
        found: usize,
    },
    /// A time is negative, infinite or NaN.
    InvalidTime {
        /// 0-based position in the input.
        index: usize,
        /// The value.
        value: f64,
    },
    /// The cause asked for is the censoring code 0.
    CauseIsCensoring,
    /// No subject failed from the cause asked for.
    CauseAbsent {
        /// The cause asked for.
        cause: u32,
        /// The failure codes that do occur, ascending.
        present: Vec<u32>,
    },
    /// `rho` is not a finite number.
    InvalidRho(f64),
    /// The confidence level is not strictly between 0 and 1.
    InvalidConfLevel(f64),
    /// More subjects than 32-bit positions can index (over 4 billion).
    TooManySubjects(usize),
    /// Gray's test over more than [`MAX_TEST_GROUPS`] groups.
    TooManyGroups {
        /// Groups with at least one subject.
        groups: usize,
    },
}

impl fmt::Display for CumIncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CumIncError::Empty => write!(f, "no subjects to analyse"),
            CumIncError::LengthMismatch {
                what,
                expected,
                found,
            } => write!(
                f,
                "{what} has {found} values but there are {expected} follow-up times"
            ),
            CumIncError::InvalidTime { index, value } => write!(
                f,
                "follow-up time {value} (subject {}) is not a finite number >= 0",
                index + 1
            ),
            CumIncError::CauseIsCensoring => {
                write!(f, "the cause of interest cannot be the censoring code")
            }
            CumIncError::CauseAbsent { cause, present } => {
                let codes: Vec<String> = present.iter().map(u32::to_string).collect();
                write!(
                    f,
                    "no subject failed from cause {cause} (failure codes present: {})",
                    if codes.is_empty() {
                        "none, every subject is censored".to_string()
                    } else {
                        codes.join(", ")
                    }
                )
            }
            CumIncError::InvalidRho(rho) => write!(f, "rho must be a finite number, not {rho}"),
            CumIncError::InvalidConfLevel(level) => write!(
                f,
                "the confidence level must be strictly between 0 and 1, not {level}"
            ),
            CumIncError::TooManySubjects(n) => {
                write!(f, "{n} subjects are more than this implementation indexes")
            }
            CumIncError::TooManyGroups { groups } => write!(
                f,
                "Gray's test over {groups} groups (more than {MAX_TEST_GROUPS}): \
                 is the group column an identifier?"
            ),
        }
    }
}

impl std::error::Error for CumIncError {}

/// Choices for [`CompetingRisks::analyse`].
#[derive(Debug, Clone, PartialEq)]
pub struct CumIncOptions {
    /// Power of the weight (1 − F̂(t−))^rho in Gray's test (cmprsk's `rho`,
    /// default 0: the log-rank-like weight).
    pub rho: f64,
    /// Level of the confidence intervals (default 0.95).
    pub conf_level: f64,
    /// Times at which to report the estimate (`cmprsk::timepoints`), in the
    /// order wanted.
    pub times: Vec<f64>,
}

impl Default for CumIncOptions {
    fn default() -> Self {
        CumIncOptions {
            rho: 0.0,
            conf_level: 0.95,
            times: Vec::new(),
        }
    }
}

/// The estimate just after one jump of the cumulative incidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidenceStep {
    /// The jump time (a time with at least one failure from the cause).
    pub time: f64,
    /// F(time), right-continuous.
    pub estimate: f64,
    /// cmprsk's variance of F(time).
    pub variance: f64,
    /// `sqrt(variance)`.
    pub std_err: f64,
    /// Lower log(−log) confidence limit; `None` where undefined (F = 0).
    pub lower: Option<f64>,
    /// Upper log(−log) confidence limit; `None` where undefined (F = 0).
    pub upper: Option<f64>,
}

/// The estimate at a requested time (`cmprsk::timepoints`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidencePoint {
    /// The requested time.
    pub time: f64,
    /// F(time); `None` before 0 or after the group's last follow-up.
    pub estimate: Option<f64>,
    /// Variance of the last jump at or before `time` (0 before the first).
    pub variance: Option<f64>,
    /// `sqrt(variance)`.
    pub std_err: Option<f64>,
    /// Lower log(−log) confidence limit; `None` where F = 0 or absent.
    pub lower: Option<f64>,
    /// Upper log(−log) confidence limit; `None` where F = 0 or absent.
    pub upper: Option<f64>,
}

/// The cumulative incidence of one cause in one group.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidenceCurve {
    /// The group's index as given (0 when there are no groups).
    pub group: usize,
    /// Subjects in the group.
    pub n: usize,
    /// Failures from the cause of interest.
    pub events: usize,
    /// Failures from any other cause.
    pub competing: usize,
    /// Largest follow-up time in the group, of any status (the curve is
    /// defined up to here).
    pub last_time: f64,
    /// One entry per distinct jump time, ascending.
    pub steps: Vec<IncidenceStep>,
    /// The estimate at each requested time, in the order requested.
    pub at_times: Vec<IncidencePoint>,
}

/// cmprsk's representation of a curve: the corners of the step function.
#[derive(Debug, Clone, PartialEq)]
pub struct CmprskPath {
    /// `0`, each jump time twice, then the last follow-up time.
    pub time: Vec<f64>,
    /// The estimate at each corner.
    pub est: Vec<f64>,
    /// The variance at each corner.
    pub var: Vec<f64>,
}

impl IncidenceCurve {
    /// `(estimate, variance)` at `t` exactly as `cmprsk::timepoints`: the
    /// right-continuous estimate and the variance of the last jump at or
    /// before `t`; `None` when `t` is negative, NaN or beyond `last_time`.
    pub fn at(&self, t: f64) -> Option<(f64, f64)> {
        if !(t >= 0.0 && t <= self.last_time) {
            return None;
        }
        let after = self.steps.partition_point(|s| s.time <= t);
        Some(match after {
            0 => (0.0, 0.0),
            k => (self.steps[k - 1].estimate, self.steps[k - 1].variance),
        })
    }

    /// The curve in the layout `cmprsk::cuminc` returns (`time`, `est`,
    /// `var` with every corner of the step function).
    pub fn cmprsk_layout(&self) -> CmprskPath {
        let len = 2 * self.steps.len() + 2;
        let mut path = CmprskPath {
            time: Vec::with_capacity(len),
            est: Vec::with_capacity(len),
            var: Vec::with_capacity(len),
        };
        let (mut est, mut var) = (0.0, 0.0);
        path.time.push(0.0);
        path.est.push(0.0);
        path.var.push(0.0);
        for step in &self.steps {
            path.time.extend([step.time, step.time]);
            path.est.extend([est, step.estimate]);
            path.var.extend([var, step.variance]);
            est = step.estimate;
            var = step.variance;
        }
        path.time.push(self.last_time);
        path.est.push(est);
        path.var.push(var);
        path
    }
}

/// Everything `cmprsk::cuminc` reports for one cause.
#[derive(Debug, Clone, PartialEq)]
pub struct CumInc {
    /// The cause analysed.
    pub cause: u32,
    /// Confidence level of the intervals.
    pub conf_level: f64,
    /// One curve per group with subjects, in ascending group index.
    pub curves: Vec<IncidenceCurve>,
    /// Gray's test across the groups; `None` with a single group.
    pub gray: Option<GrayTest>,
}

/// Competing-risks data validated and sorted once, ready to analyse any cause.
#[derive(Debug, Clone)]
pub struct CompetingRisks {
    /// Group index as given, per dense group (ascending).
    group_ids: Vec<usize>,
    /// Subjects ordered by (group, time): times and status codes.
    by_group_time: Vec<f64>,
    by_group_status: Vec<u32>,
    /// `group_offsets[g]..group_offsets[g + 1]` is dense group g.
    group_offsets: Vec<usize>,
    /// Subjects ordered by (stratum, time), with their dense group.
    by_stratum_time: Vec<f64>,
    by_stratum_status: Vec<u32>,
    by_stratum_group: Vec<u32>,
    stratum_offsets: Vec<usize>,
    /// Distinct failure codes present, ascending.
    causes: Vec<u32>,
}

impl CompetingRisks {
    /// Validates and sorts the data: `time` (finite, ≥ 0), `status` (0 =
    /// censored, otherwise the cause), optional 0-based `group` and `strata`
    /// indices (groups or strata without subjects are skipped, as cmprsk
    /// drops empty factor levels).
    pub fn new(
        time: &[f64],
        status: &[u32],
        group: Option<&[usize]>,
        strata: Option<&[usize]>,
    ) -> Result<CompetingRisks, CumIncError> {
        let n = time.len();
        if n == 0 {
            return Err(CumIncError::Empty);
        }
        if n > u32::MAX as usize {
            return Err(CumIncError::TooManySubjects(n));
        }
        let check_len = |what: &'static str, len: usize| {
            if len == n {
                Ok(())
            } else {
                Err(CumIncError::LengthMismatch {
                    what,
                    expected: n,
                    found: len,
                })
            }
        };
        check_len("status", status.len())?;
        if let Some(g) = group {
            check_len("group", g.len())?;
        }
        if let Some(s) = strata {
            check_len("strata", s.len())?;
        }
        if let Some((index, &value)) = time
            .iter()
            .enumerate()
            .find(|(_, t)| !(t.is_finite() && **t >= 0.0))
        {
            return Err(CumIncError::InvalidTime { index, value });
        }

        // The one comparison sort. Non-negative finite doubles order as their
        // bit patterns (after turning -0.0 into 0.0), which sorts faster than
        // comparing floats; ties are ordered by input position, so the
        // result is deterministic.
        let mut keyed: Vec<(u64, u32)> = time
            .iter()
            .enumerate()
            .map(|(i, &t)| ((t + 0.0).to_bits(), i as u32))
            .collect();
        keyed.sort_unstable();

        // Everything in time order, gathered once; later passes read
        // sequentially.
        let (group_dense, group_ids) = densify(group, n);
        let sorted_time: Vec<f64> = keyed.iter().map(|&(b, _)| f64::from_bits(b)).collect();
        let sorted_status: Vec<u32> = keyed.iter().map(|&(_, i)| status[i as usize]).collect();
        let sorted_group: Vec<u32> = keyed
            .iter()
            .map(|&(_, i)| group_dense[i as usize])
            .collect();

        // Stable counting sorts of the time order into groups and strata.
        let (dest, group_offsets) = bucket(&sorted_group, group_ids.len());
        let by_group_time = scatter(&sorted_time, &dest);
        let by_group_status = scatter(&sorted_status, &dest);
        let (by_stratum_time, by_stratum_status, by_stratum_group, stratum_offsets) = match strata {
            None => (sorted_time, sorted_status, sorted_group, vec![0, n]),
            Some(_) => {
                let (stratum_dense, levels) = densify(strata, n);
                let sorted_stratum: Vec<u32> = keyed
                    .iter()
                    .map(|&(_, i)| stratum_dense[i as usize])
                    .collect();
                let (dest, offsets) = bucket(&sorted_stratum, levels.len());
                (
                    scatter(&sorted_time, &dest),
                    scatter(&sorted_status, &dest),
                    scatter(&sorted_group, &dest),
                    offsets,
                )
            }
        };

        let causes = distinct_causes(status);

        Ok(CompetingRisks {
            group_ids,
            by_group_time,
            by_group_status,
            group_offsets,
            by_stratum_time,
            by_stratum_status,
            by_stratum_group,
            stratum_offsets,
            causes,
        })
    }

    /// Distinct failure codes present, ascending.
    pub fn causes(&self) -> &[u32] {
        &self.causes
    }

    /// Group indices with at least one subject, ascending.
    pub fn groups(&self) -> &[usize] {
        &self.group_ids
    }

    /// Cumulative incidence curves of `cause` in every group, the estimates
    /// at `options.times`, and Gray's test when there are two or more groups.
    pub fn analyse(&self, cause: u32, options: &CumIncOptions) -> Result<CumInc, CumIncError> {
        let by_group: Vec<Subjects<'_>> = self
            .group_offsets
            .windows(2)
            .map(|w| {
                let r = w[0]..w[1];
                Subjects {
                    time: &self.by_group_time[r.clone()],
                    status: &self.by_group_status[r],
                    group: &[],
                }
            })
            .collect();
        let by_stratum: Vec<Subjects<'_>> = self
            .stratum_offsets
            .windows(2)
            .map(|w| {
                let r = w[0]..w[1];
                Subjects {
                    time: &self.by_stratum_time[r.clone()],
                    status: &self.by_stratum_status[r.clone()],
                    group: &self.by_stratum_group[r],
                }
            })
            .collect();
        analyse_tallies(
            &by_group,
            &self.group_ids,
            &by_stratum,
            &self.causes,
            cause,
            options,
        )
    }
}

/// The analysis of one cause from time-sorted tallies: per dense group (with
/// the groups' own indices `group_ids`) for the curves, per stratum (with
/// dense groups) for Gray's test; `causes` are the causes present. The one
/// implementation behind [`CompetingRisks::analyse`] and `crate::partial`.
pub(crate) fn analyse_tallies<T: Tally>(
    by_group: &[T],
    group_ids: &[usize],
    by_stratum: &[T],
    causes: &[u32],
    cause: u32,
    options: &CumIncOptions,
) -> Result<CumInc, CumIncError> {
    if cause == CENSORED {
        return Err(CumIncError::CauseIsCensoring);
    }
    if !causes.contains(&cause) {
        return Err(CumIncError::CauseAbsent {
            cause,
            present: causes.to_vec(),
        });
    }
    if !options.rho.is_finite() {
        return Err(CumIncError::InvalidRho(options.rho));
    }
    if !(options.conf_level > 0.0 && options.conf_level < 1.0) {
        return Err(CumIncError::InvalidConfLevel(options.conf_level));
    }
    let n_groups = group_ids.len();
    if n_groups > MAX_TEST_GROUPS {
        return Err(CumIncError::TooManyGroups { groups: n_groups });
    }
    let z = normal_quantile(1.0 - (1.0 - options.conf_level) / 2.0);

    let curves = by_group
        .iter()
        .zip(group_ids)
        .map(|(entries, &id)| {
            let mut curve = incidence_curve(entries, cause, z);
            curve.group = id;
            curve.at_times = options.times.iter().map(|&t| point(&curve, t, z)).collect();
            curve
        })
        .collect();

    let gray = (n_groups > 1).then(|| gray::gray_test(by_stratum, n_groups, cause, options.rho));

    Ok(CumInc {
        cause,
        conf_level: options.conf_level,
        curves,
        gray,
    })
}

/// Convenience: validate, sort and analyse one cause in one call.
pub fn cuminc(
    time: &[f64],
    status: &[u32],
    group: Option<&[usize]>,
    strata: Option<&[usize]>,
    cause: u32,
    options: &CumIncOptions,
) -> Result<CumInc, CumIncError> {
    CompetingRisks::new(time, status, group, strata)?.analyse(cause, options)
}

/// The log(−log) confidence interval of a cumulative incidence `estimate`
/// with `variance`, at normal quantile `z`: `F^exp(∓z·se/(F·log F))`.
/// `None` where the formula is undefined (F = 0, negative variance).
pub fn loglog_interval(estimate: f64, variance: f64, z: f64) -> (Option<f64>, Option<f64>) {
    let se = variance.sqrt();
    let denom = estimate * estimate.ln();
    let lower = estimate.powf((-z * se / denom).exp());
    let upper = estimate.powf((z * se / denom).exp());
    let finite = |x: f64| x.is_finite().then_some(x);
    (finite(lower), finite(upper))
}

/// The estimate of `curve` at `t` with its interval.
fn point(curve: &IncidenceCurve, t: f64, z: f64) -> IncidencePoint {
    match curve.at(t) {
        None => IncidencePoint {
            time: t,
            estimate: None,
            variance: None,
            std_err: None,
            lower: None,
            upper: None,
        },
        Some((estimate, variance)) => {
            let (lower, upper) = loglog_interval(estimate, variance, z);
            IncidencePoint {
                time: t,
                estimate: Some(estimate),
                variance: Some(variance),
                std_err: Some(variance.sqrt()),
                lower,
                upper,
            }
        }
    }
}

/// One group's curve (cmprsk's `cinc`) from its time-sorted subjects.
fn incidence_curve<T: Tally>(entries: &T, cause: u32, z: f64) -> IncidenceCurve {
    let len = entries.len();
    let n: usize = if T::UNIT {
        len
    } else {
        (0..len).map(|i| entries.count(i)).sum()
    };
    let mut steps = Vec::new();
    let (mut events, mut competing) = (0usize, 0usize);
    // All-cause Kaplan–Meier just before the current time, the incidence,
    // and the running sums whose combination is the variance.
    let mut surv = 1.0_f64;
    let mut inc = 0.0_f64;
    let (mut v1, mut v2, mut v3) = (0.0_f64, 0.0_f64, 0.0_f64);
    let mut before = 0usize;
    let mut i = 0;
    while i < len {
        let t = entries.time(i);
        let mut fails = [0usize; 2];
        let mut here = 0usize;
        let mut j = i;
        while j < len && entries.time(j) == t {
            entries.add_fails(j, cause, &mut fails);
            if !T::UNIT {
                here += entries.count(j);
            }
            j += 1;
        }
        let at_risk = if T::UNIT {
            (n - i) as f64
        } else {
            (n - before) as f64
        };
        before += here;
        let [d1, d2] = fails;
        let d = d1 + d2;
        if d > 0 {
            events += d1;
            competing += d2;
            let surv_after = surv * (at_risk - d as f64) / at_risk;
            if d1 > 0 {
                inc += surv * d1 as f64 / at_risk;
            }
            // Failures from other causes move the incidence's influence
            // through the all-cause survival; no contribution once S = 0.
            if d2 > 0 && surv_after > 0.0 {
                let w = surv * surv * tie_factor(d2, at_risk) * d2 as f64 / (at_risk * at_risk);
                let a = 1.0 / surv_after;
                let b = inc / surv_after;
                v1 += b * b * w;
                v2 += a * b * w;
                v3 += a * a * w;
            }
            if d1 > 0 {
                let w = surv * surv * tie_factor(d1, at_risk) * d1 as f64 / (at_risk * at_risk);
                let a = if surv_after > 0.0 {
                    1.0 / surv_after
                } else {
                    0.0
                };
                let b = 1.0 + a * inc;
                v1 += b * b * w;
                v2 += a * b * w;
                v3 += a * a * w;
                let variance = v1 + inc * inc * v3 - 2.0 * inc * v2;
                let (lower, upper) = loglog_interval(inc, variance, z);
                steps.push(IncidenceStep {
                    time: t,
                    estimate: inc,
                    variance,
                    std_err: variance.sqrt(),
                    lower,
                    upper,
                });
            }
            surv = surv_after;
        }
        i = j;
    }
    IncidenceCurve {
        group: 0,
        n,
        events,
        competing,
        last_time: if len == 0 { 0.0 } else { entries.time(len - 1) },
        steps,
        at_times: Vec::new(),
    }
}

/// cmprsk's correction for `d` tied failures among `at_risk`:
/// 1 − (d − 1)/(n − 1), or 1 for a single failure.
fn tie_factor(d: usize, at_risk: f64) -> f64 {
    if d > 1 {
        1.0 - (d as f64 - 1.0) / (at_risk - 1.0)
    } else {
        1.0
    }
}

/// Maps optional indices to dense 0.. codes in ascending index order;
/// returns the codes and the original index of each code. Without indices
/// everyone is in group 0.
fn densify(ids: Option<&[usize]>, n: usize) -> (Vec<u32>, Vec<usize>) {
    let Some(ids) = ids else {
        return (vec![0; n], vec![0]);
    };
    let max = ids.iter().copied().max().unwrap_or(0);
    let mut levels: Vec<usize>;
    if max <= n.max(1 << 16) {
        let mut present = vec![false; max + 1];
        for &id in ids {
            present[id] = true;
        }
        levels = (0..=max).filter(|&id| present[id]).collect();
    } else {
        levels = ids.to_vec();
        levels.sort_unstable();
        levels.dedup();
    }
    let dense = if max <= n.max(1 << 16) {
        let mut code = vec![0u32; max + 1];
        for (k, &id) in levels.iter().enumerate() {
            code[id] = k as u32;
        }
        ids.iter().map(|&id| code[id]).collect()
    } else {
        ids.iter()
            .map(|id| levels.binary_search(id).unwrap_or(0) as u32)
            .collect()
    };
    (dense, levels)
}

/// Stable counting sort by `key`: the destination of each element and the
/// bucket offsets (`offsets[b]..offsets[b + 1]` is bucket b).
fn bucket(key: &[u32], n_buckets: usize) -> (Vec<u32>, Vec<usize>) {
    let mut offsets = vec![0usize; n_buckets + 1];
    for &k in key {
        offsets[k as usize + 1] += 1;
    }
    for b in 0..n_buckets {
        offsets[b + 1] += offsets[b];
    }
    let mut next = offsets.clone();
    let dest = key
        .iter()
        .map(|&k| {
            let d = next[k as usize];
            next[k as usize] += 1;
            d as u32
        })
        .collect();
    (dest, offsets)
}

/// `out[dest[i]] = values[i]`.
fn scatter<T: Copy + Default>(values: &[T], dest: &[u32]) -> Vec<T> {
    let mut out = vec![T::default(); values.len()];
    for (&v, &d) in values.iter().zip(dest) {
        out[d as usize] = v;
    }
    out
}

/// Distinct non-zero status codes, ascending.
fn distinct_causes(status: &[u32]) -> Vec<u32> {
    let max = status.iter().copied().max().unwrap_or(0) as usize;
    if max <= status.len().max(1 << 16) {
        let mut present = vec![false; max + 1];
        for &s in status {
            present[s as usize] = true;
        }
        (1..=max as u32).filter(|&s| present[s as usize]).collect()
    } else {
        let mut causes: Vec<u32> = status.iter().copied().filter(|&s| s != CENSORED).collect();
        causes.sort_unstable();
        causes.dedup();
        causes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_cause_without_competition_is_one_minus_km() {
        // Without competing failures F = 1 − KM: 1 − 3/4·2/3 = 0.5 at t = 2.
        let r = cuminc(
            &[1.0, 2.0, 3.0, 4.0],
            &[1, 1, 0, 1],
            None,
            None,
            1,
            &CumIncOptions::default(),
        )
        .unwrap();
        let c = &r.curves[0];
        assert_eq!(c.steps.len(), 3);
        assert!((c.steps[1].estimate - 0.5).abs() < 1e-15);
        assert!((c.steps[2].estimate - 1.0).abs() < 1e-15);
        assert!(r.gray.is_none());
    }

    #[test]
    fn errors_are_clear() {
        let o = CumIncOptions::default();
        assert_eq!(
            cuminc(&[], &[], None, None, 1, &o).unwrap_err(),
            CumIncError::Empty
        );
        assert_eq!(
            cuminc(&[1.0, -2.0], &[1, 0], None, None, 1, &o).unwrap_err(),
            CumIncError::InvalidTime {
                index: 1,
                value: -2.0
            }
        );
        let err = cuminc(&[1.0, 2.0], &[0, 0], None, None, 1, &o).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no subject failed from cause 1 (failure codes present: none, every subject is censored)"
        );
        assert!(matches!(
            cuminc(&[1.0], &[1, 2], None, None, 1, &o).unwrap_err(),
            CumIncError::LengthMismatch { what: "status", .. }
        ));
        assert_eq!(
            cuminc(&[1.0], &[1], None, None, 0, &o).unwrap_err(),
            CumIncError::CauseIsCensoring
        );
        let bad = CumIncOptions {
            conf_level: 1.0,
            ..CumIncOptions::default()
        };
        assert!(matches!(
            cuminc(&[1.0], &[1], None, None, 1, &bad).unwrap_err(),
            CumIncError::InvalidConfLevel(_)
        ));
    }

    #[test]
    fn sparse_group_indices_keep_their_labels() {
        let r = cuminc(
            &[1.0, 2.0, 3.0, 4.0],
            &[1, 2, 1, 0],
            Some(&[7, 1_000_000, 7, 1_000_000]),
            None,
            1,
            &CumIncOptions::default(),
        )
        .unwrap();
        let groups: Vec<usize> = r.curves.iter().map(|c| c.group).collect();
        assert_eq!(groups, vec![7, 1_000_000]);
        assert_eq!(r.curves[0].events, 2);
        assert_eq!(r.curves[1].competing, 1);
        assert_eq!(r.gray.as_ref().unwrap().df, 1);
    }

    /// Tiny deterministic generator for the randomised checks below.
    fn lcg(state: &mut u64) -> u64 {
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        *state >> 33
    }

    #[test]
    fn random_small_data_never_panic_and_causes_add_up_to_one_minus_km() {
        let mut state = 42;
        for case in 0..3000 {
            let n = 1 + (lcg(&mut state) % 12) as usize;
            let time: Vec<f64> = (0..n).map(|_| (lcg(&mut state) % 5) as f64).collect();
            let status: Vec<u32> = (0..n).map(|_| (lcg(&mut state) % 4) as u32).collect();
            let group: Vec<usize> = (0..n).map(|_| (lcg(&mut state) % 3) as usize).collect();
            let strata: Vec<usize> = (0..n).map(|_| (lcg(&mut state) % 2) as usize).collect();
            let data = CompetingRisks::new(&time, &status, Some(&group), Some(&strata)).unwrap();
            let options = CumIncOptions {
                rho: [0.0, 1.0, -0.5][case % 3],
                times: vec![0.0, 2.0, 4.0, 9.0],
                ..CumIncOptions::default()
            };
            let results: Vec<CumInc> = data
                .causes()
                .iter()
                .map(|&c| data.analyse(c, &options).unwrap())
                .collect();
            for r in &results {
                // (No let chains: the workspace's rust-version is 1.85.)
                let tested = r.gray.as_ref().and_then(|g| g.statistic.zip(g.p));
                if let Some((stat, p)) = tested {
                    assert!(stat >= -1e-9, "case {case}: statistic {stat}");
                    assert!((0.0..=1.0).contains(&p));
                }
                for c in &r.curves {
                    let mut previous = 0.0;
                    for s in &c.steps {
                        assert!(s.estimate >= previous && s.estimate <= 1.0 + 1e-12);
                        assert!(s.variance >= -1e-12, "case {case}: variance {}", s.variance);
                        previous = s.estimate;
                    }
                }
            }
            // Aalen–Johansen: the causes' incidences add up to 1 − KM at the
            // end of each group's follow-up.
            for (g_pos, &g) in data.groups().iter().enumerate() {
                let mut rows: Vec<(f64, u32)> = (0..n)
                    .filter(|&i| group[i] == g)
                    .map(|i| (time[i], status[i]))
                    .collect();
                rows.sort_by(|a, b| a.0.total_cmp(&b.0));
                let mut km = 1.0;
                let mut i = 0;
                while i < rows.len() {
                    let j = rows[i..].iter().take_while(|r| r.0 == rows[i].0).count() + i;
                    let d = rows[i..j].iter().filter(|r| r.1 != 0).count() as f64;
                    km *= 1.0 - d / (rows.len() - i) as f64;
                    i = j;
                }
                let total: f64 = results
                    .iter()
                    .map(|r| r.curves[g_pos].steps.last().map_or(0.0, |s| s.estimate))
                    .sum();
                assert!((total - (1.0 - km)).abs() < 1e-12, "case {case}");
            }
        }
    }

    #[test]
    fn interval_edges() {
        let z = 1.959963984540054;
        assert_eq!(loglog_interval(0.0, 0.0, z), (None, None));
        assert_eq!(loglog_interval(1.0, 0.25, z), (Some(1.0), Some(1.0)));
        assert_eq!(loglog_interval(0.3, 0.0, z), (Some(0.3), Some(0.3)));
        let (lo, hi) = loglog_interval(0.3, 0.01, z);
        assert!(lo.unwrap() < 0.3 && hi.unwrap() > 0.3);
    }
}
