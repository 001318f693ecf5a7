//! The cohort: the analysed patients with their derived facts — variables
//! from the dictionary and the cohort's derived variables, and endpoints
//! and lines derived once (per rule set) and shared by every analysis.
//!
//! Endpoints and lines come from `netra_clinical` (`endpoints::derive_cohort`,
//! `endpoints::line_outcomes_with`) with the cohort's [`Settings`]: this
//! crate arranges their results and never derives an endpoint itself.
//!
//! A cohort is built from registry courses ([`Cohort::new`]); the CLI's CSV
//! commands build their data from a flat file (`crate::data`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use netra_clinical::endpoints::{
    Censoring, EndpointSpec, TimeZero, derive_cohort, line_outcomes_with,
};
use netra_clinical::lines::PatientLines;
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::vocab::Vocabulary;
use netra_clinical::response::Category;

use crate::AnalysisError;
use crate::condition::Expr;
use crate::facts::{FactsLayout, Raw, SharedFacts};
use crate::settings::Settings;
use crate::variables::{self, Column, DerivedVariable, Frame, Level, Variable};

/// One endpoint's times, aligned with the cohort.
#[derive(Debug, Clone)]
pub struct EndpointData {
    /// Time per patient (`None`: no row — no time zero, e.g. no line k).
    pub time: Vec<Option<f64>>,
    /// Event per patient (false when censored or without a row).
    pub event: Vec<bool>,
    /// Dates imputed for each patient's row (0 without a row).
    pub imputed: Vec<u8>,
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

/// How the cohort was selected (for a report's first paragraph).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Patients read from the registry (after any site or study filter).
    pub read: usize,
    /// Left out because flagged `excluded`.
    pub flagged: usize,
    /// Left out by each cohort condition, in order (condition, count).
    pub by_condition: Vec<(String, usize)>,
    /// Patients analysed.
    pub analysed: usize,
}

/// Which patients are analysed and which variables a study adds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CohortSpec {
    /// Keep patients flagged `excluded` from the study's analyses.
    pub include_excluded: bool,
    /// Conditions every analysed patient meets, applied in order (each
    /// may combine comparisons with `and`/`or`/`not`).
    pub conditions: Vec<Expr>,
    /// Derived variables, in order (each may use the ones before).
    pub derived: Vec<DerivedVariable>,
}

/// A grouping of the cohort: printed name, level labels, each patient's
/// level (`None`: not in a compared group).
#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    /// Printed name of the variable.
    pub label: String,
    /// Printed level names.
    pub levels: Vec<String>,
    /// Per patient.
    pub codes: Vec<Option<usize>>,
}

/// The analysed patients.
pub struct Cohort {
    /// Courses of the analysed patients, aligned with `frame`.
    pub courses: Vec<PatientCourse>,
    /// Variables.
    pub frame: Frame,
    /// How the cohort was selected.
    pub selection: Selection,
    /// Line rules, endpoint defaults, response criteria, small-cell rule.
    pub settings: Settings,
    facts: Option<FactsSource>,
    lines: RefCell<HashMap<&'static str, Rc<Vec<PatientLines>>>>,
    endpoints: RefCell<HashMap<String, Rc<EndpointData>>>,
}

/// A cohort built from patient facts: the facts and what they hold.
struct FactsSource {
    layout: FactsLayout,
    facts: Vec<SharedFacts>,
}

/// Every registry variable name of the dictionary.
pub fn registry_names() -> Vec<String> {
    let mut names: Vec<String> = variables::BASE.iter().map(|v| v.name.to_string()).collect();
    names.extend(
        variables::marker_codes()
            .iter()
            .map(|m| format!("marker.{m}")),
    );
    names.extend(
        variables::received_codes()
            .iter()
            .map(|t| format!("received.{t}")),
    );
    names.extend(
        variables::surgery_codes()
            .iter()
            .map(|t| format!("surgery.{t}")),
    );
    names.extend(variables::concepts::concept_names());
    names.extend(variables::markers::names());
    names.extend(variables::outcomes::names());
    names
}

impl Cohort {
    /// Selects the cohort from `courses` and computes its variables.
    pub fn new(
        courses: Vec<PatientCourse>,
        spec: &CohortSpec,
        settings: Settings,
    ) -> Result<Cohort, AnalysisError> {
        let mut selection = Selection {
            read: courses.len(),
            ..Selection::default()
        };
        let courses: Vec<PatientCourse> = if spec.include_excluded {
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
        let mut frame = frame_of(spec, &courses, &settings)?;
        let keep = apply_conditions(&frame, spec, &mut selection)?;
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
            frame = frame_of(spec, &kept, &settings)?;
            kept
        };
        selection.analysed = courses.len();
        Ok(Cohort {
            courses,
            frame,
            selection,
            settings,
            facts: None,
            lines: RefCell::new(HashMap::new()),
            endpoints: RefCell::new(HashMap::new()),
        })
    }

