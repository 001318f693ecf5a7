//! The time grid: per-site times never travel in clear.
//!
//! Cohort times are whole days divided by the unit's days (30.4375 for
//! months), so the grid of integer days `0..=D` holds every registry time
//! exactly, and a count per grid day adds across sites with no knowledge
//! of which days a site has. `D` is agreed without any site revealing its
//! largest time: each site sends, masked, the vector `v[k] = 1 if its
//! largest day ≥ 365·k` for `k = 0..=max_years` (the policy bound); the
//! hub sees only the sum (how many sites reach each year) and takes
//! `D = 365·(K + 1)` for the last year `K` any site reaches. With a bin of
//! `b` days (a node's coarsening policy) grid point `i` is day `i·b` and a
//! day `d` goes to point `⌈d / b⌉`.

use netra_clinical::endpoints::Units;

use crate::protocol::Refusal;
use crate::ring::R256;

/// Days per year bucket of the range vector.
pub const YEAR_DAYS: u32 = 365;

/// The whole day of a cohort time, or a refusal when the time is not one
/// (such data would need binning the node has not been told to do).
pub fn day_of(t: f64, units: Units) -> Result<u32, Refusal> {
    let d = (t * units.days()).round();
    if !(0.0..=4.0e9).contains(&d) || f64::from(d as u32) / units.days() != t {
        return Err(Refusal {
            reason: format!("time {t} is not a whole number of days >= 0"),
        });
    }
    Ok(d as u32)
}

/// The time of grid point `i` (bin `b`), exactly as the cohort computes
/// times from days.
pub fn time_of(i: u32, bin: u32, units: Units) -> f64 {
    f64::from(i.saturating_mul(bin)) / units.days()
}

/// The grid point of day `d`.
pub fn point_of(d: u32, bin: u32) -> u32 {
    d.div_ceil(bin.max(1))
}

/// The masked-max vector of a site whose largest day is `max_day`
/// (`None`: no rows).
pub fn range_vector(max_day: Option<u32>, max_years: u32) -> Vec<R256> {
    (0..=max_years)
        .map(|k| R256::count(u64::from(max_day.is_some_and(|d| d >= k * YEAR_DAYS))))
        .collect()
}

/// The last grid point from the pooled range vector (`None`: no site has
/// a row), for bin `b`.
pub fn last_point(pooled: &[R256], bin: u32) -> Option<u32> {
    let k = pooled.iter().rposition(|v| *v != R256::ZERO)?;
    let days = (k as u32 + 1) * YEAR_DAYS;
    Some(days.div_ceil(bin.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_and_bins_take_the_end() {
        let t = 400.0 / 30.4375;
        assert_eq!(day_of(t, Units::Months).unwrap(), 400);
        assert_eq!(time_of(400, 1, Units::Months), t);
        assert!(day_of(1.234_567, Units::Months).is_err());
        assert_eq!(point_of(31, 30), 2);
        assert_eq!(point_of(30, 30), 1);
        assert_eq!(point_of(0, 30), 0);
        let v = range_vector(Some(800), 5);
        assert_eq!(v.iter().filter(|x| **x != R256::ZERO).count(), 3);
        assert_eq!(last_point(&v, 1), Some(3 * 365));
        assert_eq!(last_point(&range_vector(None, 5), 1), None);
    }
}
