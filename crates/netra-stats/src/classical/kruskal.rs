//! The Kruskal–Wallis rank-sum test of k groups, as R's `kruskal.test`:
//! ranks of the pooled values (ties averaged, R's `rank`),
//! H = [12/(N(N + 1)) Σ Rᵢ²/nᵢ − 3(N + 1)] / [1 − Σ(t³ − t)/(N³ − N)]
//! (the ties correction, t the size of each group of tied values), and the
//! upper chi-square tail on k − 1 degrees of freedom.
//!
//! As R, empty groups are not groups (the caller drops them) and at least
//! two groups are needed; when every value is tied R's H is 0/0 = NaN and
//! netra returns [`TestError::EssentiallyConstant`].

use super::TestError;
use super::oneway::check_groups;
use crate::distributions::chisq_upper;

/// The result of [`kruskal_test`].
#[derive(Debug, Clone, PartialEq)]
pub struct KruskalTest {
    /// Kruskal–Wallis chi-squared (H, ties corrected).
    pub statistic: f64,
    /// Degrees of freedom (k − 1).
    pub df: f64,
    /// p-value.
    pub p_value: f64,
}

/// Mid-ranks of `values` (1-based, ties averaged) and Σ(t³ − t) over the
/// groups of ties.
pub(crate) fn midranks(values: &[f64]) -> (Vec<f64>, f64) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut ties = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            ranks[o] = r;
        }
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        i = j + 1;
    }
    (ranks, ties)
}

/// The Kruskal–Wallis test of `groups` (each non-empty).
pub fn kruskal_test(groups: &[Vec<f64>]) -> Result<KruskalTest, TestError> {
    check_groups(groups)?;
    if groups.iter().any(|g| g.is_empty()) {
        return Err(TestError::InvalidInput("a group has no values".into()));
    }
    let all: Vec<f64> = groups.iter().flatten().copied().collect();
    let n = all.len() as f64;
    let (ranks, ties) = midranks(&all);
    let mut sum = 0.0;
    let mut at = 0;
    for g in groups {
        let r: f64 = ranks[at..at + g.len()].iter().sum();
        sum += r * r / g.len() as f64;
        at += g.len();
    }
    let correction = 1.0 - ties / (n * n * n - n);
    if correction.is_nan() || correction <= 0.0 {
        return Err(TestError::EssentiallyConstant);
    }
    let statistic = (12.0 * sum / (n * (n + 1.0)) - 3.0 * (n + 1.0)) / correction;
    let df = groups.len() as f64 - 1.0;
    Ok(KruskalTest {
        statistic,
        df,
        p_value: chisq_upper(statistic, df),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midranks_average_ties() {
        let (r, t) = midranks(&[3.0, 1.0, 3.0, 2.0]);
        assert_eq!(r, vec![3.5, 1.0, 3.5, 2.0]);
        assert_eq!(t, 6.0);
    }

    #[test]
    fn refusals() {
        assert!(kruskal_test(&[vec![1.0, 2.0]]).is_err());
        assert!(kruskal_test(&[vec![1.0], vec![]]).is_err());
        assert_eq!(
            kruskal_test(&[vec![1.0, 1.0], vec![1.0]]),
            Err(TestError::EssentiallyConstant)
        );
    }
}
