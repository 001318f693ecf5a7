//! Additive partial aggregates of survival data: sums per (time, stratum,
//! group) that can be computed separately — at each hospital of a federated
//! network, on each partition of a cluster — and merged into exactly the
//! pooled-data answer, as DataFusion's accumulators do (`update`: rows in;
//! `merge`: partial in; `evaluate`: result out).
//!
//! # What a partial holds ([`SurvivalCounts`])
//!
//! A sorted list of [`Cell`]s, one per distinct (time, stratum, group) with
//! at least one row, each holding only sums over its rows:
//!
//! * `rows` — R's `n` and the log-rank test's subjects;
//! * `event_rows` — the unweighted events of the log-rank test (zero-weight
//!   event rows are counted: they exist, and add a Kaplan–Meier step);
//! * `w_event`, `w_censor` — the case-weighted events and censorings
//!   (`n.event`, `n.censor`; numbers at risk are their tail sums);
//! * `w2_event`, `w2_censor` — sums of squared weights: the infinitesimal
//!   jackknife (robust) variance of S(t), which R uses with non-integer
//!   weights, depends on the rows only through these per-time sums;
//! * `causes` — the rows and weighted events per cause (≥ 1) for competing risks,
//!   left empty when every event of the cell is cause 1 (no allocation per
//!   cell for ordinary survival data).
//!
//! and three whole-partial values that merge by OR / max: whether any case
//! weight was not an integer (`fractional_weights`: R's `survfit` then
//! switches to the robust variance, a decision made on all rows at once),
//! and the declared numbers of groups and strata (so that a site without
//! patients in some group still yields that group's empty curve).
//!
//! Times are kept as the bit pattern of the double (−0 stored as +0), so
//! bit order is numeric order and equal times are equal keys.
//!
//! # Merge rule
//!
//! [`SurvivalCounts::merge`] is a sort-merge of the two cell lists by
//! (time, stratum, group), adding the fields of cells with equal keys. Every
//! field is a sum (or an OR/max), so merging is commutative and associative:
//! any split of the rows into parts, merged in any order or tree shape,
//! gives the cells of the pooled rows. Nothing in a partial is a non-additive
//! quantity (no ranks, no risk sets, no estimates): everything that is not
//! additive — numbers at risk, S(t), variances, the test — is computed by
//! the evaluators from the merged cells.
//!
//! # Summation
//!
//! Weight sums are [`Sum2`] double-double accumulators: the order of adds
//! and merges changes a sum by at most about 1 ulp (exact for integer
//! weights), so evaluated results agree to 1e-12 relative whatever the
//! merge tree (see [`sum`]). Counts are `u64`.
//!
//! # Evaluation
//!
//! * [`SurvivalCounts::km_curves`] equals [`crate::km::km_by_group`] on the
//!   pooled rows, field by field: both build curves with the one
//!   "curve from per-time sums" function of the `km` module.
//! * [`SurvivalCounts::logrank`] equals [`crate::logrank::logrank`] on the
//!   pooled rows, for every weighting, with strata, and so the trend test
//!   ([`crate::logrank::LogrankTest::trend`]): rows and cells go through the
//!   same generic sweep of the `logrank` module.
//! * [`SurvivalCounts::cuminc`] equals [`crate::cuminc::cuminc`] on the
//!   pooled rows (curves, Gray's variance and Gray's test): the estimator
//!   and the test read rows and cells through one generic "tally" interface
//!   of the `cuminc` module. It is unweighted and uses exact times, as
//!   cmprsk.
//!
//! **`timefix`** (R's `aeqSurv`) merges near-equal times judged against the
//! mean of *all* distinct times, so it cannot be applied at a node: it is
//! applied at evaluation, to the union of the merged partial's times. Cells
//! therefore hold times as recorded, and two times that `timefix` merges
//! may arrive from different parts.
//!
//! # Serialisation
//!
//! This crate has no serde. Every field of [`Cell`], [`CauseSum`] is public,
//! [`Sum2::parts`] / [`Sum2::from_parts`] give a sum's two doubles losslessly,
//! and [`SurvivalCounts::from_parts`] rebuilds a partial, checking every
//! invariant the evaluators rely on.

mod cell;
mod evaluate;
pub mod sum;
mod survival;
mod tabulate;

pub use cell::{CauseSum, Cell};
pub use sum::Sum2;
pub use survival::{Rows, SurvivalCounts};

/// Why rows cannot be tabulated or parts do not form a partial.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PartialError {
    /// An input slice does not have one value per row.
    #[error("{what} has {found} values but there are {expected} times")]
    LengthMismatch {
        /// Which input.
        what: &'static str,
        /// Number of times.
        expected: usize,
        /// Length found.
        found: usize,
    },
    /// A time is NaN, infinite or negative.
    #[error("row {row}: time {value} is not a finite number >= 0")]
    InvalidTime {
        /// 0-based row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// A case weight is NaN, infinite or negative.
    #[error("row {row}: weight {value} is not a finite number >= 0")]
    InvalidWeight {
        /// 0-based row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// A group code is not below the declared number of groups.
    #[error("row {row}: group {group} but there are {n_groups} groups")]
    GroupOutOfRange {
        /// 0-based row.
        row: usize,
        /// The code.
        group: u32,
        /// Declared number of groups.
        n_groups: u32,
    },
    /// A stratum code is not below the declared number of strata.
    #[error("row {row}: stratum {stratum} but there are {n_strata} strata")]
    StratumOutOfRange {
        /// 0-based row.
        row: usize,
        /// The code.
        stratum: u32,
        /// Declared number of strata.
        n_strata: u32,
    },
    /// A declared number of groups or strata is 0.
    #[error("{what} is {value}: at least 1 is needed")]
    InvalidCount {
        /// "n_groups" or "n_strata".
        what: &'static str,
        /// The value.
        value: u32,
    },
    /// More rows in one call than the 32-bit row index of the sort
    /// addresses (tabulate in chunks and merge).
    #[error("{0} rows in one call is more than 2^32 - 1")]
    TooManyRows(usize),
    /// A cell given to [`SurvivalCounts::from_parts`] breaks an invariant.
    #[error("cell {index}: {reason}")]
    InvalidCell {
        /// 0-based position in the list.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
}
