//! Quantiles of a survival curve and their confidence limits, as R's
//! `quantile.survfit` (its helper `findq`) computes them.
//!
//! For probability p, on the points (x, y) = ((0, t1, t2, ...), (0, 1 - S1,
//! 1 - S2, ...)) with repeated y values dropped (first kept):
//! * `i1` is the point with the smallest y such that y + tol >= p, `i2` the
//!   one with the smallest y such that y - tol >= p (tol = sqrt(machine
//!   epsilon)); the quantile is (x[i1] + x[i2]) / 2. Where the curve steps
//!   across p, i1 = i2; where it is flat at exactly p, i1 starts the flat
//!   stretch and i2 ends it, giving the midpoint.
//! * If the last (de-duplicated) y is within tol of p — the curve is flat at p
//!   to the end of follow-up — the quantile is (x[i1] + last time) / 2.
//! * No y reaches p: the quantile does not exist (`NA`).
//!
//! The limits apply the same rule to the lower and upper confidence curves
//! (1 - lower gives the lower limit). Those curves need not be monotone and
//! may hold `NA` and `NaN`, which R's `approx` drops and `duplicated` keeps
//! apart; this is reproduced exactly.

use super::ci::is_r_na;

/// `sqrt(.Machine$double.eps)`, the tolerance of `quantile.survfit`.
pub(crate) fn tolerance() -> f64 {
    f64::EPSILON.sqrt()
}

/// A key under which R's `duplicated()` treats doubles as equal: 0 and -0
/// alike, every `NA` alike, every `NaN` alike, `NA` different from `NaN`.
fn dup_key(y: f64) -> u64 {
    if is_r_na(y) {
        0x7FF8_0000_0000_07A2
    } else if y.is_nan() {
        0x7FF8_0000_0000_0001
    } else if y == 0.0 {
        0
    } else {
        y.to_bits()
    }
}

/// R's `findq(x, y, p, tol)` for one p. `y(i)` gives the i-th y value for
/// i in 0..n (y(0) is 0 and x(0) the start time).
pub(crate) fn findq(
    n: usize,
    x: impl Fn(usize) -> f64,
    y: impl Fn(usize) -> f64,
    p: f64,
    tol: f64,
) -> Option<f64> {
    if n == 0 {
        return None;
    }
    // max(y, na.rm = TRUE) < p: never reached.
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..n {
        let v = y(i);
        if !v.is_nan() {
            min = min.min(v);
            max = max.max(v);
        }
    }
    if max < p {
        return None;
    }
    // The smallest y (first occurrence on ties, which is what de-duplication
    // leaves) with y + tol >= p, resp. y - tol >= p. approx() ignores NA/NaN.
    let mut i1: Option<(f64, usize)> = None;
    let mut i2: Option<(f64, usize)> = None;
    for i in 0..n {
        let v = y(i);
        if v.is_nan() {
            continue;
        }
        if v + tol >= p && i1.is_none_or(|(b, _)| v < b) {
            i1 = Some((v, i));
        }
        if v - tol >= p && i2.is_none_or(|(b, _)| v < b) {
            i2 = Some((v, i));
        }
    }
    // approx(rule = 1) also answers NA below its smallest abscissa: p below
    // min(y) + tol (p = 0) has no i1, p below min(y) - tol no i2.
    if p < min + tol {
        i1 = None;
    }
    if p < min - tol {
        i2 = None;
    }
    let x1 = i1.map(|(_, i)| x(i));
    let mut quant = match (x1, i2) {
        (Some(a), Some((_, j))) => Some(midpoint(a, x(j))),
        _ => None,
    };
    if p == 0.0 {
        quant = Some(x(0));
    }
    // The flat-to-the-end rule uses the last element that survives
    // de-duplication.
    if let Some(last) = last_unique(n, &y)
        && !last.is_nan()
        && (p - last).abs() < tol
    {
        let xmax = x(n - 1);
        quant = x1.map(|a| midpoint(a, xmax));
    }
    quant
}

