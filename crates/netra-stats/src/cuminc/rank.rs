//! The rank decision and solve that `cmprsk::cuminc` makes with R's `qr()`
//! on Gray's variance matrix.
//!
//! R's default `qr()` (LINPACK `dqrdc2`, tolerance 1e-7) is a Householder QR
//! with *limited* pivoting: before column l is reduced, while its remaining
//! norm (rows l.. of the partly reduced column) is below 1e-7 times its
//! original norm (or 1e-7 when the original norm is 0), the column is moved
//! to the right edge and no longer counts towards the rank. cuminc computes
//! the statistic only when the rank is full. This module applies the same
//! rule, computing the remaining norms exactly rather than by LINPACK's
//! downdating (they differ only in the last bits), and solves V x = s with
//! the factorisation.

/// Column norm below this fraction of the original makes a column negligible.
const TOL: f64 = 1e-7;

/// True when a column's remaining norm is below `TOL` times its original
/// norm, or not a number.
fn negligible(remaining: f64, original: f64) -> bool {
    use std::cmp::Ordering::{Equal, Greater};
    !matches!(
        remaining.partial_cmp(&(original * TOL)),
        Some(Greater | Equal)
    )
}

/// A Householder QR of a square matrix with R's rank rule.
#[derive(Debug, Clone)]
pub(super) struct Qr {
    n: usize,
    /// Column-major: R in the upper triangle, Householder vectors below.
    x: Vec<f64>,
    /// First element of each Householder vector (0 when none was applied).
    qraux: Vec<f64>,
    rank: usize,
}

impl Qr {
    /// Factorises the `n` × `n` matrix `a` (column-major; Gray's variance is
    /// symmetric, so row-major is the same).
    pub(super) fn new(a: &[f64], n: usize) -> Qr {
        let mut x = a.to_vec();
        let col_norm = |x: &[f64], j: usize, from: usize| -> f64 {
            x[j * n + from..(j + 1) * n]
                .iter()
                .map(|v| v * v)
                .sum::<f64>()
                .sqrt()
        };
        let mut original: Vec<f64> = (0..n)
            .map(|j| match col_norm(&x, j, 0) {
                0.0 => 1.0,
                v => v,
            })
            .collect();
        let mut qraux = vec![0.0; n];
        // Columns before `kept` count towards the rank.
        let mut kept = n;
        for l in 0..n {
            // A NaN norm counts as negligible, as in R's comparison.
            while l < kept && negligible(col_norm(&x, l, l), original[l]) {
                // Move column l to the right edge, shifting the others left.
                x[l * n..].rotate_left(n);
                original[l..].rotate_left(1);
                kept -= 1;
            }
            if l + 1 == n {
                break;
            }
            let mut norm = col_norm(&x, l, l);
            if norm == 0.0 {
                continue;
            }
            let diag = l * n + l;
            if x[diag] != 0.0 {
                norm = norm.copysign(x[diag]);
            }
            for v in &mut x[diag..(l + 1) * n] {
                *v /= norm;
            }
            x[diag] += 1.0;
            for j in l + 1..n {
                let dot: f64 = (l..n).map(|i| x[l * n + i] * x[j * n + i]).sum();
                let t = -dot / x[diag];
                for i in l..n {
                    x[j * n + i] += t * x[l * n + i];
                }
            }
            qraux[l] = x[diag];
            x[diag] = -norm;
        }
        Qr {
            n,
            x,
            qraux,
            rank: kept,
        }
    }

    /// The number of columns judged linearly independent.
    pub(super) fn rank(&self) -> usize {
        self.rank
    }

    /// Solves A x = b when A has full rank; `None` otherwise.
    pub(super) fn solve(&self, b: &[f64]) -> Option<Vec<f64>> {
        let n = self.n;
        if self.rank < n || b.len() != n {
            return None;
        }
        let x = &self.x;
        let mut y = b.to_vec();
        // y <- Q' y, one Householder reflection at a time.
        for l in 0..n.saturating_sub(1) {
            let lead = self.qraux[l];
            if lead == 0.0 {
                continue;
            }
            let v = |i: usize| if i == l { lead } else { x[l * n + i] };
            let dot: f64 = (l..n).map(|i| v(i) * y[i]).sum();
            let t = -dot / lead;
            for (i, yi) in y.iter_mut().enumerate().skip(l) {
                *yi += t * v(i);
            }
        }
        // Back substitution with R.
        for i in (0..n).rev() {
            let mut s = y[i];
            for j in i + 1..n {
                s -= x[j * n + i] * y[j];
            }
            let d = x[i * n + i];
            if d == 0.0 {
                return None;
            }
            y[i] = s / d;
        }
        Some(y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_full_rank_system() {
        // [[4, 1], [1, 3]] x = [1, 2]  ->  x = [1/11, 7/11]
        let qr = Qr::new(&[4.0, 1.0, 1.0, 3.0], 2);
        assert_eq!(qr.rank(), 2);
        let x = qr.solve(&[1.0, 2.0]).unwrap();
        assert!((x[0] - 1.0 / 11.0).abs() < 1e-15);
        assert!((x[1] - 7.0 / 11.0).abs() < 1e-15);
    }

    #[test]
    fn rank_follows_r_rule() {
        // R: qr(matrix(0, 1, 1))$rank == 0; qr(matrix(c(1,2,2,4), 2))$rank == 1;
        // qr(matrix(c(1, 1, 1, 1 + 1e-9), 2))$rank == 1 (below 1e-7);
        // qr(matrix(c(1, 1, 1, 1 + 1e-5), 2))$rank == 2.
        assert_eq!(Qr::new(&[0.0], 1).rank(), 0);
        assert_eq!(Qr::new(&[1.0, 2.0, 2.0, 4.0], 2).rank(), 1);
        assert_eq!(Qr::new(&[1.0, 1.0, 1.0, 1.0 + 1e-9], 2).rank(), 1);
        assert_eq!(Qr::new(&[1.0, 1.0, 1.0, 1.0 + 1e-5], 2).rank(), 2);
        assert_eq!(Qr::new(&[0.0, 0.0, 0.0, 5.0], 2).rank(), 1);
        assert!(
            Qr::new(&[0.0, 0.0, 0.0, 5.0], 2)
                .solve(&[1.0, 1.0])
                .is_none()
        );
    }
}
