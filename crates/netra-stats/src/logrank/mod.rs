//! Comparing survival curves: the k-sample log-rank test and its weighted,
//! stratified, trend and pairwise forms, exactly as R's `survival::survdiff`.
//!
//! # The test
//!
//! At each distinct time t of a stratum with `d` events among `n` subjects at
//! risk (`d_g`, `n_g` in group g) and a weight `w(t)`:
//!
//! ```text
//! O_g = Σ w d_g                     E_g = Σ w d n_g / n
//! V_gh = Σ w² d (n − d) / (n − 1) · (n_g / n) (δ_gh − n_h / n)
//! ```
//!
//! summed over times and, for a stratified test (R's `strata()`), over
//! strata: each stratum has its own risk sets and weights, and the per-stratum
//! O, E and V are added. The statistic is `(O − E)' V⁻ (O − E)`, computed as
//! `survdiff` does: groups with `E_g = 0` are left out (they carry no
//! information), the first remaining group is dropped (V has rank k − 1), and
//! the reduced system is solved; `df` is the number of groups with `E_g > 0`
//! minus one and `p = P(χ²_df > chisq)`. When the reduced V is singular
//! anyway (for instance everyone at risk dies at the only event time) R's
//! `solve()` stops with an error; netra instead uses the generalized inverse
//! of an `L D L'` factorisation and reports its rank as `df` (documented
//! result). When only one group has `E_g > 0` the result is chisq 0 on 0 df
//! with p = 1, as `survdiff`.
//!
//! # Weights ([`Weights`])
//!
//! * log-rank: `w = 1` (`survdiff(rho = 0)`);
//! * Fleming–Harrington G(ρ, γ): `w = S(t−)^ρ (1 − S(t−))^γ` with `S` the
//!   Kaplan–Meier of all groups pooled within the stratum, taken just before
//!   t (left-continuous), exactly the `S` of `survdiff(rho = ρ)`; with γ = 0 it
//!   *is* `survdiff(rho = ρ)` (ρ = 1 is the Peto–Peto modification of the
//!   Gehan–Wilcoxon test);
//! * Gehan–Breslow (generalized Wilcoxon): `w = n`, the pooled number at risk;
//! * Tarone–Ware: `w = √n`.
//!
//! Observed and expected are weighted sums, as `survdiff` reports them; the
//! unweighted event counts are in [`LogrankTest::events`].
//!
//! # Decisions that make the numbers agree with R
//!
//! * Times that differ by rounding are merged first, as `survdiff`'s default
//!   `timefix = TRUE` (`aeqSurv`): adjacent distinct times within
//!   `sqrt(.Machine$double.eps)`, absolutely or relative to the mean distinct
//!   time, are one time. (This duplicates the timefix the Kaplan–Meier module
//!   needs; the rule is small and kept private here.)
//! * The sweep visits times from the last backwards and adds terms in the
//!   order of survival's C routine `survdiff2`.
//! * The pooled Kaplan–Meier for the weights is computed in this module with
//!   `S ← S (n − d) / n`, as `survdiff2`.
//!
//! # Cost
//!
//! One sort of the records by time (skipped when already sorted), one
//! counting split by stratum when there are strata, then one pass per stratum
//! doing O(k) work per distinct time for O and E and O(k²) for V. Pairwise
//! tests split the sorted records by group once and merge each pair in
//! O(n_a + n_b). The sweep is generic over its entries (module `pass`): the
//! same code runs on subjects here and on the tabulated cells of a merged
//! partial aggregate (`crate::partial::SurvivalCounts::logrank`).
//!
//! # Example
//!
//! ```
//! use netra_stats::logrank::{LogrankData, Weights};
//!
//! // Two groups, times with an event flag; group codes are 0-based.
//! let time = [6.0, 7.0, 10.0, 15.0, 19.0, 25.0, 1.0, 1.0, 2.0, 2.0, 3.0, 4.0];
//! let event = [true, false, true, true, false, true, true, true, true, true, true, false];
//! let group = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
//! let data = LogrankData::new(&time, &event, &group, None).unwrap();
//! let test = data.test(Weights::LogRank).unwrap();
//! assert_eq!(test.df, 1);
//! assert_eq!(test.events, vec![4, 5]);
//! assert!(test.p < 0.01);
//! ```

mod pass;
mod quadratic;

