//! One pass over the rows per evaluation, for large right-censored data
//! whose event times are heavily tied (registry times in whole days: a few
//! thousand distinct times for millions of rows).
//!
//! The rows are sorted by stratum, time descending and, within a time,
//! censored rows before events (`prepare`). So between two event times
//! of a stratum the rows that join the risk set are one contiguous run,
//! and the events of a time another: each event time is an [`Entry`]
//! `(begin, mid, end)`, rows `begin..mid` joining the risk set and
//! `mid..end` the time's events. One pass over the rows computes, per entry,
//! the sums `Σ r`, `Σ r·x`, `Σ r·x·x'` of both runs (with `r = w·exp(x·β)`)
//! and the events' `Σ w·η`: the risk weight, the exponential and the second
//! moments in one loop, reading the covariates once. A short pass over the
//! entries (O(p²) each) then accumulates the risk set and adds each time's
//! events with Breslow's or Efron's formula (closed form), exactly the
//! structure of `coxfit6` (the running `S2`), with the rows of a run summed
//! before they join it.
//!
//! The entries are cut in two parts (by the data only) whose row passes run
//! on two threads; the per-entry sums do not depend on the cut, and the
//! pass over entries is sequential, so results do not depend on the number
//! of cores (or on whether the cut is made at all).
//!
//! Memory: `2·(1 + p + p(p+1)/2) + 1` numbers per event time; the route is
//! taken only when that is small beside the covariates (see [`plan`]).

use super::kernel::{Acc, add_events};
use super::prepare::Prepared;

/// One event time of a stratum: rows `begin..mid` join the risk set (the
/// censored rows since the previous event time, and this time's), rows
/// `mid..end` are its events.
#[derive(Debug, Clone, Copy)]
struct Entry {
    begin: u32,
    mid: u32,
    end: u32,
    /// The first event time of its stratum (the risk set starts empty).
    first: bool,
    /// Total case weight of the events.
    deadwt: f64,
}

/// The entries of a fit, its constant score part and the per-entry sums of
/// the current evaluation.
#[derive(Debug, Clone)]
pub(crate) struct Grouped {
    p: usize,
    entries: Vec<Entry>,
    /// First entry of the second part (`entries.len()`: one part).
    split: usize,
    /// Every case weight is 1 (the weights are then not read).
    unit: bool,
    /// `Σ w·x` over the events: the score's part that does not depend on β.
    u_events: Vec<f64>,
    /// Per entry: risk-set run `[Σr, Σrx, Σrxx']`, then the events'
    /// `[Σr, Σrx, Σrxx']`, then the events' `Σ w·η`.
    sums: Vec<f64>,
}

/// Numbers stored per entry.
fn stride(p: usize) -> usize {
    2 * (1 + p + p * (p + 1) / 2) + 1
}

/// Rows from which the row pass runs in two parts.
const SPLIT_ROWS: usize = 100_000;

/// The grouped route for right-censored `prep`, or `None` when the data
/// have (start, stop] intervals or so many event times that the per-entry
/// sums would take more than about a quarter of the covariates' memory.
pub(crate) fn plan(prep: &Prepared) -> Option<Grouped> {
    if prep.start.is_some() {
        return None;
    }
    let (n, p) = (prep.n, prep.p);
    let mut entries = Vec::new();
    for &(b0, b1) in &prep.blocks {
        let mut begin = b0;
        let mut i = b0;
        let mut first = true;
        while i < b1 {
            let t = prep.stop[i];
            let mut j = i + 1;
            while j < b1 && prep.stop[j] == t {
                j += 1;
            }
            // Censored rows come first within a time.
            let mid = (i..j).find(|&k| prep.event[k]).unwrap_or(j);
            debug_assert!(prep.event[mid..j].iter().all(|&e| e));
            if mid < j {
                entries.push(Entry {
                    begin: begin as u32,
                    mid: mid as u32,
                    end: j as u32,
                    first,
                    deadwt: prep.weight.sum(mid, j),
                });
                first = false;
                begin = j;
            }
            i = j;
        }
        // Rows after the stratum's earliest event time are never at risk
        // at an event: they add nothing.
    }
    if entries.len() * stride(p) > n * p / 4 {
        return None;
    }
    let u_events = match p {
        1 => events_sum::<1>(prep, &entries),
        2 => events_sum::<2>(prep, &entries),
        3 => events_sum::<3>(prep, &entries),
        4 => events_sum::<4>(prep, &entries),
        5 => events_sum::<5>(prep, &entries),
        6 => events_sum::<6>(prep, &entries),
        7 => events_sum::<7>(prep, &entries),
        8 => events_sum::<8>(prep, &entries),
        _ => events_sum::<0>(prep, &entries),
    };
    let split = if n < SPLIT_ROWS {
        entries.len()
    } else {
        entries
            .iter()
            .position(|e| e.begin as usize >= n / 2)
            .unwrap_or(entries.len())
    };
    let sums = vec![0.0; entries.len() * stride(p)];
    Some(Grouped {
        p,
        split,
        unit: prep.weight.is_unit(),
        u_events,
        sums,
        entries,
    })
}

