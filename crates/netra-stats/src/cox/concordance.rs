//! Harrell's concordance of a Cox model and its standard error, as
//! `coxph` reports them in `fit$concordance` (survival's `concordancefit`
//! with `timewt = "n"`, `reverse = TRUE`, through `concordance3`/`concordance4`).
//!
//! A pair is comparable when one subject has an event while the other is
//! still at risk (for (start, stop] data: at risk at that time). With
//! `reverse`, a pair is concordant when the subject with the event has the
//! higher linear predictor. Pairs tied on the predictor count one half;
//! pairs with tied event times are not comparable; a censoring at the time
//! of an event is at risk (censored rows are processed before events at the
//! same time). Weights multiply pair counts.
//!
//! `C = 1 − (Somers' d + 1)/2` with `d = (concordant − discordant)/pairs`
//! (before reversal). The standard error is the infinitesimal-jackknife one:
//! each subject's influence on the counts gives
//! `dfbeta_i = w_i[(I_c − I_d)/N − (d/N)(I_c + I_d + I_tx)]`, summed within
//! clusters when there are clusters, and `se = sqrt(Σ dfbeta²/4)`.
//!
//! Two methods give the same counts and influences (a unit test compares
//! them on random data with heavy ties, strata, weights and clusters):
//!
//! * **Predictor order** (`by_lp`), for right-censored data whose strata
//!   have at most `MAX_TIMES_BY_LP` (65 536) distinct times (registry times are
//!   whole days: a few thousand). Subjects are walked by increasing
//!   predictor, one tie group at a time, and trees indexed by the rank of
//!   the *time* (a Fenwick tree with lanes "all" and "events", plus the
//!   events' weight per time) hold those with a smaller predictor. A
//!   subject's risk set as an event, and the events whose risk set holds
//!   it, are prefix sums by time; smaller predictor = the query before its
//!   tie group is loaded, equal = after minus before, larger = the
//!   stratum's total minus both. The trees are tens of kB and stay in
//!   cache, where rank-indexed trees of size n miss it on every walk
//!   (about 3× quicker at 1e6 rows).
//! * **Time order** (`by_time`), for (start, stop] data (subjects leave
//!   the risk set) and for many distinct times (continuous times: the
//!   time-indexed trees would be as large as n, and the gather into
//!   predictor order would only add cost). Subjects are walked in
//!   decreasing time, in the order the fit already sorted them (rows of
//!   (start, stop] data never at risk at an event, which the fit leaves
//!   out, add nothing here either). The risk set is held in a tree indexed
//!   by the rank of the predictor within the stratum (weights of subjects
//!   with a larger / smaller / equal predictor in O(log n)), and a second
//!   tree holds the events seen so far for the influence terms. The tree
//!   is two-level (counts per rank, a Fenwick tree over blocks of 32 ranks;
//!   the risk-set and event trees interleaved) so that a query touches few
//!   cache lines.
//!
//! Both are O(n log n) and run in two halves on two threads for large data
//! (split where the data say, so results do not depend on the number of
//! cores). Strata are separate; their counts and influences are pooled.

use super::prepare::Prepared;
use super::sort::{
    argsort_by_key, asc_key, radix_sort_top_then_runs, sort_by_key_with_keys, stable_by_group,
};

/// Concordance and its standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Concordance {
    /// The concordance statistic C.
    pub c: f64,
    /// Its standard error: `se(C)` of `summary(coxph(...))`.
    pub std_err: f64,
    /// Weighted concordant pairs (higher risk failed first).
    pub concordant: f64,
    /// Weighted discordant pairs.
    pub discordant: f64,
    /// Weighted comparable pairs tied on the predictor.
    pub tied_x: f64,
}

const BLOCK: usize = 32;
/// Tree of the risk set.
const ALL: usize = 0;
/// Tree of the events seen so far.
const DEAD: usize = 1;

/// Weights held in the trees: `f64` in general, `u32` counts when every
/// case weight is 1 (exact, half the memory, integer adds: the trees are the
/// concordance's hot spot on large data).
trait Weight: Copy + Default + Send + Sync {
    fn plus(self, o: Self) -> Self;
    fn minus(self, o: Self) -> Self;
    fn value(self) -> f64;
}

impl Weight for f64 {
    #[inline]
    fn plus(self, o: f64) -> f64 {
        self + o
    }
    #[inline]
    fn minus(self, o: f64) -> f64 {
        self - o
    }
    #[inline]
    fn value(self) -> f64 {
        self
    }
}

impl Weight for u32 {
    // Wrapping: a removal may pass through a negative partial sum of a
    // tree node only transiently; every stored total is a true count.
    #[inline]
    fn plus(self, o: u32) -> u32 {
        self.wrapping_add(o)
    }
    #[inline]
    fn minus(self, o: u32) -> u32 {
        self.wrapping_sub(o)
    }
    #[inline]
    fn value(self) -> f64 {
        f64::from(self)
    }
}

/// Two trees of weights by rank (the risk set and the events), interleaved
/// so that a subject's entries in both share a cache line: per-rank
/// weights plus Fenwick trees over blocks of `BLOCK` ranks.
struct RankTrees<T: Weight> {
    count: Vec<[T; 2]>,
    fen: Vec<[T; 2]>,
    total: [T; 2],
}

impl<T: Weight> RankTrees<T> {
    fn new(size: usize) -> RankTrees<T> {
        RankTrees {
            count: vec![[T::default(); 2]; size],
            fen: vec![[T::default(); 2]; size / BLOCK + 2],
            total: [T::default(); 2],
        }
    }

    fn clear(&mut self, m: usize) {
        self.count[..m]
            .iter_mut()
            .for_each(|v| *v = [T::default(); 2]);
        self.fen[..m / BLOCK + 2]
            .iter_mut()
            .for_each(|v| *v = [T::default(); 2]);
        self.total = [T::default(); 2];
    }

    #[inline]
    fn add(&mut self, t: usize, rank: usize, w: T, m: usize) {
        self.count[rank][t] = self.count[rank][t].plus(w);
        self.total[t] = self.total[t].plus(w);
        let nb = m.div_ceil(BLOCK);
        let mut k = rank / BLOCK + 1;
        while k <= nb {
            self.fen[k][t] = self.fen[k][t].plus(w);
            k += k & k.wrapping_neg();
        }
    }

    #[inline]
    fn remove(&mut self, t: usize, rank: usize, w: T, m: usize) {
        self.count[rank][t] = self.count[rank][t].minus(w);
        self.total[t] = self.total[t].minus(w);
        let nb = m.div_ceil(BLOCK);
        let mut k = rank / BLOCK + 1;
        while k <= nb {
            self.fen[k][t] = self.fen[k][t].minus(w);
            k += k & k.wrapping_neg();
        }
    }

