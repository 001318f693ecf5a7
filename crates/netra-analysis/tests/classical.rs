//! The classical analyses on a registry cohort (`compare`, `rates`,
//! `baseline`), each checked against the same numbers assembled by hand
//! from the cohort's variables and the data-level functions the CLI uses:
//! one computation, whichever surface asks.

use netra_analysis::analyses::baseline::{self, BaselineRequest, GroupValues};
use netra_analysis::analyses::compare::{
    self, CompareData, CompareOptions, CompareRequest, CompareTest, Values,
};
use netra_analysis::analyses::rates::{self, RateCi, RatesRequest};
use netra_analysis::analyses::{registry, run_json};
use netra_analysis::variables::Column;
use netra_analysis::{Cohort, CohortSpec, Settings};
use netra_clinical::registry::model::PatientCourse;
use netra_sim::{Model, SimConfig};

fn cohort(n: u64) -> Cohort {
    let cfg = SimConfig {
        patients: n,
        seed: 11,
        study: "sim".into(),
        sites: 3,
        threads: 1,
    };
    let courses: Vec<PatientCourse> = (0..n)
        .map(|i| netra_sim::generate(Model::published(), &cfg, i))
        .collect();
    Cohort::new(courses, &CohortSpec::default(), Settings::default()).unwrap()
}

/// Ages by sex, built from the frame by hand.
fn ages_by_sex(c: &Cohort) -> CompareData {
    let sex = c.categories("sex").unwrap();
    let Column::Num(age) = &c.variable("age_at_diagnosis").unwrap().column else {
        panic!("age is a number");
    };
    let (mut group, mut values) = (Vec::new(), Vec::new());
    for (a, s) in age.iter().zip(&sex.codes) {
        if let (Some(a), Some(s)) = (a, s) {
            group.push(*s);
            values.push(*a);
        }
    }
    CompareData {
        groups: sex.levels,
        group,
        values: Values::Numbers(values),
    }
}

#[test]
fn compare_on_a_cohort_is_compare_on_its_columns() {
    let c = cohort(200);
    for test in [CompareTest::T, CompareTest::Welch, CompareTest::Mannwhitney] {
        let req = CompareRequest {
            variable: "age_at_diagnosis".into(),
            by: "sex".into(),
            test: Some(test),
            ..CompareRequest::default()
        };
        let a = compare::run(&c, &req).unwrap();
        let options = CompareOptions {
            test: Some(test),
            ..CompareOptions::default()
        };
        let b = compare::compare(&ages_by_sex(&c), &options).unwrap();
        assert_eq!(a.p_value, b.p_value, "{test:?}");
        assert_eq!(a.n, b.n);
        assert!(a.p_value > 0.0 && a.p_value <= 1.0);
        assert_eq!(
            a.variable_label.as_deref(),
            Some("Age at diagnosis (years)")
        );
    }
    // Categories without a named test: Cochran's rule picks one and says so.
    let json = run_json(
        &c,
        "compare",
        serde_json::json!({"variable": "who_grade", "by": "sex"}),
    )
    .unwrap();
    let test = json["test"].as_str().unwrap();
    assert!(
        test.starts_with("Pearson's chi-squared") || test == "Fisher's exact test",
        "{test}"
    );
    let rows: f64 = json["table"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|x| x.as_f64().unwrap())
        .sum();
    assert_eq!(rows as u64, json["n"].as_u64().unwrap());
    // A number cannot be a contingency table; an unknown field is refused.
    let bad = CompareRequest {
        variable: "age_at_diagnosis".into(),
        by: "sex".into(),
        test: Some(CompareTest::Chisq),
        ..CompareRequest::default()
    };
    assert!(compare::run(&c, &bad).is_err());
    assert!(run_json(&c, "compare", serde_json::json!({"variabel": "sex"})).is_err());
}

#[test]
fn rates_on_a_cohort_count_the_evaluable_patients_of_the_line() {
    let c = cohort(300);
    let req = RatesRequest {
        by: Some("sex".into()),
        ci_method: RateCi::Wilson,
        ..RatesRequest::default()
    };
    let out = rates::run(&c, &req).unwrap();
    let best = c.line_responses(1).unwrap();
    let sex = c.categories("sex").unwrap();
    for g in &out.groups {
        let level = sex.levels.iter().position(|l| *l == g.group).unwrap();
        let n = best
            .iter()
            .zip(&sex.codes)
            .filter(|(b, s)| b.is_some() && **s == Some(level))
            .count() as u64;
        assert_eq!(g.n, n, "{}", g.group);
        assert_eq!(g.counts.ne, 0, "evaluable patients only");
        assert!(g.orr.lower <= g.orr.estimate && g.orr.estimate <= g.orr.upper);
    }
    assert_eq!(out.ci, "Wilson");
    assert_eq!(out.orr_comparison.is_some(), out.groups.len() >= 2);
}

