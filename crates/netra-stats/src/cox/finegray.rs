//! Fine–Gray subdistribution hazards, computed as R's
//! `finegray()` + `coxph(Surv(fgstart, fgstop, fgstatus) ~ ..., weights = fgwt)`.
//!
//! Subjects who have a competing event stay in the risk set of the event of
//! interest after their event, with a weight that decays as the probability
//! of remaining uncensored: a subject with a competing event at `T` is kept
//! over each later interval between censoring times that contains an event
//! of interest, with weight `G(start of interval) / G(T)`, where `G` is the
//! Kaplan–Meier estimate of the censoring distribution (per stratum). The
//! weighted Cox model on these (start, stop] rows estimates the
//! subdistribution hazard ratios.
//!
//! Details kept from `finegray()` so the rows (and hence every number) agree:
//! * times pass R's `timefix` first; `G` is computed on the index scale of
//!   the distinct times, with event times moved 0.2 earlier, so that at a
//!   tie a censoring happens after events;
//! * `G` is unweighted; case weights multiply `fgwt`;
//! * a competing-event row is first extended to the end of the censoring
//!   interval that holds its time; intervals without an event of interest
//!   are skipped;
//! * a stratum without an event of interest contributes no rows.
//!
//! As `coxph` then sees non-integer weights, it uses the robust variance
//! with each expanded row its own cluster (R's default for this call);
//! clustering on the subject (`cluster(id)`) is available through
//! [`CoxData::cluster`](super::CoxData) mapped with [`Expanded::row`].

use super::{CoxError, timefix};

/// The expanded data set of `finegray()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expanded {
    /// Original row of each expanded row.
    pub row: Vec<u32>,
    /// `fgstart`.
    pub start: Vec<f64>,
    /// `fgstop`.
    pub stop: Vec<f64>,
    /// `fgstatus`: the event of interest.
    pub event: Vec<bool>,
    /// `fgwt` (times the case weight).
    pub weight: Vec<f64>,
}

/// Status of a subject in a competing-risks outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Censored.
    Censored,
    /// The event of interest.
    Cause,
    /// A competing event.
    Competing,
}

