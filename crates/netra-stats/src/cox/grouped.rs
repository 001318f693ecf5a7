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
                    deadwt: prep.weight[mid..j].iter().sum(),
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
    let mut u_events = vec![0.0; p];
    for e in &entries {
        for pos in e.mid as usize..e.end as usize {
            let w = prep.weight[pos];
            for (u, x) in u_events.iter_mut().zip(&prep.x[pos * p..(pos + 1) * p]) {
                *u += w * x;
            }
        }
    }
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
        unit: prep.weight.iter().all(|&w| w == 1.0),
        u_events,
        sums,
        entries,
    })
}

impl Grouped {
    /// Runs the row pass in one part (tests: the cut changes nothing).
    #[cfg(test)]
    pub(crate) fn one_part(&mut self) {
        self.split = self.entries.len();
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
    let w = &prep.weight[lo..hi];
    if P == 0 {
        return run_sums_dyn(p, x, w, beta, at_zero, out);
    }
    match (at_zero, unit) {
        (true, true) => sums_fixed::<P, true, true>(x, w, beta, out),
        (true, false) => sums_fixed::<P, true, false>(x, w, beta, out),
        (false, true) => sums_fixed::<P, false, true>(x, w, beta, out),
        (false, false) => sums_fixed::<P, false, false>(x, w, beta, out),
    }
}

/// [`run_sums`] for a number of covariates known at compile time (1..=8):
/// the sums live in registers and the loops are unrolled.
#[inline(always)]
fn sums_fixed<const P: usize, const ZERO: bool, const UNIT: bool>(
    x: &[f64],
    w: &[f64],
    beta: &[f64],
    out: &mut [f64],
) -> f64 {
    let beta: &[f64; P] = beta[..P].try_into().expect("p coefficients");
    let mut s0 = 0.0;
    let mut s1 = [0.0f64; P];
    // Packed lower triangle, at most 36 for P <= 8.
    let mut s2 = [0.0f64; 36];
    let mut we = 0.0;
    for (k, xr) in x.chunks_exact(P).enumerate() {
        let xr: &[f64; P] = xr.try_into().expect("a row");
        let wk = if UNIT { 1.0 } else { w[k] };
        let (eta, r) = if ZERO {
            (0.0, wk)
        } else {
            let mut eta = 0.0;
            for j in 0..P {
                eta += beta[j] * xr[j];
            }
            (eta, if UNIT { eta.exp() } else { eta.exp() * wk })
        };
        we += wk * eta;
        s0 += r;
        let mut idx = 0;
        for i in 0..P {
            let rx = r * xr[i];
            s1[i] += rx;
            for j in 0..=i {
                s2[idx] += rx * xr[j];
                idx += 1;
            }
        }
    }
    let np = P * (P + 1) / 2;
    out[0] = s0;
    out[1..1 + P].copy_from_slice(&s1);
    out[1 + P..1 + P + np].copy_from_slice(&s2[..np]);
    we
}

/// [`run_sums`] for any number of covariates.
fn run_sums_dyn(p: usize, x: &[f64], w: &[f64], beta: &[f64], at_zero: bool, out: &mut [f64]) -> f64 {
    out.iter_mut().for_each(|v| *v = 0.0);
    let mut we = 0.0;
    for (k, xr) in x.chunks_exact(p).enumerate() {
        let wk = w[k];
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
