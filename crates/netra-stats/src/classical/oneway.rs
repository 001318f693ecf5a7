//! One-way analysis of means for k groups, as R's `oneway.test(y ~ g,
//! var.equal)`:
//!
//! * equal variances (`var.equal = TRUE`, the classical one-way ANOVA, the
//!   same F as `anova(lm(y ~ g))`): F = [Σ nᵢ(ȳᵢ − ȳ)²/(k − 1)] /
//!   [Σ (nᵢ − 1)sᵢ²/(N − k)] on (k − 1, N − k) degrees of freedom;
//! * Welch (`var.equal = FALSE`, R's default): wᵢ = nᵢ/sᵢ²,
//!   m = Σwᵢȳᵢ/Σwᵢ, τ = Σ(1 − wᵢ/Σw)²/(nᵢ − 1)/(k² − 1),
//!   F = Σwᵢ(ȳᵢ − m)²/((k − 1)(1 + 2(k − 2)τ)) on (k − 1, 1/(3τ)) degrees of
//!   freedom.
//!
//! The p-value is the upper F tail `pf(F, df1, df2, lower.tail = FALSE)`,
//! through the incomplete beta of both tails (`special::beta_inc`), so
//! small p keep their digits. As R, every group needs at least two values
//! ("not enough observations"); groups are taken as given (empty groups
//! are the caller's to drop). Where R answers NaN or Inf — all groups
//! constant (equal variances), or a constant group (Welch: a weight of
//! 1/0) — netra returns [`TestError::EssentiallyConstant`].

use super::TestError;
use super::special::beta_inc;

/// The result of [`oneway_test`], with the numbers of R's `htest` and,
/// for equal variances, the rows of `anova(lm())`.
#[derive(Debug, Clone, PartialEq)]
pub struct OnewayTest {
    /// F statistic.
    pub statistic: f64,
    /// Numerator degrees of freedom (k − 1).
    pub df_num: f64,
    /// Denominator degrees of freedom (N − k, or Welch's 1/(3τ)).
    pub df_den: f64,
    /// p-value.
    pub p_value: f64,
    /// Between-groups sum of squares (equal variances only).
    pub ss_between: Option<f64>,
    /// Within-groups (residual) sum of squares (equal variances only).
    pub ss_within: Option<f64>,
}

/// `P(F > f)` for F with (d1, d2) degrees of freedom, as R's
/// `pf(f, d1, d2, lower.tail = FALSE)`.
pub fn f_upper(f: f64, d1: f64, d2: f64) -> f64 {
    if f.is_nan() || d1.is_nan() || d2.is_nan() || d1 <= 0.0 || d2 <= 0.0 {
        return f64::NAN;
    }
    if f <= 0.0 {
        return 1.0;
    }
    if f.is_infinite() {
        return 0.0;
    }
    let denom = d2 + d1 * f;
    beta_inc(d2 / 2.0, d1 / 2.0, d2 / denom, d1 * f / denom).0
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn var(v: &[f64], m: f64) -> f64 {
    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() as f64 - 1.0)
}

/// Checks k ≥ 2 groups of finite values with at least two values each.
pub(crate) fn check_groups(groups: &[Vec<f64>]) -> Result<(), TestError> {
    if groups.len() < 2 {
        return Err(TestError::NotEnoughObservations(format!(
            "{} group(s); at least 2 are needed",
            groups.len()
        )));
    }
    if groups.iter().flatten().any(|x| !x.is_finite()) {
        return Err(TestError::InvalidInput(
            "every value must be a finite number".into(),
        ));
    }
    Ok(())
}

