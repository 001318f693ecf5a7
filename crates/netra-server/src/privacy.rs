//! What an analysis shows to whom: the small-cell rule and the analysts'
//! coarsening (docs/web.md, "What an analyst sees").
//!
//! * The threshold `m` is the larger of the server's minimum cell size
//!   (`Config::min_cell`, `netra serve --min-cell`, default 5) and the
//!   query's `min_cell` for analysts; for other roles the query's
//!   `min_cell` alone (0: full detail).
//! * With `m ≥ 2` a count `c` with `0 < c < m` is withheld (`null` in JSON,
//!   `<m` on pages and in CSV), as `netra sequences` does; zero is shown.
//!   A group of fewer than `m` patients shows no number at all (its
//!   curve is not drawn); a cohort of fewer than `m` shows nothing but
//!   that. A median, a confidence limit or a landmark rate is shown only
//!   where at least `m` patients are still at risk, and a curve is drawn
//!   only while `m` or more are at risk, without censoring marks (each
//!   mark is one patient's last follow-up); the numbers at risk under it
//!   read `<m` after the cut. A test across groups (log-rank)
//!   is withheld when a compared group is withheld. The layer's full
//!   outputs (every curve step), the paper tables of every response
//!   category and the cumulative incidence are not given.
//! * Analysts filter ages by 5-year bands only (an exact age range would
//!   single a patient out) and see study arms as `arm 1`, `arm 2`, … by
//!   the registry's arms in label order ([`crate::pseudo::Arms`]), as the
//!   record pages number them (arm labels are free text).

use netra_analysis::analyses::survival::KmCurve;
use netra_report::figure::km::{AtRisk, KmSeries};

use crate::error::AppError;

/// What the viewer of an analysis may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct View {
    /// Counts below this are withheld (0 or 1: none).
    pub min_cell: u64,
    /// The viewer is an analyst (pseudonymised view): coarse filters,
    /// pseudonymous arm labels.
    pub pseudonymised: bool,
}

impl View {
    /// Full detail (administrators, data managers, investigators without a
    /// threshold).
    pub fn full() -> View {
        View::default()
    }

    /// True when the small-cell rule applies.
    pub fn suppresses(&self) -> bool {
        self.min_cell > 1
    }

    /// True when the viewer gets the layer's full outputs, the paper tables
    /// and the cumulative incidence: not under the small-cell rule, and
    /// never analysts (those outputs carry the groups' own labels, arms
    /// included, and every curve step).
    pub fn detailed(&self) -> bool {
        !self.suppresses() && !self.pseudonymised
    }

    /// True when `n` patients are too few to show (`0 < n < m`).
    pub fn too_few(&self, n: f64) -> bool {
        self.suppresses() && n > 0.0 && n < self.min_cell as f64
    }

    /// A patient count as shown: `None` when withheld.
    pub fn count(&self, c: usize) -> Option<usize> {
        (!self.too_few(c as f64)).then_some(c)
    }

    /// A count as shown (`u64`).
    pub fn count_u64(&self, c: u64) -> Option<u64> {
        (!self.too_few(c as f64)).then_some(c)
    }

    /// An event count as shown (events may be weighted).
    pub fn count_f64(&self, c: f64) -> Option<f64> {
        (!self.too_few(c)).then_some(c)
    }

    /// True when `at_risk` patients are enough to show a value read from a
    /// curve at that point (a median, a limit, a landmark rate).
    pub fn enough_at_risk(&self, at_risk: f64) -> bool {
        !self.suppresses() || at_risk >= self.min_cell as f64
    }

    /// Text of a withheld count.
    pub fn withheld(&self) -> String {
        format!("<{}", self.min_cell)
    }
}

/// The number at risk just before `t` on a Kaplan–Meier curve: the `n_risk`
/// of the first step at or after `t`, else those left after the last step.
pub fn at_risk(curve: &KmCurve, t: f64) -> f64 {
    match curve.time.iter().position(|&s| s >= t) {
        Some(i) => curve.n_risk[i],
        None => match curve.time.len().checked_sub(1) {
            Some(l) => curve.n_risk[l] - curve.n_event[l] - curve.n_censor[l],
            None => 0.0,
        },
    }
}

/// A value read from a curve at time `t` (a median or a limit), kept only
/// where enough patients are at risk.
pub fn at(view: &View, curve: &KmCurve, t: Option<f64>) -> Option<f64> {
    t.filter(|&t| view.enough_at_risk(at_risk(curve, t)))
}

/// The figure's series of a curve under the small-cell rule: the steps
/// while at least `m` are at risk, no censoring marks, the median only if
/// shown.
pub fn series(view: &View, label: String, curve: &KmCurve, median: Option<f64>) -> KmSeries {
    let mut s = KmSeries::from_km(label, curve);
    if !view.suppresses() {
        return s;
    }
    let keep = curve
        .n_risk
        .iter()
        .take_while(|&&n| n >= view.min_cell as f64)
        .count();
    s.time.truncate(keep);
    s.estimate.truncate(keep);
    s.lower.truncate(keep);
    s.upper.truncate(keep);
    s.censor_times.clear();
    s.end_time = s.time.last().copied().unwrap_or(0.0);
    s.median = median.filter(|&m| m <= s.end_time);
    let time = s.time.clone();
    let n_risk = curve.n_risk[..keep].to_vec();
    s.at_risk = if keep < curve.len() {
        // After the cut fewer than m are at risk (maybe none): `<m`, never
        // a false 0 and never the number.
        AtRisk::Cut {
            time,
            n_risk,
            after: view.withheld(),
        }
    } else {
        // The whole curve: after its last time nobody is at risk (0, as
        // R's summary with extend = TRUE prints).
        AtRisk::Steps { time, n_risk }
    };
    s
}

/// Checks the age filters an analyst may use: whole 5-year bands (the
/// youngest age a multiple of 5, the oldest one less than a multiple of 5).
pub fn check_age_bands(age_min: Option<i64>, age_max: Option<i64>) -> Result<(), AppError> {
    if let Some(a) = age_min
        && a.rem_euclid(5) != 0
    {
        return Err(AppError::BadRequest(format!(
            "age_min: analysts filter by 5-year bands; give a multiple of 5 (not {a})"
        )));
    }
    if let Some(a) = age_max
        && a.rem_euclid(5) != 4
    {
        return Err(AppError::BadRequest(format!(
            "age_max: analysts filter by 5-year bands; give the last year of a band, e.g. 59 or 64 (not {a})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_below_the_threshold_are_withheld_and_zero_is_shown() {
        let v = View {
            min_cell: 5,
            pseudonymised: true,
        };
        assert_eq!(v.count(0), Some(0));
        assert_eq!(v.count(1), None);
        assert_eq!(v.count(4), None);
        assert_eq!(v.count(5), Some(5));
        assert_eq!(View::full().count(1), Some(1));
        assert!(!v.enough_at_risk(4.0) && v.enough_at_risk(5.0));
    }

    #[test]
    fn analysts_filter_ages_by_bands() {
        assert!(check_age_bands(Some(60), Some(69)).is_ok());
        assert!(check_age_bands(None, None).is_ok());
        assert!(check_age_bands(Some(61), None).is_err());
        assert!(check_age_bands(None, Some(61)).is_err());
        assert!(check_age_bands(Some(63), Some(63)).is_err());
    }
}
