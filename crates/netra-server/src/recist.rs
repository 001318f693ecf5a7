//! The registry's imaging assessments fed to the response engine
//! (`netra_clinical::response`): the responses shown on the patient page and
//! the live preview of the lesion form. No rule is implemented here; this
//! module only maps records onto the engine's input, as `netra response`
//! maps its lesion CSV.
//!
//! Mapping:
//! * the assessments of one evaluation are those with lesions that evaluate
//!   the same treatment (`assessment.treatment`, or none), in date order:
//!   the first is the baseline;
//! * a partial assessment date gets a day by the registry's default
//!   imputation rule (mid-point);
//! * lesion role → target / non-target / new; a `lymph_node` organ is a
//!   node (short axis); status present / absent / unequivocal progression;
//! * the criteria are the assessment's recorded ones when the engine has
//!   them (RECIST 1.1, WHO, Choi, mRECIST), else RECIST 1.1 (RECIST 1.0
//!   and "other" are read with RECIST 1.1 and say so).

use std::collections::HashMap;

use netra_clinical::registry::date::Imputation;
use netra_clinical::registry::model::{Assessment, Lesion, PatientCourse};
use netra_clinical::registry::vocab::{
    LesionRole, LesionStatus as RegStatus, Organ, ResponseCriteria, Vocabulary,
};
use netra_clinical::registry::{Entity, PartialDate, Value};
use netra_clinical::response::{
    self, BestOptions, Category, Date, LesionKind, LesionStatus, Measurement, PatientLesions,
    PatientResponse, Rules,
};
use serde::Serialize;

/// The engine's rules for recorded criteria, and whether they were
/// substituted.
pub fn rules_for(criteria: Option<ResponseCriteria>) -> (Rules, bool) {
    match criteria {
        None | Some(ResponseCriteria::Recist11) => (response::recist::rules(), false),
        Some(ResponseCriteria::Who) => (response::who::rules(), false),
        Some(ResponseCriteria::Choi) => (response::choi::rules(), false),
        Some(ResponseCriteria::Mrecist) => (response::mrecist::rules(), false),
        Some(ResponseCriteria::Recist10 | ResponseCriteria::Other) => {
            (response::recist::rules(), true)
        }
    }
}

/// The engine's date of a registry date.
pub fn scan_date(d: PartialDate) -> Option<Date> {
    let (y, m, day) = d.impute(Imputation::MidPoint).day.ymd();
    Date::from_ymd(y, m, day)
}

/// One registry lesion as the engine measures it.
pub fn measurement(l: &Lesion) -> Measurement {
    Measurement {
        lesion: l.id.clone(),
        organ: l.organ.code().to_string(),
        kind: Some(match l.role {
            LesionRole::Target => LesionKind::Target,
            LesionRole::NonTarget => LesionKind::NonTarget,
            LesionRole::New => LesionKind::New,
        }),
        longest_mm: l.longest_mm,
        perpendicular_mm: l.perpendicular_mm,
        short_axis_mm: l.short_axis_mm,
        is_node: l.organ == Organ::LymphNode,
        attenuation_hu: l.attenuation_hu,
        viable_mm: l.viable_mm,
        status: l.status.map(|s| match s {
            RegStatus::Present => LesionStatus::Present,
            RegStatus::Absent => LesionStatus::Absent,
            RegStatus::UnequivocalProgression => LesionStatus::Progression,
        }),
        source_line: None,
    }
}

/// The assessments evaluated together with `assessments[i]`: same
/// treatment, with lesions.
fn evaluation<'a>(assessments: &'a [Assessment], treatment: Option<&str>) -> Vec<&'a Assessment> {
    let mut v: Vec<&Assessment> = assessments
        .iter()
        .filter(|a| a.treatment.as_deref() == treatment && !a.lesions.is_empty())
        .collect();
    v.sort_by_key(|a| a.date.impute(Imputation::MidPoint).day);
    v
}

/// The engine's input for one evaluation.
fn patient_lesions(patient: &str, scans: &[&Assessment]) -> Result<PatientLesions, String> {
    let mut assessments = Vec::with_capacity(scans.len());
    for a in scans {
        let date = scan_date(a.date)
            .ok_or_else(|| format!("assessment {}: date {} out of range", a.id, a.date))?;
        assessments.push(response::Assessment {
            date,
            measurements: a.lesions.iter().map(measurement).collect(),
        });
    }
    Ok(PatientLesions {
        patient: patient.to_string(),
        assessments,
    })
}

