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

fn rules_with(imp: netra_clinical::registry::Imputation) -> LineRules {
    let mut r = LineRules::default();
    r.evaluation.imputation = imp;
    r
}

#[test]
fn partial_dates_are_imputed_by_the_rule_and_counted() {
    let mut c = patient("P").dead("2001");
    c.patient.metastatic_date = Some(d("2000-02"));
    let s = spec(Endpoint::Os, "metastatic");
    let r = one(&c, &s).unwrap();
    // Mid-point: 2000-02-15 → 2001-07-01 = 15 + 365 + 122 days.
    assert_eq!(r.start.day.to_string(), "2000-02-15");
    assert_eq!(r.end.day.to_string(), "2001-07-01");
    assert_eq!((r.days, r.imputed_dates), (502, 2));
    // First day: 2000-02-01 → 2001-01-01.
    let rules = rules_with(netra_clinical::registry::Imputation::FirstDay);
    let lines = netra_clinical::lines::derive_lines(&c, &rules);
    let out = derive_endpoint(&c, &lines, &s, &rules);
    assert_eq!((out.rows[0].days, out.rows[0].imputed_dates), (335, 2));
    let cohort = derive_cohort(&[c.clone(), progressor()], &s, &LineRules::default());
    assert_eq!(cohort.imputed_dates, 2);
    assert_eq!(cohort.rows.len(), 2);
}

/// Line 1 everolimus from 2000-02-01 (stable at 2000-04-01), death
/// 2000-06-01 without progression.
fn died_stable() -> PatientCourse {
    patient("D")
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
        .dead("2000-06-01")
}

#[test]
fn death_is_a_pfs_event_and_censors_ttp() {
    let r = one(&died_stable(), &spec(Endpoint::Pfs, "line:1")).unwrap();
    assert_eq!(
        (r.days, r.event, r.description.as_str()),
        (121, true, "death")
    );
    let r = one(&died_stable(), &spec(Endpoint::Ttp, "line:1")).unwrap();
    assert_eq!((r.days, r.event), (60, false));
    assert_eq!(r.description, "last adequate assessment");
    let mut s = spec(Endpoint::Ttp, "line:1");
    s.censoring = Censoring::LastFollowUp;
    let r = one(&died_stable(), &s).unwrap();
    assert_eq!((r.days, r.event), (121, false));
    assert_eq!(r.description, "death without progression");
    // No follow-up scan at all: censored at the start (time 0).
    let c = patient("E")
        .tx(
            "T1",
            TreatmentType::Targeted,
            &[Agent::Everolimus],
            "2000-02-01",
            None,
            None,
        )
        .lesion_scan("S0", "2000-01-20", 50.0, false, None);
    let r = one(&c, &spec(Endpoint::Pfs, "line:1")).unwrap();
    assert_eq!((r.days, r.event), (0, false));
    assert_eq!(
        r.description,
        "no adequate assessment after start: censored at start"
    );
}

/// Line 1 everolimus 2000-02-01 → 2000-05-01 (toxicity), stable; line 2
/// sunitinib from 2000-06-01 (baseline 2000-05-25, 45 mm), progression at
/// 2000-10-01 (70 mm); alive.
fn switched() -> PatientCourse {
    patient("S")
        .tx(
            "T1",
            TreatmentType::Targeted,
            &[Agent::Everolimus],
            "2000-02-01",
            Some("2000-05-01"),
            Some(StopReason::Toxicity),
        )
        .tx(
            "T2",
            TreatmentType::Targeted,
            &[Agent::Sunitinib],
            "2000-06-01",
            None,
            None,
        )
        .lesion_scan("S0", "2000-01-20", 50.0, false, None)
        .lesion_scan("S1", "2000-04-01", 45.0, false, Some("T1"))
        .lesion_scan("S2", "2000-05-25", 45.0, false, None)
        .lesion_scan("S3", "2000-08-01", 46.0, false, Some("T2"))
        .lesion_scan("S4", "2000-10-01", 70.0, false, Some("T2"))
}

