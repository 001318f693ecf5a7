//! Cox regression against R's `coxph`, `summary.coxph`, `cox.zph` and
//! `finegray` on the fixtures written by `validation/r/cox.R`.
//!
//! Tolerance: 1e-7 relative, the figure for Cox regression (the
//! estimates come from an iterative fit whose stopping rule is itself
//! 1e-9 on the log-likelihood; identical iterates agree far closer, and most
//! fields do, but the contract is 1e-7).

mod common;

use std::path::Path;

use netra_stats::cox::finegray::{Status, expand};
use netra_stats::cox::zph::{ZphTransform, cox_zph};
use netra_stats::cox::{CoxData, CoxFit, CoxOptions, Ties, coxph};
use netra_stats::model::{ColumnData, Design, DesignOptions, Formula, NamedColumn};
use serde_json::Value;

use common::{as_opt_f64, close, f64s};

const REL: f64 = 1e-7;
const ABS: f64 = 1e-10;

/// A fixture value that may be null (R's NA, or ±Inf, which jsonlite writes
/// as null too) against an optional number.
fn check(actual: Option<f64>, expected: &Value, what: &str) {
    let e = match expected {
        Value::Null => None,
        v => as_opt_f64(v),
    };
    match (actual, e) {
        (None, None) => {}
        (Some(a), None) if !a.is_finite() => {}
        (Some(a), Some(e)) if close(a, e, REL, ABS) => {}
        (a, e) => panic!("{what}: netra {a:?} vs R {e:?}"),
    }
}

fn check_abs(actual: f64, expected: &Value, what: &str, abs: f64) {
    let e = as_opt_f64(expected).unwrap_or(f64::NAN);
    assert!(
        close(actual, e, REL, abs),
        "{what}: netra {actual} vs R {e}"
    );
}

struct Owned {
    numeric: Vec<(String, Vec<f64>)>,
    text: Vec<(String, Vec<String>)>,
}

/// The integer recipes of `synthetic()` in `validation/r/cox.R`.
fn synthetic(n: u64) -> Owned {
    let mut cols: Vec<(String, Vec<f64>)> = ["time", "status", "x1", "x2", "x3", "g", "s", "cl"]
        .iter()
        .map(|c| (c.to_string(), Vec::with_capacity(n as usize)))
        .collect();
    for i in 1..=n {
        let g = i % 4;
        let x2 = u64::from(i % 3 == 0);
        let base = (i * 48271) % 2999 + 1;
        let v = [
            (base / (1 + x2 + g) + (i * 7919) % 1000 / 100) as f64,
            f64::from(u8::from((i * 16807) % 10 < 6)),
            ((i * 7919) % 1000) as f64 / 100.0,
            x2 as f64,
            ((i * 104729) % 997) as f64 / 997.0 * 4.0 - 2.0,
            g as f64,
            (i % 2) as f64,
            (i / 3) as f64,
        ];
        for (c, x) in cols.iter_mut().zip(v) {
            c.1.push(x);
        }
    }
    Owned {
        numeric: cols,
        text: Vec::new(),
    }
}

fn columns_of(input: &Value) -> Owned {
    if let Some(n) = input["columns"]["synthetic"].as_u64() {
        return synthetic(n);
    }
    let mut numeric = Vec::new();
    let mut text = Vec::new();
    for (name, values) in input["columns"].as_object().unwrap() {
        let arr = values.as_array().unwrap();
        if arr.iter().any(Value::is_string) {
            text.push((
                name.clone(),
                arr.iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect(),
            ));
        } else {
            numeric.push((name.clone(), f64s(values)));
        }
    }
    Owned { numeric, text }
}

fn opt_str(v: &Value) -> Option<&str> {
    v.as_str()
}

fn dense(v: &[f64]) -> Vec<u32> {
    let mut u = v.to_vec();
    u.sort_by(f64::total_cmp);
    u.dedup();
    v.iter()
        .map(|x| u.partition_point(|y| y < x) as u32)
        .collect()
}