    /// Loads rows `(rank, weight, is_event)` at once: all into the risk-set
    /// tree, events into the events tree; O(rows + m).
    fn fill(&mut self, rows: impl Iterator<Item = (usize, T, bool)>, m: usize) {
        for (r, w, e) in rows {
            self.count[r][ALL] = self.count[r][ALL].plus(w);
            self.total[ALL] = self.total[ALL].plus(w);
            if e {
                self.count[r][DEAD] = self.count[r][DEAD].plus(w);
                self.total[DEAD] = self.total[DEAD].plus(w);
            }
        }
        let nb = m.div_ceil(BLOCK);
        for k in 1..=nb {
            let lo = (k - 1) * BLOCK;
            let hi = (k * BLOCK).min(m);
            let mut s = [T::default(); 2];
            for c in &self.count[lo..hi] {
                s[0] = s[0].plus(c[0]);
                s[1] = s[1].plus(c[1]);
            }
            self.fen[k][0] = self.fen[k][0].plus(s[0]);
            self.fen[k][1] = self.fen[k][1].plus(s[1]);
            let parent = k + (k & k.wrapping_neg());
            if parent <= nb {
                let v = self.fen[k];
                self.fen[parent][0] = self.fen[parent][0].plus(v[0]);
                self.fen[parent][1] = self.fen[parent][1].plus(v[1]);
            }
        }
    }

    /// Loads what a later walk at `rank` reads (the block's first per-rank
    /// weights and the rank's own) and throws it away: ranks in time order
    /// are random, so a walk that finds its lines in cache instead of main
    /// memory is much quicker. A plain load because the crate forbids
    /// `unsafe` (and with it `_mm_prefetch`); out-of-order execution lets it
    /// run ahead all the same (about 20% off the concordance at 1e6 rows).
    #[inline]
    fn prefetch(&self, rank: usize) {
        let first = (rank / BLOCK) * BLOCK;
        std::hint::black_box(self.count[first]);
        std::hint::black_box(self.count[rank]);
    }

    /// (greater, less, equal) weights of tree `t` relative to `rank`.
    #[inline]
    fn walk(&self, t: usize, rank: usize) -> [f64; 3] {
        let b = rank / BLOCK;
        let mut less = T::default();
        let mut k = b;
        while k > 0 {
            less = less.plus(self.fen[k][t]);
            k &= k - 1;
        }
        for c in &self.count[b * BLOCK..rank] {
            less = less.plus(c[t]);
        }
        let equal = self.count[rank][t];
        let greater = self.total[t].minus(less).minus(equal);
        [greater.value(), less.value(), equal.value()]
    }
}

/// Concordance of the linear predictor `lp` (by position of `prep`) with
/// the outcome; `cluster` (dense codes by original row) sums the influence
/// within clusters. `None` when no pair is comparable.
pub(crate) fn concordance(
    prep: &Prepared,
    mut lp: Vec<f64>,
    cluster: Option<&[u32]>,
) -> Option<Concordance> {
    // Right-censored data with few distinct times: the predictor order.
    if prep.start.is_none()
        && let Some(c) = by_lp(prep, &mut lp, cluster, 100_000)
    {
        return c;
    }
    by_time(prep, lp, cluster, 100_000)
}

/// The time-order method (see the module doc); data of at least
/// `min_split` rows are processed in two halves.
fn by_time(
    prep: &Prepared,
    lp: Vec<f64>,
    cluster: Option<&[u32]>,
    min_split: usize,
) -> Option<Concordance> {
    let n = prep.n;
    let mut block_of = vec![0u32; n];
    for (b, &(b0, b1)) in prep.blocks.iter().enumerate() {
        block_of[b0..b1].iter_mut().for_each(|v| *v = b as u32);
    }
    // Rank of the predictor within its stratum.
    let mut rank = vec![0u32; n];
    let mut max_m = 0usize;
    if prep.blocks.len() == 1 {
        // One stratum: ranks from the sorted keys, read in sequence (the
        // key map is one-to-one on values, -0.0 and 0.0 being one key).
        let (keys, by_lp) = sort_by_key_with_keys(n, |pos| asc_key(lp[pos]));
        let mut r = 0u32;
        for k in 0..n {
            if k > 0 && keys[k] != keys[k - 1] {
                r += 1;
            }
            rank[by_lp[k] as usize] = r;
        }
        max_m = r as usize + 1;
    } else {
        let by_lp = stable_by_group(argsort_by_key(n, |pos| asc_key(lp[pos])), |pos| {
            block_of[pos as usize]
        });
        let mut r = 0u32;
        for k in 0..n {
            let pos = by_lp[k] as usize;
            if k > 0 {
                let prev = by_lp[k - 1] as usize;
                if block_of[prev] != block_of[pos] {
                    r = 0;
                } else if lp[prev] + 0.0 != lp[pos] + 0.0 {
                    r += 1;
                }
            }
            rank[pos] = r;
            max_m = max_m.max(r as usize + 1);
        }
    }
    drop(block_of);

    let w = &prep.weight;
    let mut flat = zeroed_influences(lp, n);
    let (infl, _) = flat.as_chunks_mut::<2>();
    let block_m: Vec<usize> = prep
        .blocks
        .iter()
        .map(|&(b0, b1)| {
            (b0..b1)
                .map(|pos| rank[pos] as usize + 1)
                .max()
                .unwrap_or(0)
        })
        .collect();

    // Two halves in time order, run in parallel (right-censored data may be
    // split inside a stratum: the later half's rows then start the earlier
    // half's trees). The split depends on the data only, so results do not
    // depend on the number of cores.
    let (tasks, split) = plan(prep, min_split);
    let mut count = [0.0f64; 3];
    let mut rem_final = vec![0usize; prep.blocks.len()];
    {
        let (infl0, infl1) = infl.split_at_mut(split);
        let unit = prep.weight.is_unit() && n < u32::MAX as usize;
        let run = |segs: &[Segment], infl: &mut [[f64; 2]], offset: usize| {
            let mut c = [0.0f64; 3];
            let mut rems = Vec::new();
            if unit {
                let mut trees = RankTrees::<u32>::new(max_m);
                for seg in segs {
                    let r = run_segment(
                        prep,
                        &rank,
                        block_m[seg.block],
                        seg,
                        &mut trees,
                        infl,
                        offset,
                        &mut c,
                        |_| 1u32,
                    );
                    rems.push((seg.block, r));
                }
            } else {
                let mut trees = RankTrees::<f64>::new(max_m);
                for seg in segs {
                    let r = run_segment(
                        prep,
                        &rank,
                        block_m[seg.block],
                        seg,
                        &mut trees,
                        infl,
                        offset,
                        &mut c,
                        |pos| prep.weight[pos],
                    );
                    rems.push((seg.block, r));
                }
            }
            (c, rems)
        };
        let results = in_two_halves(&tasks, infl0, infl1, split, run);
        for (c, rems) in results {
            for k in 0..3 {
                count[k] += c[k];
            }
            for (b, r) in rems {
                rem_final[b] = r;
            }
        }
    }

    // Finish the influence of everyone still in the risk set at the end:
    // the events tree is then complete, so cumulative event weights by rank
    // answer each query in O(1).
    for (b, &(b0, b1)) in prep.blocks.iter().enumerate() {
        let m = block_m[b];
        let mut below = vec![0.0f64; m + 1];
        for pos in b0..b1 {
            if prep.event[pos] {
                below[rank[pos] as usize + 1] += w[pos];
            }
        }
        let hist_equal: Vec<f64> = below[1..].to_vec();
        for r in 0..m {
            below[r + 1] += below[r];
        }
        let total = below[m];
        let mut finish = |pos: usize| {
            let rk = rank[pos] as usize;
            let less = below[rk];
            let equal = hist_equal[rk];
            infl[pos][0] += less - (total - less - equal);
            infl[pos][1] += total;
        };
        match prep.start {
            Some(_) => {
                let end = prep.removal_begin[b] + (b1 - b0);
                for k in rem_final[b]..end {
                    finish(prep.removal[k] as usize);
                }
            }
            None => (b0..b1).for_each(&mut finish),
        }
    }

    summarise(
        count,
        infl,
        |pos| w[pos],
        cluster,
        |pos| prep.row[pos] as usize,
    )
}