#[test]
fn censoring_at_the_start_of_new_anticancer_therapy() {
    let r = one(&switched(), &spec(Endpoint::Pfs, "line:1")).unwrap();
    assert_eq!((r.days, r.event), (243, true));
    let mut s = spec(Endpoint::Pfs, "line:1");
    s.censor_at_new_therapy = true;
    let r = one(&switched(), &s).unwrap();
    assert_eq!((r.days, r.event), (114, false));
    assert_eq!(r.end.day.to_string(), "2000-05-25");
    assert_eq!(
        r.description,
        "last adequate assessment before new anticancer therapy (line 2: sunitinib)"
    );
    let mut s = spec(Endpoint::Os, "line:1");
    s.censor_at_new_therapy = true;
    let r = one(&switched(), &s).unwrap();
    assert_eq!((r.days, r.event), (121, false));
    assert_eq!(
        r.description,
        "start of new anticancer therapy (line 2: sunitinib)"
    );
    // A local treatment is a new anticancer therapy too.
    let c = stable().tx("X", TreatmentType::Rfa, &[], "2000-05-01", None, None);
    let mut s = spec(Endpoint::Pfs, "line:1");
    s.censor_at_new_therapy = true;
    let r = one(&c, &s).unwrap();
    assert_eq!(r.end.day.to_string(), "2000-04-01");
}

#[test]
fn ttnt_ttf_and_pfs2() {
    let r = one(&switched(), &spec(Endpoint::Ttnt, "line:1")).unwrap();
    assert_eq!((r.days, r.event), (121, true));
    assert_eq!(r.description, "start of line 2: sunitinib");
    let r = one(&switched(), &spec(Endpoint::Ttf, "line:1")).unwrap();
    assert_eq!((r.days, r.event), (90, true));
    assert_eq!(r.description, "line 1 stopped: toxicity");
    let r = one(&switched(), &spec(Endpoint::Pfs2, "line:1")).unwrap();
    assert_eq!((r.days, r.event, r.line), (243, true, Some(1)));
    assert_eq!(r.description, "progression on line 2");
    // TTNT without a next line: death is an event (by default) …
    let r = one(&died_stable(), &spec(Endpoint::Ttnt, "line:1")).unwrap();
    assert_eq!(
        (r.days, r.event, r.description.as_str()),
        (121, true, "death")
    );
    let mut s = spec(Endpoint::Ttnt, "line:1");
    s.ttnt_death_is_event = false;
    assert!(!one(&died_stable(), &s).unwrap().event);
    // … PFS2 too; alive without a line 2 is censored at the last follow-up.
    let r = one(&died_stable(), &spec(Endpoint::Pfs2, "line:1")).unwrap();
    assert_eq!((r.days, r.event), (121, true));
    let r = one(&stable(), &spec(Endpoint::Pfs2, "line:1")).unwrap();
    assert!(!r.event);
    assert_eq!(r.end.day.to_string(), "2003-01-01");
    // TTF: ongoing is censored at the last follow-up; completion is
    // censored unless counted as failure.
    let r = one(&stable(), &spec(Endpoint::Ttf, "line:1")).unwrap();
    assert_eq!(
        (r.event, r.description.as_str()),
        (false, "line 1 ongoing at last follow-up")
    );
    let c = patient("F").tx(
        "T1",
        TreatmentType::Chemotherapy,
        &[Agent::Cisplatin, Agent::Etoposide],
        "2000-02-01",
        Some("2000-06-01"),
        Some(StopReason::Completed),
    );
    let r = one(&c, &spec(Endpoint::Ttf, "line:1")).unwrap();
    assert_eq!((r.days, r.event), (121, false));
    let mut s = spec(Endpoint::Ttf, "line:1");
    s.ttf_completion_is_failure = true;
    assert!(one(&c, &s).unwrap().event);
}

#[test]
fn duration_of_response_runs_from_first_response_to_progression() {
    let c = patient("R")
        .tx(
            "T1",
            TreatmentType::Radionuclide,
            &[Agent::Lu177Dotatate],
            "2000-02-01",
            Some("2000-08-01"),
            Some(StopReason::Completed),
        )
        .lesion_scan("S0", "2000-01-20", 50.0, false, None)
        .lesion_scan("S1", "2000-04-01", 30.0, false, Some("T1"))
        .lesion_scan("S2", "2000-06-01", 30.0, false, Some("T1"))
        .lesion_scan("S3", "2000-08-01", 45.0, false, Some("T1"));
    let r = one(&c, &spec(Endpoint::Dor, "line:1")).unwrap();
    assert_eq!(r.start.day.to_string(), "2000-04-01");
    assert_eq!((r.days, r.event), (122, true));
    assert_eq!(
        one(&stable(), &spec(Endpoint::Dor, "line:1")).unwrap_err(),
        "no objective response on line 1"
    );
    // A new lesion is progression whatever the sums.
    let c = patient("R")
        .tx(
            "T1",
            TreatmentType::Radionuclide,
            &[Agent::Lu177Dotatate],
            "2000-02-01",
            None,
            None,
        )
        .lesion_scan("S0", "2000-01-20", 50.0, false, None)
        .lesion_scan("S1", "2000-04-01", 30.0, false, Some("T1"))
        .lesion_scan("S2", "2000-06-01", 25.0, true, Some("T1"));
    let r = one(&c, &spec(Endpoint::Dor, "line:1")).unwrap();
    assert_eq!((r.days, r.event), (61, true));
}

