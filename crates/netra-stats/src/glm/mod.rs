//! Logistic regression (binomial family, logit link) with prior weights,
//! computed as R's `glm(y ~ ..., family = binomial, weights = w)` computes
//! it (`glm.fit`, R 4.x).
//!
//! # What is matched
//! * Iteratively reweighted least squares exactly as `glm.fit`: start at
//!   `mustart = (w·y + 0.5)/(w + 1)`, `eta = logit(mustart)`; each step
//!   solves the weighted least squares of the working response
//!   `z = eta + (y − mu)/mu'` with working weights `w·mu'²/(mu(1 − mu))` by
//!   a Householder QR with R's limited pivoting (tolerance
//!   `min(1e-7, epsilon/1000)`; a collinear column is not estimated — R's
//!   `NA`); step halving when the deviance is not finite; convergence when
//!   `|dev − dev_old|/(|dev| + 0.1) < epsilon` (`epsilon = 1e-8`,
//!   `maxit = 25`). The logit's inverse and derivative are clamped at
//!   |eta| > 30 as R's C code (`logit_linkinv`, `logit_mu_eta`) clamps them.
//! * Standard errors from the QR of the last iteration
//!   (`chol2inv(qr$qr)`, dispersion 1), Wald z and two-sided p as
//!   `summary.glm` prints them.
//! * Deviance, null deviance (intercept-only fit: the weighted mean of y),
//!   residual and null degrees of freedom (rows with zero weight do not
//!   count) and `AIC = −2 Σ log dbinom(round(w·y), round(w), mu) + 2·rank`,
//!   the binomial family's `aic` for 0/1 responses with prior weights
//!   (which R computes, and warns about, for non-integer weights too).
//! * R's warnings, worded as R words them: `algorithm did not converge`,
//!   `fitted probabilities numerically 0 or 1 occurred` (the sign of
//!   complete or quasi-complete separation, reported as
//!   [`GlmFit::separation`]; the estimates then are those of R at its
//!   stopping point — large, with huge standard errors — never a panic).
//!
//! The design matrix comes from [`crate::model::Design`] (factors in R's
//! level order); this module adds the intercept.

mod qr;

use std::fmt;

use crate::distributions::normal_two_sided_p;
use qr::Qr;

/// Settings; the defaults are R's `glm.control()`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GlmOptions {
    /// Convergence tolerance on the deviance (R `epsilon`, 1e-8).
    pub epsilon: f64,
    /// Maximum IRLS iterations (R `maxit`, 25).
    pub maxit: usize,
    /// Fit an intercept (R's default formula `y ~ 1 + ...`).
    pub intercept: bool,
}

impl Default for GlmOptions {
    fn default() -> Self {
        GlmOptions {
            epsilon: 1e-8,
            maxit: 25,
            intercept: true,
        }
    }
}

/// The data of a logistic regression; slices in the same row order.
#[derive(Debug, Clone, Copy)]
pub struct GlmData<'a> {
    /// Response: 0 or 1 (a proportion in [0, 1] is accepted as R accepts it).
    pub y: &'a [f64],
    /// Covariates without the intercept, column-major `n × p` (as
    /// [`crate::model::Design::x`]).
    pub x: &'a [f64],
    /// Column names, `p` of them.
    pub names: &'a [String],
    /// Prior weights (≥ 0; R's `weights`).
    pub weights: Option<&'a [f64]>,
}

