//! Input checks, the one sort, R's `timefix`, and the split into groups.
//!
//! Every row becomes a 16-byte record (time bits, row, group and status)
//! sorted once by a stable LSD radix sort on the time's bit pattern: for
//! non-negative finite doubles the IEEE-754 bits order exactly as the values
//! do, and times recorded in days or months leave most low bytes constant, so
//! most of the eight byte passes are skipped. Stability keeps tied times in
//! row order, as R's `order()` does. Groups are then separated by one stable
//! counting pass, so every group's rows stay sorted by time.

use super::KmError;

/// One observation, packed so that sorting moves 16 bytes per row.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Rec {
    /// Bits of the (time-fixed) time; non-negative so bits order as values.
    pub key: u64,
    /// Row in the caller's arrays (for the weight).
    pub row: u32,
    /// `group << 1 | event`.
    pub gs: u32,
}

impl Rec {
    pub fn time(&self) -> f64 {
        f64::from_bits(self.key)
    }
    pub fn event(&self) -> bool {
        self.gs & 1 == 1
    }
    pub fn group(&self) -> usize {
        (self.gs >> 1) as usize
    }
}

/// Largest number of rows or groups the packed record can address.
const MAX_ROWS: usize = u32::MAX as usize;
const MAX_GROUPS: usize = (u32::MAX >> 1) as usize;

/// Checks the inputs; returns whether any weight has a fractional part
/// (R's `has.rwt`, which switches `survfit` to the robust variance).
pub(crate) fn validate(
    time: &[f64],
    event: &[bool],
    weights: Option<&[f64]>,
    group: Option<(&[u32], usize)>,
) -> Result<bool, KmError> {
    let n = time.len();
    if event.len() != n {
        return Err(KmError::LengthMismatch {
            what: "event",
            expected: n,
            found: event.len(),
        });
    }
    if let Some(w) = weights
        && w.len() != n
    {
        return Err(KmError::LengthMismatch {
            what: "weights",
            expected: n,
            found: w.len(),
        });
    }
    if let Some((g, k)) = group {
        if g.len() != n {
            return Err(KmError::LengthMismatch {
                what: "group",
                expected: n,
                found: g.len(),
            });
        }
        if k == 0 || k > MAX_GROUPS {
            return Err(KmError::InvalidGroupCount(k));
        }
        if let Some(row) = g.iter().position(|&x| x as usize >= k) {
            return Err(KmError::GroupOutOfRange {
                row,
                group: g[row],
                n_groups: k,
            });
        }
    }
    if n == 0 {
        return Err(KmError::Empty);
    }
    if n > MAX_ROWS {
        return Err(KmError::TooManyRows(n));
    }
    for (row, &t) in time.iter().enumerate() {
        if !t.is_finite() {
            return Err(KmError::NonFiniteTime { row, value: t });
        }
        if t < 0.0 {
            return Err(KmError::NegativeTime { row, value: t });
        }
    }
    let mut fractional = false;
    if let Some(w) = weights {
        for (row, &x) in w.iter().enumerate() {
            if !x.is_finite() {
                return Err(KmError::NonFiniteWeight { row, value: x });
            }
            if x < 0.0 {
                return Err(KmError::NegativeWeight { row, value: x });
            }
            fractional |= x != x.floor();
        }
    }
    Ok(fractional)
}

/// Packs the (validated) rows into records.
pub(crate) fn records(time: &[f64], event: &[bool], group: Option<&[u32]>) -> Vec<Rec> {
    let mut out = Vec::with_capacity(time.len());
    for (i, (&t, &e)) in time.iter().zip(event).enumerate() {
        // +0.0 and -0.0 are the same time; -0.0's bits would sort last.
        let key = if t == 0.0 { 0 } else { t.to_bits() };
        let g = group.map_or(0, |g| g[i]);
        out.push(Rec {
            key,
            row: i as u32,
            gs: (g << 1) | e as u32,
        });
    }
    out
}

