//! Duration of stable disease and duration of response of a line, with
//! Kaplan–Meier medians where durations are censored.
//!
//! * **Duration of stable disease** — among patients whose evaluable best
//!   response on the line is stable disease (or non-CR/non-PD, counted
//!   with it), from the start of the line to progression, as the
//!   radionuclide study reports it ("stabilisation lasted 16 months").
//! * **Duration of response** — among patients with an objective response
//!   (CR or PR), from the first assessment that showed the response to
//!   progression (RECIST 1.1 §4.3).
//!
//! The end is the line's time to progression (`ttp`: death censored,
//! the default) or its progression-free survival (`pfs`: death an event),
//! both derived once with the cohort's line rules; censored where the
//! line's time is (`censoring`: at the last adequate assessment, or at the
//! last follow-up). Curves, medians (R's `survfit` median and its log
//! interval), landmarks and the log-rank test across groups are those of
//! the `survival` analysis ([`super::survival::summarise`]).

use netra_clinical::endpoints::{Censoring, Units};
use netra_clinical::lines::{Line, LineTime};
use netra_clinical::response::Category;
use serde::{Deserialize, Serialize};

use crate::AnalysisError;
use crate::analyses::survival::{
    GroupSurvival, SurvivalData, SurvivalOptions, SurvivalSummary, summarise,
};
use crate::cohort::Cohort;

/// The request of `durations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DurationsRequest {
    /// The line of systemic therapy (1-based).
    pub line: u32,
    /// What ends a duration: `ttp` (progression; death censored) or `pfs`
    /// (progression or death).
    pub end: String,
    /// Units of the durations: `days`, `months`, `years`.
    pub units: String,
    /// Where a duration without progression is censored: `last_assessment`
    /// (the last adequate tumour assessment; the default) or
    /// `last_follow_up` (as the radionuclide study counts a response still
    /// lasting at the last visit).
    pub censoring: String,
    /// The grouping variable (none: all patients).
    pub by: Option<String>,
    /// The levels compared, in order; none: all.
    pub levels: Option<Vec<String>>,
    /// Curves' summaries (landmarks, interval, confidence level).
    pub survival: SurvivalOptions,
}

impl Default for DurationsRequest {
    fn default() -> Self {
        DurationsRequest {
            line: 1,
            end: "ttp".into(),
            units: "months".into(),
            censoring: "last_assessment".into(),
            by: None,
            levels: None,
            survival: SurvivalOptions::default(),
        }
    }
}

/// One kind of duration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DurationOut {
    /// What is measured, in words.
    pub definition: String,
    /// Patients with that best response on the line (with a group when
    /// grouped).
    pub n: usize,
    /// Of them, those whose duration ended by the event.
    pub events: usize,
    /// Of them, patients without a group (left out of the curves).
    pub missing_group: usize,
    /// Curves by group: medians with intervals, landmarks, log-rank.
    pub summary: SurvivalSummary,
}

/// The answer to a [`DurationsRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DurationsOutput {
    /// The line.
    pub line: u32,
    /// What ends a duration.
    pub end: String,
    /// Units.
    pub units: String,
    /// Censoring rule.
    pub censoring: String,
    /// Grouping variable.
    pub by: Option<String>,
    /// Printed name of the grouping.
    pub by_label: Option<String>,
    /// Patients in the cohort.
    pub cohort: usize,
    /// Duration of stable disease.
    pub stable_disease: DurationOut,
    /// Duration of response.
    pub response: DurationOut,
}

/// The duration of a line's best response in days and whether it ended
/// by the event: `stable` from the line's start, else from the first
/// response (`None` when the line lacks what is needed).
pub fn duration(line: &Line, time: &LineTime, stable: bool) -> Option<(i32, bool)> {
    if stable {
        return Some((time.days, time.event));
    }
    let first = line.evaluation.first_response?;
    let from_start = first.day.0 - line.start.day.0;
    Some(((time.days - from_start).max(0), time.event))
}

fn category_of(line: &Line) -> Option<Category> {
    line.evaluation
        .evaluable()
        .then_some(line.evaluation.best)
        .flatten()
}