/// Zeroed influences of `n` subjects (two numbers each, flat), in the
/// buffer of the predictor, which is no longer needed: it is the fit's
/// covariates' own (`predictor_over_covariates`), already mapped, so no
/// fresh pages are touched (16 MB at 10⁶ rows).
fn zeroed_influences(mut spare: Vec<f64>, n: usize) -> Vec<f64> {
    spare.clear();
    spare.resize(2 * n, 0.0);
    spare
}

/// Runs `run` on the two halves of the work (`segments[h]`, writing the
/// influences `infl0` / `infl1`, the second starting at position `split`),
/// on two threads when there are two halves and two cores.
fn in_two_halves<S: Sync, R: Send>(
    segments: &[Vec<S>; 2],
    infl0: &mut [[f64; 2]],
    infl1: &mut [[f64; 2]],
    split: usize,
    run: impl Fn(&[S], &mut [[f64; 2]], usize) -> R + Sync,
) -> Vec<R> {
    if segments[1].is_empty() {
        vec![run(&segments[0], infl0, 0)]
    } else if std::thread::available_parallelism().map_or(1, |v| v.get()) > 1 {
        std::thread::scope(|scope| {
            let h = scope.spawn(|| run(&segments[1], infl1, split));
            let r0 = run(&segments[0], infl0, 0);
            let r1 = h.join().expect("concordance worker");
            vec![r0, r1]
        })
    } else {
        vec![run(&segments[0], infl0, 0), run(&segments[1], infl1, split)]
    }
}

/// The concordance from the pair counts (discordant, concordant, tied on
/// the predictor) and each subject's influence `infl[k]` (on concordant −
/// discordant, on all comparable pairs), whatever order the subjects are
/// in: `weight(k)` is subject k's case weight and `row(k)` its original row
/// (for its cluster). `None` when no pair is comparable.
fn summarise(
    count: [f64; 3],
    infl: &[[f64; 2]],
    weight: impl Fn(usize) -> f64,
    cluster: Option<&[u32]>,
    row: impl Fn(usize) -> usize,
) -> Option<Concordance> {
    let npair = count[0] + count[1] + count[2];
    if npair <= 0.0 || !npair.is_finite() {
        return None;
    }
    let somer = (count[0] - count[1]) / npair;
    let dfbeta = |k: usize| weight(k) * (infl[k][0] / npair - (somer / npair) * infl[k][1]);
    let var = match cluster {
        None => (0..infl.len()).map(|k| dfbeta(k).powi(2)).sum::<f64>(),
        Some(cl) => {
            let nc = cl.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
            let mut sums = vec![0.0; nc];
            for k in 0..infl.len() {
                sums[cl[row(k)] as usize] += dfbeta(k);
            }
            sums.iter().map(|s| s * s).sum()
        }
    };
    // Reverse = TRUE: the subject with the event should have the larger
    // predictor.
    Some(Concordance {
        c: 1.0 - (somer + 1.0) / 2.0,
        std_err: (var / 4.0).sqrt(),
        concordant: count[1],
        discordant: count[0],
        tied_x: count[2],
    })
}

/// The events tree's (greater, less, equal) weights at a subject's entry
/// (`sign` −1) or exit (+1) from the risk set, added to its influence on
/// (concordant − discordant, all comparable pairs). Entry and exit walks
/// of the same subject cancel except for the events in between.
#[inline]
fn leave(f: &mut [f64; 2], d: [f64; 3], sign: f64) {
    f[0] += sign * (d[1] - d[0]);
    f[1] += sign * (d[0] + d[1] + d[2]);
}

/// A stretch of positions processed by one worker: rows
/// `init_begin..begin` of the same stratum (later times) are already in the
/// risk set when it starts.
#[derive(Debug, Clone, Copy)]
struct Segment {
    block: usize,
    init_begin: usize,
    begin: usize,
    end: usize,
}

/// Splits the work in two halves of positions (at most), returning the
/// segments of each half and the first position of the second half.
fn plan(prep: &Prepared, min_split: usize) -> ([Vec<Segment>; 2], usize) {
    let n = prep.n;
    let whole = |b: usize| Segment {
        block: b,
        init_begin: prep.blocks[b].0,
        begin: prep.blocks[b].0,
        end: prep.blocks[b].1,
    };
    let single = || -> ([Vec<Segment>; 2], usize) {
        ([(0..prep.blocks.len()).map(whole).collect(), Vec::new()], n)
    };
    if n < min_split {
        return single();
    }
    let target = n / 2;
    let b = prep
        .blocks
        .iter()
        .position(|&(_, b1)| b1 > target)
        .unwrap_or(prep.blocks.len() - 1);
    let (b0, b1) = prep.blocks[b];
    let split = if prep.start.is_none() {
        // Inside the stratum, at the first time boundary from the middle.
        let mut s = target.max(b0);
        while s > b0 && s < b1 && prep.stop[s] == prep.stop[s - 1] {
            s += 1;
        }
        s
    } else if target - b0 < b1 - target {
        b0
    } else {
        b1
    };
    if split == 0 || split >= n {
        return single();
    }
    let mut first: Vec<Segment> = (0..b).map(whole).collect();
    let mut second: Vec<Segment> = Vec::new();
    if split > b0 && split < b1 {
        first.push(Segment {
            block: b,
            init_begin: b0,
            begin: b0,
            end: split,
        });
        second.push(Segment {
            block: b,
            init_begin: b0,
            begin: split,
            end: b1,
        });
    } else if split == b0 {
        second.push(whole(b));
    } else {
        first.push(whole(b));
    }
    second.extend((b + 1..prep.blocks.len()).map(whole));
    ([first, second], split)
}