use std::fmt;

use crate::distributions::chisq_upper;
use crate::multiple::{Adjust, p_adjust};
pub(crate) use pass::Cell;
use pass::{Entry, Record, Scratch, Sums, TieRule};

/// At most this many groups: the variance matrix is k × k and the pairwise
/// comparisons number k(k − 1)/2, so a column of identifiers used as the group
/// by mistake must fail fast rather than exhaust memory.
pub const MAX_GROUPS: usize = 1000;

/// The weight function of the test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weights {
    /// `w = 1`: the log-rank (Mantel–Haenszel) test, `survdiff(rho = 0)`.
    LogRank,
    /// `w = S(t−)^rho (1 − S(t−))^gamma` with the pooled left-continuous
    /// Kaplan–Meier of the stratum; `gamma = 0` is `survdiff(rho = rho)`.
    FlemingHarrington {
        /// Exponent of S(t−): emphasises early differences.
        rho: f64,
        /// Exponent of 1 − S(t−): emphasises late differences (≥ 0).
        gamma: f64,
    },
    /// `w = n`, the number at risk (Gehan–Breslow generalized Wilcoxon).
    GehanBreslow,
    /// `w = √n` (Tarone–Ware).
    TaroneWare,
}

impl Weights {
    /// A name for reports: "Log-rank", "Fleming-Harrington G(1, 0)", ….
    pub fn name(&self) -> String {
        match self {
            Weights::LogRank => "Log-rank".into(),
            Weights::FlemingHarrington { rho, gamma } => {
                format!("Fleming-Harrington G({rho}, {gamma})")
            }
            Weights::GehanBreslow => "Gehan-Breslow".into(),
            Weights::TaroneWare => "Tarone-Ware".into(),
        }
    }

    /// (rho, gamma) of the weights when written as Fleming–Harrington
    /// (log-rank is (0, 0)); `None` for Gehan–Breslow and Tarone–Ware.
    pub fn rho_gamma(&self) -> Option<(f64, f64)> {
        match *self {
            Weights::LogRank => Some((0.0, 0.0)),
            Weights::FlemingHarrington { rho, gamma } => Some((rho, gamma)),
            _ => None,
        }
    }

    fn validate(&self) -> Result<(), LogrankError> {
        if let Weights::FlemingHarrington { rho, gamma } = *self {
            if !rho.is_finite() {
                return Err(LogrankError::InvalidWeights(format!(
                    "rho must be a finite number (got {rho})"
                )));
            }
            if !(gamma.is_finite() && gamma >= 0.0) {
                return Err(LogrankError::InvalidWeights(format!(
                    "gamma must be a finite number >= 0 (got {gamma})"
                )));
            }
        }
        Ok(())
    }

    fn needs_survival(&self) -> bool {
        matches!(self, Weights::FlemingHarrington { rho, gamma } if *rho != 0.0 || *gamma != 0.0)
    }

    /// The weight at a time with pooled S(t−) = `s` and `n` at risk.
    #[inline]
    fn weight(&self, s: f64, n: f64) -> f64 {
        match *self {
            Weights::LogRank => 1.0,
            Weights::FlemingHarrington { rho, gamma } => {
                // survdiff: pow(S, rho) when rho != 0, else 1; the gamma
                // factor is exactly 1 when gamma = 0.
                let a = if rho != 0.0 { s.powf(rho) } else { 1.0 };
                if gamma != 0.0 {
                    a * (1.0 - s).powf(gamma)
                } else {
                    a
                }
            }
            Weights::GehanBreslow => n,
            Weights::TaroneWare => n.sqrt(),
        }
    }
}

