//! One sort, then contiguous buffers in the order the likelihood walks them.
//!
//! Rows are ordered by stratum, then by (stop) time *descending*: the risk
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
    pub weight: Vec<f64>,
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

/// Order-preserving map of a finite f64 onto u64, reversed so that an
/// ascending sort of the key sorts the times in descending order.
#[inline]
pub(crate) fn desc_key(t: f64) -> u64 {
    let bits = t.to_bits();
    let asc = if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    };
    !asc
}

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

    // The one sort: (stratum, stop descending).
    let order: Vec<u32> = match raw.strata {
        None => {
            let mut keys: Vec<(u64, u32)> = raw
                .stop
                .iter()
                .enumerate()
                .map(|(i, &t)| (desc_key(t), i as u32))
                .collect();
            keys.sort_unstable();
            keys.into_iter().map(|(_, i)| i).collect()
        }
        Some(s) => {
            let mut keys: Vec<(u32, u64, u32)> = raw
                .stop
                .iter()
                .enumerate()
                .map(|(i, &t)| (s[i], desc_key(t), i as u32))
                .collect();
            keys.sort_unstable();
            keys.into_iter().map(|(_, _, i)| i).collect()
        }
    };

    // (start, stop]: drop rows whose interval holds no event time of their
    // stratum.
    let order = match raw.start {
        None => order,
        Some(start) => keep_at_risk(&order, raw.stop, start, raw.event, raw.strata),
    };
    let n = order.len();
    if n == 0 {
        return Err(CoxError::NoEvents);
    }

    let mut stop = Vec::with_capacity(n);
    let mut event = Vec::with_capacity(n);
    let mut weight = Vec::with_capacity(n);
    for &i in &order {
        let i = i as usize;
        stop.push(raw.stop[i]);
        event.push(raw.event[i]);
        weight.push(raw.weight.map_or(1.0, |w| w[i]));
    }
    let start = raw
        .start
        .map(|s| order.iter().map(|&i| s[i as usize]).collect::<Vec<f64>>());

    let mut blocks = Vec::new();
    let mut b0 = 0;
    for k in 1..=n {
        let boundary = k == n
            || raw
                .strata
                .is_some_and(|s| s[order[k] as usize] != s[order[k - 1] as usize]);
        if boundary {
            blocks.push((b0, k));
            b0 = k;
        }
    }

    // Centring and scaling, then the row-major copy.
    let total_w: f64 = weight.iter().sum();
    let mut mean = vec![0.0; p];
    let mut scale = vec![1.0; p];
    for j in 0..p {
        let col = &raw.x[j * n_all..(j + 1) * n_all];
        let zero_one = col.iter().all(|&v| v == 0.0 || v == 1.0 || v == -1.0);
        if zero_one {
            continue;
        }
        let mut s = 0.0;
        for (&i, &w) in order.iter().zip(&weight) {
            s += w * col[i as usize];
        }
        let m = s / total_w;
        let mut abs = 0.0;
        for (&i, &w) in order.iter().zip(&weight) {
            abs += w * (col[i as usize] - m).abs();
        }
        mean[j] = m;
        scale[j] = if abs > 0.0 { total_w / abs } else { 1.0 };
    }
    let mut x = vec![0.0; n * p];
    for j in 0..p {
        let col = &raw.x[j * n_all..(j + 1) * n_all];
        let (m, s) = (mean[j], scale[j]);
        for (pos, &i) in order.iter().enumerate() {
            x[pos * p + j] = (col[i as usize] - m) * s;
        }
    }

    let (removal, removal_begin) = match &start {
        None => (Vec::new(), Vec::new()),
        Some(st) => {
            let mut removal = Vec::with_capacity(n);
            let mut begin = Vec::with_capacity(blocks.len());
            for &(b0, b1) in &blocks {
                begin.push(removal.len());
                let mut keys: Vec<(u64, u32)> = (b0..b1)
                    .map(|pos| (desc_key(st[pos]), pos as u32))
                    .collect();
                keys.sort_unstable();
                removal.extend(keys.into_iter().map(|(_, pos)| pos));
            }
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
        row: order,
        blocks,
        removal,
        removal_begin,
        mean,
        scale,
    })
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

    #[test]
    fn key_orders_descending() {
        let mut v = vec![3.0, -1.0, 0.0, 10.5, -7.25, 2.0];
        v.sort_by_key(|&t| desc_key(t));
        assert_eq!(v, vec![10.5, 3.0, 2.0, 0.0, -1.0, -7.25]);
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
