//! The counting pass of the log-rank family: records sorted by time, R's
//! `aeqSurv` merging of nearly equal times, the split by stratum, and one sweep
//! per stratum accumulating observed, expected and variance, in the order
//! survival's C routine `survdiff2` uses (from the last time backwards).
//!
//! The pass reads [`Entry`] values: a [`Record`] is one subject (count 1), a
//! [`Cell`] the tabulated subjects and events of one time, stratum and group
//! (what `crate::partial` evaluates from). Both go through the same generic
//! code, so rows and partial aggregates are one implementation; for rows it
//! compiles to exactly the per-subject loop `survdiff2` runs.

use super::Weights;

/// One subject, packed into 16 bytes so that sorting ten million of them
/// moves little memory: the time, the group with the event flag in bit 0,
/// and the stratum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Record {
    pub time: f64,
    code: u32,
    pub stratum: u32,
}

/// One sweep entry: its time, stratum and group, and how many subjects and
/// events it stands for.
pub(crate) trait Entry: Copy {
    /// True when every entry stands for exactly one subject (rows): the
    /// numbers at risk are then positions, as in `survdiff2`, and need no
    /// summing.
    const UNIT: bool;
    /// The time (finite, >= 0, -0 normalised).
    fn time(&self) -> f64;
    /// Rewrites the time (timefix).
    fn set_time(&mut self, time: f64);
    /// 0-based group.
    fn group(&self) -> usize;
    /// 0-based stratum.
    fn stratum(&self) -> usize;
    /// Number of subjects.
    fn count(&self) -> f64;
    /// Number of events.
    fn events(&self) -> f64;
}

impl Entry for Record {
    const UNIT: bool = true;
    #[inline]
    fn time(&self) -> f64 {
        self.time
    }
    #[inline]
    fn set_time(&mut self, time: f64) {
        self.time = time;
    }
    #[inline]
    fn group(&self) -> usize {
        (self.code >> 1) as usize
    }
    #[inline]
    fn stratum(&self) -> usize {
        self.stratum as usize
    }
    #[inline]
    fn count(&self) -> f64 {
        1.0
    }
    #[inline]
    fn events(&self) -> f64 {
        if self.event() { 1.0 } else { 0.0 }
    }
}

/// Subjects and events of one (time, stratum, group), tabulated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cell {
    pub time: f64,
    pub stratum: u32,
    pub group: u32,
    pub count: f64,
    pub events: f64,
}

impl Entry for Cell {
    const UNIT: bool = false;
    #[inline]
    fn time(&self) -> f64 {
        self.time
    }
    #[inline]
    fn set_time(&mut self, time: f64) {
        self.time = time;
    }
    #[inline]
    fn group(&self) -> usize {
        self.group as usize
    }
    #[inline]
    fn stratum(&self) -> usize {
        self.stratum as usize
    }
    #[inline]
    fn count(&self) -> f64 {
        self.count
    }
    #[inline]
    fn events(&self) -> f64 {
        self.events
    }
}

impl Record {
    pub fn new(time: f64, event: bool, group: u32, stratum: u32) -> Record {
        Record {
            time,
            code: (group << 1) | u32::from(event),
            stratum,
        }
    }

    #[inline]
    pub fn event(&self) -> bool {
        self.code & 1 == 1
    }
}

/// Sorts by time. Times are finite and >= 0 with -0 normalised to +0 (checked
/// by the caller), so the IEEE bit patterns order exactly as the numbers do
/// and the sort compares integers.
pub(crate) fn sort_by_time(records: &mut [Record]) {
    if records
        .windows(2)
        .all(|w| w[0].time.to_bits() <= w[1].time.to_bits())
    {
        return;
    }
    records.sort_unstable_by_key(|r| r.time.to_bits());
}

/// R's `aeqSurv` tolerance, `sqrt(.Machine$double.eps)`.
const TIMEFIX_TOLERANCE: f64 = 1.490_116_119_384_765_6e-8;

/// How two adjacent sorted times are judged equal: R's `aeqSurv` rule — two
/// consecutive distinct times are one time when their difference is at most
/// the tolerance, absolutely or relative to the mean absolute distinct time;
/// chains of such times collapse onto the first of them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TieRule {
    mean: f64,
}

