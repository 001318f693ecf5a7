//! Baseline characteristics by group ("Table 1") with their tests: for a
//! number, mean ± SD (sample SD, n − 1, as R's `sd`) and median (range)
//! (R's `median`, `min`–`max`) per group; for categories, counts per level
//! and group; missing values counted apart and left out of the tests.
//!
//! The p-value of each variable is the [`crate::inference`] test across
//! the groups with a value: Student's t-test for two groups of numbers and
//! one-way ANOVA (`oneway.test(var.equal = TRUE)`) for three or more,
//! Cochran's rule for categories on the levels × groups table with empty
//! margins removed (chi-square, or Fisher's exact test — Fisher–Freeman–
//! Halton for r × c — where expected counts are small, which the output's
//! `footnotes` say) — the choices a study file's Table 1 makes by default.
//! `netra_report::table::baseline` lays the table out; [`NumberSummary`]
//! is the summary it prints.
//!
//! Without a grouping (`by` empty) the table has one column, all patients,
//! and no tests. Each variable says for how many patients it is known
//! (`known` of `total`: "grade known for 622 of 1000").

use serde::{Deserialize, Serialize};

use crate::AnalysisError;
use crate::cohort::{Cohort, Grouping};
use crate::inference::{
    CategoricalTest, ClassicalInference, ContinuousTest, Inference, choose_categorical,
    drop_empty_margins,
};
use crate::variables::Column;

/// The summary of a group's numbers (`None` where it does not exist).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NumberSummary {
    /// Values summarised.
    pub n: usize,
    /// Mean.
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1; none for fewer than 2 values).
    pub sd: Option<f64>,
    /// Median (mean of the two middle values for an even count).
    pub median: Option<f64>,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
}

/// Summarises `values` (non-finite values are left out), by
/// `netra_stats::describe` (R's `mean`, `sd`, `median`).
pub fn summarise_numbers(values: &[f64]) -> NumberSummary {
    let s = netra_stats::describe::summarise(values);
    NumberSummary {
        n: s.n,
        mean: s.mean,
        sd: s.sd,
        median: s.median,
        min: s.min,
        max: s.max,
    }
}

/// Table 1 of a cohort: variables by a grouping.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BaselineRequest {
    /// The grouping variable; empty: one column of all patients.
    pub by: String,
    /// The groups, in order (codes or labels); none: all.
    pub levels: Option<Vec<String>>,
    /// The variables, in print order.
    pub variables: Vec<String>,
}

/// One group's values of a variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum GroupValues {
    /// A number's summary.
    Number {
        /// The summary.
        summary: NumberSummary,
        /// Patients without a value.
        missing: usize,
    },
    /// Counts per level (in the variable's level order).
    Categories {
        /// Patients per level.
        counts: Vec<u64>,
        /// Patients without a value.
        missing: usize,
    },
}

/// One variable of Table 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineVariable {
    /// Name.
    pub name: String,
    /// Printed name.
    pub label: String,
    /// Level labels (categories; empty for a number).
    pub levels: Vec<String>,
    /// Per group, in the grouping's order.
    pub groups: Vec<GroupValues>,
    /// All patients of the compared groups.
    pub overall: GroupValues,
    /// p-value across groups (`null`: no test).
    pub p: Option<f64>,
    /// The test's printed name.
    pub test: Option<String>,
    /// Patients of the compared groups with a value.
    #[serde(default)]
    pub known: usize,
}

/// The answer to a [`BaselineRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineOutput {
    /// Printed name of the grouping.
    pub by_label: String,
    /// Group labels.
    pub groups: Vec<String>,
    /// Patients per group.
    pub n: Vec<usize>,
    /// Patients outside the compared groups.
    pub left_out: usize,
    /// Per variable, in request order.
    pub variables: Vec<BaselineVariable>,
    /// Patients of the compared groups (the denominator of `known`).
    #[serde(default)]
    pub total: usize,
    /// Notes the table prints under it (why a test was chosen).
    #[serde(default)]
    pub footnotes: Vec<String>,
}

/// The footnote of a categorical test chosen by Cochran's rule.
pub const FISHER_FOOTNOTE: &str = "Fisher's exact test (Fisher\u{2013}Freeman\u{2013}Halton for tables \
     larger than 2 \u{d7} 2) where \u{3c7}\u{b2} expected counts are small: any below 5 in a \
     2 \u{d7} 2 table; more than 20% below 5 or any below 1 in a larger one (Cochran's rule).";

