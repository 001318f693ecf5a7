//! Generalised Cholesky factorisation of a symmetric information matrix,
//! with R `survival`'s rule for singular columns.
//!
//! The matrix is factored as `L D L'` (unit lower-triangular `L`). A pivot
//! below `toler` times the largest diagonal element, or not finite, marks
//! its column as redundant: the pivot is set to zero, the column is skipped,
//! solves give 0 for it and the inverse has a zero row and column. This is
//! what makes `coxph` report `NA` for a constant or collinear covariate and
//! carry on with the others (survival's `cholesky2`, `chsolve2`, `chinv2`,
//! whose behaviour, not code, is reproduced here).

/// A dense symmetric `p × p` matrix, row-major.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SymMat {
    pub p: usize,
    pub v: Vec<f64>,
}

impl SymMat {
    pub fn zeros(p: usize) -> SymMat {
        SymMat {
            p,
            v: vec![0.0; p * p],
        }
    }

    #[inline]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.v[i * self.p + j]
    }

    #[inline]
    pub fn set(&mut self, i: usize, j: usize, x: f64) {
        self.v[i * self.p + j] = x;
    }

    /// Fills the full matrix from a packed lower triangle (row `i` holds
    /// columns `0..=i`).
    pub fn from_packed_lower(p: usize, packed: &[f64]) -> SymMat {
        let mut m = SymMat::zeros(p);
        let mut k = 0;
        for i in 0..p {
            for j in 0..=i {
                m.set(i, j, packed[k]);
                m.set(j, i, packed[k]);
                k += 1;
            }
        }
        m
    }

    /// The sub-matrix of rows and columns `idx`.
    pub fn select(&self, idx: &[usize]) -> SymMat {
        let mut m = SymMat::zeros(idx.len());
        for (a, &i) in idx.iter().enumerate() {
            for (b, &j) in idx.iter().enumerate() {
                m.set(a, b, self.get(i, j));
            }
        }
        m
    }
}

/// An `L D L'` factorisation; `rank` counts the non-redundant columns, and
/// is negated when a pivot is clearly negative (not semi-definite).
#[derive(Debug, Clone)]
pub(crate) struct Ldl {
    p: usize,
    /// Lower triangle holds `L` (unit diagonal implied), diagonal holds `D`.
    f: Vec<f64>,
    pub rank: i32,
}

impl Ldl {
    /// Factors `m` with singularity tolerance `toler` (R: `toler.chol`).
    pub fn new(m: &SymMat, toler: f64) -> Ldl {
        let p = m.p;
        let mut f = m.v.clone();
        // Work on the lower triangle, copied from the upper one as R does.
        for i in 0..p {
            for j in (i + 1)..p {
                f[j * p + i] = f[i * p + j];
            }
        }
        let mut largest = 0.0f64;
        for i in 0..p {
            let d = f[i * p + i];
            if d > largest {
                largest = d;
            }
        }
        if largest == 0.0 {
            for i in 0..p {
                f[i * p + i] = 0.0;
            }
            return Ldl { p, f, rank: 0 };
        }
        let eps = largest * toler;
        let mut rank = 0;
        let mut nonneg = 1;
        for i in 0..p {
            let pivot = f[i * p + i];
            if !pivot.is_finite() || pivot < eps {
                f[i * p + i] = 0.0;
                if pivot < -8.0 * eps {
                    nonneg = -1;
                }
            } else {
                rank += 1;
                for j in (i + 1)..p {
                    let t = f[j * p + i] / pivot;
                    f[j * p + i] = t;
                    f[j * p + j] -= t * t * pivot;
                    for k in (j + 1)..p {
                        f[k * p + j] -= t * f[k * p + i];
                    }
                }
            }
        }
        Ldl {
            p,
            f,
            rank: rank * nonneg,
        }
    }

    /// True when column `i` was found redundant.
    pub fn is_singular(&self, i: usize) -> bool {
        self.f[i * self.p + i] == 0.0
    }

    /// Solves `M b = y` in place; redundant columns get 0.
    pub fn solve(&self, y: &mut [f64]) {
        let p = self.p;
        for i in 0..p {
            let mut t = y[i];
            for j in 0..i {
                t -= y[j] * self.f[i * p + j];
            }
            y[i] = t;
        }
        for i in (0..p).rev() {
            let d = self.f[i * p + i];
            if d == 0.0 {
                y[i] = 0.0;
            } else {
                let mut t = y[i] / d;
                for j in (i + 1)..p {
                    t -= y[j] * self.f[j * p + i];
                }
                y[i] = t;
            }
        }
    }

