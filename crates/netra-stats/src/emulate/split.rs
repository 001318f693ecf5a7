//! Cloning, artificial censoring and the person-interval rows.

use super::{EmulateError, StrategyData, Trial};

/// One person-interval row of a clone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CloneRow {
    /// Patient (index into the trial; the cluster of the robust variances).
    pub patient: usize,
    /// Strategy (arm) index.
    pub arm: usize,
    /// Start of the row (exclusive).
    pub start: f64,
    /// Stop of the row (inclusive).
    pub stop: f64,
    /// The outcome event at `stop`.
    pub event: bool,
    /// The clone is censored at `stop` because the patient deviated.
    pub deviated: bool,
    /// The interval meets a window in which deviation is possible.
    pub at_risk: bool,
    /// The first window the interval meets (its index in the patient's
    /// windows; `usize::MAX` when none): the phase of a per-window model.
    pub window: usize,
    /// The clone's first row.
    pub first: bool,
    /// Inverse probability of remaining uncensored (set by the weighting).
    pub weight: f64,
}

/// Largest number of intervals a clone may span: a guard against a grid
/// far finer than the follow-up (memory), not a statistical limit.
const MAX_INTERVALS: f64 = 100_000.0;

/// Appends the rows of the clones of strategy `s` (arm `arm`).
pub(super) fn clone_rows(
    trial: &Trial,
    s: &StrategyData,
    arm: usize,
    interval: f64,
    out: &mut Vec<CloneRow>,
) -> Result<(), EmulateError> {
    for i in 0..trial.len() {
        let time = trial.time[i];
        let dev = s.deviation[i];
        if let Some(d) = dev {
            if d.is_nan() {
                return Err(EmulateError::Invalid(format!(
                    "patient {}: deviation time of '{}' is not a number",
                    i + 1,
                    s.name
                )));
            }
            if d <= 0.0 {
                continue;
            }
        }
        if time <= 0.0 {
            // No follow-up after time zero: nothing to contribute.
            continue;
        }
        let censored = dev.is_some_and(|d| d < time);
        let end = if censored { dev.unwrap_or(time) } else { time };
        if end / interval > MAX_INTERVALS {
            return Err(EmulateError::Invalid(format!(
                "interval {interval} splits follow-up {end} into more than {MAX_INTERVALS} rows"
            )));
        }
        let windows = &s.windows[i];
        let mut k = 0.0f64;
        loop {
            let a = k * interval;
            if a >= end {
                break;
            }
            let upper = (k + 1.0) * interval;
            let b = upper.min(end);
            let last = b >= end;
            let window = windows.iter().position(|w| w[0] <= upper && w[1] > a);
            out.push(CloneRow {
                patient: i,
                arm,
                start: a,
                stop: b,
                event: last && !censored && trial.event[i],
                deviated: last && censored,
                at_risk: window.is_some(),
                window: window.unwrap_or(usize::MAX),
                first: k == 0.0,
                weight: 1.0,
            });
            k += 1.0;
        }
    }
    Ok(())
}
