//! The weighted Kaplan–Meier curve of `(start, stop]` rows with the robust
//! (infinitesimal-jackknife) variance clustered by patient, as R's
//! `survfit(Surv(start, stop, event) ~ 1, weights = w, id = id, robust =
//! TRUE, influence = TRUE)` computes it.
//!
//! At each event time t_j with weighted number at risk n_j (rows with
//! start < t_j ≤ stop) and weighted deaths d_j, S = Π (1 − d_j/n_j). The
//! influence of patient c on S(t) is `U_c(t) = −S(t) A_c(t)` with
//! `A_c(t) = Σ_{t_j ≤ t} Σ_{rows r of c} w_r (dN_r(t_j) − Y_r(t_j) d_j/n_j)
//! / (n_j − d_j)` (R's `influence.surv`); the variance is `Σ_c U_c²`. A
//! sweep over the event times keeps the rows at risk, so each time costs
//! the number at risk, not the number of patients. RMST(τ) = ∫₀^τ S and
//! its influence `Σ_k Δ_k U_c(t_k)` are accumulated lazily (a patient's
//! `A_c` only changes while at risk), as are the influences on S at the
//! chosen times.

// Sweeps index several per-time arrays with one counter.
#![allow(clippy::needless_range_loop)]

use super::CloneRow;

/// A weighted curve with its influences.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WeightedCurve {
    /// Event times.
    pub time: Vec<f64>,
    /// Weighted number at risk.
    pub n_risk: Vec<f64>,
    /// Weighted events.
    pub n_event: Vec<f64>,
    /// S(t).
    pub survival: Vec<f64>,
    /// IJ standard error of S(t) (NaN without variances).
    pub std_err: Vec<f64>,
    /// Lower limit, log interval (NaN where S = 0 or no variance).
    pub lower: Vec<f64>,
    /// Upper limit.
    pub upper: Vec<f64>,
    /// RMST at τ and its IJ standard error.
    pub rmst: Option<(f64, f64)>,
    /// Per patient (all patients of the trial): influence on RMST(τ).
    pub rmst_influence: Vec<f64>,
    /// S and its standard error at the chosen times.
    pub survival_at: Vec<(f64, f64)>,
    /// Per chosen time, per patient: influence on S(t).
    pub survival_influence: Vec<Vec<f64>>,
}

