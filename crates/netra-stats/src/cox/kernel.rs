//! The partial log-likelihood, its gradient (score) and the information
//! matrix: O(n·p²) per evaluation, no allocation per row.
//!
//! Walking times from the largest down, the risk-set sums
//! `S0 = Σ w·r`, `S1 = Σ w·r·x`, `S2 = Σ w·r·x·x'` (with `r = exp(x·β)`)
//! grow by each row as its time is reached and, for (start, stop] data,
//! shrink as a start time is passed. At an event time with `d` events of
//! total weight `D`:
//!
//! * Breslow: `ℓ += Σ_events w·η − D·log S0`, `U += Σ w·x − D·S1/S0`,
//!   `I += D·(S2/S0 − (S1/S0)(S1/S0)')`;
//! * Efron: the events leave the risk set in `d` equal steps; for
//!   `k = 0..d-1` the sums are `S − (k/d)·S_events`, each step carrying
//!   weight `D/d` (survival's `coxfit6`/`agfit4` formulation, including the
//!   mean-weight convention for weighted tied events). The d steps are
//!   summed in closed form (five scalar sums), so heavy ties cost O(d + p²)
//!   per time rather than O(d·p²).
//!
//! Large right-censored data (≥ 100 000 rows) whose event times are tied
//! (times in days: few event times for many rows) take the grouped route
//! of `grouped`: one pass over the rows per evaluation, sums per event
//! time, then the ordered pass over the event times. Other large
//! right-censored data (many distinct event times) take a two-pass route. The
//! `S2/S0` part of the
//! information is linear in the rows: `Σ_t c_t S2(t) = Σ_i r_i h_i x_i x_i'`
//! with `h_i` the sum of the per-time coefficients `c_t` over the event
//! times at which row i is at risk (its own time with the Efron event
//! weight). So the ordered pass needs only `S0`, `S1` (O(p) per row) and
//! O(p²) per event time, and the O(p²)-per-row part is an order-free sum.
//! The data are cut into two parts of the time order, each phase running on
//! two threads: risk weights (and the later part's sums, which start the
//! earlier part's risk set), the ordered pass, the order-free sum. The cut
//! depends only on the data, so results do not depend on the number of
//! cores. Smaller data and (start, stop] data use one ordered pass that
//! carries `S2` (the structure of `coxfit6`/`agfit4`), whose per-time
//! differences keep a few more digits when the information nearly vanishes
//! (a coefficient running off to infinity); the two routes agree to about
//! 1e-12 otherwise (unit test, and the large R fixture).
//!
//! Matrices are kept as packed lower triangles (row `i` holds `0..=i`).

use super::grouped::{self, Grouped};
use super::prepare::Prepared;

/// Rows from which a fit is evaluated on two threads.
const SPLIT_ROWS: usize = 100_000;

/// Running sums of one worker.
#[derive(Debug, Clone)]
pub(super) struct Acc {
    pub(super) loglik: f64,
    pub(super) u: Vec<f64>,
    imat: Vec<f64>,
    pub(super) denom: f64,
    pub(super) a: Vec<f64>,
    pub(super) cmat: Vec<f64>,
    pub(super) a2: Vec<f64>,
    pub(super) cmat2: Vec<f64>,
    /// Right-censored: per event time, (first row, end row, c, e): the
    /// coefficient of `r x x'` for rows at risk and for the time's events.
    coefs: Vec<(u32, u32, f64, f64)>,
    /// Efron's sub-step fractions `c_k = (k+1)/d` for each number of tied
    /// events `d` up to [`EFRON_TABLE_MAX`], row `d` at `d(d−1)/2` (filled
    /// as larger `d` are met; the same for every evaluation).
    efron_fractions: Vec<f64>,
    /// Denominators `D_k` and their inverses at one time (scratch of
    /// [`add_efron`]).
    efron_steps: Vec<[f64; 2]>,
}

/// Largest number of tied events whose Efron fractions are kept (the
/// table then holds at most about 2 million numbers).
const EFRON_TABLE_MAX: usize = 2048;