/// Stable LSD radix sort of `recs` by `key`, one byte per pass, skipping
/// passes in which every key has the same byte. `scratch` is reused.
pub(crate) fn radix_sort(recs: &mut Vec<Rec>, scratch: &mut Vec<Rec>) {
    let n = recs.len();
    if n < 2 {
        return;
    }
    if n <= 256 {
        recs.sort_by_key(|r| r.key); // stable, cheaper than 8 histogram passes
        return;
    }
    if counting_sort_whole(recs, scratch) {
        return;
    }
    // All eight histograms in one read of the data.
    let mut counts = vec![[0usize; 256]; 8];
    for r in recs.iter() {
        let k = r.key;
        for (b, c) in counts.iter_mut().enumerate() {
            c[((k >> (8 * b)) & 0xFF) as usize] += 1;
        }
    }
    scratch.clear();
    scratch.resize(n, Rec::default());
    for (b, count) in counts.iter().enumerate() {
        if count.contains(&n) {
            continue; // every key has the same byte here
        }
        let mut offsets = [0usize; 256];
        let mut sum = 0;
        for (o, &c) in offsets.iter_mut().zip(count.iter()) {
            *o = sum;
            sum += c;
        }
        let shift = 8 * b;
        for r in recs.iter() {
            let d = ((r.key >> shift) & 0xFF) as usize;
            scratch[offsets[d]] = *r;
            offsets[d] += 1;
        }
        std::mem::swap(recs, scratch);
    }
}

/// Times in days or months are whole numbers in a range of at most
/// `WHOLE_RANGE_PER_ROW` per row: ordered by one counting pass over their
/// values (a check pass, a histogram, one scatter) instead of the radix
/// sort's eight histograms and three or four scatters. The order is the
/// radix sort's exactly: for non-negative whole numbers the value orders as
/// the bits do, equal values have equal bits, and the scatter keeps rows of
/// one value in their order. Returns `false` (and leaves `recs` as they
/// were) when a key is not such a number.
fn counting_sort_whole(recs: &mut Vec<Rec>, scratch: &mut Vec<Rec>) -> bool {
    let n = recs.len();
    let limit = (WHOLE_RANGE_PER_ROW * n).min(u32::MAX as usize - 1) as f64;
    let mut top = 0u32;
    for r in recs.iter() {
        let t = f64::from_bits(r.key);
        // The sign bit (a negative zero's bits sort last in the radix
        // sort), values beyond the range, fractions and NaN (`as u32`
        // gives 0, which differs from it) take the general path; `as u32`
        // is exact up to `limit`.
        if r.key >> 63 != 0 || t > limit || f64::from(t as u32) != t {
            return false;
        }
        top = top.max(t as u32);
    }
    let mut offsets = vec![0u32; top as usize + 1];
    for r in recs.iter() {
        offsets[f64::from_bits(r.key) as u32 as usize] += 1;
    }
    let mut sum = 0u32;
    for o in offsets.iter_mut() {
        let c = *o;
        *o = sum;
        sum += c;
    }
    scratch.clear();
    scratch.resize(n, Rec::default());
    for r in recs.iter() {
        let slot = &mut offsets[f64::from_bits(r.key) as u32 as usize];
        scratch[*slot as usize] = *r;
        *slot += 1;
    }
    std::mem::swap(recs, scratch);
    true
}

/// The widest range of whole-number times, per row, that
/// [`counting_sort_whole`] orders (its histogram then holds at most four
/// 4-byte counts per 16-byte record).
const WHOLE_RANGE_PER_ROW: usize = 4;

/// R's `aeqSurv` on the sorted records: distinct times closer than
/// `sqrt(.Machine$double.eps)` — absolutely, or relative to the mean of the
/// distinct absolute times — are replaced by the first time of their run
/// (runs chain: each gap is judged against its neighbour, as `diff()` does).
/// Applied to all rows before grouping, as `survfit.formula` does.
pub(crate) fn timefix(recs: &mut [Rec]) {
    let Some(rule) = AeqSurv::new(&DistinctOfRecords(recs)) else {
        return;
    };
    let mut prev_time = recs[0].time();
    let mut cut = recs[0].key;
    for r in recs.iter_mut() {
        let t = r.time();
        if t != prev_time {
            if !rule.tied(prev_time, t) {
                cut = r.key;
            }
            prev_time = t;
        }
        r.key = cut;
    }
}

