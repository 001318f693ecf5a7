//! One sort, then contiguous buffers in the order the likelihood walks them.
//!
//! Rows are ordered by stratum, then by (stop) time *descending*, censored
//! rows before events at the same time: the risk
//! set of a time is everyone seen so far, so one backward pass accumulates
//! it. Covariates are copied row-major (one row's `p` values together, the
//! access pattern of the pass), centred at their weighted mean and scaled by
//! `sum(w) / sum(w |x - mean|)` as survival's `coxfit6`/`agfit4` do; columns
//! whose values are all in {-1, 0, 1} are left alone (`coxph`'s
//! `nocenter = c(-1, 0, 1)`). Centring and scaling change nothing
//! mathematically; they keep `exp()` in range and make the singularity
//! tolerance of the Cholesky step relative, as in R.
//!
//! For (start, stop] data a second ordering by start time (descending)
//! drives removals from the risk set, and rows whose interval contains no
//! event time of their stratum are left out, as `agreg.fit` does: they are
//! never at risk at an event and contribute nothing.

use super::CoxError;

/// The fit's view of the data.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// Rows used.
    pub n: usize,
    /// Covariates.
    pub p: usize,
    /// Stop (or follow-up) time, processing order.
    pub stop: Vec<f64>,
    /// Start time for (start, stop] data.
    pub start: Option<Vec<f64>>,
    /// Event indicator.
    pub event: Vec<bool>,
    /// Case weight.
    pub weight: Weights,
    /// Row-major, centred and scaled covariates.
    pub x: Vec<f64>,
    /// Original row of each position.
    pub row: Vec<u32>,
    /// Strata as `[begin, end)` position ranges.
    pub blocks: Vec<(usize, usize)>,
    /// (start, stop] data: positions ordered by stratum, start descending.
    pub removal: Vec<u32>,
    /// Per block, where its removals begin in `removal`.
    pub removal_begin: Vec<usize>,
    /// Weighted means subtracted (0 for uncentred columns).
    pub mean: Vec<f64>,
    /// Scale factors applied after centring.
    pub scale: Vec<f64>,
}

/// Case weights in processing order, or none for an unweighted fit: every
/// weight is then 1 ([`Weights::at`] and indexing give 1.0). A vector of
/// ones was 8 MB of fresh pages at 10⁶ rows, written and scanned only to
/// multiply by 1.
#[derive(Debug, Clone)]
pub(crate) struct Weights(Option<Vec<f64>>);

/// The weight of every row of an unweighted fit.
static ONE: f64 = 1.0;

impl Weights {
    /// Whether every weight is 1 (no weights, or weights that are all 1:
    /// the sums are then the unweighted ones).
    pub fn is_unit(&self) -> bool {
        self.0.as_ref().is_none_or(|w| w.iter().all(|&v| v == 1.0))
    }

    /// The weights of positions `lo..hi`; `None` when there are none
    /// (every weight 1).
    pub fn slice(&self, lo: usize, hi: usize) -> Option<&[f64]> {
        self.0.as_ref().map(|w| &w[lo..hi])
    }

    /// `Σ w` over positions `lo..hi`, in position order (the same sum as
    /// over a vector of ones).
    pub fn sum(&self, lo: usize, hi: usize) -> f64 {
        match &self.0 {
            Some(w) => w[lo..hi].iter().sum(),
            None => std::iter::repeat_n(1.0, hi - lo).sum(),
        }
    }
}

impl std::ops::Index<usize> for Weights {
    type Output = f64;

    #[inline]
    fn index(&self, pos: usize) -> &f64 {
        match &self.0 {
            Some(w) => &w[pos],
            None => &ONE,
        }
    }
}

pub(crate) use super::sort::desc_key;
use super::sort::{argsort_by_key, reorder_by_key, stable_by_group};