    /// Selects a cohort from patient facts (see [`crate::facts`]): the
    /// same selection rules as [`Cohort::new`]; only the layout's
    /// variables and endpoints are available.
    pub fn from_facts(
        facts: Vec<SharedFacts>,
        layout: &FactsLayout,
        spec: &CohortSpec,
    ) -> Result<Cohort, AnalysisError> {
        let mut selection = Selection {
            read: facts.len(),
            ..Selection::default()
        };
        let before = facts.len();
        let facts: Vec<SharedFacts> = facts
            .into_iter()
            .filter(|f| spec.include_excluded || !f.excluded)
            .collect();
        selection.flagged = before - facts.len();
        let mut frame = frame_of_facts(spec, &facts, layout)?;
        let keep = apply_conditions(&frame, spec, &mut selection)?;
        let facts: Vec<SharedFacts> = if keep.len() == facts.len() {
            facts
        } else {
            let kept: Vec<SharedFacts> = keep.iter().map(|&i| facts[i].clone()).collect();
            frame = frame_of_facts(spec, &kept, layout)?;
            kept
        };
        selection.analysed = facts.len();
        Ok(Cohort {
            courses: Vec::new(),
            frame,
            selection,
            settings: layout.settings.clone(),
            facts: Some(FactsSource {
                layout: layout.clone(),
                facts,
            }),
            lines: RefCell::new(HashMap::new()),
            endpoints: RefCell::new(HashMap::new()),
        })
    }

    /// Number of analysed patients.
    pub fn len(&self) -> usize {
        self.frame.len()
    }

    /// True without patients.
    pub fn is_empty(&self) -> bool {
        self.frame.is_empty()
    }

    /// True when built from the patients' courses ([`Cohort::new`]): every
    /// endpoint, line and variable can be derived. A cohort of patient
    /// facts holds only its layout's.
    pub fn has_courses(&self) -> bool {
        self.facts.is_none()
    }

    /// The evaluable best response of line `k` per patient (`None`: no
    /// line `k`, or not evaluable — `Evaluation::evaluable`, the one rule
    /// of every response rate).
    pub fn line_responses(&self, k: u32) -> Result<Vec<Option<Category>>, AnalysisError> {
        if let Some(src) = &self.facts {
            if k == 0 || k > src.layout.lines_kept {
                return Err(AnalysisError::invalid(
                    "line",
                    format!(
                        "responses are kept for lines 1 to {}",
                        src.layout.lines_kept
                    ),
                ));
            }
            return Ok(src
                .facts
                .iter()
                .map(|f| f.line_best[(k - 1) as usize])
                .collect());
        }
        let lines = self.lines(Censoring::default());
        Ok(lines
            .iter()
            .map(|p| {
                p.line(k)
                    .filter(|l| l.evaluation.evaluable())
                    .and_then(|l| l.evaluation.best)
            })
            .collect())
    }

    /// A variable of the frame.
    pub fn variable(&self, name: &str) -> Result<&Variable, AnalysisError> {
        self.frame.get(name).ok_or_else(|| unknown_variable(name))
    }

    /// The lines of every patient, derived once per censoring rule with the
    /// cohort's line rules.
    pub fn lines(&self, censoring: Censoring) -> Rc<Vec<PatientLines>> {
        let key = censoring.code();
        if let Some(l) = self.lines.borrow().get(key) {
            return Rc::clone(l);
        }
        let rules = &self.settings.line_rules;
        let lines: Vec<PatientLines> = netra_clinical::endpoints::par_map(&self.courses, |c| {
            line_outcomes_with(c, rules, censoring)
        });
        let lines = Rc::new(lines);
        self.lines.borrow_mut().insert(key, Rc::clone(&lines));
        lines
    }

    /// An endpoint's data (for a per-line time zero, the rows of line
    /// `line`), derived once per spec and line.
    pub fn endpoint(
        &self,
        spec: &EndpointSpec,
        line: Option<u32>,
    ) -> Result<Rc<EndpointData>, AnalysisError> {
        let key = format!("{spec:?}|{line:?}");
        if let Some(d) = self.endpoints.borrow().get(&key) {
            return Ok(Rc::clone(d));
        }
        if spec.from == TimeZero::EachLine && line.is_none() {
            return Err(AnalysisError::invalid(
                format!("endpoint {}", spec.endpoint.code()),
                "measured from each line: a line is needed",
            ));
        }
        let data = match &self.facts {
            Some(src) => Rc::new(endpoint_of_facts(src, spec, line)?),
            None => Rc::new(self.derive(spec, line)),
        };
        self.endpoints.borrow_mut().insert(key, Rc::clone(&data));
        Ok(data)
    }