/// The same `aeqSurv` rule on ascending distinct time bits (the union of
/// the times of a merged partial aggregate): the time bits each one is
/// replaced by.
pub(crate) fn timefix_keys(keys: &[u64]) -> Vec<u64> {
    let mut out = keys.to_vec();
    let Some(rule) = AeqSurv::new(&DistinctKeys(keys)) else {
        return out;
    };
    for i in 1..out.len() {
        if rule.tied(f64::from_bits(keys[i - 1]), f64::from_bits(keys[i])) {
            out[i] = out[i - 1];
        }
    }
    out
}

/// Ascending distinct times, visited in order (twice: for the mean and its
/// correction).
trait DistinctTimes {
    fn for_each<F: FnMut(f64)>(&self, f: F);
}

/// The distinct times of sorted records.
struct DistinctOfRecords<'a>(&'a [Rec]);

impl DistinctTimes for DistinctOfRecords<'_> {
    #[inline]
    fn for_each<F: FnMut(f64)>(&self, mut f: F) {
        let mut prev: Option<u64> = None;
        for r in self.0 {
            if prev != Some(r.key) {
                f(r.time());
                prev = Some(r.key);
            }
        }
    }
}

/// Ascending distinct time bits.
struct DistinctKeys<'a>(&'a [u64]);

impl DistinctTimes for DistinctKeys<'_> {
    #[inline]
    fn for_each<F: FnMut(f64)>(&self, mut f: F) {
        for &k in self.0 {
            f(f64::from_bits(k));
        }
    }
}

/// `aeqSurv`'s tie rule for one set of distinct times.
struct AeqSurv {
    mean: f64,
}

impl AeqSurv {
    /// The rule for ascending distinct times; `None` for fewer than two.
    /// The mean uses compensated summation (R's `mean` accumulates in long
    /// double and refines with a second pass).
    fn new(distinct: &impl DistinctTimes) -> Option<AeqSurv> {
        let mut sum = Neumaier::default();
        let mut count = 0usize;
        distinct.for_each(|t| {
            sum.add(t);
            count += 1;
        });
        if count < 2 {
            return None;
        }
        let mean0 = sum.value() / count as f64;
        let mut corr = Neumaier::default();
        distinct.for_each(|t| corr.add(t - mean0));
        Some(AeqSurv {
            mean: mean0 + corr.value() / count as f64,
        })
    }

    /// True when the later of two adjacent distinct times joins the run of
    /// the earlier one.
    fn tied(&self, earlier: f64, later: f64) -> bool {
        let tol = f64::EPSILON.sqrt();
        let dy = later - earlier;
        dy <= tol || dy / self.mean <= tol
    }
}

/// Stable counting sort of time-sorted records by group: afterwards group `g`
/// occupies `bounds[g]..bounds[g + 1]`, still sorted by time.
pub(crate) fn split_groups(
    recs: &mut Vec<Rec>,
    scratch: &mut Vec<Rec>,
    n_groups: usize,
) -> Vec<usize> {
    let mut bounds = vec![0usize; n_groups + 1];
    for r in recs.iter() {
        bounds[r.group() + 1] += 1;
    }
    for g in 0..n_groups {
        bounds[g + 1] += bounds[g];
    }
    if n_groups > 1 {
        scratch.clear();
        scratch.resize(recs.len(), Rec::default());
        let mut next = bounds.clone();
        for r in recs.iter() {
            let g = r.group();
            scratch[next[g]] = *r;
            next[g] += 1;
        }
        std::mem::swap(recs, scratch);
    }
    bounds
}

/// Neumaier's compensated sum: close to R's long-double accumulation.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Neumaier {
    sum: f64,
    comp: f64,
}