/// The curve of `rows` (one arm); `patients` is the number of clusters
/// (patient indices are below it); `z` the normal quantile of the
/// interval; influences and variances only when `variance`.
pub fn weighted_curve(
    rows: &[CloneRow],
    patients: usize,
    tau: Option<f64>,
    times: &[f64],
    z: f64,
    variance: bool,
) -> WeightedCurve {
    // Event times and the weighted deaths at each.
    let mut ev: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.event)
        .map(|r| (r.stop, r.weight))
        .collect();
    ev.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut time: Vec<f64> = Vec::new();
    let mut n_event: Vec<f64> = Vec::new();
    for (t, w) in ev {
        if time.last() == Some(&t) {
            *n_event.last_mut().unwrap_or(&mut 0.0) += w;
        } else {
            time.push(t);
            n_event.push(w);
        }
    }
    let m = time.len();
    // Rows by start and by stop, for the sweep.
    let mut by_start: Vec<usize> = (0..rows.len()).collect();
    by_start.sort_by(|&a, &b| rows[a].start.total_cmp(&rows[b].start));
    let mut by_stop: Vec<usize> = (0..rows.len()).collect();
    by_stop.sort_by(|&a, &b| rows[a].stop.total_cmp(&rows[b].stop));

    let mut n_risk = vec![0.0; m];
    let mut survival = vec![0.0; m];
    let mut std_err = vec![f64::NAN; m];
    let mut lower = vec![f64::NAN; m];
    let mut upper = vec![f64::NAN; m];

    // First pass: numbers at risk and S (the RMST widths need S ahead).
    {
        let (mut i_in, mut i_out) = (0, 0);
        let mut at = 0.0;
        let mut s = 1.0;
        for j in 0..m {
            let t = time[j];
            while i_in < by_start.len() && rows[by_start[i_in]].start < t {
                at += rows[by_start[i_in]].weight;
                i_in += 1;
            }
            while i_out < by_stop.len() && rows[by_stop[i_out]].stop < t {
                at -= rows[by_stop[i_out]].weight;
                i_out += 1;
            }
            n_risk[j] = at;
            if at > 0.0 {
                s *= 1.0 - n_event[j] / at;
            }
            if s < 0.0 {
                s = 0.0;
            }
            survival[j] = s;
        }
    }
    // S just before each time and the RMST pieces.
    let s_at = |t: f64| -> (f64, Option<usize>) {
        let k = time.partition_point(|&x| x <= t);
        if k == 0 {
            (1.0, None)
        } else {
            (survival[k - 1], Some(k - 1))
        }
    };
    let survival_at_points: Vec<(f64, Option<usize>)> = times.iter().map(|&t| s_at(t)).collect();
    // widths[k]: the width of the step that starts at event time k, cut
    // at τ; rmst = τ-width of S = 1 before the first time + Σ S_k widths.
    let rmst_est = tau.map(|tau| {
        let first = time.first().map_or(tau, |&t| t.min(tau));
        let mut r = first;
        for k in 0..m {
            if time[k] >= tau {
                break;
            }
            let next = if k + 1 < m { time[k + 1].min(tau) } else { tau };
            r += survival[k] * (next - time[k]);
        }
        r
    });
    // Q[k] = Σ_{k' ≥ k, t_k' < τ} S_k' Δ_k' (suffix sums).
    let mut q = vec![0.0; m + 1];
    if let Some(tau) = tau {
        for k in (0..m).rev() {
            let piece = if time[k] < tau {
                let next = if k + 1 < m { time[k + 1].min(tau) } else { tau };
                survival[k] * (next - time[k])
            } else {
                0.0
            };
            q[k] = q[k + 1] + piece;
        }
    }

    let mut out = WeightedCurve {
        survival_at: survival_at_points
            .iter()
            .map(|&(s, _)| (s, f64::NAN))
            .collect(),
        ..WeightedCurve::default()
    };
    if variance {
        // Second pass: the influences. a[c]: A_c; last[c]: the event index
        // from which a[c] has held (for the lazy RMST integral).
        let mut a = vec![0.0; patients];
        let mut last = vec![0usize; patients];
        let mut rmst_inf = vec![0.0; patients];
        let mut active_rows: Vec<usize> = Vec::new();
        let mut pos = vec![usize::MAX; rows.len()];
        let mut active_count = vec![0u32; patients];
        let mut frozen = 0.0; // Σ a_c² over patients with no row at risk
        let mut s_snap: Vec<Vec<f64>> = vec![Vec::new(); times.len()];
        let (mut i_in, mut i_out) = (0, 0);
        // Event rows at each time, grouped.
        let mut ev_rows: Vec<usize> = (0..rows.len()).filter(|&r| rows[r].event).collect();
        ev_rows.sort_by(|&x, &y| rows[x].stop.total_cmp(&rows[y].stop));
        let mut e_ptr = 0;
        let settle = |c: usize, k: usize, a: &[f64], rmst_inf: &mut [f64], last: &mut [usize]| {
            // a[c] held from last[c] up to (not including) k.
            rmst_inf[c] -= a[c] * (q[last[c]] - q[k]);
            last[c] = k;
        };
        let mut snap_ptr: Vec<(usize, usize)> = survival_at_points
            .iter()
            .enumerate()
            .filter_map(|(i, &(_, k))| k.map(|k| (k, i)))
            .collect();
        snap_ptr.sort_unstable();
        let mut snap_i = 0;
        for j in 0..m {
            let t = time[j];
            while i_in < by_start.len() && rows[by_start[i_in]].start < t {
                let r = by_start[i_in];
                let c = rows[r].patient;
                if rows[r].stop >= t {
                    pos[r] = active_rows.len();
                    active_rows.push(r);
                    if active_count[c] == 0 {
                        frozen -= a[c] * a[c];
                    }
                    active_count[c] += 1;
                }
                i_in += 1;
            }
            while i_out < by_stop.len() && rows[by_stop[i_out]].stop < t {
                let r = by_stop[i_out];
                if pos[r] != usize::MAX {
                    let p = pos[r];
                    active_rows.swap_remove(p);
                    if p < active_rows.len() {
                        pos[active_rows[p]] = p;
                    }
                    pos[r] = usize::MAX;
                    let c = rows[r].patient;
                    active_count[c] -= 1;
                    if active_count[c] == 0 {
                        frozen += a[c] * a[c];
                    }
                }
                i_out += 1;
            }
            let (nr, d) = (n_risk[j], n_event[j]);
            let rest = nr - d;
            if rest > 0.0 && nr > 0.0 {
                let h = d / nr;
                for &r in &active_rows {
                    let c = rows[r].patient;
                    settle(c, j, &a, &mut rmst_inf, &mut last);
                    a[c] -= rows[r].weight * h / rest;
                }
                while e_ptr < ev_rows.len() && rows[ev_rows[e_ptr]].stop == t {
                    let r = ev_rows[e_ptr];
                    let c = rows[r].patient;
                    settle(c, j, &a, &mut rmst_inf, &mut last);
                    a[c] += rows[r].weight / rest;
                    e_ptr += 1;
                }
            } else {
                while e_ptr < ev_rows.len() && rows[ev_rows[e_ptr]].stop == t {
                    e_ptr += 1;
                }
            }
            // Σ_c A_c² = frozen + the patients at risk (each once).
            let mut sum = frozen;
            let mut seen: Vec<usize> = Vec::with_capacity(active_rows.len());
            for &r in &active_rows {
                let c = rows[r].patient;
                if active_count[c] == 1 {
                    sum += a[c] * a[c];
                } else {
                    seen.push(c);
                }
            }
            seen.sort_unstable();
            seen.dedup();
            sum += seen.iter().map(|&c| a[c] * a[c]).sum::<f64>();
            let s = survival[j];
            let se = if s > 0.0 {
                s * sum.max(0.0).sqrt()
            } else {
                0.0
            };
            std_err[j] = se;
            if s > 0.0 {
                lower[j] = s * (-z * se / s).exp();
                upper[j] = (s * (z * se / s).exp()).min(1.0);
            }
            while snap_i < snap_ptr.len() && snap_ptr[snap_i].0 == j {
                let i = snap_ptr[snap_i].1;
                s_snap[i] = a.iter().map(|&x| -s * x).collect();
                let se2: f64 = s_snap[i].iter().map(|x| x * x).sum();
                out.survival_at[i].1 = se2.sqrt();
                snap_i += 1;
            }
        }
        for c in 0..patients {
            settle(c, m, &a, &mut rmst_inf, &mut last);
        }
        for (i, &(_, k)) in survival_at_points.iter().enumerate() {
            if k.is_none() {
                s_snap[i] = vec![0.0; patients];
                out.survival_at[i].1 = 0.0;
            }
        }
        out.survival_influence = s_snap;
        if let Some(r) = rmst_est {
            let se = rmst_inf.iter().map(|x| x * x).sum::<f64>().sqrt();
            out.rmst = Some((r, se));
            out.rmst_influence = rmst_inf;
        }
    } else if let Some(r) = rmst_est {
        out.rmst = Some((r, f64::NAN));
    }
    out.time = time;
    out.n_risk = n_risk;
    out.n_event = n_event;
    out.survival = survival;
    out.std_err = std_err;
    out.lower = lower;
    out.upper = upper;
    out
}