/// Inputs of [`prepare`], all in original row order.
pub(crate) struct Raw<'a> {
    pub stop: &'a [f64],
    pub start: Option<&'a [f64]>,
    pub event: &'a [bool],
    pub weight: Option<&'a [f64]>,
    pub strata: Option<&'a [u32]>,
    /// Column-major, `n × p`.
    pub x: &'a [f64],
    pub p: usize,
}

pub(crate) fn prepare(raw: &Raw<'_>) -> Result<Prepared, CoxError> {
    let n_all = raw.stop.len();
    let p = raw.p;

    // The one sort: (stratum, stop descending, censored rows before
    // events), ties in row order. Censored rows first make the rows that
    // join the risk set before a time's events one contiguous run
    // (`grouped`); nothing else depends on the order within a time. The
    // position of each row is what the copies below need.
    // By day, the rows of a time go to one run of positions in row order:
    // the copies below write a few thousand sequential streams, which need
    // no touching ahead (it would only wait for fresh pages).
    let (pos_of, n, touch_ahead, days) = match direct_keys(raw) {
        Some(keys) => {
            let (pos_of, starts) = positions_by_day(raw, keys.top, keys.buckets);
            // A stop time of -0.0 would come back as 0.0 from its day.
            let days = (!keys.negative_zero).then_some(Days {
                top: keys.top,
                starts,
            });
            (pos_of, n_all, false, days)
        }
        None => {
            let (pos_of, n) = positions_by_sort(raw);
            (pos_of, n, true, None)
        }
    };
    if n == 0 {
        return Err(CoxError::NoEvents);
    }

    // Two jobs, on two threads for large data: the per-row arrays, and the
    // centring and row-major copy of the covariates.
    let rows_job = || scatter_rows(raw, &pos_of, n, touch_ahead, days.as_ref());
    let cov_job = || centre_and_scatter(raw, &pos_of, n, p, touch_ahead);
    let (rows, (x, mean, scale)) =
        if n_all >= 100_000 && std::thread::available_parallelism().map_or(1, |v| v.get()) > 1 {
            std::thread::scope(|scope| {
                let h = scope.spawn(rows_job);
                let cov = cov_job();
                (h.join().expect("prepare worker"), cov)
            })
        } else {
            (rows_job(), cov_job())
        };
    let RowArrays {
        stop,
        event,
        weight,
        row,
        start,
        code,
    } = rows;
    let mut blocks = Vec::new();
    match code {
        None => blocks.push((0, n)),
        Some(code) => {
            let mut b0 = 0;
            for k in 1..=n {
                if k == n || code[k] != code[k - 1] {
                    blocks.push((b0, k));
                    b0 = k;
                }
            }
        }
    }
    drop(pos_of);

    let (removal, removal_begin) = match &start {
        None => (Vec::new(), Vec::new()),
        Some(st) => {
            let by_start = argsort_by_key(n, |pos| desc_key(st[pos]));
            let mut block_of = vec![0u32; n];
            for (b, &(b0, b1)) in blocks.iter().enumerate() {
                block_of[b0..b1].iter_mut().for_each(|v| *v = b as u32);
            }
            let removal = stable_by_group(by_start, |pos| block_of[pos as usize]);
            let begin = blocks.iter().map(|&(b0, _)| b0).collect();
            (removal, begin)
        }
    };

    Ok(Prepared {
        n,
        p,
        stop,
        start,
        event,
        weight,
        x,
        row,
        blocks,
        removal,
        removal_begin,
        mean,
        scale,
    })
}

