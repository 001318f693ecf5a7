//! Baseline characteristics by group ("Table 1").
//!
//! For each variable, by group (and optionally overall):
//! * continuous: mean ± SD (sample SD, n − 1 denominator, as R's `sd`) and
//!   median (range) (R's `median`, `min`–`max`), missing count;
//! * categorical: n (%) per level, the percentage of the group's
//!   non-missing values, missing count.
//!
//! The p-value and the name of its test come from the [`Inference`] hook:
//! the chosen [`ContinuousTest`] for continuous variables, and for
//! categorical ones the chosen [`CategoricalTest`] (by default Cochran's
//! rule, [`choose_categorical`]) on the levels × groups table with empty
//! rows and columns removed. Missing values are left out of the tests.
//! With three or more groups the layer runs the k-group form of the test
//! (one-way ANOVA, Welch's ANOVA, Kruskal–Wallis; r × c chi-square or
//! Fisher–Freeman–Halton). When Cochran's rule picks Fisher's test the
//! table says why in a footnote ([`FISHER_FOOTNOTE`]).
//!
//! One group label and no overall column is the one-column form (all
//! patients, no p or test columns). With [`BaselineTable::known`] each
//! variable gets a "Known" row ("622 of 1000") instead of the "Missing"
//! row.

pub use netra_analysis::analyses::baseline::FISHER_FOOTNOTE;
use netra_analysis::analyses::baseline::summarise_numbers;

use super::inference::{
    CategoricalTest, ContinuousTest, Inference, TestResult, choose_categorical, drop_empty_margins,
};
use super::{Row, Table};
use crate::ReportError;
use crate::error::check_len;
use crate::format::{MISSING, PStyle, fixed, n_percent};

/// Which summaries of a continuous variable to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    /// Mean ± SD.
    MeanSd,
    /// Median (range).
    MedianRange,
    /// Both, mean ± SD first.
    Both,
}

/// Builds a baseline-characteristics table.
pub struct BaselineTable<'a> {
    table: Table,
    group: Vec<usize>,
    n_groups: usize,
    overall: bool,
    inference: &'a dyn Inference,
    p_style: PStyle,
    /// p and test columns (two or more groups).
    tests: bool,
    /// Cochran's rule chose Fisher's test for some variable.
    fisher_chosen: bool,
    /// Decimals of percentages.
    pub percent_decimals: usize,
    /// A "Known: x of n" row per variable instead of the "Missing" row.
    pub known: bool,
}