#[test]
fn baseline_on_a_cohort_counts_every_patient_once() {
    let c = cohort(200);
    let req = BaselineRequest {
        by: "sex".into(),
        variables: vec!["age_at_diagnosis".into(), "who_grade".into()],
        ..BaselineRequest::default()
    };
    let out = baseline::run(&c, &req).unwrap();
    assert_eq!(out.n.iter().sum::<usize>() + out.left_out, c.len());
    let age = &out.variables[0];
    // Two groups of numbers: Student's t, the same p as compare's.
    let t = compare::compare(
        &ages_by_sex(&c),
        &CompareOptions {
            test: Some(CompareTest::T),
            ..CompareOptions::default()
        },
    )
    .unwrap();
    assert_eq!(age.p, Some(t.p_value));
    assert_eq!(age.test.as_deref(), Some("t-test"));
    let grade = &out.variables[1];
    for (j, g) in grade.groups.iter().enumerate() {
        let GroupValues::Categories { counts, missing } = g else {
            panic!("grade is categorical");
        };
        assert_eq!(counts.iter().sum::<u64>() as usize + missing, out.n[j]);
    }
    assert!(registry().iter().any(|a| a.name() == "baseline"));
}

#[test]
fn baseline_of_three_groups_uses_the_k_group_tests_and_counts_known_values() {
    let c = cohort(300);
    let req = BaselineRequest {
        by: "who_grade".into(),
        variables: vec!["age_at_diagnosis".into(), "sex".into()],
        ..BaselineRequest::default()
    };
    let out = baseline::run(&c, &req).unwrap();
    assert!(out.groups.len() >= 3, "{:?}", out.groups);
    assert_eq!(out.total, out.n.iter().sum::<usize>());
    let age = &out.variables[0];
    // Three or more groups of numbers: one-way ANOVA, the p of compare's.
    let grade = c.categories("who_grade").unwrap();
    let Column::Num(ages) = &c.variable("age_at_diagnosis").unwrap().column else {
        panic!("age is a number");
    };
    let (mut group, mut values) = (Vec::new(), Vec::new());
    for (a, g) in ages.iter().zip(&grade.codes) {
        if let (Some(a), Some(g)) = (a, g) {
            group.push(*g);
            values.push(*a);
        }
    }
    let known = values.len();
    let anova = compare::compare(
        &CompareData {
            groups: grade.levels.clone(),
            group,
            values: Values::Numbers(values),
        },
        &CompareOptions {
            test: Some(CompareTest::Anova),
            ..CompareOptions::default()
        },
    )
    .unwrap();
    assert_eq!(age.test.as_deref(), Some("One-way ANOVA"));
    assert_eq!(age.p, Some(anova.p_value));
    assert_eq!(age.known, known);
    assert!(out.variables[1].p.is_some());
}

#[test]
fn baseline_without_a_grouping_is_one_column_of_all_patients() {
    let c = cohort(120);
    let req = BaselineRequest {
        variables: vec!["who_grade".into(), "age_at_diagnosis".into()],
        ..BaselineRequest::default()
    };
    let out = baseline::run(&c, &req).unwrap();
    assert_eq!(out.groups, vec!["All patients".to_string()]);
    assert_eq!(
        (out.n.clone(), out.total, out.left_out),
        (vec![c.len()], c.len(), 0)
    );
    let grade = &out.variables[0];
    let GroupValues::Categories { counts, missing } = &grade.groups[0] else {
        panic!("grade is categorical");
    };
    let known = c
        .categories("who_grade")
        .unwrap()
        .codes
        .iter()
        .flatten()
        .count();
    assert_eq!(grade.known, known);
    assert_eq!(counts.iter().sum::<u64>() as usize, known);
    assert_eq!(known + missing, c.len());
    assert_eq!((grade.p, grade.test.as_ref()), (None, None));
    assert!(out.footnotes.is_empty());
}
