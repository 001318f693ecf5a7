//! Pearson's chi-square test of independence for an r×c table of counts,
//! as R's `chisq.test(x, correct)`.
//!
//! * Expected counts `E_ij = r_i c_j / n`; statistic
//!   `Σ (|O - E| - Y)² / E`, df = (r-1)(c-1), upper-tail chi-square p.
//! * Yates' correction only for a 2×2 table and only when asked:
//!   `Y = min(0.5, min_ij |O_ij - E_ij|)` — R takes the minimum over all
//!   cells, so a table whose observed counts equal their expectation gets no
//!   correction (and R's method label then omits "Yates").
//! * Pearson residuals `(O - E)/√E` and standardized residuals
//!   `(O - E)/√(c r (n - r)(n - c)/n³)`, as R's `residuals` and `stdres`.
//! * `small_expected` is R's warning condition "Chi-squared approximation may
//!   be incorrect": some expected count below 5.
//! * A table with an all-zero row or column has E = 0 there and R returns
//!   NaN for the statistic and p; netra returns the same NaNs (documented, not
//!   an error) so that results agree field by field.

use super::TestError;
use crate::distributions::chisq_upper;

/// The result of [`chisq_test`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChisqTest {
    /// The statistic (`X-squared`).
    pub statistic: f64,
    /// Degrees of freedom (r-1)(c-1).
    pub df: f64,
    /// Upper-tail p-value.
    pub p_value: f64,
    /// True when Yates' correction was applied (2×2, asked, and Y > 0).
    pub yates_applied: bool,
    /// Expected counts, row-major, same shape as the input.
    pub expected: Vec<Vec<f64>>,
    /// Pearson residuals, row-major.
    pub residuals: Vec<Vec<f64>>,
    /// Standardized residuals, row-major.
    pub stdres: Vec<Vec<f64>>,
    /// Some expected count is below 5 (R warns).
    pub small_expected: bool,
}

/// Validates a table of counts: rectangular, at least 2×2, finite and
/// non-negative, with a positive total.
pub(crate) fn check_table(table: &[Vec<f64>]) -> Result<(usize, usize), TestError> {
    let r = table.len();
    let c = table.first().map_or(0, |row| row.len());
    if r < 2 || c < 2 {
        return Err(TestError::InvalidInput(format!(
            "the table must have at least 2 rows and 2 columns, got {r}×{c}"
        )));
    }
    if table.iter().any(|row| row.len() != c) {
        return Err(TestError::InvalidInput(
            "the table rows differ in length".into(),
        ));
    }
    if table.iter().flatten().any(|v| !v.is_finite() || *v < 0.0) {
        return Err(TestError::InvalidInput(
            "all entries of the table must be non-negative and finite".into(),
        ));
    }
    if table.iter().flatten().sum::<f64>() <= 0.0 {
        return Err(TestError::InvalidInput(
            "at least one entry of the table must be positive".into(),
        ));
    }
    Ok((r, c))
}

/// Pearson's chi-square test of independence; `correct` asks for Yates'
/// correction, which R applies to 2×2 tables only (`chisq.test`'s default is
/// `correct = TRUE`).
pub fn chisq_test(table: &[Vec<f64>], correct: bool) -> Result<ChisqTest, TestError> {
    let (nr, nc) = check_table(table)?;
    let rows: Vec<f64> = table.iter().map(|r| r.iter().sum()).collect();
    let cols: Vec<f64> = (0..nc).map(|j| table.iter().map(|r| r[j]).sum()).collect();
    let n: f64 = rows.iter().sum();
    let expected: Vec<Vec<f64>> = rows
        .iter()
        .map(|&ri| cols.iter().map(|&cj| ri * cj / n).collect())
        .collect();
    let yates = if correct && nr == 2 && nc == 2 {
        let mut m = 0.5f64;
        for i in 0..2 {
            for j in 0..2 {
                m = m.min((table[i][j] - expected[i][j]).abs());
            }
        }
        m
    } else {
        0.0
    };
    // Column-major summation, as R sums a matrix.
    let mut statistic = 0.0;
    for j in 0..nc {
        for i in 0..nr {
            let e = expected[i][j];
            statistic += ((table[i][j] - e).abs() - yates).powi(2) / e;
        }
    }
    let df = ((nr - 1) * (nc - 1)) as f64;
    let p_value = if statistic.is_nan() {
        f64::NAN
    } else {
        chisq_upper(statistic, df)
    };
    let residuals = (0..nr)
        .map(|i| {
            (0..nc)
                .map(|j| (table[i][j] - expected[i][j]) / expected[i][j].sqrt())
                .collect()
        })
        .collect();
    let stdres = (0..nr)
        .map(|i| {
            (0..nc)
                .map(|j| {
                    let (r, c) = (rows[i], cols[j]);
                    let v = c * r * (n - r) * (n - c) / (n * n * n);
                    (table[i][j] - expected[i][j]) / v.sqrt()
                })
                .collect()
        })
        .collect();
    let small_expected = expected.iter().flatten().any(|&e| e < 5.0);
    Ok(ChisqTest {
        statistic,
        df,
        p_value,
        yates_applied: yates > 0.0,
        expected,
        residuals,
        stdres,
        small_expected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_tables() {
        assert!(chisq_test(&[vec![1.0, 2.0]], false).is_err());
        assert!(chisq_test(&[vec![1.0, 2.0], vec![3.0]], false).is_err());
        assert!(chisq_test(&[vec![1.0, -2.0], vec![3.0, 4.0]], false).is_err());
        assert!(chisq_test(&[vec![0.0, 0.0], vec![0.0, 0.0]], false).is_err());
    }

    #[test]
    fn yates_only_for_2x2() {
        let t = vec![vec![3.0, 7.0, 2.0], vec![8.0, 2.0, 5.0]];
        let a = chisq_test(&t, true).unwrap();
        let b = chisq_test(&t, false).unwrap();
        assert_eq!(a.statistic, b.statistic);
        assert!(!a.yates_applied);
    }
}