/// `Σ w·x` over the events of `entries`, in position order. `P` is the
/// number of covariates when known at compile time (1..=8; 0 otherwise):
/// the sums are then locals, in registers, rather than a vector stored and
/// reloaded on every row (the same additions in the same order).
fn events_sum<const P: usize>(prep: &Prepared, entries: &[Entry]) -> Vec<f64> {
    let p = prep.p;
    if P == 0 {
        let mut u = vec![0.0; p];
        for e in entries {
            for pos in e.mid as usize..e.end as usize {
                let w = prep.weight[pos];
                for (u, x) in u.iter_mut().zip(&prep.x[pos * p..(pos + 1) * p]) {
                    *u += w * x;
                }
            }
        }
        return u;
    }
    let mut u = [0.0f64; P];
    for e in entries {
        let (mid, end) = (e.mid as usize, e.end as usize);
        let rows = prep.x[mid * P..end * P].chunks_exact(P);
        for (k, xr) in rows.enumerate() {
            let w = prep.weight[mid + k];
            for j in 0..P {
                u[j] += w * xr[j];
            }
        }
    }
    u.to_vec()
}

impl Grouped {
    /// Runs the row pass in one part (tests: the cut changes nothing).
    #[cfg(test)]
    pub(crate) fn one_part(&mut self) {
        self.split = self.entries.len();
    }

    /// Tests: `u_events` is the sum of the loop for any p.
    #[cfg(test)]
    pub(crate) fn check_events_sum(&self, prep: &Prepared) {
        let any_p = events_sum::<0>(prep, &self.entries);
        let bits = |v: &[f64]| v.iter().map(|t| t.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&self.u_events), bits(&any_p));
    }

    /// Evaluates at `beta` into `acc` (zeroed by the caller).
    pub(crate) fn run<const P: usize>(
        &mut self,
        prep: &Prepared,
        beta: &[f64],
        efron: bool,
        acc: &mut Acc,
    ) {
        let p = self.p;
        let st = stride(p);
        let at_zero = beta.iter().all(|&b| b == 0.0);
        let (e0, e1) = self.entries.split_at(self.split);
        let (s0, s1) = self.sums.split_at_mut(self.split * st);
        let unit = self.unit;
        let part = |entries: &[Entry], sums: &mut [f64]| {
            for (e, out) in entries.iter().zip(sums.chunks_exact_mut(st)) {
                entry_sums::<P>(p, prep, beta, at_zero, unit, e, out);
            }
        };
        if !e1.is_empty() && std::thread::available_parallelism().map_or(1, |v| v.get()) > 1 {
            std::thread::scope(|scope| {
                let h = scope.spawn(|| part(e1, s1));
                part(e0, s0);
                h.join().expect("likelihood worker");
            });
        } else {
            part(e0, s0);
            part(e1, s1);
        }

        // The ordered pass over the entries.
        let np = p * (p + 1) / 2;
        acc.u.copy_from_slice(&self.u_events);
        for (e, s) in self.entries.iter().zip(self.sums.chunks_exact(st)) {
            if e.first {
                acc.reset_risk();
            }
            let (risk, rest) = s.split_at(1 + p + np);
            let (dead, we) = rest.split_at(1 + p + np);
            acc.loglik += we[0];
            acc.denom += risk[0];
            for (a, v) in acc.a.iter_mut().zip(&risk[1..1 + p]) {
                *a += v;
            }
            for (c, v) in acc.cmat.iter_mut().zip(&risk[1 + p..]) {
                *c += v;
            }
            acc.a2.copy_from_slice(&dead[1..1 + p]);
            acc.cmat2.copy_from_slice(&dead[1 + p..]);
            let ndead = (e.end - e.mid) as usize;
            add_events(p, acc, dead[0], e.deadwt, ndead, efron);
        }
    }
}