/// The engine's response of every assessment of a course that it can
/// assess (assessment id → time-point response; the baseline has none).
pub fn computed_responses(course: &PatientCourse) -> HashMap<String, Category> {
    let mut out = HashMap::new();
    let mut treatments: Vec<Option<&str>> = course
        .assessments
        .iter()
        .map(|a| a.treatment.as_deref())
        .collect();
    treatments.sort();
    treatments.dedup();
    for t in treatments {
        let scans = evaluation(&course.assessments, t);
        if scans.len() < 2 {
            continue;
        }
        let (rules, _) = rules_for(scans[0].criteria);
        let Ok(input) = patient_lesions(&course.patient.code, &scans) else {
            continue;
        };
        let Ok(result) = response::assess(&input, &rules, &BestOptions::default()) else {
            continue;
        };
        for a in &scans[1..] {
            if let Some(d) = scan_date(a.date)
                && let Some(tp) = result.timepoints.iter().find(|tp| tp.date == d)
            {
                out.insert(a.id.clone(), tp.overall);
            }
        }
    }
    out
}

/// What the lesion form shows while a lesion is typed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// Criteria applied.
    pub criteria: String,
    /// The assessment being entered is the evaluation's baseline.
    pub baseline: bool,
    /// A sentence instead of the fields below (baseline, nothing to assess).
    pub message: Option<String>,
    /// Overall time-point response of this assessment.
    pub overall: Option<String>,
    /// Sum of the target measure (mm; mm² for WHO).
    pub sum_mm: Option<f64>,
    /// % change of the sum from baseline.
    pub change_from_baseline_pct: Option<f64>,
    /// % change of the sum from the nadir.
    pub change_from_nadir_pct: Option<f64>,
    /// Target response.
    pub target: Option<String>,
    /// Non-target response.
    pub non_target: Option<String>,
    /// New lesions.
    pub new_lesions: Option<String>,
    /// Best overall response over the evaluation so far.
    pub best_overall: Option<String>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Parses the typed values of a lesion leniently: a field that does not
/// parse (yet) counts as not given. Returns the lesion if the required
/// fields are there.
fn typed_lesion(values: &HashMap<String, String>) -> Option<Lesion> {
    let spec = Entity::Lesion.spec();
    let mut row = vec![Value::Null; spec.columns.len()];
    for (i, c) in spec.columns.iter().enumerate() {
        if let Some(t) = values.get(c.name).map(|s| s.trim()).filter(|s| !s.is_empty())
            && let Ok(v) = c.kind.parse(t)
        {
            row[i] = v;
        }
    }
    // Key columns may be absent from a preview: give placeholders.
    for (name, placeholder) in [("patient", "?"), ("assessment", "?"), ("lesion", "(typed)")] {
        let i = spec.position(name).expect("lesion column");
        if row[i].is_null() {
            row[i] = Value::Text(placeholder.into());
        }
    }
    Lesion::from_row(&row).ok()
}