/// Runs one segment: counts comparable pairs of its events and the
/// influence of its rows (`infl[pos - offset]`). Returns where the
/// block's removals stopped ((start, stop] data).
#[allow(clippy::too_many_arguments)]
fn run_segment<T: Weight>(
    prep: &Prepared,
    rank: &[u32],
    m: usize,
    seg: &Segment,
    trees: &mut RankTrees<T>,
    infl: &mut [[f64; 2]],
    offset: usize,
    count: &mut [f64; 3],
    tw: impl Fn(usize) -> T,
) -> usize {
    let w = &prep.weight;
    trees.clear(m);
    if seg.init_begin < seg.begin {
        trees.fill(
            (seg.init_begin..seg.begin).map(|pos| (rank[pos] as usize, tw(pos), prep.event[pos])),
            m,
        );
    }
    let b = seg.block;
    let (mut rem, rem_end) = match prep.start {
        Some(_) => {
            let begin = prep.removal_begin[b];
            (begin, begin + (prep.blocks[b].1 - prep.blocks[b].0))
        }
        None => (0, 0),
    };
    // Rows this far ahead have their tree entries prefetched.
    const AHEAD: usize = 16;
    let prefetch = |trees: &RankTrees<T>, pos: usize| {
        if pos + AHEAD < seg.end {
            trees.prefetch(rank[pos + AHEAD] as usize);
        }
    };
    let mut i = seg.begin;
    while i < seg.end {
        let t = prep.stop[i];
        let mut j = i + 1;
        while j < seg.end && prep.stop[j] == t {
            j += 1;
        }
        // Censored rows join the risk set before the events at their time.
        let mut has_event = false;
        for pos in i..j {
            prefetch(trees, pos);
            if prep.event[pos] {
                has_event = true;
                continue;
            }
            let rk = rank[pos] as usize;
            let d = trees.walk(DEAD, rk);
            leave(&mut infl[pos - offset], d, -1.0);
            trees.add(ALL, rk, tw(pos), m);
        }
        if has_event {
            if let Some(start) = prep.start.as_deref() {
                while rem < rem_end {
                    let pos = prep.removal[rem] as usize;
                    if start[pos] < t {
                        break;
                    }
                    rem += 1;
                    let rk = rank[pos] as usize;
                    let d = trees.walk(DEAD, rk);
                    leave(&mut infl[pos - offset], d, 1.0);
                    trees.remove(ALL, rk, tw(pos), m);
                }
            }
            for pos in (i..j).filter(|&pos| prep.event[pos]) {
                let rk = rank[pos] as usize;
                let a = trees.walk(ALL, rk);
                for k in 0..3 {
                    count[k] += w[pos] * a[k];
                }
                let f = &mut infl[pos - offset];
                f[0] += a[0] - a[1];
                f[1] += a[0] + a[1] + a[2];
                trees.add(DEAD, rk, tw(pos), m);
            }
            for pos in (i..j).filter(|&pos| prep.event[pos]) {
                let rk = rank[pos] as usize;
                let d = trees.walk(DEAD, rk);
                leave(&mut infl[pos - offset], d, -1.0);
                trees.add(ALL, rk, tw(pos), m);
            }
        }
        i = j;
    }
    rem
}

/// Largest number of distinct times in a stratum for which the predictor-
/// order method is used: its trees (two lanes per time plus a point array)
/// then stay within about 1 MB, in cache; with more distinct times
/// (continuous times) its walks miss the cache as the time-order method's
/// do, and the time-order method, without the gather, is the quicker.
const MAX_TIMES_BY_LP: usize = 1 << 16;

/// Trees of the predictor-order method, indexed by the rank `u` of a time
/// among the stratum's distinct times, descending (0 = the latest): a
/// Fenwick tree with two lanes (all subjects, events) and the events' weight
/// at each time (a censoring at an event's time is at risk for it, so the
/// risk set of an event at `u` is everyone at ranks ≤ `u` minus the events
/// at `u`).
struct TimeTrees<T: Weight> {
    fen: Vec<[T; 2]>,
    dead_at: Vec<T>,
    dead_total: T,
}

impl<T: Weight> TimeTrees<T> {
    fn new(size: usize) -> TimeTrees<T> {
        TimeTrees {
            fen: vec![[T::default(); 2]; size + 1],
            dead_at: vec![T::default(); size],
            dead_total: T::default(),
        }
    }

    /// Empties the first `m` ranks and loads subjects `(code, weight)` in
    /// O(rows + m) (see [`by_lp`] for the code).
    fn reset(&mut self, m: usize, rows: impl Iterator<Item = (u32, T)>) {
        self.fen[..=m]
            .iter_mut()
            .for_each(|v| *v = [T::default(); 2]);
        self.dead_at[..m].iter_mut().for_each(|v| *v = T::default());
        self.dead_total = T::default();
        for (code, w) in rows {
            let u = (code >> 2) as usize;
            self.fen[u + 1][0] = self.fen[u + 1][0].plus(w);
            if code & 1 == 1 {
                self.fen[u + 1][1] = self.fen[u + 1][1].plus(w);
                self.dead_at[u] = self.dead_at[u].plus(w);
                self.dead_total = self.dead_total.plus(w);
            }
        }
        // Linear Fenwick build: each node passes its sum to its parent.
        for k in 1..=m {
            let parent = k + (k & k.wrapping_neg());
            if parent <= m {
                let v = self.fen[k];
                self.fen[parent][0] = self.fen[parent][0].plus(v[0]);
                self.fen[parent][1] = self.fen[parent][1].plus(v[1]);
            }
        }
    }

    #[inline]
    fn add(&mut self, code: u32, w: T, m: usize) {
        let u = (code >> 2) as usize;
        // An event adds to both lanes, a censored subject to the first
        // (zero to the second, which changes no sum: counts, or f64 sums of
        // positive weights, never -0.0): one walk, no branch on the event.
        let we = if code & 1 == 1 { w } else { T::default() };
        self.dead_at[u] = self.dead_at[u].plus(we);
        self.dead_total = self.dead_total.plus(we);
        let mut k = u + 1;
        while k <= m {
            let f = &mut self.fen[k];
            f[0] = f[0].plus(w);
            f[1] = f[1].plus(we);
            k += k & k.wrapping_neg();
        }
    }