/// Positions by the general sort (radix sort of the time keys, strata,
/// (start, stop] rows never at risk left out: `u32::MAX`).
fn positions_by_sort(raw: &Raw<'_>) -> (Vec<u32>, usize) {
    let n_all = raw.stop.len();
    let mut by_event = Vec::with_capacity(n_all);
    by_event.extend((0..n_all as u32).filter(|&i| !raw.event[i as usize]));
    by_event.extend((0..n_all as u32).filter(|&i| raw.event[i as usize]));
    let order = reorder_by_key(by_event, |i| desc_key(raw.stop[i]));
    let order = match raw.strata {
        None => order,
        Some(s) => stable_by_group(order, |i| s[i as usize]),
    };

    // (start, stop]: drop rows whose interval holds no event time of their
    // stratum.
    let order = match raw.start {
        None => order,
        Some(start) => keep_at_risk(&order, raw.stop, start, raw.event, raw.strata),
    };

    // Scatter the rows to their positions: every input array is read in
    // sequence and each row is written once, which costs far fewer cache
    // misses than gathering p columns at random.
    let mut pos_of = vec![u32::MAX; n_all];
    for (pos, &i) in order.iter().enumerate() {
        if let Some(&ahead) = order.get(pos + AHEAD) {
            std::hint::black_box(pos_of[ahead as usize]);
        }
        pos_of[i as usize] = pos as u32;
    }
    (pos_of, order.len())
}

/// Most buckets of [`positions_by_day`] per row (beyond a floor): wider
/// ranges of times take the general sort.
const DAY_BUCKETS_PER_ROW: usize = 4;

/// Right-censored data without strata whose times are whole numbers in a
/// range of at most a few buckets per row (times in days): the largest
/// time and the number of buckets of a counting sort by
/// `(largest − time, event)`.
/// The keys of [`positions_by_day`]: the largest time, the number of
/// buckets, and whether a time is -0.0 (its bucket's time is 0.0).
struct DayKeys {
    top: f64,
    buckets: usize,
    negative_zero: bool,
}

