//! The paper's treatment variables, boolean conditions, treatment
//! patterns and adverse-event table, on a five-patient cohort whose
//! counts, medians and intervals are worked out by hand below.
//!
//! Metastatic diagnosis 2000-01-01 for P1–P4; P5 has none.
//! * P1 (arm A): curative primary resection 1999-07-01 (before metastases),
//!   palliative TACE 2000-02-01, 2000-05-01, 2000-08-01 → local only.
//! * P2 (arm A): octreotide 2000-03-01 to 2000-12-15 (progression), then
//!   capecitabine + temozolomide 2001-01-01 → systemic only, two lines.
//!   AEs: diarrhoea grade 2 and 3 on chemotherapy, fatigue grade 1 on
//!   octreotide.
//! * P3 (arm B): curative metastasectomy 2000-01-15, everolimus
//!   2000-06-01 → both. AEs: diarrhoea grade 1 on everolimus, stomatitis
//!   grade 3 unattributed.
//! * P4: no treatment → neither.
//! * P5: no metastatic date; one TACE 2001-01-01.

use netra_analysis::analyses::adverse_events::{self, AdverseEventsRequest};
use netra_analysis::analyses::patterns::{self, PatternsRequest};
use netra_analysis::condition::parse_expr;
use netra_analysis::variables::treatment::{Exposure, IntentGroup, Window};
use netra_analysis::variables::{Column, Derivation, DerivedVariable};
use netra_analysis::{Cohort, CohortSpec, Settings};
use netra_clinical::endpoints::TimeZero;
use netra_clinical::registry::PartialDate;
use netra_clinical::registry::model::*;
use netra_clinical::registry::vocab::*;

const MONTH: f64 = 30.4375;

fn d(s: &str) -> PartialDate {
    s.parse().unwrap()
}

fn patient(code: &str, arm: Option<&str>, metastatic: bool) -> PatientCourse {
    PatientCourse::new(Patient {
        code: code.into(),
        site: "s".into(),
        sex: Sex::Female,
        birth_date: None,
        age_at_entry: None,
        diagnosis_date: Some(d("1999-06-01")),
        metastatic_date: metastatic.then(|| d("2000-01-01")),
        metastatic_setting: None,
        prior_stage: None,
        ecog: None,
        entry_date: Some(d("2000-01-10")),
        arm: arm.map(str::to_string),
        excluded: None,
        exclusion_reason: None,
        last_followup_date: Some(d("2003-01-01")),
        vital_status: VitalStatus::Alive,
        death_date: None,
        death_cause: None,
        notes: None,
        diagnosis_bounds: Default::default(),
        metastatic_bounds: Default::default(),
        death_bounds: Default::default(),
    })
}

struct Tx<'a> {
    id: &'a str,
    kind: TreatmentType,
    agents: &'a [Agent],
    start: &'a str,
    end: Option<&'a str>,
    surgery: Option<SurgeryType>,
    intent: Option<Intent>,
}

fn tx(c: &mut PatientCourse, t: Tx<'_>) {
    c.treatments.push(Treatment {
        id: t.id.into(),
        kind: t.kind,
        surgery_type: t.surgery,
        start_date: Some(d(t.start)),
        end_date: t.end.map(d),
        intent: t.intent,
        stop_reason: t.end.map(|_| StopReason::Progression),
        line: None,
        notes: None,
        agents: t
            .agents
            .iter()
            .map(|a| TreatmentAgent {
                agent: *a,
                agent_detail: None,
                dose: None,
                dose_unit: None,
                interval_days: None,
                notes: None,
                route: None,
                formulation: None,
            })
            .collect(),
        administrations: Vec::new(),
        start_bounds: Default::default(),
        end_bounds: Default::default(),
        target_organ: None,
        target_lesions: Vec::new(),
    });
}

fn simple<'a>(id: &'a str, kind: TreatmentType, start: &'a str) -> Tx<'a> {
    Tx {
        id,
        kind,
        agents: &[],
        start,
        end: None,
        surgery: None,
        intent: None,
    }
}

fn ae(c: &mut PatientCourse, id: &str, term: &str, grade: u8, treatment: Option<&str>) {
    c.adverse_events.push(AdverseEvent {
        id: id.into(),
        term: term.into(),
        grade,
        onset_date: Some(d("2000-07-01")),
        resolution_date: None,
        attribution: None,
        serious: None,
        treatment: treatment.map(str::to_string),
        notes: None,
    });
}