struct Model {
    design: Design,
    fit: CoxFit,
    time: Vec<f64>,
    start: Option<Vec<f64>>,
    event: Vec<bool>,
    weights: Option<Vec<f64>>,
}

fn fit_fixture(fx: &Value) -> Model {
    let input = &fx["input"];
    let owned = columns_of(input);
    let text_refs: Vec<(String, Vec<&str>)> = owned
        .text
        .iter()
        .map(|(n, v)| (n.clone(), v.iter().map(String::as_str).collect()))
        .collect();
    let mut cols: Vec<NamedColumn<'_>> = owned
        .numeric
        .iter()
        .map(|(n, v)| NamedColumn {
            name: n,
            data: ColumnData::Numeric(v),
        })
        .collect();
    for (n, v) in &text_refs {
        cols.push(NamedColumn {
            name: n,
            data: ColumnData::Text(v),
        });
    }
    let num = |name: &str| -> Vec<f64> {
        owned
            .numeric
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no numeric column {name}"))
            .1
            .clone()
    };
    let formula = Formula::parse(input["formula"].as_str().unwrap()).unwrap();
    let refs = input["refs"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let design = Design::build(
        &formula,
        &cols,
        &DesignOptions {
            reference_levels: refs,
        },
    )
    .unwrap();
    let time = num(input["time"].as_str().unwrap());
    let event: Vec<bool> = num(input["event"].as_str().unwrap())
        .iter()
        .map(|&v| v == 1.0)
        .collect();
    let start = opt_str(&input["start"]).map(num);
    let weights = opt_str(&input["weights"]).map(num);
    let cluster = opt_str(&input["cluster"]).map(|c| dense(&num(c)));
    let opts = CoxOptions {
        ties: if input["ties"] == "breslow" {
            Ties::Breslow
        } else {
            Ties::Efron
        },
        conf_level: input["conf_level"].as_f64().unwrap(),
        robust: input["robust"].as_bool(),
        iter_max: input["iter_max"]
            .as_u64()
            .map_or(CoxOptions::default().iter_max, |v| v as usize),
        ..CoxOptions::default()
    };
    let data = CoxData {
        time: &time,
        event: &event,
        start: start.as_deref(),
        x: &design.x,
        names: &design.names,
        weights: weights.as_deref(),
        strata: design.strata.as_ref().map(|s| s.codes.as_slice()),
        cluster: cluster.as_deref(),
    };
    let fit = coxph(&data, &opts).unwrap();
    Model {
        design,
        fit,
        time,
        start,
        event,
        weights,
    }
}

fn check_test(actual: &netra_stats::cox::ChisqTest, expected: &Value, what: &str) {
    check(
        Some(actual.chisq),
        &expected["chisq"],
        &format!("{what} chisq"),
    );
    assert_eq!(
        actual.df as f64,
        expected["df"].as_f64().unwrap(),
        "{what} df"
    );
    check(Some(actual.p), &expected["p"], &format!("{what} p"));
}

/// Every field of a fitted model against R's.
fn compare_fit(fit: &CoxFit, exp: &Value, name: &str) {
    let tag = |f: &str| format!("{name}: {f}");
    assert_eq!(fit.n as f64, exp["n"].as_f64().unwrap(), "{}", tag("n"));
    assert_eq!(
        fit.events as f64,
        exp["events"].as_f64().unwrap(),
        "{}",
        tag("events")
    );
    let terms = exp["terms"].as_array().unwrap();
    assert_eq!(
        fit.coefficients.len(),
        terms.len(),
        "{}",
        tag("number of terms")
    );
    for (c, e) in fit.coefficients.iter().zip(terms) {
        let t = |f: &str| tag(&format!("{} {f}", c.name));
        assert_eq!(c.name, e["name"].as_str().unwrap(), "{}", tag("term name"));
        check(c.coef, &e["coef"], &t("coef"));
        check(c.se, &e["se"], &t("se"));
        check(c.robust_se, &e["robust_se"], &t("robust_se"));
        check(c.hr, &e["hr"], &t("hr"));
        check(c.hr_lower, &e["hr_lower"], &t("hr_lower"));
        check(c.hr_upper, &e["hr_upper"], &t("hr_upper"));
        check(c.z, &e["z"], &t("z"));
        check(c.p, &e["p"], &t("p"));
    }
    check(
        Some(fit.loglik_null),
        &exp["loglik_null"],
        &tag("loglik_null"),
    );
    check(Some(fit.loglik), &exp["loglik"], &tag("loglik"));
    check_test(&fit.lr_test, &exp["lr_test"], &tag("lr_test"));
    check_test(&fit.wald_test, &exp["wald_test"], &tag("wald_test"));
    check_test(&fit.score_test, &exp["score_test"], &tag("score_test"));
    match (&fit.robust_score_test, &exp["robust_score_test"]) {
        (None, Value::Null) => {}
        (Some(a), e) if !e.is_null() => check_test(a, e, &tag("robust_score_test")),
        (a, e) => panic!("{}: {a:?} vs {e}", tag("robust_score_test")),
    }
    assert_eq!(
        fit.robust,
        exp["robust"].as_bool().unwrap(),
        "{}",
        tag("robust")
    );
    let conc = fit.concordance.expect("concordance");
    check(Some(conc.c), &exp["concordance"]["c"], &tag("concordance"));
    check(
        Some(conc.std_err),
        &exp["concordance"]["std_err"],
        &tag("concordance std_err"),
    );
    assert_eq!(
        fit.iterations as f64,
        exp["iterations"].as_f64().unwrap(),
        "{}",
        tag("iterations")
    );
    // The whole variance matrix (R's fit$var, column-major = row-major here
    // as it is symmetric).
    let var = f64s(&exp["var"]);
    let p = fit.coefficients.len();
    let scale = var.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (k, (a, e)) in fit.var.iter().zip(&var).enumerate() {
        check_abs(
            *a,
            &Value::from(*e),
            &tag(&format!("var[{},{}]", k / p, k % p)),
            1e-12 * scale,
        );
    }
    // Warnings: R's infinite-coefficient warning lists the same variables.
    let r_warn: Vec<&str> = exp["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let ours_inf: Vec<&String> = fit
        .warnings
        .iter()
        .filter(|w| w.starts_with("Loglik converged"))
        .collect();
    let r_inf: Vec<&&str> = r_warn
        .iter()
        .filter(|w| w.starts_with("Loglik converged"))
        .collect();
    assert_eq!(
        ours_inf.len(),
        r_inf.len(),
        "{}: {:?} vs {:?}",
        tag("warnings"),
        fit.warnings,
        r_warn
    );
    for (o, r) in ours_inf.iter().zip(&r_inf) {
        let r_vars: String = r
            .trim_start_matches("Loglik converged before variable")
            .split(';')
            .next()
            .unwrap()
            .trim()
            .to_string();
        assert!(
            o.starts_with(&format!("Loglik converged before variable {r_vars} (")),
            "{}: {o} vs {r}",
            tag("warning")
        );
    }
    // Out of iterations: R's two warnings, word for word.
    for text in [
        "Ran out of iterations and did not converge",
        "one or more coefficients may be infinite",
    ] {
        assert_eq!(
            fit.warnings.iter().filter(|w| *w == text).count(),
            r_warn.iter().filter(|w| **w == text).count(),
            "{}: {:?} vs {:?}",
            tag("warnings"),
            fit.warnings,
            r_warn
        );
    }
    // (R is silent with iter.max = 1, so only one way.)
    if r_warn.iter().any(|w| w.starts_with("Ran out")) {
        assert!(!fit.converged, "{}", tag("converged"));
    }
    for c in fit.coefficients.iter().filter(|c| c.coef.is_none()) {
        assert!(
            fit.warnings
                .iter()
                .any(|w| w.contains(&format!("({})", c.name))),
            "{}: no warning for NA coefficient {}",
            tag("warnings"),
            c.name
        );
    }
}

fn check_fixture(path: &Path) {
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let name = fx["name"].as_str().unwrap().to_string();
    let m = fit_fixture(&fx);
    let fit = &m.fit;
    let exp = &fx["expected"];
    let tag = |f: &str| format!("{name}: {f}");
    compare_fit(fit, exp, &name);

    if let Some(zphs) = exp.get("zph").and_then(Value::as_array) {
        for z in zphs {
            let tr = match z["transform"].as_str().unwrap() {
                "km" => ZphTransform::Km,
                "rank" => ZphTransform::Rank,
                _ => ZphTransform::Identity,
            };
            let zt = |f: &str| tag(&format!("zph {} {f}", z["transform"]));
            let res = cox_zph(
                fit,
                &CoxData {
                    time: &m.time,
                    event: &m.event,
                    start: m.start.as_deref(),
                    x: &m.design.x,
                    names: &m.design.names,
                    weights: m.weights.as_deref(),
                    strata: m.design.strata.as_ref().map(|s| s.codes.as_slice()),
                    cluster: None,
                },
                &m.design.terms,
                tr,
            )
            .unwrap();
            let terms = z["terms"].as_array().unwrap();
            assert_eq!(res.terms.len(), terms.len(), "{}", zt("terms"));
            for (a, e) in res.terms.iter().zip(terms) {
                assert_eq!(a.name, e["name"].as_str().unwrap(), "{}", zt("term name"));
                check(
                    Some(a.chisq),
                    &e["chisq"],
                    &zt(&format!("{} chisq", a.name)),
                );
                assert_eq!(a.df as f64, e["df"].as_f64().unwrap(), "{}", zt("df"));
                check(Some(a.p), &e["p"], &zt(&format!("{} p", a.name)));
            }
            check(
                Some(res.global.chisq),
                &z["global"]["chisq"],
                &zt("global chisq"),
            );
            assert_eq!(
                res.global.df as f64,
                z["global"]["df"].as_f64().unwrap(),
                "{}",
                zt("global df")
            );
            check(Some(res.global.p), &z["global"]["p"], &zt("global p"));
            if let Some(s) = z.get("schoenfeld") {
                let sch = &res.schoenfeld;
                check_all(&sch.time, &s["time"], &zt("schoenfeld time"));
                check_all(&sch.x, &s["x"], &zt("schoenfeld x"));
                let cols = s["residuals"].as_array().unwrap();
                assert_eq!(
                    sch.residuals.len(),
                    cols.len(),
                    "{}",
                    zt("schoenfeld columns")
                );
                for (k, (a, e)) in sch.residuals.iter().zip(cols).enumerate() {
                    check_all(a, e, &zt(&format!("schoenfeld residual column {k}")));
                }
            }
        }
    }
}

fn check_all(actual: &[f64], expected: &Value, what: &str) {
    let e = f64s(expected);
    assert_eq!(actual.len(), e.len(), "{what}: length");
    for (i, (a, b)) in actual.iter().zip(&e).enumerate() {
        assert!(
            (a.is_nan() && b.is_nan()) || close(*a, *b, REL, ABS),
            "{what}[{i}]: netra {a} vs R {b}"
        );
    }
}

#[test]
fn every_coxph_fixture_matches_r() {
    let dir = common::fixture_path("cox");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p
                    .file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with("finegray")
        })
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 30,
        "expected the cox fixtures in {}",
        dir.display()
    );
    for p in &paths {
        check_fixture(p);
    }
}

