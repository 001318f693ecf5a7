//! Classical comparison of one variable between groups: Pearson's
//! chi-square (Yates' correction for 2×2 on request) and Fisher's exact
//! test for a categorical variable (r × c: Fisher–Freeman–Halton);
//! Student's and Welch's t-tests and the Mann–Whitney (Wilcoxon rank-sum)
//! test for a number between two groups, and their k-group forms for three
//! or more: one-way ANOVA (`oneway.test(var.equal = TRUE)`, the F of
//! `anova(lm())`), Welch's ANOVA (`oneway.test`) and Kruskal–Wallis
//! (`kruskal.test`).
//!
//! The tests are `netra_stats::classical`, each checked against R's
//! `chisq.test`, `fisher.test`, `t.test` and `wilcox.test`; the names in
//! [`CompareOutput::test`] are R's `method` strings, so a reader can match
//! the output with R's print. For the two-sample tests the first group is
//! R's `x` (as `t.test(var ~ group)`).
//!
//! Two ways in: [`compare`] on data a surface already has (the CLI's CSV
//! columns), and the registered analysis ([`run`]) on a cohort's
//! variables. Without a named test the variable decides: Welch's t-test
//! for a number (R's `t.test` default; Welch's ANOVA, `oneway.test`'s
//! default, for three or more groups), Cochran's rule
//! ([`choose_categorical`]) for categories — the rule Table 1 uses. A
//! two-sample test named for three or more groups runs its k-group form
//! (t → ANOVA, Welch → Welch's ANOVA, Mann–Whitney → Kruskal–Wallis), and
//! the output's `test` says which ran.

use netra_stats::classical::Alternative;
use netra_stats::classical::chisq::chisq_test;
use netra_stats::classical::fisher::{fisher_2x2, fisher_rxc};
use netra_stats::classical::kruskal::kruskal_test;
use netra_stats::classical::oneway::oneway_test;
use netra_stats::classical::ttest::{TTestKind, t_test_two};
use netra_stats::classical::wilcoxon::{WilcoxOptions, wilcox_test};
use netra_stats::describe::summarise;
use serde::{Deserialize, Serialize, Serializer};

use crate::AnalysisError;
use crate::cohort::Cohort;
use crate::variables::Column;

/// A test of [`compare`] (the names of `netra compare --test`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompareTest {
    /// Pearson's chi-square test of independence (group × variable).
    Chisq,
    /// Fisher's exact test (2×2 with the odds ratio, r×c exact p).
    Fisher,
    /// Student's two-sample t-test (equal variances).
    T,
    /// Welch's two-sample t-test.
    Welch,
    /// Mann–Whitney / Wilcoxon rank-sum test (`wilcox` is accepted: R's
    /// `wilcox.test`).
    #[serde(alias = "wilcox")]
    Mannwhitney,
    /// One-way ANOVA, equal variances (`oneway.test(var.equal = TRUE)`).
    Anova,
    /// Welch's one-way ANOVA (`oneway.test`).
    #[serde(rename = "welch-anova")]
    WelchAnova,
    /// Kruskal–Wallis rank-sum test (`kruskal.test`).
    Kruskal,
}

impl CompareTest {
    /// True for the tests of a contingency table (chi-square, Fisher).
    pub fn is_categorical(self) -> bool {
        matches!(self, CompareTest::Chisq | CompareTest::Fisher)
    }

    /// The test run for `k` groups of numbers: a two-sample test named for
    /// three or more groups becomes its k-group form.
    pub fn for_groups(self, k: usize) -> CompareTest {
        match self {
            CompareTest::T if k > 2 => CompareTest::Anova,
            CompareTest::Welch if k > 2 => CompareTest::WelchAnova,
            CompareTest::Mannwhitney if k > 2 => CompareTest::Kruskal,
            t => t,
        }
    }

    /// True for the k-group tests of numbers.
    pub fn is_k_group(self) -> bool {
        matches!(
            self,
            CompareTest::Anova | CompareTest::WelchAnova | CompareTest::Kruskal
        )
    }
}

