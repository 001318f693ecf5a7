//! Lines of therapy on hand-built patients: one test per rule of
//! `docs/endpoints.md` ("Lines of therapy").

mod common;

use common::*;
use netra_clinical::lines::*;
use netra_clinical::registry::vocab::{
    Agent::*, Response, StopReason, TreatmentClass, TreatmentType as T,
};

fn lines(c: &netra_clinical::registry::model::PatientCourse) -> PatientLines {
    derive_lines(c, &LineRules::default())
}

fn regimens(p: &PatientLines) -> Vec<String> {
    p.lines.iter().map(|l| l.label()).collect()
}

#[test]
fn agents_within_the_regimen_window_form_one_regimen() {
    let c = patient("A")
        .tx(
            "T1",
            T::Chemotherapy,
            &[Cisplatin],
            "2000-02-01",
            Some("2000-06-01"),
            Some(StopReason::Completed),
        )
        .tx(
            "T2",
            T::Chemotherapy,
            &[Etoposide],
            "2000-02-29",
            Some("2000-06-01"),
            Some(StopReason::Completed),
        );
    let p = lines(&c);
    assert_eq!(regimens(&p), ["cisplatin+etoposide"]);
    assert_eq!(p.lines[0].class, TreatmentClass::Chemotherapy);
    assert_eq!(p.lines[0].end_reason, LineEnd::Completed);
    assert_eq!(p.lines[0].end.unwrap().day.to_string(), "2000-06-01");
    // One day past the 28-day window, without progression and while
    // cisplatin runs: an intensification, still line 1 …
    let c = patient("A")
        .tx(
            "T1",
            T::Chemotherapy,
            &[Cisplatin],
            "2000-02-01",
            Some("2000-06-01"),
            None,
        )
        .tx(
            "T2",
            T::Chemotherapy,
            &[Etoposide],
            "2000-03-01",
            Some("2000-06-01"),
            None,
        );
    assert_eq!(regimens(&lines(&c)), ["cisplatin+etoposide"]);
    // … unless additions start lines.
    let rules = LineRules {
        addition_starts_line: true,
        ..LineRules::default()
    };
    assert_eq!(
        regimens(&derive_lines(&c, &rules)),
        ["cisplatin", "etoposide"]
    );
    // A narrower window makes the 28-day partner an addition too.
    let rules = LineRules {
        regimen_window_days: 27,
        addition_starts_line: true,
        ..LineRules::default()
    };
    let c = patient("A")
        .tx(
            "T1",
            T::Chemotherapy,
            &[Cisplatin],
            "2000-02-01",
            Some("2000-06-01"),
            None,
        )
        .tx(
            "T2",
            T::Chemotherapy,
            &[Etoposide],
            "2000-02-29",
            Some("2000-06-01"),
            None,
        );
    assert_eq!(derive_lines(&c, &rules).lines.len(), 2);
}

#[test]
fn a_gap_longer_than_120_days_starts_a_new_line_even_with_the_same_agent() {
    let course = |restart: &str| {
        patient("A")
            .tx(
                "T1",
                T::Targeted,
                &[Everolimus],
                "2000-02-01",
                Some("2000-05-01"),
                Some(StopReason::Toxicity),
            )
            .tx("T2", T::Targeted, &[Everolimus], restart, None, None)
    };
    // 2000-05-01 + 121 days = 2000-08-30.
    let p = lines(&course("2000-08-30"));
    assert_eq!(regimens(&p), ["everolimus", "everolimus"]);
    assert_eq!(p.lines[0].end_reason, LineEnd::Toxicity);
    assert_eq!(p.lines[1].end_reason, LineEnd::Ongoing);
    // Exactly 120 days: the same line continues.
    let p = lines(&course("2000-08-29"));
    assert_eq!(regimens(&p), ["everolimus"]);
    assert_eq!(p.lines[0].treatments, ["T1", "T2"]);
    assert_eq!(p.lines[0].end, None);
}