impl TieRule {
    /// The rule for `sorted` (ascending) times: needs the mean of the
    /// distinct values.
    pub fn for_sorted<E: Entry>(sorted: &[E]) -> TieRule {
        let mut count = 0usize;
        let mut sum = 0.0;
        let mut previous = f64::NAN;
        for r in sorted {
            if r.time() != previous {
                count += 1;
                sum += r.time().abs();
                previous = r.time();
            }
        }
        let mean = if count == 0 {
            1.0
        } else if sum.is_finite() {
            sum / count as f64
        } else {
            // Times near 1e308 overflow the sum (issue 13): the infinite mean
            // tied every time to every other. R sums in long double; the mean
            // of the scaled values cannot overflow.
            let mut scaled = 0.0;
            let mut previous = f64::NAN;
            for r in sorted {
                if r.time() != previous {
                    scaled += r.time().abs() / count as f64;
                    previous = r.time();
                }
            }
            scaled
        };
        TieRule { mean }
    }

    /// True when `later` (>= `earlier`, adjacent in sorted order) belongs to
    /// the same time as `earlier`.
    #[inline]
    pub fn same(&self, earlier: f64, later: f64) -> bool {
        let dy = later - earlier;
        dy <= TIMEFIX_TOLERANCE || dy / self.mean <= TIMEFIX_TOLERANCE
    }

    /// True when some adjacent pair is tied without being exactly equal, so
    /// that times must be rewritten before strata are split apart.
    pub fn merges_any<E: Entry>(&self, sorted: &[E]) -> bool {
        sorted
            .windows(2)
            .any(|w| w[0].time() != w[1].time() && self.same(w[0].time(), w[1].time()))
    }

    /// Replaces every time by the first time of its chain (`aeqSurv`'s cut).
    pub fn apply<E: Entry>(&self, sorted: &mut [E]) {
        let mut cut = f64::NAN;
        let mut previous = f64::NAN;
        for r in sorted.iter_mut() {
            let raw = r.time();
            if !(previous == raw || (!previous.is_nan() && self.same(previous, raw))) {
                cut = raw;
            }
            previous = raw;
            r.set_time(cut);
        }
    }
}

/// Stable partition of time-sorted records by stratum (a counting sort), so
/// each stratum is a contiguous, still time-sorted, slice. Returns the slice
/// boundaries: stratum `s` is `out[bounds[s]..bounds[s + 1]]`.
pub(crate) fn split_strata<E: Entry>(
    sorted: &[E],
    n_strata: usize,
    out: &mut Vec<E>,
) -> Vec<usize> {
    let mut bounds = vec![0usize; n_strata + 1];
    for r in sorted {
        bounds[r.stratum() + 1] += 1;
    }
    for s in 0..n_strata {
        bounds[s + 1] += bounds[s];
    }
    let mut next = bounds.clone();
    out.clear();
    out.extend_from_slice(sorted);
    for r in sorted {
        let slot = &mut next[r.stratum()];
        out[*slot] = *r;
        *slot += 1;
    }
    bounds
}

/// Running sums of one test: observed and expected per stratum and group,
/// and the variance matrix summed over strata (row-major `k × k`).
#[derive(Debug, Clone)]
pub(crate) struct Sums {
    pub k: usize,
    pub observed: Vec<f64>,
    pub expected: Vec<f64>,
    pub variance: Vec<f64>,
}

impl Sums {
    pub fn new(k: usize, n_strata: usize) -> Sums {
        Sums {
            k,
            observed: vec![0.0; k * n_strata],
            expected: vec![0.0; k * n_strata],
            variance: vec![0.0; k * k],
        }
    }
}

/// Scratch buffers reused across strata and tests: the pooled left-continuous
/// Kaplan–Meier at each distinct time, and the per-group number at risk.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    km: Vec<f64>,
    risk: Vec<f64>,
}

