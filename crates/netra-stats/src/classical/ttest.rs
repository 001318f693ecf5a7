//! Student's and Welch's t-tests, as R's `t.test`.
//!
//! * One sample (and paired, on the differences): t = (x̄ - μ₀)/(s/√n),
//!   df = n - 1.
//! * Two samples, equal variances (Student): pooled variance
//!   `((nx-1)s²x + (ny-1)s²y)/(nx+ny-2)`, df = nx + ny - 2; a group of one
//!   observation is allowed here, as in R.
//! * Two samples, Welch: se² = s²x/nx + s²y/ny and the Welch–Satterthwaite
//!   df `se⁴ / (sx⁴/(nx²(nx-1)) + sy⁴/(ny²(ny-1)))`.
//! * CI: `t ± qt(1-α/2, df)` scaled by the standard error and shifted by
//!   μ₀; one-sided alternatives give a half-infinite interval.
//! * R's guards are kept: "not enough observations" and "data are
//!   essentially constant" (se < 10·ε·max|mean|).
//!
//! Means and variances use two passes (mean, then centred sums with a
//! correction term) so that data with a large common offset keep their
//! precision, as R's long-double accumulation does.

use super::special::{t_cdf_both, t_quantile};
use super::{Alternative, TestError, check_level};

/// The result of a t-test, the fields of R's `htest`.
#[derive(Debug, Clone, PartialEq)]
pub struct TTest {
    /// The t statistic.
    pub statistic: f64,
    /// Degrees of freedom (fractional for Welch).
    pub df: f64,
    /// p-value.
    pub p_value: f64,
    /// Lower confidence limit (−∞ for `Less`).
    pub lower: f64,
    /// Upper confidence limit (+∞ for `Greater`).
    pub upper: f64,
    /// Mean of x (of the differences when paired).
    pub mean_x: f64,
    /// Mean of y for two-sample tests.
    pub mean_y: Option<f64>,
    /// Standard error of the estimate.
    pub std_err: f64,
}

/// Which t-test: R's `t.test(x, y, paired, var.equal)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TTestKind {
    /// Student's two-sample test with pooled variance (`var.equal = TRUE`).
    Student,
    /// Welch's two-sample test (R's default).
    Welch,
    /// Paired test on x - y.
    Paired,
}

pub(crate) fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m0 = x.iter().sum::<f64>() / n;
    let m = m0 + x.iter().map(|v| v - m0).sum::<f64>() / n;
    if x.len() < 2 {
        return (m, f64::NAN);
    }
    let (mut ss, mut s) = (0.0, 0.0);
    for v in x {
        let d = v - m;
        ss += d * d;
        s += d;
    }
    (m, (ss - s * s / n) / (n - 1.0))
}

fn check_finite(x: &[f64], what: &str) -> Result<(), TestError> {
    if x.iter().any(|v| !v.is_finite()) {
        return Err(TestError::InvalidInput(format!(
            "{what} contains a non-finite value"
        )));
    }
    Ok(())
}

fn finish(
    tstat: f64,
    df: f64,
    std_err: f64,
    mu: f64,
    alternative: Alternative,
    conf_level: f64,
) -> (f64, f64, f64) {
    let (lo_t, up_t) = t_cdf_both(tstat, df);
    let (p, lower, upper) = match alternative {
        Alternative::Less => (lo_t, f64::NEG_INFINITY, tstat + t_quantile(conf_level, df)),
        Alternative::Greater => (up_t, tstat - t_quantile(conf_level, df), f64::INFINITY),
        Alternative::TwoSided => {
            let q = t_quantile(1.0 - (1.0 - conf_level) / 2.0, df);
            (2.0 * t_cdf_both(-tstat.abs(), df).0, tstat - q, tstat + q)
        }
    };
    (p, mu + lower * std_err, mu + upper * std_err)
}