/// The fractions `c_k = (k+1)/d`, `k < d`, of `d` tied events: from the
/// table `fractions` (rows added up to `d` when needed), or computed into
/// `scratch` when `d` is beyond the table.
fn efron_fractions<'a>(
    fractions: &'a mut Vec<f64>,
    scratch: &'a mut Vec<f64>,
    d: usize,
) -> &'a [f64] {
    let row = |d: usize| (0..d).map(move |k| (k + 1) as f64 / d as f64);
    if d > EFRON_TABLE_MAX {
        scratch.clear();
        scratch.extend(row(d));
        return scratch;
    }
    let begin = d * (d - 1) / 2;
    if fractions.len() < begin + d {
        // Rows 1..=e fill e(e+1)/2 numbers; add rows e+1..=d.
        let mut e = 0;
        while e * (e + 1) / 2 < fractions.len() {
            e += 1;
        }
        for next in e + 1..=d {
            fractions.extend(row(next));
        }
    }
    &fractions[begin..begin + d]
}

impl Acc {
    fn new(p: usize) -> Acc {
        let np = p * (p + 1) / 2;
        Acc {
            loglik: 0.0,
            u: vec![0.0; p],
            imat: vec![0.0; np],
            denom: 0.0,
            a: vec![0.0; p],
            cmat: vec![0.0; np],
            a2: vec![0.0; p],
            cmat2: vec![0.0; np],
            coefs: Vec::new(),
            efron_fractions: Vec::new(),
            efron_steps: Vec::new(),
        }
    }

    fn zero(&mut self) {
        self.loglik = 0.0;
        self.u.iter_mut().for_each(|v| *v = 0.0);
        self.imat.iter_mut().for_each(|v| *v = 0.0);
        self.coefs.clear();
        self.reset_risk();
    }

    pub(super) fn reset_risk(&mut self) {
        self.denom = 0.0;
        self.a.iter_mut().for_each(|v| *v = 0.0);
        self.cmat.iter_mut().for_each(|v| *v = 0.0);
    }
}

/// Score and information at one β, plus the scratch space to compute them.
#[derive(Debug, Clone)]
pub(crate) struct Eval {
    pub p: usize,
    pub loglik: f64,
    pub u: Vec<f64>,
    /// Packed lower triangle of the information matrix.
    pub imat: Vec<f64>,
    acc: [Acc; 2],
    /// Risk weight of each position.
    risk: Vec<f64>,
    /// Right-censored: first position of the second part (`n` when the data
    /// are evaluated in one part).
    split: usize,
    /// Large right-censored data with tied event times: one pass per
    /// evaluation (`grouped`).
    grouped: Option<Grouped>,
}

impl Eval {
    pub fn new(prep: &Prepared) -> Eval {
        let p = prep.p;
        let np = p * (p + 1) / 2;
        let grouped = if prep.n >= SPLIT_ROWS {
            grouped::plan(prep)
        } else {
            None
        };
        Eval {
            p,
            loglik: 0.0,
            u: vec![0.0; p],
            imat: vec![0.0; np],
            acc: [Acc::new(p), Acc::new(p)],
            risk: if grouped.is_some() {
                Vec::new()
            } else {
                vec![0.0; prep.n]
            },
            split: if prep.start.is_some() || grouped.is_some() {
                prep.n
            } else {
                plan(prep)
            },
            grouped,
        }
    }

    /// Evaluates at `beta` (in the centred, scaled coordinates of `prep`).
    pub fn run(&mut self, prep: &Prepared, beta: &[f64], efron: bool) {
        // One copy of the passes per small p, so that the inner loops have
        // constant trip counts and are unrolled.
        match self.p {
            1 => self.run_p::<1>(1, prep, beta, efron),
            2 => self.run_p::<2>(2, prep, beta, efron),
            3 => self.run_p::<3>(3, prep, beta, efron),
            4 => self.run_p::<4>(4, prep, beta, efron),
            5 => self.run_p::<5>(5, prep, beta, efron),
            6 => self.run_p::<6>(6, prep, beta, efron),
            7 => self.run_p::<7>(7, prep, beta, efron),
            8 => self.run_p::<8>(8, prep, beta, efron),
            p => self.run_p::<0>(p, prep, beta, efron),
        }
        self.loglik = self.acc[0].loglik + self.acc[1].loglik;
        for k in 0..self.p {
            self.u[k] = self.acc[0].u[k] + self.acc[1].u[k];
        }
        for k in 0..self.imat.len() {
            self.imat[k] = self.acc[0].imat[k] + self.acc[1].imat[k];
        }
    }

