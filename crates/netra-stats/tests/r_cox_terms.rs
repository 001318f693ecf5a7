//! The overall test of a factor in a Cox model (`drop1(fit, test =
//! "Chisq")` and the Wald quadratic form) and subgroup analyses (the arm's
//! hazard ratio per level, `anova(fit0, fit1)` of the interaction) against
//! the fixtures written by `validation/r/cox_terms.R`, at the 1e-7.

mod common;

use netra_stats::cox::subgroup::{ArmEffect, subgroup};
use netra_stats::cox::terms::term_tests;
use netra_stats::cox::{ChisqTest, CoxData, CoxOptions, Ties, coxph};
use serde_json::Value;

use common::{assert_opt_close_tol, f64s, fixture};

const REL: f64 = 1e-7;
const ABS: f64 = 1e-10;

fn check(actual: Option<f64>, expected: &Value, what: &str) {
    assert_opt_close_tol(actual, expected, what, REL, ABS);
}

/// A test against R's `{chisq, df, p}` (or `null`: no test).
fn check_test(actual: Option<ChisqTest>, expected: &Value, what: &str) {
    match (actual, expected) {
        (None, Value::Null) => {}
        (Some(t), e) if e.is_object() => {
            check(Some(t.chisq), &e["chisq"], &format!("{what} chisq"));
            assert_eq!(t.df as u64, e["df"].as_u64().unwrap(), "{what} df");
            check(Some(t.p), &e["p"], &format!("{what} p"));
        }
        (a, e) => panic!("{what}: netra {a:?} vs R {e}"),
    }
}

fn events(v: &Value) -> Vec<bool> {
    f64s(v).iter().map(|&x| x == 1.0).collect()
}

fn terms_case(name: &str) {
    let f = fixture(&format!("cox_terms/{name}.json"));
    let input = &f["input"];
    let time = f64s(&input["time"]);
    let event = events(&input["event"]);
    let names: Vec<String> = input["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let x: Vec<f64> = input["x"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(f64s)
        .collect();
    let opts = CoxOptions {
        ties: if input["ties"] == "breslow" {
            Ties::Breslow
        } else {
            Ties::Efron
        },
        ..CoxOptions::default()
    };
    let data = CoxData {
        time: &time,
        event: &event,
        start: None,
        x: &x,
        names: &names,
        weights: None,
        strata: None,
        cluster: None,
    };
    let fit = coxph(&data, &opts).unwrap();
    check(
        Some(fit.loglik),
        &f["expected"]["loglik"],
        &format!("{name} loglik"),
    );
    let expected = f["expected"]["terms"].as_array().unwrap();
    let groups: Vec<Vec<usize>> = expected
        .iter()
        .map(|t| f64s(&t["columns"]).iter().map(|&c| c as usize).collect())
        .collect();
    let tests = term_tests(&data, &opts, &fit, &groups).unwrap();
    assert_eq!(tests.len(), expected.len());
    for (t, e) in tests.iter().zip(expected) {
        let what = format!("{name} {}", e["term"]);
        check_test(t.lr, &e["lr"], &format!("{what} LR"));
        check_test(t.wald, &e["wald"], &format!("{what} Wald"));
    }
}

#[test]
fn factor_tests_match_drop1_and_wald_on_lung() {
    terms_case("lung_factor_terms");
}

#[test]
fn a_single_term_test_is_the_models_likelihood_ratio() {
    terms_case("lung_single_factor");
}

#[test]
fn factor_tests_match_r_with_breslow_ties_on_veteran() {
    terms_case("veteran_breslow");
}

fn check_effect(a: &ArmEffect, e: &Value, what: &str) {
    for (field, v) in [
        ("n", a.n),
        ("events", a.events),
        ("n_arm", a.n_arm),
        ("events_arm", a.events_arm),
    ] {
        assert_eq!(v as u64, e[field].as_u64().unwrap(), "{what} {field}");
    }
    match (&a.coefficient, &e["coef"]) {
        (None, Value::Null) => assert!(a.note.is_some(), "{what}: a reason"),
        (Some(c), r) if r.is_object() => {
            check(c.coef, &r["coef"], &format!("{what} coef"));
            check(c.se, &r["se"], &format!("{what} se"));
            check(c.hr, &r["hr"], &format!("{what} hr"));
            check(c.hr_lower, &r["lower"], &format!("{what} lower"));
            check(c.hr_upper, &r["upper"], &format!("{what} upper"));
            check(c.p, &r["p"], &format!("{what} p"));
        }
        (c, r) => panic!("{what}: netra {c:?} vs R {r}"),
    }
}

fn subgroup_case(name: &str) {
    let f = fixture(&format!("cox_terms/{name}.json"));
    let input = &f["input"];
    let time = f64s(&input["time"]);
    let event = events(&input["event"]);
    let arm = events(&input["arm"]);
    let level: Vec<Option<usize>> = input["level"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().map(|l| l as usize))
        .collect();
    let levels = input["levels"].as_array().unwrap().len();
    let fit = subgroup(&time, &event, &arm, &level, levels, &CoxOptions::default()).unwrap();
    let e = &f["expected"];
    check_effect(&fit.overall, &e["overall"], &format!("{name} overall"));
    let per = e["levels"].as_array().unwrap();
    assert_eq!(fit.levels.len(), per.len());
    for (k, (a, r)) in fit.levels.iter().zip(per).enumerate() {
        check_effect(a, r, &format!("{name} level {k}"));
    }
    let i = fit.interaction.expect("an interaction test");
    assert_eq!(i.n as u64, e["interaction"]["n"].as_u64().unwrap());
    check_test(
        i.lr,
        &e["interaction"]["lr"],
        &format!("{name} interaction LR"),
    );
    check(
        i.lr.map(|t| t.p),
        &e["interaction"]["lr_p_anova"],
        &format!("{name} anova p"),
    );
    check_test(
        i.wald,
        &e["interaction"]["wald"],
        &format!("{name} interaction Wald"),
    );
}

#[test]
fn subgroups_match_r_with_an_unknown_level() {
    subgroup_case("lung_sex_by_ecog");
}

#[test]
fn subgroups_match_r_with_two_levels() {
    subgroup_case("lung_sex_by_age65");
}

#[test]
fn subgroups_match_r_with_an_empty_level() {
    subgroup_case("veteran_trt_by_celltype");
}