/// One-sample t-test of mean `mu`, as `t.test(x, mu = mu)`.
pub fn t_test_one(
    x: &[f64],
    mu: f64,
    alternative: Alternative,
    conf_level: f64,
) -> Result<TTest, TestError> {
    check_level(conf_level)?;
    check_finite(x, "x")?;
    if x.len() < 2 {
        return Err(TestError::NotEnoughObservations(
            "x needs at least 2".into(),
        ));
    }
    let (mx, vx) = mean_var(x);
    let nx = x.len() as f64;
    let std_err = (vx / nx).sqrt();
    if std_err < 10.0 * f64::EPSILON * mx.abs() {
        return Err(TestError::EssentiallyConstant);
    }
    let tstat = (mx - mu) / std_err;
    let df = nx - 1.0;
    let (p_value, lower, upper) = finish(tstat, df, std_err, mu, alternative, conf_level);
    Ok(TTest {
        statistic: tstat,
        df,
        p_value,
        lower,
        upper,
        mean_x: mx,
        mean_y: None,
        std_err,
    })
}

/// Two-sample or paired t-test of the difference `mu`, as
/// `t.test(x, y, mu = mu, paired, var.equal)`.
pub fn t_test_two(
    x: &[f64],
    y: &[f64],
    kind: TTestKind,
    mu: f64,
    alternative: Alternative,
    conf_level: f64,
) -> Result<TTest, TestError> {
    check_level(conf_level)?;
    check_finite(x, "x")?;
    check_finite(y, "y")?;
    if kind == TTestKind::Paired {
        if x.len() != y.len() {
            return Err(TestError::InvalidInput(
                "paired samples must have the same length".into(),
            ));
        }
        let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
        return t_test_one(&d, mu, alternative, conf_level);
    }
    let (nx, ny) = (x.len(), y.len());
    let equal = kind == TTestKind::Student;
    if nx < 1 || (!equal && nx < 2) {
        return Err(TestError::NotEnoughObservations(
            "not enough x observations".into(),
        ));
    }
    if ny < 1 || (!equal && ny < 2) {
        return Err(TestError::NotEnoughObservations(
            "not enough y observations".into(),
        ));
    }
    if equal && nx + ny < 3 {
        return Err(TestError::NotEnoughObservations(
            "not enough observations".into(),
        ));
    }
    let (mx, vx) = mean_var(x);
    let (my, vy) = mean_var(y);
    let (nxf, nyf) = (nx as f64, ny as f64);
    let (std_err, df) = if equal {
        let df = nxf + nyf - 2.0;
        let mut v = 0.0;
        if nx > 1 {
            v += (nxf - 1.0) * vx;
        }
        if ny > 1 {
            v += (nyf - 1.0) * vy;
        }
        v /= df;
        ((v * (1.0 / nxf + 1.0 / nyf)).sqrt(), df)
    } else {
        let sx = (vx / nxf).sqrt();
        let sy = (vy / nyf).sqrt();
        let se = (sx * sx + sy * sy).sqrt();
        let df = se.powi(4) / (sx.powi(4) / (nxf - 1.0) + sy.powi(4) / (nyf - 1.0));
        (se, df)
    };
    // NaN (a one-observation Welch group cannot reach here) also fails.
    if std_err.is_nan() || std_err < 10.0 * f64::EPSILON * mx.abs().max(my.abs()) {
        return Err(TestError::EssentiallyConstant);
    }
    let tstat = (mx - my - mu) / std_err;
    let (p_value, lower, upper) = finish(tstat, df, std_err, mu, alternative, conf_level);
    Ok(TTest {
        statistic: tstat,
        df,
        p_value,
        lower,
        upper,
        mean_x: mx,
        mean_y: Some(my),
        std_err,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_match_r() {
        assert!(matches!(
            t_test_one(&[1.0], 0.0, Alternative::TwoSided, 0.95),
            Err(TestError::NotEnoughObservations(_))
        ));
        assert!(matches!(
            t_test_one(&[2.0, 2.0, 2.0], 0.0, Alternative::TwoSided, 0.95),
            Err(TestError::EssentiallyConstant)
        ));
        assert!(
            t_test_two(
                &[1.0],
                &[2.0, 3.0],
                TTestKind::Welch,
                0.0,
                Alternative::TwoSided,
                0.95
            )
            .is_err()
        );
        assert!(
            t_test_two(
                &[1.0],
                &[2.0, 3.0],
                TTestKind::Student,
                0.0,
                Alternative::TwoSided,
                0.95
            )
            .is_ok()
        );
        assert!(
            t_test_two(
                &[1.0, f64::NAN],
                &[2.0, 3.0],
                TTestKind::Student,
                0.0,
                Alternative::TwoSided,
                0.95
            )
            .is_err()
        );
    }
}
