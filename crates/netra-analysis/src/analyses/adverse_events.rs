//! The adverse-event table of a paper: per CTCAE term (and the treatment
//! the event is attributed to), the patients whose worst grade was 1–2,
//! 3–4 or 5, by group.
//!
//! A patient counts once per row, at the worst grade recorded for that
//! term and treatment (the "Any adverse event" row: at the worst grade of
//! any term), so a column's counts are patients, and its percentages are
//! of the group's patients — not of events. An event is attributed to a
//! treatment by the treatment id it names (`adverse_event.treatment`);
//! without one it is "Not attributed".
//!
//! Needs the patients' courses: a cohort built from patient facts refuses
//! it.

use std::collections::BTreeMap;

use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::vocab::{TreatmentType, Vocabulary};
use serde::{Deserialize, Serialize};

use super::Analysis;
use crate::AnalysisError;
use crate::cohort::Cohort;
use crate::variables::capitalise;

/// The adverse-event table asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdverseEventsRequest {
    /// A categorical variable whose levels are the columns (`arm`); empty:
    /// all patients in one column.
    pub by: String,
    /// Rows per treatment and term (else per term over all treatments).
    pub by_treatment: bool,
}

impl Default for AdverseEventsRequest {
    fn default() -> Self {
        AdverseEventsRequest {
            by: String::new(),
            by_treatment: true,
        }
    }
}

/// A column: a group and its patients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AeGroupOut {
    /// Printed name.
    pub label: String,
    /// Patients in the group (the percentages' denominator).
    pub n: u64,
}

/// One row's patients in one group, by worst grade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AeCellOut {
    /// Patients with the event at any grade.
    pub n: u64,
    /// Worst grade 1 or 2.
    pub grade_1_2: u64,
    /// Worst grade 3 or 4.
    pub grade_3_4: u64,
    /// Worst grade 5 (death related to the event).
    pub grade_5: u64,
}

/// A row: a term under a treatment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AeRowOut {
    /// Treatment type code (`null`: not attributed, or rows not by
    /// treatment).
    pub treatment: Option<String>,
    /// Printed treatment ("All treatments" when not by treatment).
    pub treatment_label: String,
    /// CTCAE term as recorded ("Any adverse event" for the summary row).
    pub term: String,
    /// One cell per group, in `groups` order.
    pub cells: Vec<AeCellOut>,
}

/// The answer to an [`AdverseEventsRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdverseEventsOutput {
    /// Printed name of the grouping variable (empty: all patients).
    pub by_label: String,
    /// Columns.
    pub groups: Vec<AeGroupOut>,
    /// Rows: per treatment (in the vocabulary's order, unattributed last),
    /// the "Any adverse event" row, then terms by patients affected.
    pub rows: Vec<AeRowOut>,
    /// Events with a grade outside 1–5 (left out).
    pub invalid_grades: u64,
}

/// The summary row's term.
pub const ANY: &str = "Any adverse event";

/// The row key of an event: treatment type (`None`: not attributed) and
/// term.
type Key = (Option<usize>, String);

/// Worst grade per (row, patient) of one course.
fn worst(c: &PatientCourse, by_treatment: bool, invalid: &mut u64) -> BTreeMap<Key, u8> {
    let mut out: BTreeMap<Key, u8> = BTreeMap::new();
    for e in &c.adverse_events {
        if !(1..=5).contains(&e.grade) {
            *invalid += 1;
            continue;
        }
        let treatment = if by_treatment {
            e.treatment
                .as_ref()
                .and_then(|id| c.treatments.iter().find(|t| &t.id == id))
                .and_then(|t| TreatmentType::ALL.iter().position(|k| *k == t.kind))
        } else {
            None
        };
        for term in [ANY.to_string(), e.term.trim().to_string()] {
            let g = out.entry((treatment, term)).or_insert(0);
            *g = (*g).max(e.grade);
        }
    }
    out
}

/// Runs an [`AdverseEventsRequest`] on a cohort.
pub fn run(
    cohort: &Cohort,
    req: &AdverseEventsRequest,
) -> Result<AdverseEventsOutput, AnalysisError> {
    if !cohort.has_courses() {
        return Err(AnalysisError::invalid(
            "adverse_events",
            "needs the patients' courses (adverse events are read per patient)",
        ));
    }
    let n = cohort.courses.len();
    let (by_label, labels, codes) = if req.by.is_empty() {
        (
            String::new(),
            vec!["All patients".to_string()],
            vec![Some(0); n],
        )
    } else {
        let g = cohort.categories(&req.by)?;
        (g.label, g.levels, g.codes)
    };
    let mut groups: Vec<AeGroupOut> = labels
        .into_iter()
        .map(|label| AeGroupOut { label, n: 0 })
        .collect();
    let mut invalid = 0u64;
    let mut cells: BTreeMap<Key, Vec<AeCellOut>> = BTreeMap::new();
    let empty = AeCellOut {
        n: 0,
        grade_1_2: 0,
        grade_3_4: 0,
        grade_5: 0,
    };
    for (c, code) in cohort.courses.iter().zip(&codes) {
        let Some(g) = *code else { continue };
        groups[g].n += 1;
        for (key, grade) in worst(c, req.by_treatment, &mut invalid) {
            let row = cells
                .entry(key)
                .or_insert_with(|| vec![empty.clone(); groups.len()]);
            let cell = &mut row[g];
            cell.n += 1;
            match grade {
                1 | 2 => cell.grade_1_2 += 1,
                3 | 4 => cell.grade_3_4 += 1,
                _ => cell.grade_5 += 1,
            }
        }
    }
    let mut rows: Vec<(Key, Vec<AeCellOut>)> = cells.into_iter().collect();
    let total = |r: &[AeCellOut]| r.iter().map(|c| c.n).sum::<u64>();
    rows.sort_by(|(a, ra), (b, rb)| {
        // Unattributed (None) after every treatment; the summary row first.
        (a.0.is_none(), a.0)
            .cmp(&(b.0.is_none(), b.0))
            .then_with(|| (a.1 != ANY).cmp(&(b.1 != ANY)))
            .then_with(|| total(rb).cmp(&total(ra)))
            .then_with(|| a.1.to_lowercase().cmp(&b.1.to_lowercase()))
    });
    Ok(AdverseEventsOutput {
        by_label,
        groups,
        rows: rows
            .into_iter()
            .map(|((t, term), cells)| {
                let kind = t.map(|i| TreatmentType::ALL[i]);
                AeRowOut {
                    treatment: kind.map(|k| k.code().to_string()),
                    treatment_label: match kind {
                        Some(k) => capitalise(k.label()),
                        None if req.by_treatment => "Not attributed".into(),
                        None => "All treatments".into(),
                    },
                    term,
                    cells,
                }
            })
            .collect(),
        invalid_grades: invalid,
    })
}

/// The adverse-event table (registered as `adverse_events`).
pub struct AdverseEvents;

impl Analysis for AdverseEvents {
    const NAME: &'static str = "adverse_events";
    const DESCRIPTION: &'static str = "Adverse events: patients by worst CTCAE grade (1-2, 3-4, 5) per \
         term and treatment, by group";
    type Request = AdverseEventsRequest;
    type Output = AdverseEventsOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        run(cohort, request)
    }
}
