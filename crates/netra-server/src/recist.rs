//! Tumour responses on the web: the response of each assessment on the
//! patient page, and the live preview of the lesion form.
//!
//! No rule is implemented here. Registry assessments are mapped onto the
//! response engine by `netra_clinical::evaluation` (the seam lines of
//! therapy and `netra response --db` use), judged per period of treatment
//! by `evaluate_segment` within the lines of `netra_clinical::lines`; the
//! preview reruns the same with the typed lesion in place, and asks the
//! engine (`netra_clinical::response::assess`) for the sums and changes of
//! the assessment's time point.
//!
//! Periods: line k runs from its start to the start of line k + 1 (scans
//! linked to its treatments count too); before the first line, the
//! observation period starts at the first scan. The baseline of a period
//! is its last scan on or before the start within the evaluation rules'
//! window (60 days), as in `evaluate_segment`.

use std::collections::HashMap;

use netra_clinical::evaluation::{ScanDay, Scans, evaluate_segment, patient_lesions};
use netra_clinical::lines::{LineRules, derive_lines_with};
use netra_clinical::registry::model::{Lesion, PatientCourse};
use netra_clinical::registry::{Day, Entity, Value};
use netra_clinical::response::{self, Category};
use serde::Serialize;

/// One period of evaluation: its start, end and treatments.
struct Period {
    start: Day,
    until: Option<Day>,
    treatments: Vec<String>,
    label: String,
}

fn periods(course: &PatientCourse, scans: &Scans<'_>, rules: &LineRules) -> Vec<Period> {
    let lines = derive_lines_with(course, scans, rules);
    let mut out = Vec::new();
    let first_start = lines.lines.first().map(|l| l.start.day);
    if let Some(first) = scans.days.first()
        && first_start.is_none_or(|s| first.day.day < s)
    {
        out.push(Period {
            start: first.day.day,
            until: first_start,
            treatments: Vec::new(),
            label: "before the first line".into(),
        });
    }
    for (i, l) in lines.lines.iter().enumerate() {
        out.push(Period {
            start: l.start.day,
            until: lines.lines.get(i + 1).map(|n| n.start.day),
            treatments: l.treatments.clone(),
            label: format!("line {} ({})", l.number, l.label()),
        });
    }
    out
}

/// The response the evaluation gives each assessed day of a course: the
/// time-point response of the period the scan follows up.
pub fn scan_responses(course: &PatientCourse) -> HashMap<Day, Category> {
    let rules = LineRules::default();
    let scans = Scans::new(course, rules.imputation());
    let mut out = HashMap::new();
    for p in periods(course, &scans, &rules) {
        let t: Vec<&str> = p.treatments.iter().map(String::as_str).collect();
        let ev = evaluate_segment(&scans, p.start, p.until, &t, &rules.evaluation);
        for s in ev.scans {
            out.entry(s.day.day).or_insert(s.response);
        }
    }
    out
}

/// What the lesion form shows while a lesion is typed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// Criteria applied.
    pub criteria: String,
    /// The period the assessment is evaluated in.
    pub period: Option<String>,
    /// The assessment is the baseline of the period (no response yet).
    pub baseline: bool,
    /// A sentence instead of the fields below.
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
    /// Best overall response of the period so far.
    pub best_overall: Option<String>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The typed values of a lesion, parsed leniently: a field that does not
