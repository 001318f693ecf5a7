//! Response rates by characteristic: objective response rate (ORR: CR or
//! PR) and disease control rate (DCR: CR, PR, MR, SD or non-CR/non-PD) with
//! binomial confidence intervals, and a test of each rate across the levels
//! of a characteristic.
//!
//! Denominator: every patient with a best response, not-evaluable (NE)
//! patients counted as non-responders (the intention-to-treat convention
//! of RECIST reports) unless `ne_in_denominator` is false. Patients without
//! a best response (`None`) are left out. The CI and the test come from
//! the [`Inference`] hook (Clopper–Pearson by default; the test chosen by
//! Cochran's rule on the 2 × levels table unless set).

use super::inference::{
    CategoricalTest, Inference, ProportionCi, choose_categorical, drop_empty_margins,
};
use super::{Row, Table};
use crate::ReportError;
use crate::error::check_len;
use crate::format::{MISSING, PStyle, fixed};
use crate::palette::ResponseClass;

/// True for an objective response.
pub fn is_objective(r: ResponseClass) -> bool {
    netra_clinical::response::Category::from(r).is_objective()
}

/// True for disease control (`Category::is_disease_control`).
pub fn is_control(r: ResponseClass) -> bool {
    netra_clinical::response::Category::from(r).is_disease_control()
}

/// Builds a response-rate table.
pub struct ResponseTable<'a> {
    table: Table,
    best: Vec<Option<ResponseClass>>,
    inference: &'a dyn Inference,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Interval method.
    pub method: ProportionCi,
    /// Test across levels.
    pub test: CategoricalTest,
    /// Count NE patients in the denominator.
    pub ne_in_denominator: bool,
    p_style: PStyle,
}

impl<'a> ResponseTable<'a> {
    /// A table over patients' best overall responses.
    pub fn new(
        title: impl Into<String>,
        best: &[Option<ResponseClass>],
        inference: &'a dyn Inference,
    ) -> ResponseTable<'a> {
        let mut table = Table::new(
            title,
            &[
                "Characteristic",
                "n",
                "ORR, % (95% CI)",
                "p",
                "DCR, % (95% CI)",
                "p",
            ],
        );
        table.footnotes.push(
            "ORR, objective response rate (complete or partial response); DCR, disease control \
             rate (complete, partial or minor response, or stable disease)."
                .into(),
        );
        ResponseTable {
            table,
            best: best.to_vec(),
            inference,
            level: 0.95,
            method: ProportionCi::ClopperPearson,
            test: CategoricalTest::Auto,
            ne_in_denominator: true,
            p_style: PStyle::default(),
        }
    }

    fn counted(&self, r: Option<ResponseClass>) -> Option<ResponseClass> {
        r.filter(|r| self.ne_in_denominator || *r != ResponseClass::NE)
    }

    /// "x/n" counts of ORR and DCR among `rows`.
    fn counts(&self, rows: impl Iterator<Item = usize>) -> (u64, u64, u64) {
        let (mut n, mut orr, mut dcr) = (0, 0, 0);
        for i in rows {
            if let Some(r) = self.counted(self.best[i]) {
                n += 1;
                orr += u64::from(is_objective(r));
                dcr += u64::from(is_control(r));
            }
        }
        (n, orr, dcr)
    }

    fn rate(&self, x: u64, n: u64) -> String {
        if n == 0 {
            return MISSING.to_string();
        }
        let pct = fixed(Some(100.0 * x as f64 / n as f64), 1);
        match self.inference.proportion_ci(x, n, self.level, self.method) {
            Some((lo, hi)) => format!(
                "{pct} ({}\u{2013}{})",
                fixed(Some(100.0 * lo), 1),
                fixed(Some(100.0 * hi), 1)
            ),
            None => pct,
        }
    }

    fn test(&self, table: Vec<Vec<u64>>) -> String {
        let t = drop_empty_margins(&table);
        if t.len() < 2 || t.first().is_none_or(|r| r.len() < 2) {
            return String::new();
        }
        let chosen = match self.test {
            CategoricalTest::Auto => choose_categorical(&t),
            x => x,
        };
        self.inference
            .categorical(&t, chosen)
            .map_or(String::new(), |r| self.p_style.format(Some(r.p)))
    }

    /// Adds a row for all patients.
    pub fn all_patients(&mut self, label: &str) -> &mut Self {
        let (n, orr, dcr) = self.counts(0..self.best.len());
        let row = Row::new([
            label.to_string(),
            n.to_string(),
            self.rate(orr, n),
            String::new(),
            self.rate(dcr, n),
            String::new(),
        ]);
        self.table.push(row.emphasised());
        self
    }

    /// Adds a characteristic: a heading row with the p-values, then one
    /// row per level. `codes[i]` is patient i's level or `None`.
    pub fn characteristic(
        &mut self,
        name: &str,
        levels: &[&str],
        codes: &[Option<usize>],
    ) -> Result<&mut Self, ReportError> {
        check_len(name, self.best.len(), codes.len())?;
        if let Some(c) = codes.iter().flatten().find(|c| **c >= levels.len()) {
            return Err(ReportError::InvalidOption(format!(
                "{name}: level code {c} but {} levels",
                levels.len()
            )));
        }
        let per_level: Vec<(u64, u64, u64)> = (0..levels.len())
            .map(|l| self.counts((0..codes.len()).filter(|&i| codes[i] == Some(l))))
            .collect();
        // 2 × levels tables: responders / non-responders by level.
        let orr_table = vec![
            per_level.iter().map(|c| c.1).collect(),
            per_level.iter().map(|c| c.0 - c.1).collect(),
        ];
        let dcr_table = vec![
            per_level.iter().map(|c| c.2).collect(),
            per_level.iter().map(|c| c.0 - c.2).collect(),
        ];
        let head = Row::new([
            name.to_string(),
            String::new(),
            String::new(),
            self.test(orr_table),
            String::new(),
            self.test(dcr_table),
        ]);
        self.table.push(head.emphasised());
        for (level, (n, orr, dcr)) in levels.iter().zip(&per_level) {
            let row = Row::new([
                (*level).to_string(),
                n.to_string(),
                self.rate(*orr, *n),
                String::new(),
                self.rate(*dcr, *n),
                String::new(),
            ]);
            self.table.push(row.indented(1));
        }
        Ok(self)
    }

    /// The finished table.
    pub fn build(self) -> Table {
        self.table
    }
}