#[test]
fn progression_followed_by_a_new_agent_starts_a_new_line_not_the_same_agent() {
    // Progression on everolimus (investigator, 2000-06-01); everolimus is
    // continued beyond progression (same agent: same line); sunitinib
    // follows while everolimus still runs: line 2.
    let c = patient("A")
        .tx(
            "T1",
            T::Targeted,
            &[Everolimus],
            "2000-02-01",
            Some("2000-06-30"),
            None,
        )
        .tx("T2", T::Targeted, &[Everolimus], "2000-07-01", None, None)
        .tx("T3", T::Targeted, &[Sunitinib], "2000-09-01", None, None)
        .inv("S1", "2000-04-01", Response::Sd)
        .inv("S2", "2000-06-01", Response::Pd);
    let p = lines(&c);
    assert_eq!(regimens(&p), ["everolimus", "sunitinib"]);
    assert_eq!(p.lines[0].treatments, ["T1", "T2"]);
    assert_eq!(p.lines[0].end_reason, LineEnd::Progression);
    assert_eq!(p.lines[0].end.unwrap().day.to_string(), "2000-09-01");
    assert_eq!(
        p.lines[0].evaluation.progression.unwrap().day.to_string(),
        "2000-06-01"
    );
    // Without the progression the running everolimus takes sunitinib as an
    // addition (one line) …
    let c = patient("A")
        .tx("T1", T::Targeted, &[Everolimus], "2000-02-01", None, None)
        .tx("T3", T::Targeted, &[Sunitinib], "2000-09-01", None, None);
    assert_eq!(regimens(&lines(&c)), ["everolimus+sunitinib"]);
    // … and a switch after everolimus stopped is a new line.
    let c = patient("A")
        .tx(
            "T1",
            T::Targeted,
            &[Everolimus],
            "2000-02-01",
            Some("2000-08-01"),
            Some(StopReason::Toxicity),
        )
        .tx("T3", T::Targeted, &[Sunitinib], "2000-09-01", None, None);
    let p = lines(&c);
    assert_eq!(regimens(&p), ["everolimus", "sunitinib"]);
    assert_eq!(p.lines[0].end_reason, LineEnd::Toxicity);
}

#[test]
fn progression_measured_on_lesions_also_separates_lines() {
    // 50 → 40 → 60 mm: +50% over the nadir at 2000-06-01 (RECIST PD).
    let c = patient("A")
        .tx("T1", T::Targeted, &[Everolimus], "2000-02-01", None, None)
        .lesion_scan("S0", "2000-01-20", 50.0, false, None)
        .lesion_scan("S1", "2000-04-01", 40.0, false, Some("T1"))
        .lesion_scan("S2", "2000-06-01", 60.0, false, Some("T1"))
        .tx(
            "T2",
            T::Chemotherapy,
            &[Capecitabine, Temozolomide],
            "2000-07-01",
            None,
            None,
        );
    let p = lines(&c);
    assert_eq!(regimens(&p), ["everolimus", "capecitabine+temozolomide"]);
    assert_eq!(p.lines[0].end_reason, LineEnd::Progression);
    assert_eq!(
        p.lines[0].evaluation.best,
        Some(netra_clinical::response::Category::SD)
    );
}

#[test]
fn listed_add_on_agents_do_not_advance_the_line() {
    let course = || {
        patient("A")
            .tx(
                "T1",
                T::Chemotherapy,
                &[Fluorouracil, Streptozocin],
                "2000-02-01",
                None,
                None,
            )
            .inv("S1", "2000-04-01", Response::Pd)
            .tx("T2", T::Targeted, &[Bevacizumab], "2000-05-01", None, None)
    };
    let p = lines(&course());
    assert_eq!(regimens(&p), ["fluorouracil+streptozocin", "bevacizumab"]);
    let rules = LineRules {
        add_on_agents: vec![Bevacizumab],
        ..LineRules::default()
    };
    let p = derive_lines(&course(), &rules);
    assert_eq!(regimens(&p), ["fluorouracil+streptozocin"]);
    assert_eq!(p.lines[0].add_ons, ["bevacizumab"]);
}