    fn derive(&self, spec: &EndpointSpec, line: Option<u32>) -> EndpointData {
        let rows = derive_cohort(&self.courses, spec, &self.settings.line_rules);
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
        let mut per = vec![0u8; n];
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
                per[i] = r.imputed_dates.min(255) as u8;
                imputed += u64::from(r.imputed_dates);
            }
        }
        EndpointData {
            without_row: time.iter().filter(|t| t.is_none()).count(),
            time,
            event,
            imputed: per,
            imputed_dates: imputed,
        }
    }

    /// A categorical variable as a grouping (every level).
    pub fn categories(&self, name: &str) -> Result<Grouping, AnalysisError> {
        let v = self.variable(name)?;
        match &v.column {
            Column::Cat { levels, codes } => Ok(Grouping {
                label: v.label.clone(),
                levels: levels.iter().map(|l| l.label.clone()).collect(),
                codes: codes.clone(),
            }),
            Column::Num(_) => Err(AnalysisError::invalid(
                format!("variable '{name}'"),
                "is a number; a categorical variable is needed (derive bands with cut points)",
            )),
        }
    }

    /// A grouping by `name` restricted to (and ordered as) `wanted` levels
    /// — codes or labels — printed as `labels` when given.
    pub fn grouping_of(
        &self,
        name: &str,
        label: Option<&str>,
        wanted: Option<&[String]>,
        labels: Option<&[String]>,
    ) -> Result<Grouping, AnalysisError> {
        let v = self.variable(name)?;
        let Column::Cat { levels, codes } = &v.column else {
            return Err(AnalysisError::invalid(
                format!("variable '{name}'"),
                "is not categorical",
            ));
        };
        let label = label.map_or_else(|| v.label.clone(), str::to_string);
        let Some(wanted) = wanted else {
            let mut all = self.categories(name)?;
            all.label = label;
            return Ok(all);
        };
        let mut map = vec![None; levels.len()];
        for (k, w) in wanted.iter().enumerate() {
            match levels.iter().position(|l| l.matches(w)) {
                Some(i) => map[i] = Some(k),
                None => {
                    return Err(AnalysisError::invalid(
                        format!("groups of '{name}'"),
                        format!(
                            "level '{w}' has no patient (levels: {})",
                            level_codes(levels)
                        ),
                    ));
                }
            }
        }
        let printed = match labels {
            Some(l) => l.to_vec(),
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
            levels: printed,
            codes: codes.iter().map(|c| c.and_then(|c| map[c])).collect(),
        })
    }
}

/// The patients (frame rows) meeting every condition of `spec`, applied in
/// order; how many each condition left out goes into `selection`.
fn apply_conditions(
    frame: &Frame,
    spec: &CohortSpec,
    selection: &mut Selection,
) -> Result<Vec<usize>, AnalysisError> {
    let mut keep: Vec<usize> = (0..frame.len()).collect();
    for c in &spec.conditions {
        let hit = frame
            .eval_expr(c)
            .map_err(|m| AnalysisError::invalid("cohort", m))?;
        let before = keep.len();
        keep.retain(|&i| hit[i]);
        selection.by_condition.push((c.text(), before - keep.len()));
    }
    Ok(keep)
}

/// An endpoint of the facts' menu.
fn endpoint_of_facts(
    src: &FactsSource,
    spec: &EndpointSpec,
    line: Option<u32>,
) -> Result<EndpointData, AnalysisError> {
    let pos = src
        .layout
        .menu
        .iter()
        .position(|m| m == spec && line.is_none())
        .ok_or_else(|| {
            AnalysisError::invalid(
                format!("{} from {}", spec.endpoint.code(), spec.from.code()),
                "is not among the endpoints offered here",
            )
        })?;
    let rows: Vec<Option<crate::facts::Time>> =
        src.facts.iter().map(|f| f.endpoints[pos]).collect();
    Ok(EndpointData {
        time: rows.iter().map(|r| r.map(|t| t.time)).collect(),
        event: rows.iter().map(|r| r.is_some_and(|t| t.event)).collect(),
        imputed: rows.iter().map(|r| r.map_or(0, |t| t.imputed)).collect(),
        without_row: rows.iter().filter(|r| r.is_none()).count(),
        imputed_dates: rows
            .iter()
            .map(|r| r.map_or(0, |t| u64::from(t.imputed)))
            .sum(),
    })
}