/// Runs a [`BaselineRequest`].
pub fn run(cohort: &Cohort, req: &BaselineRequest) -> Result<BaselineOutput, AnalysisError> {
    let g = if req.by.trim().is_empty() {
        Grouping {
            label: String::new(),
            levels: vec!["All patients".into()],
            codes: vec![Some(0); cohort.len()],
        }
    } else {
        cohort.grouping_of(&req.by, None, req.levels.as_deref(), None)?
    };
    let mut fisher_chosen = false;
    let k = g.levels.len();
    let mut n = vec![0usize; k];
    for c in g.codes.iter().flatten() {
        n[*c] += 1;
    }
    let mut variables = Vec::with_capacity(req.variables.len());
    for name in &req.variables {
        let v = cohort.variable(name)?;
        let (levels, groups, overall, result) = match &v.column {
            Column::Num(values) => {
                let mut by = vec![Vec::new(); k];
                let mut missing = vec![0usize; k];
                for (x, c) in values.iter().zip(&g.codes) {
                    let Some(c) = c else { continue };
                    match x.filter(|x| x.is_finite()) {
                        Some(x) => by[*c].push(x),
                        None => missing[*c] += 1,
                    }
                }
                let all: Vec<f64> = by.iter().flatten().copied().collect();
                let non_empty: Vec<Vec<f64>> =
                    by.iter().filter(|b| !b.is_empty()).cloned().collect();
                let result = (non_empty.len() >= 2)
                    .then(|| ClassicalInference.continuous(&non_empty, ContinuousTest::Student))
                    .flatten();
                let groups = by
                    .iter()
                    .zip(&missing)
                    .map(|(b, m)| GroupValues::Number {
                        summary: summarise_numbers(b),
                        missing: *m,
                    })
                    .collect();
                let overall = GroupValues::Number {
                    summary: summarise_numbers(&all),
                    missing: missing.iter().sum(),
                };
                (Vec::new(), groups, overall, result)
            }
            Column::Cat { levels, codes } => {
                let mut counts = vec![vec![0u64; k]; levels.len()];
                let mut missing = vec![0usize; k];
                for (x, c) in codes.iter().zip(&g.codes) {
                    let Some(c) = c else { continue };
                    match x {
                        Some(l) => counts[*l][*c] += 1,
                        None => missing[*c] += 1,
                    }
                }
                let table = drop_empty_margins(&counts);
                let result = (table.len() >= 2 && table.first().is_some_and(|r| r.len() >= 2))
                    .then(|| {
                        let test = match choose_categorical(&table) {
                            CategoricalTest::Auto | CategoricalTest::Fisher => {
                                fisher_chosen = true;
                                CategoricalTest::Fisher
                            }
                            t => t,
                        };
                        ClassicalInference.categorical(&table, test)
                    })
                    .flatten();
                let groups = (0..k)
                    .map(|j| GroupValues::Categories {
                        counts: counts.iter().map(|r| r[j]).collect(),
                        missing: missing[j],
                    })
                    .collect();
                let overall = GroupValues::Categories {
                    counts: counts.iter().map(|r| r.iter().sum()).collect(),
                    missing: missing.iter().sum(),
                };
                let labels = levels.iter().map(|l| l.label.clone()).collect();
                (labels, groups, overall, result)
            }
        };
        let missing = match &overall {
            GroupValues::Number { missing, .. } | GroupValues::Categories { missing, .. } => {
                *missing
            }
        };
        let total: usize = n.iter().sum();
        variables.push(BaselineVariable {
            known: total - missing,
            name: name.clone(),
            label: v.label.clone(),
            levels,
            groups,
            overall,
            p: result.as_ref().map(|r| r.p),
            test: result.map(|r| r.test),
        });
    }
    let footnotes = if fisher_chosen {
        vec![FISHER_FOOTNOTE.to_string()]
    } else {
        Vec::new()
    };
    Ok(BaselineOutput {
        total: n.iter().sum(),
        footnotes,
        by_label: g.label,
        left_out: g.codes.iter().filter(|c| c.is_none()).count(),
        groups: g.levels,
        n,
        variables,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_match_r() {
        // R: x <- c(45, 61, 58, 70, 66); mean 60, sd 9.5655632348544959,
        // median 61, range 45–70.
        let s = summarise_numbers(&[45.0, 61.0, 58.0, 70.0, 66.0]);
        assert_eq!(s.mean, Some(60.0));
        assert!((s.sd.unwrap() - 9.565_563_234_854_496).abs() < 1e-12);
        assert_eq!(
            (s.median, s.min, s.max),
            (Some(61.0), Some(45.0), Some(70.0))
        );
        assert_eq!(summarise_numbers(&[1.0, 2.0, 3.0, 10.0]).median, Some(2.5));
        let one = summarise_numbers(&[3.0, f64::NAN]);
        assert_eq!((one.n, one.mean, one.sd), (1, Some(3.0), None));
        assert_eq!(summarise_numbers(&[]).median, None);
    }
}
