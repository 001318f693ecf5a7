//! The registry → response-engine mapping (`netra_clinical::evaluation`).

mod common;

use common::*;
use netra_clinical::evaluation::*;
use netra_clinical::registry::model::{Assessment, Lesion, PatientCourse};
use netra_clinical::registry::vocab::*;
use netra_clinical::registry::{Day, Imputation};
use netra_clinical::response::Category;

fn lesion(
    id: &str,
    organ: Organ,
    role: LesionRole,
    mm: Option<f64>,
    status: Option<LesionStatus>,
) -> Lesion {
    Lesion {
        id: id.into(),
        organ,
        organ_detail: None,
        role,
        longest_mm: mm,
        perpendicular_mm: None,
        short_axis_mm: if organ == Organ::LymphNode { mm } else { None },
        viable_mm: None,
        attenuation_hu: None,
        status,
        notes: None,
    }
}

fn scan(c: &mut PatientCourse, id: &str, date: &str, lesions: Vec<Lesion>, inv: Option<Response>) {
    c.assessments.push(Assessment {
        date_bounds: Default::default(),
        id: id.into(),
        date: d(date),
        modality: Modality::Ct,
        criteria: None,
        treatment: None,
        investigator_response: inv,
        notes: None,
        lesions,
    });
}

fn day(s: &str) -> Day {
    d(s).earliest()
}

fn eval(c: &PatientCourse) -> Evaluation {
    let scans = Scans::new(c, Imputation::MidPoint);
    evaluate_segment(
        &scans,
        day("2000-02-01"),
        None,
        &[],
        &EvaluationRules::default(),
    )
}

#[test]
fn follow_up_lesions_keep_their_baseline_classification() {
    let mut c = patient("A");
    scan(
        &mut c,
        "B",
        "2000-01-20",
        vec![
            lesion("L1", Organ::Liver, LesionRole::Target, Some(50.0), None),
            lesion(
                "L2",
                Organ::Liver,
                LesionRole::NonTarget,
                Some(12.0),
                Some(LesionStatus::Present),
            ),
        ],
        None,
    );
    // At the follow-up the registry re-selected: L1 non-target, L2 target.
    scan(
        &mut c,
        "F",
        "2000-04-01",
        vec![
            lesion(
                "L1",
                Organ::Liver,
                LesionRole::NonTarget,
                Some(20.0),
                Some(LesionStatus::Present),
            ),
            lesion("L2", Organ::Liver, LesionRole::Target, Some(12.0), None),
        ],
        None,
    );
    let ev = eval(&c);
    assert_eq!(ev.note, None);
    // L1 stays the target: 50 → 20 mm, −60 %, PR (non-target present).
    assert_eq!(ev.best, Some(Category::PR));
    assert_eq!(ev.source, Some(ResponseSource::Lesions));
    assert_eq!(ev.measurable, Some(true));
    assert_eq!(ev.first_response.unwrap().day, day("2000-04-01"));
    assert!(ev.evaluable());
}

#[test]
fn a_lesion_unknown_at_baseline_is_new_and_a_new_lesion_at_baseline_is_disease() {
    let mut c = patient("A");
    scan(
        &mut c,
        "B",
        "2000-01-20",
        vec![
            lesion("L1", Organ::Liver, LesionRole::Target, Some(50.0), None),
            lesion(
                "N0",
                Organ::Bone,
                LesionRole::New,
                None,
                Some(LesionStatus::Present),
            ),
        ],
        None,
    );
    scan(
        &mut c,
        "F",
        "2000-04-01",
        vec![
            lesion("L1", Organ::Liver, LesionRole::Target, Some(48.0), None),
            lesion(
                "N0",
                Organ::Bone,
                LesionRole::New,
                None,
                Some(LesionStatus::Present),
            ),
            lesion("X9", Organ::Lung, LesionRole::Target, Some(11.0), None),
        ],
        None,
    );
    let ev = eval(&c);
    assert_eq!(ev.note, None);
    assert_eq!(ev.best, Some(Category::PD));
    assert_eq!(ev.progression.unwrap().day, day("2000-04-01"));
}

