//! Survival by characteristic, laid out as retrospective NET cohorts publish
//! it: for all patients and for each level of each characteristic, n,
//! events, the median survival with its 95% CI, the survival rate at a
//! landmark (for example 3 years) and, per characteristic, the log-rank p.
//!
//! Computed by the analysis layer (`netra_analysis::analyses::survival::
//! summarise`, the summary every surface prints): Kaplan–Meier curves per
//! level (R's `survfit`), medians and their CIs as `quantile.survfit` (log
//! CI by default), the landmark rate as `summary(fit, times)`, the
//! log-rank test as `survdiff`; this builder lays them out. Subjects whose
//! characteristic is missing are left out of that characteristic's rows
//! and test. SPSS-style tables print a symmetric CI of the median (median
//! ± 1.96·SE); the median column's CI is R's, from the CI of the curve,
//! and [`SurvivalTable::spss_median`] adds SPSS's next to it.
//! [`SurvivalTable::follow_up`] adds the footnote line with the median
//! follow-up by the reverse Kaplan–Meier method and its range
//! ([`follow_up_text`]).

use netra_analysis::analyses::survival::{
    FollowUpOut, GroupSurvival, SurvivalData, SurvivalOptions, SurvivalSummary, summarise,
};

use super::{Row, Table};
use crate::ReportError;
use crate::error::check_len;
use crate::figure::fmt_count;
use crate::format::{MISSING, NOT_REACHED, PStyle, fixed, with_ci};

/// Builds a survival-by-characteristic table.
pub struct SurvivalTable {
    table: Table,
    time: Vec<f64>,
    event: Vec<bool>,
    landmarks: Vec<f64>,
    /// The layer's options: its default (log CI, 95%) with every landmark.
    options: SurvivalOptions,
    p_style: PStyle,
    /// A column with SPSS's symmetric median CI after the median's.
    spss: bool,
    /// Decimals of medians and rates.
    pub decimals: usize,
}

/// The footnote line of a median follow-up: "Median follow-up (reverse
/// Kaplan–Meier) 36.2 months (95% CI 30.1–41.0); range 0.5–120.3 months."
pub fn follow_up_text(f: &FollowUpOut, units: &str, conf_level: f64, decimals: usize) -> String {
    let range = format!(
        "range {}\u{2013}{} {units}",
        fixed(Some(f.min), decimals),
        fixed(Some(f.max), decimals)
    );
    let level = fixed(Some(100.0 * conf_level), 0);
    match f.median {
        Some(m) => {
            let limit =
                |v: Option<f64>| v.map_or(NOT_REACHED.to_string(), |x| fixed(Some(x), decimals));
            format!(
                "Median follow-up (reverse Kaplan\u{2013}Meier) {} {units} ({level}% CI {}\u{2013}{}); {range}.",
                fixed(Some(m), decimals),
                limit(f.lower),
                limit(f.upper)
            )
        }
        None => format!(
            "Median follow-up (reverse Kaplan\u{2013}Meier) not estimable (the censoring curve \
             does not fall to 0.5); {range}."
        ),
    }
}

fn stats_err(e: impl std::fmt::Display) -> ReportError {
    ReportError::Statistics(e.to_string())
}

impl SurvivalTable {
    /// A table of `time`/`event` with the survival rate at `landmark`
    /// (same unit as `time`); `median_header` and `landmark_header` name
    /// the columns ("Median OS, months (95% CI)", "3-year OS, %").
    pub fn new(
        title: impl Into<String>,
        time: &[f64],
        event: &[bool],
        landmark: f64,
        median_header: &str,
        landmark_header: &str,
    ) -> Result<SurvivalTable, ReportError> {
        SurvivalTable::with_landmarks(
            title,
            time,
            event,
            &[(landmark, landmark_header)],
            median_header,
        )
    }

