//! The quadratic form `u' V⁻ u` of a chi-square test, with a generalized
//! inverse when `V` is singular.
//!
//! `V` is a variance matrix, symmetric and positive semi-definite, so it is
//! factored as `L D L'` (the scheme of survival's `cholesky2`, used by
//! `coxph`): a pivot that is not larger than `TOLERANCE` times the largest
//! diagonal element marks a column as redundant; that column is zeroed and the
//! solve skips it. For a non-singular `V` this is an ordinary (backward
//! stable) solve and agrees with R's `solve()` (LU) to rounding; for a
//! singular one R's `solve()` stops with an error, whereas this returns the
//! generalized-inverse quadratic form and the rank, which is then the degrees
//! of freedom.

/// Pivots below this fraction of the largest diagonal are treated as zero:
/// `coxph`'s default `toler.chol = .Machine$double.eps^0.75`.
const TOLERANCE: f64 = 1.818_989_403_545_856_5e-12;

/// `u' V⁻ u` and the rank of `V` (row-major `m × m`).
pub(crate) fn quadratic_form(v: &[f64], u: &[f64]) -> (f64, usize) {
    let m = u.len();
    debug_assert_eq!(v.len(), m * m);
    if m == 0 {
        return (0.0, 0);
    }
    // Lower triangle of the factor in place: L below the diagonal, D on it.
    let mut a = v.to_vec();
    let max_diag = (0..m).map(|i| a[i * m + i].abs()).fold(0.0, f64::max);
    let eps = TOLERANCE * max_diag;
    let mut rank = 0;
    for i in 0..m {
        let pivot = a[i * m + i];
        if pivot.is_nan() || pivot <= eps || pivot.is_infinite() {
            // Redundant column: zero it so later rows ignore it.
            for j in i..m {
                a[j * m + i] = 0.0;
            }
            continue;
        }
        rank += 1;
        for j in (i + 1)..m {
            let temp = a[j * m + i] / pivot;
            a[j * m + i] = temp;
            a[j * m + j] -= temp * temp * pivot;
            for k in (j + 1)..m {
                a[k * m + j] -= temp * a[k * m + i];
            }
        }
    }
    // Solve L y = u, then u' V⁻ u = sum y_i^2 / d_i over the kept pivots.
    let mut y = u.to_vec();
    for i in 0..m {
        for j in 0..i {
            y[i] -= a[i * m + j] * y[j];
        }
    }
    let mut total = 0.0;
    for i in 0..m {
        let d = a[i * m + i];
        if d != 0.0 {
            total += y[i] * y[i] / d;
        }
    }
    (total, rank)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_explicit_inverse() {
        // V = [[4, 2], [2, 3]], V^-1 = [[3, -2], [-2, 4]] / 8; u = (1, 2):
        // u' V^-1 u = (3 - 8 + 16) / 8 = 11 / 8.
        let (q, r) = quadratic_form(&[4.0, 2.0, 2.0, 3.0], &[1.0, 2.0]);
        assert!((q - 11.0 / 8.0).abs() < 1e-15);
        assert_eq!(r, 2);
    }

    #[test]
    fn singular_uses_generalized_inverse() {
        // Second column duplicates the first: rank 1, u in the column space.
        let (q, r) = quadratic_form(&[2.0, 2.0, 2.0, 2.0], &[1.0, 1.0]);
        assert_eq!(r, 1);
        assert!((q - 0.5).abs() < 1e-15);
        let (q, r) = quadratic_form(&[0.0], &[0.0]);
        assert_eq!((q, r), (0.0, 0));
    }
}
