//! Group comparisons and binomial intervals for the table builders of
//! `netra-report` (Table 1, response tables), computed here so that the
//! report crate only formats.
//!
//! The builders call the tests through the [`Inference`] trait so that the
//! layout code does not depend on which tests exist and tests can feed
//! known values: [`ClassicalInference`] computes them with the tests of
//! [`crate::analyses::compare`] (R's `t.test`, `wilcox.test`,
//! `chisq.test`, `fisher.test`) and `binom.test`/`prop.test` intervals;
//! [`NoInference`] gives none (tables without p-values).
//!
//! Which test to use is a reporting choice made by [`choose_categorical`]:
//! Cochran's rule as the published NET studies applied it (Yates-corrected
//! chi-square for a 2×2 table with all expected counts ≥ 5, Fisher's exact
//! test otherwise; for larger tables chi-square unless more than 20% of
//! expected counts are below 5 or any is below 1) — for an r × c table
//! Fisher's test is then the Fisher–Freeman–Halton exact test
//! (`fisher.test` on the whole table). More than two groups of numbers are
//! compared by the k-group form of the chosen test: Student's t → one-way
//! ANOVA (`oneway.test(var.equal = TRUE)`), Welch's t → Welch's ANOVA
//! (`oneway.test`), Mann–Whitney → Kruskal–Wallis (`kruskal.test`), the
//! printed name saying which ran. A test R refuses (constant data, too
//! few observations) gives no p.

use netra_stats::classical::binomial::proportion;
use netra_stats::classical::kruskal::kruskal_test;
use netra_stats::classical::oneway::oneway_test;
use serde::{Deserialize, Serialize};

use crate::analyses::compare::{CompareTest, table_test, two_sample_test};
pub use crate::analyses::compare::{drop_empty_margins, expected_counts};
/// Binomial confidence interval method of the kernels.
pub use netra_stats::classical::binomial::ProportionCi;

/// The interval of a proportion, as requests name it (`ci_method`): the one
/// enum of the layer, for rates, response tables and Table 1. Each agrees
/// with R (`validation/r/proportion.R`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CiMethod {
    /// Exact Clopper–Pearson (`binom.test`); the default, it never
    /// undercovers.
    #[default]
    ClopperPearson,
    /// Wilson score without continuity correction (`prop.test(correct =
    /// FALSE)`).
    Wilson,
    /// Wilson score with continuity correction (`prop.test` default).
    WilsonCc,
    /// Wald, p̂ ± z·√(p̂(1 − p̂)/n), clipped to [0, 1].
    Wald,
    /// Agresti–Coull (adds z²/2 successes and failures).
    AgrestiCoull,
    /// Jeffreys (equal-tailed Beta(x + ½, n − x + ½)).
    Jeffreys,
}

impl CiMethod {
    /// Every method, in menu order.
    pub const ALL: [CiMethod; 6] = [
        CiMethod::ClopperPearson,
        CiMethod::Wilson,
        CiMethod::WilsonCc,
        CiMethod::Wald,
        CiMethod::AgrestiCoull,
        CiMethod::Jeffreys,
    ];

    /// The kernel's method.
    pub fn method(self) -> ProportionCi {
        match self {
            CiMethod::ClopperPearson => ProportionCi::ClopperPearson,
            CiMethod::Wilson => ProportionCi::Wilson,
            CiMethod::WilsonCc => ProportionCi::WilsonCorrected,
            CiMethod::Wald => ProportionCi::Wald,
            CiMethod::AgrestiCoull => ProportionCi::AgrestiCoull,
            CiMethod::Jeffreys => ProportionCi::Jeffreys,
        }
    }

    /// The printed name.
    pub fn label(self) -> &'static str {
        match self {
            CiMethod::ClopperPearson => "Clopper-Pearson",
            CiMethod::Wilson => "Wilson",
            CiMethod::WilsonCc => "Wilson with continuity correction",
            CiMethod::Wald => "Wald",
            CiMethod::AgrestiCoull => "Agresti-Coull",
            CiMethod::Jeffreys => "Jeffreys",
        }
    }

    /// The name requests use (`clopper-pearson`, `wilson-cc`, …).
    pub fn code(self) -> &'static str {
        match self {
            CiMethod::ClopperPearson => "clopper-pearson",
            CiMethod::Wilson => "wilson",
            CiMethod::WilsonCc => "wilson-cc",
            CiMethod::Wald => "wald",
            CiMethod::AgrestiCoull => "agresti-coull",
            CiMethod::Jeffreys => "jeffreys",
        }
    }

    /// The method named `code` (as [`CiMethod::code`]).
    pub fn from_code(code: &str) -> Option<CiMethod> {
        CiMethod::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// A p-value and the name of the test that gave it (printed in the table).
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    /// The p-value.
    pub p: f64,
    /// The test's name as printed ("t-test", "Fisher's exact test", …).
    pub test: String,
}