/// One-way ANOVA (`var_equal`) or Welch's ANOVA of `groups`.
pub fn oneway_test(groups: &[Vec<f64>], var_equal: bool) -> Result<OnewayTest, TestError> {
    check_groups(groups)?;
    if let Some(g) = groups.iter().find(|g| g.len() < 2) {
        return Err(TestError::NotEnoughObservations(format!(
            "a group has {} value(s); each needs at least 2",
            g.len()
        )));
    }
    let k = groups.len() as f64;
    let n_i: Vec<f64> = groups.iter().map(|g| g.len() as f64).collect();
    let m_i: Vec<f64> = groups.iter().map(|g| mean(g)).collect();
    let v_i: Vec<f64> = groups.iter().zip(&m_i).map(|(g, m)| var(g, *m)).collect();
    if var_equal {
        let all: Vec<f64> = groups.iter().flatten().copied().collect();
        let n = all.len() as f64;
        let grand = mean(&all);
        let ss_between: f64 = n_i
            .iter()
            .zip(&m_i)
            .map(|(n, m)| n * (m - grand) * (m - grand))
            .sum();
        let ss_within: f64 = n_i.iter().zip(&v_i).map(|(n, v)| (n - 1.0) * v).sum();
        if ss_within.is_nan() || ss_within <= 0.0 {
            return Err(TestError::EssentiallyConstant);
        }
        let (d1, d2) = (k - 1.0, n - k);
        let statistic = (ss_between / d1) / (ss_within / d2);
        Ok(OnewayTest {
            statistic,
            df_num: d1,
            df_den: d2,
            p_value: f_upper(statistic, d1, d2),
            ss_between: Some(ss_between),
            ss_within: Some(ss_within),
        })
    } else {
        if v_i.iter().any(|v| v.is_nan() || *v <= 0.0) {
            return Err(TestError::EssentiallyConstant);
        }
        let w_i: Vec<f64> = n_i.iter().zip(&v_i).map(|(n, v)| n / v).collect();
        let sum_w: f64 = w_i.iter().sum();
        let tmp: f64 = w_i
            .iter()
            .zip(&n_i)
            .map(|(w, n)| (1.0 - w / sum_w).powi(2) / (n - 1.0))
            .sum::<f64>()
            / (k * k - 1.0);
        let m: f64 = w_i.iter().zip(&m_i).map(|(w, m)| w * m).sum::<f64>() / sum_w;
        let statistic = w_i
            .iter()
            .zip(&m_i)
            .map(|(w, mi)| w * (mi - m) * (mi - m))
            .sum::<f64>()
            / ((k - 1.0) * (1.0 + 2.0 * (k - 2.0) * tmp));
        let (d1, d2) = (k - 1.0, 1.0 / (3.0 * tmp));
        Ok(OnewayTest {
            statistic,
            df_num: d1,
            df_den: d2,
            p_value: f_upper(statistic, d1, d2),
            ss_between: None,
            ss_within: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals() {
        assert!(oneway_test(&[vec![1.0, 2.0]], true).is_err());
        assert!(oneway_test(&[vec![1.0, 2.0], vec![3.0]], true).is_err());
        assert!(oneway_test(&[vec![1.0, f64::NAN], vec![3.0, 4.0]], true).is_err());
        let constant = [vec![1.0, 1.0], vec![2.0, 2.0]];
        assert_eq!(
            oneway_test(&constant, true),
            Err(TestError::EssentiallyConstant)
        );
        assert_eq!(
            oneway_test(&[vec![1.0, 1.0], vec![2.0, 3.0]], false),
            Err(TestError::EssentiallyConstant)
        );
    }

    #[test]
    fn f_tail_edges() {
        assert_eq!(f_upper(0.0, 2.0, 10.0), 1.0);
        assert_eq!(f_upper(f64::INFINITY, 2.0, 10.0), 0.0);
        assert!(f_upper(1.0, 0.0, 10.0).is_nan());
        // pf(1, 2, 2, lower.tail = FALSE) = 1/(1 + 1) = 0.5 exactly.
        assert!((f_upper(1.0, 2.0, 2.0) - 0.5).abs() < 1e-15);
    }
}