/// Why a comparison cannot be computed.
#[derive(Debug, Clone, PartialEq)]
pub enum LogrankError {
    /// No subjects at all.
    Empty,
    /// Input slices of different lengths.
    LengthMismatch {
        /// The slice that differs ("event", "group", "strata").
        what: &'static str,
        /// Length of `time`.
        expected: usize,
        /// Its length.
        found: usize,
    },
    /// A time that is NaN, infinite or negative.
    InvalidTime {
        /// 0-based position in the input.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Fewer than two groups have subjects.
    OnlyOneGroup,
    /// More groups than [`MAX_GROUPS`].
    TooManyGroups {
        /// Number of groups implied by the largest code.
        groups: usize,
    },
    /// No events in the data: the curves cannot be compared.
    NoEvents,
    /// Events exist but every one has weight zero (e.g. G(ρ, γ > 0) with all
    /// events at the first time): no information to compare.
    NoInformation,
    /// Invalid weight parameters.
    InvalidWeights(String),
    /// Stratum codes that cannot be right.
    InvalidStrata(String),
    /// Trend scores that do not fit the groups.
    InvalidScores(String),
    /// The trend statistic has zero variance (`c'Vc = 0`).
    DegenerateTrend,
}

impl fmt::Display for LogrankError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogrankError::Empty => write!(f, "no subjects to compare"),
            LogrankError::LengthMismatch {
                what,
                expected,
                found,
            } => write!(f, "{what} has {found} values but time has {expected}"),
            LogrankError::InvalidTime { index, value } => write!(
                f,
                "time at position {} is {value}: times must be finite and >= 0",
                index + 1
            ),
            LogrankError::OnlyOneGroup => write!(
                f,
                "only one group has subjects: a test needs at least two groups"
            ),
            LogrankError::TooManyGroups { groups } => write!(
                f,
                "{groups} groups: at most {MAX_GROUPS} can be compared (is the group column an identifier?)"
            ),
            LogrankError::NoEvents => {
                write!(f, "no events in the data: the curves cannot be compared")
            }
            LogrankError::NoInformation => write!(
                f,
                "every event has weight zero under these weights: no information to compare"
            ),
            LogrankError::InvalidWeights(why) => write!(f, "invalid weights: {why}"),
            LogrankError::InvalidStrata(why) => write!(f, "invalid strata: {why}"),
            LogrankError::InvalidScores(why) => write!(f, "invalid trend scores: {why}"),
            LogrankError::DegenerateTrend => write!(
                f,
                "the trend statistic has zero variance: the scored groups carry no information"
            ),
        }
    }
}

impl std::error::Error for LogrankError {}

/// Survival data prepared for comparisons: validated and sorted by time once,
/// then tested with any weights, pairwise, or for trend.
#[derive(Debug, Clone)]
pub struct LogrankData {
    records: Vec<Record>,
    n_groups: usize,
    n_strata: usize,
    n: Vec<usize>,
    events: Vec<usize>,
}

impl LogrankData {
    /// Validates and sorts the data. `group` holds 0-based group codes (the
    /// number of groups is the largest code + 1; a code with no subjects is
    /// an empty group, reported with n = 0 and left out of the test);
    /// `strata`, when given, 0-based stratum codes.
    pub fn new(
        time: &[f64],
        event: &[bool],
        group: &[usize],
        strata: Option<&[usize]>,
    ) -> Result<LogrankData, LogrankError> {
        let n = time.len();
        if n == 0 {
            return Err(LogrankError::Empty);
        }
        let check = |what, len: usize| {
            if len == n {
                Ok(())
            } else {
                Err(LogrankError::LengthMismatch {
                    what,
                    expected: n,
                    found: len,
                })
            }
        };
        check("event", event.len())?;
        check("group", group.len())?;
        if let Some(s) = strata {
            check("strata", s.len())?;
        }
        let n_groups = group.iter().max().map_or(0, |&g| g.saturating_add(1));
        if n_groups > MAX_GROUPS {
            return Err(LogrankError::TooManyGroups { groups: n_groups });
        }
        // Each stratum needs k sums: codes beyond the number of subjects can
        // only be a mistake, and would allocate without bound.
        let n_strata = strata.map_or(1, |s| s.iter().max().map_or(1, |&m| m.saturating_add(1)));
        if n_strata > n || n_strata > u32::MAX as usize {
            return Err(LogrankError::InvalidStrata(format!(
                "stratum code {} for {n} subjects: codes must be 0-based and below the number of subjects",
                n_strata - 1
            )));
        }
        let mut counts = vec![0usize; n_groups];
        let mut events = vec![0usize; n_groups];
        let mut records = Vec::with_capacity(n);
        for i in 0..n {
            let t = time[i];
            if !(t.is_finite() && t >= 0.0) {
                return Err(LogrankError::InvalidTime { index: i, value: t });
            }
            let g = group[i];
            counts[g] += 1;
            events[g] += usize::from(event[i]);
            let s = strata.map_or(0, |s| s[i]) as u32;
            // + 0.0 turns -0.0 into +0.0 so bit patterns order as numbers.
            records.push(Record::new(t + 0.0, event[i], g as u32, s));
        }
        if counts.iter().filter(|&&c| c > 0).count() < 2 {
            return Err(LogrankError::OnlyOneGroup);
        }
        pass::sort_by_time(&mut records);
        Ok(LogrankData {
            records,
            n_groups,
            n_strata,
            n: counts,
            events,
        })
    }