fn courses() -> Vec<PatientCourse> {
    let mut p1 = patient("P1", Some("A"), true);
    tx(
        &mut p1,
        Tx {
            surgery: Some(SurgeryType::PrimaryResection),
            intent: Some(Intent::Curative),
            ..simple("s1", TreatmentType::Surgery, "1999-07-01")
        },
    );
    for (i, day) in ["2000-02-01", "2000-05-01", "2000-08-01"]
        .iter()
        .enumerate()
    {
        tx(
            &mut p1,
            Tx {
                intent: Some(Intent::Palliative),
                ..simple(&format!("t{i}"), TreatmentType::Tace, day)
            },
        );
    }
    let mut p2 = patient("P2", Some("A"), true);
    tx(
        &mut p2,
        Tx {
            agents: &[Agent::Octreotide],
            end: Some("2000-12-15"),
            ..simple("ssa", TreatmentType::SomatostatinAnalogue, "2000-03-01")
        },
    );
    tx(
        &mut p2,
        Tx {
            agents: &[Agent::Capecitabine, Agent::Temozolomide],
            ..simple("capetem", TreatmentType::Chemotherapy, "2001-01-01")
        },
    );
    ae(&mut p2, "a1", "Diarrhoea", 2, Some("capetem"));
    ae(&mut p2, "a2", "Diarrhoea", 3, Some("capetem"));
    ae(&mut p2, "a3", "Fatigue", 1, Some("ssa"));
    let mut p3 = patient("P3", Some("B"), true);
    tx(
        &mut p3,
        Tx {
            surgery: Some(SurgeryType::Metastasectomy),
            intent: Some(Intent::Curative),
            ..simple("s1", TreatmentType::Surgery, "2000-01-15")
        },
    );
    tx(
        &mut p3,
        Tx {
            agents: &[Agent::Everolimus],
            ..simple("eve", TreatmentType::Targeted, "2000-06-01")
        },
    );
    ae(&mut p3, "a1", "Diarrhoea", 1, Some("eve"));
    ae(&mut p3, "a2", "Stomatitis", 3, None);
    let p4 = patient("P4", None, true);
    let mut p5 = patient("P5", None, false);
    tx(&mut p5, simple("t1", TreatmentType::Tace, "2001-01-01"));
    vec![p1, p2, p3, p4, p5]
}

fn cohort(spec: &CohortSpec) -> Cohort {
    Cohort::new(courses(), spec, Settings::default()).unwrap()
}

/// The level codes of a categorical variable, per patient.
fn codes(c: &Cohort, name: &str) -> Vec<Option<String>> {
    match &c.variable(name).unwrap().column {
        Column::Cat { levels, codes } => codes
            .iter()
            .map(|k| k.map(|k| levels[k].code.clone()))
            .collect(),
        Column::Num(_) => panic!("{name} is a number"),
    }
}

fn s(v: &[Option<&str>]) -> Vec<Option<String>> {
    v.iter().map(|x| x.map(str::to_string)).collect()
}

#[test]
fn treatment_variables_place_treatments_in_time() {
    let c = cohort(&CohortSpec::default());
    assert_eq!(
        codes(&c, "modality"),
        s(&[
            Some("local_only"),
            Some("systemic_only"),
            Some("both"),
            Some("none"),
            None
        ])
    );
    assert_eq!(
        codes(&c, "first_treatment"),
        s(&[
            Some("local"),
            Some("somatostatin_analogue"),
            Some("local"),
            Some("none"),
            None
        ])
    );
    assert_eq!(
        codes(&c, "surgery_type"),
        s(&[
            Some("primary_resection"),
            Some("none"),
            Some("metastasectomy"),
            Some("none"),
            Some("none")
        ])
    );
    assert_eq!(
        codes(&c, "surgery.metastasectomy"),
        s(&[Some("no"), Some("no"), Some("yes"), Some("no"), Some("no")])
    );
    assert_eq!(
        codes(&c, "first_line_regimen"),
        s(&[None, Some("octreotide"), Some("everolimus"), None, None])
    );
    assert_eq!(
        codes(&c, "first_line_class"),
        s(&[
            None,
            Some("somatostatin_analogue"),
            Some("targeted"),
            None,
            None
        ])
    );
}

fn exposure(name: &str, e: Exposure) -> DerivedVariable {
    DerivedVariable {
        name: name.into(),
        label: name.into(),
        derivation: Derivation::Exposure(e),
        levels: None,
    }
}