/// How groups are compared: the test (none: chosen by the variable's
/// kind), Yates' correction and the confidence level of intervals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompareOptions {
    /// The test; `null`: Welch for numbers, Cochran's rule for categories.
    pub test: Option<CompareTest>,
    /// Yates' continuity correction (chi-square on a 2×2 table).
    pub yates: bool,
    /// Confidence level of the intervals (t-tests, Fisher's odds ratio).
    pub conf_level: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            test: None,
            yates: false,
            conf_level: 0.95,
        }
    }
}

/// The compared values, one per row of [`CompareData`].
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Numbers (the two-sample tests).
    Numbers(Vec<f64>),
    /// Categories: `codes[i]` indexes `levels` (the contingency tests).
    Categories {
        /// Level labels in print order.
        levels: Vec<String>,
        /// Per row.
        codes: Vec<usize>,
    },
}

/// Complete rows: each row's group and value.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareData {
    /// Group labels in order (the first is R's `x`).
    pub groups: Vec<String>,
    /// Group code per row (indexes `groups`).
    pub group: Vec<usize>,
    /// The compared values.
    pub values: Values,
}

/// Non-finite numbers as `netra compare` has always written them: `null`
/// for NaN, `"Inf"`/`"-Inf"` for infinities (R prints `Inf`).
fn real<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() {
        s.serialize_f64(*x)
    } else if x.is_nan() {
        s.serialize_none()
    } else if *x > 0.0 {
        s.serialize_str("Inf")
    } else {
        s.serialize_str("-Inf")
    }
}

fn opt_real<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(x) => real(x, s),
        None => s.serialize_none(),
    }
}

fn opt_real_pair<S: Serializer>(x: &Option<[f64; 2]>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    match x {
        Some([a, b]) => {
            struct R(f64);
            impl Serialize for R {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    real(&self.0, s)
                }
            }
            let mut seq = s.serialize_seq(Some(2))?;
            seq.serialize_element(&R(*a))?;
            seq.serialize_element(&R(*b))?;
            seq.end()
        }
        None => s.serialize_none(),
    }
}

/// The result of a comparison. Fields a test does not have are left out
/// (the JSON of `netra compare`, `docs/cli-json.md`: add, never rename).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareOutput {
    /// R's name of the test ("Welch Two Sample t-test", …).
    pub test: String,
    /// Group labels in order.
    pub levels: Vec<String>,
    /// Rows compared.
    pub n: usize,
    /// Printed name of the grouping (cohort analyses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_label: Option<String>,
    /// Printed name of the variable (cohort analyses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variable_label: Option<String>,
    /// Categories of the variable (contingency tests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub var_levels: Option<Vec<String>>,
    /// Counts, `table[group][category]` (contingency tests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<Vec<Vec<f64>>>,
    /// Test statistic (X-squared, t, W); none for Fisher's test.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_real")]
    pub statistic: Option<f64>,
    /// Degrees of freedom (chi-square, t).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub df: Option<f64>,
    /// The p-value.
    #[serde(serialize_with = "real")]
    pub p_value: f64,
    /// Expected counts under independence (chi-square).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Vec<Vec<f64>>>,
    /// Some expected count is below 5 (R's warning; chi-square).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub small_expected: Option<bool>,
    /// Conditional MLE odds ratio (Fisher, 2×2).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_real")]
    pub odds_ratio: Option<f64>,
    /// Interval of the odds ratio (Fisher 2×2) or of the difference in
    /// means (t-tests).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_real_pair"
    )]
    pub conf_int: Option<[f64; 2]>,
    /// Rows per group (two-sample tests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_by_group: Option<[usize; 2]>,
    /// The exact distribution was used (Mann–Whitney).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact: Option<bool>,
    /// Means of the two groups (t-tests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub means: Option<(f64, Option<f64>)>,
    /// Standard error of the difference in means (t-tests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std_err: Option<f64>,
    /// Denominator degrees of freedom of an F test (ANOVA, Welch's ANOVA;
    /// `df` is then the numerator's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub df_den: Option<f64>,
    /// Rows per group, in group order (k-group tests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_per_group: Option<Vec<usize>>,
    /// Between-groups and within-groups sums of squares (one-way ANOVA, as
    /// `anova(lm())`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum_sq: Option<[f64; 2]>,
    /// Each group's numbers summarised — n, mean ± SD, median (IQR), range —
    /// in group order (every test of numbers; R's `mean`, `sd`,
    /// `quantile` type 7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summaries: Option<Vec<GroupSummary>>,
    /// Confidence level of `conf_int` (present with it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conf_level: Option<f64>,
}