/// The sums of one entry (see [`Grouped::sums`]).
#[inline]
fn entry_sums<const P: usize>(
    p: usize,
    prep: &Prepared,
    beta: &[f64],
    at_zero: bool,
    unit: bool,
    e: &Entry,
    out: &mut [f64],
) {
    let p = if P == 0 { p } else { P };
    let np = p * (p + 1) / 2;
    let (risk, rest) = out.split_at_mut(1 + p + np);
    let (dead, we) = rest.split_at_mut(1 + p + np);
    let (b, m, end) = (e.begin as usize, e.mid as usize, e.end as usize);
    run_sums::<P>(p, prep, beta, at_zero, unit, b, m, risk);
    we[0] = run_sums::<P>(p, prep, beta, at_zero, unit, m, end, dead);
}

/// `out = [Σr, Σr·x, Σr·x·x']` over positions `lo..hi`; returns `Σ w·η`.
#[allow(clippy::too_many_arguments)]
#[inline]
fn run_sums<const P: usize>(
    p: usize,
    prep: &Prepared,
    beta: &[f64],
    at_zero: bool,
    unit: bool,
    lo: usize,
    hi: usize,
    out: &mut [f64],
) -> f64 {
    let x = &prep.x[lo * p..hi * p];
    let w = prep.weight.slice(lo, hi);
    if P == 0 {
        return run_sums_dyn(p, x, w, beta, at_zero, out);
    }
    // Read only when not `unit` (then there are weights).
    let w = w.unwrap_or_default();
    match (at_zero, unit) {
        (true, true) => sums_fixed::<P, true, true>(x, w, beta, out),
        (true, false) => sums_fixed::<P, true, false>(x, w, beta, out),
        (false, true) => sums_fixed::<P, false, true>(x, w, beta, out),
        (false, false) => sums_fixed::<P, false, false>(x, w, beta, out),
    }
}

/// Rows per chunk of [`sums_fixed`]: their covariates stay in L1 between
/// its passes.
const CHUNK: usize = 128;

