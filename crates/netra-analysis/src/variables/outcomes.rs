//! Variables for study-defined outcomes: the pieces a composite outcome
//! ("therapy beneficial": clinical, biological, imaging and dose criteria
//! together) is built from with a `cases` variable and boolean conditions
//! (`docs/study-file.md`).
//!
//! * `best_response.lineK` (K = 1 … [`BEST_RESPONSE_LINES`]) — the
//!   evaluable best response of line K (CR, PR, MR, SD, non-CR/non-PD,
//!   PD; lines derived with the cohort's line rules: the response rates'
//!   one rule, `Cohort::line_responses`);
//! * `symptom_change` — improved, stable, worsened: at the earliest visit
//!   that records it;
//! * `radionuclide_administrations` — administrations of radionuclide
//!   therapy recorded (0 without radionuclide therapy);
//! * `radionuclide_activity_gbq` — their total activity (GBq), missing
//!   without radionuclide therapy.

use netra_clinical::lines::PatientLines;
use netra_clinical::registry::date::Imputation;
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::vocab::{SymptomChange, TreatmentType, Vocabulary};
use netra_clinical::response::Category;

use super::frame::{Column, Level, Variable};
use super::registry::capitalise;

/// Lines with a `best_response.lineK` variable.
pub const BEST_RESPONSE_LINES: u32 = 3;

/// The best-response variable names.
pub fn best_response_names() -> Vec<String> {
    (1..=BEST_RESPONSE_LINES)
        .map(|k| format!("best_response.line{k}"))
        .collect()
}

/// Names of the course variables of this module (not the line ones).
pub fn names() -> Vec<String> {
    vec![
        "symptom_change".into(),
        "radionuclide_administrations".into(),
        "radionuclide_activity_gbq".into(),
    ]
}

/// `Some(categorical)` for a name of this module.
pub fn kind(name: &str) -> Option<bool> {
    if best_response_names().iter().any(|n| n == name) || name == "symptom_change" {
        return Some(true);
    }
    names().iter().any(|n| n == name).then_some(false)
}

/// The printed name of a variable of this module.
pub fn label(name: &str) -> Option<String> {
    if let Some(k) = name.strip_prefix("best_response.line") {
        return best_response_names()
            .iter()
            .any(|n| n == name)
            .then(|| format!("Best response, line {k}"));
    }
    Some(
        match name {
            "symptom_change" => "Change of symptoms",
            "radionuclide_administrations" => "Radionuclide administrations",
            "radionuclide_activity_gbq" => "Administered activity (GBq)",
            _ => return None,
        }
        .to_string(),
    )
}

/// The best-response levels, best first (NE is not a best response of an
/// evaluable line).
fn response_levels() -> Vec<Level> {
    Category::BEST_FIRST
        .iter()
        .filter(|c| **c != Category::NE)
        .map(|c| Level {
            code: c.label().to_ascii_lowercase().replace('/', "_"),
            label: c.label().to_string(),
        })
        .collect()
}

/// `best_response.lineK` of every patient from their derived lines.
pub fn best_response_variables(lines: &[PatientLines]) -> Vec<Variable> {
    let levels = response_levels();
    (1..=BEST_RESPONSE_LINES)
        .map(|k| {
            let codes = lines
                .iter()
                .map(|p| {
                    let l = p.line(k)?;
                    let best = l.evaluation.evaluable().then_some(l.evaluation.best)??;
                    Category::BEST_FIRST
                        .iter()
                        .filter(|c| **c != Category::NE)
                        .position(|c| *c == best)
                })
                .collect();
            let name = format!("best_response.line{k}");
            Variable {
                label: label(&name).unwrap_or_default(),
                name,
                column: Column::Cat {
                    levels: levels.clone(),
                    codes,
                },
            }
        })
        .collect()
}

/// The column of a course variable of this module (`None`: not one).
pub fn column(name: &str, courses: &[PatientCourse]) -> Option<Column> {
    Some(match name {
        "symptom_change" => Column::Cat {
            levels: SymptomChange::ALL
                .iter()
                .map(|s| Level {
                    code: s.code().to_string(),
                    label: capitalise(s.label()),
                })
                .collect(),
            codes: courses
                .iter()
                .map(|c| {
                    let s = c
                        .clinical_status
                        .iter()
                        .filter_map(|v| {
                            Some((v.date.impute(Imputation::MidPoint).day.0, v.symptoms?))
                        })
                        .min_by_key(|(d, _)| *d)?
                        .1;
                    SymptomChange::ALL.iter().position(|x| *x == s)
                })
                .collect(),
        },
        "radionuclide_administrations" => Column::Num(
            courses
                .iter()
                .map(|c| {
                    Some(
                        c.treatments
                            .iter()
                            .filter(|t| t.kind == TreatmentType::Radionuclide)
                            .map(|t| t.administrations.len())
                            .sum::<usize>() as f64,
                    )
                })
                .collect(),
        ),
        "radionuclide_activity_gbq" => Column::Num(
            courses
                .iter()
                .map(|c| {
                    let rn: Vec<_> = c
                        .treatments
                        .iter()
                        .filter(|t| t.kind == TreatmentType::Radionuclide)
                        .collect();
                    (!rn.is_empty()).then(|| rn.iter().map(|t| t.total_activity_gbq()).sum())
                })
                .collect(),
        ),
        _ => return None,
    })
}
