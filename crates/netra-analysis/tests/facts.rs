//! The web's fast path and the study files' path are one analysis: a
//! cohort built from patient facts (what a server keeps) gives the same
//! survival and response outputs as a cohort built from the courses, for
//! every grouping the web offers — same levels in the same order, same
//! labels, same numbers. And text levels (site, arm) follow R's order.

use std::sync::Arc;

use netra_analysis::analyses::response::{self, ResponseRequest};
use netra_analysis::analyses::survival::{self, SurvivalOptions, SurvivalRequest};
use netra_analysis::{Cohort, CohortSpec, EndpointRequest, FactsLayout, PatientFacts, Settings};
use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero};
use netra_clinical::registry::model::PatientCourse;
use netra_sim::{Model, SimConfig};

fn courses(n: u64) -> Vec<PatientCourse> {
    let cfg = SimConfig {
        patients: n,
        seed: 5,
        study: "sim".into(),
        sites: 3,
        threads: 1,
    };
    (0..n)
        .map(|i| netra_sim::generate(Model::published(), &cfg, i))
        .collect()
}

const VARIABLES: &[&str] = &[
    "site",
    "sex",
    "age_at_diagnosis",
    "primary_site",
    "who_grade",
    "metastatic_setting",
    "functional_syndrome",
    "first_line_class",
    "arm",
    "diagnosis_year",
];

fn layout() -> FactsLayout {
    FactsLayout {
        variables: VARIABLES.iter().map(|v| v.to_string()).collect(),
        menu: vec![
            EndpointSpec::new(Endpoint::Os, TimeZero::Diagnosis),
            EndpointSpec::new(Endpoint::Ttp, TimeZero::Line(1)),
        ],
        lines_kept: 2,
        settings: Settings::default(),
    }
}

#[test]
fn facts_cohorts_answer_as_course_cohorts_do() {
    let courses = courses(300);
    let layout = layout();
    let facts: Vec<Arc<PatientFacts>> = courses
        .iter()
        .map(|c| Arc::new(PatientFacts::derive(c, &layout)))
        .collect();
    let spec = CohortSpec::default();
    let from_courses = Cohort::new(courses, &spec, Settings::default()).unwrap();
    let from_facts = Cohort::from_facts(facts, &layout, &spec).unwrap();
    assert_eq!(from_courses.len(), from_facts.len());
    for by in [
        None,
        Some("who_grade"),
        Some("site"),
        Some("sex"),
        Some("first_line_class"),
    ] {
        for (endpoint, from) in [("os", "diagnosis"), ("ttp", "line:1")] {
            let req = SurvivalRequest {
                endpoint: EndpointRequest {
                    endpoint: endpoint.into(),
                    from: from.into(),
                    ..EndpointRequest::default()
                },
                by: by.map(str::to_string),
                options: SurvivalOptions {
                    landmarks: vec![12.0, 36.0],
                    ..SurvivalOptions::default()
                },
                ..SurvivalRequest::default()
            };
            let a = survival::run(&from_courses, &req).unwrap();
            let b = survival::run(&from_facts, &req).unwrap();
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                serde_json::to_string(&b).unwrap(),
                "{endpoint} from {from} by {by:?}"
            );
        }
        for line in [1, 2] {
            let req = ResponseRequest {
                line,
                by: by.map(str::to_string),
                ..ResponseRequest::default()
            };
            let a = response::run(&from_courses, &req).unwrap();
            let b = response::run(&from_facts, &req).unwrap();
            assert_eq!(a, b, "line {line} by {by:?}");
            assert!(a.overall.evaluable > 0);
        }
    }
    // A facts cohort offers only its menu.
    let other = SurvivalRequest {
        endpoint: EndpointRequest {
            endpoint: "pfs".into(),
            from: "metastatic".into(),
            ..EndpointRequest::default()
        },
        ..SurvivalRequest::default()
    };
    assert!(survival::run(&from_facts, &other).is_err());
    assert!(survival::run(&from_courses, &other).is_ok());
}

#[test]
fn response_denominators_are_the_evaluable_patients() {
    let courses = courses(300);
    let cohort = Cohort::new(courses, &CohortSpec::default(), Settings::default()).unwrap();
    let lines = cohort.lines(Default::default());
    let (mut evaluable, mut with_line, mut orr) = (0u64, 0u64, 0u64);
    for p in lines.iter() {
        if let Some(l) = p.line(1) {
            with_line += 1;
            if l.evaluation.evaluable() {
                evaluable += 1;
                orr += u64::from(l.evaluation.best.is_some_and(|c| c.is_objective()));
            }
        }
    }
    let r = response::run(&cohort, &ResponseRequest::default()).unwrap();
    assert_eq!(r.overall.evaluable, evaluable);
    assert_eq!(r.overall.orr.count, orr);
    assert!(
        with_line > evaluable,
        "the simulated registry has lines without an evaluable response ({with_line} vs {evaluable})"
    );
    assert_eq!(r.not_evaluable as u64, cohort.len() as u64 - evaluable);
}

#[test]
fn text_levels_follow_r_order_and_ages_are_two_variables() {
    let cohort = Cohort::new(courses(60), &CohortSpec::default(), Settings::default()).unwrap();
    let sites = cohort.categories("site").unwrap().levels;
    let mut sorted = sites.clone();
    netra_stats::model::sort_levels(&mut sorted);
    assert_eq!(sites, sorted);
    assert!(cohort.variable("age_at_entry").is_ok());
    assert!(cohort.variable("age_at_diagnosis").is_ok());
    let e = cohort.variable("age").unwrap_err().to_string();
    assert!(
        e.contains("age_at_entry") && e.contains("age_at_diagnosis"),
        "{e}"
    );
}

#[test]
fn a_text_variable_nobody_has_is_still_categorical() {
    // The simulated registry records no study arms: grouping by arm was
    // "is not categorical" from facts (the web) and worked from courses.
    let courses = courses(40);
    assert!(courses.iter().all(|c| c.patient.arm.is_none()));
    let layout = layout();
    let facts: Vec<Arc<PatientFacts>> = courses
        .iter()
        .map(|c| Arc::new(PatientFacts::derive(c, &layout)))
        .collect();
    let spec = CohortSpec::default();
    let from_courses = Cohort::new(courses, &spec, Settings::default()).unwrap();
    let from_facts = Cohort::from_facts(facts, &layout, &spec).unwrap();
    let req = SurvivalRequest {
        by: Some("arm".into()),
        ..SurvivalRequest::default()
    };
    let a = survival::run(&from_courses, &req).map(|o| serde_json::to_string(&o).unwrap());
    let b = survival::run(&from_facts, &req).map(|o| serde_json::to_string(&o).unwrap());
    match (&a, &b) {
        (Ok(x), Ok(y)) => assert_eq!(x, y),
        (Err(x), Err(y)) => assert_eq!(x.to_string(), y.to_string()),
        _ => panic!("courses {a:?} vs facts {b:?}"),
    }
    if let Err(e) = &b {
        assert!(!e.to_string().contains("not categorical"), "{e}");
    }
}
