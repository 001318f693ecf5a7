//! Score residuals and the robust (sandwich) variance, as `coxph` computes
//! them with `residuals(fit, type = "dfbeta", collapse = cluster,
//! weighted = TRUE)` (survival's `coxscore2`/`agscore2`).
//!
//! The score residual of subject k is its contribution to the score:
//! `L_k = δ_k (x_k − x̄(t_k)) − Σ_{event times t in (start_k, stop_k]} r_k (x_k − x̄(t)) dΛ(t)`
//! with `dΛ(t) = D(t)/S0(t)`. With Efron's ties each tied event time is `d`
//! sub-steps; a subject with an event at t takes part in the sub-step j
//! with weight `1 − j/d` and is credited `1/d` of each sub-step's mean.
//!
//! R loops over every subject at risk at every event time (O(n·d)). Here
//! the per-time quantities `Σ dΛ` and `Σ x̄ dΛ` are accumulated once and
//! cumulated over time, so each subject's sum is a difference of two
//! cumulative sums: O(n·p) after the fit's one sort.
//!
//! `dfbeta = L · V` (V the model-based variance), weighted, summed within
//! clusters; the robust variance is `dfbeta' dfbeta`. The robust score test
//! uses the same residuals at β = 0.

use super::kernel::dot;
use super::prepare::Prepared;

/// Score residuals at `beta` (scaled coordinates), row-major `n × p` in the
/// processing order of `prep`, unweighted and in scaled coordinates.
pub(crate) fn score_residuals(prep: &Prepared, beta: &[f64], efron: bool) -> Vec<f64> {
    let p = prep.p;
    let n = prep.n;
    let x = &prep.x;
    let mut resid = vec![0.0; n * p];
    let score: Vec<f64> = (0..n)
        .map(|k| dot(beta, &x[k * p..(k + 1) * p]).exp())
        .collect();

    let mut a = vec![0.0; p];
    let mut a2 = vec![0.0; p];
    for (b, &(b0, b1)) in prep.blocks.iter().enumerate() {
        // Per event time (descending): t1, t2 then m1, m2, m3 (p each).
        let stride = 2 + 3 * p;
        let mut per_time: Vec<f64> = Vec::new();
        let mut event_index = vec![usize::MAX; b1 - b0]; // first event time <= stop
        let mut denom = 0.0;
        a.iter_mut().for_each(|v| *v = 0.0);
        let mut nrisk = 0usize;
        let (mut rem, rem_end) = match prep.start {
            Some(_) => {
                let begin = prep.removal_begin[b];
                (begin, begin + (b1 - b0))
            }
            None => (0, 0),
        };

        let mut i = b0;
        while i < b1 {
            let t = prep.stop[i];
            let mut j = i + 1;
            while j < b1 && prep.stop[j] == t {
                j += 1;
            }
            let has_event = prep.event[i..j].iter().any(|&e| e);
            if let (Some(start), true) = (prep.start.as_deref(), has_event) {
                while rem < rem_end {
                    let pos = prep.removal[rem] as usize;
                    if start[pos] < t {
                        break;
                    }
                    rem += 1;
                    nrisk -= 1;
                    if nrisk == 0 {
                        denom = 0.0;
                        a.iter_mut().for_each(|v| *v = 0.0);
                    } else {
                        let r = score[pos] * prep.weight[pos];
                        denom -= r;
                        for (ak, xk) in a.iter_mut().zip(&x[pos * p..(pos + 1) * p]) {
                            *ak -= r * xk;
                        }
                    }
                }
            }
            let mut e_denom = 0.0;
            let mut deadwt = 0.0;
            let mut ndead = 0usize;
            a2.iter_mut().for_each(|v| *v = 0.0);
            for pos in i..j {
                let r = score[pos] * prep.weight[pos];
                let xr = &x[pos * p..(pos + 1) * p];
                nrisk += 1;
                denom += r;
                for (ak, xk) in a.iter_mut().zip(xr) {
                    *ak += r * xk;
                }
                if prep.event[pos] {
                    ndead += 1;
                    deadwt += prep.weight[pos];
                    e_denom += r;
                    for (ak, xk) in a2.iter_mut().zip(xr) {
                        *ak += r * xk;
                    }
                }
            }
            if ndead > 0 {
                let base = per_time.len();
                per_time.resize(base + stride, 0.0);
                let q = &mut per_time[base..];
                if !efron || ndead == 1 {
                    let h = deadwt / denom;
                    q[0] = h;
                    q[1] = h;
                    for k in 0..p {
                        let mean = a[k] / denom;
                        q[2 + k] = mean * h;
                        q[2 + p + k] = mean * h;
                        q[2 + 2 * p + k] = mean;
                    }
                } else {
                    let d = ndead as f64;
                    let meanwt = deadwt / d;
                    for dd in 0..ndead {
                        let down = dd as f64 / d;
                        let d2 = denom - down * e_denom;
                        let h = meanwt / d2;
                        q[0] += h;
                        q[1] += (1.0 - down) * h;
                        for k in 0..p {
                            let mean = (a[k] - down * a2[k]) / d2;
                            q[2 + k] += mean * h;
                            q[2 + p + k] += mean * (1.0 - down) * h;
                            q[2 + 2 * p + k] += mean / d;
                        }
                    }
                }
            }
            let e = per_time.len() / stride; // event times with t >= this one
            for pos in i..j {
                // Index (descending) of the first event time <= stop.
                event_index[pos - b0] = if ndead > 0 { e - 1 } else { e };
            }
            i = j;
        }

        // Cumulate from the smallest time up: cum[e] = Σ_{e' >= e}.
        let n_times = per_time.len() / stride;
        let mut cum = vec![0.0; (n_times + 1) * (1 + p)];
        for e in (0..n_times).rev() {
            let q = &per_time[e * stride..(e + 1) * stride];
            let (lo, hi) = cum.split_at_mut((e + 1) * (1 + p));
            let dst = &mut lo[e * (1 + p)..];
            let src = &hi[..1 + p];
            dst[0] = src[0] + q[0];
            for k in 0..p {
                dst[1 + k] = src[1 + k] + q[2 + k];
            }
        }
        // For (start, stop] data: first event time <= start, per position.
        let mut start_index = vec![n_times; b1 - b0];
        if let Some(start) = prep.start.as_deref() {
            let begin = prep.removal_begin[b];
            let times: Vec<f64> = {
                // event times descending, read back from the stop order
                let mut v = Vec::with_capacity(n_times);
                for pos in b0..b1 {
                    if prep.event[pos] && v.last() != Some(&prep.stop[pos]) {
                        v.push(prep.stop[pos]);
                    }
                }
                v
            };
            let mut e = 0;
            for &pos in &prep.removal[begin..begin + (b1 - b0)] {
                let pos = pos as usize;
                while e < n_times && times[e] > start[pos] {
                    e += 1;
                }
                start_index[pos - b0] = e;
            }
        }

        for pos in b0..b1 {
            let e_stop = event_index[pos - b0];
            if e_stop >= n_times {
                continue; // no event time at or before stop: nothing at risk
            }
            let e_start = start_index[pos - b0];
            let c_hi = &cum[e_stop * (1 + p)..(e_stop + 1) * (1 + p)];
            let c_lo = &cum[e_start * (1 + p)..(e_start + 1) * (1 + p)];
            let s = score[pos];
            let xr = &x[pos * p..(pos + 1) * p];
            let out = &mut resid[pos * p..(pos + 1) * p];
            let h = c_hi[0] - c_lo[0];
            for k in 0..p {
                out[k] = -s * (xr[k] * h - (c_hi[1 + k] - c_lo[1 + k]));
            }
            if prep.event[pos] {
                // Replace the own-time term by its Efron form and add the
                // event's own contribution.
                let q = &per_time[e_stop * stride..(e_stop + 1) * stride];
                for k in 0..p {
                    out[k] += s * (xr[k] * q[0] - q[2 + k]);
                    out[k] -= s * (xr[k] * q[1] - q[2 + p + k]);
                    out[k] += xr[k] - q[2 + 2 * p + k];
                }
            }
        }
    }
    resid
}

