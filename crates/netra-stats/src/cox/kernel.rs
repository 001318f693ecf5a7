//! The partial log-likelihood, its gradient (score) and the information
//! matrix in one backward pass over the sorted data: O(n·p²), no allocation
//! per row.
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
//! Large right-censored data (≥ 100 000 rows) are split in two parts of the
//! time order, evaluated on two threads: first every row's risk weight
//! (and the later half's total sums, which start the earlier half's risk
//! set), then each half's pass. The split depends only on the data, so the
//! result does not depend on the number of cores.
//!
//! Matrices are kept as packed lower triangles (row `i` holds `0..=i`).

use super::prepare::Prepared;

/// Rows from which a fit is evaluated on two threads.
const SPLIT_ROWS: usize = 100_000;

/// Running sums of one worker.
#[derive(Debug, Clone)]
struct Acc {
    loglik: f64,
    u: Vec<f64>,
    imat: Vec<f64>,
    denom: f64,
    a: Vec<f64>,
    cmat: Vec<f64>,
    a2: Vec<f64>,
    cmat2: Vec<f64>,
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
        }
    }

    fn zero(&mut self) {
        self.loglik = 0.0;
        self.u.iter_mut().for_each(|v| *v = 0.0);
        self.imat.iter_mut().for_each(|v| *v = 0.0);
        self.reset_risk();
    }

    fn reset_risk(&mut self) {
        self.denom = 0.0;
        self.a.iter_mut().for_each(|v| *v = 0.0);
        self.cmat.iter_mut().for_each(|v| *v = 0.0);
    }
}

/// Part of a stratum handled by one worker; `init` = the risk set starts
/// with the rows `block_begin..begin` (later times of the same stratum).
#[derive(Debug, Clone, Copy)]
struct Segment {
    block: usize,
    begin: usize,
    end: usize,
    init: bool,
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
    /// Risk weight of each position: for removals ((start, stop] data) or
    /// computed ahead of the two-thread pass.
    risk: Vec<f64>,
    /// Two-thread plan: segments of each half and the first position of
    /// the second half; `None` for one sequential pass.
    split: Option<([Vec<Segment>; 2], usize)>,
}

impl Eval {
    pub fn new(prep: &Prepared) -> Eval {
        let p = prep.p;
        let np = p * (p + 1) / 2;
        let split = plan(prep);
        Eval {
            p,
            loglik: 0.0,
            u: vec![0.0; p],
            imat: vec![0.0; np],
            acc: [Acc::new(p), Acc::new(p)],
            risk: if prep.start.is_some() || split.is_some() {
                vec![0.0; prep.n]
            } else {
                Vec::new()
            },
            split,
        }
    }

    /// Evaluates at `beta` (in the centred, scaled coordinates of `prep`).
    pub fn run(&mut self, prep: &Prepared, beta: &[f64], efron: bool) {
        // One copy of the pass per small p, so that the inner loops have
        // constant trip counts and are unrolled.
        match self.p {
            1 => self.run_p(1, prep, beta, efron),
            2 => self.run_p(2, prep, beta, efron),
            3 => self.run_p(3, prep, beta, efron),
            4 => self.run_p(4, prep, beta, efron),
            5 => self.run_p(5, prep, beta, efron),
            6 => self.run_p(6, prep, beta, efron),
            7 => self.run_p(7, prep, beta, efron),
            8 => self.run_p(8, prep, beta, efron),
            p => self.run_p(p, prep, beta, efron),
        }
        self.loglik = self.acc[0].loglik + self.acc[1].loglik;
        for k in 0..self.p {
            self.u[k] = self.acc[0].u[k] + self.acc[1].u[k];
        }
        for k in 0..self.imat.len() {
            self.imat[k] = self.acc[0].imat[k] + self.acc[1].imat[k];
        }
    }

