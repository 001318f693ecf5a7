//! The analysis set: the cohort's courses, their variables, and endpoints
//! and lines derived once and shared by every table and figure.
//!
//! Endpoints and lines come from `netra_clinical` (`endpoints::derive_cohort`,
//! `endpoints::line_outcomes_with`, `sequences::analyse`) with the default
//! line rules: this crate arranges their results and never derives an
//! endpoint itself.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use netra_clinical::endpoints::{Censoring, EndpointSpec, derive_cohort, line_outcomes_with};
use netra_clinical::lines::{LineRules, PatientLines};
use netra_clinical::registry::model::PatientCourse;

use crate::StudyError;
use crate::spec::{EndpointDef, Study};
use crate::vars::{self, Column, Frame, Variable};

/// One endpoint's times, aligned with the cohort.
#[derive(Debug, Clone)]
pub struct EndpointData {
    /// Time per patient (`None`: no row — no time zero, e.g. no line k).
    pub time: Vec<Option<f64>>,
    /// Event per patient (false when censored or without a row).
    pub event: Vec<bool>,
    /// Patients without a row.
    pub without_row: usize,
    /// Dates imputed over the rows.
    pub imputed_dates: u64,
}

impl EndpointData {
    /// Indices of patients with a row.
    pub fn rows(&self) -> Vec<usize> {
        (0..self.time.len())
            .filter(|&i| self.time[i].is_some())
            .collect()
    }
}

/// How the cohort was selected (for the report's first paragraph).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Patients read from the registry (after the study filter).
    pub read: usize,
    /// Left out because flagged `excluded`.
    pub flagged: usize,
    /// Left out by each cohort condition, in order (condition, count).
    pub by_condition: Vec<(String, usize)>,
    /// Patients analysed.
    pub analysed: usize,
}

/// A grouping of the cohort.
#[derive(Debug, Clone)]
pub struct Grouping {
    /// Printed name of the variable.
    pub label: String,
    /// Printed level names.
    pub levels: Vec<String>,
    /// Per patient (`None`: not in a compared group).
    pub codes: Vec<Option<usize>>,
}

/// The analysis set.
pub struct Context<'s> {
    /// The plan.
    pub study: &'s Study,
    /// Courses of the analysed patients, aligned with `frame`.
    pub courses: Vec<PatientCourse>,
    /// Variables.
    pub frame: Frame,
    /// How the cohort was selected.
    pub selection: Selection,
    /// Line rules (the documented defaults).
    pub rules: LineRules,
    lines: RefCell<HashMap<&'static str, Rc<Vec<PatientLines>>>>,
    endpoints: RefCell<HashMap<(String, u32), Rc<EndpointData>>>,
}

/// Every registry variable name.
fn registry_names() -> Vec<String> {
    let mut names: Vec<String> = vars::BASE.iter().map(|v| v.name.to_string()).collect();
    names.extend(vars::marker_codes().iter().map(|m| format!("marker.{m}")));
    names.extend(
        vars::received_codes()
            .iter()
            .map(|t| format!("received.{t}")),
    );
    names
}

