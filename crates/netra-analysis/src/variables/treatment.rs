//! Treatment variables placed in time: the modality after the metastatic
//! diagnosis, the first treatment after it, the kind of surgery, and a
//! study's time-windowed exposures ("received X within N months of time
//! zero, with palliative intent").
//!
//! A treatment is placed by its start date (registry rule `mid_point`).
//! A treatment without a start date cannot be placed: when it could
//! change a patient's value, the value is missing rather than guessed.

use netra_clinical::endpoints::TimeZero;
use netra_clinical::registry::model::{PatientCourse, Treatment};
use netra_clinical::registry::vocab::{
    Intent, SurgeryType, TreatmentClass, TreatmentType, Vocabulary,
};

use super::frame::{Column, Level};
use super::registry::{capitalise, day};

/// Days per month (as the derived intervals).
const MONTH: f64 = 30.4375;

/// The treatments that count as systemic or local in modality and
/// patterns (supportive and other treatments count as neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Somatostatin analogue, interferon, chemotherapy, targeted,
    /// radionuclide.
    Systemic,
    /// Surgery, ablation, embolisation, radiotherapy, endoscopic resection.
    Local,
}

/// Whether a treatment is systemic, local or neither.
pub fn kind_of(t: &Treatment) -> Option<Kind> {
    if t.kind.is_systemic() {
        Some(Kind::Systemic)
    } else if t.class() == TreatmentClass::Local {
        Some(Kind::Local)
    } else {
        None
    }
}

/// A treatment's start day (`None`: undated).
pub fn start_day(t: &Treatment) -> Option<i32> {
    day(&t.start_date)
}

/// The patient's metastatic (or recurrent) diagnosis day.
pub fn metastatic_day(c: &PatientCourse) -> Option<i32> {
    day(&c.patient.metastatic_date)
}

/// Systemic or local treatments started on or after the metastatic
/// diagnosis, in start order; `None` when there is no metastatic date or
/// an undated systemic or local treatment could belong there.
pub fn after_metastatic(c: &PatientCourse) -> Option<Vec<&Treatment>> {
    let m = metastatic_day(c)?;
    let mut out = Vec::new();
    for t in c.treatments.iter().filter(|t| kind_of(t).is_some()) {
        match start_day(t) {
            None => return None,
            Some(d) if d >= m => out.push(t),
            Some(_) => {}
        }
    }
    out.sort_by_key(|t| start_day(t));
    Some(out)
}

fn levels(pairs: &[(&str, &str)]) -> Vec<Level> {
    pairs
        .iter()
        .map(|(c, l)| Level {
            code: (*c).into(),
            label: (*l).into(),
        })
        .collect()
}

/// The modality levels, in the order papers print them.
pub const MODALITY: [(&str, &str); 4] = [
    ("local_only", "Local only"),
    ("systemic_only", "Systemic only"),
    ("both", "Local and systemic"),
    ("none", "Neither"),
];

/// `modality`: local only, systemic only, both, or neither, counting the
/// treatments started on or after the metastatic diagnosis (so curative
/// surgery before metastases does not count).
fn modality(c: &PatientCourse) -> Option<usize> {
    let ts = after_metastatic(c)?;
    let local = ts.iter().any(|t| kind_of(t) == Some(Kind::Local));
    let systemic = ts.iter().any(|t| kind_of(t) == Some(Kind::Systemic));
    Some(match (local, systemic) {
        (true, false) => 0,
        (false, true) => 1,
        (true, true) => 2,
        (false, false) => 3,
    })
}

/// `first_treatment`: the class of the first systemic or local treatment
/// after the metastatic diagnosis (ties: systemic first, as lines are
/// counted); the last level is "none".
fn first_treatment(c: &PatientCourse) -> Option<usize> {
    let ts = after_metastatic(c)?;
    let first = ts
        .iter()
        .min_by_key(|t| (start_day(t), u8::from(kind_of(t) != Some(Kind::Systemic))));
    Some(match first {
        Some(t) => TreatmentClass::ALL
            .iter()
            .position(|x| *x == t.class())
            .unwrap_or(TreatmentClass::ALL.len()),
        None => TreatmentClass::ALL.len(),
    })
}

/// `surgery_type`: the kind of the patient's first surgery (dated before
/// undated); "none" without surgery; missing when its kind is not
/// recorded.
fn surgery_type(c: &PatientCourse) -> Option<usize> {
    let first = c
        .treatments
        .iter()
        .filter(|t| t.kind == TreatmentType::Surgery)
        .min_by_key(|t| (start_day(t).is_none(), start_day(t)));
    match first {
        None => Some(SurgeryType::ALL.len()),
        Some(t) => t
            .surgery_type
            .and_then(|s| SurgeryType::ALL.iter().position(|x| *x == s)),
    }
}