    #[inline(always)]
    fn run_p(&mut self, p: usize, prep: &Prepared, beta: &[f64], efron: bool) {
        let beta = &beta[..p];
        self.acc[0].zero();
        self.acc[1].zero();
        let Some((segments, split)) = &self.split else {
            let [acc, _] = &mut self.acc;
            sequential_pass(p, prep, beta, efron, acc, &mut self.risk);
            return;
        };
        let split = *split;
        let parallel = std::thread::available_parallelism().map_or(1, |v| v.get()) > 1;
        let [acc0, acc1] = &mut self.acc;
        let (risk0, risk1) = self.risk.split_at_mut(split);
        // The first segment of the second half may start from the later
        // rows of its stratum: their sums are its initial risk set.
        let init = segments[1]
            .first()
            .filter(|s| s.init)
            .map(|s| prep.blocks[s.block].0);

        // Phase 1: risk weights, Σ w·η and Σ w·x of the events, and the
        // initial sums of the second half.
        let mut init_sums = Acc::new(p);
        let phase1_0 = |acc: &mut Acc, risk: &mut [f64], init_sums: &mut Acc| {
            risk_weights(p, prep, beta, 0, split, acc, risk);
            if let Some(b0) = init {
                for pos in b0..split {
                    let r = risk[pos];
                    init_sums.denom += r;
                    add_outer(&mut init_sums.a, &mut init_sums.cmat, row(prep, p, pos), r);
                }
            }
        };
        let phase1_1 = |acc: &mut Acc, risk: &mut [f64]| {
            risk_weights(p, prep, beta, split, prep.n, acc, risk);
        };
        if parallel {
            std::thread::scope(|scope| {
                let h = scope.spawn(|| phase1_1(acc1, risk1));
                phase1_0(acc0, risk0, &mut init_sums);
                h.join().expect("likelihood worker");
            });
        } else {
            phase1_0(acc0, risk0, &mut init_sums);
            phase1_1(acc1, risk1);
        }

        // Phase 2: each half's backward pass on the stored risk weights.
        let phase2 = |acc: &mut Acc, risk: &[f64], offset: usize, segs: &[Segment], init: &Acc| {
            for seg in segs {
                acc.reset_risk();
                if seg.init {
                    acc.denom = init.denom;
                    acc.a.clone_from(&init.a);
                    acc.cmat.clone_from(&init.cmat);
                }
                segment_pass(p, prep, efron, acc, risk, offset, seg.begin, seg.end);
            }
        };
        let (risk0, risk1) = self.risk.split_at(split);
        if parallel {
            std::thread::scope(|scope| {
                let h = scope.spawn(|| phase2(acc1, risk1, split, &segments[1], &init_sums));
                phase2(acc0, risk0, 0, &segments[0], &init_sums);
                h.join().expect("likelihood worker");
            });
        } else {
            phase2(acc0, risk0, 0, &segments[0], &init_sums);
            phase2(acc1, risk1, split, &segments[1], &init_sums);
        }
    }
}

/// The two-thread plan for large right-censored data.
fn plan(prep: &Prepared) -> Option<([Vec<Segment>; 2], usize)> {
    let n = prep.n;
    if prep.start.is_some() || n < SPLIT_ROWS {
        return None;
    }
    let whole = |b: usize| Segment {
        block: b,
        begin: prep.blocks[b].0,
        end: prep.blocks[b].1,
        init: false,
    };
    // The first (later) part also sums the second part's starting risk set
    // in phase 1, so it gets less: 2/5 of the rows balance the two phases.
    let target = 2 * n / 5;
    let b = prep.blocks.iter().position(|&(_, b1)| b1 > target)?;
    let (b0, b1) = prep.blocks[b];
    let mut s = target;
    while s > b0 && s < b1 && prep.stop[s] == prep.stop[s - 1] {
        s += 1;
    }
    if s == 0 || s >= n {
        return None;
    }
    let mut first: Vec<Segment> = (0..b).map(whole).collect();
    let mut second = Vec::new();
    if s > b0 && s < b1 {
        first.push(Segment {
            block: b,
            begin: b0,
            end: s,
            init: false,
        });
        second.push(Segment {
            block: b,
            begin: s,
            end: b1,
            init: true,
        });
    } else if s == b0 {
        second.push(whole(b));
    } else {
        first.push(whole(b));
    }
    second.extend((b + 1..prep.blocks.len()).map(whole));
    Some(([first, second], s))
}

#[inline(always)]
fn row(prep: &Prepared, p: usize, pos: usize) -> &[f64] {
    &prep.x[pos * p..(pos + 1) * p]
}