    /// `P` is the number of covariates when known at compile time (1..=8),
    /// 0 otherwise; the phase functions are generic over it so that even
    /// when they run on another thread their loops have constant bounds.
    fn run_p<const P: usize>(&mut self, p: usize, prep: &Prepared, beta: &[f64], efron: bool) {
        let p = if P == 0 { p } else { P };
        let beta = &beta[..p];
        self.acc[0].zero();
        self.acc[1].zero();
        if let Some(g) = &mut self.grouped {
            g.run::<P>(prep, beta, efron, &mut self.acc[0]);
            return;
        }
        let n = prep.n;
        let split = self.split;
        if prep.start.is_some() || split == n {
            let [acc, _] = &mut self.acc;
            sequential_pass::<P>(p, prep, beta, efron, acc, &mut self.risk);
            return;
        }
        let two = true;
        let parallel = two && std::thread::available_parallelism().map_or(1, |v| v.get()) > 1;
        let [acc0, acc1] = &mut self.acc;
        // Block of the cut, when it falls inside a stratum.
        let cut_block = prep
            .blocks
            .iter()
            .copied()
            .find(|&(b0, b1)| b0 < split && split < b1);

        // Phase 1: risk weights, the events' Σ w·η and Σ w·x, and the
        // second part's starting risk set.
        let mut offset = (0.0, vec![0.0; p]);
        {
            let (risk0, risk1) = self.risk.split_at_mut(split);
            let phase1_0 = |acc: &mut Acc, risk: &mut [f64], offset: &mut (f64, Vec<f64>)| {
                risk_weights::<P>(p, prep, beta, 0, split, acc, risk);
                if let Some((b0, _)) = cut_block {
                    for pos in b0..split {
                        let r = risk[pos];
                        offset.0 += r;
                        for (o, x) in offset.1.iter_mut().zip(row(prep, p, pos)) {
                            *o += r * x;
                        }
                    }
                }
            };
            let phase1_1 = |acc: &mut Acc, risk: &mut [f64]| {
                risk_weights::<P>(p, prep, beta, split, n, acc, risk);
            };
            if parallel {
                std::thread::scope(|scope| {
                    let h = scope.spawn(|| phase1_1(acc1, risk1));
                    phase1_0(acc0, risk0, &mut offset);
                    h.join().expect("likelihood worker");
                });
            } else {
                phase1_0(acc0, risk0, &mut offset);
                if two {
                    phase1_1(acc1, risk1);
                }
            }
        }

        // Phase 2: the ordered pass (S0, S1; per-time terms).
        let risk = &self.risk[..];
        let phase2 = |acc: &mut Acc, lo: usize, hi: usize, offset: &(f64, Vec<f64>)| {
            for &(b0, b1) in &prep.blocks {
                let (s, e) = (b0.max(lo), b1.min(hi));
                if s >= e {
                    continue;
                }
                acc.reset_risk();
                if s > b0 {
                    acc.denom = offset.0;
                    acc.a.clone_from(&offset.1);
                }
                ordered_pass::<P>(p, prep, efron, acc, risk, s, e);
            }
        };
        if parallel {
            std::thread::scope(|scope| {
                let h = scope.spawn(|| phase2(acc1, split, n, &offset));
                phase2(acc0, 0, split, &offset);
                h.join().expect("likelihood worker");
            });
        } else {
            phase2(acc0, 0, split, &offset);
            if two {
                phase2(acc1, split, n, &offset);
            }
        }

        // Phase 3: Σ r h x x'. The first part's rows of the cut stratum are
        // also at risk at the second part's event times of that stratum.
        let h_start = match cut_block {
            Some((_, b1)) => acc1
                .coefs
                .iter()
                .filter(|c| (c.0 as usize) < b1)
                .map(|c| c.2)
                .sum::<f64>(),
            None => 0.0,
        };
        let phase3 = |acc: &mut Acc, lo: usize, hi: usize, h_start: f64| {
            second_moments::<P>(p, prep, risk, acc, lo, hi, h_start);
        };
        if parallel {
            std::thread::scope(|scope| {
                let h = scope.spawn(|| phase3(acc1, split, n, 0.0));
                phase3(acc0, 0, split, h_start);
                h.join().expect("likelihood worker");
            });
        } else {
            phase3(acc0, 0, split, h_start);
            if two {
                phase3(acc1, split, n, 0.0);
            }
        }
    }
}