impl Neumaier {
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
    }
    pub fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted_times(times: &[f64]) -> Vec<f64> {
        let event = vec![false; times.len()];
        let mut recs = records(times, &event, None);
        let mut scratch = Vec::new();
        radix_sort(&mut recs, &mut scratch);
        recs.iter().map(Rec::time).collect()
    }

    #[test]
    fn radix_sort_orders_values_and_is_stable() {
        // More than 256 rows so the radix path (not the fallback) runs.
        let times: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 613) as f64 * 0.37 + if i % 5 == 0 { 1e-3 } else { 0.0 })
            .collect();
        let mut expected = times.clone();
        expected.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(sorted_times(&times), expected);

        let event = vec![false; 600];
        let t: Vec<f64> = (0..600).map(|i| (i % 3) as f64).collect();
        let mut recs = records(&t, &event, None);
        radix_sort(&mut recs, &mut Vec::new());
        for w in recs.windows(2) {
            if w[0].key == w[1].key {
                assert!(w[0].row < w[1].row, "ties keep row order");
            }
        }
    }

    /// The counting path for whole-number times gives the radix sort's
    /// order (values and the rows of ties), and other keys fall back.
    #[test]
    fn whole_number_times_sort_as_the_radix_sort_does() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (n, range) in [(300usize, 50u64), (5000, 20_000), (4000, 16_000), (1000, 7)] {
            let times: Vec<f64> = (0..n).map(|_| (next() % range) as f64).collect();
            let group: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
            let event: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
            let recs = records(&times, &event, Some(&group));
            let mut counted = recs.clone();
            assert!(counting_sort_whole(&mut counted, &mut Vec::new()));
            // The reference: a stable sort by key.
            let mut reference = recs.clone();
            reference.sort_by_key(|r| r.key);
            let pairs = |v: &[Rec]| v.iter().map(|r| (r.key, r.row, r.gs)).collect::<Vec<_>>();
            assert_eq!(pairs(&counted), pairs(&reference), "n {n} range {range}");
        }
        // Fractions, values beyond 4 per row, a negative zero's bits and
        // NaN are not for this path.
        for bad in [0.5, 5000.0, f64::NAN] {
            let mut times = vec![1.0; 1000];
            times[7] = bad;
            let mut recs = records(&times, &vec![true; 1000], None);
            assert!(!counting_sort_whole(&mut recs, &mut Vec::new()), "{bad}");
        }
        let mut recs = records(&[1.0; 1000], &vec![true; 1000], None);
        recs[3].key = (-0.0f64).to_bits();
        assert!(!counting_sort_whole(&mut recs, &mut Vec::new()));
    }

    #[test]
    fn negative_zero_sorts_as_zero() {
        assert_eq!(sorted_times(&[1.0, -0.0, 0.5]), vec![0.0, 0.5, 1.0]);
    }

    #[test]
    fn timefix_merges_near_ties_to_the_first_of_the_run() {
        let t = [2.0 + 1e-10, 1.0, 1.0 + 1e-10, 2.0, 3.0];
        let event = vec![true; t.len()];
        let mut recs = records(&t, &event, None);
        radix_sort(&mut recs, &mut Vec::new());
        timefix(&mut recs);
        let fixed: Vec<f64> = recs.iter().map(Rec::time).collect();
        assert_eq!(fixed, vec![1.0, 1.0, 2.0, 2.0, 3.0]);
    }

    #[test]
    fn split_keeps_time_order_within_groups() {
        let t = [5.0, 1.0, 4.0, 2.0, 3.0];
        let g = [1u32, 0, 1, 0, 1];
        let event = vec![true; 5];
        let mut recs = records(&t, &event, Some(&g));
        let mut scratch = Vec::new();
        radix_sort(&mut recs, &mut scratch);
        let bounds = split_groups(&mut recs, &mut scratch, 2);
        assert_eq!(bounds, vec![0, 2, 5]);
        let times: Vec<f64> = recs.iter().map(Rec::time).collect();
        assert_eq!(times, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        assert!(recs[..2].iter().all(|r| r.group() == 0));
    }
}