    /// Number of groups (largest code + 1).
    pub fn n_groups(&self) -> usize {
        self.n_groups
    }

    /// Number of strata (largest code + 1; 1 without strata).
    pub fn n_strata(&self) -> usize {
        self.n_strata
    }

    /// Subjects per group.
    pub fn n(&self) -> &[usize] {
        &self.n
    }

    /// The k-group test with the given weights (stratified when the data has
    /// strata), as `survdiff`.
    pub fn test(&self, weights: Weights) -> Result<LogrankTest, LogrankError> {
        test_of(
            &self.records,
            self.n_strata,
            self.n.clone(),
            self.events.clone(),
            weights,
        )
    }

    /// Every pair of groups with subjects compared by a two-group test on the
    /// pair's rows (same weights and strata; for Fleming–Harrington weights
    /// the Kaplan–Meier is that of the pair, as `survdiff` on the subset),
    /// in the order (0,1), (0,2), …, (1,2), …; p-values adjusted by `adjust`
    /// over the pairs that have a p-value (`p.adjust`). A pair without
    /// events (or without weighted information) has chisq 0 on 0 df and no
    /// p-value, as `survdiff` on that subset gives `NA`.
    pub fn pairwise(
        &self,
        weights: Weights,
        adjust: Adjust,
    ) -> Result<Vec<PairwiseTest>, LogrankError> {
        weights.validate()?;
        let k = self.n_groups;
        // Time-sorted records of each group (a stable split keeps the order).
        let mut bounds = vec![0usize; k + 1];
        for r in &self.records {
            bounds[r.group() + 1] += 1;
        }
        for g in 0..k {
            bounds[g + 1] += bounds[g];
        }
        let mut next = bounds.clone();
        let mut by_group = vec![Record::new(0.0, false, 0, 0); self.records.len()];
        for r in &self.records {
            let slot = &mut next[r.group()];
            by_group[*slot] = *r;
            *slot += 1;
        }
        let mut pairs = Vec::new();
        let mut merged = Vec::new();
        for a in 0..k {
            for b in (a + 1)..k {
                if self.n[a] == 0 || self.n[b] == 0 {
                    continue;
                }
                let ra = &by_group[bounds[a]..bounds[a + 1]];
                let rb = &by_group[bounds[b]..bounds[b + 1]];
                merge_by_time(ra, rb, &mut merged);
                let sums = sums_of(&merged, k, self.n_strata, weights);
                let observed = sum_strata(&sums.observed, k);
                let expected = sum_strata(&sums.expected, k);
                let (chisq, df, p) = if self.events[a] + self.events[b] == 0 {
                    (0.0, 0, None)
                } else {
                    match chisq_test(&sums) {
                        Ok((c, d, p)) => (c, d, Some(p)),
                        Err(LogrankError::NoInformation) => (0.0, 0, None),
                        Err(e) => return Err(e),
                    }
                };
                pairs.push(PairwiseTest {
                    group1: a,
                    group2: b,
                    observed: [observed[a], observed[b]],
                    expected: [expected[a], expected[b]],
                    chisq,
                    df,
                    p,
                    p_adjusted: None,
                });
            }
        }
        let raw: Vec<f64> = pairs.iter().map(|t| t.p.unwrap_or(f64::NAN)).collect();
        for (t, adj) in pairs.iter_mut().zip(p_adjust(&raw, adjust)) {
            t.p_adjusted = (!adj.is_nan()).then_some(adj);
        }
        Ok(pairs)
    }
}