fn fixture(name: &str) -> (Value, Model) {
    let path = common::fixture_path("cox").join(format!("{name}.json"));
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let m = fit_fixture(&fx);
    compare_fit(&m.fit, &fx["expected"], name);
    (fx, m)
}

/// Issue 13: out of iterations, `coxph.fit` marks no column as singular, so a
/// constant column is R's 0 (se 0, z and p NaN), not `NA`, and the tests keep
/// its degree of freedom. Before, netra reported `null` and 2 df.
#[test]
fn out_of_iterations_a_constant_column_is_zero_with_its_degree_of_freedom() {
    for name in ["tiny_not_converged_constant", "lung_constant_iter1"] {
        let (fx, m) = fixture(name);
        let fit = &m.fit;
        let k = fit.coefficients.len();
        let c = &fit.coefficients[k - 1];
        assert_eq!(c.name, "const");
        assert_eq!(c.coef, Some(0.0), "{name}");
        assert_eq!(c.se, Some(0.0), "{name}");
        assert_eq!(c.hr, Some(1.0), "{name}");
        assert!(c.z.is_some_and(f64::is_nan), "{name}");
        assert_eq!(fit.lr_test.df, k, "{name}");
        assert_eq!(fit.wald_test.df, k, "{name}");
        assert_eq!(fit.score_test.df, k, "{name}");
        assert_eq!(fx["expected"]["lr_test"]["df"].as_u64(), Some(k as u64));
        assert!(!fit.converged);
    }
    // With 20 iterations R warns; with iter.max = 1 it does not.
    let (_, m) = fixture("tiny_not_converged_collinear");
    assert!(
        m.fit
            .warnings
            .iter()
            .any(|w| w == "Ran out of iterations and did not converge")
    );
    assert_eq!(m.fit.coefficients[2].coef, Some(0.0));
    let (_, m) = fixture("lung_constant_iter1");
    assert!(!m.fit.warnings.iter().any(|w| w.starts_with("Ran out")));
}

