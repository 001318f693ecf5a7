//! Patient facts for long-running surfaces: what the web application keeps
//! per patient instead of the whole course.
//!
//! Deriving lines and endpoints costs about 0.02 ms per patient and
//! endpoint, and loading every course of a 10⁵-patient registry takes
//! seconds, far too slow per request. A server therefore derives, once per
//! patient (and again only when the patient changes), the values of the
//! dictionary variables it offers, the endpoints of a fixed menu and the
//! evaluable best response of the first lines — with the same code a
//! cohort built from courses uses — and builds a [`Cohort`] from these
//! facts per request ([`Cohort::from_facts`]). Analyses cannot tell the
//! two cohorts apart, except that a facts cohort offers only the menu's
//! endpoints.

use std::sync::Arc;

use netra_clinical::endpoints::{EndpointSpec, derive_endpoint};
use netra_clinical::lines::{PatientLines, derive_lines};
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::response::Category;

use crate::cohort::{first_line_level, first_line_of};
use crate::settings::Settings;
use crate::variables::{self, Column};

/// One variable's value for one patient.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    /// A number.
    Num(f64),
    /// A level of a fixed vocabulary (position in the variable's levels).
    Level(u16),
    /// Free text (a site code, an arm label).
    Text(Box<str>),
}

/// One derived endpoint row: time in the spec's units, event, dates
/// imputed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Time {
    /// Time from time zero.
    pub time: f64,
    /// Event (true) or censored.
    pub event: bool,
    /// Dates imputed for this row.
    pub imputed: u8,
}

/// What the facts hold: which variables, which endpoints, how many lines.
#[derive(Debug, Clone)]
pub struct FactsLayout {
    /// Dictionary variable names (`first_line_class` included if wanted).
    pub variables: Vec<String>,
    /// The endpoint menu.
    pub menu: Vec<EndpointSpec>,
    /// Lines whose evaluable best response is kept.
    pub lines_kept: u32,
    /// The settings the facts are derived with.
    pub settings: Settings,
}

/// The facts of one patient.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientFacts {
    /// Patient code.
    pub code: String,
    /// Flagged excluded from the study's analyses.
    pub excluded: bool,
    /// One value per layout variable.
    pub values: Vec<Option<Raw>>,
    /// One row per menu endpoint (`None`: no time zero).
    pub endpoints: Vec<Option<Time>>,
    /// Evaluable best response of lines 1..=lines_kept (`None`: no such
    /// line, or not evaluable).
    pub line_best: Vec<Option<Category>>,
}

/// The value of a registry variable for one course, as [`Raw`]; `lines`
/// are the course's lines derived with `settings` (for `first_line_class`).
pub fn raw_value(
    name: &str,
    course: &PatientCourse,
    lines: &PatientLines,
    settings: &Settings,
) -> Option<Raw> {
    if name == "first_line_class" {
        return first_line_level(lines).map(|l| Raw::Level(l as u16));
    }
    if name == "first_line_regimen" {
        return lines
            .lines
            .first()
            .map(|l| Raw::Text(l.label().into_boxed_str()));
    }
    match variables::registry_column(name, std::slice::from_ref(course))? {
        Column::Num(v) => v[0].map(Raw::Num),
        Column::Cat { levels, codes } => {
            let code = codes[0]?;
            if levels_of(name, settings).is_some() {
                Some(Raw::Level(code as u16))
            } else {
                Some(Raw::Text(levels[code].label.clone().into_boxed_str()))
            }
        }
    }
}

impl PatientFacts {
    /// Derives a patient's facts.
    pub fn derive(course: &PatientCourse, layout: &FactsLayout) -> PatientFacts {
        let rules = &layout.settings.line_rules;
        let lines = derive_lines(course, rules);
        let endpoints = layout
            .menu
            .iter()
            .map(|spec| {
                derive_endpoint(course, &lines, spec, rules)
                    .rows
                    .first()
                    .filter(|r| r.time.is_finite())
                    .map(|r| Time {
                        time: r.time,
                        event: r.event,
                        imputed: r.imputed_dates.min(255) as u8,
                    })
            })
            .collect();
        let line_best = (1..=layout.lines_kept)
            .map(|k| {
                lines
                    .lines
                    .iter()
                    .find(|l| l.number == k)
                    .filter(|l| l.evaluation.evaluable())
                    .and_then(|l| l.evaluation.best)
            })
            .collect();
        PatientFacts {
            code: course.patient.code.clone(),
            excluded: course.patient.excluded == Some(true),
            values: layout
                .variables
                .iter()
                .map(|v| raw_value(v, course, &lines, &layout.settings))
                .collect(),
            endpoints,
            line_best,
        }
    }
}

/// Facts shared between requests.
pub type SharedFacts = Arc<PatientFacts>;

/// The fixed levels of a variable of the facts (vocabularies, yes/no, the
/// first line's class), or `None` for numbers and free text.
pub fn levels_of(name: &str, settings: &Settings) -> Option<Vec<variables::Level>> {
    if name == "first_line_class" {
        return match first_line_of(&[], settings).0.column {
            Column::Cat { levels, .. } => Some(levels),
            Column::Num(_) => None,
        };
    }
    variables::fixed_levels(name)
}