/// Σ over clusters of `(Σ_{k in cluster} w_k·L_k·M)`'s outer products,
/// where `M` maps scaled-coordinate residuals to the wanted quantity
/// (`None`: identity). `cluster` is in original row order (`None`: each row
/// its own cluster). Returns the `p × p` matrix (row-major) and the column
/// sums of the collapsed rows.
pub(crate) fn collapsed_crossprod(
    prep: &Prepared,
    resid: &[f64],
    transform: Option<&[f64]>,
    cluster: Option<&[u32]>,
) -> (Vec<f64>, Vec<f64>) {
    let p = prep.p;
    let mut row = vec![0.0; p];
    let add_row = |dst: &mut [f64], pos: usize, row: &mut [f64]| {
        let w = prep.weight[pos];
        let r = &resid[pos * p..(pos + 1) * p];
        match transform {
            None => {
                for k in 0..p {
                    row[k] = w * r[k];
                }
            }
            Some(m) => {
                for k in 0..p {
                    row[k] = w * (0..p).map(|l| r[l] * m[l * p + k]).sum::<f64>();
                }
            }
        }
        for k in 0..p {
            dst[k] += row[k];
        }
    };
    let mut cross = vec![0.0; p * p];
    let mut total = vec![0.0; p];
    let accumulate = |v: &[f64], cross: &mut [f64], total: &mut [f64]| {
        for a in 0..p {
            total[a] += v[a];
            for b in 0..p {
                cross[a * p + b] += v[a] * v[b];
            }
        }
    };
    match cluster {
        None => {
            let mut v = vec![0.0; p];
            for pos in 0..prep.n {
                v.iter_mut().for_each(|x| *x = 0.0);
                add_row(&mut v, pos, &mut row);
                accumulate(&v, &mut cross, &mut total);
            }
        }
        Some(cl) => {
            let k = cl.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
            let mut sums = vec![0.0; k * p];
            for pos in 0..prep.n {
                let c = cl[prep.row[pos] as usize] as usize;
                add_row(&mut sums[c * p..(c + 1) * p], pos, &mut row);
            }
            for c in 0..k {
                accumulate(&sums[c * p..(c + 1) * p], &mut cross, &mut total);
            }
        }
    }
    (cross, total)
}