/// Issue 13: when R's Cholesky tolerance leaves a covariate out of the Wald
/// test because of its scale, the numbers stay R's (Wald p = 0.47 where the
/// likelihood-ratio test gives 0.015) and a warning says to rescale it.
#[test]
fn a_covariate_on_a_tiny_scale_keeps_r_numbers_and_is_warned_about() {
    let (fx, days) = fixture("scale_age_days");
    let exp = &fx["expected"];
    assert!(exp["wald_test"]["p"].as_f64().unwrap() > 0.4);
    assert!(exp["lr_test"]["p"].as_f64().unwrap() < 0.02);
    let rescale: Vec<&String> = days
        .fit
        .warnings
        .iter()
        .filter(|w| w.starts_with("Wald test:"))
        .collect();
    assert_eq!(rescale.len(), 1, "{:?}", days.fit.warnings);
    assert!(
        rescale[0].contains("variable 1 (age_days)"),
        "{}",
        rescale[0]
    );
    assert!(rescale[0].contains("rescale"), "{}", rescale[0]);

    // Age in years: the three tests agree and nothing is said.
    let (_, years) = fixture("scale_age_years");
    assert!(
        !years
            .fit
            .warnings
            .iter()
            .any(|w| w.starts_with("Wald test:"))
    );
    assert!((years.fit.wald_test.p - days.fit.wald_test.p).abs() > 0.4);

    let (_, secs) = fixture("lung_age_seconds");
    assert!(
        secs.fit
            .warnings
            .iter()
            .any(|w| w.starts_with("Wald test: variable 1 (age_seconds)") && w.contains("rescale")),
        "{:?}",
        secs.fit.warnings
    );
}