/// parse (yet) counts as not given. `None` until organ and role are there.
fn typed_lesion(values: &HashMap<String, String>) -> Option<Lesion> {
    let spec = Entity::Lesion.spec();
    let mut row = vec![Value::Null; spec.columns.len()];
    for (i, c) in spec.columns.iter().enumerate() {
        if let Some(t) = values
            .get(c.name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            && let Ok(v) = c.kind.parse(t)
        {
            row[i] = v;
        }
    }
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
    let mut course = course.clone();
    let Some(a) = course
        .assessments
        .iter_mut()
        .find(|a| a.id == assessment_id)
    else {
        return Err(format!("no assessment '{assessment_id}' for this patient"));
    };
    let rules = LineRules::default();
    let mut p = Preview {
        criteria: rules.evaluation.criteria.name.clone(),
        period: None,
        baseline: false,
        message: None,
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
        None if a.lesions.is_empty() => {
            p.message =
                Some("enter the organ and the role of the lesion to see the response".into());
            return Ok(p);
        }
        None => {}
    }
    let day = netra_clinical::registry::order::KnownOrder::of(&course.patient, rules.imputation())
        .impute_in(&a.date, &a.date_bounds)
        .day;
    let scans = Scans::new(&course, rules.imputation());
    let periods = periods(&course, &scans, &rules);
    let linked = |s: &ScanDay<'_>, t: &[String]| {
        s.assessments.iter().any(|a| {
            a.treatment
                .as_deref()
                .is_some_and(|x| t.iter().any(|y| y == x))
        })
    };
    let Some(this) = scans.days.iter().find(|s| s.day.day == day) else {
        return Err("the assessment has no analysis day".into());
    };
    // The period this scan follows up (else: the one it is a baseline of).
    let follows = periods.iter().find(|q| {
        day > q.start && (q.until.is_none_or(|u| day <= u) || linked(this, &q.treatments))
    });
    let window = rules.evaluation.baseline_window_days;
    let baseline_of = |q: &Period| {
        scans
            .days
            .iter()
            .rev()
            .find(|s| s.day.day <= q.start && q.start.0 - s.day.day.0 <= window)
    };
    let Some(period) = follows else {
        p.baseline = true;
        let targets: Vec<&Lesion> = this
            .assessments
            .iter()
            .flat_map(|a| a.lesions.iter())
            .filter(|l| l.role == netra_clinical::registry::vocab::LesionRole::Target)
            .collect();
        p.message = Some(format!(
            "baseline assessment: {} target lesion(s); responses are computed at the follow-up assessments",
            targets.len()
        ));
        return Ok(p);
    };
    p.period = Some(period.label.clone());
    let Some(base) = baseline_of(period) else {
        p.message = Some(format!(
            "no baseline assessment within {window} days before the start of {}: the response cannot be computed from lesions",
            period.label
        ));
        return Ok(p);
    };
    let follow: Vec<&ScanDay<'_>> = scans
        .days
        .iter()
        .filter(|s| {
            s.day.day > period.start
                && s.assessments.iter().any(|a| !a.lesions.is_empty())
                && (period.until.is_none_or(|u| s.day.day <= u) || linked(s, &period.treatments))
        })
        .collect();
    let assessed = patient_lesions(scans.patient, base, &follow).and_then(|input| {
        response::assess(&input, &rules.evaluation.criteria, &rules.evaluation.best)
    });
    let result = match assessed {
        Ok(r) => r,
        Err(e) => {
            p.message = Some(e.to_string());
            return Ok(p);
        }
    };
    let date = netra_clinical::evaluation::date_of(day);
    let Some(tp) = result.timepoints.iter().find(|t| t.date == date) else {
        p.message = Some("this assessment is not among the period's follow-ups".into());
        return Ok(p);
    };
    p.overall = Some(tp.overall.label().into());
    p.sum_mm = tp.sum.map(round1);
    p.change_from_baseline_pct = tp.change_from_baseline_pct.map(round1);
    p.change_from_nadir_pct = tp.change_from_nadir_pct.map(round1);
    p.target = Some(tp.target.label().into());
    p.non_target = Some(tp.non_target.label().into());
    p.new_lesions = Some(tp.new_lesions.label().into());
    p.best_overall = Some(result.best.category.label().into());
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use netra_clinical::registry::model::{Assessment, Patient, Treatment};

    fn row(entity: Entity, cells: &[(&str, &str)]) -> Vec<Value> {
        let spec = entity.spec();
        let mut r = vec![Value::Null; spec.columns.len()];
        for (name, text) in cells {
            let i = spec.position(name).unwrap();
            r[i] = spec.columns[i].kind.parse(text).unwrap();
        }
        r
    }

    /// One line (everolimus from 2020-01-15), a baseline scan before it and
    /// two follow-ups with one liver target: 50 → 30 → 40 mm.
    fn course() -> PatientCourse {
        let p = Patient::from_row(&row(
            Entity::Patient,
            &[
                ("patient", "7"),
                ("site", "s"),
                ("sex", "female"),
                ("vital_status", "alive"),
                ("last_followup_date", "2020-12-01"),
            ],
        ))
        .unwrap();
        let mut c = PatientCourse::new(p);
        let mut t = Treatment::from_row(&row(
            Entity::Treatment,
            &[
                ("patient", "7"),
                ("treatment", "T1"),
                ("type", "targeted"),
                ("start_date", "2020-01-15"),
            ],
        ))
        .unwrap();
        t.agents.push(
            netra_clinical::registry::model::TreatmentAgent::from_row(&row(
                Entity::TreatmentAgent,
                &[
                    ("patient", "7"),
                    ("treatment", "T1"),
                    ("agent", "everolimus"),
                ],
            ))
            .unwrap(),
        );
        c.treatments.push(t);
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

    fn day(s: &str) -> Day {
        s.parse::<netra_clinical::registry::PartialDate>()
            .unwrap()
            .earliest()
    }

    #[test]
    fn stored_assessments_get_the_evaluations_responses() {
        let r = scan_responses(&course());
        // 50 → 30 is −40 % (PR); 30 → 40 is +33 % and +10 mm over the nadir (PD).
        assert_eq!(r.get(&day("2020-04-10")), Some(&Category::PR));
        assert_eq!(r.get(&day("2020-07-10")), Some(&Category::PD));
        assert_eq!(r.get(&day("2020-01-10")), None);
    }

    #[test]
    fn typed_lesion_replaces_the_stored_one() {
        let c = course();
        let lesion = |mm: &str| {
            typed(&[
                ("lesion", "L1"),
                ("organ", "liver"),
                ("role", "target"),
                ("longest_mm", mm),
            ])
        };
        // 34 mm at A3: still −32 % from baseline → PR (+13.3 % over the nadir).
        let p = preview(&c, "A3", &lesion("34")).unwrap();
        assert_eq!(p.overall.as_deref(), Some("PR"));
        assert_eq!(p.sum_mm, Some(34.0));
        assert_eq!(p.change_from_baseline_pct, Some(-32.0));
        assert_eq!(p.change_from_nadir_pct, Some(13.3));
        // 35.5 mm: −29 % from baseline, +18.3 % over the nadir → SD.
        let p = preview(&c, "A3", &lesion("35.5")).unwrap();
        assert_eq!(p.overall.as_deref(), Some("SD"));
        assert_eq!(p.change_from_baseline_pct, Some(-29.0));
        assert_eq!(p.change_from_nadir_pct, Some(18.3));
        assert_eq!(p.best_overall.as_deref(), Some("PR"));
        assert_eq!(p.period.as_deref(), Some("line 1 (everolimus)"));
        // 36 mm: +20 % and +6 mm → PD.
        assert_eq!(
            preview(&c, "A3", &lesion("36")).unwrap().overall.as_deref(),
            Some("PD")
        );
        // The baseline scan has no response of its own; a half-typed number
        // is ignored rather than an error.
        let p = preview(&c, "A1", &typed(&[("lesion", "L1"), ("longest_mm", "4x")])).unwrap();
        assert!(p.baseline);
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