    /// For the subject `code` against those loaded: the weight of its risk
    /// set (meaningful for an event) and of the events whose risk set holds
    /// it.
    #[inline]
    fn query(&self, code: u32) -> [T; 2] {
        let u = (code >> 2) as usize;
        let mut s = [T::default(); 2];
        let mut k = u + 1;
        while k > 0 {
            s[0] = s[0].plus(self.fen[k][0]);
            s[1] = s[1].plus(self.fen[k][1]);
            k &= k - 1;
        }
        risk_and_dead(s, self.dead_at[u], self.dead_total, code & 1 == 1)
    }
}

/// From the weights at ranks ≤ `u` (all, events), the events at `u` and
/// all events: the risk set of an event at `u` (those at later times and
/// the censored at `u`) and, for a subject at `u`, the events whose risk
/// set holds it (events at earlier times, and those at `u` for a censored
/// subject).
#[inline]
fn risk_and_dead<T: Weight>(upto: [T; 2], dead_at: T, dead_total: T, event: bool) -> [T; 2] {
    let risk = upto[0].minus(dead_at);
    let dead = dead_total.minus(upto[1]);
    [risk, if event { dead } else { dead.plus(dead_at) }]
}

/// Totals over a whole stratum, by time rank: weights at ranks ≤ `u` (all,
/// events), events at `u`, all events — what [`TimeTrees::query`] returns
/// once every subject is loaded.
struct TimeTotals<T: Weight> {
    upto: Vec<[T; 2]>,
    dead_at: Vec<T>,
    dead_total: T,
}

impl<T: Weight> TimeTotals<T> {
    fn new(m: usize, rows: impl Iterator<Item = (u32, T)>) -> TimeTotals<T> {
        let mut upto = vec![[T::default(); 2]; m];
        let mut dead_at = vec![T::default(); m];
        for (code, w) in rows {
            let u = (code >> 2) as usize;
            upto[u][0] = upto[u][0].plus(w);
            if code & 1 == 1 {
                upto[u][1] = upto[u][1].plus(w);
                dead_at[u] = dead_at[u].plus(w);
            }
        }
        for u in 1..m {
            let prev = upto[u - 1];
            upto[u][0] = upto[u][0].plus(prev[0]);
            upto[u][1] = upto[u][1].plus(prev[1]);
        }
        let dead_total = upto.last().map_or(T::default(), |v| v[1]);
        TimeTotals {
            upto,
            dead_at,
            dead_total,
        }
    }

    #[inline]
    fn query(&self, code: u32) -> [T; 2] {
        let u = (code >> 2) as usize;
        risk_and_dead(
            self.upto[u],
            self.dead_at[u],
            self.dead_total,
            code & 1 == 1,
        )
    }
}

/// Adds a subject's pairs to the counts and its influence, given (risk set,
/// events holding it) weights of subjects with a smaller predictor
/// (`less`), an equal one (`equal`, itself excluded) and all (`total`).
#[inline]
fn tally<T: Weight>(
    code: u32,
    w: f64,
    less: [T; 2],
    equal: [T; 2],
    total: [T; 2],
    count: &mut [f64; 3],
    f: &mut [f64; 2],
) {
    if code & 1 == 1 {
        // As an event: its risk set by predictor.
        let l = less[0].value();
        let e = equal[0].value();
        let g = total[0].minus(less[0]).minus(equal[0]).value();
        count[0] += w * g;
        count[1] += w * l;
        count[2] += w * e;
        f[0] += g - l;
        f[1] += total[0].value();
    }
    // In the risk set of events, by their predictor.
    let l = less[1].value();
    let g = total[1].minus(less[1]).minus(equal[1]).value();
    f[0] += l - g;
    f[1] += total[1].value();
}

/// A stretch `begin..end` of the predictor order (within one stratum, whose
/// order starts at `block_begin`) run by one worker.
#[derive(Debug, Clone, Copy)]
struct LpSegment {
    block: usize,
    block_begin: usize,
    block_end: usize,
    begin: usize,
    end: usize,
}