fn direct_keys(raw: &Raw<'_>) -> Option<DayKeys> {
    if raw.strata.is_some() || raw.start.is_some() || raw.stop.is_empty() {
        return None;
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut whole = true;
    let mut negative_zero = false;
    for &t in raw.stop {
        whole &= super::is_whole(t);
        negative_zero |= t.to_bits() == (-0.0f64).to_bits();
        lo = lo.min(t);
        hi = hi.max(t);
    }
    let limit = (DAY_BUCKETS_PER_ROW * raw.stop.len()).max(1 << 16);
    // Whole numbers below 2^52 in magnitude: `hi − t` is exact.
    if !whole || hi.abs() >= 4.5e15 || lo.abs() >= 4.5e15 || hi - lo >= (limit / 2) as f64 {
        return None;
    }
    Some(DayKeys {
        top: hi,
        buckets: 2 * ((hi - lo) as usize + 1),
        negative_zero,
    })
}

/// Positions by one counting pass over `(top − time)·2 + event`: the order
/// of the general sort (stable, so ties keep their row order), without it;
/// and the first position of each bucket (`buckets + 1` of them, the last
/// the number of rows).
fn positions_by_day(raw: &Raw<'_>, top: f64, buckets: usize) -> (Vec<u32>, Vec<u32>) {
    let key = |i: usize| (top - raw.stop[i]) as usize * 2 + usize::from(raw.event[i]);
    let n_all = raw.stop.len();
    let mut next = vec![0u32; buckets + 1];
    for i in 0..n_all {
        next[key(i) + 1] += 1;
    }
    for b in 1..=buckets {
        next[b] += next[b - 1];
    }
    let starts = next.clone();
    let mut pos_of = vec![0u32; n_all];
    for (i, p) in pos_of.iter_mut().enumerate() {
        let k = key(i);
        *p = next[k];
        next[k] += 1;
    }
    (pos_of, starts)
}

/// Positions by day ([`positions_by_day`]) of times without -0.0: the
/// rows of bucket `b` (`starts[b]..starts[b + 1]`) all have the time
/// `top − b/2` (exact: whole numbers below 2^52) and the event flag
/// `b & 1`, so those arrays are written run by run rather than scattered.
struct Days {
    top: f64,
    starts: Vec<u32>,
}

/// The per-row arrays in processing order.
struct RowArrays {
    stop: Vec<f64>,
    event: Vec<bool>,
    weight: Weights,
    row: Vec<u32>,
    start: Option<Vec<f64>>,
    code: Option<Vec<u32>>,
}

/// How many rows ahead a scatter touches its destination.
const AHEAD: usize = 16;

/// Scatters the rows to their positions: every input array is read in
/// sequence and each row is written once, which costs far fewer cache
/// misses than gathering at random.
fn scatter_rows(
    raw: &Raw<'_>,
    pos_of: &[u32],
    n: usize,
    touch_ahead: bool,
    days: Option<&Days>,
) -> RowArrays {
    if let Some(days) = days {
        return rows_by_day(raw, pos_of, days);
    }
    let mut stop = vec![0.0; n];
    let mut event = vec![false; n];
    let mut row = vec![0u32; n];
    for (i, &pos) in pos_of.iter().enumerate() {
        if touch_ahead
            && let Some(&ahead) = pos_of.get(i + AHEAD)
            && ahead != u32::MAX
        {
            let ahead = ahead as usize;
            std::hint::black_box((stop[ahead], event[ahead], row[ahead]));
        }
        if pos != u32::MAX {
            let pos = pos as usize;
            stop[pos] = raw.stop[i];
            event[pos] = raw.event[i];
            row[pos] = i as u32;
        }
    }
    let scatter = |src: &[f64], dst: &mut [f64]| {
        for (i, &pos) in pos_of.iter().enumerate() {
            if pos != u32::MAX {
                dst[pos as usize] = src[i];
            }
        }
    };
    let weight = Weights(raw.weight.map(|w| {
        let mut weight = vec![0.0; n];
        scatter(w, &mut weight);
        weight
    }));
    let start = raw.start.map(|st| {
        let mut v = vec![0.0; n];
        scatter(st, &mut v);
        v
    });
    let code = raw.strata.map(|strata| {
        let mut code = vec![0u32; n];
        for (i, &pos) in pos_of.iter().enumerate() {
            if pos != u32::MAX {
                code[pos as usize] = strata[i];
            }
        }
        code
    });
    RowArrays {
        stop,
        event,
        weight,
        row,
        start,
        code,
    }
}

/// [`scatter_rows`] for positions by day (every row used, no strata, no
/// start times): times and event flags run by run from the buckets, the
/// original row (and weight) scattered — one scattered array instead of
/// three (each scattered write to one of thousands of runs misses the
/// TLB); the same arrays.
fn rows_by_day(raw: &Raw<'_>, pos_of: &[u32], days: &Days) -> RowArrays {
    let n = pos_of.len();
    let mut stop = Vec::with_capacity(n);
    let mut event = Vec::with_capacity(n);
    for (b, run) in days.starts.windows(2).enumerate() {
        let len = (run[1] - run[0]) as usize;
        stop.extend(std::iter::repeat_n(days.top - (b / 2) as f64, len));
        event.extend(std::iter::repeat_n(b % 2 == 1, len));
    }
    let mut row = vec![0u32; n];
    for (i, &pos) in pos_of.iter().enumerate() {
        row[pos as usize] = i as u32;
    }
    let weight = Weights(raw.weight.map(|w| {
        let mut weight = vec![0.0; n];
        for (i, &pos) in pos_of.iter().enumerate() {
            weight[pos as usize] = w[i];
        }
        weight
    }));
    RowArrays {
        stop,
        event,
        weight,
        row,
        start: None,
        code: None,
    }
}

/// Weighted means and scale factors over the rows used (columns of -1/0/1
/// values are left alone), and the centred, scaled, row-major copy.
fn centre_and_scatter(
    raw: &Raw<'_>,
    pos_of: &[u32],
    n: usize,
    p: usize,
    touch_ahead: bool,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n_all = pos_of.len();
    let all_used = n == n_all;
    let used = |i: usize| all_used || pos_of[i] != u32::MAX;
    let wt = |i: usize| raw.weight.map_or(1.0, |w| w[i]);
    let total_w: f64 = match raw.weight {
        None => n as f64,
        Some(w) => (0..n_all).filter(|&i| used(i)).map(|i| w[i]).sum(),
    };
    let mut mean = vec![0.0; p];
    let mut scale = vec![1.0; p];
    if all_used && raw.weight.is_none() {
        // The usual case without the per-row tests: the same sums, in the
        // same row order, several columns per pass (see `column_sums`).
        let centred: Vec<usize> = (0..p)
            .filter(|&j| !all_sign_values(&raw.x[j * n_all..(j + 1) * n_all]))
            .collect();
        let cols: Vec<&[f64]> = centred
            .iter()
            .map(|&j| &raw.x[j * n_all..(j + 1) * n_all])
            .collect();
        let sums = column_sums(&cols, None);
        let means: Vec<f64> = sums.iter().map(|s| s / total_w).collect();
        let abs = column_sums(&cols, Some(&means));
        for (k, &j) in centred.iter().enumerate() {
            mean[j] = means[k];
            scale[j] = if abs[k] > 0.0 { total_w / abs[k] } else { 1.0 };
        }
    }
    for j in 0..p {
        if all_used && raw.weight.is_none() {
            break; // done above
        }
        let col = &raw.x[j * n_all..(j + 1) * n_all];
        let mut zero_one = true;
        let mut s = 0.0;
        for (i, &v) in col.iter().enumerate() {
            zero_one &= v == 0.0 || v == 1.0 || v == -1.0;
            if used(i) {
                s += wt(i) * v;
            }
        }
        if zero_one {
            continue;
        }
        let m = s / total_w;
        let mut abs = 0.0;
        for (i, &v) in col.iter().enumerate() {
            if used(i) {
                abs += wt(i) * (v - m).abs();
            }
        }
        mean[j] = m;
        scale[j] = if abs > 0.0 { total_w / abs } else { 1.0 };
    }
    let mut x = vec![0.0; n * p];
    let cols: Vec<&[f64]> = (0..p).map(|j| &raw.x[j * n_all..(j + 1) * n_all]).collect();
    for (i, &pos) in pos_of.iter().enumerate() {
        // Destinations are random: touching the row written AHEAD rows
        // later brings its line into cache while this one is written (the
        // writes would otherwise fill the store buffer and stall).
        if touch_ahead
            && let Some(&ahead) = pos_of.get(i + AHEAD)
            && ahead != u32::MAX
        {
            std::hint::black_box(x[ahead as usize * p]);
        }
        if pos != u32::MAX {
            let dst = &mut x[pos as usize * p..(pos as usize + 1) * p];
            for (j, d) in dst.iter_mut().enumerate() {
                *d = (cols[j][i] - mean[j]) * scale[j];
            }
        }
    }
    (x, mean, scale)
}

/// Whether every value of `col` is -1, 0 or 1 (`coxph`'s `nocenter`): such
/// a column is neither centred nor scaled. Checked in blocks without a
/// branch per value (the comparisons vectorise), stopping at the first
/// block with another value.
fn all_sign_values(col: &[f64]) -> bool {
    col.chunks(256).all(|block| {
        block
            .iter()
            .fold(true, |ok, &v| ok & ((v == 0.0) | (v.abs() == 1.0)))
    })
}

/// Per column, `Σ v` (`centre` `None`) or `Σ |v − centre|` over all rows,
/// each sum adding the same terms in the same row order as a fold of its
/// column alone (so the same value), but up to four columns per pass: a
/// lone fold waits on each addition's latency, four independent ones do
/// not.
fn column_sums(cols: &[&[f64]], centre: Option<&[f64]>) -> Vec<f64> {
    let mut out = Vec::with_capacity(cols.len());
    for (g, group) in cols.chunks(4).enumerate() {
        let m = |k: usize| centre.map(|c| c[4 * g + k]);
        match group {
            [a] => out.extend(sums_of::<1>([a], [m(0)])),
            [a, b] => out.extend(sums_of::<2>([a, b], [m(0), m(1)])),
            [a, b, c] => out.extend(sums_of::<3>([a, b, c], [m(0), m(1), m(2)])),
            [a, b, c, d] => out.extend(sums_of::<4>([a, b, c, d], [m(0), m(1), m(2), m(3)])),
            _ => unreachable!("chunks of at most four"),
        }
    }
    out
}

/// [`column_sums`] of `K` columns of equal length.
#[inline(always)]
fn sums_of<const K: usize>(cols: [&&[f64]; K], centre: [Option<f64>; K]) -> [f64; K] {
    let n = cols[0].len();
    let cols: [&[f64]; K] = cols.map(|c| &c[..n]);
    let mut s = [0.0f64; K];
    if centre.iter().all(Option::is_none) {
        for i in 0..n {
            for k in 0..K {
                s[k] += cols[k][i];
            }
        }
    } else {
        let m = centre.map(|c| c.unwrap_or(0.0));
        for i in 0..n {
            for k in 0..K {
                s[k] += (cols[k][i] - m[k]).abs();
            }
        }
    }
    s
}

/// Rows (in `order`, which is sorted by stratum and stop descending) whose
/// interval `(start, stop]` contains an event time of their stratum.
fn keep_at_risk(
    order: &[u32],
    stop: &[f64],
    start: &[f64],
    event: &[bool],
    strata: Option<&[u32]>,
) -> Vec<u32> {
    let stratum = |i: u32| strata.map_or(0, |s| s[i as usize]);
    let mut keep = Vec::with_capacity(order.len());
    let mut b0 = 0;
    while b0 < order.len() {
        let s = stratum(order[b0]);
        let mut b1 = b0;
        while b1 < order.len() && stratum(order[b1]) == s {
            b1 += 1;
        }
        // Event times of the stratum, descending (order is stop-descending).
        let mut times: Vec<f64> = Vec::new();
        for &i in &order[b0..b1] {
            let i = i as usize;
            if event[i] && times.last() != Some(&stop[i]) {
                times.push(stop[i]);
            }
        }
        // For each row, the largest event time <= stop must exceed start.
        let mut k = 0;
        for &i in &order[b0..b1] {
            let iu = i as usize;
            while k < times.len() && times[k] > stop[iu] {
                k += 1;
            }
            if k < times.len() && times[k] > start[iu] {
                keep.push(i);
            }
        }
        b0 = b1;
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Lcg;

    #[test]
    fn key_orders_descending() {
        let mut v = vec![3.0, -1.0, 0.0, 10.5, -7.25, 2.0];
        v.sort_by_key(|&t| desc_key(t));
        assert_eq!(v, vec![10.5, 3.0, 2.0, 0.0, -1.0, -7.25]);
    }

    /// The counting pass by day gives the positions of the general sort:
    /// whole-number times (negative, -0.0, heavy ties), events and
    /// censored rows at the same times.
    #[test]
    fn positions_by_day_are_the_sorts() {
        let mut rng = Lcg(7);
        let mut next = || rng.step() >> 33;
        for (n, range) in [(1usize, 1u64), (50, 3), (5000, 40), (20_000, 9000)] {
            let mut stop: Vec<f64> = (0..n)
                .map(|_| (next() % range) as f64 - (range / 3) as f64)
                .collect();
            if n > 1 {
                stop[0] = -0.0;
                stop[1] = 0.0;
            }
            let event: Vec<bool> = (0..n).map(|_| next() % 2 == 0).collect();
            let raw = Raw {
                stop: &stop,
                start: None,
                event: &event,
                weight: None,
                strata: None,
                x: &[],
                p: 0,
            };
            let keys = direct_keys(&raw).expect("whole numbers in a small range");
            let (by_sort, used) = positions_by_sort(&raw);
            assert_eq!(used, n);
            let (by_day, starts) = positions_by_day(&raw, keys.top, keys.buckets);
            assert_eq!(by_day, by_sort);
            assert_eq!(keys.negative_zero, n > 1);
            // The arrays written run by run are the scattered ones, bit for
            // bit, weighted or not (times without -0.0, as rows by day are
            // used only then: here -0.0 made 0.0, the same positions).
            let stop: Vec<f64> = stop.iter().map(|t| t + 0.0).collect();
            let weight: Vec<f64> = (0..n).map(|i| 0.5 + (i % 7) as f64).collect();
            for w in [None, Some(weight.as_slice())] {
                let raw = Raw {
                    stop: &stop,
                    weight: w,
                    ..raw
                };
                let keys = direct_keys(&raw).expect("the same keys");
                assert!(!keys.negative_zero);
                let scattered = scatter_rows(&raw, &by_sort, n, false, None);
                let days = Days {
                    top: keys.top,
                    starts: starts.clone(),
                };
                let runs = rows_by_day(&raw, &by_day, &days);
                let bits = |v: &[f64]| v.iter().map(|t| t.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&runs.stop), bits(&scattered.stop));
                assert_eq!(runs.event, scattered.event);
                assert_eq!(runs.row, scattered.row);
                let weights = |w: &Weights| w.slice(0, n).map(bits);
                assert_eq!(weights(&runs.weight), weights(&scattered.weight));
                assert_eq!(runs.weight.slice(0, n).is_some(), w.is_some());
            }
        }
        // Not whole numbers, or too wide a range: the general sort.
        let raw = |stop: &'static [f64]| Raw {
            stop,
            start: None,
            event: &[true, false],
            weight: None,
            strata: None,
            x: &[],
            p: 0,
        };
        assert!(direct_keys(&raw(&[1.5, 2.0])).is_none());
        assert!(direct_keys(&raw(&[0.0, 1e9])).is_none());
        assert!(direct_keys(&raw(&[0.0, 1e300])).is_none());
    }

    /// Column sums several columns per pass are each column's fold, bit
    /// for bit (one to nine columns, signed zeros, magnitudes far apart);
    /// the blockwise -1/0/1 test is the value-by-value one.
    #[test]
    fn column_sums_are_the_folds() {
        let mut rng = Lcg(3);
        let mut next = || rng.unit53() - 0.5;
        for k in 1..=9usize {
            for n in [1usize, 2, 255, 256, 257, 3001] {
                let cols: Vec<Vec<f64>> = (0..k)
                    .map(|c| {
                        (0..n)
                            .map(|i| match (i + c) % 5 {
                                0 => -0.0,
                                1 => 1e12 * next(),
                                _ => next(),
                            })
                            .collect()
                    })
                    .collect();
                let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
                let sums = column_sums(&refs, None);
                let means: Vec<f64> = sums.iter().map(|s| s / n as f64).collect();
                let abs = column_sums(&refs, Some(&means));
                for (c, col) in cols.iter().enumerate() {
                    let m = col.iter().fold(0.0, |s, &v| s + v) / n as f64;
                    let a = col.iter().fold(0.0, |s, &v| s + (v - m).abs());
                    assert_eq!(means[c].to_bits(), m.to_bits());
                    assert_eq!(abs[c].to_bits(), a.to_bits());
                }
            }
        }
        let plain = |col: &[f64]| col.iter().all(|&v| v == 0.0 || v == 1.0 || v == -1.0);
        let mut col = vec![1.0; 1000];
        col[3] = -0.0;
        col[700] = -1.0;
        assert!(all_sign_values(&col) && plain(&col));
        for (at, v) in [(0, 2.0), (255, 0.5), (256, -1.5), (999, 1.0 + f64::EPSILON)] {
            let mut c = col.clone();
            c[at] = v;
            assert!(!all_sign_values(&c) && !plain(&c));
        }
        assert!(all_sign_values(&[]));
    }

    #[test]
    fn rows_never_at_risk_are_dropped() {
        // Event times 5 and 9. Row 2 (6, 8] holds none of them.
        let stop = [5.0, 9.0, 8.0, 12.0];
        let start = [0.0, 0.0, 6.0, 9.0];
        let event = [true, true, false, false];
        let order = [3u32, 1, 2, 0];
        assert_eq!(
            keep_at_risk(&order, &stop, &start, &event, None),
            vec![1, 0]
        );
    }
}