/// The k-group test of time-sorted entries (rows, or the cells of a partial
/// aggregate) with `n` subjects and `events` events per group (k = their
/// length): the one implementation behind [`LogrankData::test`] and
/// `crate::partial`.
pub(crate) fn test_of<E: Entry>(
    entries: &[E],
    n_strata: usize,
    n: Vec<usize>,
    events: Vec<usize>,
    weights: Weights,
) -> Result<LogrankTest, LogrankError> {
    weights.validate()?;
    if events.iter().all(|&e| e == 0) {
        return Err(LogrankError::NoEvents);
    }
    let k = n.len();
    let sums = sums_of(entries, k, n_strata, weights);
    let (chisq, df, p) = chisq_test(&sums)?;
    let by_stratum = |v: &[f64]| -> Vec<Vec<f64>> { v.chunks(k).map(<[f64]>::to_vec).collect() };
    Ok(LogrankTest {
        weights,
        n,
        events,
        observed: sum_strata(&sums.observed, k),
        expected: sum_strata(&sums.expected, k),
        observed_by_stratum: by_stratum(&sums.observed),
        expected_by_stratum: by_stratum(&sums.expected),
        variance: sums.variance.chunks(k).map(<[f64]>::to_vec).collect(),
        chisq,
        df,
        p,
    })
}

/// Observed, expected and variance of time-sorted entries at raw times.
fn sums_of<E: Entry>(records: &[E], k: usize, n_strata: usize, weights: Weights) -> Sums {
    let mut sums = Sums::new(k, n_strata);
    let mut scratch = Scratch::default();
    let rule = TieRule::for_sorted(records);
    if n_strata == 1 {
        // One stratum: merge nearly equal times on the fly, no copy.
        pass::accumulate(
            records,
            |a, b| rule.same(a, b),
            weights,
            0,
            &mut sums,
            &mut scratch,
        );
        return sums;
    }
    // Strata: the aeqSurv chains are decided on all times together, so
    // rewrite the times first, then split by stratum.
    let mut fixed;
    let source = if rule.merges_any(records) {
        fixed = records.to_vec();
        rule.apply(&mut fixed);
        &fixed[..]
    } else {
        records
    };
    let mut split = Vec::new();
    let bounds = pass::split_strata(source, n_strata, &mut split);
    for s in 0..n_strata {
        pass::accumulate(
            &split[bounds[s]..bounds[s + 1]],
            |a, b| a == b,
            weights,
            s,
            &mut sums,
            &mut scratch,
        );
    }
    sums
}

/// Merges two time-sorted runs into `out`.
fn merge_by_time(a: &[Record], b: &[Record], out: &mut Vec<Record>) {
    out.clear();
    out.reserve(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].time <= b[j].time {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
}

/// Per-group totals over strata (stratum-major `values`), summed in stratum
/// order as R's `apply(obs, 1, sum)`.
fn sum_strata(values: &[f64], k: usize) -> Vec<f64> {
    let mut total = vec![0.0; k];
    for chunk in values.chunks(k) {
        for (t, v) in total.iter_mut().zip(chunk) {
            *t += v;
        }
    }
    total
}

/// survdiff's chisq, df and p from the sums.
fn chisq_test(sums: &Sums) -> Result<(f64, usize, f64), LogrankError> {
    let k = sums.k;
    let observed = sum_strata(&sums.observed, k);
    let expected = sum_strata(&sums.expected, k);
    let kept: Vec<usize> = (0..k).filter(|&g| expected[g] > 0.0).collect();
    if kept.is_empty() {
        return Err(LogrankError::NoInformation);
    }
    if kept.len() < 2 {
        return Ok((0.0, 0, 1.0));
    }
    let idx = &kept[1..];
    let m = idx.len();
    let u: Vec<f64> = idx.iter().map(|&g| observed[g] - expected[g]).collect();
    let mut v = Vec::with_capacity(m * m);
    for &a in idx {
        for &b in idx {
            v.push(sums.variance[a * k + b]);
        }
    }
    let (chisq, rank) = quadratic::quadratic_form(&v, &u);
    let df = if rank == m { m } else { rank };
    let p = if df == 0 {
        1.0
    } else {
        chisq_upper(chisq, df as f64)
    };
    Ok((chisq, df, p))
}

/// The result of a k-group comparison, with the fields of R's `survdiff`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogrankTest {
    /// The weights used.
    pub weights: Weights,
    /// Subjects per group (`survdiff`'s `n`).
    pub n: Vec<usize>,
    /// Unweighted number of events per group.
    pub events: Vec<usize>,
    /// Weighted observed events per group, summed over strata (`obs`).
    pub observed: Vec<f64>,
    /// Weighted expected events per group, summed over strata (`exp`).
    pub expected: Vec<f64>,
    /// Observed per stratum: `[stratum][group]` (`obs` columns).
    pub observed_by_stratum: Vec<Vec<f64>>,
    /// Expected per stratum: `[stratum][group]`.
    pub expected_by_stratum: Vec<Vec<f64>>,
    /// The k × k variance matrix of O − E, summed over strata (`var`).
    pub variance: Vec<Vec<f64>>,
    /// The chi-square statistic (`chisq`).
    pub chisq: f64,
    /// Degrees of freedom: groups with expected > 0, minus one.
    pub df: usize,
    /// Upper-tail chi-square p-value.
    pub p: f64,
}

