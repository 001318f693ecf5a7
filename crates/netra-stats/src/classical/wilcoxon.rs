//! The Wilcoxon rank-sum (Mann–Whitney) test, as R's
//! `wilcox.test(x, y, mu, alternative, exact = NULL, correct = TRUE)`.
//!
//! * W = Σ ranks of x − nx(nx+1)/2 (ranks of the pooled sample, ties
//!   averaged) — R's statistic, the Mann–Whitney U of x.
//! * Exact p when both samples have fewer than 50 observations and there is
//!   no tie (R's `exact = NULL` rule), from the null distribution of W
//!   (counts of rank subsets; R's `pwilcox`); two-sided p =
//!   min(1, 2 × the smaller tail at W).
//! * Otherwise the normal approximation with the tie-corrected variance
//!   `nx ny/12 · ((n+1) − Σ(t³−t)/(n(n−1)))` and a continuity correction of
//!   0.5 towards the mean (when `correct`). When every value is tied the
//!   variance is zero and R returns p = NaN; so does netra.
//! * `exact` can be forced on or off as in R; a forced exact test with ties
//!   falls back to the normal approximation, as R does.

use super::special::{wilcox_cdf_both, wilcox_counts};
use super::{Alternative, TestError};
use crate::distributions::{normal_cdf, normal_upper};

/// The result of [`wilcox_test`].
#[derive(Debug, Clone, PartialEq)]
pub struct WilcoxTest {
    /// R's W statistic.
    pub statistic: f64,
    /// p-value.
    pub p_value: f64,
    /// True when the exact null distribution was used.
    pub exact: bool,
    /// The z score of the normal approximation (None when exact).
    pub z: Option<f64>,
}

/// Options of [`wilcox_test`], R's defaults by `Default`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WilcoxOptions {
    /// Location shift under the null.
    pub mu: f64,
    /// Alternative hypothesis.
    pub alternative: Alternative,
    /// `None`: exact when both n < 50 and no ties (R's `exact = NULL`).
    pub exact: Option<bool>,
    /// Continuity correction in the normal approximation.
    pub correct: bool,
}

impl Default for WilcoxOptions {
    fn default() -> Self {
        WilcoxOptions {
            mu: 0.0,
            alternative: Alternative::TwoSided,
            exact: None,
            correct: true,
        }
    }
}

/// Largest table (cells of (nx+1) × (nx·ny+1)) of the exact distribution
/// built when the exact test is forced (`exact = Some(true)`); R has no
/// cap, but beyond this the memory would run out, so the normal
/// approximation is used instead (documented divergence).
const EXACT_CELLS_CAP: usize = 50_000_000;

/// Average ranks of `values` (1-based), and the sizes of the tie groups.
pub(crate) fn average_ranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut ties = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && values[order[j]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j + 1) as f64 / 2.0;
        for &k in &order[i..j] {
            ranks[k] = rank;
        }
        ties.push(j - i);
        i = j;
    }
    (ranks, ties)
}

/// The Wilcoxon rank-sum test of x against y.
pub fn wilcox_test(x: &[f64], y: &[f64], options: WilcoxOptions) -> Result<WilcoxTest, TestError> {
    if x.iter().chain(y).any(|v| !v.is_finite()) || !options.mu.is_finite() {
        return Err(TestError::InvalidInput(
            "observations must be finite numbers".into(),
        ));
    }
    if x.is_empty() {
        return Err(TestError::NotEnoughObservations(
            "not enough x observations".into(),
        ));
    }
    if y.is_empty() {
        return Err(TestError::NotEnoughObservations(
            "not enough y observations".into(),
        ));
    }
    let pooled: Vec<f64> = x
        .iter()
        .map(|v| v - options.mu)
        .chain(y.iter().copied())
        .collect();
    let (ranks, ties) = average_ranks(&pooled);
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let statistic = ranks[..x.len()].iter().sum::<f64>() - nx * (nx + 1.0) / 2.0;
    let has_ties = ties.iter().any(|&t| t > 1);
    let exact = options.exact.unwrap_or(x.len() < 50 && y.len() < 50)
        && !has_ties
        && (x.len() + 1).saturating_mul(x.len().saturating_mul(y.len()) + 1) <= EXACT_CELLS_CAP;
    if exact {
        let counts = wilcox_counts(x.len(), y.len());
        let p_value = match options.alternative {
            Alternative::TwoSided => {
                let p = if statistic > nx * ny / 2.0 {
                    wilcox_cdf_both(statistic - 1.0, &counts).1
                } else {
                    wilcox_cdf_both(statistic, &counts).0
                };
                (2.0 * p).min(1.0)
            }
            Alternative::Greater => wilcox_cdf_both(statistic - 1.0, &counts).1,
            Alternative::Less => wilcox_cdf_both(statistic, &counts).0,
        };
        return Ok(WilcoxTest {
            statistic,
            p_value,
            exact: true,
            z: None,
        });
    }
    let n = nx + ny;
    let tie_sum: f64 = ties.iter().map(|&t| (t as f64).powi(3) - t as f64).sum();
    let sigma = ((nx * ny / 12.0) * ((n + 1.0) - tie_sum / (n * (n - 1.0)))).sqrt();
    let z0 = statistic - nx * ny / 2.0;
    let correction = if options.correct {
        match options.alternative {
            Alternative::TwoSided => z0.signum() * 0.5 * f64::from(u8::from(z0 != 0.0)),
            Alternative::Greater => 0.5,
            Alternative::Less => -0.5,
        }
    } else {
        0.0
    };
    let z = (z0 - correction) / sigma;
    // With every value tied sigma is 0 and z is ±∞ (one-sided, corrected)
    // or NaN; R's pnorm gives 0/1 at ±∞ and NaN for NaN.
    let (below, above) = if z.is_infinite() {
        if z > 0.0 { (1.0, 0.0) } else { (0.0, 1.0) }
    } else {
        (normal_cdf(z), normal_upper(z))
    };
    let p_value = match options.alternative {
        Alternative::Less => below,
        Alternative::Greater => above,
        Alternative::TwoSided => 2.0 * below.min(above),
    };
    Ok(WilcoxTest {
        statistic,
        p_value,
        exact: false,
        z: Some(z),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_average_ties() {
        let (r, t) = average_ranks(&[3.0, 1.0, 3.0, 2.0]);
        assert_eq!(r, vec![3.5, 1.0, 3.5, 2.0]);
        assert_eq!(t, vec![1, 1, 2]);
    }

    #[test]
    fn empty_group_is_an_error() {
        assert!(wilcox_test(&[], &[1.0], WilcoxOptions::default()).is_err());
        assert!(wilcox_test(&[1.0, f64::INFINITY], &[1.0], WilcoxOptions::default()).is_err());
    }
}