#[test]
fn exposures_count_treatments_in_their_window_and_intent() {
    let spec = CohortSpec {
        derived: vec![
            exposure(
                "palliative_local_3m",
                Exposure {
                    treatment: "local".into(),
                    window: Window::Within(3.0),
                    time_zero: TimeZero::Metastatic,
                    intent: Some(IntentGroup::Palliative),
                },
            ),
            exposure(
                "curative_surgery_before",
                Exposure {
                    treatment: "surgery".into(),
                    window: Window::Before,
                    time_zero: TimeZero::Metastatic,
                    intent: Some(IntentGroup::Curative),
                },
            ),
            exposure(
                "systemic_after",
                Exposure {
                    treatment: "systemic".into(),
                    window: Window::After,
                    time_zero: TimeZero::Metastatic,
                    intent: None,
                },
            ),
            exposure(
                "tace_from_diagnosis_within_1m",
                Exposure {
                    treatment: "tace".into(),
                    window: Window::Within(1.0),
                    time_zero: TimeZero::Diagnosis,
                    intent: None,
                },
            ),
        ],
        ..CohortSpec::default()
    };
    let c = cohort(&spec);
    let yes_no = |name: &str| -> Vec<Option<bool>> {
        codes(&c, name)
            .into_iter()
            .map(|x| x.map(|x| x == "Yes"))
            .collect()
    };
    // P1's first TACE is 31 days after; P3's surgery is curative; P5 has
    // no time zero.
    assert_eq!(
        yes_no("palliative_local_3m"),
        [Some(true), Some(false), Some(false), Some(false), None]
    );
    assert_eq!(
        yes_no("curative_surgery_before"),
        [Some(true), Some(false), Some(false), Some(false), None]
    );
    assert_eq!(
        yes_no("systemic_after"),
        [Some(false), Some(true), Some(true), Some(false), None]
    );
    // Diagnosis 1999-06-01: no TACE within a month of it (P5 has a
    // diagnosis date, so a known "no").
    assert_eq!(yes_no("tace_from_diagnosis_within_1m"), [Some(false); 5]);
}

#[test]
fn boolean_conditions_select_the_cohort() {
    let spec = CohortSpec {
        conditions: vec![
            parse_expr(
                "modality == both or (modality == local_only and surgery_type == primary_resection)",
            )
            .unwrap(),
        ],
        ..CohortSpec::default()
    };
    let c = cohort(&spec);
    assert_eq!(c.frame.patients, ["P1", "P3"]);
    assert_eq!(c.selection.by_condition[0].1, 3);
    // R: subset(d, !(modality == "none")) drops P4 and P5 (NA).
    let spec = CohortSpec {
        conditions: vec![parse_expr("not modality == none").unwrap()],
        ..CohortSpec::default()
    };
    assert_eq!(cohort(&spec).frame.patients, ["P1", "P2", "P3"]);
    let bad = CohortSpec {
        conditions: vec![parse_expr("modality == both or nope == 1").unwrap()],
        ..CohortSpec::default()
    };
    let err = Cohort::new(courses(), &bad, Settings::default())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("nope"), "{err}");
}

fn close(a: Option<f64>, b: f64) {
    let a = a.unwrap();
    assert!((a - b).abs() < 1e-9, "{a} vs {b}");
}

#[test]
fn patterns_count_by_hand() {
    let c = cohort(&CohortSpec::default());
    let p = patterns::run(&c, &PatternsRequest::default()).unwrap();
    assert_eq!((p.n_patients, p.n_metastatic, p.n_undated), (5, 4, 0));
    let pairs = |v: &[patterns::CountOut]| -> Vec<(String, u64)> {
        v.iter().map(|r| (r.code.clone(), r.n)).collect()
    };
    let own = |v: &[(&str, u64)]| -> Vec<(String, u64)> {
        v.iter().map(|(c, n)| (c.to_string(), *n)).collect()
    };
    assert_eq!(
        pairs(&p.modality),
        own(&[
            ("local_only", 1),
            ("systemic_only", 1),
            ("both", 1),
            ("none", 1)
        ])
    );
    assert_eq!(p.modality[0].share, Some(0.25));
    assert_eq!(
        pairs(&p.first_treatment),
        own(&[("somatostatin_analogue", 1), ("local", 2), ("none", 1)])
    );
    assert_eq!(
        pairs(&p.whole_course),
        own(&[("systemic", 2), ("local", 3), ("both", 1)])
    );
    assert_eq!(p.whole_course[1].share, Some(0.6));
    // 60 and 152 days from 2000-01-01.
    let m = &p.months_to_first_systemic;
    assert_eq!(m.n, 2);
    close(m.median, (60.0 + 152.0) / 2.0 / MONTH);
    close(m.min, 60.0 / MONTH);
    close(m.max, 152.0 / MONTH);
    let l = &p.lines_per_patient;
    assert_eq!(
        (l.n, l.median, l.min, l.max),
        (2, Some(1.5), Some(1.0), Some(2.0))
    );
    let reach: Vec<(u32, u64)> = p.reach.iter().map(|r| (r.line, r.n)).collect();
    assert_eq!(reach, [(1, 2), (2, 1), (3, 0), (4, 0)]);
    assert_eq!(p.reach[0].share, Some(0.4));
    assert_eq!(p.reach[1].share_of_previous, Some(0.5));
    assert_eq!(p.reach[3].share_of_previous, None);
    assert_eq!(
        pairs(&p.first_line_class),
        own(&[("somatostatin_analogue", 1), ("targeted", 1)])
    );
    assert_eq!(
        pairs(&p.first_line_regimen),
        own(&[("everolimus", 1), ("octreotide", 1)])
    );
    assert_eq!(p.first_line_regimen[0].share, Some(0.5));
    let kinds: Vec<&str> = p.local_sessions.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(kinds, ["surgery", "tace"]);
    let tace = &p.local_sessions[1];
    assert_eq!((tace.n, tace.sessions), (2, 4));
    assert_eq!(
        (
            tace.per_patient.median,
            tace.per_patient.min,
            tace.per_patient.max
        ),
        (Some(2.0), Some(1.0), Some(3.0))
    );
    // P1: 90 days (Feb 2000 has 29) and 92 days.
    assert_eq!(tace.interval_months.n, 2);
    close(tace.interval_months.median, 91.0 / MONTH);
    close(tace.interval_months.min, 90.0 / MONTH);
    assert_eq!(p.local_sessions[0].interval_months.n, 0);
    assert_eq!((p.metastasectomy_patients, p.metastasectomies), (1, 1));
    // Asking for one type lists it even when no one had it.
    let only = patterns::run(
        &c,
        &PatternsRequest {
            local_types: vec!["rfa".into()],
            ..PatternsRequest::default()
        },
    )
    .unwrap();
    assert_eq!(only.local_sessions.len(), 1);
    assert_eq!(only.local_sessions[0].n, 0);
    assert!(
        patterns::run(
            &c,
            &PatternsRequest {
                local_types: vec!["octreotide".into()],
                ..PatternsRequest::default()
            }
        )
        .is_err()
    );
}