/// The predictor-order method for right-censored data; `None` from the
/// outer `Option` when a stratum has more than [`MAX_TIMES_BY_LP`] distinct
/// times (the caller then uses the time-order method).
/// `lp` is taken (its buffer holds the influences) once the method is
/// chosen; it is left as it was when the outer `Option` is `None`.
fn by_lp(
    prep: &Prepared,
    lp: &mut Vec<f64>,
    cluster: Option<&[u32]>,
    min_split: usize,
) -> Option<Option<Concordance>> {
    let n = prep.n;
    // Code of a position: time rank u << 2 | tie-group start << 1 | event.
    let mut code_pos = vec![0u32; n];
    let mut block_m = Vec::with_capacity(prep.blocks.len());
    for &(b0, b1) in &prep.blocks {
        let mut u = 0u32;
        for pos in b0..b1 {
            if pos > b0 && prep.stop[pos] != prep.stop[pos - 1] {
                u += 1;
                if u as usize >= MAX_TIMES_BY_LP {
                    return None; // many distinct times: the time order
                }
            }
            code_pos[pos] = (u << 2) | u32::from(prep.event[pos]);
        }
        let m = if b1 > b0 { u as usize + 1 } else { 0 };
        block_m.push(m);
    }

    let unit = prep.weight.is_unit() && n < u32::MAX as usize;
    let mut code: Vec<u32>;
    let mut wl: Vec<f64> = Vec::new();
    // Position of each subject in predictor order, kept only when weights
    // or clusters need it.
    let mut by_lp: Vec<u32> = Vec::new();
    if prep.blocks.len() == 1 && unit && cluster.is_none() {
        // One stratum, no weights or clusters: the sort carries the codes
        // themselves, so no gather follows (ties keep position order either
        // way: the sort is stable).
        let mut keys: Vec<u64> = lp.iter().map(|&v| asc_key(v)).collect();
        code = code_pos;
        radix_sort_top_then_runs(&mut keys, &mut code);
        for k in 0..n {
            if k == 0 || keys[k] != keys[k - 1] {
                code[k] |= 2;
            }
        }
    } else {
        // Predictor order within strata (a stratum's rows keep their range
        // of positions), and the start of each run of tied predictors.
        let mut group_start = vec![false; n];
        by_lp = if prep.blocks.len() == 1 {
            let (keys, by_lp) = sort_by_key_with_keys(n, |pos| asc_key(lp[pos]));
            for k in 0..n {
                group_start[k] = k == 0 || keys[k] != keys[k - 1];
            }
            by_lp
        } else {
            let mut block_of = vec![0u32; n];
            for (b, &(b0, b1)) in prep.blocks.iter().enumerate() {
                block_of[b0..b1].iter_mut().for_each(|v| *v = b as u32);
            }
            let by_lp = stable_by_group(argsort_by_key(n, |pos| asc_key(lp[pos])), |pos| {
                block_of[pos as usize]
            });
            for &(b0, b1) in &prep.blocks {
                for k in b0..b1 {
                    group_start[k] = k == b0
                        || asc_key(lp[by_lp[k] as usize]) != asc_key(lp[by_lp[k - 1] as usize]);
                }
            }
            by_lp
        };
        // Gather codes (and weights) into predictor order: random reads, so
        // the entries a fixed distance ahead are touched first (a plain
        // load: the crate forbids `unsafe` and with it `_mm_prefetch`).
        const AHEAD: usize = 16;
        code = vec![0u32; n];
        if !unit {
            wl = vec![0.0f64; n];
        }
        for k in 0..n {
            if k + AHEAD < n {
                let ahead = by_lp[k + AHEAD] as usize;
                std::hint::black_box(code_pos[ahead]);
                if !unit {
                    std::hint::black_box(prep.weight[ahead]);
                }
            }
            let pos = by_lp[k] as usize;
            code[k] = code_pos[pos] | (u32::from(group_start[k]) << 1);
            if !unit {
                wl[k] = prep.weight[pos];
            }
        }
    }
    let weight = |k: usize| if unit { 1.0 } else { wl[k] };

    // Two halves of the predictor order, in parallel; the split (at a
    // tie-group start) depends on the data only.
    let segments = lp_plan(prep, &code, min_split);
    let split = segments[1].first().map_or(n, |s| s.begin);
    let mut flat = zeroed_influences(std::mem::take(lp), n);
    let (infl, _) = flat.as_chunks_mut::<2>();
    let max_m = block_m.iter().copied().max().unwrap_or(0);
    let mut count = [0.0f64; 3];
    {
        let (infl0, infl1) = infl.split_at_mut(split);
        let code = &code;
        let block_m = &block_m;
        let run = |segs: &[LpSegment], infl: &mut [[f64; 2]], offset: usize| {
            let mut c = [0.0f64; 3];
            if unit {
                let mut trees = TimeTrees::<u32>::new(max_m);
                for seg in segs {
                    run_lp_segment(
                        code,
                        block_m[seg.block],
                        seg,
                        &mut trees,
                        infl,
                        offset,
                        &mut c,
                        |_| 1u32,
                        |_| 1.0,
                    );
                }
            } else {
                let mut trees = TimeTrees::<f64>::new(max_m);
                for seg in segs {
                    run_lp_segment(
                        code,
                        block_m[seg.block],
                        seg,
                        &mut trees,
                        infl,
                        offset,
                        &mut c,
                        |k| wl[k],
                        |k| wl[k],
                    );
                }
            }
            c
        };
        let results = in_two_halves(&segments, infl0, infl1, split, run);
        for c in results {
            for k in 0..3 {
                count[k] += c[k];
            }
        }
    }

    Some(summarise(count, infl, weight, cluster, |k| {
        prep.row[by_lp[k] as usize] as usize
    }))
}

/// Splits the predictor order in two halves (at most): strata whole, but
/// the stratum holding the middle split at the first tie-group start from
/// the middle (the second half's worker then loads the stratum's first
/// part into its trees before it starts).
fn lp_plan(prep: &Prepared, code: &[u32], min_split: usize) -> [Vec<LpSegment>; 2] {
    let n = prep.n;
    let whole = |b: usize| LpSegment {
        block: b,
        block_begin: prep.blocks[b].0,
        block_end: prep.blocks[b].1,
        begin: prep.blocks[b].0,
        end: prep.blocks[b].1,
    };
    let all: Vec<LpSegment> = (0..prep.blocks.len()).map(whole).collect();
    if n < min_split {
        return [all, Vec::new()];
    }
    let target = n / 2;
    let Some(b) = prep.blocks.iter().position(|&(_, b1)| b1 > target) else {
        return [all, Vec::new()];
    };
    let (b0, b1) = prep.blocks[b];
    let mut s = target.max(b0);
    while s < b1 && code[s] & 2 == 0 {
        s += 1;
    }
    if s == 0 || s >= n {
        return [all, Vec::new()];
    }
    let mut first: Vec<LpSegment> = (0..b).map(whole).collect();
    let mut second = Vec::new();
    if s == b0 {
        second.push(whole(b));
    } else if s == b1 {
        first.push(whole(b));
    } else {
        first.push(LpSegment {
            block: b,
            block_begin: b0,
            block_end: b1,
            begin: b0,
            end: s,
        });
        second.push(LpSegment {
            block: b,
            block_begin: b0,
            block_end: b1,
            begin: s,
            end: b1,
        });
    }
    second.extend((b + 1..prep.blocks.len()).map(whole));
    [first, second]
}

/// Runs one segment of the predictor order: subjects of a tie group are
/// queried before the group is loaded (smaller predictor) and, when the
/// group has more than one subject, again after (the difference: equal
/// predictor; a subject is never in its own risk set, so a lone subject
/// has none); a larger predictor is the stratum total minus both.
#[allow(clippy::too_many_arguments)]
fn run_lp_segment<T: Weight>(
    code: &[u32],
    m: usize,
    seg: &LpSegment,
    trees: &mut TimeTrees<T>,
    infl: &mut [[f64; 2]],
    offset: usize,
    count: &mut [f64; 3],
    tw: impl Fn(usize) -> T,
    fw: impl Fn(usize) -> f64,
) {
    trees.reset(m, (seg.block_begin..seg.begin).map(|k| (code[k], tw(k))));
    let totals = TimeTotals::new(
        m,
        (seg.block_begin..seg.block_end).map(|k| (code[k], tw(k))),
    );
    let zero = [T::default(); 2];
    let mut before: Vec<[T; 2]> = Vec::new();
    let mut k = seg.begin;
    while k < seg.end {
        let mut g = k + 1;
        while g < seg.end && code[g] & 2 == 0 {
            g += 1;
        }
        if g == k + 1 {
            let c = code[k];
            let less = trees.query(c);
            trees.add(c, tw(k), m);
            tally(
                c,
                fw(k),
                less,
                zero,
                totals.query(c),
                count,
                &mut infl[k - offset],
            );
        } else {
            before.clear();
            before.extend((k..g).map(|j| trees.query(code[j])));
            for j in k..g {
                trees.add(code[j], tw(j), m);
            }
            for j in k..g {
                let c = code[j];
                let less = before[j - k];
                let after = trees.query(c);
                let equal = [after[0].minus(less[0]), after[1].minus(less[1])];
                tally(
                    c,
                    fw(j),
                    less,
                    equal,
                    totals.query(c),
                    count,
                    &mut infl[j - offset],
                );
            }
        }
        k = g;
    }
}

