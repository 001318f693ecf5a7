//! Householder QR with R's limited column pivoting (LINPACK `dqrdc2`, which
//! `glm.fit` reaches through `Cdqrls`): a column whose remaining norm falls
//! below `tol` times its original norm is moved to the end and is not
//! estimated (R's `NA` coefficient, "aliased").

// Numerical loops index several arrays with one counter.
#![allow(clippy::needless_range_loop)]

/// The decomposition of an `n × p` column-major matrix.
pub(crate) struct Qr {
    n: usize,
    /// Householder vectors below the diagonal and R on and above it, in
    /// pivoted column order (column-major, `n × p`).
    a: Vec<f64>,
    /// Scalar of each Householder reflection (`qraux`).
    aux: Vec<f64>,
    /// Original column index of each pivoted column.
    pub pivot: Vec<usize>,
    /// Number of estimable (leading) columns.
    pub rank: usize,
}

impl Qr {
    /// Decomposes `x` (column-major `n × p`).
    pub fn new(x: &[f64], n: usize, p: usize, tol: f64) -> Qr {
        let mut a = x.to_vec();
        let mut pivot: Vec<usize> = (0..p).collect();
        let mut aux = vec![0.0; p];
        let norm = |a: &[f64], j: usize, from: usize| -> f64 {
            a[j * n + from..(j + 1) * n]
                .iter()
                .map(|v| v * v)
                .sum::<f64>()
                .sqrt()
        };
        let original: Vec<f64> = (0..p).map(|j| norm(&a, j, 0)).collect();
        let mut orig_of: Vec<f64> = original.clone();
        let mut rank = p.min(n);
        let mut k = 0;
        while k < rank {
            // Columns at k.. that are (numerically) in the span of the
            // earlier ones rotate to the end, as dqrdc2 does.
            let mut rotations = 0;
            loop {
                let rest = norm(&a, k, k);
                let reference = orig_of[k];
                if rest >= tol * reference && reference > 0.0 || rotations >= rank - k {
                    break;
                }
                // Move column k to the last position.
                let col: Vec<f64> = a[k * n..(k + 1) * n].to_vec();
                for j in k..p - 1 {
                    a.copy_within((j + 1) * n..(j + 2) * n, j * n);
                }
                a[(p - 1) * n..p * n].copy_from_slice(&col);
                let pv = pivot.remove(k);
                pivot.push(pv);
                let o = orig_of.remove(k);
                orig_of.push(o);
                rank -= 1;
                rotations += 1;
                if k >= rank {
                    break;
                }
            }
            if k >= rank {
                break;
            }
            // Householder reflection of column k below the diagonal.
            let mut nrmxl = norm(&a, k, k);
            if a[k * n + k] != 0.0 {
                nrmxl = nrmxl.copysign(a[k * n + k]);
            }
            for i in k..n {
                a[k * n + i] /= nrmxl;
            }
            a[k * n + k] += 1.0;
            for j in k + 1..p {
                let mut t = 0.0;
                for i in k..n {
                    t -= a[k * n + i] * a[j * n + i];
                }
                t /= a[k * n + k];
                for i in k..n {
                    a[j * n + i] += t * a[k * n + i];
                }
            }
            aux[k] = a[k * n + k];
            a[k * n + k] = -nrmxl;
            k += 1;
        }
        Qr {
            n,
            a,
            aux,
            pivot,
            rank,
        }
    }

    /// Q'y, in place.
    fn qty(&self, y: &mut [f64]) {
        let n = self.n;
        for k in 0..self.rank {
            if self.aux[k] == 0.0 {
                continue;
            }
            let diag = self.aux[k];
            let col = &self.a[k * n..(k + 1) * n];
            let mut t = -diag * y[k];
            for i in k + 1..n {
                t -= col[i] * y[i];
            }
            t /= diag;
            y[k] += t * diag;
            for i in k + 1..n {
                y[i] += t * col[i];
            }
        }
    }

    /// R's element (i, j) (i ≤ j < rank), pivoted order.
    fn r(&self, i: usize, j: usize) -> f64 {
        self.a[j * self.n + i]
    }

    /// Least-squares coefficients of the estimable columns, in pivoted
    /// order (length `rank`).
    pub fn solve(&self, y: &[f64]) -> Vec<f64> {
        let mut qy = y.to_vec();
        self.qty(&mut qy);
        let r = self.rank;
        let mut b = vec![0.0; r];
        for i in (0..r).rev() {
            let mut s = qy[i];
            for j in i + 1..r {
                s -= self.r(i, j) * b[j];
            }
            b[i] = s / self.r(i, i);
        }
        b
    }

    /// (R'R)⁻¹ of the estimable columns (R's `chol2inv(qr$qr[p1, p1])`),
    /// `rank × rank` row-major, pivoted order.
    pub fn unscaled_covariance(&self) -> Vec<f64> {
        let r = self.rank;
        // Rinv: upper triangular inverse of R.
        let mut inv = vec![0.0; r * r];
        for j in 0..r {
            inv[j * r + j] = 1.0 / self.r(j, j);
            for i in (0..j).rev() {
                let mut s = 0.0;
                for k in i + 1..=j {
                    s += self.r(i, k) * inv[k * r + j];
                }
                inv[i * r + j] = -s / self.r(i, i);
            }
        }
        let mut cov = vec![0.0; r * r];
        for i in 0..r {
            for j in 0..r {
                let mut s = 0.0;
                for k in i.max(j)..r {
                    s += inv[i * r + k] * inv[j * r + k];
                }
                cov[i * r + j] = s;
            }
        }
        cov
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_least_squares_and_detects_an_aliased_column() {
        // y = 1 + 2x exactly; the third column is 2 × the second.
        let x = [1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 2.0, 3.0, 0.0, 2.0, 4.0, 6.0];
        let y = [1.0, 3.0, 5.0, 7.0];
        let qr = Qr::new(&x, 4, 3, 1e-7);
        assert_eq!(qr.rank, 2);
        assert_eq!(qr.pivot, vec![0, 1, 2]);
        let b = qr.solve(&y);
        assert!((b[0] - 1.0).abs() < 1e-12 && (b[1] - 2.0).abs() < 1e-12);
        // (X'X)^-1 for columns 1 and x: [[4,6],[6,14]]^-1 = [[14,-6],[-6,4]]/20.
        let c = qr.unscaled_covariance();
        assert!((c[0] - 0.7).abs() < 1e-12 && (c[1] + 0.3).abs() < 1e-12);
        assert!((c[3] - 0.2).abs() < 1e-12);
    }

    #[test]
    fn a_zero_column_moves_to_the_end() {
        let x = [0.0, 0.0, 0.0, 1.0, 2.0, 4.0];
        let qr = Qr::new(&x, 3, 2, 1e-7);
        assert_eq!(qr.rank, 1);
        assert_eq!(qr.pivot, vec![1, 0]);
    }
}
