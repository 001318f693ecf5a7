//! [`Inference`] backed by `netra_stats::classical`, whose tests agree with
//! R's `t.test`, `wilcox.test`, `chisq.test`, `fisher.test`, `binom.test`
//! and `prop.test` (fixtures in `validation/fixtures/classical`).
//!
//! * Continuous variables, two groups: Student's t (`var.equal = TRUE`),
//!   Welch's t, or Mann–Whitney (`wilcox.test` defaults: exact for small
//!   samples without ties, continuity correction otherwise). More than two
//!   groups: no p (ANOVA and Kruskal–Wallis are not part of netra yet).
//! * Categorical: `chisq.test(correct = yates)` — R applies Yates only to
//!   2×2 tables, and the printed test name says whether it was applied —
//!   or Fisher's exact test (2×2 with R's `fisher.test`, r×c exact).
//! * Proportions: Clopper–Pearson (`binom.test`) or Wilson (`prop.test`).
//!
//! A test R refuses (constant data, too few observations) gives no p.

use netra_stats::classical::Alternative;
use netra_stats::classical::binomial::proportion;
use netra_stats::classical::chisq::chisq_test;
use netra_stats::classical::fisher::{fisher_2x2, fisher_rxc};
use netra_stats::classical::ttest::{TTestKind, t_test_two};
use netra_stats::classical::wilcoxon::{WilcoxOptions, wilcox_test};

use super::inference::{CategoricalTest, ContinuousTest, Inference, ProportionCi, TestResult};

/// Group comparisons and binomial intervals computed by `netra-stats`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClassicalInference;

impl Inference for ClassicalInference {
    fn continuous(&self, groups: &[Vec<f64>], test: ContinuousTest) -> Option<TestResult> {
        let [x, y] = groups else { return None };
        let p = match test {
            ContinuousTest::Student | ContinuousTest::Welch => {
                let kind = if test == ContinuousTest::Student {
                    TTestKind::Student
                } else {
                    TTestKind::Welch
                };
                t_test_two(x, y, kind, 0.0, Alternative::TwoSided, 0.95)
                    .ok()?
                    .p_value
            }
            ContinuousTest::MannWhitney => {
                wilcox_test(x, y, WilcoxOptions::default()).ok()?.p_value
            }
        };
        p.is_finite().then(|| TestResult {
            p,
            test: test.name().to_string(),
        })
    }

    fn categorical(&self, table: &[Vec<u64>], test: CategoricalTest) -> Option<TestResult> {
        let is_2x2 = table.len() == 2 && table.iter().all(|r| r.len() == 2);
        let as_f64: Vec<Vec<f64>> = table
            .iter()
            .map(|r| r.iter().map(|v| *v as f64).collect())
            .collect();
        let (p, name) = match test {
            CategoricalTest::ChiSquare { yates } => {
                let t = chisq_test(&as_f64, yates).ok()?;
                let name = CategoricalTest::ChiSquare {
                    yates: t.yates_applied,
                }
                .name();
                (t.p_value, name)
            }
            CategoricalTest::Fisher if is_2x2 => {
                let m = [[table[0][0], table[0][1]], [table[1][0], table[1][1]]];
                let t = fisher_2x2(m, Alternative::TwoSided, 0.95).ok()?;
                (t.p_value, test.name())
            }
            CategoricalTest::Fisher => (fisher_rxc(&as_f64).ok()?, test.name()),
            CategoricalTest::Auto => return None,
        };
        p.is_finite().then(|| TestResult {
            p,
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