/// Where right-censored data are cut in two parts (`n`: not cut). The
/// first (later) part also sums the second part's starting risk set, so it
/// is given a little less.
fn plan(prep: &Prepared) -> usize {
    let n = prep.n;
    if n < SPLIT_ROWS {
        return n;
    }
    let mut s = 9 * n / 20;
    while s < n && prep.stop[s] == prep.stop[s - 1] {
        s += 1;
    }
    s
}

/// Phase 3: adds `Σ r_i h_i x_i x_i'` over positions `lo..hi` (see the
/// module notes), walking each stratum from its earliest time.
fn second_moments<const P: usize>(
    p: usize,
    prep: &Prepared,
    risk: &[f64],
    acc: &mut Acc,
    lo: usize,
    hi: usize,
    h_start: f64,
) {
    let p = if P == 0 { p } else { P };
    let np = p * (p + 1) / 2;
    let mut im_st = [0.0f64; 36];
    let mut im_heap = Vec::new();
    let im: &mut [f64] = if np <= 36 {
        &mut im_st[..np]
    } else {
        im_heap.resize(np, 0.0);
        &mut im_heap[..]
    };
    let coefs = std::mem::take(&mut acc.coefs);
    let mut k = coefs.len();
    for &(b0, b1) in prep.blocks.iter().rev() {
        let (s, e) = (b0.max(lo), b1.min(hi));
        if s >= e {
            continue;
        }
        let mut h = if e < b1 { h_start } else { 0.0 };
        let mut pos = e;
        while pos > s {
            // Rows after the next event time (earlier in time) see
            // only the times already passed.
            let (g0, g1, c, ev) = if k > 0 && coefs[k - 1].0 as usize >= s {
                let g = coefs[k - 1];
                (g.0 as usize, g.1 as usize, g.2, g.3)
            } else {
                (s, s, 0.0, 0.0)
            };
            if h != 0.0 {
                for q in g1..pos {
                    add_second(im, row(prep, p, q), risk[q] * h);
                }
            }
            for q in g0..g1 {
                let coef = if prep.event[q] { ev } else { c };
                add_second(im, row(prep, p, q), risk[q] * (h + coef));
            }
            if g1 > g0 {
                h += c;
                k -= 1;
            }
            pos = g0;
        }
    }
    acc.coefs = coefs;
    for (a, b) in acc.imat.iter_mut().zip(im.iter()) {
        *a += b;
    }
}

#[inline(always)]
fn row(prep: &Prepared, p: usize, pos: usize) -> &[f64] {
    &prep.x[pos * p..(pos + 1) * p]
}

/// Risk weights of positions `lo..hi` (into `risk[pos - lo]`), with the
/// events' `Σ w·η` and `Σ w·x`.
fn risk_weights<const P: usize>(
    p: usize,
    prep: &Prepared,
    beta: &[f64],
    lo: usize,
    hi: usize,
    acc: &mut Acc,
    risk: &mut [f64],
) {
    let p = if P == 0 { p } else { P };
    // At β = 0 (the first evaluation) every risk is exp(0) = 1.
    let at_zero = beta.iter().all(|&b| b == 0.0);
    let mut loglik = 0.0;
    let mut u_st = [0.0f64; 8];
    let mut u_heap = Vec::new();
    let u: &mut [f64] = if p <= 8 {
        &mut u_st[..p]
    } else {
        u_heap.resize(p, 0.0);
        &mut u_heap[..]
    };
    for pos in lo..hi {
        let x = row(prep, p, pos);
        let w = prep.weight[pos];
        let eta = if at_zero { 0.0 } else { dot(beta, x) };
        risk[pos - lo] = if at_zero { w } else { eta.exp() * w };
        if prep.event[pos] {
            loglik += w * eta;
            for (uk, xk) in u.iter_mut().zip(x) {
                *uk += w * xk;
            }
        }
    }
    acc.loglik += loglik;
    for (a, b) in acc.u.iter_mut().zip(u.iter()) {
        *a += b;
    }
}