#[test]
fn somatostatin_analogue_backbone_does_not_make_a_line() {
    // Octreotide alone, then everolimus added while octreotide continues:
    // line 2 is everolimus, octreotide its backbone.
    let c = patient("A")
        .tx(
            "T1",
            T::SomatostatinAnalogue,
            &[Octreotide],
            "2000-02-01",
            None,
            None,
        )
        .tx("T2", T::Targeted, &[Everolimus], "2000-08-01", None, None);
    let p = lines(&c);
    assert_eq!(regimens(&p), ["octreotide", "everolimus"]);
    assert_eq!(p.lines[0].class, TreatmentClass::SomatostatinAnalogue);
    assert_eq!(p.lines[0].end_reason, LineEnd::NextLine);
    assert_eq!(p.lines[1].class, TreatmentClass::Targeted);
    assert_eq!(p.lines[1].backbone, ["octreotide"]);
    // A new octreotide record during line 2 (the backbone continued) and
    // lanreotide later (switch of analogue) do not make lines.
    let c = c
        .tx(
            "T3",
            T::SomatostatinAnalogue,
            &[Octreotide],
            "2000-12-01",
            None,
            None,
        )
        .tx(
            "T4",
            T::SomatostatinAnalogue,
            &[Lanreotide],
            "2001-03-01",
            None,
            None,
        );
    assert_eq!(regimens(&lines(&c)), ["octreotide", "everolimus"]);
    // Octreotide + everolimus started together: one targeted line.
    let c = patient("A")
        .tx(
            "T1",
            T::SomatostatinAnalogue,
            &[Octreotide],
            "2000-02-01",
            None,
            None,
        )
        .tx("T2", T::Targeted, &[Everolimus], "2000-02-10", None, None);
    let p = lines(&c);
    assert_eq!(regimens(&p), ["octreotide+everolimus"]);
    assert_eq!(p.lines[0].class, TreatmentClass::Targeted);
    // Without the backbone rule, everolimus added to running octreotide
    // without progression is an intensification of line 1.
    let rules = LineRules {
        ssa_backbone: false,
        ..LineRules::default()
    };
    let c = patient("A")
        .tx(
            "T1",
            T::SomatostatinAnalogue,
            &[Octreotide],
            "2000-02-01",
            None,
            None,
        )
        .tx("T2", T::Targeted, &[Everolimus], "2000-08-01", None, None);
    assert_eq!(
        regimens(&derive_lines(&c, &rules)),
        ["octreotide+everolimus"]
    );
}

#[test]
fn death_during_a_line_ends_it_and_the_pathway() {
    let c = patient("A")
        .tx(
            "T1",
            T::Interferon,
            &[InterferonAlpha],
            "2000-02-01",
            None,
            None,
        )
        .dead("2000-09-01");
    let p = lines(&c);
    assert_eq!(p.lines[0].end_reason, LineEnd::Death);
    assert_eq!(p.lines[0].end.unwrap().day.to_string(), "2000-09-01");
    assert_eq!(p.end, PathwayEnd::Death);
    assert_eq!(p.sequence_label(), "L1 interferon_alpha > death");
    // An end date after death is cut at death.
    let c = patient("A")
        .tx(
            "T1",
            T::Interferon,
            &[InterferonAlpha],
            "2000-02-01",
            Some("2000-12-01"),
            Some(StopReason::Completed),
        )
        .dead("2000-09-01");
    assert_eq!(lines(&c).lines[0].end_reason, LineEnd::Death);
}

#[test]
fn a_patient_without_treatment_has_no_line() {
    let p = lines(&patient("A"));
    assert!(p.lines.is_empty());
    assert_eq!(p.end, PathwayEnd::NoFurtherTreatment);
    assert_eq!(p.sequence_label(), "no_further_treatment");
    let p = lines(&patient("A").lost("2001-01-01"));
    assert_eq!(p.end, PathwayEnd::LostToFollowUp);
}

#[test]
fn local_treatments_are_their_own_sequence_items() {
    let c = patient("A")
        .tx("T0", T::Surgery, &[], "2000-01-15", None, None)
        .tx(
            "T1",
            T::Chemotherapy,
            &[Streptozocin, Doxorubicin],
            "2000-02-01",
            Some("2000-07-01"),
            Some(StopReason::Completed),
        )
        .tx("T2", T::Tace, &[Lipiodol], "2000-09-01", None, None)
        .tx(
            "T3",
            T::Radionuclide,
            &[Lu177Dotatate],
            "2001-01-15",
            None,
            None,
        );
    let p = lines(&c);
    // The TACE does not make or separate lines; the radionuclide therapy
    // after a 198-day gap is line 2.
    assert_eq!(regimens(&p), ["streptozocin+doxorubicin", "lu177_dotatate"]);
    assert_eq!(p.local.len(), 2);
    assert_eq!(
        (p.local[0].kind.as_str(), p.local[0].during_line),
        ("surgery", 0)
    );
    assert_eq!(
        (p.local[1].kind.as_str(), p.local[1].during_line),
        ("tace", 1)
    );
    assert_eq!(
        p.sequence_label(),
        "surgery > L1 streptozocin+doxorubicin > tace > L2 lu177_dotatate > no_further_treatment"
    );
    assert_eq!(p.lines[1].class, TreatmentClass::Radionuclide);
}