/// One coefficient.
#[derive(Debug, Clone, PartialEq)]
pub struct GlmCoefficient {
    /// `(Intercept)` or the design column's name.
    pub name: String,
    /// Estimate; `None` when not estimable (R's `NA`).
    pub estimate: Option<f64>,
    /// Standard error.
    pub se: Option<f64>,
    /// Wald z.
    pub z: Option<f64>,
    /// Two-sided p of z.
    pub p: Option<f64>,
}

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq)]
pub struct GlmFit {
    /// Rows.
    pub n: usize,
    /// Coefficients, intercept first.
    pub coefficients: Vec<GlmCoefficient>,
    /// Covariance of the estimable coefficients in coefficient order,
    /// `p × p` row-major (zero rows and columns for the non-estimable).
    pub vcov: Vec<f64>,
    /// Fitted probabilities (R's `fitted.values`), one per row.
    pub fitted: Vec<f64>,
    /// Linear predictor of each row.
    pub linear_predictors: Vec<f64>,
    /// Residual deviance.
    pub deviance: f64,
    /// Null deviance.
    pub null_deviance: f64,
    /// Akaike's information criterion.
    pub aic: f64,
    /// Residual degrees of freedom.
    pub df_residual: usize,
    /// Null degrees of freedom.
    pub df_null: usize,
    /// Rank of the design (estimable coefficients).
    pub rank: usize,
    /// IRLS iterations (R's `iter`).
    pub iterations: usize,
    /// Whether the deviance converged.
    pub converged: bool,
    /// Fitted probabilities numerically 0 or 1: complete or quasi-complete
    /// separation (the estimates are not finite in truth).
    pub separation: bool,
    /// R's warnings, as R words them.
    pub warnings: Vec<String>,
}

/// Why a model could not be fitted.
#[derive(Debug, Clone, PartialEq)]
pub enum GlmError {
    /// Slices of different lengths.
    LengthMismatch(String),
    /// No rows (or none with positive weight).
    Empty,
    /// A response outside [0, 1] or not finite (R: "y values must be
    /// 0 <= y <= 1").
    InvalidResponse {
        /// Row (0-based).
        row: usize,
        /// The value.
        value: f64,
    },
    /// A negative or non-finite weight (R: "negative weights not allowed").
    InvalidWeight {
        /// Row (0-based).
        row: usize,
        /// The value.
        value: f64,
    },
    /// A covariate that is not finite.
    InvalidCovariate {
        /// Column name.
        name: String,
        /// Row (0-based).
        row: usize,
    },
    /// No valid set of coefficients found (R: "no valid set of
    /// coefficients has been found: please supply starting values").
    NoValidCoefficients,
}

impl fmt::Display for GlmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GlmError::LengthMismatch(what) => write!(f, "{what} have different lengths"),
            GlmError::Empty => write!(f, "no rows with positive weight"),
            GlmError::InvalidResponse { row, value } => {
                write!(f, "row {}: response {value} is not in [0, 1]", row + 1)
            }
            GlmError::InvalidWeight { row, value } => {
                write!(
                    f,
                    "row {}: weight {value} is negative or not finite",
                    row + 1
                )
            }
            GlmError::InvalidCovariate { name, row } => {
                write!(
                    f,
                    "row {}: covariate {name} is not a finite number",
                    row + 1
                )
            }
            GlmError::NoValidCoefficients => write!(
                f,
                "no valid set of coefficients has been found (the deviance is not finite)"
            ),
        }
    }
}

impl std::error::Error for GlmError {}

const THRESH: f64 = 30.0;

/// R's `logit_linkinv`.
fn linkinv(eta: f64) -> f64 {
    let t = if eta < -THRESH {
        f64::EPSILON
    } else if eta > THRESH {
        1.0 / f64::EPSILON
    } else {
        eta.exp()
    };
    t / (1.0 + t)
}

/// R's `logit_mu_eta`.
fn mu_eta(eta: f64) -> f64 {
    let opexp = 1.0 + eta.exp();
    if !(-THRESH..=THRESH).contains(&eta) {
        f64::EPSILON
    } else {
        eta.exp() / (opexp * opexp)
    }
}

fn y_log_y(y: f64, mu: f64) -> f64 {
    if y != 0.0 { y * (y / mu).ln() } else { 0.0 }
}

/// Binomial deviance, `sum(binomial()$dev.resids(y, mu, w))`.
fn deviance(y: &[f64], mu: impl Fn(usize) -> f64, w: &[f64]) -> f64 {
    (0..y.len())
        .map(|i| 2.0 * w[i] * (y_log_y(y[i], mu(i)) + y_log_y(1.0 - y[i], 1.0 - mu(i))))
        .sum()
}

