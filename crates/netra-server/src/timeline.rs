//! A patient's time line: where it starts ([`origin`]), how precisely
//! analysts see it ([`View`]), the treatment classes its lanes are named
//! by — shared with [`crate::course_figure`], which draws the course — and
//! a small inline plot per biomarker (values over time, upper limit of
//! normal dashed).
//!
//! Time runs in months from the first diagnosis (or, without one, from the
//! earliest dated record); partial dates take the registry's default
//! imputation (mid-point). Analysts get the coarse view ([`View::Coarse`]):
//! whole months (their dates are to the month), no free-text marker
//! names (`marker_detail`) and units only when made of units
//! ([`crate::pseudo::unit_text`]).

use std::fmt::Write as _;

use netra_clinical::registry::model::{Biomarker, PatientCourse};
use netra_clinical::registry::vocab::{Marker, TreatmentClass, TreatmentType, Vocabulary};
use netra_clinical::registry::{Day, Imputation, PartialDate};
use netra_report::svg::escape;

const MONTH: f64 = netra_clinical::endpoints::DAYS_PER_MONTH;

fn day(d: PartialDate) -> Day {
    d.impute(Imputation::MidPoint).day
}

/// The day a date stands for on the time line (the mid-point rule).
pub(crate) fn day_of(d: PartialDate) -> Day {
    day(d)
}

/// Day 0 of the time line: the first diagnosis, else the earliest dated
/// record; `None` for a course without dates.
pub fn origin(course: &PatientCourse) -> Option<Day> {
    let p = &course.patient;
    let mut dates: Vec<PartialDate> = Vec::new();
    dates.extend(p.diagnosis_date);
    dates.extend(p.metastatic_date);
    dates.extend(course.treatments.iter().filter_map(|t| t.start_date));
    dates.extend(course.assessments.iter().map(|a| a.date));
    dates.extend(course.biomarkers.iter().map(|b| b.date));
    let earliest = dates.iter().map(|d| day(*d)).min()?;
    Some(
        p.diagnosis_date
            .map(day)
            .map_or(earliest, |d| d.min(earliest)),
    )
}

/// How precisely a course is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Months at full precision, free text shown (who may read records).
    Full,
    /// Whole months, no free text (analysts: an interval to the day, or a
    /// free-text name, could link the course to another source).
    Coarse,
}

impl View {
    /// The view of a user: coarse for analysts.
    pub fn of(pseudonymised: bool) -> View {
        if pseudonymised {
            View::Coarse
        } else {
            View::Full
        }
    }

    /// Months from `origin` to `d` at the view's precision.
    pub(crate) fn months(self, origin: Day, d: PartialDate) -> f64 {
        let m = (f64::from(origin.days_until(day(d))) / MONTH).max(0.0);
        match self {
            View::Full => m,
            View::Coarse => m.round(),
        }
    }
}

/// The treatment's bar class as the swimmer's palette names it.
pub(crate) fn class_name(kind: TreatmentType) -> &'static str {
    match kind {
        TreatmentType::Surgery => "surgery",
        _ => match kind.class() {
            TreatmentClass::SomatostatinAnalogue => "somatostatin analogue",
            TreatmentClass::Interferon => "interferon",
            TreatmentClass::Chemotherapy => "chemotherapy",
            TreatmentClass::Targeted => "targeted",
            TreatmentClass::Radionuclide => "radionuclide",
            TreatmentClass::Local => "local",
            TreatmentClass::Supportive | TreatmentClass::Other => "other",
        },
    }
}

/// One biomarker's series.
pub struct Series {
    /// Marker name (with its detail for `other`).
    pub name: String,
    /// Unit.
    pub unit: String,
    /// (months, value), in time order.
    pub points: Vec<(f64, f64)>,
    /// The last upper limit of normal recorded.
    pub uln: Option<f64>,
}

/// The course's biomarker series, one per marker (and unit).
pub fn biomarker_series(course: &PatientCourse, view: View) -> Vec<Series> {
    let months = |o: Day, d: PartialDate| view.months(o, d);
    let Some(origin) = origin(course) else {
        return Vec::new();
    };
    let mut out: Vec<Series> = Vec::new();
    let mut sorted: Vec<&Biomarker> = course.biomarkers.iter().collect();
    sorted.sort_by_key(|b| day(b.date));
    for b in sorted {
        let name = match (&b.marker, &b.marker_detail) {
            (Marker::Other, Some(d)) if view == View::Full => d.clone(),
            (m, _) => m.label().to_string(),
        };
        let at = months(origin, b.date);
        // The unit is typed text: analysts see it only if made of units.
        let unit = match view {
            View::Full => b.unit.clone(),
            View::Coarse => {
                crate::pseudo::unit_text(&b.unit).unwrap_or_else(|| "unit withheld".into())
            }
        };
        match out.iter_mut().find(|s| s.name == name && s.unit == unit) {
            Some(s) => {
                s.points.push((at, b.value));
                s.uln = b.upper_limit.or(s.uln);
            }
            None => out.push(Series {
                name,
                unit,
                points: vec![(at, b.value)],
                uln: b.upper_limit,
            }),
        }
    }
    out
}