/// Adds one stratum's contribution (records sorted by time, `same` deciding
/// which adjacent records share a time) to `sums`, stratum slot `stratum`.
///
/// As `survdiff2`: the pooled Kaplan–Meier of the stratum is computed first
/// as a left-continuous function, S(t-); then the times are visited from the
/// last one backwards, so that the number at risk in each group is a running
/// count. At a time with `d` events among `n` at risk (`n_g` in group g) and
/// weight `w`:
///   O_g += w per event of group g,
///   E_g += w d n_g / n,
///   V_gh += w² d (n - d) / (n (n - 1)) · n_g (δ_gh - n_h / n)   (n > 1).
pub(crate) fn accumulate<E: Entry, F: Fn(f64, f64) -> bool>(
    records: &[E],
    same: F,
    weights: Weights,
    stratum: usize,
    sums: &mut Sums,
    scratch: &mut Scratch,
) {
    let n = records.len();
    let k = sums.k;
    let needs_km = weights.needs_survival();
    if needs_km {
        scratch.km.clear();
        let total: f64 = if E::UNIT {
            n as f64
        } else {
            records.iter().map(Entry::count).sum()
        };
        let mut before = 0.0;
        let mut km = 1.0;
        let mut i = 0;
        while i < n {
            let mut deaths = records[i].events();
            let mut here = records[i].count();
            let mut j = i + 1;
            while j < n && same(records[j - 1].time(), records[j].time()) {
                deaths += records[j].events();
                if !E::UNIT {
                    here += records[j].count();
                }
                j += 1;
            }
            scratch.km.push(km);
            let nrisk = if E::UNIT {
                (n - i) as f64
            } else {
                total - before
            };
            km = km * (nrisk - deaths) / nrisk;
            before += here;
            i = j;
        }
    }
    scratch.risk.clear();
    scratch.risk.resize(k, 0.0);
    let risk = &mut scratch.risk;
    let offset = stratum * k;
    let observed = &mut sums.observed[offset..offset + k];
    let expected = &mut sums.expected[offset..offset + k];
    let variance = &mut sums.variance;
    let mut time_index = scratch.km.len();
    let mut at_risk = 0.0;
    let mut end = n;
    while end > 0 {
        let mut start = end - 1;
        let mut here = records[start].count();
        while start > 0 && same(records[start - 1].time(), records[start].time()) {
            start -= 1;
            if !E::UNIT {
                here += records[start].count();
            }
        }
        let nrisk = if E::UNIT {
            (n - start) as f64
        } else {
            at_risk += here;
            at_risk
        };
        let wt = if needs_km {
            time_index -= 1;
            weights.weight(scratch.km[time_index], nrisk)
        } else {
            weights.weight(1.0, nrisk)
        };
        let mut deaths = 0.0;
        for r in records[start..end].iter().rev() {
            let g = r.group();
            risk[g] += r.count();
            if E::UNIT {
                // One subject: survdiff2's `obs += wt` per death.
                if r.events() > 0.0 {
                    deaths += 1.0;
                    observed[g] += wt;
                }
            } else {
                // Guarded: wt may be infinite (S = 0 with rho < 0) where no
                // one dies, and inf * 0 would poison the sum.
                let d = r.events();
                if d > 0.0 {
                    deaths += d;
                    observed[g] += wt * d;
                }
            }
        }
        if deaths > 0.0 {
            for g in 0..k {
                expected[g] += wt * deaths * risk[g] / nrisk;
            }
            if nrisk > 1.0 {
                let wt2 = wt * wt;
                for j in 0..k {
                    if risk[j] == 0.0 {
                        continue;
                    }
                    let tmp = wt2 * deaths * risk[j] * (nrisk - deaths) / (nrisk * (nrisk - 1.0));
                    let row = &mut variance[j * k..(j + 1) * k];
                    row[j] += tmp;
                    for h in 0..k {
                        row[h] -= tmp * risk[h] / nrisk;
                    }
                }
            }
        }
        end = start;
    }
}

#[cfg(test)]
mod overflow_tests {
    use super::*;

    #[test]
    fn times_near_the_largest_double_are_not_all_tied() {
        let records = [
            Record::new(1.0e308, true, 0, 0),
            Record::new(1.5e308, true, 1, 0),
            Record::new(1.7e308, false, 0, 0),
        ];
        let rule = TieRule::for_sorted(&records);
        assert!(rule.mean.is_finite());
        assert!(!rule.same(1.0e308, 1.5e308));
        assert!(!rule.merges_any(&records));
    }
}