fn check_finegray(path: &Path) {
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let name = fx["name"].as_str().unwrap().to_string();
    let input = &fx["input"];
    let exp = &fx["expected"];
    let owned = columns_of(input);
    let num = |name: &str| -> Vec<f64> {
        owned
            .numeric
            .iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1
            .clone()
    };
    let time = num(input["time"].as_str().unwrap());
    let cause = input["cause"].as_f64().unwrap();
    let censor = input["censor"].as_f64().unwrap();
    let status: Vec<Status> = num(input["status"].as_str().unwrap())
        .iter()
        .map(|&s| {
            if s == cause {
                Status::Cause
            } else if s == censor {
                Status::Censored
            } else {
                Status::Competing
            }
        })
        .collect();
    let strata_col = opt_str(&input["strata"]).map(|s| dense(&num(s)));
    let weights = opt_str(&input["weights"]).map(num);
    let e = expand(&time, &status, strata_col.as_deref(), weights.as_deref()).unwrap();

    // The expanded rows against finegray()'s.
    assert_eq!(
        e.row.len() as f64,
        exp["expanded_rows"].as_f64().unwrap(),
        "{name}: rows"
    );
    let ck = &exp["checksums"];
    let sum = |v: &[f64]| v.iter().sum::<f64>();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let rowf: Vec<f64> = e.row.iter().map(|&r| f64::from(r + 1)).collect();
    let evf: Vec<f64> = e.event.iter().map(|&b| f64::from(u8::from(b))).collect();
    check(
        Some(sum(&e.start)),
        &ck["fgstart"],
        &format!("{name}: Σ fgstart"),
    );
    check(
        Some(sum(&e.stop)),
        &ck["fgstop"],
        &format!("{name}: Σ fgstop"),
    );
    check(
        Some(sum(&e.weight)),
        &ck["fgwt"],
        &format!("{name}: Σ fgwt"),
    );
    check(
        Some(sum(&evf)),
        &ck["fgstatus"],
        &format!("{name}: Σ fgstatus"),
    );
    check(
        Some(dot(&e.weight, &e.stop)),
        &ck["fgwt_fgstop"],
        &format!("{name}: Σ fgwt·fgstop"),
    );
    check(
        Some(dot(&rowf, &e.weight)),
        &ck["row_fgwt"],
        &format!("{name}: Σ row·fgwt"),
    );
    let head = &exp["head"];
    let k = f64s(&head["fgstart"]).len();
    check_all(&rowf[..k], &head[".id"], &format!("{name}: head row"));
    check_all(
        &e.start[..k],
        &head["fgstart"],
        &format!("{name}: head fgstart"),
    );
    check_all(
        &e.stop[..k],
        &head["fgstop"],
        &format!("{name}: head fgstop"),
    );
    check_all(&e.weight[..k], &head["fgwt"], &format!("{name}: head fgwt"));

    // The weighted Cox model on them.
    let gather = |v: &[f64]| -> Vec<f64> { e.row.iter().map(|&r| v[r as usize]).collect() };
    let numeric: Vec<(String, Vec<f64>)> = owned
        .numeric
        .iter()
        .map(|(n, v)| (n.clone(), gather(v)))
        .collect();
    let text: Vec<(String, Vec<&str>)> = owned
        .text
        .iter()
        .map(|(n, v)| {
            (
                n.clone(),
                e.row.iter().map(|&r| v[r as usize].as_str()).collect(),
            )
        })
        .collect();
    let mut cols: Vec<NamedColumn<'_>> = numeric
        .iter()
        .map(|(n, v)| NamedColumn {
            name: n,
            data: ColumnData::Numeric(v),
        })
        .collect();
    for (n, v) in &text {
        cols.push(NamedColumn {
            name: n,
            data: ColumnData::Text(v),
        });
    }
    let mut formula_text = input["formula"].as_str().unwrap().to_string();
    if let Some(s) = opt_str(&input["strata"]) {
        formula_text.push_str(&format!(" + strata({s})"));
    }
    let design = Design::build(
        &Formula::parse(&formula_text).unwrap(),
        &cols,
        &DesignOptions::default(),
    )
    .unwrap();
    let cluster = input["cluster_id"]
        .as_bool()
        .unwrap()
        .then_some(e.row.as_slice());
    let opts = CoxOptions {
        ties: if input["ties"] == "breslow" {
            Ties::Breslow
        } else {
            Ties::Efron
        },
        ..CoxOptions::default()
    };
    let fit = coxph(
        &CoxData {
            time: &e.stop,
            event: &e.event,
            start: Some(&e.start),
            x: &design.x,
            names: &design.names,
            weights: Some(&e.weight),
            strata: design.strata.as_ref().map(|s| s.codes.as_slice()),
            cluster,
        },
        &opts,
    )
    .unwrap();
    compare_fit(&fit, exp, &name);
}

#[test]
fn every_finegray_fixture_matches_r() {
    let dir = common::fixture_path("cox");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("finegray")
        })
        .collect();
    paths.sort();
    assert!(paths.len() >= 4);
    for p in &paths {
        check_finegray(p);
    }
}
