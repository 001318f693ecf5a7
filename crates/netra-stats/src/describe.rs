//! Descriptive statistics of one sample, as R's `mean`, `sd`, `median`,
//! `quantile` (default type 7), `min` and `max` compute them — the numbers
//! a clinical table prints as "mean ± SD" and "median (IQR)".
//!
//! * mean: Σx/n, then R's refinement `mean + Σ(x − mean)/n` (R's
//!   `mean.default` makes the same second pass, in long double);
//! * SD: the sample SD, √(Σ(x − x̄)²/(n − 1)) (none for fewer than two
//!   values, where R's `sd` is `NA`);
//! * quantiles: R's type 7, on the sorted values at index h = 1 + (n − 1)p,
//!   `(1 − f)·x[⌊h⌋] + f·x[⌈h⌉]` with f = h − ⌊h⌋, written as R writes it so
//!   that the rounding agrees; the quartiles are p = 0.25 and 0.75 (R's
//!   `quantile(x, c(.25, .75))` and the IQR of `IQR(x)`), the median p = 0.5
//!   (equal to R's `median`, the mean of the two middle values for an even
//!   count).
//!
//! Values that are not finite (R's `NA` after `na.rm = TRUE`) are left out;
//! an empty sample gives `n = 0` and no statistic.

/// The summary of a sample (`None` where a statistic does not exist).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Finite values summarised.
    pub n: usize,
    /// Mean.
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1; none for fewer than 2 values).
    pub sd: Option<f64>,
    /// Median.
    pub median: Option<f64>,
    /// First quartile (type 7).
    pub q1: Option<f64>,
    /// Third quartile (type 7).
    pub q3: Option<f64>,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
}

/// The type-7 quantile `p` (in [0, 1]) of `sorted` (ascending, finite);
/// `None` when empty or `p` is outside [0, 1].
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let index = 1.0 + (sorted.len() - 1) as f64 * p;
    let lo = index.floor();
    let hi = index.ceil();
    let x_lo = sorted[lo as usize - 1];
    let x_hi = sorted[hi as usize - 1];
    if index > lo && x_hi != x_lo {
        let h = index - lo;
        Some((1.0 - h) * x_lo + h * x_hi)
    } else {
        Some(x_lo)
    }
}

/// Summarises `values` (non-finite values left out).
pub fn summarise(values: &[f64]) -> Summary {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return Summary {
            n,
            mean: None,
            sd: None,
            median: None,
            q1: None,
            q3: None,
            min: None,
            max: None,
        };
    }
    let nf = n as f64;
    let first = v.iter().sum::<f64>() / nf;
    let mean = first + v.iter().map(|x| x - first).sum::<f64>() / nf;
    let sd = (n > 1).then(|| {
        let ss: f64 = v.iter().map(|x| (x - mean) * (x - mean)).sum();
        (ss / (nf - 1.0)).sqrt()
    });
    Summary {
        n,
        mean: Some(mean),
        sd,
        median: quantile_sorted(&v, 0.5),
        q1: quantile_sorted(&v, 0.25),
        q3: quantile_sorted(&v, 0.75),
        min: v.first().copied(),
        max: v.last().copied(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate_as_type_7() {
        // R: quantile(c(1, 2, 3, 10), c(.25, .5, .75)) = 1.75, 2.5, 4.75.
        let s = summarise(&[10.0, 1.0, 3.0, 2.0]);
        assert_eq!((s.q1, s.median, s.q3), (Some(1.75), Some(2.5), Some(4.75)));
        assert_eq!((s.min, s.max, s.n), (Some(1.0), Some(10.0), 4));
        assert_eq!(s.mean, Some(4.0));
    }

    #[test]
    fn small_and_empty_samples_have_no_missing_panics() {
        let one = summarise(&[5.0, f64::NAN]);
        assert_eq!(one.n, 1);
        assert_eq!(one.sd, None);
        assert_eq!((one.q1, one.q3), (Some(5.0), Some(5.0)));
        let none = summarise(&[f64::INFINITY]);
        assert_eq!(none.n, 0);
        assert_eq!(none.median, None);
        assert_eq!(quantile_sorted(&[1.0, 2.0], 1.5), None);
        assert_eq!(quantile_sorted(&[1.0, 2.0], 1.0), Some(2.0));
    }
}