/// The column of a treatment variable, or `None` for another name.
pub(crate) fn treatment_column(name: &str, courses: &[PatientCourse]) -> Option<Column> {
    let cat = |levels: Vec<Level>, f: fn(&PatientCourse) -> Option<usize>| Column::Cat {
        levels,
        codes: courses.iter().map(f).collect(),
    };
    let vocab_and_none = |all: Vec<Level>, none: &str| {
        let mut l = all;
        l.push(Level {
            code: "none".into(),
            label: none.into(),
        });
        l
    };
    Some(match name {
        "modality" => cat(levels(&MODALITY), modality),
        "first_treatment" => cat(
            vocab_and_none(
                TreatmentClass::ALL.iter().map(vocab_level).collect(),
                "No treatment",
            ),
            first_treatment,
        ),
        "surgery_type" => cat(
            vocab_and_none(
                SurgeryType::ALL.iter().map(vocab_level).collect(),
                "No surgery",
            ),
            surgery_type,
        ),
        _ => {
            let code = name.strip_prefix("surgery.")?;
            let s = SurgeryType::from_code(code).ok()?;
            Column::Cat {
                levels: levels(&[("no", "No"), ("yes", "Yes")]),
                codes: courses
                    .iter()
                    .map(|c| {
                        Some(usize::from(c.treatments.iter().any(|t| {
                            t.kind == TreatmentType::Surgery && t.surgery_type == Some(s)
                        })))
                    })
                    .collect(),
            }
        }
    })
}

fn vocab_level<V: Vocabulary>(v: &V) -> Level {
    Level {
        code: v.code().to_string(),
        label: capitalise(v.label()),
    }
}

/// When, relative to time zero, a treatment must start to count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    /// Strictly before time zero.
    Before,
    /// On or after time zero.
    After,
    /// From time zero to N months after it (both ends included).
    Within(f64),
}

/// Which intents count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentGroup {
    /// Curative, adjuvant, neoadjuvant.
    Curative,
    /// Palliative (disease control) and symptom control.
    Palliative,
}

impl IntentGroup {
    /// Reads `curative` or `palliative`.
    pub fn from_code(s: &str) -> Option<IntentGroup> {
        match s {
            "curative" => Some(IntentGroup::Curative),
            "palliative" => Some(IntentGroup::Palliative),
            _ => None,
        }
    }

    fn holds(self, i: Option<Intent>) -> bool {
        match self {
            IntentGroup::Curative => matches!(
                i,
                Some(Intent::Curative | Intent::Adjuvant | Intent::Neoadjuvant)
            ),
            IntentGroup::Palliative => {
                matches!(i, Some(Intent::Palliative | Intent::SymptomControl))
            }
        }
    }
}

/// A time-windowed exposure: yes when a matching treatment starts in the
/// window of time zero.
#[derive(Debug, Clone, PartialEq)]
pub struct Exposure {
    /// A treatment type or class code, or `systemic`.
    pub treatment: String,
    /// The window.
    pub window: Window,
    /// Time zero: `diagnosis`, `metastatic` or `entry`.
    pub time_zero: TimeZero,
    /// Only treatments of this intent (`None`: any).
    pub intent: Option<IntentGroup>,
}

/// True when `code` names treatments an exposure can select.
pub fn exposure_code_known(code: &str) -> bool {
    code == "systemic"
        || TreatmentType::from_code(code).is_ok()
        || TreatmentClass::from_code(code).is_ok()
}

/// True for the time zeros an exposure window can start from.
pub fn exposure_time_zero_ok(z: TimeZero) -> bool {
    matches!(
        z,
        TimeZero::Diagnosis | TimeZero::Metastatic | TimeZero::Entry
    )
}

fn zero_day(c: &PatientCourse, z: TimeZero) -> Option<i32> {
    match z {
        TimeZero::Diagnosis => day(&c.patient.diagnosis_date),
        TimeZero::Metastatic => metastatic_day(c),
        TimeZero::Entry => day(&c.patient.entry_date),
        _ => None,
    }
}

/// The exposure per patient: `Some(true)` when a matching treatment starts
/// in the window, `Some(false)` when none does, `None` without time zero
/// or when only an undated matching treatment could decide.
pub fn exposed(c: &PatientCourse, e: &Exposure) -> Option<bool> {
    let ty = TreatmentType::from_code(&e.treatment).ok();
    let class = TreatmentClass::from_code(&e.treatment).ok();
    let systemic = e.treatment == "systemic";
    let zero = zero_day(c, e.time_zero)?;
    let mut undated = false;
    for t in &c.treatments {
        let selected =
            Some(t.kind) == ty || Some(t.class()) == class || (systemic && t.kind.is_systemic());
        if !selected || !e.intent.is_none_or(|i| i.holds(t.intent)) {
            continue;
        }
        let Some(d) = start_day(t) else {
            undated = true;
            continue;
        };
        let offset = f64::from(d - zero);
        let inside = match e.window {
            Window::Before => offset < 0.0,
            Window::After => offset >= 0.0,
            Window::Within(m) => offset >= 0.0 && offset <= m * MONTH,
        };
        if inside {
            return Some(true);
        }
    }
    if undated { None } else { Some(false) }
}

/// The exposure as a yes/no column.
pub fn exposure_column(courses: &[PatientCourse], e: &Exposure) -> Column {
    Column::Cat {
        levels: levels(&[("no", "No"), ("yes", "Yes")]),
        codes: courses
            .iter()
            .map(|c| exposed(c, e).map(usize::from))
            .collect(),
    }
}
