//! The weighting pipeline against R on the fixtures written by
//! `validation/r/weighting.R`: propensity scores (`glm`), IPTW / ATT /
//! overlap weights (stabilised, truncated), weight summaries and effective
//! sample sizes, standardised mean differences (cobalt's pooled
//! definition, written out in the script; weighted means checked there
//! against `survey::svymean`), weighted Kaplan–Meier curves (`survfit`
//! with weights: robust variance), RMST (`print(fit, rmean = tau)`),
//! weighted Cox with the robust variance (`coxph(weights, robust = TRUE)`)
//! and the E-value. Tolerance 1e-7 relative.

mod common;
mod fixture_design;

use netra_stats::cox::{CoxData, CoxOptions, coxph};
use netra_stats::glm::{GlmData, GlmOptions, logistic};
use netra_stats::km::{KmCurve, KmOptions, km_by_group};
use netra_stats::model::order_levels;
use netra_stats::weighting::{
    Estimand, WeightOptions, WeightSummary, evalue_hr, rmst_robust, smd, summarize,
    treatment_weights,
};
use serde_json::Value;

use common::{as_opt_f64, close, f64s};
use fixture_design::Columns;

const REL: f64 = 1e-7;
const ABS: f64 = 1e-9;

fn check(actual: Option<f64>, expected: &Value, what: &str) {
    match (actual, as_opt_f64(expected)) {
        (None, None) => {}
        (Some(a), None) if a.is_nan() => {}
        (Some(a), Some(e)) if close(a, e, REL, ABS) => {}
        (a, e) => panic!("{what}: netra {a:?} vs R {e:?}"),
    }
}

fn check_all(actual: &[f64], expected: &Value, what: &str) {
    let e = f64s(expected);
    assert_eq!(actual.len(), e.len(), "{what}: length");
    for (i, (a, e)) in actual.iter().zip(&e).enumerate() {
        assert!(
            close(*a, *e, REL, ABS) || (a.is_nan() && e.is_nan()),
            "{what}[{i}]: netra {a} vs R {e}"
        );
    }
}

fn check_summary(s: &WeightSummary, e: &Value, what: &str) {
    assert_eq!(s.n as u64, e["n"].as_u64().unwrap(), "{what} n");
    for (field, v) in [
        ("sum", s.sum),
        ("mean", s.mean),
        ("min", s.min),
        ("q25", s.q25),
        ("median", s.median),
        ("q75", s.q75),
        ("max", s.max),
        ("ess", s.ess),
    ] {
        check(Some(v), &e[field], &format!("{what} {field}"));
    }
    check(s.sd, &e["sd"], &format!("{what} sd"));
}

fn check_curve(c: &KmCurve, e: &Value, what: &str) {
    check_all(&c.time, &e["time"], &format!("{what} time"));
    check_all(&c.n_risk, &e["n_risk"], &format!("{what} n_risk"));
    check_all(&c.n_event, &e["n_event"], &format!("{what} n_event"));
    check_all(&c.n_censor, &e["n_censor"], &format!("{what} n_censor"));
    check_all(&c.survival, &e["survival"], &format!("{what} survival"));
    check_all(&c.std_err, &e["std_err"], &format!("{what} std_err"));
    check_all(&c.lower, &e["lower"], &format!("{what} lower"));
    check_all(&c.upper, &e["upper"], &format!("{what} upper"));
}

/// The balance columns of `weighting.R`: numeric covariates as they are,
/// text ones as a 0/1 column per level in R's level order.
fn balance_columns(cols: &Columns, covs: &[&str]) -> Vec<(String, Vec<f64>)> {
    let mut out = Vec::new();
    for &v in covs {
        if let Some((_, t)) = cols.text.iter().find(|(n, _)| n == v) {
            let mut distinct: Vec<&str> = t.iter().map(String::as_str).collect();
            distinct.sort_unstable();
            distinct.dedup();
            let lv = order_levels(&distinct);
            for (k, level) in lv.levels.iter().enumerate() {
                out.push((
                    format!("{v}={level}"),
                    t.iter()
                        .map(|x| {
                            let i = distinct.binary_search(&x.as_str()).unwrap();
                            f64::from(lv.level_of[i] == k)
                        })
                        .collect(),
                ));
            }
        } else {
            out.push((v.to_string(), cols.num(v)));
        }
    }
    out
}