fn fmt(x: f64) -> String {
    let s = format!("{x:.1}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A small plot of one series: values over months, the ULN dashed, each
/// point a dot with its value as a tooltip.
pub fn sparkline(s: &Series) -> String {
    let (w, h, pad) = (240.0, 64.0, 6.0);
    let t0 = s.points.first().map_or(0.0, |p| p.0);
    let t1 = s.points.last().map_or(1.0, |p| p.0).max(t0 + 1e-9);
    let mut lo = s.points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let mut hi = s
        .points
        .iter()
        .map(|p| p.1)
        .fold(f64::NEG_INFINITY, f64::max);
    if let Some(u) = s.uln {
        lo = lo.min(u);
        hi = hi.max(u);
    }
    lo = lo.min(0.0);
    if hi <= lo {
        hi = lo + 1.0;
    }
    let x = |t: f64| {
        if s.points.len() == 1 {
            w / 2.0
        } else {
            pad + (t - t0) / (t1 - t0) * (w - 2.0 * pad)
        }
    };
    let y = |v: f64| h - pad - (v - lo) / (hi - lo) * (h - 2.0 * pad);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{} over time, {} measurement(s)">"#,
        escape(&s.name),
        s.points.len()
    );
    if let Some(u) = s.uln {
        let yu = y(u);
        let _ = write!(
            svg,
            r##"<line x1="0" x2="{w}" y1="{yu:.1}" y2="{yu:.1}" stroke="#a4161a" stroke-dasharray="4 3" stroke-width="1"><title>upper limit of normal {}</title></line>"##,
            fmt(u)
        );
    }
    if s.points.len() > 1 {
        let pts: Vec<String> = s
            .points
            .iter()
            .map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v)))
            .collect();
        let _ = write!(
            svg,
            r##"<polyline fill="none" stroke="#0b5cad" stroke-width="1.6" points="{}"/>"##,
            pts.join(" ")
        );
    }
    for &(t, v) in &s.points {
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="2.6" fill="#0b5cad"><title>{} {} at month {}</title></circle>"##,
            x(t),
            y(v),
            fmt(v),
            escape(&s.unit),
            fmt(t)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use netra_clinical::registry::Entity;
    use netra_clinical::registry::Value;
    use netra_clinical::registry::model::{Patient, Treatment};

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
                ("patient", "3"),
                ("site", "s"),
                ("sex", "male"),
                ("diagnosis_date", "2010-01-01"),
                ("last_followup_date", "2011-01-01"),
                ("death_date", "2011-01-01"),
                ("vital_status", "dead"),
            ],
        ))
        .unwrap();
        let mut c = PatientCourse::new(p);
        c.treatments.push(
            Treatment::from_row(&row(
                Entity::Treatment,
                &[
                    ("patient", "3"),
                    ("treatment", "T1"),
                    ("type", "surgery"),
                    ("start_date", "2010-03"),
                ],
            ))
            .unwrap(),
        );
        for (d, v) in [("2010-01-01", "120"), ("2010-07-01", "80")] {
            c.biomarkers.push(
                Biomarker::from_row(&row(
                    Entity::Biomarker,
                    &[
                        ("patient", "3"),
                        ("marker", "chromogranin_a"),
                        ("date", d),
                        ("value", v),
                        ("unit", "ug/L"),
                        ("upper_limit", "100"),
                    ],
                ))
                .unwrap(),
            );
        }
        c
    }

    #[test]
    fn analysts_get_no_marker_detail_and_whole_months() {
        let mut c = course();
        c.biomarkers[0].marker = Marker::Other;
        c.biomarkers[0].marker_detail = Some("Dr X's assay".into());
        c.biomarkers[1].date = "2010-07-20".parse().unwrap();
        let full = biomarker_series(&c, View::Full);
        assert!(full.iter().any(|s| s.name == "Dr X's assay"));
        assert!(
            full.iter()
                .flat_map(|s| &s.points)
                .any(|p| p.0.fract() != 0.0)
        );
        let coarse = biomarker_series(&c, View::Coarse);
        assert!(coarse.iter().all(|s| !s.name.contains("Dr X")));
        assert!(
            coarse
                .iter()
                .flat_map(|s| &s.points)
                .all(|p| p.0.fract() == 0.0)
        );
    }

    #[test]
    fn biomarkers_become_series_with_their_limit() {
        let s = biomarker_series(&course(), View::Full);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].points.len(), 2);
        assert_eq!(s[0].uln, Some(100.0));
        let svg = sparkline(&s[0]);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("upper limit of normal 100"));
        assert!(svg.contains("120 ug/L at month 0"));
    }
}