#[cfg(test)]
mod tests {
    use super::super::prepare::{Raw, prepare};
    use super::*;
    use crate::test_rng::Lcg;

    /// Brute force over pairs (right-censored): a censoring at an event's
    /// time is at risk, tied events are not comparable.
    fn brute(time: &[f64], event: &[bool], lp: &[f64]) -> f64 {
        let (mut conc, mut tot) = (0.0, 0.0);
        for i in 0..time.len() {
            for j in 0..time.len() {
                if event[i] && (time[j] > time[i] || (time[j] == time[i] && !event[j])) {
                    tot += 1.0;
                    if lp[i] > lp[j] {
                        conc += 1.0;
                    } else if lp[i] == lp[j] {
                        conc += 0.5;
                    }
                }
            }
        }
        conc / tot
    }

    fn run(time: &[f64], start: Option<&[f64]>, event: &[bool], lp: &[f64]) -> Option<Concordance> {
        let prep = prepare(&Raw {
            stop: time,
            start,
            event,
            weight: None,
            strata: None,
            x: lp,
            p: 1,
        })
        .ok()?;
        let by_pos: Vec<f64> = prep.row.iter().map(|&i| lp[i as usize]).collect();
        concordance(&prep, by_pos, None)
    }

    #[test]
    fn matches_pair_count() {
        let time = [5.0, 8.0, 3.0, 9.0, 12.0, 1.0, 7.0];
        let event = [true, false, true, true, false, true, true];
        let lp = [0.3, -0.2, 0.9, 0.3, -1.0, 1.2, 0.0];
        let c = run(&time, None, &event, &lp).unwrap();
        assert!((c.c - brute(&time, &event, &lp)).abs() < 1e-15);
        // Counting-process form with start = -1 is the same data.
        let start = [-1.0; 7];
        let c2 = run(&time, Some(&start), &event, &lp).unwrap();
        assert!((c.c - c2.c).abs() < 1e-15);
        assert!((c.std_err - c2.std_err).abs() < 1e-15);
    }

    #[test]
    fn tree_counts_across_blocks() {
        let mut t = RankTrees::<f64>::new(100);
        t.clear(100);
        for r in [0usize, 5, 31, 32, 33, 64, 99, 99] {
            t.add(ALL, r, 1.0, 100);
        }
        t.add(DEAD, 40, 2.0, 100);
        assert_eq!(t.walk(ALL, 33), [3.0, 4.0, 1.0]);
        assert_eq!(t.walk(ALL, 99), [0.0, 6.0, 2.0]);
        assert_eq!(t.walk(ALL, 0), [7.0, 0.0, 1.0]);
        assert_eq!(t.walk(DEAD, 33), [2.0, 0.0, 0.0]);
    }

    #[test]
    fn split_halves_agree_with_one_pass() {
        // Tied times and predictors, strata, weights; right-censored and
        // (start, stop] data.
        let n = 3000;
        let mut rng = Lcg(12345);
        let mut next = || rng.unit31();
        let time: Vec<f64> = (0..n).map(|_| (next() * 200.0).ceil()).collect();
        let start: Vec<f64> = time
            .iter()
            .map(|&t| (t * next() * 0.5).floor() - 1.0)
            .collect();
        let event: Vec<bool> = (0..n).map(|_| next() < 0.6).collect();
        let lp: Vec<f64> = (0..n).map(|_| (next() * 50.0).round() / 10.0).collect();
        let wt: Vec<f64> = (0..n).map(|_| 0.5 + next()).collect();
        let strata: Vec<u32> = (0..n).map(|i| u32::from(i % 7 == 0)).collect();
        for (st, s, weight) in [
            (None, None, None),
            (None, Some(strata.as_slice()), None),
            (Some(start.as_slice()), None, None),
            (Some(start.as_slice()), Some(strata.as_slice()), None),
            (None, None, Some(wt.as_slice())),
            (None, Some(strata.as_slice()), Some(wt.as_slice())),
            (Some(start.as_slice()), None, Some(wt.as_slice())),
            (
                Some(start.as_slice()),
                Some(strata.as_slice()),
                Some(wt.as_slice()),
            ),
        ] {
            {
                let prep = prepare(&Raw {
                    stop: &time,
                    start: st,
                    event: &event,
                    weight,
                    strata: s,
                    x: &lp,
                    p: 1,
                })
                .unwrap();
                let by_pos: Vec<f64> = prep.row.iter().map(|&i| lp[i as usize]).collect();
                let one = by_time(&prep, by_pos.clone(), None, usize::MAX).unwrap();
                if st.is_none() && s.is_none() && weight.is_none() {
                    assert!((one.c - brute(&time, &event, &lp)).abs() < 1e-13);
                }
                let two = by_time(&prep, by_pos, None, 10).unwrap();
                assert!((one.c - two.c).abs() < 1e-13, "{one:?} {two:?}");
                assert!((one.std_err - two.std_err).abs() < 1e-13 * one.std_err);
            }
        }
    }

    #[test]
    fn no_comparable_pair() {
        assert!(run(&[1.0, 2.0], None, &[true, false], &[0.0, 1.0]).is_some());
        assert!(run(&[2.0, 1.0], None, &[true, false], &[0.0, 1.0]).is_none());
    }

    /// Weighted (concordant, discordant, tied) pairs by brute force, within
    /// strata (right-censored; reverse: a pair is concordant when the event
    /// has the larger predictor).
    fn brute_counts(
        time: &[f64],
        event: &[bool],
        lp: &[f64],
        w: &[f64],
        strata: &[u32],
    ) -> [f64; 3] {
        let mut c = [0.0; 3];
        for i in 0..time.len() {
            for j in 0..time.len() {
                if strata[i] == strata[j]
                    && event[i]
                    && (time[j] > time[i] || (time[j] == time[i] && !event[j]))
                {
                    let k = if lp[i] > lp[j] {
                        0
                    } else if lp[i] < lp[j] {
                        1
                    } else {
                        2
                    };
                    c[k] += w[i] * w[j];
                }
            }
        }
        c
    }

    /// Random right-censored data with heavy ties on time and predictor.
    struct Case {
        time: Vec<f64>,
        event: Vec<bool>,
        lp: Vec<f64>,
        w: Vec<f64>,
        strata: Vec<u32>,
        cluster: Vec<u32>,
    }

