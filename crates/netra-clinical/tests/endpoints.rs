//! Endpoint derivation on hand-built patients: each test states a course
//! and the row a clinician would write down for it (days counted by hand).

mod common;

use common::*;
use netra_clinical::endpoints::*;
use netra_clinical::lines::LineRules;
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::vocab::*;

fn one(c: &PatientCourse, spec: &EndpointSpec) -> Result<EndpointRow, String> {
    let rules = LineRules::default();
    let lines = netra_clinical::lines::derive_lines(c, &rules);
    let out = derive_endpoint(c, &lines, spec, &rules);
    match (out.rows.len(), out.excluded.first()) {
        (1, None) => Ok(out.rows[0].clone()),
        (0, Some(e)) => Err(e.reason.clone()),
        _ => panic!("unexpected {out:?}"),
    }
}

fn spec(e: Endpoint, from: &str) -> EndpointSpec {
    EndpointSpec::new(e, from.parse().unwrap())
}

/// Line 1 everolimus from 2000-02-01; baseline 50 mm, 45, 40, then 60 mm
/// (+50% over the nadir: progression on 2000-08-01); death 2001-03-01.
fn progressor() -> PatientCourse {
    patient("A")
        .tx(
            "T1",
            TreatmentType::Targeted,
            &[Agent::Everolimus],
            "2000-02-01",
            Some("2000-08-05"),
            Some(StopReason::Progression),
        )
        .lesion_scan("S0", "2000-01-20", 50.0, false, None)
        .lesion_scan("S1", "2000-04-01", 45.0, false, Some("T1"))
        .lesion_scan("S2", "2000-06-01", 40.0, false, Some("T1"))
        .lesion_scan("S3", "2000-08-01", 60.0, false, Some("T1"))
        .dead("2001-03-01")
}

/// Line 1 everolimus from 2000-02-01, stable at 2000-04-01 and 2000-07-01,
/// alive at 2003-01-01.
fn stable() -> PatientCourse {
    patient("B")
        .tx(
            "T1",
            TreatmentType::Targeted,
            &[Agent::Everolimus],
            "2000-02-01",
            None,
            None,
        )
        .lesion_scan("S0", "2000-01-20", 50.0, false, None)
        .lesion_scan("S1", "2000-04-01", 45.0, false, Some("T1"))
        .lesion_scan("S2", "2000-07-01", 44.0, false, Some("T1"))
}

#[test]
fn overall_survival_from_metastatic_diagnosis() {
    let r = one(&progressor(), &spec(Endpoint::Os, "metastatic")).unwrap();
    // 2000-01-01 → 2001-03-01: 366 + 31 + 28 days.
    assert_eq!(r.days, 425);
    assert!(r.event);
    assert_eq!(r.description, "death");
    assert!((r.time - 425.0 / 30.4375).abs() < 1e-12);
    assert_eq!(r.imputed_dates, 0);

    let r = one(&patient("C"), &spec(Endpoint::Os, "metastatic")).unwrap();
    assert_eq!((r.days, r.event), (366 + 365 + 365, false));
    assert_eq!(r.description, "alive at last follow-up");
    let mut s = spec(Endpoint::Os, "diagnosis");
    s.units = Units::Years;
    let r = one(&patient("C").lost("2001-06-01"), &s).unwrap();
    // 1999-06-01 → 2001-06-01: 731 days (2000 is a leap year).
    assert_eq!(r.days, 731);
    assert!((r.time - 731.0 / 365.25).abs() < 1e-12);
    assert_eq!(r.description, "lost to follow-up");
}

#[test]
fn pfs_from_line_one_is_progression_or_death_censored_at_last_adequate_assessment() {
    let r = one(&progressor(), &spec(Endpoint::Pfs, "line:1")).unwrap();
    // 2000-02-01 → 2000-08-01: 29 + 31 + 30 + 31 + 30 + 31 days.
    assert_eq!((r.days, r.event, r.line), (182, true, Some(1)));
    assert_eq!(r.description, "progression");
    assert_eq!(r.start.day.to_string(), "2000-02-01");

    let r = one(&stable(), &spec(Endpoint::Pfs, "line:1")).unwrap();
    assert_eq!((r.days, r.event), (151, false));
    assert_eq!(r.end.day.to_string(), "2000-07-01");
    assert_eq!(r.description, "last adequate assessment");

    let mut s = spec(Endpoint::Pfs, "line:1");
    s.censoring = Censoring::LastFollowUp;
    let r = one(&stable(), &s).unwrap();
    assert_eq!(r.end.day.to_string(), "2003-01-01");
    assert!(!r.event);

    assert_eq!(
        one(&patient("C"), &spec(Endpoint::Pfs, "line:1")).unwrap_err(),
        "no line 1 of therapy"
    );
}