/// log dbinom(x, size, p) for integer x ≤ size.
fn log_dbinom(x: f64, size: f64, p: f64) -> f64 {
    if size == 0.0 {
        return 0.0;
    }
    let k = x.min(size - x);
    let mut lchoose = 0.0;
    let mut i = 1.0;
    while i <= k {
        lchoose += ((size - k + i) / i).ln();
        i += 1.0;
    }
    let a = if x > 0.0 { x * p.ln() } else { 0.0 };
    let b = if size - x > 0.0 {
        (size - x) * (-p).ln_1p()
    } else {
        0.0
    };
    lchoose + a + b
}

/// Fits the logistic regression of `data.y` on `data.x` (plus an intercept
/// unless `options.intercept` is false), as `glm(..., family = binomial)`.
pub fn logistic(data: &GlmData<'_>, options: &GlmOptions) -> Result<GlmFit, GlmError> {
    let n = data.y.len();
    let q = data.names.len();
    if data.x.len() != n * q || data.weights.is_some_and(|w| w.len() != n) {
        return Err(GlmError::LengthMismatch(
            "response, covariates and weights".into(),
        ));
    }
    for (row, &value) in data.y.iter().enumerate() {
        if !(0.0..=1.0).contains(&value) {
            return Err(GlmError::InvalidResponse { row, value });
        }
    }
    let prior: Vec<f64> = match data.weights {
        Some(w) => {
            for (row, &value) in w.iter().enumerate() {
                if !(value.is_finite() && value >= 0.0) {
                    return Err(GlmError::InvalidWeight { row, value });
                }
            }
            w.to_vec()
        }
        None => vec![1.0; n],
    };
    for j in 0..q {
        if let Some(row) = data.x[j * n..(j + 1) * n]
            .iter()
            .position(|v| !v.is_finite())
        {
            return Err(GlmError::InvalidCovariate {
                name: data.names[j].clone(),
                row,
            });
        }
    }
    let good_rows: Vec<usize> = (0..n).filter(|&i| prior[i] > 0.0).collect();
    if good_rows.is_empty() {
        return Err(GlmError::Empty);
    }
    // Full design with the intercept, column-major.
    let mut names = Vec::with_capacity(q + 1);
    let mut x = Vec::with_capacity(n * (q + 1));
    if options.intercept {
        names.push("(Intercept)".to_string());
        x.extend(std::iter::repeat_n(1.0, n));
    }
    names.extend(data.names.iter().cloned());
    x.extend_from_slice(data.x);
    let p = names.len();
    // binomial()$initialize: y of zero-weight rows set to 0.
    let y: Vec<f64> = (0..n)
        .map(|i| if prior[i] == 0.0 { 0.0 } else { data.y[i] })
        .collect();
    let mut warnings = Vec::new();
    if (0..n).any(|i| {
        let m = prior[i] * y[i];
        (m - m.round()).abs() > 1e-3
    }) {
        warnings.push("non-integer #successes in a binomial glm!".to_string());
    }
    let mustart: Vec<f64> = (0..n)
        .map(|i| (prior[i] * y[i] + 0.5) / (prior[i] + 1.0))
        .collect();
    let mut eta: Vec<f64> = mustart.iter().map(|m| (m / (1.0 - m)).ln()).collect();
    let mut mu: Vec<f64> = eta.iter().map(|&e| linkinv(e)).collect();
    let mut dev_old = deviance(&y, |i| mustart[i], &prior);
    let tol = 1e-7f64.min(options.epsilon / 1000.0);

    let mut coef_old: Option<Vec<f64>> = None;
    let mut converged = false;
    let mut iterations = 0;
    let mut last_qr: Option<(Qr, Vec<usize>)> = None;
    let mut coef = vec![f64::NAN; p];
    let mut dev = dev_old;
    if p == 0 {
        // The empty model (no intercept, no covariate): eta = 0, as R's
        // glm.fit computes it.
        converged = true;
        eta = vec![0.0; n];
        mu = vec![0.5; n];
        dev = deviance(&y, |_| 0.5, &prior);
    }
    for iter in 1..=options.maxit.max(1) {
        if p == 0 {
            break;
        }
        iterations = iter;
        // Rows entering the least squares: positive prior weight and
        // mu.eta ≠ 0 (R's `good`).
        let good: Vec<usize> = good_rows
            .iter()
            .copied()
            .filter(|&i| mu_eta(eta[i]) != 0.0)
            .collect();
        if good.is_empty() {
            return Err(GlmError::NoValidCoefficients);
        }
        let m = good.len();
        let mut xw = vec![0.0; m * p];
        let mut zw = vec![0.0; m];
        for (r, &i) in good.iter().enumerate() {
            let me = mu_eta(eta[i]);
            let variance = mu[i] * (1.0 - mu[i]);
            let z = eta[i] + (y[i] - mu[i]) / me;
            let w = (prior[i] * me * me / variance).sqrt();
            zw[r] = z * w;
            for j in 0..p {
                xw[j * m + r] = x[j * n + i] * w;
            }
        }
        let qr = Qr::new(&xw, m, p, tol);
        let b = qr.solve(&zw);
        let mut start = vec![0.0; p];
        for (k, &j) in qr.pivot.iter().enumerate().take(qr.rank) {
            start[j] = b[k];
        }
        let estimable: Vec<usize> = qr.pivot[..qr.rank].to_vec();
        let lin = |c: &[f64]| -> Vec<f64> {
            (0..n)
                .map(|i| estimable.iter().map(|&j| x[j * n + i] * c[j]).sum())
                .collect()
        };
        eta = lin(&start);
        mu = eta.iter().map(|&e| linkinv(e)).collect();
        dev = deviance(&y, |i| mu[i], &prior);
        // Step halving while the deviance is not finite (R's "inner loop 1").
        // Validity of mu (0 < mu < 1) always holds for the clamped logit.
        let mut halvings = 0;
        while !dev.is_finite() {
            let Some(old) = &coef_old else {
                return Err(GlmError::NoValidCoefficients);
            };
            halvings += 1;
            if halvings > options.maxit {
                return Err(GlmError::NoValidCoefficients);
            }
            for j in 0..p {
                start[j] = (start[j] + old[j]) / 2.0;
            }
            eta = lin(&start);
            mu = eta.iter().map(|&e| linkinv(e)).collect();
            dev = deviance(&y, |i| mu[i], &prior);
        }
        coef = start.clone();
        last_qr = Some((qr, estimable));
        if (dev - dev_old).abs() / (dev.abs() + 0.1) < options.epsilon {
            converged = true;
            break;
        }
        dev_old = dev;
        coef_old = Some(start);
    }
    if !converged {
        warnings.push("glm.fit: algorithm did not converge".to_string());
    }
    let eps = 10.0 * f64::EPSILON;
    let separation = mu.iter().any(|&m| m > 1.0 - eps || m < eps);
    if separation {
        warnings.push("glm.fit: fitted probabilities numerically 0 or 1 occurred".to_string());
    }
    // Covariance from the last QR.
    let mut vcov = vec![0.0; p * p];
    let mut rank = 0;
    if let Some((qr, estimable)) = &last_qr {
        rank = qr.rank;
        let cov = qr.unscaled_covariance();
        for (a, &ja) in estimable.iter().enumerate() {
            for (b, &jb) in estimable.iter().enumerate() {
                vcov[ja * p + jb] = cov[a * rank + b];
            }
        }
    }
    let estimable = |j: usize| {
        last_qr
            .as_ref()
            .is_some_and(|(_, e): &(Qr, Vec<usize>)| e.contains(&j))
    };
    let coefficients = (0..p)
        .map(|j| {
            if estimable(j) {
                let se = vcov[j * p + j].sqrt();
                let z = coef[j] / se;
                GlmCoefficient {
                    name: names[j].clone(),
                    estimate: Some(coef[j]),
                    se: Some(se),
                    z: Some(z),
                    p: Some(normal_two_sided_p(z)),
                }
            } else {
                GlmCoefficient {
                    name: names[j].clone(),
                    estimate: None,
                    se: None,
                    z: None,
                    p: None,
                }
            }
        })
        .collect();
    let sw: f64 = prior.iter().sum();
    let null_deviance = if options.intercept {
        let wtdmu = (0..n).map(|i| prior[i] * y[i]).sum::<f64>() / sw;
        deviance(&y, |_| wtdmu, &prior)
    } else {
        deviance(&y, |_| 0.5, &prior)
    };
    let n_ok = good_rows.len();
    let aic_core: f64 = -2.0
        * good_rows
            .iter()
            .map(|&i| log_dbinom((prior[i] * y[i]).round(), prior[i].round(), mu[i]))
            .sum::<f64>();
    Ok(GlmFit {
        n,
        coefficients,
        vcov,
        fitted: mu,
        linear_predictors: eta,
        deviance: dev,
        null_deviance,
        aic: aic_core + 2.0 * rank as f64,
        df_residual: n_ok.saturating_sub(rank),
        df_null: n_ok.saturating_sub(usize::from(options.intercept)),
        rank,
        iterations,
        converged,
        separation,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intercept_only_fit_is_the_logit_of_the_mean() {
        let y = [1.0, 0.0, 0.0, 1.0, 1.0];
        let fit = logistic(
            &GlmData {
                y: &y,
                x: &[],
                names: &[],
                weights: None,
            },
            &GlmOptions::default(),
        )
        .unwrap();
        let b = fit.coefficients[0].estimate.unwrap();
        assert!((b - (0.6f64 / 0.4).ln()).abs() < 1e-10, "{b}");
        // se of the logit of a proportion: 1/sqrt(n p (1-p)).
        let se = fit.coefficients[0].se.unwrap();
        assert!((se - 1.0 / (5.0f64 * 0.24).sqrt()).abs() < 1e-8, "{se}");
        assert!(fit.converged && !fit.separation);
        assert!((fit.deviance - fit.null_deviance).abs() < 1e-10);
    }

    #[test]
    fn complete_separation_is_reported_not_a_panic() {
        let y = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let names = ["x".to_string()];
        let fit = logistic(
            &GlmData {
                y: &y,
                x: &x,
                names: &names,
                weights: None,
            },
            &GlmOptions::default(),
        )
        .unwrap();
        assert!(fit.separation);
        assert!(fit.coefficients[1].estimate.unwrap() > 5.0);
    }

    #[test]
    fn the_empty_model_fits_one_half() {
        let y = [1.0, 0.0, 0.0];
        let fit = logistic(
            &GlmData {
                y: &y,
                x: &[],
                names: &[],
                weights: None,
            },
            &GlmOptions {
                intercept: false,
                ..GlmOptions::default()
            },
        )
        .unwrap();
        assert!(fit.coefficients.is_empty());
        assert_eq!(fit.fitted, vec![0.5; 3]);
        assert!((fit.deviance - 6.0 * 2f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let names: [String; 0] = [];
        let data = |y: &'static [f64], w: Option<&'static [f64]>| GlmData {
            y,
            x: &[],
            names: &names,
            weights: w,
        };
        let o = GlmOptions::default();
        assert!(matches!(
            logistic(&data(&[0.0, 2.0], None), &o),
            Err(GlmError::InvalidResponse { row: 1, .. })
        ));
        assert!(matches!(
            logistic(&data(&[0.0, f64::NAN], None), &o),
            Err(GlmError::InvalidResponse { row: 1, .. })
        ));
        assert!(matches!(
            logistic(&data(&[0.0, 1.0], Some(&[1.0, -1.0])), &o),
            Err(GlmError::InvalidWeight { row: 1, .. })
        ));
        assert_eq!(
            logistic(&data(&[0.0, 1.0], Some(&[0.0, 0.0])), &o),
            Err(GlmError::Empty)
        );
        assert_eq!(logistic(&data(&[], None), &o), Err(GlmError::Empty));
    }
}