impl<'s> Context<'s> {
    /// Selects the cohort and computes its variables.
    pub fn new(study: &'s Study, courses: Vec<PatientCourse>) -> Result<Context<'s>, StudyError> {
        let mut selection = Selection {
            read: courses.len(),
            ..Selection::default()
        };
        let courses: Vec<PatientCourse> = if study.include_excluded {
            courses
        } else {
            let before = courses.len();
            let kept: Vec<PatientCourse> = courses
                .into_iter()
                .filter(|c| c.patient.excluded != Some(true))
                .collect();
            selection.flagged = before - kept.len();
            kept
        };
        let mut frame = frame_of(study, &courses)?;
        // Cohort conditions, in order.
        let mut keep: Vec<usize> = (0..frame.len()).collect();
        for c in &study.cohort {
            let hit = frame
                .eval(c)
                .map_err(|m| StudyError::analysis("cohort", m))?;
            let before = keep.len();
            keep.retain(|&i| hit[i]);
            selection
                .by_condition
                .push((c.text.clone(), before - keep.len()));
        }
        // The analysed patients' variables are recomputed on them alone, so
        // that registry variables list only the levels present among them.
        let courses: Vec<PatientCourse> = if keep.len() == courses.len() {
            courses
        } else {
            let mut wanted = vec![false; courses.len()];
            for &i in &keep {
                wanted[i] = true;
            }
            let kept: Vec<PatientCourse> = courses
                .into_iter()
                .zip(wanted)
                .filter_map(|(c, w)| w.then_some(c))
                .collect();
            frame = frame_of(study, &kept)?;
            kept
        };
        selection.analysed = courses.len();
        if courses.is_empty() {
            return Err(StudyError::analysis(
                "cohort",
                "no patient is left to analyse (check [data] study and [cohort] where)",
            ));
        }
        Ok(Context {
            study,
            courses,
            frame,
            selection,
            rules: LineRules::default(),
            lines: RefCell::new(HashMap::new()),
            endpoints: RefCell::new(HashMap::new()),
        })
    }

    /// A variable of the frame.
    pub fn variable(&self, name: &str) -> Result<&Variable, StudyError> {
        self.frame
            .get(name)
            .ok_or_else(|| StudyError::analysis("variable", format!("unknown variable '{name}'")))
    }

    /// The lines of every patient, derived once per censoring rule.
    pub fn lines(&self, censoring: Censoring) -> Rc<Vec<PatientLines>> {
        let key = censoring.code();
        if let Some(l) = self.lines.borrow().get(key) {
            return Rc::clone(l);
        }
        let lines: Vec<PatientLines> = self
            .courses
            .iter()
            .map(|c| line_outcomes_with(c, &self.rules, censoring))
            .collect();
        let lines = Rc::new(lines);
        self.lines.borrow_mut().insert(key, Rc::clone(&lines));
        lines
    }

    /// An endpoint's data (for a per-line endpoint, of line `line`).
    pub fn endpoint(
        &self,
        def: &EndpointDef,
        line: Option<u32>,
    ) -> Result<Rc<EndpointData>, StudyError> {
        let key = (def.name.clone(), line.unwrap_or(0));
        if let Some(d) = self.endpoints.borrow().get(&key) {
            return Ok(Rc::clone(d));
        }
        if def.per_line() && line.is_none() {
            return Err(StudyError::analysis(
                format!("endpoint '{}'", def.name),
                "measured from each line: a line is needed",
            ));
        }
        let data = Rc::new(self.derive(&def.spec, line));
        self.endpoints.borrow_mut().insert(key, Rc::clone(&data));
        Ok(data)
    }

    /// Endpoint rows of a spec (line `line` for `line:all`), aligned.
    pub fn derive(&self, spec: &EndpointSpec, line: Option<u32>) -> EndpointData {
        let rows = derive_cohort(&self.courses, spec, &self.rules);
        let index: HashMap<&str, usize> = self
            .frame
            .patients
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i))
            .collect();
        let n = self.frame.len();
        let mut time = vec![None; n];
        let mut event = vec![false; n];
        let mut imputed = 0;
        for r in &rows.rows {
            if line.is_some() && r.line != line {
                continue;
            }
            if let Some(&i) = index.get(r.patient.as_str())
                && time[i].is_none()
                && r.time.is_finite()
            {
                time[i] = Some(r.time);
                event[i] = r.event;
                imputed += u64::from(r.imputed_dates);
            }
        }
        EndpointData {
            without_row: time.iter().filter(|t| t.is_none()).count(),
            time,
            event,
            imputed_dates: imputed,
        }
    }

    /// The endpoint named `name`.
    pub fn endpoint_def(&self, name: &str) -> Result<&'s EndpointDef, StudyError> {
        self.study
            .endpoint(name)
            .ok_or_else(|| StudyError::analysis("endpoint", format!("no endpoint '{name}'")))
    }

    /// A categorical variable as levels and codes.
    pub fn categories(&self, name: &str) -> Result<Grouping, StudyError> {
        let v = self.variable(name)?;
        match &v.column {
            Column::Cat { levels, codes } => Ok(Grouping {
                label: v.label.clone(),
                levels: levels.iter().map(|l| l.label.clone()).collect(),
                codes: codes.clone(),
            }),
            Column::Num(_) => Err(StudyError::analysis(
                format!("variable '{name}'"),
                "is a number; a categorical variable is needed",
            )),
        }
    }

    /// The comparison groups: `by`, else the study's `[groups]`.
    pub fn grouping(&self, by: Option<&str>) -> Result<Grouping, StudyError> {
        if let Some(b) = by {
            return self.categories(b);
        }
        let g = self
            .study
            .groups
            .as_ref()
            .ok_or_else(|| StudyError::analysis("groups", "no `by` and no [groups] section"))?;
        let v = self.variable(&g.variable)?;
        let Column::Cat { levels, codes } = &v.column else {
            return Err(StudyError::analysis(
                "[groups]",
                format!("'{}' is not categorical", g.variable),
            ));
        };
        let label = g.label.clone().unwrap_or_else(|| v.label.clone());
        let Some(wanted) = &g.levels else {
            let mut all = self.categories(&g.variable)?;
            all.label = label;
            return Ok(all);
        };
        // Map each registry level to its position among the wanted levels.
        let mut map = vec![None; levels.len()];
        for (k, w) in wanted.iter().enumerate() {
            match levels.iter().position(|l| l.matches(w)) {
                Some(i) => map[i] = Some(k),
                None => {
                    return Err(StudyError::analysis(
                        "[groups]",
                        format!(
                            "level '{w}' of '{}' has no patient (levels: {})",
                            g.variable,
                            levels
                                .iter()
                                .map(|l| l.code.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
        let labels = match &g.labels {
            Some(l) => l.clone(),
            None => wanted
                .iter()
                .map(|w| {
                    levels
                        .iter()
                        .find(|l| l.matches(w))
                        .map_or_else(|| w.clone(), |l| l.label.clone())
                })
                .collect(),
        };
        Ok(Grouping {
            label,
            levels: labels,
            codes: codes.iter().map(|c| c.and_then(|c| map[c])).collect(),
        })
    }
}

/// Every registry variable and every derived variable of the study.
fn frame_of(study: &Study, courses: &[PatientCourse]) -> Result<Frame, StudyError> {
    let mut frame = Frame::new(courses.iter().map(|c| c.patient.code.clone()).collect());
    for name in registry_names() {
        if let Some(v) = vars::registry_variable(&name, courses) {
            frame.insert(v);
        }
    }
    for def in &study.variables {
        let v = vars::derive(def, &frame, courses)?;
        frame.insert(v);
    }
    Ok(frame)
}