/// One group's numbers summarised (`null` where a statistic does not
/// exist: the SD of one value, anything of none).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSummary {
    /// The group's label.
    pub level: String,
    /// Values.
    pub n: usize,
    /// Mean.
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1).
    pub sd: Option<f64>,
    /// Median.
    pub median: Option<f64>,
    /// First quartile (type 7, R's default).
    pub q1: Option<f64>,
    /// Third quartile.
    pub q3: Option<f64>,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
}

/// The summary of each group's values, in group order.
fn group_summaries(data: &CompareData, values: &[f64]) -> Vec<GroupSummary> {
    let mut groups = vec![Vec::new(); data.groups.len()];
    for (v, &g) in values.iter().zip(&data.group) {
        groups[g].push(*v);
    }
    data.groups
        .iter()
        .zip(&groups)
        .map(|(level, v)| {
            let s = summarise(v);
            GroupSummary {
                level: level.clone(),
                n: s.n,
                mean: s.mean,
                sd: s.sd,
                median: s.median,
                q1: s.q1,
                q3: s.q3,
                min: s.min,
                max: s.max,
            }
        })
        .collect()
}

impl CompareOutput {
    fn new(test: &str, data: &CompareData, p_value: f64) -> CompareOutput {
        CompareOutput {
            test: test.to_string(),
            levels: data.groups.clone(),
            n: data.group.len(),
            by_label: None,
            variable_label: None,
            var_levels: None,
            table: None,
            statistic: None,
            df: None,
            p_value,
            expected: None,
            small_expected: None,
            odds_ratio: None,
            conf_int: None,
            n_by_group: None,
            exact: None,
            means: None,
            std_err: None,
            df_den: None,
            n_per_group: None,
            sum_sq: None,
            summaries: None,
            conf_level: None,
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

/// The test of a contingency table by Cochran's rule, as the published NET
/// studies chose it: for a 2×2 table Yates-corrected chi-square when every
/// expected count is at least 5, Fisher's exact test otherwise; for larger
/// tables chi-square unless more than 20% of the expected counts are below
/// 5 or any is below 1. Returns the test and whether Yates' correction
/// applies. Rows and columns with a zero margin are assumed removed
/// ([`drop_empty_margins`]).
pub fn choose_categorical(table: &[Vec<u64>]) -> (CompareTest, bool) {
    let Some(expected) = expected_counts(table) else {
        return (CompareTest::Fisher, false);
    };
    let cells: Vec<f64> = expected.into_iter().flatten().collect();
    let small = cells.iter().filter(|e| **e < 5.0).count();
    let is_2x2 = table.len() == 2 && table.iter().all(|r| r.len() == 2);
    if is_2x2 {
        if small > 0 {
            (CompareTest::Fisher, false)
        } else {
            (CompareTest::Chisq, true)
        }
    } else if cells.iter().any(|e| *e < 1.0) || small as f64 > 0.2 * cells.len() as f64 {
        (CompareTest::Fisher, false)
    } else {
        (CompareTest::Chisq, false)
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

/// R's name of a test as run.
fn test_name(test: CompareTest, yates_applied: bool, exact: bool) -> &'static str {
    match test {
        CompareTest::Chisq if yates_applied => {
            "Pearson's chi-squared test with Yates' continuity correction"
        }
        CompareTest::Chisq => "Pearson's chi-squared test",
        CompareTest::Fisher => "Fisher's exact test",
        CompareTest::T => "Two Sample t-test",
        CompareTest::Welch => "Welch Two Sample t-test",
        CompareTest::Mannwhitney if exact => "Wilcoxon rank sum exact test",
        CompareTest::Mannwhitney => "Wilcoxon rank sum test with continuity correction",
        CompareTest::Anova => "One-way analysis of means",
        CompareTest::WelchAnova => "One-way analysis of means (not assuming equal variances)",
        CompareTest::Kruskal => "Kruskal-Wallis rank sum test",
    }
}

fn check(data: &CompareData) -> Result<(), AnalysisError> {
    let k = data.groups.len();
    let n = data.group.len();
    let n_values = match &data.values {
        Values::Numbers(v) => v.len(),
        Values::Categories { codes, .. } => codes.len(),
    };
    if n_values != n {
        return Err(AnalysisError::invalid(
            "compare",
            format!("{n} group codes but {n_values} values"),
        ));
    }
    if let Some(g) = data.group.iter().find(|g| **g >= k) {
        return Err(AnalysisError::invalid(
            "compare",
            format!("group code {g} but {k} groups"),
        ));
    }
    if let Values::Categories { levels, codes } = &data.values
        && let Some(c) = codes.iter().find(|c| **c >= levels.len())
    {
        return Err(AnalysisError::invalid(
            "compare",
            format!("category code {c} but {} categories", levels.len()),
        ));
    }
    if k < 2 {
        return Err(AnalysisError::invalid(
            "compare",
            format!("{k} group(s); a comparison needs at least 2"),
        ));
    }
    Ok(())
}

/// Compares the values of `data` between its groups.
pub fn compare(
    data: &CompareData,
    options: &CompareOptions,
) -> Result<CompareOutput, AnalysisError> {
    check(data)?;
    let mut out = compare_checked(data, options)?;
    if let Values::Numbers(values) = &data.values {
        out.summaries = Some(group_summaries(data, values));
    }
    if out.conf_int.is_some() {
        out.conf_level = Some(options.conf_level);
    }
    Ok(out)
}

fn compare_checked(
    data: &CompareData,
    options: &CompareOptions,
) -> Result<CompareOutput, AnalysisError> {
    match &data.values {
        Values::Categories { levels, codes } => {
            if options.test.is_some_and(|t| !t.is_categorical()) {
                return Err(AnalysisError::invalid(
                    "compare",
                    "the variable is categorical; a two-sample test needs numbers",
                ));
            }
            contingency(data, levels, codes, options)
        }
        Values::Numbers(values) => {
            let test = options
                .test
                .unwrap_or(CompareTest::Welch)
                .for_groups(data.groups.len());
            if test.is_categorical() {
                return Err(AnalysisError::invalid(
                    "compare",
                    "the variable is a number; a contingency test needs categories",
                ));
            }
            if test.is_k_group() {
                k_groups(data, values, test)
            } else {
                two_sample(data, values, test, options.conf_level)
            }
        }
    }
}

fn contingency(
    data: &CompareData,
    levels: &[String],
    codes: &[usize],
    options: &CompareOptions,
) -> Result<CompareOutput, AnalysisError> {
    if levels.len() < 2 {
        return Err(AnalysisError::invalid(
            "compare",
            format!(
                "{} categories; a contingency table needs at least 2",
                levels.len()
            ),
        ));
    }
    let mut counts = vec![vec![0u64; levels.len()]; data.groups.len()];
    for (&i, &j) in data.group.iter().zip(codes) {
        counts[i][j] += 1;
    }
    let (test, yates) = match options.test {
        Some(t) => (t, options.yates),
        None => choose_categorical(&drop_empty_margins(&counts)),
    };
    let r = table_test(&counts, test, yates, options.conf_level)?;
    let mut out = CompareOutput::new(r.name, data, r.p_value);
    out.statistic = r.statistic;
    out.df = r.df;
    out.expected = r.expected;
    out.small_expected = r.small_expected;
    out.odds_ratio = r.odds_ratio;
    out.conf_int = r.conf_int;
    out.table = Some(
        counts
            .iter()
            .map(|r| r.iter().map(|c| *c as f64).collect())
            .collect(),
    );
    out.var_levels = Some(levels.to_vec());
    Ok(out)
}

fn two_sample(
    data: &CompareData,
    values: &[f64],
    test: CompareTest,
    conf_level: f64,
) -> Result<CompareOutput, AnalysisError> {
    if data.groups.len() != 2 {
        return Err(AnalysisError::invalid(
            "compare",
            format!(
                "{} groups ({}); a two-sample test needs exactly 2",
                data.groups.len(),
                data.groups.join(", ")
            ),
        ));
    }
    let of_group = |level: usize| -> Vec<f64> {
        values
            .iter()
            .zip(&data.group)
            .filter(|&(_, &g)| g == level)
            .map(|(v, _)| *v)
            .collect()
    };
    let (x, y) = (of_group(0), of_group(1));
    let r = two_sample_test(&x, &y, test, conf_level)?;
    let mut out = CompareOutput::new(r.name, data, r.p_value);
    out.statistic = Some(r.statistic);
    out.df = r.df;
    out.exact = r.exact;
    out.means = r.means;
    out.conf_int = r.conf_int;
    out.std_err = r.std_err;
    out.n_by_group = Some([x.len(), y.len()]);
    Ok(out)
}

fn k_groups(
    data: &CompareData,
    values: &[f64],
    test: CompareTest,
) -> Result<CompareOutput, AnalysisError> {
    let mut groups = vec![Vec::new(); data.groups.len()];
    for (v, &g) in values.iter().zip(&data.group) {
        groups[g].push(*v);
    }
    let n_per_group: Vec<usize> = groups.iter().map(Vec::len).collect();
    // R's formula interface drops unused levels: empty groups are not
    // groups.
    let present: Vec<Vec<f64>> = groups.into_iter().filter(|g| !g.is_empty()).collect();
    let r = k_group_test(&present, test)?;
    let mut out = CompareOutput::new(r.name, data, r.p_value);
    out.statistic = Some(r.statistic);
    out.df = Some(r.df);
    out.df_den = r.df_den;
    out.sum_sq = r.sum_sq;
    out.n_per_group = Some(n_per_group);
    Ok(out)
}

/// The numbers of a k-group test of numbers ([`k_group_test`]).
#[derive(Debug, Clone, PartialEq)]
pub struct KGroupTest {
    /// R's name of the test.
    pub name: &'static str,
    /// F or Kruskal–Wallis chi-squared.
    pub statistic: f64,
    /// (Numerator) degrees of freedom.
    pub df: f64,
    /// Denominator degrees of freedom (F tests).
    pub df_den: Option<f64>,
    /// p-value.
    pub p_value: f64,
    /// Between- and within-groups sums of squares (one-way ANOVA).
    pub sum_sq: Option<[f64; 2]>,
}

/// One-way ANOVA, Welch's ANOVA or Kruskal–Wallis of `groups` (each
/// non-empty), as R's `oneway.test` and `kruskal.test`.
pub fn k_group_test(groups: &[Vec<f64>], test: CompareTest) -> Result<KGroupTest, AnalysisError> {
    match test {
        CompareTest::Anova | CompareTest::WelchAnova => {
            let r = oneway_test(groups, test == CompareTest::Anova)
                .map_err(|e| AnalysisError::stats("one-way ANOVA", e))?;
            Ok(KGroupTest {
                name: test_name(test, false, false),
                statistic: r.statistic,
                df: r.df_num,
                df_den: Some(r.df_den),
                p_value: r.p_value,
                sum_sq: r.ss_between.zip(r.ss_within).map(|(b, w)| [b, w]),
            })
        }
        CompareTest::Kruskal => {
            let r =
                kruskal_test(groups).map_err(|e| AnalysisError::stats("Kruskal-Wallis test", e))?;
            Ok(KGroupTest {
                name: test_name(test, false, false),
                statistic: r.statistic,
                df: r.df,
                df_den: None,
                p_value: r.p_value,
                sum_sq: None,
            })
        }
        _ => Err(AnalysisError::invalid(
            "compare",
            "groups of numbers are compared by ANOVA, Welch's ANOVA or Kruskal-Wallis",
        )),
    }
}

/// The numbers of a contingency test ([`table_test`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TableTest {
    /// R's name of the test as run (says whether Yates' correction was
    /// applied).
    pub name: &'static str,
    /// The test actually run.
    pub test: CompareTest,
    /// Yates' correction was applied (chi-square on a 2×2 table).
    pub yates_applied: bool,
    /// p-value.
    pub p_value: f64,
    /// X-squared (chi-square).
    pub statistic: Option<f64>,
    /// Degrees of freedom (chi-square).
    pub df: Option<f64>,
    /// Expected counts (chi-square).
    pub expected: Option<Vec<Vec<f64>>>,
    /// Some expected count is below 5 (chi-square).
    pub small_expected: Option<bool>,
    /// Conditional MLE odds ratio (Fisher, 2×2).
    pub odds_ratio: Option<f64>,
    /// Its interval (Fisher, 2×2).
    pub conf_int: Option<[f64; 2]>,
}

/// Chi-square (`chisq.test(correct = yates)`; R applies Yates only to a
/// 2×2 table) or Fisher's exact test (`fisher.test`: odds ratio for 2×2,
/// exact p for r×c) of a table of counts.
pub fn table_test(
    counts: &[Vec<u64>],
    test: CompareTest,
    yates: bool,
    conf_level: f64,
) -> Result<TableTest, AnalysisError> {
    let table: Vec<Vec<f64>> = counts
        .iter()
        .map(|r| r.iter().map(|c| *c as f64).collect())
        .collect();
    let mut out = TableTest {
        name: test_name(CompareTest::Fisher, false, false),
        test: CompareTest::Fisher,
        yates_applied: false,
        p_value: f64::NAN,
        statistic: None,
        df: None,
        expected: None,
        small_expected: None,
        odds_ratio: None,
        conf_int: None,
    };
    match test {
        CompareTest::Chisq => {
            let r = chisq_test(&table, yates)
                .map_err(|e| AnalysisError::stats("chi-square test", e))?;
            out.name = test_name(test, r.yates_applied, false);
            out.test = test;
            out.yates_applied = r.yates_applied;
            out.p_value = r.p_value;
            out.statistic = Some(r.statistic);
            out.df = Some(r.df);
            out.expected = Some(r.expected);
            out.small_expected = Some(r.small_expected);
        }
        CompareTest::Fisher => {
            let err = |e| AnalysisError::stats("Fisher's exact test", e);
            if counts.len() == 2 && counts.iter().all(|r| r.len() == 2) {
                let c = counts;
                let r = fisher_2x2(
                    [[c[0][0], c[0][1]], [c[1][0], c[1][1]]],
                    Alternative::TwoSided,
                    conf_level,
                )
                .map_err(err)?;
                out.p_value = r.p_value;
                out.odds_ratio = Some(r.odds_ratio);
                out.conf_int = Some([r.lower, r.upper]);
            } else {
                out.p_value = fisher_rxc(&table).map_err(err)?;
            }
        }
        _ => {
            return Err(AnalysisError::invalid(
                "compare",
                "a table of counts is tested by chi-square or Fisher's exact test",
            ));
        }
    }
    Ok(out)
}

/// The numbers of a two-sample test ([`two_sample_test`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TwoSampleTest {
    /// R's name of the test as run.
    pub name: &'static str,
    /// p-value.
    pub p_value: f64,
    /// t or W.
    pub statistic: f64,
    /// Degrees of freedom (t-tests).
    pub df: Option<f64>,
    /// Exact distribution used (Mann–Whitney).
    pub exact: Option<bool>,
    /// Means of x and y (t-tests).
    pub means: Option<(f64, Option<f64>)>,
    /// Interval of the difference in means (t-tests).
    pub conf_int: Option<[f64; 2]>,
    /// Standard error of the difference (t-tests).
    pub std_err: Option<f64>,
}

/// Student's or Welch's t-test (`t.test`) or Mann–Whitney
/// (`wilcox.test` defaults) of `x` against `y`.
pub fn two_sample_test(
    x: &[f64],
    y: &[f64],
    test: CompareTest,
    conf_level: f64,
) -> Result<TwoSampleTest, AnalysisError> {
    match test {
        CompareTest::Mannwhitney => {
            let r = wilcox_test(x, y, WilcoxOptions::default())
                .map_err(|e| AnalysisError::stats("Mann-Whitney test", e))?;
            Ok(TwoSampleTest {
                name: test_name(test, false, r.exact),
                p_value: r.p_value,
                statistic: r.statistic,
                df: None,
                exact: Some(r.exact),
                means: None,
                conf_int: None,
                std_err: None,
            })
        }
        CompareTest::T | CompareTest::Welch => {
            let kind = if test == CompareTest::T {
                TTestKind::Student
            } else {
                TTestKind::Welch
            };
            let r = t_test_two(x, y, kind, 0.0, Alternative::TwoSided, conf_level)
                .map_err(|e| AnalysisError::stats("t-test", e))?;
            Ok(TwoSampleTest {
                name: test_name(test, false, false),
                p_value: r.p_value,
                statistic: r.statistic,
                df: Some(r.df),
                exact: None,
                means: Some((r.mean_x, r.mean_y)),
                conf_int: Some([r.lower, r.upper]),
                std_err: Some(r.std_err),
            })
        }
        _ => Err(AnalysisError::invalid(
            "compare",
            "two samples of numbers are tested by a t-test or Mann-Whitney",
        )),
    }
}

/// A comparison of a cohort's variable between the levels of another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompareRequest {
    /// The compared variable (a number or categories).
    pub variable: String,
    /// The grouping variable.
    pub by: String,
    /// The groups compared, in order (codes or labels); none: all.
    pub levels: Option<Vec<String>>,
    /// The test; `null`: Welch for numbers, Cochran's rule for categories.
    pub test: Option<CompareTest>,
    /// Yates' continuity correction (chi-square on a 2×2 table).
    pub yates: bool,
    /// Confidence level of the intervals.
    pub conf_level: f64,
}

impl Default for CompareRequest {
    fn default() -> Self {
        let o = CompareOptions::default();
        CompareRequest {
            variable: String::new(),
            by: String::new(),
            levels: None,
            test: o.test,
            yates: o.yates,
            conf_level: o.conf_level,
        }
    }
}

/// Runs a [`CompareRequest`]: the patients with a group and a value.
pub fn run(cohort: &Cohort, req: &CompareRequest) -> Result<CompareOutput, AnalysisError> {
    let grouping = cohort.grouping_of(&req.by, None, req.levels.as_deref(), None)?;
    let variable = cohort.variable(&req.variable)?;
    let mut group = Vec::new();
    let values = match &variable.column {
        Column::Num(v) => {
            let mut kept = Vec::new();
            for (x, g) in v.iter().zip(&grouping.codes) {
                if let (Some(x), Some(g)) = (x, g)
                    && x.is_finite()
                {
                    kept.push(*x);
                    group.push(*g);
                }
            }
            Values::Numbers(kept)
        }
        Column::Cat { levels, codes } => {
            let mut kept = Vec::new();
            for (c, g) in codes.iter().zip(&grouping.codes) {
                if let (Some(c), Some(g)) = (c, g) {
                    kept.push(*c);
                    group.push(*g);
                }
            }
            Values::Categories {
                levels: levels.iter().map(|l| l.label.clone()).collect(),
                codes: kept,
            }
        }
    };
    let data = CompareData {
        groups: grouping.levels,
        group,
        values,
    };
    let options = CompareOptions {
        test: req.test,
        yates: req.yates,
        conf_level: req.conf_level,
    };
    let mut out = compare(&data, &options)?;
    out.by_label = Some(grouping.label);
    out.variable_label = Some(variable.label.clone());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories(groups: &[usize], codes: &[usize]) -> CompareData {
        CompareData {
            groups: vec!["A".into(), "B".into()],
            group: groups.to_vec(),
            values: Values::Categories {
                levels: vec!["no".into(), "yes".into()],
                codes: codes.to_vec(),
            },
        }
    }

    #[test]
    fn cochran_rule() {
        // Expected counts all ≥ 5 → Yates chi-square.
        assert_eq!(
            choose_categorical(&[vec![20, 15], vec![10, 18]]),
            (CompareTest::Chisq, true)
        );
        // A small expected count in a 2×2 → Fisher.
        assert_eq!(
            choose_categorical(&[vec![14, 5], vec![7, 5]]),
            (CompareTest::Fisher, false)
        );
        // 3×2 with one of six expected counts < 5 (17%) → chi-square.
        assert_eq!(
            choose_categorical(&[vec![40, 10], vec![34, 16], vec![8, 1]]),
            (CompareTest::Chisq, false)
        );
        assert_eq!(choose_categorical(&[]), (CompareTest::Fisher, false));
    }

    #[test]
    fn empty_margins_are_dropped() {
        assert_eq!(
            drop_empty_margins(&[vec![3, 0, 2], vec![0, 0, 0], vec![1, 0, 4]]),
            vec![vec![3, 2], vec![1, 4]]
        );
    }

    #[test]
    fn fisher_on_a_zero_cell_matches_r_and_writes_inf() {
        // R: fisher.test(matrix(c(2, 0, 0, 2), 2)): p = 1/3, OR = Inf,
        // CI 0.2194196 .. Inf.
        let data = categories(&[0, 0, 1, 1], &[0, 0, 1, 1]);
        let out = compare(
            &data,
            &CompareOptions {
                test: Some(CompareTest::Fisher),
                ..CompareOptions::default()
            },
        )
        .unwrap();
        assert!((out.p_value - 1.0 / 3.0).abs() < 1e-12);
        let json = serde_json::to_value(&out).unwrap();
        assert_eq!(json["odds_ratio"], "Inf");
        assert_eq!(json["conf_int"][1], "Inf");
        assert!((json["conf_int"][0].as_f64().unwrap() - 0.219_419_591_589_358_45).abs() < 1e-9);
        assert_eq!(json["table"], serde_json::json!([[2.0, 0.0], [0.0, 2.0]]));
        assert!(json.get("statistic").is_none());
    }

    #[test]
    fn the_variable_chooses_the_test_without_one() {
        // 2×2 with expected counts below 5: Fisher's test by Cochran's rule.
        let data = categories(&[0, 0, 1, 1], &[0, 0, 1, 1]);
        let out = compare(&data, &CompareOptions::default()).unwrap();
        assert_eq!(out.test, "Fisher's exact test");
        // Numbers: Welch's t = (mean x − mean y) / sqrt(var x/3 + var y/3)
        // with var x = 1, var y = 57/9.
        let data = CompareData {
            groups: vec!["A".into(), "B".into()],
            group: vec![0, 0, 0, 1, 1, 1],
            values: Values::Numbers(vec![1.0, 2.0, 3.0, 4.0, 6.0, 9.0]),
        };
        let out = compare(&data, &CompareOptions::default()).unwrap();
        assert_eq!(out.test, "Welch Two Sample t-test");
        let t = (2.0 - 19.0 / 3.0) / (1.0_f64 / 3.0 + 57.0 / 27.0).sqrt();
        assert!((out.statistic.unwrap() - t).abs() < 1e-12);
        assert_eq!(out.n_by_group, Some([3, 3]));
    }

    #[test]
    fn refusals_are_errors_not_panics() {
        let mut data = categories(&[0, 0, 1, 1], &[0, 0, 1, 1]);
        data.group[0] = 7;
        assert!(compare(&data, &CompareOptions::default()).is_err());
        let one_group = CompareData {
            groups: vec!["A".into()],
            group: vec![0, 0],
            values: Values::Numbers(vec![1.0, 2.0]),
        };
        assert!(compare(&one_group, &CompareOptions::default()).is_err());
        let three = CompareData {
            groups: vec!["A".into(), "B".into(), "C".into()],
            group: vec![0, 1, 2],
            values: Values::Numbers(vec![1.0, 2.0, 3.0]),
        };
        // Three groups of one value: Welch's ANOVA needs two per group.
        let e = compare(&three, &CompareOptions::default()).unwrap_err();
        assert!(e.to_string().contains("at least 2"), "{e}");
        let constant = CompareData {
            groups: vec!["A".into(), "B".into()],
            group: vec![0, 0, 1, 1],
            values: Values::Numbers(vec![1.0, 1.0, 1.0, 1.0]),
        };
        assert!(compare(&constant, &CompareOptions::default()).is_err());
        let numbers_by_chisq = CompareOptions {
            test: Some(CompareTest::Chisq),
            ..CompareOptions::default()
        };
        assert!(compare(&constant, &numbers_by_chisq).is_err());
    }
}