fn check_fixture(fx: &Value) {
    let name = fx["name"].as_str().unwrap();
    let input = &fx["input"];
    let exp = &fx["expected"];
    let cols = Columns::of(&input["columns"]);
    let formula = input["formula"].as_str().unwrap();
    let design = cols.design(formula);
    let t_num = cols.num(input["treatment"].as_str().unwrap());
    let treated: Vec<bool> = t_num.iter().map(|&v| v == 1.0).collect();
    let ps_fit = logistic(
        &GlmData {
            y: &t_num,
            x: &design.x,
            names: &design.names,
            weights: None,
        },
        &GlmOptions::default(),
    )
    .unwrap();
    let b: Vec<f64> = ps_fit
        .coefficients
        .iter()
        .map(|c| c.estimate.unwrap())
        .collect();
    check_all(
        &b,
        &exp["ps_coefficients"],
        &format!("{name} ps coefficients"),
    );
    check_all(&ps_fit.fitted, &exp["ps"], &format!("{name} ps"));
    let estimand = match input["estimand"].as_str().unwrap() {
        "ate" => Estimand::Ate,
        "att" => Estimand::Att,
        _ => Estimand::Overlap,
    };
    let truncate = input["truncate"]
        .as_array()
        .map(|a| (a[0].as_f64().unwrap(), a[1].as_f64().unwrap()));
    let w = treatment_weights(
        &ps_fit.fitted,
        &treated,
        &WeightOptions {
            estimand,
            stabilize: input["stabilize"].as_bool().unwrap(),
            truncate,
        },
    )
    .unwrap();
    check_all(&w.weights, &exp["weights"], &format!("{name} weights"));
    assert_eq!(
        w.n_truncated as u64,
        exp["n_truncated"].as_u64().unwrap(),
        "{name}"
    );
    let pick = |g: bool| -> Vec<f64> {
        w.weights
            .iter()
            .zip(&treated)
            .filter(|(_, t)| **t == g)
            .map(|(w, _)| *w)
            .collect()
    };
    check_summary(
        &summarize(&pick(true)).unwrap(),
        &exp["summary_treated"],
        &format!("{name} treated"),
    );
    check_summary(
        &summarize(&pick(false)).unwrap(),
        &exp["summary_control"],
        &format!("{name} control"),
    );
    check_summary(
        &summarize(&w.weights).unwrap(),
        &exp["summary_all"],
        &format!("{name} all"),
    );
    let covs: Vec<&str> = formula.split('+').map(str::trim).collect();
    let bal = balance_columns(&cols, &covs);
    let eb = exp["balance"].as_array().unwrap();
    assert_eq!(bal.len(), eb.len(), "{name}: balance rows");
    for ((label, x), e) in bal.iter().zip(eb) {
        let what = format!("{name} balance {label}");
        assert_eq!(label, e["name"].as_str().unwrap(), "{what}");
        let s = smd(x, &treated, &w.weights).unwrap();
        assert_eq!(s.binary, e["binary"].as_bool().unwrap(), "{what}");
        check(Some(s.mean_treated), &e["mean_treated"], &what);
        check(Some(s.mean_control), &e["mean_control"], &what);
        check(
            Some(s.weighted_mean_treated),
            &e["weighted_mean_treated"],
            &what,
        );
        check(
            Some(s.weighted_mean_control),
            &e["weighted_mean_control"],
            &what,
        );
        check(Some(s.sd_denominator), &e["sd_denominator"], &what);
        check(s.smd_before, &e["smd_before"], &format!("{what} before"));
        check(s.smd_after, &e["smd_after"], &format!("{what} after"));
    }
    // Weighted outcomes.
    let time = cols.num(input["time"].as_str().unwrap());
    let event: Vec<bool> = cols
        .num(input["event"].as_str().unwrap())
        .iter()
        .map(|&v| v == 1.0)
        .collect();
    let group: Vec<u32> = treated.iter().map(|&t| u32::from(t)).collect();
    let curves = km_by_group(
        &time,
        &event,
        Some(&w.weights),
        &group,
        2,
        &KmOptions::default(),
    )
    .unwrap();
    check_curve(
        &curves[0],
        &exp["km_control"],
        &format!("{name} km control"),
    );
    check_curve(
        &curves[1],
        &exp["km_treated"],
        &format!("{name} km treated"),
    );
    let tau = input["tau"].as_f64().unwrap();
    for (c, key) in curves.iter().zip(["rmst_control", "rmst_treated"]) {
        let r = c.rmst(tau).unwrap();
        check(
            Some(r.estimate),
            &exp[key]["estimate"],
            &format!("{name} {key}"),
        );
        check(
            Some(r.std_err),
            &exp[key]["std_err"],
            &format!("{name} {key} se"),
        );
    }
    for (g, key) in [(false, "rmst_ij_control"), (true, "rmst_ij_treated")] {
        let rows: Vec<usize> = (0..time.len()).filter(|&i| treated[i] == g).collect();
        let r = rmst_robust(
            &rows.iter().map(|&i| time[i]).collect::<Vec<_>>(),
            &rows.iter().map(|&i| event[i]).collect::<Vec<_>>(),
            &rows.iter().map(|&i| w.weights[i]).collect::<Vec<_>>(),
            tau,
        )
        .unwrap();
        check(
            Some(r.estimate),
            &exp[key]["estimate"],
            &format!("{name} {key}"),
        );
        check(
            Some(r.std_err),
            &exp[key]["std_err"],
            &format!("{name} {key} se"),
        );
    }
    let names = ["treated".to_string()];
    let x: Vec<f64> = t_num.clone();
    let cox = coxph(
        &CoxData {
            time: &time,
            event: &event,
            start: None,
            x: &x,
            names: &names,
            weights: Some(&w.weights),
            strata: None,
            cluster: None,
        },
        &CoxOptions {
            robust: Some(true),
            ..CoxOptions::default()
        },
    )
    .unwrap();
    let c = &cox.coefficients[0];
    let ec = &exp["cox"];
    check(c.coef, &ec["coef"], &format!("{name} cox coef"));
    check(c.se, &ec["se"], &format!("{name} cox se"));
    check(
        c.robust_se,
        &ec["robust_se"],
        &format!("{name} cox robust se"),
    );
    check(c.hr, &ec["hr"], &format!("{name} hr"));
    check(c.hr_lower, &ec["hr_lower"], &format!("{name} hr lower"));
    check(c.hr_upper, &ec["hr_upper"], &format!("{name} hr upper"));
    check(c.p, &ec["p"], &format!("{name} cox p"));
    let naive = coxph(
        &CoxData {
            weights: None,
            time: &time,
            event: &event,
            start: None,
            x: &x,
            names: &names,
            strata: None,
            cluster: None,
        },
        &CoxOptions::default(),
    )
    .unwrap();
    check(
        naive.coefficients[0].coef,
        &exp["naive_cox"]["coef"],
        &format!("{name} naive coef"),
    );
    check(
        naive.coefficients[0].se,
        &exp["naive_cox"]["se"],
        &format!("{name} naive se"),
    );
    let ev = evalue_hr(
        c.hr.unwrap(),
        c.hr_lower.unwrap(),
        c.hr_upper.unwrap(),
        input["rare"].as_bool().unwrap(),
    )
    .unwrap();
    let ee = &exp["evalue"];
    assert_eq!(ev.rare, ee["rare"].as_bool().unwrap());
    check(Some(ev.rr), &ee["rr"], &format!("{name} evalue rr"));
    check(Some(ev.point), &ee["point"], &format!("{name} evalue"));
    check(Some(ev.ci), &ee["ci"], &format!("{name} evalue ci"));
}

#[test]
fn every_weighting_fixture_matches_r() {
    let dir = common::fixture_path("weighting");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 5, "fixtures missing in {}", dir.display());
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        check_fixture(&serde_json::from_str(&text).unwrap());
    }
}
