//! Tests of a group of coefficients of a fitted Cox model: the overall p of
//! a factor (all its level columns at once) and of an interaction — the
//! "p for the factor" of published Cox tables.
//!
//! * **Wald**: `b_S' V_SS⁻¹ b_S` over the group's estimable columns `S`,
//!   with `df = |S|` (R: `b <- coef(fit)[S]; t(b) %*% solve(vcov(fit)[S,
//!   S]) %*% b`, what `car::Anova(fit, test.statistic = "Wald")` prints;
//!   `survival` computes its overall Wald test with the same quadratic
//!   form, `coxph.wtest`). `V` is the fit's variance (robust when the fit
//!   is robust). Columns R reports as `NA` (collinear, constant) are left
//!   out of `S`; a group with none left has no test.
//! * **Likelihood ratio**: `2 (ℓ_full − ℓ_reduced)` where the reduced model
//!   drops the group's columns and is refitted **on the same rows** (R:
//!   `drop1(fit, test = "Chisq")`, whose rows are the model frame of the
//!   full fit; for the last term of the formula this equals the last row
//!   of the sequential `anova(fit)`). The degrees of freedom are the
//!   group's estimable columns. A model with only the group reduces to
//!   β = 0, whose log-likelihood is the full fit's `loglik_null`: the test
//!   is then the model's own likelihood-ratio test.
//!
//! The row kernel refits through [`term_tests`]; a caller that fits from
//! partial aggregates (`netra-analysis`) refits its own way and combines
//! the log-likelihoods with [`likelihood_ratio`].

use super::chol::{SymMat, quad_form};
use super::{ChisqTest, CoxData, CoxError, CoxFit, CoxOptions, coxph};

/// The overall tests of one group of columns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TermTest {
    /// Likelihood-ratio test against the model without the group (`None`:
    /// no estimable column).
    pub lr: Option<ChisqTest>,
    /// Wald test of the group's coefficients (`None`: no estimable column).
    pub wald: Option<ChisqTest>,
}

/// The group's estimable columns (R's non-`NA` coefficients).
fn estimable(fit: &CoxFit, cols: &[usize]) -> Vec<usize> {
    let p = fit.coefficients.len();
    cols.iter()
        .copied()
        .filter(|&j| j < p && fit.coefficients[j].coef.is_some_and(f64::is_finite))
        .collect()
}

/// Wald test that the coefficients of columns `cols` are all zero.
pub fn wald_subset(fit: &CoxFit, cols: &[usize], toler: f64) -> Option<ChisqTest> {
    let keep = estimable(fit, cols);
    if keep.is_empty() {
        return None;
    }
    let p = fit.coefficients.len();
    if fit.var.len() != p * p {
        return None;
    }
    let var = SymMat {
        p,
        v: fit.var.clone(),
    }
    .select(&keep);
    let b: Vec<f64> = keep
        .iter()
        .filter_map(|&j| fit.coefficients[j].coef)
        .collect();
    let (chisq, _) = quad_form(&var, &b, toler);
    chisq
        .is_finite()
        .then(|| ChisqTest::new(chisq.max(0.0), keep.len()))
}

/// The likelihood-ratio test `2 (full − reduced)` on `df` degrees of
/// freedom (`None` when `df` is 0 or a log-likelihood is not finite). A
/// difference below zero by rounding is 0, as R prints it.
pub fn likelihood_ratio(full: f64, reduced: f64, df: usize) -> Option<ChisqTest> {
    let chisq = 2.0 * (full - reduced);
    (df > 0 && chisq.is_finite()).then(|| ChisqTest::new(chisq.max(0.0), df))
}

/// Wald and likelihood-ratio tests of each group of columns of `fit`, the
/// model fitted by [`coxph`] to `data` with `opts`. Each reduced model is
/// refitted on the same rows without the group's columns.
pub fn term_tests(
    data: &CoxData<'_>,
    opts: &CoxOptions,
    fit: &CoxFit,
    groups: &[Vec<usize>],
) -> Result<Vec<TermTest>, CoxError> {
    let n = data.time.len();
    let p = data.names.len();
    groups
        .iter()
        .map(|cols| {
            let keep = estimable(fit, cols);
            let wald = wald_subset(fit, cols, opts.toler_chol);
            if keep.is_empty() {
                return Ok(TermTest { lr: None, wald });
            }
            let rest: Vec<usize> = (0..p).filter(|j| !cols.contains(j)).collect();
            let reduced = if rest.is_empty() {
                fit.loglik_null
            } else {
                let x: Vec<f64> = rest
                    .iter()
                    .flat_map(|&j| data.x[j * n..(j + 1) * n].iter().copied())
                    .collect();
                let names: Vec<String> = rest.iter().map(|&j| data.names[j].clone()).collect();
                let sub = CoxData {
                    x: &x,
                    names: &names,
                    ..*data
                };
                coxph(&sub, opts)?.loglik
            };
            Ok(TermTest {
                lr: likelihood_ratio(fit.loglik, reduced, keep.len()),
                wald,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn likelihood_ratio_needs_a_column_and_finite_values() {
        assert!(likelihood_ratio(-10.0, -12.0, 0).is_none());
        assert!(likelihood_ratio(f64::NAN, -12.0, 1).is_none());
        let t = likelihood_ratio(-10.0, -12.0, 2).unwrap();
        assert_eq!(t.chisq, 4.0);
        assert!((t.p - (-2.0f64).exp()).abs() < 1e-12);
        // Rounding below zero prints as 0 with p = 1.
        assert_eq!(
            likelihood_ratio(-10.0, -10.0 + 1e-13, 1).unwrap().chisq,
            0.0
        );
    }
}