/// Test of a numeric variable across groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContinuousTest {
    /// Student's t-test (equal variances; R's `t.test(var.equal = TRUE)`).
    Student,
    /// Welch's t-test (R's `t.test` default).
    Welch,
    /// Wilcoxon rank-sum / Mann–Whitney U (R's `wilcox.test`).
    MannWhitney,
}

impl ContinuousTest {
    /// The name printed in tables.
    pub fn name(self) -> &'static str {
        match self {
            ContinuousTest::Student => "t-test",
            ContinuousTest::Welch => "Welch's t-test",
            ContinuousTest::MannWhitney => "Mann\u{2013}Whitney U test",
        }
    }

    /// The name printed for more than two groups (the k-group form run).
    pub fn k_group_name(self) -> &'static str {
        match self {
            ContinuousTest::Student => "One-way ANOVA",
            ContinuousTest::Welch => "Welch's ANOVA",
            ContinuousTest::MannWhitney => "Kruskal\u{2013}Wallis test",
        }
    }

    /// The p of the k-group form of the test (three or more groups).
    fn k_group_p(self, groups: &[Vec<f64>]) -> Option<f64> {
        match self {
            ContinuousTest::Student => oneway_test(groups, true).ok().map(|r| r.p_value),
            ContinuousTest::Welch => oneway_test(groups, false).ok().map(|r| r.p_value),
            ContinuousTest::MannWhitney => kruskal_test(groups).ok().map(|r| r.p_value),
        }
    }

    fn compare_test(self) -> CompareTest {
        match self {
            ContinuousTest::Student => CompareTest::T,
            ContinuousTest::Welch => CompareTest::Welch,
            ContinuousTest::MannWhitney => CompareTest::Mannwhitney,
        }
    }
}

/// Test of a categorical variable across groups (an r × c table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoricalTest {
    /// Decide by the expected counts ([`choose_categorical`]).
    Auto,
    /// Pearson's chi-square, with Yates' continuity correction when `yates`
    /// and the table is 2×2.
    ChiSquare {
        /// Apply Yates' correction (2×2 only).
        yates: bool,
    },
    /// Fisher's exact test.
    Fisher,
}

impl CategoricalTest {
    /// The name printed in tables.
    pub fn name(self) -> &'static str {
        match self {
            CategoricalTest::Auto => "auto",
            CategoricalTest::ChiSquare { yates: true } => "\u{3c7}\u{b2} test (Yates)",
            CategoricalTest::ChiSquare { yates: false } => "\u{3c7}\u{b2} test",
            CategoricalTest::Fisher => "Fisher's exact test",
        }
    }
}

/// Cochran's rule: the test for `table` (rows and columns with a zero
/// margin are assumed removed).
pub fn choose_categorical(table: &[Vec<u64>]) -> CategoricalTest {
    match crate::analyses::compare::choose_categorical(table) {
        (CompareTest::Chisq, yates) => CategoricalTest::ChiSquare { yates },
        _ => CategoricalTest::Fisher,
    }
}

/// Group comparisons and binomial intervals for the table builders.
pub trait Inference {
    /// Compares a numeric variable across `groups` (each group's
    /// non-missing values); `None` when the test cannot be computed.
    fn continuous(&self, groups: &[Vec<f64>], test: ContinuousTest) -> Option<TestResult>;

    /// Tests independence in an r × c table of counts (rows: levels,
    /// columns: groups; empty margins already removed). `test` is never
    /// [`CategoricalTest::Auto`] (resolved by the caller).
    fn categorical(&self, table: &[Vec<u64>], test: CategoricalTest) -> Option<TestResult>;

    /// Confidence interval of `x` successes out of `n`.
    fn proportion_ci(&self, x: u64, n: u64, level: f64, method: ProportionCi)
    -> Option<(f64, f64)>;
}

/// No tests: tables are built with their p-value cells empty.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoInference;

impl Inference for NoInference {
    fn continuous(&self, _: &[Vec<f64>], _: ContinuousTest) -> Option<TestResult> {
        None
    }

    fn categorical(&self, _: &[Vec<u64>], _: CategoricalTest) -> Option<TestResult> {
        None
    }

    fn proportion_ci(&self, _: u64, _: u64, _: f64, _: ProportionCi) -> Option<(f64, f64)> {
        None
    }
}