/// `(a + b) / 2` as R computes it, except where the sum overflows (times
/// near 1e308, issue 13): R answers `Inf`, a median no follow-up has; the
/// halves are summed instead, which cannot overflow.
fn midpoint(a: f64, b: f64) -> f64 {
    let m = (a + b) / 2.0;
    if m.is_finite() { m } else { a / 2.0 + b / 2.0 }
}

/// The last element of `y(0..n)` after R's `duplicated()` removal: the last
/// value whose first occurrence is at its own position.
fn last_unique(n: usize, y: &impl Fn(usize) -> f64) -> Option<f64> {
    let mut j = n;
    let mut examined = 0;
    while j > 0 {
        j -= 1;
        let key = dup_key(y(j));
        // Walk to the start of this run of equal values.
        while j > 0 && dup_key(y(j - 1)) == key {
            j -= 1;
        }
        // Survives unless the same value occurred earlier (possible on a
        // non-monotone confidence curve).
        if !(0..j).any(|i| dup_key(y(i)) == key) {
            return Some(y(j));
        }
        examined += 1;
        if examined > 32 {
            return last_unique_by_set(n, y);
        }
    }
    None
}

/// Fallback for pathological inputs: one pass with a set of seen values.
fn last_unique_by_set(n: usize, y: &impl Fn(usize) -> f64) -> Option<f64> {
    let mut seen = std::collections::HashSet::new();
    let mut last = None;
    for i in 0..n {
        let v = y(i);
        if seen.insert(dup_key(v)) {
            last = Some(v);
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::km::ci::NA;

    fn q(x: &[f64], y: &[f64], p: f64) -> Option<f64> {
        findq(x.len(), |i| x[i], |i| y[i], p, tolerance())
    }

    #[test]
    fn steps_across_and_flat_at_p() {
        let x = [0.0, 1.0, 2.0, 5.0];
        // S = 0.75, 0.5, 0.0 -> 1 - S = 0.25, 0.5, 1.0
        let y = [0.0, 0.25, 0.5, 1.0];
        assert_eq!(q(&x, &y, 0.5), Some(3.5)); // flat at 0.5 from 2 to 5
        assert_eq!(q(&x, &y, 0.3), Some(2.0));
        assert_eq!(q(&x, &y, 0.0), Some(0.0));
    }

    #[test]
    fn p_zero_on_a_flat_curve_is_na_as_in_r() {
        // No events: the only y is 0, which is also the last unique value,
        // so the flat-to-end rule applies with an NA start.
        let x = [0.0, 2.0, 3.0];
        let y = [0.0, 0.0, 0.0];
        assert_eq!(q(&x, &y, 0.0), None);
    }

    #[test]
    fn flat_at_p_to_the_end_uses_last_time() {
        let x = [0.0, 1.0, 2.0, 9.0];
        let y = [0.0, 0.25, 0.5, 0.5];
        assert_eq!(q(&x, &y, 0.5), Some(5.5));
    }

    #[test]
    fn not_reached_is_none() {
        let x = [0.0, 1.0, 2.0];
        let y = [0.0, 0.1, 0.2];
        assert_eq!(q(&x, &y, 0.5), None);
    }

    #[test]
    fn na_and_nan_are_kept_apart_by_deduplication() {
        // A trailing NA duplicates an earlier NA, so the last unique value is
        // 0.5 and the flat-to-end rule applies; a trailing NA after an earlier
        // NaN is new, so it does not.
        let x = [0.0, 1.0, 2.0, 3.0, 4.0];
        let with_na = [0.0, NA, 0.25, 0.5, NA];
        assert_eq!(q(&x, &with_na, 0.5), Some(3.5));
        let with_nan = [0.0, f64::NAN, 0.25, 0.5, NA];
        assert_eq!(q(&x, &with_nan, 0.5), None);
    }

    #[test]
    fn midpoint_of_huge_times_is_finite() {
        assert_eq!(super::midpoint(1.0e308, 1.6e308), 1.3e308);
        assert_eq!(super::midpoint(2.0, 5.0), 3.5);
    }
}
