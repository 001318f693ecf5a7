//! Logistic regression against R's `glm(family = binomial, weights = w)` on
//! the fixtures written by `validation/r/glm.R`.
//!
//! Tolerance: 1e-7 relative (the figure: an iterative fit whose
//! stopping rule is 1e-8 on the deviance; netra repeats R's iterates, so
//! most fields agree far closer).

mod common;
mod fixture_design;

use netra_stats::glm::{GlmData, GlmOptions, logistic};
use serde_json::Value;

use common::{as_opt_f64, close, f64s};
use fixture_design::Columns;

const REL: f64 = 1e-7;
const ABS: f64 = 1e-9;

fn check(actual: Option<f64>, expected: &Value, what: &str) {
    match (actual, as_opt_f64(expected)) {
        (None, None) => {}
        (Some(a), Some(e)) if close(a, e, REL, ABS) => {}
        (a, e) => panic!("{what}: netra {a:?} vs R {e:?}"),
    }
}

fn check_fixture(fx: &Value) {
    let name = fx["name"].as_str().unwrap();
    let input = &fx["input"];
    let exp = &fx["expected"];
    let cols = Columns::of(&input["columns"]);
    let design = cols.design(input["formula"].as_str().unwrap());
    let y = cols.num(input["y"].as_str().unwrap());
    let weights = input["weights"].as_str().map(|w| cols.num(w));
    let fit = logistic(
        &GlmData {
            y: &y,
            x: &design.x,
            names: &design.names,
            weights: weights.as_deref(),
        },
        &GlmOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let coefs = exp["coefficients"].as_array().unwrap();
    assert_eq!(fit.coefficients.len(), coefs.len(), "{name}: coefficients");
    // Separated fits stop at R's iterate, where estimates are large and
    // flat in the likelihood: compared at the same tolerance all the same.
    for (c, e) in fit.coefficients.iter().zip(coefs) {
        let what = format!("{name} {}", c.name);
        assert_eq!(c.name, e["name"].as_str().unwrap(), "{what}: name");
        check(c.estimate, &e["estimate"], &format!("{what} estimate"));
        check(c.se, &e["se"], &format!("{what} se"));
        check(c.z, &e["z"], &format!("{what} z"));
        check(c.p, &e["p"], &format!("{what} p"));
    }
    check(
        Some(fit.deviance),
        &exp["deviance"],
        &format!("{name} deviance"),
    );
    check(
        Some(fit.null_deviance),
        &exp["null_deviance"],
        &format!("{name} null deviance"),
    );
    check(Some(fit.aic), &exp["aic"], &format!("{name} aic"));
    assert_eq!(
        fit.df_residual as u64,
        exp["df_residual"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(
        fit.df_null as u64,
        exp["df_null"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(fit.rank as u64, exp["rank"].as_u64().unwrap(), "{name}");
    assert_eq!(
        fit.iterations as u64,
        exp["iterations"].as_u64().unwrap(),
        "{name}: iter"
    );
    assert_eq!(fit.converged, exp["converged"].as_bool().unwrap(), "{name}");
    let warnings: Vec<&str> = exp["warnings"]
        .as_array()
        .map(|a| a.iter().map(|w| w.as_str().unwrap()).collect())
        .unwrap_or_default();
    assert_eq!(fit.warnings, warnings, "{name}: warnings");
    assert_eq!(
        fit.separation,
        warnings.iter().any(|w| w.contains("numerically 0 or 1")),
        "{name}: separation"
    );
    let fitted = f64s(&exp["fitted"]);
    assert_eq!(fit.fitted.len(), fitted.len());
    for (i, (a, e)) in fit.fitted.iter().zip(&fitted).enumerate() {
        assert!(close(*a, *e, REL, ABS), "{name} fitted[{i}]: {a} vs {e}");
    }
    let vcov = f64s(&exp["vcov"]);
    // R's vcov is column-major; it is symmetric, so the order is the same.
    assert_eq!(fit.vcov.len(), vcov.len());
    for (i, (a, e)) in fit.vcov.iter().zip(&vcov).enumerate() {
        assert!(close(*a, *e, REL, ABS), "{name} vcov[{i}]: {a} vs {e}");
    }
}

#[test]
fn every_glm_fixture_matches_r() {
    let dir = common::fixture_path("glm");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "fixtures missing in {}", dir.display());
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        check_fixture(&serde_json::from_str(&text).unwrap());
    }
}