#[test]
fn undated_and_adjuvant_treatments_are_listed_apart() {
    let mut c = patient("A")
        .tx("P", T::Chemotherapy, &[Streptozocin], "", None, None)
        .tx(
            "ADJ",
            T::Chemotherapy,
            &[Capecitabine],
            "1999-07-01",
            Some("1999-12-01"),
            None,
        )
        .tx("T1", T::Targeted, &[Sunitinib], "2000-03", None, None);
    c.treatments[1].intent = Some(netra_clinical::registry::vocab::Intent::Adjuvant);
    let p = lines(&c);
    assert_eq!(p.undated, ["P"]);
    assert_eq!(p.not_lines, ["ADJ"]);
    assert_eq!(regimens(&p), ["sunitinib"]);
    // "2000-03" is imputed to the 15th (mid-point rule) and counted.
    assert_eq!(p.lines[0].start.day.to_string(), "2000-03-15");
    assert!(p.lines[0].start.imputed);
    assert_eq!(p.imputed_dates, 1);
}

/// Issue 13: a TACE recorded as "2008" was imputed to 2008-07-01, before
/// the diagnosis in 2008-10. Partial dates are imputed within the known
/// order (not before diagnosis, not after death or a complete last
/// follow-up), and each move is reported.
#[test]
fn partial_dates_are_imputed_within_the_known_order_and_reported() {
    use netra_clinical::registry::Imputation;
    use netra_clinical::registry::order::clamped_dates;
    let mut c = patient("A")
        .tx("T1", T::Tace, &[Lipiodol], "2008", None, None)
        .inv("S1", "2010", Response::Sd)
        .dead("2010-02-10");
    c.patient.diagnosis_date = Some(d("2008-10"));
    c.patient.metastatic_date = Some(d("2008-10"));
    c.patient.entry_date = None;
    let p = lines(&c);
    assert_eq!(p.local.len(), 1);
    // Diagnosis 2008-10 is day 2008-10-15 under the mid-point rule.
    assert_eq!(p.local[0].start.day.to_string(), "2008-10-15");
    let scans = netra_clinical::evaluation::Scans::new(&c, Imputation::MidPoint);
    assert_eq!(scans.days[0].day.day.to_string(), "2010-02-10");
    let clamps = clamped_dates(&c, Imputation::MidPoint);
    let text: Vec<String> = clamps.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        text,
        vec![
            "patient A: treatment 'T1' start_date '2008' imputed to 2008-10-15 instead of 2008-07-01: not before the diagnosis (2008-10)",
            "patient A: assessment 'S1' date '2010' imputed to 2010-02-10 instead of 2010-07-01: not after death (2010-02-10)",
        ]
    );
    // Under the first-day rule the same TACE is 2008-10-01 (the diagnosis
    // day under that rule), and a complete date is never moved.
    let p = derive_lines(
        &c,
        &LineRules {
            evaluation: netra_clinical::evaluation::EvaluationRules {
                imputation: Imputation::FirstDay,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    assert_eq!(p.local[0].start.day.to_string(), "2008-10-01");
    c.treatments[0].start_date = Some(d("2008-07-01"));
    assert!(clamped_dates(&c, Imputation::MidPoint).len() == 1);
}

/// An alive patient's partial dates stay on or before a complete last
/// follow-up (a "2003" scan of a patient last seen on 2003-01-01 would
/// otherwise lengthen follow-up by six months).
#[test]
fn partial_dates_stay_within_a_complete_last_follow_up() {
    use netra_clinical::registry::Imputation;
    let c = patient("A").inv("S1", "2003", Response::Sd);
    let scans = netra_clinical::evaluation::Scans::new(&c, Imputation::MidPoint);
    assert_eq!(scans.days[0].day.day.to_string(), "2003-01-01");
    assert!(scans.days[0].day.imputed);
}

/// Issue 13: records of a treatment are imputed within the treatment. A
/// "2010" administration of a PRRT given from 2010-09-14 to 2010-12-01
/// was 2010-07-01 (two months before the first cycle), and a "2010" end
/// of a treatment started 2010-09-14 was before its start.
#[test]
fn dose_dates_and_ends_are_imputed_within_their_treatment() {
    use netra_clinical::registry::Imputation;
    use netra_clinical::registry::model::RadionuclideAdministration;
    use netra_clinical::registry::order::{KnownOrder, clamped_dates};
    let mut c = patient("A")
        .tx(
            "T1",
            T::Radionuclide,
            &[Lu177Dotatate],
            "2010-09-14",
            Some("2010-12-01"),
            None,
        )
        .tx("T2", T::Tace, &[Lipiodol], "2011-09-14", Some("2011"), None);
    c.patient.diagnosis_date = Some(d("2008-10"));
    c.patient.last_followup_date = Some(d("2012-06-01"));
    for (n, date) in [(1, "2010"), (2, "2010-11-20"), (3, "2010-12")] {
        c.treatments[0]
            .administrations
            .push(RadionuclideAdministration {
                number: n,
                date: Some(d(date)),
                activity_gbq: 7.4,
                lu177_gbq: None,
                y90_gbq: None,
                tumour_dose_gy: None,
                notes: None,
            });
    }
    let clamps: Vec<String> = clamped_dates(&c, Imputation::MidPoint)
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        clamps,
        vec![
            "patient A: treatment 'T1' administration 1 date '2010' imputed to 2010-09-14 instead of 2010-07-01: not before the start of treatment 'T1' (2010-09-14)",
            "patient A: treatment 'T1' administration 3 date '2010-12' imputed to 2010-12-01 instead of 2010-12-15: not after the end of treatment 'T1' (2010-12-01)",
            "patient A: treatment 'T2' end_date '2011' imputed to 2011-09-14 instead of 2011-07-01: not before the start of treatment 'T2' (2011-09-14)",
        ]
    );
    let order = KnownOrder::of(&c.patient, Imputation::MidPoint);
    let end = order.impute_end(&c.treatments[1]).unwrap();
    assert_eq!(end.day.to_string(), "2011-09-14");
    assert!(end.imputed);
    let span = order.within_treatment(&c.treatments[0]);
    assert_eq!(span.impute(&d("2010")).day.to_string(), "2010-09-14");
    // A complete date is never moved, even outside the treatment.
    assert_eq!(span.impute(&d("2010-01-05")).day.to_string(), "2010-01-05");
}

/// Issue 13: a date known as a range ("between the October PET/CT and
/// December") is imputed within its bounds, the known order still applies
/// within them, and every move is reported.
#[test]
fn dates_known_as_ranges_are_imputed_within_their_bounds() {
    use netra_clinical::registry::order::{KnownOrder, clamped_dates};
    use netra_clinical::registry::{DateBounds, Imputation};
    let range = |nb: Option<&str>, na: Option<&str>| DateBounds {
        not_before: nb.map(d),
        not_after: na.map(d),
    };
    let mut c = patient("A").tx("T1", T::Chemotherapy, &[Cisplatin], "2010", None, None);
    c.patient.last_followup_date = Some(d("2012-01-01"));
    c.treatments[0].start_bounds = range(Some("2010-10-15"), Some("2010-12"));
    // 2010-10-15 ..= 2010-12-31: the middle is 2010-11-22, not 1 July.
    let p = lines(&c);
    assert_eq!(p.lines[0].start.day.to_string(), "2010-11-22");
    assert!(p.lines[0].start.imputed);
    assert!(clamped_dates(&c, Imputation::MidPoint).is_empty());
    // The first-day rule takes the first day of the range.
    let mut first = LineRules::default();
    first.evaluation.imputation = Imputation::FirstDay;
    assert_eq!(
        derive_lines(&c, &first).lines[0].start.day.to_string(),
        "2010-10-15"
    );

    // Death on 2010-11-10: the order moves the day, within the bounds, and
    // says so.
    let dead = c.clone().dead("2010-11-10");
    let clamps: Vec<String> = clamped_dates(&dead, Imputation::MidPoint)
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        clamps,
        vec![
            "patient A: treatment 'T1' start_date '2010' imputed to 2010-11-10 instead of \
             2010-11-22: not after death (2010-11-10)"
        ]
    );
    assert_eq!(lines(&dead).lines[0].start.day.to_string(), "2010-11-10");

    // A diagnosis known as a range bounds the patient's other dates: a
    // "2008" start is not before the diagnosis "2008, not before October"
    // (2008-10-01 ..= 2008-12-31, imputed 2008-11-15).
    let mut c = patient("B").tx("T1", T::Tace, &[Lipiodol], "2008", None, None);
    c.patient.diagnosis_date = Some(d("2008"));
    c.patient.diagnosis_bounds = range(Some("2008-10"), None);
    c.patient.metastatic_date = None;
    c.patient.entry_date = None;
    c.patient.last_followup_date = Some(d("2012-01-01"));
    let order = KnownOrder::of(&c.patient, Imputation::MidPoint);
    assert_eq!(order.impute(&d("2008")).day.to_string(), "2008-11-15");
    let clamps = clamped_dates(&c, Imputation::MidPoint);
    assert_eq!(clamps.len(), 1);
    assert_eq!(clamps[0].reason, "not before the diagnosis (2008)");
    // Bounds that pin one day leave nothing to impute or move.
    let pinned = range(Some("2008-03-04"), Some("2008-03-04"));
    let r = order.impute_in(&d("2008-03"), &pinned);
    assert_eq!(r.day.to_string(), "2008-03-04");
    assert!(!r.imputed);
}