/// The response of assessment `assessment_id` with the typed lesion in
/// place of (or added to) its stored lesions.
pub fn preview(
    course: &PatientCourse,
    assessment_id: &str,
    values: &HashMap<String, String>,
) -> Result<Preview, String> {
    let mut assessments = course.assessments.clone();
    let Some(a) = assessments.iter_mut().find(|a| a.id == assessment_id) else {
        return Err(format!("no assessment '{assessment_id}' for this patient"));
    };
    let (rules, substituted) = rules_for(a.criteria);
    let mut criteria = rules.name.clone();
    if substituted {
        criteria.push_str(" (recorded criteria not computable; RECIST 1.1 shown)");
    }
    let empty = |message: String| Preview {
        criteria: criteria.clone(),
        baseline: false,
        message: Some(message),
        overall: None,
        sum_mm: None,
        change_from_baseline_pct: None,
        change_from_nadir_pct: None,
        target: None,
        non_target: None,
        new_lesions: None,
        best_overall: None,
    };
    match typed_lesion(values) {
        Some(l) => {
            a.lesions.retain(|x| x.id != l.id);
            a.lesions.push(l);
        }
        None => {
            if a.lesions.is_empty() {
                return Ok(empty(
                    "enter the organ and the role of the lesion to see the response".into(),
                ));
            }
        }
    }
    let treatment = a.treatment.clone();
    let target_date = a.date;
    let scans = evaluation(&assessments, treatment.as_deref());
    let input = patient_lesions(&course.patient.code, &scans)?;
    let result: PatientResponse = match response::assess(&input, &rules, &BestOptions::default())
    {
        Ok(r) => r,
        Err(e) => return Ok(empty(e.to_string())),
    };
    let Some(date) = scan_date(target_date) else {
        return Err("assessment date out of range".into());
    };
    if date == result.baseline_date {
        let mut p = empty(match result.baseline_sum {
            Some(s) => format!(
                "baseline of this evaluation: sum of target measures {} ({} target lesion(s))",
                round1(s),
                result.targets.len()
            ),
            None => "baseline of this evaluation: no target lesion".into(),
        });
        p.baseline = true;
        p.sum_mm = result.baseline_sum.map(round1);
        return Ok(p);
    }
    let Some(tp) = result.timepoints.iter().find(|tp| tp.date == date) else {
        return Ok(empty("this assessment is not part of the evaluation".into()));
    };
    Ok(Preview {
        criteria,
        baseline: false,
        message: None,
        overall: Some(tp.overall.label().to_string()),
        sum_mm: tp.sum.map(round1),
        change_from_baseline_pct: tp.change_from_baseline_pct.map(round1),
        change_from_nadir_pct: tp.change_from_nadir_pct.map(round1),
        target: Some(tp.target.label().to_string()),
        non_target: Some(tp.non_target.label().to_string()),
        new_lesions: Some(tp.new_lesions.label().to_string()),
        best_overall: Some(result.best.category.label().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use netra_clinical::registry::model::Patient;

    fn row(entity: Entity, cells: &[(&str, &str)]) -> Vec<Value> {
        let spec = entity.spec();
        let mut r = vec![Value::Null; spec.columns.len()];
        for (name, text) in cells {
            let i = spec.position(name).unwrap();
            r[i] = spec.columns[i].kind.parse(text).unwrap();
        }
        r
    }

    fn course() -> PatientCourse {
        let p = Patient::from_row(&row(
            Entity::Patient,
            &[
                ("patient", "7"),
                ("site", "s"),
                ("sex", "female"),
                ("vital_status", "alive"),
            ],
        ))
        .unwrap();
        let mut c = PatientCourse::new(p);
        for (id, date, mm) in [
            ("A1", "2020-01-10", "50"),
            ("A2", "2020-04-10", "30"),
            ("A3", "2020-07-10", "40"),
        ] {
            let mut a = Assessment::from_row(&row(
                Entity::Assessment,
                &[
                    ("patient", "7"),
                    ("assessment", id),
                    ("date", date),
                    ("modality", "ct"),
                ],
            ))
            .unwrap();
            a.lesions.push(
                Lesion::from_row(&row(
                    Entity::Lesion,
                    &[
                        ("patient", "7"),
                        ("assessment", id),
                        ("lesion", "L1"),
                        ("organ", "liver"),
                        ("role", "target"),
                        ("longest_mm", mm),
                    ],
                ))
                .unwrap(),
            );
            c.assessments.push(a);
        }
        c
    }

    fn typed(cells: &[(&str, &str)]) -> HashMap<String, String> {
        cells
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn stored_assessments_get_the_engines_responses() {
        let r = computed_responses(&course());
        // 50 → 30 is −40 % (PR); 30 → 40 is +33 % and +10 mm over the nadir (PD).
        assert_eq!(r.get("A2"), Some(&Category::PR));
        assert_eq!(r.get("A3"), Some(&Category::PD));
        assert_eq!(r.get("A1"), None);
    }

    #[test]
    fn typed_lesion_replaces_the_stored_one() {
        let c = course();
        // Typing 34 mm at A3: +13 % over the nadir of 30 → SD.
        let p = preview(
            &c,
            "A3",
            &typed(&[
                ("lesion", "L1"),
                ("organ", "liver"),
                ("role", "target"),
                ("longest_mm", "34"),
            ]),
        )
        .unwrap();
        assert_eq!(p.overall.as_deref(), Some("SD"));
        assert_eq!(p.sum_mm, Some(34.0));
        assert_eq!(p.change_from_baseline_pct, Some(-32.0));
        assert_eq!(p.change_from_nadir_pct, Some(13.3));
        assert_eq!(p.best_overall.as_deref(), Some("PR"));
        // 36 mm: +20 % and +6 mm → PD.
        let p = preview(
            &c,
            "A3",
            &typed(&[
                ("lesion", "L1"),
                ("organ", "liver"),
                ("role", "target"),
                ("longest_mm", "36"),
            ]),
        )
        .unwrap();
        assert_eq!(p.overall.as_deref(), Some("PD"));
        // A half-typed number is ignored rather than an error.
        let p = preview(&c, "A1", &typed(&[("lesion", "L1"), ("longest_mm", "4x")])).unwrap();
        assert!(p.baseline);
        assert_eq!(p.sum_mm, Some(50.0));
        assert!(preview(&c, "A9", &typed(&[])).is_err());
    }

    #[test]
    fn a_new_lesion_typed_at_follow_up_is_progression() {
        let p = preview(
            &course(),
            "A2",
            &typed(&[("lesion", "N1"), ("organ", "lung"), ("role", "new")]),
        )
        .unwrap();
        assert_eq!(p.overall.as_deref(), Some("PD"));
        assert_eq!(p.new_lesions.as_deref(), Some("yes"));
    }
}