    /// A table with one rate column per landmark (`(time, header)`, e.g.
    /// `(12.0, "1-year OS, %")`), or none.
    pub fn with_landmarks(
        title: impl Into<String>,
        time: &[f64],
        event: &[bool],
        landmarks: &[(f64, &str)],
        median_header: &str,
    ) -> Result<SurvivalTable, ReportError> {
        check_len("event", time.len(), event.len())?;
        if time.is_empty() {
            return Err(ReportError::NoData("survival table".into()));
        }
        if let Some((l, _)) = landmarks
            .iter()
            .find(|(l, _)| !(l.is_finite() && *l >= 0.0))
        {
            return Err(crate::error::invalid("landmark time", *l));
        }
        let mut header = vec!["Characteristic", "n", "Events", median_header];
        header.extend(landmarks.iter().map(|(_, h)| *h));
        header.push("p (log-rank)");
        let table = Table::new(title, &header);
        let mut at: Vec<f64> = landmarks.iter().map(|(l, _)| *l).collect();
        at.sort_by(f64::total_cmp);
        at.dedup();
        Ok(SurvivalTable {
            table,
            time: time.to_vec(),
            event: event.to_vec(),
            landmarks: landmarks.iter().map(|(l, _)| *l).collect(),
            options: SurvivalOptions {
                landmarks: at,
                ..SurvivalOptions::default()
            },
            p_style: PStyle::default(),
            spss: false,
            decimals: 1,
        })
    }

    /// Adds a column `header` with the median's symmetric CI as SPSS
    /// prints it (median ± z·SE; `netra_stats::km` module `spss`) after
    /// the median column, and a footnote saying how it is computed. Call
    /// it before adding rows.
    pub fn spss_median(&mut self, header: &str) -> Result<&mut Self, ReportError> {
        if !self.table.body.is_empty() {
            return Err(ReportError::InvalidOption(
                "the SPSS median column is added before the rows".into(),
            ));
        }
        if !self.spss {
            if let Some(row) = self.table.header.first_mut() {
                row.insert(4, header.into());
            }
            self.spss = true;
            self.options.median_ci_spss = true;
            self.table.footnotes.push(
                "SPSS-style CI of the median: median \u{b1} 1.96 \u{d7} SE, SE = SE[S(median)] / f(median) \
                 with Greenwood's SE of S and the density f estimated between the event times \
                 where S crosses 0.55 and 0.45 (IBM SPSS Statistics Algorithms, Kaplan\u{2013}Meier; \
                 Collett 2003, \u{a7}2.4.2)."
                    .to_string(),
            );
        }
        Ok(self)
    }

    /// Adds the footnote line with the median follow-up of all patients of
    /// the table by the reverse Kaplan–Meier method and the range of
    /// follow-up times, in `units` ("months").
    pub fn follow_up(&mut self, units: &str) -> Result<&mut Self, ReportError> {
        let summary = self.summary(
            self.time.clone(),
            self.event.clone(),
            vec![0; self.time.len()],
            vec!["All".to_string()],
        )?;
        if let Some(f) = summary.follow_up {
            let text = follow_up_text(&f, units, self.options.conf_level, self.decimals);
            self.table.footnotes.push(text);
        }
        Ok(self)
    }

    /// Curves of `time`/`event` by `group` (codes into `labels`) and the
    /// log-rank test, from the layer.
    fn summary(
        &self,
        time: Vec<f64>,
        event: Vec<bool>,
        group: Vec<u32>,
        labels: Vec<String>,
    ) -> Result<SurvivalSummary, ReportError> {
        let data = SurvivalData {
            time,
            event,
            group,
            labels,
            weights: None,
        };
        summarise(&data, &self.options)
            .map(|(summary, _)| summary)
            .map_err(stats_err)
    }