/// Radionuclide therapy from 2000-02-01 with the study's pejorative events
/// lined up: marker +25% (2000-05-01), symptoms worse (2000-06-01), a
/// related grade-3 AE (2000-07-01), an unrelated grade-2 AE (2000-03-15),
/// death 2001-01-01.
fn pejorative() -> PatientCourse {
    patient("J")
        .tx(
            "T1",
            TreatmentType::Radionuclide,
            &[Agent::In111Pentetreotide],
            "2000-02-01",
            Some("2000-04-01"),
            Some(StopReason::Completed),
        )
        .marker("2000-01-25", Marker::ChromograninA, 100.0)
        .marker("2000-03-01", Marker::ChromograninA, 110.0)
        .marker("2000-05-01", Marker::ChromograninA, 125.0)
        .visit("2000-02-01", SymptomChange::Worsened)
        .visit("2000-06-01", SymptomChange::Worsened)
        .ae("AE1", "2000-07-01", 3, Some(Attribution::Possible))
        .ae("AE2", "2000-03-15", 2, Some(Attribution::Unrelated))
        .dead("2001-01-01")
}

#[test]
fn event_free_survival_with_configurable_pejorative_events() {
    let efs = |events: &str| {
        let mut s = spec(Endpoint::Efs, "line:1");
        s.efs = events.parse().unwrap();
        one(&pejorative(), &s).unwrap()
    };
    let r = efs("pejorative");
    assert_eq!((r.days, r.event), (90, true));
    assert_eq!(r.description, "chromogranin_a increase ≥ 20% (100 → 125 u)");
    // The visit on the start day is baseline; the next worsening counts.
    let r = efs("symptoms,death");
    assert_eq!(
        (r.days, r.description.as_str()),
        (121, "relapse of symptoms")
    );
    assert_eq!(efs("marker:50,symptoms").days, 121);
    let r = efs("ae:2,death");
    assert_eq!(
        (r.days, r.description.as_str()),
        (151, "adverse event grade 3: diarrhoea")
    );
    assert_eq!(efs("any_ae:2").days, 43);
    assert!(!efs("ae:4").event);
    let r = efs("death");
    assert_eq!((r.days, r.event), (335, true));
    let r = efs("progression");
    assert!(!r.event);
    assert_eq!(r.end.day.to_string(), "2001-01-01");
}

#[test]
fn every_line_and_named_treatment_as_time_zero() {
    let rules = LineRules::default();
    let c = switched();
    let lines = netra_clinical::lines::derive_lines(&c, &rules);
    let out = derive_endpoint(&c, &lines, &spec(Endpoint::Pfs, "line:all"), &rules);
    let got: Vec<(Option<u32>, i32, bool)> =
        out.rows.iter().map(|r| (r.line, r.days, r.event)).collect();
    assert_eq!(got, [(Some(1), 243, true), (Some(2), 122, true)]);
    assert_eq!(out.rows[1].from, TimeZero::Line(2));
    let r = one(&c, &spec(Endpoint::Pfs, "treatment:sunitinib")).unwrap();
    assert_eq!((r.days, r.event), (122, true));
    let r = one(&c, &spec(Endpoint::Ttf, "treatment:sunitinib")).unwrap();
    assert_eq!(r.line, Some(2));
    assert_eq!(
        one(&c, &spec(Endpoint::Pfs, "treatment:lu177_dotatate")).unwrap_err(),
        "no dated treatment with lu177_dotatate"
    );
    assert_eq!(
        one(&c, &spec(Endpoint::Pfs, "line:3")).unwrap_err(),
        "no line 3 of therapy"
    );
    // From study entry (2000-01-10): progression at 2000-10-01.
    let r = one(&c, &spec(Endpoint::Pfs, "entry")).unwrap();
    assert_eq!((r.days, r.event), (265, true));
}

