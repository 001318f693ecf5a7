//! The hook through which the table builders obtain group comparisons and
//! binomial confidence intervals.
//!
//! The tests themselves belong to `netra-stats` (`classical`: chi-square
//! with Yates' correction, Fisher's exact test, Student's and Welch's
//! t-tests, Mann–Whitney, Clopper–Pearson and Wilson intervals, each checked
//! against R). The builders call them through the [`Inference`] trait so
//! that the layout code does not depend on which tests exist and tests can
//! feed known values: [`super::classical::ClassicalInference`] computes
//! them with `netra_stats`, [`NoInference`] prints tables without p-values.
//!
//! Which test to use is decided here, because it is a reporting choice:
//! [`choose_categorical`] applies Cochran's rule as the published NET
//! studies did (Yates-corrected chi-square for a 2×2 table with all expected
//! counts ≥ 5, Fisher's exact test otherwise; for larger tables chi-square
//! unless more than 20% of expected counts are below 5 or any is below 1).

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

/// Expected counts of an r × c table under independence; `None` when the
/// total is 0.
pub fn expected_counts(table: &[Vec<u64>]) -> Option<Vec<Vec<f64>>> {
    let cols = table.iter().map(Vec::len).max().unwrap_or(0);
    let rows: Vec<f64> = table.iter().map(|r| r.iter().sum::<u64>() as f64).collect();
    let colsum: Vec<f64> = (0..cols)
        .map(|j| {
            table
                .iter()
                .map(|r| r.get(j).copied().unwrap_or(0))
                .sum::<u64>() as f64
        })
        .collect();
    let total: f64 = rows.iter().sum();
    if total == 0.0 {
        return None;
    }
    Some(
        rows.iter()
            .map(|r| colsum.iter().map(|c| r * c / total).collect())
            .collect(),
    )
}

/// Cochran's rule: the test for `table` (rows and columns with a zero
/// margin are assumed removed).
pub fn choose_categorical(table: &[Vec<u64>]) -> CategoricalTest {
    let Some(expected) = expected_counts(table) else {
        return CategoricalTest::Fisher;
    };
    let cells: Vec<f64> = expected.into_iter().flatten().collect();
    let small = cells.iter().filter(|e| **e < 5.0).count();
    let is_2x2 = table.len() == 2 && table.iter().all(|r| r.len() == 2);
    if is_2x2 {
        if small > 0 {
            CategoricalTest::Fisher
        } else {
            CategoricalTest::ChiSquare { yates: true }
        }
    } else if cells.iter().any(|e| *e < 1.0) || small as f64 > 0.2 * cells.len() as f64 {
        CategoricalTest::Fisher
    } else {
        CategoricalTest::ChiSquare { yates: false }
    }
}

/// Drops rows and columns whose total is 0 (R's tests reject them).
pub fn drop_empty_margins(table: &[Vec<u64>]) -> Vec<Vec<u64>> {
    let cols = table.iter().map(Vec::len).max().unwrap_or(0);
    let keep_col: Vec<bool> = (0..cols)
        .map(|j| table.iter().any(|r| r.get(j).copied().unwrap_or(0) > 0))
        .collect();
    table
        .iter()
        .filter(|r| r.iter().any(|v| *v > 0))
        .map(|r| {
            (0..cols)
                .filter(|&j| keep_col[j])
                .map(|j| r.get(j).copied().unwrap_or(0))
                .collect()
        })
        .collect()
}

/// Binomial confidence interval method (Clopper–Pearson, Wilson).
pub use netra_stats::classical::binomial::ProportionCi;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cochran_rule() {
        // Expected counts all ≥ 5 → Yates chi-square.
        assert_eq!(
            choose_categorical(&[vec![20, 15], vec![10, 18]]),
            CategoricalTest::ChiSquare { yates: true }
        );
        // A small expected count in a 2×2 → Fisher.
        assert_eq!(
            choose_categorical(&[vec![14, 5], vec![7, 5]]),
            CategoricalTest::Fisher
        );
        // 3×2 with one of six expected counts < 5 (17%) → chi-square.
        assert_eq!(
            choose_categorical(&[vec![40, 10], vec![34, 16], vec![8, 1]]),
            CategoricalTest::ChiSquare { yates: false }
        );
        assert_eq!(choose_categorical(&[]), CategoricalTest::Fisher);
    }

    #[test]
    fn empty_margins_are_dropped() {
        assert_eq!(
            drop_empty_margins(&[vec![3, 0, 2], vec![0, 0, 0], vec![1, 0, 4]]),
            vec![vec![3, 2], vec![1, 4]]
        );
    }
}