#[test]
fn same_day_assessments_are_one_scan_and_nodes_normalise() {
    let mut c = patient("A");
    scan(
        &mut c,
        "B1",
        "2000-01-20",
        vec![lesion(
            "L1",
            Organ::Liver,
            LesionRole::Target,
            Some(30.0),
            None,
        )],
        None,
    );
    scan(
        &mut c,
        "B2",
        "2000-01-20",
        vec![lesion(
            "N1",
            Organ::LymphNode,
            LesionRole::Target,
            Some(20.0),
            None,
        )],
        None,
    );
    scan(
        &mut c,
        "F1",
        "2000-04-01",
        vec![lesion(
            "L1",
            Organ::Liver,
            LesionRole::Target,
            Some(0.0),
            None,
        )],
        None,
    );
    scan(
        &mut c,
        "F2",
        "2000-04-01",
        vec![lesion(
            "N1",
            Organ::LymphNode,
            LesionRole::Target,
            Some(8.0),
            None,
        )],
        None,
    );
    let scans = Scans::new(&c, Imputation::MidPoint);
    assert_eq!(scans.days.len(), 2);
    let ev = eval(&c);
    // Liver lesion gone, node back under 10 mm short axis: CR.
    assert_eq!(ev.best, Some(Category::CR));
    assert_eq!(ev.scans.len(), 1);
}

#[test]
fn investigator_responses_when_there_are_no_lesions() {
    let mut c = patient("A");
    scan(&mut c, "F1", "2000-03-01", vec![], Some(Response::Sd));
    let ev = eval(&c);
    // SD 29 days after the start does not count (6 weeks): NE.
    assert_eq!(ev.best, Some(Category::NE));
    assert_eq!(ev.source, Some(ResponseSource::Investigator));
    assert!(!ev.evaluable());
    scan(&mut c, "F2", "2000-05-01", vec![], Some(Response::Pr));
    scan(&mut c, "F3", "2000-07-01", vec![], Some(Response::Pd));
    scan(&mut c, "F4", "2000-09-01", vec![], Some(Response::Cr));
    let ev = eval(&c);
    // Best before the first PD: PR; the later CR does not count.
    assert_eq!(ev.best, Some(Category::PR));
    assert_eq!(ev.progression.unwrap().day, day("2000-07-01"));
    assert_eq!(ev.measurable, None);
    assert!(ev.evaluable());
    // Lesions only: the investigator's responses are not read, and there
    // are no lesions.
    let rules = EvaluationRules {
        progression: ProgressionSource::Lesions,
        ..EvaluationRules::default()
    };
    let scans = Scans::new(&c, Imputation::MidPoint);
    let ev = evaluate_segment(&scans, day("2000-02-01"), None, &[], &rules);
    assert_eq!(ev.best, None);
    assert_eq!(ev.progression, None);
}

/// Issue 13: a month-only ultrasound (imputed to the 15th) and a CT on the
/// 15th measuring the same lesion were merged, and one size silently won
/// (by how the assessment ids sort). Now the lesions are refused with a
/// message naming both assessments, whichever id sorts first.
#[test]
fn a_lesion_measured_in_two_assessments_of_one_day_is_refused_naming_both() {
    for (us_id, ct_id) in [("A1", "A2"), ("Z9", "A2")] {
        let mut c = patient("A");
        scan(
            &mut c,
            ct_id,
            "2000-01-15",
            vec![
                lesion("L1", Organ::Liver, LesionRole::Target, Some(60.0), None),
                lesion("L2", Organ::Liver, LesionRole::Target, Some(40.0), None),
            ],
            None,
        );
        scan(
            &mut c,
            us_id,
            "2000-01",
            vec![lesion(
                "L1",
                Organ::Liver,
                LesionRole::Target,
                Some(41.3),
                None,
            )],
            None,
        );
        c.assessments
            .iter_mut()
            .find(|a| a.id == us_id)
            .unwrap()
            .modality = Modality::Ultrasound;
        scan(
            &mut c,
            "F",
            "2000-04-01",
            vec![
                lesion("L1", Organ::Liver, LesionRole::Target, Some(40.0), None),
                lesion("L2", Organ::Liver, LesionRole::Target, Some(30.0), None),
            ],
            None,
        );
        let scans = Scans::new(&c, Imputation::MidPoint);
        let err = segment_lesions(
            &scans,
            day("2000-02-01"),
            None,
            &[],
            &EvaluationRules::default(),
        )
        .expect("baseline with lesions")
        .expect_err("one lesion, two measurements on one day");
        let msg = err.to_string();
        assert!(msg.contains("lesion L1"), "{msg}");
        assert!(
            msg.contains(&format!("'{us_id}' (ultrasound, dated 2000-01)")),
            "{msg}"
        );
        assert!(
            msg.contains(&format!("'{ct_id}' (ct, dated 2000-01-15)")),
            "{msg}"
        );
        // The evaluation does not use either size: no lesion-based response,
        // and the reason is kept.
        let ev = eval(&c);
        assert_eq!(ev.source, None);
        assert!(ev.note.as_deref().unwrap_or("").contains("two assessments"));
    }
}