/// [`run_sums`] for a number of covariates known at compile time (1..=8).
/// A chunk of rows is read three or four times from L1 rather than once
/// from memory with all sums at once: the risk weights first, then the
/// first moments and the second moments in parts of at most about 14
/// sums, which stay in registers (all 28 of p = 6 do not: they were spilled
/// to the stack on every row). Each sum adds the same products in the same
/// row order as the one loop would.
#[inline(always)]
fn sums_fixed<const P: usize, const ZERO: bool, const UNIT: bool>(
    x: &[f64],
    w: &[f64],
    beta: &[f64],
    out: &mut [f64],
) -> f64 {
    let beta: &[f64; P] = beta[..P].try_into().expect("p coefficients");
    let np = P * (P + 1) / 2;
    let mut s0 = 0.0;
    let mut s1 = [0.0f64; P];
    // Packed lower triangle, at most 36 for P <= 8.
    let mut s2 = [0.0f64; 36];
    let mut we = 0.0;
    let mut r = [0.0f64; CHUNK];
    let mut eta = [0.0f64; CHUNK];
    for (c, xc) in x.chunks(CHUNK * P).enumerate() {
        let m = xc.len() / P;
        let wc = if UNIT {
            &[][..]
        } else {
            &w[c * CHUNK..c * CHUNK + m]
        };
        if ZERO {
            for k in 0..m {
                r[k] = if UNIT { 1.0 } else { wc[k] };
            }
        } else {
            for (e, xr) in eta.iter_mut().zip(xc.chunks_exact(P)) {
                let xr: &[f64; P] = xr.try_into().expect("a row");
                let mut v = 0.0;
                for j in 0..P {
                    v += beta[j] * xr[j];
                }
                *e = v;
            }
            // A loop of its own, without branches or calls, so that it is
            // vectorised; predictors out of its range take `f64::exp`.
            let mut inside = true;
            for k in 0..m {
                inside &= eta[k].abs() <= EXP_RANGE;
                r[k] = exp_core(eta[k]);
            }
            if !inside {
                for k in 0..m {
                    r[k] = eta[k].exp();
                }
            }
            if !UNIT {
                for k in 0..m {
                    we += wc[k] * eta[k];
                    r[k] *= wc[k];
                }
            } else {
                for &e in &eta[..m] {
                    we += e;
                }
            }
        }
        for &rk in &r[..m] {
            s0 += rk;
        }
        let r = &r[..m];
        // Parts that start at an even covariate (the pairs below), of at
        // most about eight pairs of sums each.
        match P {
            1..=4 => moments::<P, 0, P>(xc, r, &mut s1, &mut s2),
            5 => {
                moments::<P, 0, 4>(xc, r, &mut s1, &mut s2);
                moments::<P, 4, 5>(xc, r, &mut s1, &mut s2);
            }
            6 => {
                moments::<P, 0, 4>(xc, r, &mut s1, &mut s2);
                moments::<P, 4, 6>(xc, r, &mut s1, &mut s2);
            }
            7 => {
                moments::<P, 0, 4>(xc, r, &mut s1, &mut s2);
                moments::<P, 4, 6>(xc, r, &mut s1, &mut s2);
                moments::<P, 6, 7>(xc, r, &mut s1, &mut s2);
            }
            _ => {
                moments::<P, 0, 4>(xc, r, &mut s1, &mut s2);
                moments::<P, 4, 6>(xc, r, &mut s1, &mut s2);
                moments::<P, 6, 8>(xc, r, &mut s1, &mut s2);
            }
        }
    }
    out[0] = s0;
    out[1..1 + P].copy_from_slice(&s1);
    out[1 + P..1 + P + np].copy_from_slice(&s2[..np]);
    we
}

/// Adds rows `I0..I1` (`I0` even) of the moments over a chunk:
/// `s1[i] += r·x_i` and `s2[i, j] += (r·x_i)·x_j` for `j <= i`, the sums
/// held in locals as pairs of neighbouring columns `(j, j + 1)`, `j` even:
/// one two-lane multiply and add (SSE2) updates both, each lane doing the
/// same multiplication and addition, in the same row order, as the scalar
/// sum it holds — the same values, with about half the instructions. The
/// second lane of a row's last pair when `i` is even (`j + 1 > i`) is not a
/// moment and is not written back. Pairs also keep p = 6's 14 sums of a
/// part in 7 registers (held one per register, some were spilled to the
/// stack and reloaded on every row).
#[inline(always)]
fn moments<const P: usize, const I0: usize, const I1: usize>(
    xc: &[f64],
    r: &[f64],
    s1: &mut [f64; P],
    s2: &mut [f64; 36],
) {
    debug_assert!(I0.is_multiple_of(2) && I0 < I1 && I1 <= P && P <= 8);
    // Pairs of x per row (zero-padded for odd P), of s1 over I0..I1, and of
    // row i of the triangle (i / 2 + 1 pairs, rows I0..I1 in order).
    const fn tri(i: usize) -> usize {
        i * (i + 1) / 2
    }
    let mut a1 = [[0.0f64; 2]; 4];
    let mut a2 = [[0.0f64; 2]; 20];
    let get = |v: &[f64], k: usize, ok: bool| if ok { v[k] } else { 0.0 };
    for i in (I0..I1).step_by(2) {
        a1[(i - I0) / 2] = [s1[i], get(s1, i + 1, i + 1 < I1)];
    }
    let mut idx = 0;
    for i in I0..I1 {
        for j in (0..=i).step_by(2) {
            a2[idx] = [s2[tri(i) + j], get(s2, tri(i) + j + 1, j < i)];
            idx += 1;
        }
    }
    for (xr, &rk) in xc.chunks_exact(P).zip(r) {
        let xr: &[f64; P] = xr.try_into().expect("a row");
        let mut xp = [[0.0f64; 2]; 4];
        for jp in 0..P.div_ceil(2) {
            xp[jp] = [xr[2 * jp], get(xr, 2 * jp + 1, 2 * jp + 1 < P)];
        }
        let mut idx = 0;
        for ip in I0 / 2..I1.div_ceil(2) {
            let rx = [rk * xp[ip][0], rk * xp[ip][1]];
            let a = &mut a1[ip - I0 / 2];
            a[0] += rx[0];
            a[1] += rx[1];
            for lane in 0..2 {
                let i = 2 * ip + lane;
                if i >= I1 {
                    break;
                }
                for jp in 0..=i / 2 {
                    let v = &mut a2[idx];
                    v[0] += rx[lane] * xp[jp][0];
                    v[1] += rx[lane] * xp[jp][1];
                    idx += 1;
                }
            }
        }
    }
    for i in I0..I1 {
        s1[i] = a1[(i - I0) / 2][i % 2];
    }
    let mut idx = 0;
    for i in I0..I1 {
        for j in (0..=i).step_by(2) {
            s2[tri(i) + j] = a2[idx][0];
            if j < i {
                s2[tri(i) + j + 1] = a2[idx][1];
            }
            idx += 1;
        }
    }
}