impl<'a> BaselineTable<'a> {
    /// A table comparing `group_labels.len()` groups; `group[i]` is subject
    /// i's group (0-based); `overall` adds an all-subjects column. One
    /// group without `overall` is the one-column form: no p, no test.
    pub fn new(
        title: impl Into<String>,
        group_labels: &[&str],
        group: &[usize],
        overall: bool,
        inference: &'a dyn Inference,
    ) -> Result<BaselineTable<'a>, ReportError> {
        let k = group_labels.len();
        if k == 0 {
            return Err(ReportError::NoData("baseline table (no groups)".into()));
        }
        if let Some(&g) = group.iter().find(|g| **g >= k) {
            return Err(ReportError::InvalidOption(format!(
                "group code {g} but only {k} group labels"
            )));
        }
        let mut counts = vec![0usize; k];
        for &g in group {
            counts[g] += 1;
        }
        let mut header: Vec<String> = vec!["Characteristic".into()];
        for (l, n) in group_labels.iter().zip(&counts) {
            header.push(format!("{l} (n = {n})"));
        }
        if overall {
            header.push(format!("All (n = {})", group.len()));
        }
        let tests = k >= 2;
        if tests {
            header.push("p".into());
            header.push("Test".into());
        }
        let cols: Vec<&str> = header.iter().map(String::as_str).collect();
        Ok(BaselineTable {
            table: Table::new(title, &cols),
            group: group.to_vec(),
            n_groups: k,
            overall,
            inference,
            p_style: PStyle::default(),
            tests,
            fisher_chosen: false,
            percent_decimals: 1,
            known: false,
        })
    }

    fn split<T: Copy>(&self, values: &[Option<T>]) -> (Vec<Vec<T>>, Vec<usize>) {
        let mut by = vec![Vec::new(); self.n_groups];
        let mut missing = vec![0usize; self.n_groups];
        for (v, &g) in values.iter().zip(&self.group) {
            match v {
                Some(x) => by[g].push(*x),
                None => missing[g] += 1,
            }
        }
        (by, missing)
    }

    fn row(&self, label: String, cells: Vec<String>, p: Option<&TestResult>) -> Row {
        let mut all = vec![label];
        all.extend(cells);
        if self.tests {
            all.push(p.map_or(String::new(), |r| self.p_style.format(Some(r.p))));
            all.push(p.map_or(String::new(), |r| r.test.clone()));
        }
        Row::new(all)
    }

    fn blank_cells(&self) -> Vec<String> {
        vec![String::new(); self.n_groups + usize::from(self.overall)]
    }

    /// Adds a continuous variable (`None` = missing; non-finite values are
    /// missing too).
    pub fn continuous(
        &mut self,
        name: &str,
        values: &[Option<f64>],
        summary: Summary,
        decimals: usize,
        test: ContinuousTest,
    ) -> Result<&mut Self, ReportError> {
        check_len(name, self.group.len(), values.len())?;
        let values: Vec<Option<f64>> = values.iter().map(|v| v.filter(|x| x.is_finite())).collect();
        let (by, missing) = self.split(&values);
        let mut columns: Vec<Vec<f64>> = by.clone();
        if self.overall {
            columns.push(by.iter().flatten().copied().collect());
        }
        let summaries: Vec<_> = columns.iter().map(|c| summarise_numbers(c)).collect();
        let non_empty: Vec<Vec<f64>> = by.iter().filter(|g| !g.is_empty()).cloned().collect();
        let result = if non_empty.len() >= 2 {
            self.inference.continuous(&non_empty, test)
        } else {
            None
        };
        let mean_cells: Vec<String> = summaries
            .iter()
            .map(|c| match (c.mean, c.sd) {
                (Some(m), Some(s)) => format!(
                    "{} \u{b1} {}",
                    fixed(Some(m), decimals),
                    fixed(Some(s), decimals)
                ),
                (Some(m), None) => fixed(Some(m), decimals),
                _ => MISSING.to_string(),
            })
            .collect();
        let median_cells: Vec<String> = summaries
            .iter()
            .map(|c| match c.median {
                Some(m) => format!(
                    "{} ({}\u{2013}{})",
                    fixed(Some(m), decimals),
                    fixed(c.min, decimals),
                    fixed(c.max, decimals)
                ),
                None => MISSING.to_string(),
            })
            .collect();
        match summary {
            Summary::MeanSd => {
                let r = self.row(
                    format!("{name}, mean \u{b1} SD"),
                    mean_cells,
                    result.as_ref(),
                );
                self.table.push(r);
            }
            Summary::MedianRange => {
                let r = self.row(
                    format!("{name}, median (range)"),
                    median_cells,
                    result.as_ref(),
                );
                self.table.push(r);
            }
            Summary::Both => {
                let r = self.row(
                    format!("{name}, mean \u{b1} SD"),
                    mean_cells,
                    result.as_ref(),
                );
                self.table.push(r);
                let r = self
                    .row("Median (range)".into(), median_cells, None)
                    .indented(1);
                self.table.push(r);
            }
        }
        self.missing_row(&missing);
        Ok(self)
    }

    fn missing_row(&mut self, missing: &[usize]) {
        if self.known {
            let mut sizes = vec![0usize; self.n_groups];
            for &g in &self.group {
                sizes[g] += 1;
            }
            let mut cells: Vec<String> = sizes
                .iter()
                .zip(missing)
                .map(|(n, m)| format!("{} of {n}", n - m))
                .collect();
            if self.overall {
                let m: usize = missing.iter().sum();
                cells.push(format!("{} of {}", self.group.len() - m, self.group.len()));
            }
            let r = self.row("Known".into(), cells, None).indented(1);
            self.table.push(r);
            return;
        }
        if missing.iter().all(|m| *m == 0) {
            return;
        }
        let mut cells: Vec<String> = missing.iter().map(|m| m.to_string()).collect();
        if self.overall {
            cells.push(missing.iter().sum::<usize>().to_string());
        }
        let r = self.row("Missing".into(), cells, None).indented(1);
        self.table.push(r);
    }

    /// Adds a categorical variable with its `levels` in print order;
    /// `values[i]` is subject i's level or `None` when missing. A value
    /// that is not a level is an error.
    pub fn categorical(
        &mut self,
        name: &str,
        levels: &[&str],
        values: &[Option<&str>],
        test: CategoricalTest,
    ) -> Result<&mut Self, ReportError> {
        check_len(name, self.group.len(), values.len())?;
        let mut codes = Vec::with_capacity(values.len());
        for v in values {
            codes.push(match v {
                Some(text) => Some(levels.iter().position(|l| l == text).ok_or_else(|| {
                    ReportError::InvalidOption(format!(
                        "{name}: value '{text}' is not one of the levels"
                    ))
                })?),
                None => None,
            });
        }
        let (by, missing) = self.split(&codes);
        // counts[level][group]
        let mut counts = vec![vec![0u64; self.n_groups]; levels.len()];
        for (g, vals) in by.iter().enumerate() {
            for &l in vals {
                counts[l][g] += 1;
            }
        }
        let table = drop_empty_margins(&counts);
        let mut auto_fisher = false;
        let result = if table.len() >= 2 && table.first().is_some_and(|r| r.len() >= 2) {
            let chosen = match test {
                CategoricalTest::Auto => {
                    let c = choose_categorical(&table);
                    auto_fisher = c == CategoricalTest::Fisher;
                    c
                }
                t => t,
            };
            self.inference.categorical(&table, chosen)
        } else {
            None
        };
        self.fisher_chosen |= auto_fisher && result.is_some();
        let head = self.row(
            format!("{name}, n (%)"),
            self.blank_cells(),
            result.as_ref(),
        );
        self.table.push(head.emphasised());
        let totals: Vec<u64> = by.iter().map(|v| v.len() as u64).collect();
        let grand: u64 = totals.iter().sum();
        for (l, level) in levels.iter().enumerate() {
            let mut cells: Vec<String> = (0..self.n_groups)
                .map(|g| n_percent(counts[l][g], totals[g], self.percent_decimals))
                .collect();
            if self.overall {
                let n: u64 = counts[l].iter().sum();
                cells.push(n_percent(n, grand, self.percent_decimals));
            }
            let r = self.row((*level).to_string(), cells, None).indented(1);
            self.table.push(r);
        }
        self.missing_row(&missing);
        Ok(self)
    }

    /// Adds a footnote.
    pub fn footnote(&mut self, note: impl Into<String>) -> &mut Self {
        self.table.footnotes.push(note.into());
        self
    }

    /// The finished table (with the footnote on Fisher's test when
    /// Cochran's rule chose it).
    pub fn build(mut self) -> Table {
        if self.fisher_chosen && self.tests {
            self.table.footnotes.push(FISHER_FOOTNOTE.to_string());
        }
        self.table
    }
}