impl LogrankTest {
    /// The test for trend across ordered groups with scores `c` (one per
    /// group): `U = c'(O − E)`, `chisq = U² / (c'Vc)` on 1 df, with the
    /// (weighted, stratum-summed) O, E and V of this test. Scores are
    /// usually 1..k or the groups' numeric values; the statistic does not
    /// change when they are shifted or scaled.
    pub fn trend(&self, scores: &[f64]) -> Result<TrendTest, LogrankError> {
        let k = self.n.len();
        if scores.len() != k {
            return Err(LogrankError::InvalidScores(format!(
                "{} scores for {k} groups",
                scores.len()
            )));
        }
        if let Some(s) = scores.iter().find(|s| !s.is_finite()) {
            return Err(LogrankError::InvalidScores(format!(
                "score {s} is not a finite number"
            )));
        }
        let mut u = 0.0;
        for ((c, o), e) in scores.iter().zip(&self.observed).zip(&self.expected) {
            u += c * (o - e);
        }
        // c'V first, then times c, as R's t(c) %*% V %*% c.
        let mut var = 0.0;
        for (h, ch) in scores.iter().enumerate() {
            let mut cv = 0.0;
            for (c, row) in scores.iter().zip(&self.variance) {
                cv += c * row[h];
            }
            var += cv * ch;
        }
        if var.is_nan() || var <= 0.0 {
            return Err(LogrankError::DegenerateTrend);
        }
        let chisq = u * u / var;
        Ok(TrendTest {
            scores: scores.to_vec(),
            u,
            variance: var,
            chisq,
            df: 1,
            p: chisq_upper(chisq, 1.0),
        })
    }
}

/// The test for trend (see [`LogrankTest::trend`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TrendTest {
    /// The scores used, one per group.
    pub scores: Vec<f64>,
    /// `U = c'(O − E)`: positive when higher-scored groups have more events
    /// than expected.
    pub u: f64,
    /// `c'Vc`, the variance of U.
    pub variance: f64,
    /// `U² / c'Vc`.
    pub chisq: f64,
    /// Always 1.
    pub df: usize,
    /// Upper-tail chi-square p-value on 1 df.
    pub p: f64,
}

/// One pairwise comparison (see [`LogrankData::pairwise`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PairwiseTest {
    /// Code of the first group.
    pub group1: usize,
    /// Code of the second group.
    pub group2: usize,
    /// Weighted observed of the two groups in the pair's test.
    pub observed: [f64; 2],
    /// Weighted expected of the two groups in the pair's test.
    pub expected: [f64; 2],
    /// The pair's chi-square.
    pub chisq: f64,
    /// Its degrees of freedom (1, or 0 when only one group had expected > 0
    /// or the pair has no events).
    pub df: usize,
    /// Unadjusted p-value; `None` when the pair has no events.
    pub p: Option<f64>,
    /// p-value adjusted over the pairs; `None` when `p` is.
    pub p_adjusted: Option<f64>,
}