/// Largest |x| for which [`exp_core`] is used (`exp(±708)` is a normal
/// number, and so is every power of two on the way).
const EXP_RANGE: f64 = 708.0;

/// `exp(x)` for `|x| <= EXP_RANGE` within about 1 ulp of the correctly
/// rounded value (tested against `f64::exp`), in plain arithmetic so that
/// a loop of it is vectorised: `x = k·ln 2 + r` with `|r| <= ln 2 / 2`
/// (Cody–Waite: `ln 2` in two parts, so `k·ln2_hi` is exact), `exp(r)` by
/// its Taylor polynomial of degree 13 (remainder below 1e-17), times `2^k`
/// built from the bits of the rounded `x / ln 2`. Outside the range the
/// value is not meaningful (the caller uses `f64::exp` there).
#[inline(always)]
fn exp_core(x: f64) -> f64 {
    // 1.5·2^52: adding it rounds to an integer held in the low bits.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    // fdlibm's split of ln 2: the high part has 32 trailing zero bits.
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    let x = x.clamp(-EXP_RANGE, EXP_RANGE);
    let t = x * std::f64::consts::LOG2_E + SHIFTER;
    let k = t - SHIFTER;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    const C: [f64; 14] = [
        1.0,
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5040.0,
        1.0 / 40320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    let mut p = C[13];
    for c in C[..13].iter().rev() {
        p = p * r + c;
    }
    // The low bits of t hold k (two's complement); shifted into the
    // exponent field with the bias, the rest shifts out.
    let two_k = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    p * two_k
}

/// [`run_sums`] for any number of covariates.
fn run_sums_dyn(
    p: usize,
    x: &[f64],
    w: Option<&[f64]>,
    beta: &[f64],
    at_zero: bool,
    out: &mut [f64],
) -> f64 {
    out.iter_mut().for_each(|v| *v = 0.0);
    let mut we = 0.0;
    for (k, xr) in x.chunks_exact(p).enumerate() {
        let wk = w.map_or(1.0, |w| w[k]);
        let eta = if at_zero {
            0.0
        } else {
            beta.iter().zip(xr).map(|(b, v)| b * v).sum()
        };
        let r = if at_zero { wk } else { eta.exp() * wk };
        we += wk * eta;
        out[0] += r;
        let mut idx = 1 + p;
        for i in 0..p {
            let rx = r * xr[i];
            out[1 + i] += rx;
            for j in 0..=i {
                out[idx] += rx * xr[j];
                idx += 1;
            }
        }
    }
    we
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Lcg;

    /// The row pass for p known at compile time (chunks, moments in
    /// two-lane pairs, parts split at even covariates) gives the sums of
    /// one plain loop over the rows bit for bit: every p from 1 to 8, at
    /// β = 0 and not, weighted and not, runs shorter and longer than a
    /// chunk.
    #[test]
    fn pair_moments_are_the_plain_sums() {
        let mut rng = Lcg(5);
        let mut next = || rng.unit53() - 0.5;
        fn plain(
            p: usize,
            x: &[f64],
            w: &[f64],
            beta: &[f64],
            zero: bool,
            unit: bool,
        ) -> (Vec<f64>, f64) {
            let mut out = vec![0.0; 1 + p + p * (p + 1) / 2];
            let mut we = 0.0;
            for (k, xr) in x.chunks_exact(p).enumerate() {
                let wk = if unit { 1.0 } else { w[k] };
                let r = if zero {
                    wk
                } else {
                    let mut eta = 0.0;
                    for j in 0..p {
                        eta += beta[j] * xr[j];
                    }
                    we += if unit { eta } else { wk * eta };
                    if unit {
                        exp_core(eta)
                    } else {
                        exp_core(eta) * wk
                    }
                };
                out[0] += r;
                let mut idx = 1 + p;
                for i in 0..p {
                    let rx = r * xr[i];
                    out[1 + i] += rx;
                    for j in 0..=i {
                        out[idx] += rx * xr[j];
                        idx += 1;
                    }
                }
            }
            (out, we)
        }
        fn fixed<const P: usize>(
            x: &[f64],
            w: &[f64],
            beta: &[f64],
            zero: bool,
            unit: bool,
            out: &mut [f64],
        ) -> f64 {
            match (zero, unit) {
                (true, true) => sums_fixed::<P, true, true>(x, w, beta, out),
                (true, false) => sums_fixed::<P, true, false>(x, w, beta, out),
                (false, true) => sums_fixed::<P, false, true>(x, w, beta, out),
                (false, false) => sums_fixed::<P, false, false>(x, w, beta, out),
            }
        }
        let bits = |v: &[f64]| v.iter().map(|t| t.to_bits()).collect::<Vec<_>>();
        for p in 1..=8usize {
            for rows in [0usize, 1, 127, 128, 129, 1000] {
                let x: Vec<f64> = (0..rows * p).map(|_| 3.0 * next()).collect();
                let w: Vec<f64> = (0..rows).map(|_| 1.0 + next()).collect();
                let beta: Vec<f64> = (0..p).map(|_| next()).collect();
                for (zero, unit) in [(true, true), (true, false), (false, true), (false, false)] {
                    let (want, want_we) = plain(p, &x, &w, &beta, zero, unit);
                    let mut got = vec![f64::NAN; want.len()];
                    let got_we = match p {
                        1 => fixed::<1>(&x, &w, &beta, zero, unit, &mut got),
                        2 => fixed::<2>(&x, &w, &beta, zero, unit, &mut got),
                        3 => fixed::<3>(&x, &w, &beta, zero, unit, &mut got),
                        4 => fixed::<4>(&x, &w, &beta, zero, unit, &mut got),
                        5 => fixed::<5>(&x, &w, &beta, zero, unit, &mut got),
                        6 => fixed::<6>(&x, &w, &beta, zero, unit, &mut got),
                        7 => fixed::<7>(&x, &w, &beta, zero, unit, &mut got),
                        _ => fixed::<8>(&x, &w, &beta, zero, unit, &mut got),
                    };
                    assert_eq!(
                        bits(&got),
                        bits(&want),
                        "p = {p}, {rows} rows, {zero} {unit}"
                    );
                    assert_eq!(got_we.to_bits(), want_we.to_bits());
                }
            }
        }
    }

    /// Within 2 ulp of `f64::exp` over the range (most values equal).
    #[test]
    fn exp_core_is_within_two_ulp() {
        let mut worst = 0.0f64;
        let mut rng = Lcg(3);
        let mut xs: Vec<f64> = vec![0.0, -0.0, 1.0, -1.0, EXP_RANGE, -EXP_RANGE, 1e-300, -1e-17];
        for _ in 0..200_000 {
            let u = rng.unit53();
            xs.push((2.0 * u - 1.0) * if rng.0 & 1 == 0 { 3.0 } else { EXP_RANGE });
        }
        for x in xs {
            let (a, b) = (exp_core(x), x.exp());
            let ulp = b * f64::EPSILON;
            worst = worst.max((a - b).abs() / ulp);
        }
        assert!(worst <= 2.0, "worst error {worst} ulp");
    }
}