/// Builds the Fine–Gray data set (R: `finegray(Surv(time, status) ~ .,
/// etype = cause)`) for right-censored competing-risks data.
pub fn expand(
    time: &[f64],
    status: &[Status],
    strata: Option<&[u32]>,
    weights: Option<&[f64]>,
) -> Result<Expanded, CoxError> {
    let n = time.len();
    if status.len() != n
        || strata.is_some_and(|s| s.len() != n)
        || weights.is_some_and(|w| w.len() != n)
    {
        return Err(CoxError::LengthMismatch(
            "time, status, strata and weights".into(),
        ));
    }
    if n == 0 {
        return Err(CoxError::Empty);
    }
    if let Some(row) = time.iter().position(|t| !t.is_finite()) {
        return Err(CoxError::NotFinite {
            what: "time".into(),
            row,
        });
    }
    let fixed = timefix(time, None)?;
    let time: &[f64] = match &fixed {
        Some((t, _)) => t,
        None => time,
    };
    let min = time.iter().copied().fold(f64::INFINITY, f64::min);
    let zero = if min > 0.0 { 0.0 } else { 2.0 * min - 1.0 };
    // Distinct times (with the common start), and each time's index (1-based
    // as R's findInterval).
    let mut utime: Vec<f64> = time.to_vec();
    utime.push(zero);
    utime.sort_by(f64::total_cmp);
    utime.dedup();
    let index = |t: f64| utime.partition_point(|&u| u <= t) as f64;

    let stratum = |i: usize| strata.map_or(0u32, |s| s[i]);
    let mut codes: Vec<u32> = (0..n).map(stratum).collect();
    codes.sort_unstable();
    codes.dedup();

    let mut out = Expanded {
        row: Vec::new(),
        start: Vec::new(),
        stop: Vec::new(),
        event: Vec::new(),
        weight: Vec::new(),
    };
    for &s in &codes {
        let rows: Vec<usize> = (0..n).filter(|&i| stratum(i) == s).collect();
        let mut cause_times: Vec<f64> = rows
            .iter()
            .filter(|&&i| status[i] == Status::Cause)
            .map(|&i| time[i])
            .collect();
        if cause_times.is_empty() {
            continue;
        }
        cause_times.sort_by(f64::total_cmp);
        cause_times.dedup();
        let maxtime = rows
            .iter()
            .map(|&i| time[i])
            .fold(f64::NEG_INFINITY, f64::max);

        // Censoring Kaplan–Meier on the index scale: everyone enters at
        // index 1; rows with an event leave at (index − 0.2).
        let stops: Vec<f64> = rows
            .iter()
            .map(|&i| {
                let k = index(time[i]);
                if status[i] == Status::Censored {
                    k
                } else {
                    k - 0.2
                }
            })
            .collect();
        let mut cens_idx: Vec<f64> = rows
            .iter()
            .zip(&stops)
            .filter(|(i, _)| status[**i] == Status::Censored)
            .map(|(_, &k)| k)
            .collect();
        cens_idx.sort_by(f64::total_cmp);
        let mut sorted_stops = stops.clone();
        sorted_stops.sort_by(f64::total_cmp);
        let mut ctime = Vec::new(); // censoring times (on the time scale)
        let mut cprob = Vec::new(); // G just after each
        let mut g = 1.0;
        let mut k = 0;
        while k < cens_idx.len() {
            let t = cens_idx[k];
            let mut d = 0usize;
            while k < cens_idx.len() && cens_idx[k] == t {
                d += 1;
                k += 1;
            }
            // At risk at t: start (index 1) < t <= stop.
            let nrisk = if t > 1.0 {
                sorted_stops.len() - sorted_stops.partition_point(|&v| v < t)
            } else {
                0
            };
            if nrisk > 0 {
                g *= 1.0 - d as f64 / nrisk as f64;
            }
            ctime.push(utime[t as usize - 1]);
            cprob.push(g);
        }
        let mut ct2 = ctime;
        ct2.push(maxtime);
        let mut cp2 = Vec::with_capacity(cprob.len() + 1);
        cp2.push(1.0);
        cp2.extend(cprob);
        let ncut = ct2.len();
        // keep[j]: the interval (ct2[j-1], ct2[j]] holds an event of interest.
        let mut keep = vec![false; ncut + 1];
        keep[0] = true;
        for &t in &cause_times {
            let m = ct2.partition_point(|&c| c < t);
            if m >= 1 {
                keep[m] = true;
            }
        }

        for &i in &rows {
            let w = weights.map_or(1.0, |w| w[i]);
            let mut stop = time[i];
            let is_competing = status[i] == Status::Competing;
            let mut extra: Vec<(f64, f64, f64)> = Vec::new();
            if is_competing {
                let mut j = ct2.partition_point(|&c| c < time[i]);
                if j < ncut {
                    stop = ct2[j];
                    let own = cp2[j];
                    j += 1;
                    while j < ncut {
                        if keep[j] {
                            extra.push((ct2[j - 1], ct2[j], cp2[j] / own));
                        }
                        j += 1;
                    }
                }
            }
            out.row.push(i as u32);
            out.start.push(zero);
            out.stop.push(stop);
            out.event.push(status[i] == Status::Cause);
            out.weight.push(w);
            for (a, b, wt) in extra {
                out.row.push(i as u32);
                out.start.push(a);
                out.stop.push(b);
                out.event.push(false);
                out.weight.push(wt * w);
            }
        }
    }
    if out.row.is_empty() {
        return Err(CoxError::NoEvents);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn competing_rows_are_extended_with_decaying_weights() {
        // Censoring at 2 and 5; event of interest at 3 and 6; competing at 1.
        let time = [1.0, 2.0, 3.0, 5.0, 6.0, 7.0];
        let st = [
            Status::Competing,
            Status::Censored,
            Status::Cause,
            Status::Censored,
            Status::Cause,
            Status::Censored,
        ];
        let e = expand(&time, &st, None, None).unwrap();
        // Row 0 extended to the first censoring time (2), then (2,5] (holds
        // the event at 3) and (5,7] (holds 6).
        assert_eq!(e.row, vec![0, 0, 0, 1, 2, 3, 4, 5]);
        assert_eq!(&e.stop[..3], &[2.0, 5.0, 7.0]);
        assert_eq!(&e.start[1..3], &[2.0, 5.0]);
        // G: 1 until 2, then 1 - 1/5 = 0.8 (5 at risk at 2: the competing
        // event at 1 left earlier), then 0.8·(1 - 1/3) after 5.
        assert!((e.weight[1] - 0.8).abs() < 1e-15);
        assert!((e.weight[2] - 0.8 * 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(
            e.event,
            vec![false, false, false, false, true, false, true, false]
        );
    }

    #[test]
    fn no_event_of_interest_is_an_error() {
        let r = expand(
            &[1.0, 2.0],
            &[Status::Competing, Status::Censored],
            None,
            None,
        );
        assert_eq!(r.unwrap_err(), CoxError::NoEvents);
    }
}