/// Risk weights of positions `lo..hi` (into `risk[pos - lo]`), with the
/// events' `Σ w·η` and `Σ w·x`.
#[inline(always)]
fn risk_weights(
    p: usize,
    prep: &Prepared,
    beta: &[f64],
    lo: usize,
    hi: usize,
    acc: &mut Acc,
    risk: &mut [f64],
) {
    // At β = 0 (the first evaluation) every risk is exp(0) = 1.
    let at_zero = beta.iter().all(|&b| b == 0.0);
    for pos in lo..hi {
        let x = row(prep, p, pos);
        let w = prep.weight[pos];
        let eta = if at_zero { 0.0 } else { dot(beta, x) };
        risk[pos - lo] = if at_zero { w } else { eta.exp() * w };
        if prep.event[pos] {
            acc.loglik += w * eta;
            for (uk, xk) in acc.u.iter_mut().zip(x) {
                *uk += w * xk;
            }
        }
    }
}

/// Backward pass over `begin..end` (one stratum) with precomputed risk
/// weights (`risk[pos - offset]`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn segment_pass(
    p: usize,
    prep: &Prepared,
    efron: bool,
    acc: &mut Acc,
    risk: &[f64],
    offset: usize,
    begin: usize,
    end: usize,
) {
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
            let r = risk[pos - offset];
            if prep.event[pos] {
                if ndead == 0 {
                    acc.a2.iter_mut().for_each(|v| *v = 0.0);
                    acc.cmat2.iter_mut().for_each(|v| *v = 0.0);
                }
                ndead += 1;
                deadwt += prep.weight[pos];
                denom2 += r;
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

/// One pass over all strata, computing risk weights on the way; handles
/// (start, stop] removals.
#[inline(always)]
fn sequential_pass(
    p: usize,
    prep: &Prepared,
    beta: &[f64],
    efron: bool,
    acc: &mut Acc,
    risk: &mut [f64],
) {
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
fn add_events(p: usize, acc: &mut Acc, denom2: f64, deadwt: f64, ndead: usize, efron: bool) {
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
    let (mut s0, mut s1, mut t0, mut t1, mut t2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    // Σ log D_k as the log of running products (one log per few steps;
    // the product is logged before it could leave the f64 range).
    let mut prod = 1.0f64;
    let mut log_sum = 0.0;
    for k in 0..ndead {
        let c = (k + 1) as f64 / d;
        let dk = acc.denom + c * denom2;
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
    acc.loglik -= wtave * (log_sum + prod.ln());
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

    /// The two-thread evaluation equals the one-pass evaluation.
    #[test]
    fn split_pass_matches_sequential() {
        let n = 120_000;
        let mut state = 99u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let time: Vec<f64> = (0..n).map(|_| (next() * 500.0).ceil()).collect();
        let event: Vec<bool> = (0..n).map(|_| next() < 0.5).collect();
        let mut x = Vec::with_capacity(2 * n);
        x.extend((0..n).map(|_| next() * 3.0));
        x.extend((0..n).map(|_| f64::from(u8::from(next() < 0.3))));
        let wt: Vec<f64> = (0..n).map(|_| 0.5 + next()).collect();
        let strata: Vec<u32> = (0..n).map(|i| u32::from(i % 5 == 0)).collect();
        for s in [None, Some(strata.as_slice())] {
            let prep = prepare(&Raw {
                stop: &time,
                start: None,
                event: &event,
                weight: Some(&wt),
                strata: s,
                x: &x,
                p: 2,
            })
            .unwrap();
            let beta = [0.3, -0.7];
            for efron in [true, false] {
                let mut par = Eval::new(&prep);
                assert!(par.split.is_some());
                par.run(&prep, &beta, efron);
                let mut seq = Eval::new(&prep);
                seq.split = None;
                seq.run(&prep, &beta, efron);
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
                assert!(
                    close(par.loglik, seq.loglik),
                    "{} {}",
                    par.loglik,
                    seq.loglik
                );
                for (a, b) in par
                    .u
                    .iter()
                    .zip(&seq.u)
                    .chain(par.imat.iter().zip(&seq.imat))
                {
                    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} {b}");
                }
            }
        }
    }
}