/// Assessments of one day measuring different lesions are still one scan.
#[test]
fn assessments_of_one_day_with_different_lesions_are_one_scan() {
    let mut c = patient("A");
    scan(
        &mut c,
        "CT",
        "2000-01-15",
        vec![lesion(
            "L1",
            Organ::Liver,
            LesionRole::Target,
            Some(60.0),
            None,
        )],
        None,
    );
    scan(
        &mut c,
        "MR",
        "2000-01-15",
        vec![lesion(
            "L2",
            Organ::Liver,
            LesionRole::Target,
            Some(40.0),
            None,
        )],
        None,
    );
    scan(
        &mut c,
        "F",
        "2000-04-01",
        vec![
            lesion("L1", Organ::Liver, LesionRole::Target, Some(30.0), None),
            lesion("L2", Organ::Liver, LesionRole::Target, Some(30.0), None),
        ],
        None,
    );
    let ev = eval(&c);
    assert_eq!(ev.note, None);
    assert_eq!(ev.best, Some(Category::PR));
    // Both baseline lesions reach the engine (a CT and an MRI of one day).
    let scans = Scans::new(&c, Imputation::MidPoint);
    let input = segment_lesions(
        &scans,
        day("2000-02-01"),
        None,
        &[],
        &EvaluationRules::default(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(input.assessments[0].measurements.len(), 2);
}

/// Two investigator responses on one day: the worse one, whatever the ids.
#[test]
fn the_investigator_response_of_a_day_does_not_depend_on_id_order() {
    for (a, b) in [("A", "B"), ("B", "A")] {
        let mut c = patient("A");
        scan(&mut c, a, "2000-03-01", vec![], Some(Response::Pr));
        scan(&mut c, b, "2000-03-01", vec![], Some(Response::Sd));
        scan(&mut c, "N", "2000-03-01", vec![], Some(Response::Ne));
        let scans = Scans::new(&c, Imputation::MidPoint);
        assert_eq!(scans.days[0].investigator(), Some(Category::SD));
    }
}

/// Issue 13: a follow-up lesion typed `l1` for the baseline's `L1` became a
/// new lesion and scored progression. It is refused, naming the baseline
/// lesion.
#[test]
fn a_follow_up_lesion_differing_from_a_baseline_lesion_only_in_case_is_refused() {
    let mut c = patient("A");
    scan(
        &mut c,
        "B",
        "2000-01-20",
        vec![lesion(
            "L1",
            Organ::Liver,
            LesionRole::Target,
            Some(50.0),
            None,
        )],
        None,
    );
    scan(
        &mut c,
        "F",
        "2000-04-01",
        vec![lesion(
            "l1",
            Organ::Liver,
            LesionRole::Target,
            Some(20.0),
            None,
        )],
        None,
    );
    let ev = eval(&c);
    assert_ne!(ev.best, Some(Category::PD));
    assert_eq!(ev.source, None);
    let note = ev.note.unwrap_or_default();
    assert!(
        note.contains("lesion l1") && note.contains("which has 'L1'"),
        "{note}"
    );
}