    /// The (generalised) inverse: zero rows and columns for redundant
    /// columns.
    pub fn inverse(&self) -> SymMat {
        let p = self.p;
        let mut m = self.f.clone();
        // Invert L (unit lower) in place and D on the diagonal.
        for i in 0..p {
            if m[i * p + i] > 0.0 {
                m[i * p + i] = 1.0 / m[i * p + i];
                for j in (i + 1)..p {
                    m[j * p + i] = -m[j * p + i];
                    for k in 0..i {
                        m[j * p + k] += m[j * p + i] * m[i * p + k];
                    }
                }
            }
        }
        // Form L^-T D^-1 L^-1 in the upper triangle.
        for i in 0..p {
            if m[i * p + i] == 0.0 {
                for j in 0..i {
                    m[j * p + i] = 0.0;
                }
                for j in i..p {
                    m[i * p + j] = 0.0;
                }
            } else {
                for j in (i + 1)..p {
                    let t = m[j * p + i] * m[j * p + j];
                    m[i * p + j] = t;
                    for k in i..j {
                        m[i * p + k] += t * m[j * p + k];
                    }
                }
            }
        }
        let mut out = SymMat::zeros(p);
        for i in 0..p {
            for j in i..p {
                out.set(i, j, m[i * p + j]);
                out.set(j, i, m[i * p + j]);
            }
        }
        out
    }
}

/// `b' M^-1 b` for a quadratic-form test (R's `coxph.wtest`), with the
/// number of non-redundant columns.
pub(crate) fn quad_form(m: &SymMat, b: &[f64], toler: f64) -> (f64, usize) {
    let ldl = Ldl::new(m, toler);
    let df = (0..m.p).filter(|&i| !ldl.is_singular(i)).count();
    let mut s = b.to_vec();
    ldl.solve(&mut s);
    (b.iter().zip(&s).map(|(x, y)| x * y).sum(), df)
}

/// Solves `M x = b` for a general (non-singular) square matrix by Gaussian
/// elimination with partial pivoting, as R's `solve()` (LAPACK `dgesv`)
/// does. `None` when the matrix is singular.
pub(crate) fn solve_general(m: &SymMat, b: &[f64]) -> Option<Vec<f64>> {
    let p = m.p;
    let mut a = m.v.clone();
    let mut x = b.to_vec();
    for col in 0..p {
        let piv =
            (col..p).max_by(|&r, &s| a[r * p + col].abs().total_cmp(&a[s * p + col].abs()))?;
        if a[piv * p + col] == 0.0 || !a[piv * p + col].is_finite() {
            return None;
        }
        if piv != col {
            for k in 0..p {
                a.swap(piv * p + k, col * p + k);
            }
            x.swap(piv, col);
        }
        let d = a[col * p + col];
        for r in (col + 1)..p {
            let f = a[r * p + col] / d;
            if f != 0.0 {
                for k in col..p {
                    a[r * p + k] -= f * a[col * p + k];
                }
                x[r] -= f * x[col];
            }
        }
    }
    for col in (0..p).rev() {
        let mut t = x[col];
        for k in (col + 1)..p {
            t -= a[col * p + k] * x[k];
        }
        x[col] = t / a[col * p + col];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_and_solve_of_spd() {
        let m = SymMat {
            p: 3,
            v: vec![4.0, 2.0, 0.6, 2.0, 2.0, 0.5, 0.6, 0.5, 3.0],
        };
        let ldl = Ldl::new(&m, 1e-12);
        assert_eq!(ldl.rank, 3);
        let inv = ldl.inverse();
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..3).map(|k| m.get(i, k) * inv.get(k, j)).sum();
                assert!((s - f64::from(u8::from(i == j))).abs() < 1e-14);
            }
        }
        let mut y = vec![1.0, 2.0, 3.0];
        ldl.solve(&mut y);
        let g = solve_general(&m, &[1.0, 2.0, 3.0]).unwrap();
        for (a, b) in y.iter().zip(&g) {
            assert!((a - b).abs() < 1e-14);
        }
    }

    #[test]
    fn redundant_column_is_zeroed() {
        // Column 2 = column 0 + column 1.
        let m = SymMat {
            p: 3,
            v: vec![2.0, 1.0, 3.0, 1.0, 2.0, 3.0, 3.0, 3.0, 6.0],
        };
        let ldl = Ldl::new(&m, 1e-9);
        assert_eq!(ldl.rank, 2);
        assert!(ldl.is_singular(2));
        let inv = ldl.inverse();
        assert_eq!(inv.get(2, 2), 0.0);
        assert_eq!(inv.get(0, 2), 0.0);
        assert!((inv.get(0, 0) - 2.0 / 3.0).abs() < 1e-14);
        let (q, df) = quad_form(&m, &[1.0, 1.0, 2.0], 1e-9);
        assert_eq!(df, 2);
        assert!((q - 2.0 / 3.0).abs() < 1e-14);
        assert!(solve_general(&SymMat::zeros(2), &[1.0, 1.0]).is_none());
    }
}
