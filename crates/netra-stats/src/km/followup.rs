//! Median follow-up by the reverse Kaplan–Meier method (Schemper & Smith
//! 1996, "A note on quantifying follow-up in studies of failure time",
//! Control Clin Trials 17:343–346): the Kaplan–Meier estimate of the
//! *censoring* distribution, with censoring as the event and the events as
//! censored — R's `survfit(Surv(time, 1 - status) ~ 1)` — and its median
//! and confidence limits by `quantile.survfit`'s rule (the same code as
//! every median, [`KmCurve::median`]). Patients who had the event count
//! as followed up to their event and no further, which is why this is the
//! median potential follow-up and not the median observed time.
//!
//! The range is that of every analysed time (shortest to longest follow-up,
//! events included), as papers print "median follow-up 36 months (range
//! 1–120)".

use super::{KmCurve, KmError, KmOptions, Quantile, km};

/// Median follow-up and the range of follow-up times.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    /// Median of the reverse Kaplan–Meier curve with its limits; `None`
    /// parts where the censoring curve does not reach 0.5.
    pub median: Quantile,
    /// Shortest time analysed.
    pub min: f64,
    /// Longest time analysed.
    pub max: f64,
    /// Patients censored (the events of the reverse curve, weighted).
    pub censored: f64,
    /// The reverse curve itself.
    pub curve: KmCurve,
}

/// The reverse Kaplan–Meier follow-up of right-censored data (`event[i]`
/// true for an event), with the curve's interval options (R's defaults:
/// log transformation, 95%).
pub fn follow_up(
    time: &[f64],
    event: &[bool],
    weights: Option<&[f64]>,
    options: &KmOptions,
) -> Result<FollowUp, KmError> {
    let reversed: Vec<bool> = event.iter().map(|e| !e).collect();
    let curve = km(time, &reversed, weights, options)?;
    let (min, max) = time
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &t| {
            (lo.min(t), hi.max(t))
        });
    Ok(FollowUp {
        median: curve.median(),
        min,
        max,
        censored: curve.events(),
        curve,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_censored_and_censorings_events() {
        // Censored at 2, 4, 6; events at 1, 3. Reverse KM: 3/4 at 2 (4 at
        // risk), 3/4 · 1/2 = 3/8 at 4 (2 at risk), 0 at 6. The median is 4
        // (the first time with S ≤ 0.5).
        let f = follow_up(
            &[1.0, 2.0, 3.0, 4.0, 6.0],
            &[true, false, true, false, false],
            None,
            &KmOptions::default(),
        )
        .unwrap();
        assert_eq!(f.median.estimate, Some(4.0));
        assert_eq!((f.min, f.max, f.censored), (1.0, 6.0, 3.0));
        assert!(follow_up(&[], &[], None, &KmOptions::default()).is_err());
    }
}