/// The frame of a facts cohort: the layout's variables, levels as a
/// courses cohort would have them (vocabulary order, free text in R's
/// order, only levels present).
fn frame_of_facts(
    spec: &CohortSpec,
    facts: &[SharedFacts],
    layout: &FactsLayout,
) -> Result<Frame, AnalysisError> {
    let mut frame = Frame::new(facts.iter().map(|f| f.code.clone()).collect());
    for (j, name) in layout.variables.iter().enumerate() {
        let values: Vec<Option<&Raw>> = facts.iter().map(|f| f.values[j].as_ref()).collect();
        let column = match crate::facts::levels_of(name, &layout.settings) {
            Some(levels) => Column::Cat {
                levels,
                codes: values
                    .iter()
                    .map(|v| match v {
                        Some(Raw::Level(l)) => Some(usize::from(*l)),
                        _ => None,
                    })
                    .collect(),
            },
            // Text variables are categorical by the dictionary, also when
            // no patient has a value (a registry without study arms).
            None if variables::base_kind(name) == Some(true)
                || values.iter().any(|v| matches!(v, Some(Raw::Text(_)))) =>
            {
                variables::text_column(
                    values
                        .iter()
                        .map(|v| match v {
                            Some(Raw::Text(t)) => Some(t.to_string()),
                            _ => None,
                        })
                        .collect(),
                )
            }
            None => Column::Num(
                values
                    .iter()
                    .map(|v| match v {
                        Some(Raw::Num(x)) => Some(*x),
                        _ => None,
                    })
                    .collect(),
            ),
        };
        frame.insert(Variable {
            name: name.clone(),
            label: variables::label_of(name),
            column: column.drop_empty_levels(),
        });
    }
    for def in &spec.derived {
        let v = variables::derive(def, &frame, &[])?;
        frame.insert(v);
    }
    Ok(frame)
}

fn level_codes(levels: &[Level]) -> String {
    levels
        .iter()
        .map(|l| l.code.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error for a name that is not a variable (retired names say what
/// replaced them).
pub fn unknown_variable(name: &str) -> AnalysisError {
    if let Some((_, msg)) = variables::RETIRED.iter().find(|(n, _)| *n == name) {
        return AnalysisError::invalid("variable", *msg);
    }
    AnalysisError::invalid("variable", format!("unknown variable '{name}'"))
}

/// Every registry variable, the line variables, and every derived variable.
fn frame_of(
    spec: &CohortSpec,
    courses: &[PatientCourse],
    settings: &Settings,
) -> Result<Frame, AnalysisError> {
    let mut frame = Frame::new(courses.iter().map(|c| c.patient.code.clone()).collect());
    for name in registry_names() {
        if let Some(v) = variables::registry_variable(&name, courses) {
            frame.insert(v);
        }
    }
    let (mut flc, mut flr, best) = first_line_of(courses, settings);
    flc.column = flc.column.drop_empty_levels();
    frame.insert(flc);
    flr.column = flr.column.drop_empty_levels();
    frame.insert(flr);
    for mut v in best {
        v.column = v.column.drop_empty_levels();
        frame.insert(v);
    }
    for def in &spec.derived {
        let v = variables::derive(def, &frame, courses)?;
        frame.insert(v);
    }
    Ok(frame)
}

/// The level of `first_line_class` (position in `TreatmentClass::ALL`) of
/// a patient's derived lines.
pub(crate) fn first_line_level(lines: &PatientLines) -> Option<usize> {
    use netra_clinical::registry::vocab::TreatmentClass;
    let class = lines.lines.first()?.class;
    TreatmentClass::ALL.iter().position(|x| *x == class)
}

/// `first_line_class` and `first_line_regimen`: the treatment class and
/// the regimen (agents joined by `+`) of line 1, and the best responses
/// `best_response.lineK` (lines derived once, with the cohort's rules).
pub(crate) fn first_line_of(
    courses: &[PatientCourse],
    settings: &Settings,
) -> (Variable, Variable, Vec<Variable>) {
    use netra_clinical::registry::vocab::TreatmentClass;
    let rules = &settings.line_rules;
    let derived: Vec<PatientLines> = netra_clinical::endpoints::par_map(courses, |c| {
        netra_clinical::lines::derive_lines(c, rules)
    });
    let best = variables::outcomes::best_response_variables(&derived);
    let firsts: Vec<(Option<usize>, Option<String>)> = derived
        .iter()
        .map(|lines| {
            (
                first_line_level(lines),
                lines.lines.first().map(|l| l.label()),
            )
        })
        .collect();
    let levels: Vec<Level> = TreatmentClass::ALL
        .iter()
        .map(|v| Level {
            code: v.code().to_string(),
            label: variables::capitalise(v.label()),
        })
        .collect();
    let (codes, regimens): (Vec<_>, Vec<_>) = firsts.into_iter().unzip();
    (
        Variable {
            name: "first_line_class".into(),
            label: "First-line treatment class".into(),
            column: Column::Cat { levels, codes },
        },
        Variable {
            name: "first_line_regimen".into(),
            label: variables::label_of("first_line_regimen"),
            column: variables::text_column(regimens),
        },
        best,
    )
}