/// The ordered pass over `begin..end` (within one stratum) for
/// right-censored data: S0 and S1 only; at each event time the
/// log-likelihood, the score and the `−S1 S1'/S0²` part of the information,
/// and the coefficients of `S2` (stored for the order-free sum).
fn ordered_pass<const P: usize>(
    p: usize,
    prep: &Prepared,
    efron: bool,
    acc: &mut Acc,
    risk: &[f64],
    begin: usize,
    end: usize,
) {
    let p = if P == 0 { p } else { P };
    // Running sums in locals (stack arrays for up to 8 covariates, so that
    // they live in registers), written back at the end.
    let mut a_st = [0.0f64; 8];
    let mut a2_st = [0.0f64; 8];
    let mut a_heap = Vec::new();
    let mut a2_heap = Vec::new();
    let (a, a2): (&mut [f64], &mut [f64]) = if p <= 8 {
        a_st[..p].copy_from_slice(&acc.a[..p]);
        (&mut a_st[..p], &mut a2_st[..p])
    } else {
        a_heap.extend_from_slice(&acc.a);
        a2_heap.resize(p, 0.0);
        (&mut a_heap[..], &mut a2_heap[..])
    };
    let mut denom = acc.denom;
    let mut i = begin;
    while i < end {
        let t = prep.stop[i];
        let mut j = i + 1;
        while j < end && prep.stop[j] == t {
            j += 1;
        }
        let mut denom2 = 0.0;
        let mut deadwt = 0.0;
        let mut ndead = 0usize;
        for pos in i..j {
            let x = row(prep, p, pos);
            let r = risk[pos];
            if prep.event[pos] {
                if ndead == 0 {
                    a2.iter_mut().for_each(|v| *v = 0.0);
                }
                ndead += 1;
                deadwt += prep.weight[pos];
                denom2 += r;
                for (ak, xk) in a2.iter_mut().zip(x) {
                    *ak += r * xk;
                }
            } else {
                denom += r;
                for (ak, xk) in a.iter_mut().zip(x) {
                    *ak += r * xk;
                }
            }
        }
        if ndead > 0 {
            let (c, e) = if !efron || ndead == 1 {
                denom += denom2;
                for k in 0..p {
                    a[k] += a2[k];
                }
                acc.loglik -= deadwt * denom.ln();
                let mut k = 0;
                for ia in 0..p {
                    let mean_a = a[ia] / denom;
                    acc.u[ia] -= deadwt * mean_a;
                    for ib in 0..=ia {
                        acc.imat[k] -= deadwt * mean_a * a[ib] / denom;
                        k += 1;
                    }
                }
                (deadwt / denom, deadwt / denom)
            } else {
                let d = ndead as f64;
                let wtave = deadwt / d;
                let (s0, s1, t0, t1, t2, log_sum) = efron_sums(denom, denom2, ndead);
                acc.loglik -= wtave * log_sum;
                let mut k = 0;
                for x in 0..p {
                    acc.u[x] -= wtave * (a[x] * s0 + a2[x] * s1);
                    for y in 0..=x {
                        let mean_sq = a[x] * a[y] * t0
                            + (a[x] * a2[y] + a2[x] * a[y]) * t1
                            + a2[x] * a2[y] * t2;
                        acc.imat[k] -= wtave * mean_sq;
                        k += 1;
                    }
                }
                denom += denom2;
                for k in 0..p {
                    a[k] += a2[k];
                }
                (wtave * s0, wtave * s1)
            };
            acc.coefs.push((i as u32, j as u32, c, e));
        }
        i = j;
    }
    acc.a[..p].copy_from_slice(a);
    acc.denom = denom;
}