    fn random_case(seed: u64, n: usize, times: f64, lps: f64, p_event: f64) -> Case {
        let mut rng = Lcg(seed);
        let mut next = || rng.unit31();
        let time = (0..n).map(|_| (next() * times).ceil()).collect();
        let event = (0..n).map(|_| next() < p_event).collect();
        // -0.0 and 0.0 both occur: one predictor value.
        let lp = (0..n)
            .map(|_| {
                let v = (next() * lps).floor() - (lps / 2.0).floor();
                if v == 0.0 && next() < 0.5 {
                    -0.0
                } else {
                    v * 0.3
                }
            })
            .collect();
        let w = (0..n)
            .map(|_| 0.25 + (next() * 8.0).floor() / 4.0)
            .collect();
        let strata = (0..n).map(|_| (next() * 3.0) as u32).collect();
        let cluster = (0..n)
            .map(|_| (next() * (n as f64 / 3.0 + 1.0)) as u32)
            .collect();
        Case {
            time,
            event,
            lp,
            w,
            strata,
            cluster,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()) || (a - b).abs() < 1e-300
    }

    /// Both methods (and the predictor-order one in one pass and in two
    /// halves) on one case, with and without strata, weights and clusters;
    /// counts also against brute force.
    fn check_case(case: &Case) {
        let n = case.time.len();
        let ones = vec![1.0; n];
        let one_stratum = vec![0u32; n];
        for (weighted, stratified, clustered) in [
            (false, false, false),
            (true, false, false),
            (false, true, false),
            (true, true, true),
            (false, false, true),
        ] {
            let weight = weighted.then_some(case.w.as_slice());
            let strata = stratified.then_some(case.strata.as_slice());
            let Ok(prep) = prepare(&Raw {
                stop: &case.time,
                start: None,
                event: &case.event,
                weight,
                strata,
                x: &case.lp,
                p: 1,
            }) else {
                continue;
            };
            let by_pos: Vec<f64> = prep.row.iter().map(|&i| case.lp[i as usize]).collect();
            let cl = clustered.then_some(case.cluster.as_slice());
            let old = by_time(&prep, by_pos.clone(), cl, usize::MAX);
            let brute = brute_counts(
                &case.time,
                &case.event,
                &case.lp,
                if weighted { &case.w } else { &ones },
                if stratified {
                    &case.strata
                } else {
                    &one_stratum
                },
            );
            for min_split in [usize::MAX, 2] {
                let new = by_lp(&prep, &mut by_pos.clone(), cl, min_split).expect("few times");
                match (old, new) {
                    (None, None) => assert_eq!(brute[0] + brute[1] + brute[2], 0.0),
                    (Some(o), Some(v)) => {
                        assert!(close(o.c, v.c), "{o:?} {v:?}");
                        assert!(close(o.std_err, v.std_err), "{o:?} {v:?}");
                        assert!(close(o.concordant, v.concordant), "{o:?} {v:?}");
                        assert!(close(o.discordant, v.discordant), "{o:?} {v:?}");
                        assert!(close(o.tied_x, v.tied_x), "{o:?} {v:?}");
                        assert!(close(v.concordant, brute[0]), "{v:?} {brute:?}");
                        assert!(close(v.discordant, brute[1]), "{v:?} {brute:?}");
                        assert!(close(v.tied_x, brute[2]), "{v:?} {brute:?}");
                    }
                    (o, v) => panic!("{o:?} {v:?}"),
                }
            }
        }
    }

    #[test]
    fn lp_order_matches_time_order_and_brute_force() {
        // Heavy ties on both; few or many events; tiny to moderate sizes.
        let mut seed = 7u64;
        for n in [1usize, 2, 3, 5, 8, 13, 40, 150] {
            for (times, lps, p_event) in [
                (3.0, 2.0, 0.5),
                (10.0, 5.0, 0.7),
                (50.0, 40.0, 0.3),
                (4.0, 1.0, 0.5),
                (5.0, 3.0, 1.0),
                (5.0, 3.0, 0.05),
            ] {
                seed += 1;
                check_case(&random_case(seed, n, times, lps, p_event));
            }
        }
        check_case(&random_case(99, 2500, 30.0, 12.0, 0.6));
    }

    #[test]
    fn lp_order_edge_cases() {
        // All censored: no comparable pair.
        let case = Case {
            time: vec![1.0, 2.0, 2.0, 3.0],
            event: vec![false; 4],
            lp: vec![0.1, 0.2, 0.2, -0.1],
            w: vec![1.0, 2.0, 0.5, 1.0],
            strata: vec![0, 0, 1, 1],
            cluster: vec![0, 1, 1, 2],
        };
        check_case(&case);
        // One event; censorings at its time are at risk, an equal
        // predictor is tied.
        let case = Case {
            time: vec![2.0, 2.0, 2.0, 3.0, 1.0],
            event: vec![false, true, false, false, false],
            lp: vec![0.5, 0.5, 0.7, 0.1, 0.9],
            w: vec![1.0, 2.0, 0.5, 1.5, 1.0],
            strata: vec![0, 0, 0, 0, 0],
            cluster: vec![0, 1, 1, 2, 0],
        };
        check_case(&case);
        let prep = prepare(&Raw {
            stop: &case.time,
            start: None,
            event: &case.event,
            weight: None,
            strata: None,
            x: &case.lp,
            p: 1,
        })
        .unwrap();
        let by_pos: Vec<f64> = prep.row.iter().map(|&i| case.lp[i as usize]).collect();
        let c = by_lp(&prep, &mut by_pos.clone(), None, usize::MAX)
            .unwrap()
            .unwrap();
        assert_eq!([c.concordant, c.discordant, c.tied_x], [1.0, 1.0, 1.0]);
        assert!((c.c - 0.5).abs() < 1e-15);
        // Tied events only: not comparable.
        let case = Case {
            time: vec![4.0, 4.0, 4.0],
            event: vec![true; 3],
            lp: vec![0.0, 1.0, 2.0],
            w: vec![1.0; 3],
            strata: vec![0; 3],
            cluster: vec![0, 1, 2],
        };
        check_case(&case);
    }

    #[test]
    fn many_distinct_times_use_time_order() {
        let n = MAX_TIMES_BY_LP + 1;
        let time: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let event = vec![true; n];
        let lp: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
        let prep = prepare(&Raw {
            stop: &time,
            start: None,
            event: &event,
            weight: None,
            strata: None,
            x: &lp,
            p: 1,
        })
        .unwrap();
        let by_pos: Vec<f64> = prep.row.iter().map(|&i| lp[i as usize]).collect();
        let mut kept = by_pos.clone();
        assert!(by_lp(&prep, &mut kept, None, usize::MAX).is_none());
        assert_eq!(kept, by_pos);
        assert!(concordance(&prep, by_pos, None).is_some());
    }
}
