//! Classical tests that compare groups and estimate proportions, computed as
//! R's `stats` package computes them.
//!
//! | module | R function | what |
//! | --- | --- | --- |
//! | [`binomial`] | `binom.test`, `prop.test` (one sample), `qnorm`/`qbeta` formulas | exact binomial test and Clopper–Pearson CI; Wilson score CI with or without continuity correction; Wald, Agresti–Coull and Jeffreys intervals ([`binomial::proportion`]); response rates |
//! | [`oneway`] | `oneway.test`, `anova(lm())` | one-way ANOVA (equal variances) and Welch's ANOVA for k groups |
//! | [`kruskal`] | `kruskal.test` | Kruskal–Wallis rank-sum test for k groups, ties corrected |
//! | [`chisq`] | `chisq.test` | Pearson chi-square test of independence for r×c tables, Yates' correction for 2×2 |
//! | [`fisher`] | `fisher.test` | Fisher's exact test: 2×2 with conditional MLE odds ratio and CI; r×c exact p |
//! | [`ttest`] | `t.test` | Student's and Welch's t-tests, one-sample and paired |
//! | [`wilcoxon`] | `wilcox.test` | Wilcoxon rank-sum (Mann–Whitney) test, exact or normal approximation |
//!
//! Every result carries every number R's `htest` object holds for that
//! test, and each is checked against R on committed fixtures
//! (`validation/r/classical.R`). `docs/algorithms/classical-tests.md` has
//! the longer notes.

pub mod binomial;
pub mod chisq;
pub mod fisher;
mod interval;
pub mod kruskal;
pub mod oneway;
pub(crate) mod special;
pub mod ttest;
pub mod wilcoxon;

/// Why a classical test could not be computed. R stops with an error in each
/// of these cases; netra says the same thing instead of panicking.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TestError {
    /// An input value is outside its domain (negative count, level not in
    /// (0, 1), non-finite observation …).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Too few observations for the test (R: "not enough 'x' observations").
    #[error("not enough observations: {0}")]
    NotEnoughObservations(String),
    /// The data have no spread (R: "data are essentially constant").
    #[error("data are essentially constant")]
    EssentiallyConstant,
    /// The exact computation would exceed the work limit.
    #[error("table too large for the exact test: {0}")]
    TooLarge(String),
}

/// The alternative hypothesis, as R's `alternative` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Alternative {
    /// Two-sided (R's default).
    #[default]
    TwoSided,
    /// The true value is less than the null.
    Less,
    /// The true value is greater than the null.
    Greater,
}

/// Checks a confidence level in (0, 1).
pub(crate) fn check_level(level: f64) -> Result<(), TestError> {
    if level.is_finite() && level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(TestError::InvalidInput(format!(
            "confidence level must be between 0 and 1, got {level}"
        )))
    }
}