/// The tests of the analysis layer, each agreeing with R (fixtures in
/// `validation/fixtures/classical`): two groups of numbers by the chosen
/// t-test or Mann–Whitney; a table by `chisq.test(correct = yates)` — R
/// applies Yates only to 2×2 tables, and the printed name says whether it
/// was applied — or `fisher.test`; intervals by `binom.test` or
/// `prop.test`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClassicalInference;

impl Inference for ClassicalInference {
    fn continuous(&self, groups: &[Vec<f64>], test: ContinuousTest) -> Option<TestResult> {
        let (p, name) = match groups {
            [x, y] => (
                two_sample_test(x, y, test.compare_test(), 0.95)
                    .ok()?
                    .p_value,
                test.name(),
            ),
            [_, _, _, ..] => (test.k_group_p(groups)?, test.k_group_name()),
            _ => return None,
        };
        p.is_finite().then(|| TestResult {
            p,
            test: name.to_string(),
        })
    }

    fn categorical(&self, table: &[Vec<u64>], test: CategoricalTest) -> Option<TestResult> {
        let (kind, yates) = match test {
            CategoricalTest::ChiSquare { yates } => (CompareTest::Chisq, yates),
            CategoricalTest::Fisher => (CompareTest::Fisher, false),
            CategoricalTest::Auto => return None,
        };
        let r = table_test(table, kind, yates, 0.95).ok()?;
        let name = match test {
            CategoricalTest::ChiSquare { .. } => CategoricalTest::ChiSquare {
                yates: r.yates_applied,
            }
            .name(),
            other => other.name(),
        };
        r.p_value.is_finite().then(|| TestResult {
            p: r.p_value,
            test: name.to_string(),
        })
    }

    fn proportion_ci(
        &self,
        x: u64,
        n: u64,
        level: f64,
        method: ProportionCi,
    ) -> Option<(f64, f64)> {
        let p = proportion(x, n, method, level).ok()?;
        Some((p.lower, p.upper))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cochran_rule() {
        assert_eq!(
            choose_categorical(&[vec![20, 15], vec![10, 18]]),
            CategoricalTest::ChiSquare { yates: true }
        );
        assert_eq!(
            choose_categorical(&[vec![14, 5], vec![7, 5]]),
            CategoricalTest::Fisher
        );
        assert_eq!(
            choose_categorical(&[vec![40, 10], vec![34, 16], vec![8, 1]]),
            CategoricalTest::ChiSquare { yates: false }
        );
        assert_eq!(choose_categorical(&[]), CategoricalTest::Fisher);
    }

    #[test]
    fn classical_inference_names_the_test_as_run() {
        // Yates asked on a 2×3 table: R does not apply it, nor does the name.
        let r = ClassicalInference
            .categorical(
                &[vec![10, 12, 9], vec![11, 8, 14]],
                CategoricalTest::ChiSquare { yates: true },
            )
            .unwrap();
        assert_eq!(r.test, "\u{3c7}\u{b2} test");
        // Fisher 2×2: p of fisher.test(matrix(c(2, 0, 0, 2), 2)) = 1/3.
        let r = ClassicalInference
            .categorical(&[vec![2, 0], vec![0, 2]], CategoricalTest::Fisher)
            .unwrap();
        assert!((r.p - 1.0 / 3.0).abs() < 1e-12);
        // Three groups of numbers: the k-group test, named as run. R:
        // oneway.test(c(1, 2, 3, 4, 5, 7) ~ factor(rep(1:3, each = 2)),
        // var.equal = TRUE)$p.value = 0.046101674931469473. One value in a
        // group (ANOVA needs two) or constant data: no p.
        let three = [vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 7.0]];
        let r = ClassicalInference
            .continuous(&three, ContinuousTest::Student)
            .unwrap();
        assert_eq!(r.test, "One-way ANOVA");
        assert!((r.p - 0.046_101_674_931_469_47).abs() < 1e-14, "{}", r.p);
        let short = [vec![1.0, 2.0], vec![3.0], vec![5.0, 6.0]];
        assert!(
            ClassicalInference
                .continuous(&short, ContinuousTest::Welch)
                .is_none()
        );
        let constant = [vec![1.0, 1.0], vec![1.0, 1.0]];
        assert!(
            ClassicalInference
                .continuous(&constant, ContinuousTest::Student)
                .is_none()
        );
        assert_eq!(
            ClassicalInference.proportion_ci(0, 0, 0.95, ProportionCi::ClopperPearson),
            None
        );
    }
}