#[test]
fn impossible_dates_exclude_the_patient_with_a_reason() {
    let c = patient("X")
        .tx(
            "T1",
            TreatmentType::Targeted,
            &[Agent::Everolimus],
            "2000-02-01",
            None,
            None,
        )
        .dead("2000-01-15");
    assert_eq!(
        one(&c, &spec(Endpoint::Os, "line:1")).unwrap_err(),
        "death (2000-01-15) is before time zero (2000-02-01)"
    );
    let mut c = patient("Y");
    c.patient.metastatic_date = None;
    assert_eq!(
        one(&c, &spec(Endpoint::Os, "metastatic")).unwrap_err(),
        "no metastatic diagnosis date"
    );
}

#[test]
fn imputed_death_and_last_follow_up_respect_records_showing_the_patient_alive() {
    // Death known to the month (2000-09 → the 15th), but a scan on
    // 2000-09-20: the patient died on or after the 20th.
    let c = stable()
        .dead("2000-09")
        .inv("S9", "2000-09-20", Response::Sd);
    let r = one(&c, &spec(Endpoint::Os, "line:1")).unwrap();
    assert_eq!(r.end.day.to_string(), "2000-09-20");
    assert!(r.event && r.end.imputed);
    // A recorded last follow-up before a later scan: the scan is the last
    // day known alive.
    let mut c = stable().inv("S9", "2003-03-01", Response::Sd);
    c.patient.last_followup_date = Some(d("2002-12-01"));
    let r = one(&c, &spec(Endpoint::Os, "line:1")).unwrap();
    assert_eq!(
        (r.end.day.to_string().as_str(), r.event),
        ("2003-03-01", false)
    );
}

/// Awkward records: an end imputed before its start, death before a
/// treatment, two scans on one day, a negative size, lesions without
/// sizes, a treatment without agents, a scan with neither lesions nor a
/// response. Every endpoint from every time zero must give rows with
/// times ≥ 0 or a reason, never a panic.
#[test]
fn awkward_records_give_rows_or_reasons_never_panics() {
    let mut weird = patient("W")
        .tx(
            "T1",
            TreatmentType::Chemotherapy,
            &[],
            "2000-03-20",
            Some("2000-03"),
            None,
        )
        .tx(
            "T2",
            TreatmentType::Targeted,
            &[Agent::Sunitinib],
            "2000-06-01",
            None,
            None,
        )
        .lesion_scan("S0", "2000-03-10", 40.0, false, None)
        .lesion_scan("S1", "2000-05-01", 30.0, true, Some("T1"))
        .lesion_scan("S1b", "2000-05-01", 35.0, false, None)
        .inv("S2", "2000-07-01", Response::Ne)
        .dead("2000-04");
    weird.assessments[0].lesions[0].longest_mm = Some(-3.0);
    weird
        .assessments
        .push(netra_clinical::registry::model::Assessment {
            date_bounds: Default::default(),
            id: "S3".into(),
            date: d("2000-08-01"),
            modality: Modality::Ct,
            criteria: None,
            treatment: None,
            investigator_response: None,
            notes: None,
            lesions: Vec::new(),
        });
    let mut no_sizes = stable();
    for a in &mut no_sizes.assessments {
        for l in &mut a.lesions {
            l.longest_mm = None;
        }
    }
    let rules = LineRules::default();
    for c in [
        weird,
        no_sizes,
        progressor(),
        switched(),
        pejorative(),
        patient("C"),
    ] {
        let lines = netra_clinical::lines::derive_lines(&c, &rules);
        for l in &lines.lines {
            assert!(
                l.end.is_none_or(|e| e.day >= l.start.day),
                "{} line {}",
                c.patient.code,
                l.number
            );
        }
        for e in Endpoint::ALL {
            for from in [
                "diagnosis",
                "metastatic",
                "entry",
                "line:1",
                "line:2",
                "line:all",
                "treatment:sunitinib",
            ] {
                let mut s = spec(e, from);
                for cens in [false, true] {
                    s.censor_at_new_therapy = cens;
                    let out = derive_endpoint(&c, &lines, &s, &rules);
                    for r in &out.rows {
                        assert!(
                            r.days >= 0 && r.time.is_finite(),
                            "{} {e} {from}: {r:?}",
                            c.patient.code
                        );
                    }
                    assert!(!out.rows.is_empty() || !out.excluded.is_empty());
                }
            }
        }
    }
}