/// A row of the adverse-event table: treatment, term, and per group
/// [any, grade 1–2, grade 3–4, grade 5].
type AeRow<'a> = (Option<&'a str>, &'a str, Vec<[u64; 4]>);

#[test]
fn adverse_events_count_worst_grade_per_patient() {
    let c = cohort(&CohortSpec::default());
    let out = adverse_events::run(
        &c,
        &AdverseEventsRequest {
            by: "arm".into(),
            by_treatment: true,
        },
    )
    .unwrap();
    let groups: Vec<(&str, u64)> = out.groups.iter().map(|g| (g.label.as_str(), g.n)).collect();
    assert_eq!(groups, [("A", 2), ("B", 1)]);
    let rows: Vec<AeRow<'_>> = out
        .rows
        .iter()
        .map(|r| {
            (
                r.treatment.as_deref(),
                r.term.as_str(),
                r.cells
                    .iter()
                    .map(|c| [c.n, c.grade_1_2, c.grade_3_4, c.grade_5])
                    .collect(),
            )
        })
        .collect();
    let z = [0u64; 4];
    assert_eq!(
        rows,
        [
            (
                Some("somatostatin_analogue"),
                adverse_events::ANY,
                vec![[1, 1, 0, 0], z]
            ),
            (
                Some("somatostatin_analogue"),
                "Fatigue",
                vec![[1, 1, 0, 0], z]
            ),
            (
                Some("chemotherapy"),
                adverse_events::ANY,
                vec![[1, 0, 1, 0], z]
            ),
            (Some("chemotherapy"), "Diarrhoea", vec![[1, 0, 1, 0], z]),
            (Some("targeted"), adverse_events::ANY, vec![z, [1, 1, 0, 0]]),
            (Some("targeted"), "Diarrhoea", vec![z, [1, 1, 0, 0]]),
            (None, adverse_events::ANY, vec![z, [1, 0, 1, 0]]),
            (None, "Stomatitis", vec![z, [1, 0, 1, 0]]),
        ]
    );
    assert_eq!(out.rows[6].treatment_label, "Not attributed");
    // Over all treatments, one column: P2's diarrhoea counts once, at 3.
    let all = adverse_events::run(
        &c,
        &AdverseEventsRequest {
            by: String::new(),
            by_treatment: false,
        },
    )
    .unwrap();
    assert_eq!(all.groups[0].n, 5);
    let rows: Vec<(&str, [u64; 4])> = all
        .rows
        .iter()
        .map(|r| {
            let c = &r.cells[0];
            (r.term.as_str(), [c.n, c.grade_1_2, c.grade_3_4, c.grade_5])
        })
        .collect();
    assert_eq!(
        rows,
        [
            (adverse_events::ANY, [2, 0, 2, 0]),
            ("Diarrhoea", [2, 1, 1, 0]),
            ("Fatigue", [1, 1, 0, 0]),
            ("Stomatitis", [1, 0, 1, 0]),
        ]
    );
    assert!(
        adverse_events::run(
            &c,
            &AdverseEventsRequest {
                by: "age_at_entry".into(),
                by_treatment: true
            }
        )
        .is_err()
    );
}