/// One-call form: the k-group test of `time`/`event` by `group` (0-based
/// codes), optionally stratified. See [`LogrankData`] to run several tests on
/// the same data without sorting again.
pub fn logrank(
    time: &[f64],
    event: &[bool],
    group: &[usize],
    strata: Option<&[usize]>,
    weights: Weights,
) -> Result<LogrankTest, LogrankError> {
    LogrankData::new(time, event, group, strata)?.test(weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degenerate_inputs_are_errors_not_panics() {
        assert_eq!(
            LogrankData::new(&[], &[], &[], None).unwrap_err(),
            LogrankError::Empty
        );
        assert_eq!(
            LogrankData::new(&[1.0, 2.0], &[true, true], &[0, 0], None).unwrap_err(),
            LogrankError::OnlyOneGroup
        );
        assert!(matches!(
            LogrankData::new(&[1.0, f64::NAN], &[true, true], &[0, 1], None),
            Err(LogrankError::InvalidTime { index: 1, value }) if value.is_nan()
        ));
        assert!(matches!(
            LogrankData::new(&[f64::INFINITY, 1.0], &[true, true], &[0, 1], None),
            Err(LogrankError::InvalidTime { index: 0, .. })
        ));
        assert!(matches!(
            LogrankData::new(&[1.0, -2.0], &[true, true], &[0, 1], None),
            Err(LogrankError::InvalidTime { index: 1, .. })
        ));
        assert!(matches!(
            LogrankData::new(&[1.0, 2.0], &[true], &[0, 1], None),
            Err(LogrankError::LengthMismatch { what: "event", .. })
        ));
        assert!(matches!(
            LogrankData::new(&[1.0, 2.0], &[true, false], &[0, MAX_GROUPS], None),
            Err(LogrankError::TooManyGroups { .. })
        ));
        assert!(matches!(
            LogrankData::new(&[1.0, 2.0], &[true, false], &[0, usize::MAX], None),
            Err(LogrankError::TooManyGroups { .. })
        ));
        assert!(matches!(
            LogrankData::new(&[1.0, 2.0], &[true, false], &[0, 1], Some(&[0, usize::MAX])),
            Err(LogrankError::InvalidStrata(_))
        ));
        let data = LogrankData::new(&[1.0, 2.0], &[false, false], &[0, 1], None).unwrap();
        assert_eq!(
            data.test(Weights::LogRank).unwrap_err(),
            LogrankError::NoEvents
        );
        let data = LogrankData::new(&[1.0, 2.0], &[true, false], &[0, 1], None).unwrap();
        assert!(matches!(
            data.test(Weights::FlemingHarrington {
                rho: f64::NAN,
                gamma: 0.0
            }),
            Err(LogrankError::InvalidWeights(_))
        ));
        assert!(matches!(
            data.test(Weights::FlemingHarrington {
                rho: 0.0,
                gamma: -1.0
            }),
            Err(LogrankError::InvalidWeights(_))
        ));
    }

    #[test]
    fn all_weight_zero_is_no_information() {
        // G(0, 1) gives weight 1 - S(t-) = 0 at the first time, the only one
        // with events.
        let data = LogrankData::new(
            &[1.0, 1.0, 2.0, 3.0],
            &[true, true, false, false],
            &[0, 1, 0, 1],
            None,
        )
        .unwrap();
        let w = Weights::FlemingHarrington {
            rho: 0.0,
            gamma: 1.0,
        };
        assert_eq!(data.test(w).unwrap_err(), LogrankError::NoInformation);
    }

    #[test]
    fn singular_variance_uses_generalized_inverse() {
        // Everyone dies at the only time: E > 0 in both groups but V = 0;
        // R's solve() stops, netra reports chisq 0 on 0 df, p = 1.
        let data = LogrankData::new(&[1.0; 4], &[true; 4], &[0, 0, 1, 1], None).unwrap();
        let t = data.test(Weights::LogRank).unwrap();
        assert_eq!(t.expected, vec![2.0, 2.0]);
        assert_eq!((t.chisq, t.df, t.p), (0.0, 0, 1.0));
    }

    #[test]
    fn empty_group_code_is_reported_and_ignored() {
        // Code 1 has no subjects: n = 0, E = 0, df counts groups 0 and 2.
        let data = LogrankData::new(
            &[1.0, 2.0, 3.0, 4.0],
            &[true, true, true, false],
            &[0, 2, 0, 2],
            None,
        )
        .unwrap();
        let t = data.test(Weights::LogRank).unwrap();
        assert_eq!(t.n, vec![2, 0, 2]);
        assert_eq!(t.expected[1], 0.0);
        assert_eq!(t.df, 1);
        let pairs = data.pairwise(Weights::LogRank, Adjust::Holm).unwrap();
        assert_eq!(pairs.len(), 1);
        assert_eq!((pairs[0].group1, pairs[0].group2), (0, 2));
        assert_eq!(pairs[0].chisq, t.chisq);
    }
}