/// Efron's scalar sums over the d sub-steps: with `c_k = (k+1)/d` and
/// `D_k = S0 + c_k·S0ᵉ`: `ΣD⁻¹, Σc/D, ΣD⁻², Σc/D², Σc²/D², Σ log D`.
#[inline(always)]
pub(crate) fn efron_sums(denom: f64, denom2: f64, ndead: usize) -> (f64, f64, f64, f64, f64, f64) {
    let d = ndead as f64;
    let (mut s0, mut s1, mut t0, mut t1, mut t2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    // Σ log D_k as the log of running products (one log per few steps;
    // the product is logged before it could leave the f64 range).
    let mut prod = 1.0f64;
    let mut log_sum = 0.0;
    for k in 0..ndead {
        let c = (k + 1) as f64 / d;
        let dk = denom + c * denom2;
        prod *= dk;
        if !(1e-100..=1e100).contains(&prod) {
            log_sum += prod.ln();
            prod = 1.0;
        }
        let inv = 1.0 / dk;
        let inv2 = inv * inv;
        s0 += inv;
        s1 += c * inv;
        t0 += inv2;
        t1 += c * inv2;
        t2 += c * c * inv2;
    }
    (s0, s1, t0, t1, t2, log_sum + prod.ln())
}

/// [`efron_sums`], the same values, quicker for many tied events:
/// registry times have hundreds of events a day, and the two divisions per
/// sub-step were most of the work. The fractions `c_k` are the same at
/// every evaluation (`fractions`, a table by `d`), and the inverses are
/// computed first (into `steps`), in a loop of their own without branches,
/// which the compiler vectorises; then the sums in the order of the
/// sub-steps.
fn efron_sums_tabled(
    fractions: &mut Vec<f64>,
    steps: &mut Vec<[f64; 2]>,
    denom: f64,
    denom2: f64,
    ndead: usize,
) -> (f64, f64, f64, f64, f64, f64) {
    let (mut s0, mut s1, mut t0, mut t1, mut t2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut scratch = Vec::new();
    let fractions = efron_fractions(fractions, &mut scratch, ndead);
    steps.clear();
    steps.extend(fractions.iter().map(|&c| {
        let dk = denom + c * denom2;
        [dk, 1.0 / dk]
    }));
    // Σ log D_k as the log of running products (one log per few steps;
    // the product is logged before it could leave the f64 range).
    let mut prod = 1.0f64;
    let mut log_sum = 0.0;
    for (&c, &[dk, inv]) in fractions.iter().zip(steps.iter()) {
        prod *= dk;
        if !(1e-100..=1e100).contains(&prod) {
            log_sum += prod.ln();
            prod = 1.0;
        }
        let inv2 = inv * inv;
        s0 += inv;
        s1 += c * inv;
        t0 += inv2;
        t1 += c * inv2;
        t2 += c * c * inv2;
    }
    (s0, s1, t0, t1, t2, log_sum + prod.ln())
}

/// `imat += c·x·x'` (packed lower).
#[inline(always)]
fn add_second(imat: &mut [f64], x: &[f64], c: f64) {
    let mut k = 0;
    for (i, &xi) in x.iter().enumerate() {
        let cx = c * xi;
        for &xj in &x[..=i] {
            imat[k] += cx * xj;
            k += 1;
        }
    }
}

/// One pass over all strata, computing risk weights on the way; handles
/// (start, stop] removals.
fn sequential_pass<const P: usize>(
    p: usize,
    prep: &Prepared,
    beta: &[f64],
    efron: bool,
    acc: &mut Acc,
    risk: &mut [f64],
) {
    let p = if P == 0 { p } else { P };
    let counting = prep.start.is_some();
    let at_zero = beta.iter().all(|&b| b == 0.0);
    for (b, &(b0, b1)) in prep.blocks.iter().enumerate() {
        acc.reset_risk();
        let mut nrisk: usize = 0;
        let (mut rem, rem_end) = if counting {
            let begin = prep.removal_begin[b];
            (begin, begin + (b1 - b0))
        } else {
            (0, 0)
        };

        let mut i = b0;
        while i < b1 {
            let t = prep.stop[i];
            let mut j = i + 1;
            while j < b1 && prep.stop[j] == t {
                j += 1;
            }
            let has_event = prep.event[i..j].iter().any(|&e| e);

            if counting && has_event {
                let start = prep.start.as_deref().expect("counting data has starts");
                while rem < rem_end {
                    let pos = prep.removal[rem] as usize;
                    if start[pos] < t {
                        break;
                    }
                    rem += 1;
                    nrisk -= 1;
                    if nrisk == 0 {
                        // Everyone has left: reset rather than carry
                        // round-off (as agfit4 does).
                        acc.reset_risk();
                    } else {
                        let r = risk[pos];
                        acc.denom -= r;
                        add_outer(&mut acc.a, &mut acc.cmat, row(prep, p, pos), -r);
                    }
                }
            }

            let mut denom2 = 0.0;
            let mut deadwt = 0.0;
            let mut ndead = 0usize;
            if has_event {
                acc.a2.iter_mut().for_each(|v| *v = 0.0);
                acc.cmat2.iter_mut().for_each(|v| *v = 0.0);
            }
            for pos in i..j {
                let x = row(prep, p, pos);
                let w = prep.weight[pos];
                let eta = if at_zero { 0.0 } else { dot(beta, x) };
                let r = if at_zero { w } else { eta.exp() * w };
                if counting {
                    risk[pos] = r;
                    nrisk += 1;
                }
                if prep.event[pos] {
                    ndead += 1;
                    deadwt += w;
                    denom2 += r;
                    acc.loglik += w * eta;
                    for (uk, xk) in acc.u.iter_mut().zip(x) {
                        *uk += w * xk;
                    }
                    add_outer(&mut acc.a2, &mut acc.cmat2, x, r);
                } else {
                    acc.denom += r;
                    add_outer(&mut acc.a, &mut acc.cmat, x, r);
                }
            }

            if ndead > 0 {
                add_events(p, acc, denom2, deadwt, ndead, efron);
            }
            i = j;
        }
    }
}

/// Adds a time's events (Breslow, or Efron in closed form) to the score and
/// information, then moves the events' sums into the risk set.
#[inline(always)]
pub(super) fn add_events(
    p: usize,
    acc: &mut Acc,
    denom2: f64,
    deadwt: f64,
    ndead: usize,
    efron: bool,
) {
    if !efron || ndead == 1 {
        acc.denom += denom2;
        acc.loglik -= deadwt * acc.denom.ln();
        for k in 0..p {
            acc.a[k] += acc.a2[k];
        }
        for (c, c2) in acc.cmat.iter_mut().zip(&acc.cmat2) {
            *c += c2;
        }
        let denom = acc.denom;
        let mut k = 0;
        for i in 0..p {
            let mean_i = acc.a[i] / denom;
            acc.u[i] -= deadwt * mean_i;
            for j in 0..=i {
                acc.imat[k] += deadwt * (acc.cmat[k] - mean_i * acc.a[j]) / denom;
                k += 1;
            }
        }
    } else {
        add_efron(p, acc, denom2, deadwt, ndead);
        acc.denom += denom2;
        for k in 0..p {
            acc.a[k] += acc.a2[k];
        }
        for (c, c2) in acc.cmat.iter_mut().zip(&acc.cmat2) {
            *c += c2;
        }
    }
}

/// Efron's d sub-steps at one time, in closed form: with `c_k = (k+1)/d`
/// and `D_k = S0 + c_k·S0ᵉ` (ᵉ: the events' sums),
/// `Σ_k S1_k/D_k = S1·ΣD⁻¹ + S1ᵉ·Σc/D` and
/// `Σ_k S1_k S1_k'/D_k² = S1S1'·ΣD⁻² + (S1S1ᵉ' + S1ᵉS1')·Σc/D² + S1ᵉS1ᵉ'·Σc²/D²`,
/// so the cost is O(d) scalar work plus O(p²), not O(d·p²). (R adds the
/// sub-steps one by one; the sums are the same up to rounding.)
#[inline(always)]
fn add_efron(p: usize, acc: &mut Acc, denom2: f64, deadwt: f64, ndead: usize) {
    let d = ndead as f64;
    let wtave = deadwt / d;
    let (s0, s1, t0, t1, t2, log_sum) = efron_sums_tabled(
        &mut acc.efron_fractions,
        &mut acc.efron_steps,
        acc.denom,
        denom2,
        ndead,
    );
    acc.loglik -= wtave * log_sum;
    let a = &acc.a[..p];
    let a2 = &acc.a2[..p];
    let mut k = 0;
    for i in 0..p {
        acc.u[i] -= wtave * (a[i] * s0 + a2[i] * s1);
        for j in 0..=i {
            let second = acc.cmat[k] * s0 + acc.cmat2[k] * s1;
            let mean_sq =
                a[i] * a[j] * t0 + (a[i] * a2[j] + a2[i] * a[j]) * t1 + a2[i] * a2[j] * t2;
            acc.imat[k] += wtave * (second - mean_sq);
            k += 1;
        }
    }
}

#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `a += r·x`, `cmat += r·x·x'` (packed lower).
#[inline(always)]
fn add_outer(a: &mut [f64], cmat: &mut [f64], x: &[f64], r: f64) {
    let mut k = 0;
    for (i, &xi) in x.iter().enumerate() {
        let rx = r * xi;
        a[i] += rx;
        for &xj in &x[..=i] {
            cmat[k] += rx * xj;
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::prepare::{Raw, prepare};
    use super::*;
    use crate::test_rng::Lcg;

    /// The tabled, vectorised Efron sums are `efron_sums`' bit for bit,
    /// for one to thousands of tied events (the table grown out of order
    /// and beyond its largest `d`), with risk sets large and small.
    #[test]
    fn tabled_efron_sums_are_the_loops() {
        let mut rng = Lcg(11);
        let mut next = || rng.unit53();
        let (mut table, mut steps) = (Vec::new(), Vec::new());
        let ds = [
            1usize,
            2,
            3,
            17,
            5,
            400,
            2,
            1999,
            EFRON_TABLE_MAX,
            EFRON_TABLE_MAX + 1,
            3000,
            64,
        ];
        for &d in &ds {
            for scale in [1e-120, 1e-3, 1.0, 1e5, 1e150] {
                let denom = scale * (0.5 + next()) * d as f64;
                let denom2 = scale * next() * d as f64;
                let want = efron_sums(denom, denom2, d);
                let got = efron_sums_tabled(&mut table, &mut steps, denom, denom2, d);
                let bits = |v: (f64, f64, f64, f64, f64, f64)| {
                    [v.0, v.1, v.2, v.3, v.4, v.5].map(f64::to_bits)
                };
                assert_eq!(bits(got), bits(want), "d = {d}, scale {scale}");
            }
        }
        assert_eq!(table.len(), EFRON_TABLE_MAX * (EFRON_TABLE_MAX + 1) / 2);
    }

    /// The grouped route (one pass per evaluation, in one or two parts)
    /// and the two-pass route (two parts) equal the one ordered pass that
    /// carries S2, as (start, stop] data use it: weighted and unweighted,
    /// with strata, for p known at compile time and not (p = 9).
    #[test]
    fn every_route_matches_the_ordered_pass() {
        let n = 120_000usize;
        let mut rng = Lcg(99);
        let mut next = || rng.unit31();
        let time: Vec<f64> = (0..n).map(|_| (next() * 500.0).ceil()).collect();
        let event: Vec<bool> = (0..n).map(|_| next() < 0.5).collect();
        let mut x = Vec::with_capacity(9 * n);
        x.extend((0..n).map(|_| next() * 3.0));
        x.extend((0..n).map(|_| f64::from(u8::from(next() < 0.3))));
        for _ in 2..9 {
            x.extend((0..n).map(|_| next() - 0.5));
        }
        let wt: Vec<f64> = (0..n).map(|_| 0.5 + next()).collect();
        let strata: Vec<u32> = (0..n).map(|i| u32::from(i % 5 == 0)).collect();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-10 * b.abs().max(1.0);
        let mut checked = [0usize; 3];
        for p in [2usize, 9] {
            for s in [None, Some(strata.as_slice())] {
                for w in [None, Some(wt.as_slice())] {
                    let prep = prepare(&Raw {
                        stop: &time,
                        start: None,
                        event: &event,
                        weight: w,
                        strata: s,
                        x: &x[..p * n],
                        p,
                    })
                    .unwrap();
                    let beta2 = [0.3, -0.7, 0.1, 0.2, -0.3, 0.05, 0.4, -0.2, 0.1];
                    for beta in [&[0.0; 9][..p], &beta2[..p]] {
                        for efron in [true, false] {
                            let mut acc = Acc::new(p);
                            let mut risk = vec![0.0; n];
                            if p == 2 {
                                sequential_pass::<2>(p, &prep, beta, efron, &mut acc, &mut risk);
                            } else {
                                sequential_pass::<0>(p, &prep, beta, efron, &mut acc, &mut risk);
                            }
                            let grouped = Eval::new(&prep);
                            assert!(grouped.grouped.is_some());
                            if let Some(g) = &grouped.grouped {
                                // The events' score in registers (p = 2)
                                // is the one of any p, bit for bit.
                                g.check_events_sum(&prep);
                            }
                            let mut one_part = Eval::new(&prep);
                            if let Some(g) = &mut one_part.grouped {
                                g.one_part();
                            }
                            let mut two_pass = Eval::new(&prep);
                            two_pass.grouped = None;
                            two_pass.risk = vec![0.0; n];
                            two_pass.split = plan(&prep);
                            assert!(two_pass.split < n);
                            for (route, mut ev) in
                                [grouped, one_part, two_pass].into_iter().enumerate()
                            {
                                ev.run(&prep, beta, efron);
                                assert!(
                                    close(ev.loglik, acc.loglik),
                                    "{route}: {} {}",
                                    ev.loglik,
                                    acc.loglik
                                );
                                for (a, b) in
                                    ev.u.iter().zip(&acc.u).chain(ev.imat.iter().zip(&acc.imat))
                                {
                                    assert!(close(*a, *b), "{route}: {a} {b}");
                                }
                                checked[route] += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(checked, [32, 32, 32]);
    }
}