/// The summary of curves without patients: each group with n = 0.
fn empty_summary(labels: &[String]) -> SurvivalSummary {
    SurvivalSummary {
        groups: labels
            .iter()
            .map(|l| GroupSurvival {
                label: l.clone(),
                n: 0,
                events: 0.0,
                median: None,
                median_lower: None,
                median_upper: None,
                at_times: Vec::new(),
                rmst: None,
                steps: None,
                median_spss: None,
            })
            .collect(),
        logrank: None,
        rmst_difference: None,
        follow_up: None,
    }
}

/// Runs a [`DurationsRequest`] on a cohort.
pub fn run(cohort: &Cohort, req: &DurationsRequest) -> Result<DurationsOutput, AnalysisError> {
    if req.line == 0 {
        return Err(AnalysisError::invalid("line", "lines are numbered from 1"));
    }
    let pfs = match req.end.as_str() {
        "ttp" => false,
        "pfs" => true,
        other => {
            return Err(AnalysisError::invalid(
                "end",
                format!("'{other}' is not one of ttp, pfs"),
            ));
        }
    };
    let units: Units = req
        .units
        .parse()
        .map_err(|e: netra_clinical::endpoints::SpecError| AnalysisError::invalid("units", e.0))?;
    let censoring: Censoring =
        req.censoring
            .parse()
            .map_err(|e: netra_clinical::endpoints::SpecError| {
                AnalysisError::invalid("censoring", e.0)
            })?;
    req.survival.km_options()?;
    if !cohort.has_courses() {
        return Err(AnalysisError::invalid(
            "durations",
            "durations need the patients' lines (a registry cohort)",
        ));
    }
    let grouping = match &req.by {
        Some(by) => Some(cohort.grouping_of(by, None, req.levels.as_deref(), None)?),
        None => None,
    };
    let labels = grouping
        .as_ref()
        .map_or_else(|| vec!["All patients".to_string()], |g| g.levels.clone());
    let lines = cohort.lines(censoring);
    let one = |stable: bool| -> Result<DurationOut, AnalysisError> {
        let mut data = SurvivalData {
            labels: labels.clone(),
            ..SurvivalData::default()
        };
        let mut missing_group = 0;
        for (i, p) in lines.iter().enumerate() {
            let Some(line) = p.line(req.line) else {
                continue;
            };
            let wanted = match category_of(line) {
                Some(Category::SD | Category::NonCrNonPd) => stable,
                Some(Category::CR | Category::PR) => !stable,
                _ => false,
            };
            let time = if pfs { &line.pfs } else { &line.ttp };
            let Some((days, event)) = time.as_ref().and_then(|t| duration(line, t, stable)) else {
                continue;
            };
            if !wanted {
                continue;
            }
            let group = match &grouping {
                Some(g) => match g.codes.get(i).copied().flatten() {
                    Some(c) => c as u32,
                    None => {
                        missing_group += 1;
                        continue;
                    }
                },
                None => 0,
            };
            data.time.push(f64::from(days) / units.days());
            data.event.push(event);
            data.group.push(group);
        }
        let summary = if data.time.is_empty() {
            empty_summary(&labels)
        } else {
            summarise(&data, &req.survival)?.0
        };
        let end = if pfs {
            "progression or death"
        } else {
            "progression (death censored)"
        };
        Ok(DurationOut {
            definition: if stable {
                format!(
                    "best response stable disease on line {}: from the start of the line to {end}",
                    req.line
                )
            } else {
                format!(
                    "objective response (CR or PR) on line {}: from the first response to {end}",
                    req.line
                )
            },
            n: data.time.len(),
            events: data.event.iter().filter(|e| **e).count(),
            missing_group,
            summary,
        })
    };
    Ok(DurationsOutput {
        line: req.line,
        end: req.end.clone(),
        units: units.code().to_string(),
        censoring: censoring.code().to_string(),
        by: req.by.clone(),
        by_label: grouping.as_ref().map(|g| g.label.clone()),
        cohort: cohort.len(),
        stable_disease: one(true)?,
        response: one(false)?,
    })
}