    /// The cells of one curve: n, events, median (CI), landmark rates (in
    /// the order of the columns).
    fn curve_cells(&self, curve: &GroupSurvival) -> Vec<String> {
        let median_text = match curve.median {
            Some(_) => with_ci(
                curve.median,
                curve.median_lower,
                curve.median_upper,
                self.decimals,
                NOT_REACHED,
            ),
            None => match curve.median_lower {
                Some(l) => format!(
                    "{NOT_REACHED} ({}\u{2013}{NOT_REACHED})",
                    fixed(Some(l), self.decimals)
                ),
                None => NOT_REACHED.to_string(),
            },
        };
        let mut cells = vec![curve.n.to_string(), fmt_count(curve.events), median_text];
        if self.spss {
            cells.push(curve.median_spss.map_or(MISSING.to_string(), |m| {
                with_ci(
                    Some(m.estimate),
                    Some(m.lower),
                    Some(m.upper),
                    self.decimals,
                    MISSING,
                )
            }));
        }
        cells.extend(self.landmarks.iter().map(|l| {
            curve
                .at_times
                .iter()
                .find(|a| a.time == *l)
                .and_then(|a| a.survival)
                .map_or(MISSING.to_string(), |s| {
                    fixed(Some(100.0 * s), self.decimals)
                })
        }));
        cells
    }

    /// Adds a row for all patients.
    pub fn all_patients(&mut self, label: &str) -> Result<&mut Self, ReportError> {
        let summary = self.summary(
            self.time.clone(),
            self.event.clone(),
            vec![0; self.time.len()],
            vec![label.to_string()],
        )?;
        let mut cells = vec![label.to_string()];
        if let Some(all) = summary.groups.first() {
            cells.extend(self.curve_cells(all));
        }
        cells.push(String::new());
        self.table.push(Row::new(cells).emphasised());
        Ok(self)
    }

    /// Adds a characteristic: a heading row with the log-rank p over its
    /// levels, then one indented row per level. `codes[i]` is subject i's
    /// level (index into `levels`) or `None` when missing.
    pub fn characteristic(
        &mut self,
        name: &str,
        levels: &[&str],
        codes: &[Option<usize>],
    ) -> Result<&mut Self, ReportError> {
        check_len(name, self.time.len(), codes.len())?;
        if let Some(c) = codes.iter().flatten().find(|c| **c >= levels.len()) {
            return Err(ReportError::InvalidOption(format!(
                "{name}: level code {c} but {} levels",
                levels.len()
            )));
        }
        let keep: Vec<usize> = (0..codes.len()).filter(|&i| codes[i].is_some()).collect();
        let time: Vec<f64> = keep.iter().map(|&i| self.time[i]).collect();
        let event: Vec<bool> = keep.iter().map(|&i| self.event[i]).collect();
        let group: Vec<u32> = keep
            .iter()
            .filter_map(|&i| codes[i])
            .map(|g| g as u32)
            .collect();
        let (curves, p) = if time.is_empty() {
            (Vec::new(), None)
        } else {
            let labels = levels.iter().map(|l| l.to_string()).collect();
            let s = self.summary(time, event, group, labels)?;
            (s.groups, s.logrank.map(|t| t.p))
        };
        let mut head = vec![name.to_string()];
        head.extend(std::iter::repeat_n(
            String::new(),
            3 + usize::from(self.spss) + self.landmarks.len(),
        ));
        head.push(p.map_or(String::new(), |p| self.p_style.format(Some(p))));
        self.table.push(Row::new(head).emphasised());
        for (l, level) in levels.iter().enumerate() {
            let mut cells = vec![(*level).to_string()];
            match curves.get(l).filter(|c| c.n > 0) {
                Some(c) => cells.extend(self.curve_cells(c)),
                None => {
                    cells.extend(["0".to_string(), "0".into(), MISSING.into()]);
                    cells.extend(std::iter::repeat_n(
                        MISSING.to_string(),
                        usize::from(self.spss) + self.landmarks.len(),
                    ));
                }
            }
            cells.push(String::new());
            self.table.push(Row::new(cells).indented(1));
        }
        Ok(self)
    }

    /// Adds a footnote.
    pub fn footnote(&mut self, note: impl Into<String>) -> &mut Self {
        self.table.footnotes.push(note.into());
        self
    }

    /// The finished table.
    pub fn build(self) -> Table {
        self.table
    }
}
